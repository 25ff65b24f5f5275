# common/image/image.mk - build fragment (see Makefile.am): disk images (raw, qcow2), copies, the block-device adapter
# Disk images: raw and qcow2 behind common/image/image.h, copies, and their tests.

common_libvkit_a_SOURCES += \
	common/image/image.h common/image/image-internal.h common/image/image.c common/image/image-raw.c \
	common/image/image-copy.c \
	common/image/qcow2-format.h common/image/qcow2.h common/image/qcow2.c common/image/qcow2-header.c \
	common/image/qcow2-cache.c common/image/qcow2-refcount.c common/image/qcow2-cluster.c \
	common/image/blockdev.c common/image/blockdev.h

check_PROGRAMS += tests/tools/vk-image-tool
tests_tools_vk_image_tool_SOURCES = tests/tools/vk-image-tool.c
tests_tools_vk_image_tool_CFLAGS = $(VKIT_CFLAGS)
tests_tools_vk_image_tool_LDADD = $(VKIT_LIBS)

TESTS += tests/tools/image-interop.sh
dist_noinst_SCRIPTS += tests/tools/image-interop.sh
TESTS += tests/tools/image-crash.sh tests/tools/image-copy.sh
dist_noinst_SCRIPTS += tests/tools/image-crash.sh tests/tools/image-copy.sh

check_PROGRAMS += tests/unit/test-qcow2
TESTS += tests/unit/test-qcow2
tests_unit_test_qcow2_SOURCES = tests/unit/test-qcow2.c
tests_unit_test_qcow2_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_qcow2_LDADD = $(UNIT_LIBS)

TESTS += tests/fuzz/fuzz-qcow2.sh
dist_noinst_SCRIPTS += tests/fuzz/fuzz-qcow2.sh
EXTRA_DIST += tests/fuzz/fuzz-qcow2.c tests/fuzz/corpus-qcow2

# Speed goes here, not in tests: bench/bench-image.sh prints ratios
# against pread/pwrite measured in the same run.
noinst_PROGRAMS += bench/bench-image
bench_bench_image_SOURCES = bench/bench-image.c
bench_bench_image_CFLAGS = $(VKIT_CFLAGS)
bench_bench_image_LDADD = $(VKIT_LIBS)
dist_noinst_SCRIPTS += bench/bench-image.sh
