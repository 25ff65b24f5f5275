# common/control.mk - build fragment (see Makefile.am); owned by the control area
common_libvkit_a_SOURCES += common/control-client.c common/control-client.h
