# common/fsprobe.mk - build fragment (see Makefile.am); owned by the fsprobe area
# Partition tables and filesystems read straight from disk images (vdf's fast path).
common_libvkit_a_SOURCES += \
	common/blockdev.c common/blockdev.h \
	common/partition.c common/partition.h \
	common/fsprobe.c common/fsprobe.h \
	common/fs-ext.c common/fs-xfs.c common/fs-vfat.c common/fs-btrfs.c \
	common/df-format.c common/df-format.h
