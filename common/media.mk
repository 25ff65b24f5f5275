# common/media.mk - build fragment (see Makefile.am); owned by the media area
