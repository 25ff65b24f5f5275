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
