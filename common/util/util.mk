# common/util/util.mk - build fragment (see Makefile.am): errors, options, sizes, sub-options, names/UUIDs/MACs, files, progress, JSON fields, growing text
common_libvkit_a_SOURCES += common/util/error.c common/util/error.h \
	common/util/size.c common/util/size.h common/util/subopt.c common/util/subopt.h \
	common/util/ids.c common/util/ids.h common/util/fileutil.c common/util/fileutil.h \
	common/util/options.c common/util/options.h common/util/progress.c common/util/progress.h \
	common/util/clock.c common/util/clock.h \
	common/util/jsonfield.c common/util/jsonfield.h common/util/strbuf.c common/util/strbuf.h

util_unit_tests = tests/unit/test-size tests/unit/test-subopt tests/unit/test-ids \
	tests/unit/test-fileutil tests/unit/test-progress tests/unit/test-options
check_PROGRAMS += $(util_unit_tests)
TESTS += $(util_unit_tests)

tests_unit_test_size_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_size_LDADD = $(UNIT_LIBS)
tests_unit_test_subopt_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_subopt_LDADD = $(UNIT_LIBS)
tests_unit_test_ids_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ids_LDADD = $(UNIT_LIBS)
tests_unit_test_fileutil_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fileutil_LDADD = $(UNIT_LIBS)
tests_unit_test_progress_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_progress_LDADD = $(UNIT_LIBS)
tests_unit_test_options_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_options_LDADD = $(UNIT_LIBS)

# Issue 12's file rules across the tools (modes, planted links, FIFOs,
# disks in use, damaged definitions); uses every tool, so it lives with
# the rules' helpers (common/util/fileutil.h).
TESTS += tests/tools/file-safety.sh
dist_noinst_SCRIPTS += tests/tools/file-safety.sh
tests/tools/file-safety.log: vmm/vrun tests/vmm/guests/hello.bin
