# vmm/harden.mk - build fragment (see Makefile.am); owned by the hardening area:
# vrun's seccomp filters, the privilege drop, the capped console log.

vmm_libvmm_a_SOURCES += vmm/seccomp.c vmm/seccomp.h vmm/privdrop.c vmm/privdrop.h \
	vmm/console-log.c vmm/console-log.h
vmm_libvmm_a_CFLAGS += $(SECCOMP_CFLAGS)
vmm_vrun_LDADD += $(SECCOMP_LIBS)

# Each seccomp case forks a child that enters a thread kind's filter, so a
# kill shows as SIGSYS in the parent; no /dev/kvm is needed.
HARDEN_UNIT_TESTS = tests/unit/test-seccomp tests/unit/test-privdrop tests/unit/test-console-log
check_PROGRAMS += $(HARDEN_UNIT_TESTS)
TESTS += $(HARDEN_UNIT_TESTS)
tests_unit_test_seccomp_SOURCES = tests/unit/test-seccomp.c
tests_unit_test_seccomp_CFLAGS = $(UNIT_CFLAGS) $(SECCOMP_CFLAGS)
tests_unit_test_seccomp_LDADD = vmm/libvkmgmt.a vmm/libvmm.a $(UNIT_LIBS) $(SECCOMP_LIBS)
tests_unit_test_privdrop_SOURCES = tests/unit/test-privdrop.c
tests_unit_test_privdrop_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_privdrop_LDADD = vmm/libvmm.a $(UNIT_LIBS)
tests_unit_test_console_log_SOURCES = tests/unit/test-console-log.c
tests_unit_test_console_log_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_console_log_LDADD = vmm/libvmm.a $(UNIT_LIBS) $(SECCOMP_LIBS)

# The real device models (image layer included) on I/O threads inside the
# I/O filter, and their teardown inside the main filter; fake machine.
check_PROGRAMS += tests/unit/test-sandbox-devices
TESTS += tests/unit/test-sandbox-devices
tests_unit_test_sandbox_devices_SOURCES = tests/unit/test-sandbox-devices.c $(DEVICE_TEST_FAKES)
tests_unit_test_sandbox_devices_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sandbox_devices_LDADD = vmm/libvkdev.a vmm/libvmm.a $(UNIT_LIBS) $(SECCOMP_LIBS)

# A guest that floods its serial port, for the capped console log under KVM
# (tests/vmm/tiny-guests.sh).
VK_GUEST_BINS += tests/vmm/guests/flood.bin
EXTRA_DIST += tests/vmm/guests/flood.S
CLEANFILES += tests/vmm/guests/flood.bin
tests/vmm/guests/flood.bin: tests/vmm/guests/flood.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/flood.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/tiny-guests.log: tests/vmm/guests/flood.bin

# A real Linux guest under the filters (disks, network, console flood,
# --user), inside L1 (tests/sandbox/enter-l1.sh; skips without the sandbox).
TESTS += tests/vmm/hardening-l2.sh
dist_noinst_SCRIPTS += tests/vmm/hardening-l2.sh
tests/vmm/hardening-l2.log: vmm/vrun
