# common/vm/vm.mk - build fragment (see Makefile.am): VM definitions, the state directory, name claims and the rollback journal, starting vrun and talking to it
common_libvkit_a_SOURCES += common/vm/vmdef.c common/vm/vmdef.h \
	common/vm/statedir.c common/vm/statedir.h \
	common/vm/undo.c common/vm/undo.h common/vm/vmclaim.c common/vm/vmclaim.h \
	common/vm/vmlaunch.c common/vm/vmlaunch.h \
	common/vm/console-relay.c common/vm/console-relay.h \
	common/vm/control-client.c common/vm/control-client.h \
	common/vm/vmstats.c common/vm/vmstats.h common/vm/vmquery.c \
	common/vm/install.h common/vm/install-internal.h common/vm/install-plan.c common/vm/install-run.c \
	common/vm/lifecycle.c common/vm/lifecycle.h common/vm/clone.c common/vm/clone.h

vm_unit_tests = tests/unit/test-vmdef tests/unit/test-statedir tests/unit/test-undo \
	tests/unit/test-vmlaunch tests/unit/test-vmstats tests/unit/test-install-plan
check_PROGRAMS += $(vm_unit_tests)
TESTS += $(vm_unit_tests)

tests_unit_test_vmdef_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmdef_LDADD = $(UNIT_LIBS)
tests_unit_test_statedir_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_statedir_LDADD = $(UNIT_LIBS)
tests_unit_test_undo_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_undo_LDADD = $(UNIT_LIBS)
tests_unit_test_vmlaunch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmlaunch_LDADD = $(UNIT_LIBS)
tests_unit_test_install_plan_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_install_plan_LDADD = $(UNIT_LIBS)
tests_unit_test_vmstats_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmstats_LDADD = $(UNIT_LIBS)
