# common/fs/fs.mk - build fragment (see Makefile.am): partition tables, filesystem readers (ext, XFS, VFAT, Btrfs, ISO 9660), df output, libguestfs on demand
# Partition tables and filesystems read straight from disk images (vdf's fast path).
common_libvkit_a_SOURCES += \
	common/fs/partition.c common/fs/partition.h \
	common/fs/fsprobe.c common/fs/fsprobe.h \
	common/fs/fs-ext.c common/fs/fs-ext-layout.h common/fs/extfs.c common/fs/extfs.h \
	common/fs/fs-xfs.c common/fs/fs-vfat.c common/fs/fs-btrfs.c common/fs/fs-iso9660.c \
	common/fs/df-format.c common/fs/df-format.h \
	common/fs/guestfs-dl.c common/fs/guestfs-dl.h

# The direct ext reader (common/fs/extfs.c) against mkfs -d images.
check_PROGRAMS += tests/tools/vk-extfs-tool
tests_tools_vk_extfs_tool_SOURCES = tests/tools/vk-extfs-tool.c
tests_tools_vk_extfs_tool_CFLAGS = $(VKIT_CFLAGS)
tests_tools_vk_extfs_tool_LDFLAGS = $(AM_LDFLAGS) -Wl,--as-needed
tests_tools_vk_extfs_tool_LDADD = $(VKIT_LIBS)
TESTS += tests/tools/extfs.sh tests/fuzz/fuzz-extfs.sh
dist_noinst_SCRIPTS += tests/tools/extfs.sh tests/fuzz/fuzz-extfs.sh
EXTRA_DIST += tests/fuzz/fuzz-extfs.c tests/fuzz/fuzz-disk.h

check_PROGRAMS += tests/unit/test-fsprobe
tests_unit_test_fsprobe_SOURCES = tests/unit/test-fsprobe.c
tests_unit_test_fsprobe_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fsprobe_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-fsprobe

# libFuzzer target for the partition and superblock parsers, built with
# clang and run for a bounded time (VK_FUZZ_SECONDS, default 60) by the script.
TESTS += tests/fuzz/fuzz-fsprobe.sh
dist_noinst_SCRIPTS += tests/fuzz/fuzz-fsprobe.sh
EXTRA_DIST += tests/fuzz/fuzz-fsprobe.c tests/fuzz/corpus-fsprobe
