# common/core.mk - build fragment (see Makefile.am); owned by the core area
common_libvkit_a_SOURCES += common/error.c common/error.h
