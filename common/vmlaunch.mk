# common/vmlaunch.mk - build fragment (see Makefile.am): starting vrun for a definition and relaying its console (vinstall, vctl)
common_libvkit_a_SOURCES += common/vmlaunch.c common/vmlaunch.h \
	common/console-relay.c common/console-relay.h

check_PROGRAMS += tests/unit/test-vmlaunch
TESTS += tests/unit/test-vmlaunch
tests_unit_test_vmlaunch_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vmlaunch_LDADD = $(UNIT_LIBS)
