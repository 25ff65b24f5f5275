# vmm/mgmt.mk - build fragment (see Makefile.am); owned by the mgmt area
