# common/fsprobe.mk - build fragment (see Makefile.am); owned by the fsprobe area
# Partition tables and filesystems read straight from disk images (vdf's fast path).
common_libvkit_a_SOURCES += \
	common/blockdev.c common/blockdev.h \
	common/partition.c common/partition.h \
	common/fsprobe.c common/fsprobe.h \
	common/fs-ext.c common/fs-ext-layout.h common/extfs.c common/extfs.h \
	common/fs-xfs.c common/fs-vfat.c common/fs-btrfs.c common/fs-iso9660.c \
	common/df-format.c common/df-format.h

# The direct ext reader (common/extfs.c) against mkfs -d images.
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
