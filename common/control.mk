# common/control.mk - build fragment (see Makefile.am); owned by the control area
