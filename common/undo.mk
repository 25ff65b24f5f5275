# common/undo.mk - build fragment (see Makefile.am): the rollback journal and VM name claims
common_libvkit_a_SOURCES += common/undo.c common/undo.h common/vmclaim.c common/vmclaim.h

undo_unit_tests = tests/unit/test-undo
check_PROGRAMS += $(undo_unit_tests)
TESTS += $(undo_unit_tests)
tests_unit_test_undo_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_undo_LDADD = $(UNIT_LIBS)
