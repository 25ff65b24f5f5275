# vmm/vrun.mk - build fragment (see Makefile.am); owned by the vrun area
