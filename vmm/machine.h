/* machine.h - one KVM virtual machine: the VM and vCPU file descriptors, guest RAM, buses, interrupts. */
#ifndef VK_MACHINE_H
#define VK_MACHINE_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/guest-memory.h"

/*
 * Guest-physical layout (x86):
 *   [0, min(RAM, 3 GiB))          RAM (low)
 *   [3 GiB, 4 GiB)                PCI hole: PCI MMIO window, IOAPIC, LAPIC,
 *                                 the vkit test device, the firmware (--bios)
 *   [4 GiB, 4 GiB + RAM - 3 GiB)  RAM above 3 GiB (high)
 */
#define VK_PCI_HOLE_START	0xC0000000ull
#define VK_4GIB			0x100000000ull
#define VK_IOAPIC_BASE		0xFEC00000ull
#define VK_LAPIC_BASE		0xFEE00000ull
#define VK_IOAPIC_PINS		24
#define VK_MAX_CPUS		64

/* Exit statuses of vrun (documented in vrun.1). */
#define VK_EXIT_POWEROFF	0
#define VK_EXIT_ERROR		1
#define VK_EXIT_REBOOT		2

struct vk_machine;

/* Why KVM_RUN returned, as counted per vCPU (the control socket's stats). */
enum vk_vcpu_exit_kind {
	VK_VCPU_EXIT_IO,
	VK_VCPU_EXIT_MMIO,
	VK_VCPU_EXIT_INTR,		/* a signal (kick) or KVM_EXIT_INTR */
	VK_VCPU_EXIT_SHUTDOWN,
	VK_VCPU_EXIT_SYSTEM_EVENT,
	VK_VCPU_EXIT_INTERNAL_ERROR,
	VK_VCPU_EXIT_FAIL_ENTRY,
	VK_VCPU_EXIT_OTHER,
	VK_VCPU_EXIT_KINDS
};
/* "io", "mmio", ...: the names the stats use. */
extern const char *const vk_vcpu_exit_names[VK_VCPU_EXIT_KINDS];

/* What asked for a reset of the machine (vk_machine_request_reset). */
enum vk_reset_cause {
	VK_RESET_ACPI,			/* the FADT's reset register */
	VK_RESET_I8042,			/* the keyboard controller's reset pulse */
	VK_RESET_PIIX,			/* the PIIX3's reset control register, port 0xCF9 */
	VK_RESET_SYSTEM_EVENT,		/* KVM_SYSTEM_EVENT_RESET */
	VK_RESET_CONTROL,		/* the control socket's reset command */
	VK_RESET_POWEROFF_REBOOT,	/* the guest powered off after the control socket's reboot */
};
/* "ACPI reset", "keyboard controller reset", ...: the log's words. */
const char *vk_reset_cause_name(enum vk_reset_cause cause);

/* Why a vCPU thread stays out of the guest (bits of vk_machine.park). */
#define VK_PARK_PAUSE		1u	/* vk_vcpus_pause() */
#define VK_PARK_RESET		2u	/* a reset is pending or under way */

struct vk_vcpu_state;

struct vk_vcpu {
	struct vk_machine *m;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	atomic_bool probe;		/* the main thread asks: are you dead-halted? */
	atomic_bool dead_halted;	/* HLT (or never started) with interrupts off */
	atomic_int tid;			/* the thread's id, once it runs */
	struct vk_vcpu_state *power_on;	/* what a reset puts back (x86/cpu-reset.c) */
	/* Written by this vCPU's thread alone with plain (relaxed) loads and
	 * stores, no lock and no read-modify-write; readers see a recent value. */
	_Atomic uint64_t exits[VK_VCPU_EXIT_KINDS];
};

struct vk_machine {
	int kvm_fd, vm_fd;
	int run_size;
	bool pvm;			/* KVM is PVM: ordinary guests are emulated */

	struct vk_guest_memory mem;
	uint8_t *ram;			/* one mapping, split into low/high slots */
	uint64_t ram_size;
	uint8_t *firmware;		/* --bios image mapping, or NULL */
	uint64_t firmware_size;
	unsigned next_slot;

	struct vk_bus pio, mmio;

	unsigned ncpus;
	struct vk_vcpu *vcpus;
	struct kvm_cpuid2 *cpuid;	/* what KVM supports; patched per vCPU */

	/* Interrupt routing (irq.c): the whole table is handed to KVM on change. */
	pthread_mutex_t irq_lock;
	struct kvm_irq_routing *routing;
	unsigned routing_cap;
	uint64_t msi_gsi_used;		/* bit n: GSI VK_IOAPIC_PINS + n is an MSI route */

	/* Parking (pause, reset): vCPU threads wait in userspace while any
	 * VK_PARK_* bit is set. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;	/* n_paused changed, unparked, or stop */
	atomic_uint park;
	unsigned n_paused;

	/* Reset in place (vk_machine_request_reset): the first request wins
	 * until the main thread has done it. */
	bool no_reboot;			/* --no-reboot: a reset stops the machine instead */
	atomic_bool reset_pending;
	atomic_int reset_cause;		/* an enum vk_reset_cause, valid while reset_pending */
	int reset_efd;			/* becomes readable when a reset is pending */
	/* The control socket's reboot pressed the power button: the guest's
	 * power-off that follows is turned into a reset (once). */
	atomic_bool reboot_at_poweroff;
	struct vk_irqchip_state *irqchip_power_on;	/* PIC, IOAPIC and PIT as created */

	/* Stopping: the first vk_machine_stop() wins. */
	atomic_int stop_status;		/* -1 while running */
	int stop_efd;			/* becomes readable when stopping */
	char stop_reason[2048];
};

/* Open /dev/kvm, check what we need, create the VM with irqchip and PIT and
 * ram_mib MiB of RAM.  ncpus vCPUs are created by vk_vcpus_create(). */
int vk_machine_init(struct vk_machine *m, uint64_t ram_mib, unsigned ncpus);
/* Map a raw firmware image at the top of 4 GiB, read-only where KVM can
 * (writes are dropped, as to QEMU's ROM), and copy its last 128 KiB into
 * RAM at 0xE0000 (writable there, unlike QEMU's read-only alias). */
int vk_machine_load_firmware(struct vk_machine *m, const char *path);
/* The BIOS area below 1 MiB as at power-on: 0xC0000-0xDFFFF empty (the
 * firmware copies option ROMs there), 0xE0000-0xFFFFF the firmware image's
 * last 128 KiB again (the copy the firmware ran from, and marked as
 * having run, in the last boot).  For a reset. */
int vk_machine_restore_bios_area(struct vk_machine *m);
/* A reset of the whole machine, asked for by the guest (any thread): the
 * main thread parks the vCPUs and resets them and every device, then the
 * machine boots again (docs/vmm.md, "Reset in place").  With no_reboot set
 * the machine stops instead, with VK_EXIT_REBOOT. */
void vk_machine_request_reset(struct vk_machine *m, enum vk_reset_cause cause);
/* A reboot from outside, as virsh reboot does it with ACPI: the power
 * button is pressed by the caller, and the guest's next power-off
 * (vk_machine_stop with VK_EXIT_POWEROFF) becomes a reset in place, or
 * the exit status VK_EXIT_REBOOT under --no-reboot. */
void vk_machine_reboot_at_poweroff(struct vk_machine *m);
/* The pending reset's cause (main thread, after reset_efd fired): true
 * when there is one. */
bool vk_machine_reset_pending(struct vk_machine *m, enum vk_reset_cause *cause);
/* The main thread has reset everything: the vCPUs may run again. */
void vk_machine_reset_done(struct vk_machine *m);
/* Ask every thread to stop; the status and reason of the first call are kept. */
void vk_machine_stop(struct vk_machine *m, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
bool vk_machine_stopping(const struct vk_machine *m);
void vk_machine_free(struct vk_machine *m);

/* True when KVM on this host is PVM (no vmx/svm, kvm_pvm loaded). */
bool vk_host_is_pvm(void);

/* vcpu.c */
int vk_vcpus_create(struct vk_machine *m);
int vk_vcpus_start(struct vk_machine *m);
/* Kick every vCPU out of KVM_RUN; probe asks them to report dead halts. */
void vk_vcpus_kick(struct vk_machine *m, bool probe);
/* True once every vCPU answered a probe as dead-halted. */
bool vk_vcpus_all_dead_halted(struct vk_machine *m);
void vk_vcpus_join(struct vk_machine *m);
/* Take every running vCPU out of the guest and keep it out until
 * vk_vcpus_resume(); returns once all are parked (0), -ESHUTDOWN when the
 * machine stops meanwhile, -ETIMEDOUT when some vCPU did not park within
 * 5 s (the pause stays requested).  Devices' I/O threads keep running. */
int vk_vcpus_pause(struct vk_machine *m);
void vk_vcpus_resume(struct vk_machine *m);
bool vk_vcpus_paused(struct vk_machine *m);
/* Park every vCPU for a reset (VK_PARK_RESET, set by the request): as
 * vk_vcpus_pause(), but each vCPU first completes the I/O it exited for,
 * so that nothing of the old run lands on the reset state. */
int vk_vcpus_park_for_reset(struct vk_machine *m);
/* True while any vCPU is kept out of the guest (pause or reset). */
bool vk_vcpus_parked(struct vk_machine *m);
/* CPU time the vCPU's thread has used, in ns; -errno when it is not running. */
int64_t vk_vcpu_cpu_time_ns(struct vk_vcpu *v);

/* x86/cpu-reset.c: the power-on state of every vCPU and of the in-kernel
 * PIC, IOAPIC and PIT, saved by vk_vcpus_create() before any vCPU runs,
 * and put back (with the vCPUs parked) by a reset. */
int vk_machine_save_power_on(struct vk_machine *m);
int vk_machine_restore_power_on(struct vk_machine *m);
void vk_machine_free_power_on(struct vk_machine *m);

/* irq.c: the default GSI routing (ISA IRQs to PIC and IOAPIC), set at init. */
int vk_irq_init(struct vk_machine *m);
void vk_irq_free(struct vk_machine *m);

#endif
