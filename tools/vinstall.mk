# tools/vinstall.mk - build fragment (see Makefile.am); owned by the vinstall area
