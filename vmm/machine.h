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

	/* Pausing (vk_vcpus_pause): vCPU threads wait in userspace. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond;	/* n_paused changed, resume, or stop */
	atomic_bool pause_requested;
	unsigned n_paused;

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
/* CPU time the vCPU's thread has used, in ns; -errno when it is not running. */
int64_t vk_vcpu_cpu_time_ns(struct vk_vcpu *v);

/* irq.c: the default GSI routing (ISA IRQs to PIC and IOAPIC), set at init. */
int vk_irq_init(struct vk_machine *m);
void vk_irq_free(struct vk_machine *m);

#endif
