# common/fsprobe.mk - build fragment (see Makefile.am); owned by the fsprobe area
