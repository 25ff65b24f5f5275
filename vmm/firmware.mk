# vmm/firmware.mk - build fragment (see Makefile.am); owned by the firmware area
#
# fw_cfg, the device SeaBIOS reads its configuration from, is a machine
# device like the UART (vmm/libvmm.a).

vmm_libvmm_a_SOURCES += vmm/devices/fw_cfg.c vmm/devices/fw_cfg.h

VK_FW_UNIT_TESTS = tests/unit/test-fw-cfg
check_PROGRAMS += $(VK_FW_UNIT_TESTS)
TESTS += $(VK_FW_UNIT_TESTS)
tests_unit_test_fw_cfg_SOURCES = tests/unit/test-fw-cfg.c
tests_unit_test_fw_cfg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_fw_cfg_LDADD = vmm/libvmm.a $(UNIT_LIBS)

# The i440FX/PIIX3 identities on the PCI bus (vmm/devices.h).
vmm_libvkdev_a_SOURCES += vmm/pc-chipset.c
VK_FW_UNIT_TESTS += tests/unit/test-pc-chipset
check_PROGRAMS += tests/unit/test-pc-chipset
TESTS += tests/unit/test-pc-chipset
tests_unit_test_pc_chipset_SOURCES = tests/unit/test-pc-chipset.c tests/unit/fake-image.c \
	tests/unit/fake-ids.c $(DEVICE_TEST_FAKES)
tests_unit_test_pc_chipset_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_pc_chipset_LDADD = $(DEVICE_TEST_LIBS)
