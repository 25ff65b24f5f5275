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
