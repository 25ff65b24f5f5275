# tools/vclone.mk - build fragment (see Makefile.am); owned by the vclone area
