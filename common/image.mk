# common/image.mk - build fragment (see Makefile.am); owned by the image area
