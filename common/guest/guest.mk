# common/guest/guest.mk - build fragment (see Makefile.am): what vkit reads and changes inside a guest's disks (boot files, identity, config files)
common_libvkit_a_SOURCES += common/guest/bootinspect.c common/guest/bootinspect.h \
	common/guest/identity.c common/guest/identity.h \
	common/guest/shellvars.c common/guest/shellvars.h

check_PROGRAMS += tests/unit/test-shellvars
TESTS += tests/unit/test-shellvars
tests_unit_test_shellvars_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_shellvars_LDADD = $(UNIT_LIBS)
