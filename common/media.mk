# common/media.mk - build fragment (see Makefile.am); owned by the media area
common_libvkit_a_SOURCES += common/media.c common/media.h common/treeinfo.c \
	common/download.c common/download.h \
	common/osvariant.c common/osvariant.h \
	common/bootinspect.c common/bootinspect.h \
	common/guestfs-dl.c common/guestfs-dl.h common/identity.c common/identity.h

check_PROGRAMS += tests/unit/test-media
tests_unit_test_media_SOURCES = tests/unit/test-media.c
tests_unit_test_media_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_media_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-media

TESTS += tests/fuzz/fuzz-media.sh
dist_noinst_SCRIPTS += tests/fuzz/fuzz-media.sh
EXTRA_DIST += tests/fuzz/fuzz-treeinfo.c tests/fuzz/fuzz-osvariant.c \
	tests/fuzz/corpus-treeinfo tests/fuzz/corpus-osvariant
