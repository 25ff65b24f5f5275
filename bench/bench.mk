# bench/bench.mk - build fragment (see Makefile.am); owned by the bench area
