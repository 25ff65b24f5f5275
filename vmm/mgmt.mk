# vmm/mgmt.mk - build fragment (see Makefile.am); owned by the mgmt area

# ACPI (tables, AML, fixed hardware) and the control socket of vrun
# (docs/control.md); linked into vrun before libvkdev and libvmm.
noinst_LIBRARIES += vmm/libvkmgmt.a
vmm_libvkmgmt_a_CFLAGS = $(VKIT_CFLAGS)
vmm_libvkmgmt_a_SOURCES = \
	vmm/x86/aml.c vmm/x86/aml.h vmm/x86/acpi.c vmm/x86/acpi.h \
	vmm/devices/acpi-pm.c vmm/devices/acpi-pm.h \
	vmm/control.c vmm/control.h vmm/mgmt.c vmm/mgmt.h

# Unit tests: tables, AML and PM registers (machine faked), the control
# protocol and client over socketpairs and sockets (no KVM).
VK_MGMT_UNIT_TESTS = tests/unit/test-acpi tests/unit/test-control
check_PROGRAMS += $(VK_MGMT_UNIT_TESTS)
TESTS += $(VK_MGMT_UNIT_TESTS)
tests_unit_test_acpi_SOURCES = tests/unit/test-acpi.c
tests_unit_test_acpi_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_acpi_LDADD = vmm/libvkmgmt.a vmm/libvmm.a $(UNIT_LIBS)
tests_unit_test_control_SOURCES = tests/unit/test-control.c
tests_unit_test_control_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_control_LDADD = vmm/libvkmgmt.a $(UNIT_LIBS)

# Tiny guests for the control socket and ACPI (tests/vmm/mgmt-guests.sh).
VK_MGMT_GUEST_BINS = tests/vmm/guests/count.bin tests/vmm/guests/button.bin \
	tests/vmm/guests/acpi-off.bin tests/vmm/guests/acpi-reset.bin
EXTRA_DIST += tests/vmm/guests/count.S tests/vmm/guests/button.S \
	tests/vmm/guests/acpi-off.S tests/vmm/guests/acpi-reset.S
CLEANFILES += $(VK_MGMT_GUEST_BINS)
check_SCRIPTS += $(VK_MGMT_GUEST_BINS)

tests/vmm/guests/count.bin: tests/vmm/guests/count.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/count.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/button.bin: tests/vmm/guests/button.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/button.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/acpi-off.bin: tests/vmm/guests/acpi-off.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/acpi-off.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/acpi-reset.bin: tests/vmm/guests/acpi-reset.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/acpi-reset.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o

# The control socket from the shell: one request, the reply or one field.
check_PROGRAMS += tests/vmm/vk-control
tests_vmm_vk_control_SOURCES = tests/vmm/vk-control.c
tests_vmm_vk_control_CFLAGS = $(VKIT_CFLAGS)
tests_vmm_vk_control_LDADD = $(VKIT_LIBS)

TESTS += tests/vmm/mgmt-guests.sh
dist_noinst_SCRIPTS += tests/vmm/mgmt-guests.sh
tests/vmm/mgmt-guests.log: vmm/vrun tools/vclone tests/vmm/vk-control $(VK_MGMT_GUEST_BINS)

# In the nested sandbox (skips without it, tests/sandbox/enter-l1.sh): the
# tiny guests above and a Linux guest managed over the control socket.
TESTS += tests/sandbox/mgmt.sh
dist_noinst_SCRIPTS += tests/sandbox/mgmt.sh
dist_noinst_DATA += tests/sandbox/mgmt-l2-init
tests/sandbox/mgmt.log: vmm/vrun tests/vmm/vk-control $(VK_MGMT_GUEST_BINS)
