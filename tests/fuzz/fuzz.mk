# tests/fuzz/fuzz.mk - build fragment (see Makefile.am); owned by the fuzz area
