/* vcpu.c - vCPU threads and the exit loop: one switch on exit_reason, dispatch to the buses. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/machine.h"
#include "vmm/seccomp.h"
#include "vmm/x86/cpu.h"

#define VCPU_KICK_SIGNAL	SIGUSR1
#define RFLAGS_IF		(1ull << 9)
#define PAUSE_KICK_NS		10000000L	/* a kick can land before KVM_RUN: repeat it */
#define PAUSE_WAIT_MS		5000

const char *const vk_vcpu_exit_names[VK_VCPU_EXIT_KINDS] = {
	[VK_VCPU_EXIT_IO] = "io",
	[VK_VCPU_EXIT_MMIO] = "mmio",
	[VK_VCPU_EXIT_INTR] = "intr",
	[VK_VCPU_EXIT_SHUTDOWN] = "shutdown",
	[VK_VCPU_EXIT_SYSTEM_EVENT] = "system_event",
	[VK_VCPU_EXIT_INTERNAL_ERROR] = "internal_error",
	[VK_VCPU_EXIT_FAIL_ENTRY] = "fail_entry",
	[VK_VCPU_EXIT_OTHER] = "other",
};

enum kick_kind { KICK_PLAIN, KICK_PROBE, KICK_STOP };

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
	/* Under --no-reboot a reset ends vrun: nothing to go back to. */
	return m->no_reboot ? 0 : vk_machine_save_power_on(m);
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

/* Returns true when this thread is done (the machine stops). */
static bool handle_system_event(struct vk_vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vk_machine_stop(v->m, VK_EXIT_POWEROFF, "guest powered off");
		return true;
	case KVM_SYSTEM_EVENT_RESET:
		vk_machine_request_reset(v->m, VK_RESET_SYSTEM_EVENT);
		return v->m->no_reboot;
	default:
		vk_machine_stop(v->m, VK_EXIT_ERROR, "vCPU %u: system event %u", v->id,
				v->run->system_event.type);
		return true;
	}
}

/* A triple fault stops vrun with the registers, with or without
 * --no-reboot.  QEMU resets the machine instead; vrun did too, but in the
 * nested sandbox (kvm_amd under QEMU TCG, with and without vgif) the vCPU
 * never ran guest code again after the reset that followed
 * KVM_EXIT_SHUTDOWN, and a guest that hangs is worse than one that stops
 * and says why.  Linux reboots this way only when booted with reboot=t.
 * Returns true: this thread is done. */
static bool handle_shutdown(struct vk_vcpu *v)
{
	stop_with_registers(v, "the guest triple-faulted (KVM_EXIT_SHUTDOWN); vrun does not reset the "
			       "machine after a triple fault: a Linux guest booted with reboot=t reboots this "
			       "way, use reboot=k or reboot=acpi");
	return true;
}

/* Only this thread writes its counters: a load and a store, no locked
 * instruction, on the exit path. */
static inline void count_exit(struct vk_vcpu *v, enum vk_vcpu_exit_kind kind)
{
	uint64_t n = atomic_load_explicit(&v->exits[kind], memory_order_relaxed);

	atomic_store_explicit(&v->exits[kind], n + 1, memory_order_relaxed);
}

static enum vk_vcpu_exit_kind exit_kind(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_IO: return VK_VCPU_EXIT_IO;
	case KVM_EXIT_MMIO: return VK_VCPU_EXIT_MMIO;
	case KVM_EXIT_INTR: return VK_VCPU_EXIT_INTR;
	case KVM_EXIT_SHUTDOWN: return VK_VCPU_EXIT_SHUTDOWN;
	case KVM_EXIT_SYSTEM_EVENT: return VK_VCPU_EXIT_SYSTEM_EVENT;
	case KVM_EXIT_INTERNAL_ERROR: return VK_VCPU_EXIT_INTERNAL_ERROR;
	case KVM_EXIT_FAIL_ENTRY: return VK_VCPU_EXIT_FAIL_ENTRY;
	default: return VK_VCPU_EXIT_OTHER;
	}
}

/* KVM_EXIT_INTERNAL_ERROR in words: which suberror, and why a PVM host
 * meets the first one where hardware would run on (a triple fault, say). */
static void internal_error_text(const struct vk_vcpu *v, char *buf, size_t len)
{
	static const char *const what[] = {
		[KVM_INTERNAL_ERROR_EMULATION] = "KVM could not emulate an instruction",
		[KVM_INTERNAL_ERROR_SIMUL_EX] = "an exception while KVM delivered another",
		[KVM_INTERNAL_ERROR_DELIVERY_EV] = "an event KVM could not deliver",
		[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "an exit KVM did not expect",
	};
	uint32_t sub = v->run->internal.suberror;
	const char *name = sub < sizeof(what) / sizeof(what[0]) && what[sub] ? what[sub] : "unknown";

	snprintf(buf, len, "KVM internal error, suberror %u (%s)%s", sub, name,
		 sub == KVM_INTERNAL_ERROR_EMULATION && v->m->pvm
		 ? "; on this PVM host every guest instruction goes through that emulator" : "");
}

/* Parked by vk_vcpus_pause() or for a reset until unparked or stopped.
 * First the exit this thread last handled is completed: KVM finishes an
 * I/O instruction (the value of an IN into RAX, RIP past it) in the next
 * KVM_RUN, which immediate_exit makes return at once, before the guest
 * runs; a reset's registers then land on a finished instruction, not
 * under it (a paused guest's registers are consistent too). */
static void wait_while_parked(struct vk_vcpu *v)
{
	struct vk_machine *m = v->m;

	v->run->immediate_exit = 1;
	if (ioctl(v->fd, KVM_RUN, 0) == 0 || (errno != EINTR && errno != EAGAIN))
		vk_debug("vCPU %u: KVM_RUN to complete an exit: %s", v->id, strerror(errno));
	v->run->immediate_exit = vk_machine_stopping(m);
	pthread_mutex_lock(&m->pause_lock);
	m->n_paused++;
	pthread_cond_broadcast(&m->pause_cond);
	while (atomic_load(&m->park) && !vk_machine_stopping(m))
		pthread_cond_wait(&m->pause_cond, &m->pause_lock);
	m->n_paused--;
	pthread_mutex_unlock(&m->pause_lock);
}

static void run_loop(struct vk_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vk_machine *m = v->m;
	char what[256];

	while (!vk_machine_stopping(m)) {
		if (atomic_load_explicit(&m->park, memory_order_relaxed)) {
			wait_while_parked(v);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno != EINTR && errno != EAGAIN) {
				vk_machine_stop(m, VK_EXIT_ERROR, "vCPU %u: KVM_RUN: %s", v->id, strerror(errno));
				return;
			}
			count_exit(v, VK_VCPU_EXIT_INTR);
			if (atomic_exchange(&v->probe, false))
				answer_probe(v);
			continue;
		}
		count_exit(v, exit_kind(run->exit_reason));
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
			if (handle_shutdown(v))
				return;
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			if (handle_system_event(v))
				return;
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			internal_error_text(v, what, sizeof(what));
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
	atomic_store(&v->tid, (int)gettid());
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

static void kick(struct vk_machine *m, enum kick_kind how)
{
	for (unsigned i = 0; i < m->ncpus; i++) {
		struct vk_vcpu *v = &m->vcpus[i];

		if (!v->thread_started)
			continue;
		if (how == KICK_PROBE) {
			atomic_store(&v->dead_halted, false);
			atomic_store(&v->probe, true);
		} else if (how == KICK_STOP) {
			/* Never enter the guest again, even if the signal lands
			 * between the stop check and KVM_RUN. */
			v->run->immediate_exit = 1;
		}
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
}

void vk_vcpus_kick(struct vk_machine *m, bool probe)
{
	kick(m, probe ? KICK_PROBE : KICK_STOP);
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
	/* Paused vCPUs see the stop once woken. */
	pthread_mutex_lock(&m->pause_lock);
	pthread_cond_broadcast(&m->pause_cond);
	pthread_mutex_unlock(&m->pause_lock);
	vk_vcpus_kick(m, false);
	for (unsigned i = 0; i < m->ncpus; i++) {
		if (m->vcpus[i].thread_started)
			pthread_join(m->vcpus[i].thread, NULL);
		m->vcpus[i].thread_started = false;
	}
}

static unsigned threads_started(const struct vk_machine *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->ncpus; i++)
		n += m->vcpus[i].thread_started;
	return n;
}

/* Set the park bit and wait until every running vCPU is parked. */
static int park_all(struct vk_machine *m, unsigned bit)
{
	unsigned want = threads_started(m), tries = 0;
	struct timespec until;
	int rc = 0;

	pthread_mutex_lock(&m->pause_lock);
	atomic_fetch_or(&m->park, bit);
	while (m->n_paused < want && !vk_machine_stopping(m)) {
		/* A vCPU stuck in a device (a console nobody reads) parks when it
		 * gets back; the caller is told instead of waiting forever. */
		if (tries++ == PAUSE_WAIT_MS * 1000000L / PAUSE_KICK_NS) {
			rc = vk_errorx(ETIMEDOUT, "%u of %u vCPUs parked within %d ms; the others will "
				       "when they return to vrun", m->n_paused, want, PAUSE_WAIT_MS);
			break;
		}
		/* The signal can arrive between the park check and KVM_RUN and
		 * be lost; kicking again until every thread is parked covers it. */
		kick(m, KICK_PLAIN);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += PAUSE_KICK_NS;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_nsec -= 1000000000L;
			until.tv_sec++;
		}
		pthread_cond_timedwait(&m->pause_cond, &m->pause_lock, &until);
	}
	pthread_mutex_unlock(&m->pause_lock);
	if (vk_machine_stopping(m))
		return vk_errorx(ESHUTDOWN, "the machine is stopping");
	return rc;
}

int vk_vcpus_pause(struct vk_machine *m)
{
	return park_all(m, VK_PARK_PAUSE);
}

int vk_vcpus_park_for_reset(struct vk_machine *m)
{
	return park_all(m, VK_PARK_RESET);
}

void vk_vcpus_resume(struct vk_machine *m)
{
	pthread_mutex_lock(&m->pause_lock);
	atomic_fetch_and(&m->park, ~VK_PARK_PAUSE);
	pthread_cond_broadcast(&m->pause_cond);
	pthread_mutex_unlock(&m->pause_lock);
}

bool vk_vcpus_paused(struct vk_machine *m)
{
	return atomic_load(&m->park) & VK_PARK_PAUSE;
}

bool vk_vcpus_parked(struct vk_machine *m)
{
	return atomic_load(&m->park) != 0;
}

int64_t vk_vcpu_cpu_time_ns(struct vk_vcpu *v)
{
	struct timespec ts;
	clockid_t cid;
	int rc;

	if (!v->thread_started)
		return -ESRCH;
	rc = pthread_getcpuclockid(v->thread, &cid);
	if (rc)
		return -rc;
	if (clock_gettime(cid, &ts) < 0)
		return -errno;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
