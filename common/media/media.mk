# common/media/media.mk - build fragment (see Makefile.am): install media (ISO, trees, URLs), downloads and their cache, OS variants
common_libvkit_a_SOURCES += common/media/media.c common/media/media.h common/media/treeinfo.c \
	common/media/download.c common/media/download.h \
	common/media/osvariant.c common/media/osvariant.h

check_PROGRAMS += tests/unit/test-media
tests_unit_test_media_SOURCES = tests/unit/test-media.c
tests_unit_test_media_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_media_LDADD = $(UNIT_LIBS)
TESTS += tests/unit/test-media

TESTS += tests/fuzz/fuzz-media.sh
dist_noinst_SCRIPTS += tests/fuzz/fuzz-media.sh
EXTRA_DIST += tests/fuzz/fuzz-treeinfo.c tests/fuzz/fuzz-osvariant.c \
	tests/fuzz/corpus-treeinfo tests/fuzz/corpus-osvariant
