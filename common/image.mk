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
