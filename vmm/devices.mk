# vmm/devices.mk - build fragment (see Makefile.am); owned by the virtio (device models) area
EXTRA_DIST += vmm/devices.h
