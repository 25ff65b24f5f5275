# common/core.mk - build fragment (see Makefile.am); owned by the core area
common_libvkit_a_SOURCES += common/error.c common/error.h \
	common/size.c common/size.h common/subopt.c common/subopt.h \
	common/ids.c common/ids.h common/fileutil.c common/fileutil.h \
	common/vmdef.c common/vmdef.h \
	common/statedir.c common/statedir.h \
	common/options.c common/options.h common/progress.c common/progress.h \
	common/shellvars.c common/shellvars.h

core_unit_tests = tests/unit/test-size tests/unit/test-subopt tests/unit/test-ids \
	tests/unit/test-fileutil tests/unit/test-vmdef tests/unit/test-statedir \
	tests/unit/test-progress tests/unit/test-options tests/unit/test-shellvars
check_PROGRAMS += $(core_unit_tests)
TESTS += $(core_unit_tests)

tests_unit_test_size_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_size_LDADD = $(UNIT_LIBS)
tests_unit_test_subopt_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_subopt_LDADD = $(UNIT_LIBS)
tests_unit_test_ids_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ids_LDADD = $(UNIT_LIBS)
tests_unit_test_fileutil_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fileutil_LDADD = $(UNIT_LIBS)
tests_unit_test_vmdef_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmdef_LDADD = $(UNIT_LIBS)
tests_unit_test_statedir_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_statedir_LDADD = $(UNIT_LIBS)
tests_unit_test_progress_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_progress_LDADD = $(UNIT_LIBS)
tests_unit_test_options_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_options_LDADD = $(UNIT_LIBS)
tests_unit_test_shellvars_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_shellvars_LDADD = $(UNIT_LIBS)

# Issue 12's file rules across the tools (modes, planted links, FIFOs,
# disks in use, damaged definitions); uses every tool, so it lives with
# the rules' helpers (common/fileutil.h).
TESTS += tests/tools/file-safety.sh
dist_noinst_SCRIPTS += tests/tools/file-safety.sh
tests/tools/file-safety.log: vmm/vrun tests/vmm/guests/hello.bin
