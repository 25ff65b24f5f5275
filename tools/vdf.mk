# tools/vdf.mk - build fragment (see Makefile.am); owned by the vdf area
