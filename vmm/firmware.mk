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

# The boot order, shared by vrun and the tools (common/vm/bootorder.h).
common_libvkit_a_SOURCES += common/vm/bootorder.c common/vm/bootorder.h
check_PROGRAMS += tests/unit/test-bootorder
TESTS += tests/unit/test-bootorder
tests_unit_test_bootorder_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bootorder_LDADD = $(UNIT_LIBS)

# What vrun tells the firmware: fw_cfg items, CMOS, ACPI through the table
# loader, SMBIOS, option ROMs.  Linked into vrun before libvkmgmt (ACPI).
noinst_LIBRARIES += vmm/libvkfw.a
vmm_libvkfw_a_CFLAGS = $(VKIT_CFLAGS)
vmm_libvkfw_a_SOURCES = vmm/x86/firmware.c vmm/x86/firmware.h vmm/x86/smbios.c
vmm_libvmm_a_SOURCES += vmm/devices/debugcon.c
check_PROGRAMS += tests/unit/test-firmware
TESTS += tests/unit/test-firmware
tests_unit_test_firmware_SOURCES = tests/unit/test-firmware.c
tests_unit_test_firmware_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_firmware_LDADD = vmm/libvkfw.a vmm/libvkmgmt.a vmm/libvmm.a $(UNIT_LIBS)

# Tiny guests for the firmware interface (tests/vmm/firmware-guests.sh):
# fwcfg.bin runs as --bios like the others; the mbr-*.bin boot sectors are
# booted by SeaBIOS from a disk.
VK_FW_GUEST_BINS = tests/vmm/guests/fwcfg.bin tests/vmm/guests/mbr-a.bin \
	tests/vmm/guests/mbr-b.bin tests/vmm/guests/mbr-reset.bin
EXTRA_DIST += tests/vmm/guests/fwcfg.S tests/vmm/guests/mbr.S
CLEANFILES += $(VK_FW_GUEST_BINS)
check_SCRIPTS += $(VK_FW_GUEST_BINS)
VK_MBR_LINK = ld -m elf_i386 -Ttext=0x7c00 --oformat=binary -o

tests/vmm/guests/fwcfg.bin: tests/vmm/guests/fwcfg.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/fwcfg.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/mbr-a.bin: tests/vmm/guests/mbr.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -DMARK='"vkit boot sector A"' -DEND=0 -o $@.o $(srcdir)/tests/vmm/guests/mbr.S && \
	$(VK_MBR_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/mbr-b.bin: tests/vmm/guests/mbr.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -DMARK='"vkit boot sector B"' -DEND=0 -o $@.o $(srcdir)/tests/vmm/guests/mbr.S && \
	$(VK_MBR_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/mbr-reset.bin: tests/vmm/guests/mbr.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -DMARK='"vkit boot sector resets"' -DEND=1 -o $@.o $(srcdir)/tests/vmm/guests/mbr.S && \
	$(VK_MBR_LINK) $@ $@.o && rm -f $@.o

TESTS += tests/vmm/firmware-guests.sh
dist_noinst_SCRIPTS += tests/vmm/firmware-guests.sh tests/vmm/mkgrubdisk.sh
tests/vmm/firmware-guests.log: vmm/vrun $(VK_FW_GUEST_BINS)

# End to end in the nested sandbox: SeaBIOS, GRUB 2 and Debian's kernel
# from a disk; a kernel upgrade; --pxe with dnsmasq (tests/sandbox/firmware.sh).
TESTS += tests/sandbox/firmware.sh
dist_noinst_SCRIPTS += tests/sandbox/firmware.sh
tests/sandbox/firmware.log: vmm/vrun

# Start to the boot loader's first output, vrun against QEMU (run by hand,
# in the nested sandbox: bench/bench-firmware.sh).
noinst_PROGRAMS += bench/bench-firmware
bench_bench_firmware_SOURCES = bench/bench-firmware.c
bench_bench_firmware_CFLAGS = $(VKIT_CFLAGS)
dist_noinst_SCRIPTS += bench/bench-firmware.sh
