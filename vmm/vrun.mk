# vmm/vrun.mk - build fragment (see Makefile.am); owned by the vrun area

bin_PROGRAMS += vmm/vrun
noinst_LIBRARIES += vmm/libvmm.a
vmm_libvmm_a_CFLAGS = $(VKIT_CFLAGS)
vmm_libvmm_a_SOURCES = \
	vmm/bus.c vmm/bus.h \
	vmm/guest-memory.c vmm/guest-memory.h \
	vmm/irq.c vmm/irq.h \
	vmm/machine.c vmm/machine.h \
	vmm/vcpu.c \
	vmm/console.c vmm/console.h \
	vmm/x86/cpu.h vmm/x86/cpuid.c vmm/x86/cpu-reset.c \
	vmm/x86/boot.h vmm/x86/bzimage.c vmm/x86/e820.c vmm/x86/mptable.c vmm/x86/linux.c \
	vmm/devices/legacy.h vmm/devices/serial.c vmm/devices/i8042.c \
	vmm/devices/rtc.c vmm/devices/testdev.c
vmm_vrun_SOURCES = vmm/vrun.c vmm/vrun-devices.c vmm/vrun-devices.h
vmm_vrun_CFLAGS = $(VKIT_CFLAGS)
# Only what vrun uses: every shared library loaded costs start-up time.
vmm_vrun_LDADD = vmm/libvkfw.a vmm/libvkmgmt.a vmm/libvkdev.a vmm/libvmm.a common/libvkit.a \
	$(POPT_LIBS) $(JSONC_LIBS) $(ZLIB_LIBS)
dist_man1_MANS += vmm/vrun.1

# Tiny guests: raw 64 KiB firmware images (GNU as, .code16/.code32), run with
# vrun --bios by tests/vmm/tiny-guests.sh and bench/bench-exit.
VK_GUEST_BINS = tests/vmm/guests/hello.bin tests/vmm/guests/io.bin \
	tests/vmm/guests/reset.bin tests/vmm/guests/triple.bin tests/vmm/guests/reboot.bin \
	tests/vmm/guests/halt.bin tests/vmm/guests/exits-1k.bin \
	tests/vmm/guests/exits-100k.bin tests/vmm/guests/cdrom.bin
VK_GUEST_SRCS = tests/vmm/guests/guest.h tests/vmm/guests/hello.S \
	tests/vmm/guests/io.S tests/vmm/guests/reset.S tests/vmm/guests/triple.S tests/vmm/guests/reboot.S \
	tests/vmm/guests/halt.S tests/vmm/guests/exits.S \
	tests/vmm/guests/c-entry.S tests/vmm/guests/c-guest.ld tests/vmm/guests/cdrom.c
EXTRA_DIST += $(VK_GUEST_SRCS)
CLEANFILES += $(VK_GUEST_BINS)
VK_GUEST_AS = $(CC) -m32 -c -I$(top_srcdir)/tests/vmm/guests
VK_GUEST_LINK = ld -m elf_i386 -Ttext=0 --oformat=binary -o

tests/vmm/guests/hello.bin: tests/vmm/guests/hello.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/hello.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/io.bin: tests/vmm/guests/io.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/io.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/reset.bin: tests/vmm/guests/reset.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/reset.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/triple.bin: tests/vmm/guests/triple.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/triple.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/reboot.bin: tests/vmm/guests/reboot.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/reboot.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/halt.bin: tests/vmm/guests/halt.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -o $@.o $(srcdir)/tests/vmm/guests/halt.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/exits-1k.bin: tests/vmm/guests/exits.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -DCOUNT=1000 -o $@.o $(srcdir)/tests/vmm/guests/exits.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o
tests/vmm/guests/exits-100k.bin: tests/vmm/guests/exits.S tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(VK_GUEST_AS) -DCOUNT=100000 -o $@.o $(srcdir)/tests/vmm/guests/exits.S && \
	$(VK_GUEST_LINK) $@ $@.o && rm -f $@.o

# Tiny guests written in C: c-entry.S takes the reset vector to flat 32-bit
# protected mode and calls guest_main(); c-guest.ld lays out the 64 KiB image.
VK_C_GUEST_CFLAGS = -m32 -march=i686 -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-asynchronous-unwind-tables -mgeneral-regs-only -Os -Wall -Wextra \
	-I$(top_srcdir)/tests/vmm/guests
tests/vmm/guests/cdrom.bin: tests/vmm/guests/cdrom.c tests/vmm/guests/c-entry.S \
		tests/vmm/guests/c-guest.ld tests/vmm/guests/guest.h
	$(AM_V_GEN)$(MKDIR_P) tests/vmm/guests && \
	$(CC) $(VK_C_GUEST_CFLAGS) -c -o $@.o $(srcdir)/tests/vmm/guests/cdrom.c && \
	$(VK_GUEST_AS) -o $@.entry.o $(srcdir)/tests/vmm/guests/c-entry.S && \
	ld -m elf_i386 -T $(srcdir)/tests/vmm/guests/c-guest.ld --oformat=binary -o $@ $@.entry.o $@.o && \
	rm -f $@.o $@.entry.o

TESTS += tests/vmm/tiny-guests.sh
dist_noinst_SCRIPTS += tests/vmm/tiny-guests.sh
tests/vmm/tiny-guests.log: vmm/vrun $(VK_GUEST_BINS)

# Unit tests of the machine core (cmocka); the legacy-device test fakes
# vk_irq_set_level and vk_machine_stop, so it links no KVM code.
VK_VMM_UNIT_TESTS = tests/unit/test-guest-memory tests/unit/test-bus \
	tests/unit/test-x86-boot tests/unit/test-legacy-devices
check_PROGRAMS += $(VK_VMM_UNIT_TESTS)
TESTS += $(VK_VMM_UNIT_TESTS)
tests_unit_test_guest_memory_SOURCES = tests/unit/test-guest-memory.c
tests_unit_test_guest_memory_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_guest_memory_LDADD = vmm/libvmm.a $(UNIT_LIBS)
tests_unit_test_bus_SOURCES = tests/unit/test-bus.c
tests_unit_test_bus_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_bus_LDADD = vmm/libvmm.a $(UNIT_LIBS)
tests_unit_test_x86_boot_SOURCES = tests/unit/test-x86-boot.c
tests_unit_test_x86_boot_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_x86_boot_LDADD = vmm/libvmm.a $(UNIT_LIBS)
tests_unit_test_legacy_devices_SOURCES = tests/unit/test-legacy-devices.c
tests_unit_test_legacy_devices_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_legacy_devices_LDADD = vmm/libvmm.a $(UNIT_LIBS)

# The exit-loop benchmark: needs /dev/kvm (exits 77 without), run by hand:
#   make bench/bench-exit tests/vmm/guests/exits-1k.bin tests/vmm/guests/exits-100k.bin && bench/bench-exit
noinst_PROGRAMS += bench/bench-exit
bench_bench_exit_SOURCES = bench/bench-exit.c
bench_bench_exit_CFLAGS = $(VKIT_CFLAGS)

TESTS += tests/vmm/vrun-options.sh
dist_noinst_SCRIPTS += tests/vmm/vrun-options.sh
tests/vmm/vrun-options.log: vmm/vrun

# vrun's device table (vmm/vrun-devices.c): its entries and the options it
# builds, without creating devices (so the test links what vrun links).
check_PROGRAMS += tests/unit/test-vrun-devices
TESTS += tests/unit/test-vrun-devices
tests_unit_test_vrun_devices_SOURCES = tests/unit/test-vrun-devices.c vmm/vrun-devices.c vmm/vrun-devices.h
tests_unit_test_vrun_devices_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_vrun_devices_LDADD = vmm/libvkfw.a vmm/libvkmgmt.a vmm/libvkdev.a vmm/libvmm.a \
	common/libvkit.a $(POPT_LIBS) $(JSONC_LIBS) $(ZLIB_LIBS) $(UNIT_LIBS)
