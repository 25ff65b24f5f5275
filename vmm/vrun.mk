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
	vmm/x86/cpu.h vmm/x86/cpuid.c \
	vmm/x86/boot.h vmm/x86/bzimage.c vmm/x86/e820.c vmm/x86/mptable.c vmm/x86/linux.c \
	vmm/devices/legacy.h vmm/devices/serial.c vmm/devices/i8042.c \
	vmm/devices/rtc.c vmm/devices/testdev.c
vmm_vrun_SOURCES = vmm/vrun.c
vmm_vrun_CFLAGS = $(VKIT_CFLAGS)
vmm_vrun_LDADD = vmm/libvmm.a $(VKIT_LIBS)
