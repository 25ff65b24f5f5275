/* vcpu.c - vCPU threads and the exit loop: one switch on exit_reason, dispatch to the buses. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"
#include "vmm/machine.h"
#include "vmm/seccomp.h"
#include "vmm/x86/cpu.h"

#define VCPU_KICK_SIGNAL	SIGUSR1
#define RFLAGS_IF		(1ull << 9)

static void kick_handler(int sig)
{
	(void)sig;	/* only there so KVM_RUN returns EINTR */
}

int vk_vcpus_create(struct vk_machine *m)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	int rc;

	sigemptyset(&sa.sa_mask);
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return vk_error(errno, "sigaction");
	rc = vk_cpuid_init(m);
	if (rc < 0)
		return rc;
	m->vcpus = calloc(m->ncpus, sizeof(*m->vcpus));
	if (!m->vcpus)
		return vk_error(ENOMEM, "vCPUs");
	for (unsigned i = 0; i < m->ncpus; i++) {
		struct vk_vcpu *v = &m->vcpus[i];

		v->m = m;
		v->id = i;
		v->fd = ioctl(m->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (v->fd < 0)
			return vk_error(errno, "KVM_CREATE_VCPU %u", i);
		v->run = mmap(NULL, (size_t)m->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (v->run == MAP_FAILED) {
			v->run = NULL;
			return vk_error(errno, "vCPU %u: mmap kvm_run", i);
		}
		rc = vk_cpuid_apply(v);
		if (rc == 0)
			rc = vk_msrs_init(v);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int dump_registers(struct vk_vcpu *v, char *buf, size_t size)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return snprintf(buf, size, " (registers unavailable: %s)", strerror(errno));
	return snprintf(buf, size,
			"\n  rip %016llx rsp %016llx rflags %016llx\n"
			"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
			"  rsi %016llx rdi %016llx rbp %016llx\n"
			"  cs %04x (base %llx) ss %04x cr0 %llx cr3 %llx cr4 %llx efer %llx",
			r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
			s.cs.selector, s.cs.base, s.ss.selector, s.cr0, s.cr3, s.cr4, s.efer);
}

static void stop_with_registers(struct vk_vcpu *v, const char *what)
{
	char regs[1024];

	dump_registers(v, regs, sizeof(regs));
	vk_machine_stop(v->m, VK_EXIT_ERROR, "vCPU %u: %s%s", v->id, what, regs);
}

static void handle_io(struct vk_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	/* rep ins/outs come as count items of size bytes, back to back. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size)
		vk_bus_dispatch(&v->m->pio, run->io.port, data, run->io.size, is_write);
}

/* A vCPU halted with interrupts off (or never started by a SIPI) can only be
 * woken by an NMI nobody sends: that is how Linux ends "poweroff" without
 * ACPI, and how tiny guests stop. */
static void answer_probe(struct vk_vcpu *v)
{
	struct kvm_mp_state mp;
	struct kvm_regs r;
	bool dead = false;

	if (ioctl(v->fd, KVM_GET_MP_STATE, &mp) == 0) {
		if (mp.mp_state == KVM_MP_STATE_UNINITIALIZED || mp.mp_state == KVM_MP_STATE_INIT_RECEIVED)
			dead = true;
		else if (mp.mp_state == KVM_MP_STATE_HALTED && ioctl(v->fd, KVM_GET_REGS, &r) == 0)
			dead = !(r.rflags & RFLAGS_IF);
	}
	atomic_store(&v->dead_halted, dead);
}

static void handle_system_event(struct vk_vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vk_machine_stop(v->m, VK_EXIT_POWEROFF, "guest powered off");
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vk_machine_stop(v->m, VK_EXIT_REBOOT, "guest rebooted");
		break;
	default:
		vk_machine_stop(v->m, VK_EXIT_ERROR, "vCPU %u: system event %u", v->id,
				v->run->system_event.type);
	}
}

static void run_loop(struct vk_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vk_machine *m = v->m;
	char what[128];

	while (!vk_machine_stopping(m)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				vk_machine_stop(m, VK_EXIT_ERROR, "vCPU %u: KVM_RUN: %s", v->id, strerror(errno));
				return;
			}
			if (atomic_exchange(&v->probe, false))
				answer_probe(v);
			continue;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(v);
			break;
		case KVM_EXIT_MMIO:
			vk_bus_dispatch(&m->mmio, run->mmio.phys_addr, run->mmio.data,
					run->mmio.len, run->mmio.is_write);
			break;
		case KVM_EXIT_INTR:
			if (atomic_exchange(&v->probe, false))
				answer_probe(v);
			break;
		case KVM_EXIT_SHUTDOWN:
			stop_with_registers(v, "the guest triple-faulted (KVM_EXIT_SHUTDOWN); "
					       "a Linux guest booted with reboot=t reboots this way, use reboot=k");
			return;
		case KVM_EXIT_SYSTEM_EVENT:
			handle_system_event(v);
			return;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(what, sizeof(what), "KVM internal error, suberror %u", run->internal.suberror);
			stop_with_registers(v, what);
			return;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(what, sizeof(what), "KVM could not enter the guest, reason 0x%llx",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			stop_with_registers(v, what);
			return;
		default:
			snprintf(what, sizeof(what), "unexpected KVM exit reason %u", run->exit_reason);
			stop_with_registers(v, what);
			return;
		}
	}
}

static void *vcpu_thread(void *arg)
{
	struct vk_vcpu *v = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (vk_sandbox_enter(VK_THREAD_VCPU) == 0)	/* on failure the machine is stopped */
		run_loop(v);
	return NULL;
}

int vk_vcpus_start(struct vk_machine *m)
{
	sigset_t set, old;
	int rc = 0;

	/* Only vCPU threads take the kick signal; they unblock it themselves. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	vk_bus_seal(&m->pio);
	vk_bus_seal(&m->mmio);
	for (unsigned i = 0; i < m->ncpus; i++) {
		rc = -pthread_create(&m->vcpus[i].thread, NULL, vcpu_thread, &m->vcpus[i]);
		if (rc < 0) {
			vk_error(-rc, "vCPU %u thread", i);
			break;
		}
		m->vcpus[i].thread_started = true;
	}
	return rc;
}

void vk_vcpus_kick(struct vk_machine *m, bool probe)
{
	for (unsigned i = 0; i < m->ncpus; i++) {
		struct vk_vcpu *v = &m->vcpus[i];

		if (!v->thread_started)
			continue;
		if (probe) {
			atomic_store(&v->dead_halted, false);
			atomic_store(&v->probe, true);
		} else {
			/* Never enter the guest again, even if the signal lands
			 * between the stop check and KVM_RUN. */
			v->run->immediate_exit = 1;
		}
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
}

bool vk_vcpus_all_dead_halted(struct vk_machine *m)
{
	for (unsigned i = 0; i < m->ncpus; i++)
		if (!atomic_load(&m->vcpus[i].dead_halted))
			return false;
	return m->ncpus > 0;
}

void vk_vcpus_join(struct vk_machine *m)
{
	vk_vcpus_kick(m, false);
	for (unsigned i = 0; i < m->ncpus; i++) {
		if (m->vcpus[i].thread_started)
			pthread_join(m->vcpus[i].thread, NULL);
		m->vcpus[i].thread_started = false;
	}
}
