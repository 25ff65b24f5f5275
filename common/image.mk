# common/image.mk - build fragment (see Makefile.am); owned by the image area
# Disk images: raw and qcow2 behind common/image.h, copies, and their tests.

common_libvkit_a_SOURCES += \
	common/image.h common/image-internal.h common/image.c common/image-raw.c \
	common/image-copy.c \
	common/qcow2-format.h common/qcow2.h common/qcow2.c common/qcow2-header.c \
	common/qcow2-cache.c common/qcow2-refcount.c common/qcow2-cluster.c

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
