/* seccomp.c - the system calls each kind of vrun thread may make once the VM runs, compiled with libseccomp. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/seccomp.h"

/*
 * Why each call is on a list is said once, at the list.  A thread gets the
 * common list plus its own.  Arguments are checked where that is cheap and
 * closes a door: ioctl by request number, no PROT_EXEC mappings, signals
 * only to this process, fstat only on descriptors (no path lookups).
 */
enum arg_rule {
	ANY,		/* any arguments */
	NO_EXEC,	/* mmap/mprotect: prot without PROT_EXEC */
	OWN_PID,	/* tgkill: only threads of this process */
	EMPTY_PATH,	/* newfstatat: fstat() on a descriptor (AT_EMPTY_PATH) */
	FILE_FLAGS,	/* fcntl: F_GETFL and F_SETFL only */
};

struct syscall_rule {
	int nr;
	enum arg_rule rule;
};

#define END { -1, ANY }

/* Every thread: locks, memory for malloc (arenas grow with mprotect), its
 * own end, signal handlers (SIGINT/TERM/HUP may land on any thread and
 * write an eventfd), clocks, messages on stderr, abort(), exit(). */
static const struct syscall_rule common_calls[] = {
	{ SCMP_SYS(futex), ANY },
	{ SCMP_SYS(exit), ANY },
	{ SCMP_SYS(exit_group), ANY },	/* ending the process is no escape */
	{ SCMP_SYS(restart_syscall), ANY },
	{ SCMP_SYS(rt_sigreturn), ANY },
	{ SCMP_SYS(rt_sigprocmask), ANY },
	{ SCMP_SYS(brk), ANY },
	{ SCMP_SYS(mmap), NO_EXEC },
	{ SCMP_SYS(mprotect), NO_EXEC },
	{ SCMP_SYS(munmap), ANY },
	{ SCMP_SYS(mremap), ANY },
	{ SCMP_SYS(madvise), ANY },	/* glibc hands a finished thread's stack back */
	{ SCMP_SYS(clock_gettime), ANY },	/* when the vDSO cannot answer */
	{ SCMP_SYS(gettimeofday), ANY },
	{ SCMP_SYS(time), ANY },	/* the CMOS clock, without a vDSO */
	{ SCMP_SYS(write), ANY },
	{ SCMP_SYS(fstat), ANY },
	{ SCMP_SYS(newfstatat), EMPTY_PATH },
	{ SCMP_SYS(getpid), ANY },
	{ SCMP_SYS(gettid), ANY },
	{ SCMP_SYS(tgkill), OWN_PID },	/* pthread_kill, abort() */
	{ SCMP_SYS(sched_yield), ANY },
	END
};

/* vCPU threads run the guest and the device code that port I/O and MMIO
 * reach: the UART (write), the i8042 and test device (stop eventfd), PCI
 * and virtio-pci registers, which re-route MSI-X vectors and, when the
 * guest moves a BAR, move the doorbell ioeventfds (eventfd2, close,
 * epoll_ctl on the device's I/O thread). */
static const struct syscall_rule vcpu_calls[] = {
	{ SCMP_SYS(ioctl), ANY },	/* restricted to vcpu_ioctls; first: the hot call */
	{ SCMP_SYS(eventfd2), ANY },
	{ SCMP_SYS(close), ANY },
	{ SCMP_SYS(epoll_ctl), ANY },
	END
};
static const unsigned long vcpu_ioctls[] = {
	KVM_RUN, KVM_GET_REGS, KVM_GET_SREGS, KVM_GET_MP_STATE,	/* the exit loop, halt probes, dumps */
	KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD, 0
};

/* I/O threads: epoll on doorbells and taps, the image layer (raw and
 * qcow2: reads, writes, flush, discard, qcow2 file growth), taps and
 * the VK_NET_FD socket, getrandom for virtio-rng, interrupts (MSI through
 * an irqfd write, INTx through KVM_IRQ_LINE). */
static const struct syscall_rule io_calls[] = {
	{ SCMP_SYS(epoll_wait), ANY },
	{ SCMP_SYS(epoll_pwait), ANY },
	{ SCMP_SYS(epoll_ctl), ANY },
	{ SCMP_SYS(read), ANY },
	{ SCMP_SYS(pread64), ANY },
	{ SCMP_SYS(pwrite64), ANY },
	{ SCMP_SYS(fdatasync), ANY },
	{ SCMP_SYS(fsync), ANY },
	{ SCMP_SYS(fallocate), ANY },
	{ SCMP_SYS(ftruncate), ANY },
	{ SCMP_SYS(recvfrom), ANY },
	{ SCMP_SYS(sendto), ANY },
	{ SCMP_SYS(getrandom), ANY },
	{ SCMP_SYS(ioctl), ANY },	/* restricted to io_ioctls */
	END
};
static const unsigned long io_ioctls[] = { KVM_IRQ_LINE, 0 };

/* The console log writer: the pipe from the UART, the log file and its
 * rotation into PATH.1 (both opened before the sandbox). */
static const struct syscall_rule console_calls[] = {
	{ SCMP_SYS(read), ANY },
	{ SCMP_SYS(pread64), ANY },
	{ SCMP_SYS(pwrite64), ANY },
	{ SCMP_SYS(ftruncate), ANY },
	END
};

/* The control socket's thread: poll, accept and talk to clients (JSON
 * lines), the rss figure from a /proc/self/statm opened beforehand, the
 * per-vCPU CPU clocks (common list), pause through the vCPUs' kick signal
 * (tgkill), the ACPI power button's SCI (KVM_IRQ_LINE), and getrandom for
 * json-c's hash seed (taken at the first object it hashes: killed the first
 * request in the nested sandbox). */
static const struct syscall_rule control_calls[] = {
	{ SCMP_SYS(poll), ANY },
	{ SCMP_SYS(ppoll), ANY },
	{ SCMP_SYS(read), ANY },
	{ SCMP_SYS(pread64), ANY },
	{ SCMP_SYS(accept4), ANY },
	{ SCMP_SYS(recvfrom), ANY },
	{ SCMP_SYS(sendto), ANY },
	{ SCMP_SYS(fcntl), FILE_FLAGS },
	{ SCMP_SYS(getrandom), ANY },
	{ SCMP_SYS(close), ANY },
	{ SCMP_SYS(ioctl), ANY },	/* restricted to control_ioctls */
	END
};
static const unsigned long control_ioctls[] = { KVM_IRQ_LINE, 0 };

/* The main thread: console input into the UART (KVM_IRQ_LINE), poll with
 * the halt-probe timeout, kicks (tgkill), joining, and the teardown:
 * irqfds and ioeventfds removed, routes dropped, images flushed and
 * closed, the terminal restored, memory unmapped, the pid file and the control
 * socket removed (unlink takes any path: the price of cleaning up), exit.
 * And a reset in place, with the vCPUs parked: every vCPU's registers,
 * FPU, MSRs, LAPIC, MP state, events and debug registers, the PIC, IOAPIC
 * and PIT put back to power-on (the KVM_SET_* below, and KVM_GET_SREGS for
 * a kernel's boot registers); doorbells moved back with the BARs
 * (eventfd2, like a vCPU's BAR move); the kernel and initrd mapped again
 * from the descriptors kept open (mmap without PROT_EXEC). */
static const struct syscall_rule main_calls[] = {
	{ SCMP_SYS(poll), ANY },
	{ SCMP_SYS(ppoll), ANY },
	{ SCMP_SYS(read), ANY },
	{ SCMP_SYS(close), ANY },
	{ SCMP_SYS(eventfd2), ANY },
	{ SCMP_SYS(epoll_ctl), ANY },
	{ SCMP_SYS(pread64), ANY },
	{ SCMP_SYS(pwrite64), ANY },
	{ SCMP_SYS(fdatasync), ANY },
	{ SCMP_SYS(fsync), ANY },
	{ SCMP_SYS(ftruncate), ANY },
	{ SCMP_SYS(unlink), ANY },
	{ SCMP_SYS(unlinkat), ANY },
	{ SCMP_SYS(ioctl), ANY },	/* restricted to main_ioctls */
	END
};
static const unsigned long main_ioctls[] = {
	KVM_IRQ_LINE, KVM_SET_GSI_ROUTING, KVM_IRQFD, KVM_IOEVENTFD,
	TCGETS, TCSETS, TCSETSW, TCSETSF,
	KVM_SET_REGS, KVM_GET_SREGS, KVM_SET_SREGS, KVM_SET_XSAVE, KVM_SET_FPU, KVM_SET_XCRS,
	KVM_SET_MSRS, KVM_SET_MP_STATE, KVM_SET_LAPIC, KVM_SET_VCPU_EVENTS, KVM_SET_DEBUGREGS,
	KVM_SET_IRQCHIP, KVM_SET_PIT2, 0
};

static const struct {
	const char *name;
	const struct syscall_rule *calls;
	const unsigned long *ioctls;
} kinds[VK_THREAD_KINDS] = {
	[VK_THREAD_MAIN] = { "main", main_calls, main_ioctls },
	[VK_THREAD_VCPU] = { "vCPU", vcpu_calls, vcpu_ioctls },
	[VK_THREAD_IO] = { "I/O", io_calls, io_ioctls },
	[VK_THREAD_CONSOLE] = { "console", console_calls, NULL },
	[VK_THREAD_CONTROL] = { "control", control_calls, control_ioctls },
};

static struct {
	bool prepared;
	struct sock_fprog prog[VK_THREAD_KINDS];
	void (*failure_hook)(void *opaque, const char *message);
	void *failure_opaque;
} sandbox;

const char *vk_thread_kind_name(enum vk_thread_kind kind)
{
	return kind < VK_THREAD_KINDS ? kinds[kind].name : "?";
}

int vk_sandbox_parse_mode(const char *text, enum vk_sandbox_mode *out)
{
	if (strcmp(text, "on") == 0)
		*out = VK_SANDBOX_ON;
	else if (strcmp(text, "off") == 0)
		*out = VK_SANDBOX_OFF;
	else if (strcmp(text, "log") == 0)
		*out = VK_SANDBOX_LOG;
	else
		return vk_errorx(EINVAL, "--sandbox %s: give on, off or log", text);
	return 0;
}

static int add_rule(scmp_filter_ctx ctx, const struct syscall_rule *r, const unsigned long *ioctls)
{
	int rc = 0;

	if (r->nr == SCMP_SYS(ioctl)) {
		/* The kernel reads the request as 32 bits, so compare only those. */
		for (size_t i = 0; ioctls && ioctls[i] && rc == 0; i++)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					      SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, ioctls[i]));
		return rc;
	}
	switch (r->rule) {
	case NO_EXEC:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case OWN_PID:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	case EMPTY_PATH:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
					SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
	case FILE_FLAGS:
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1, SCMP_A1(SCMP_CMP_EQ, F_GETFL));
		return rc ? rc : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 1,
						  SCMP_A1(SCMP_CMP_EQ, F_SETFL));
	case ANY:
		break;
	}
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, r->nr, 0);
}

/* libseccomp writes BPF only to a descriptor: a memfd brings it back. */
static int export_program(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("vkit-seccomp", MFD_CLOEXEC), rc;
	struct stat st;
	void *buf = NULL;

	if (fd < 0)
		return vk_error(errno, "seccomp: memfd_create");
	rc = seccomp_export_bpf(ctx, fd);
	if (rc < 0) {
		rc = vk_error(-rc, "seccomp: cannot export the filter");
		goto out;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		rc = vk_errorx(E2BIG, "seccomp: exported filter of %lld bytes is not a usable program",
			       (long long)st.st_size);
		goto out;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf) {
		rc = vk_error(ENOMEM, "seccomp filter");
		goto out;
	}
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		rc = vk_error(errno ? errno : EIO, "seccomp: reading the filter back");
		goto out;
	}
	prog->filter = buf;
	prog->len = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	buf = NULL;
	rc = 0;
out:
	free(buf);
	close(fd);
	return rc;
}

static int build_kind(enum vk_thread_kind kind, uint32_t deny, struct sock_fprog *prog)
{
	scmp_filter_ctx ctx = seccomp_init(deny);
	int rc = 0;

	if (!ctx)
		return vk_errorx(ENOMEM, "seccomp: cannot create a filter");
	for (const struct syscall_rule *r = common_calls; r->nr >= 0 && rc == 0; r++)
		rc = add_rule(ctx, r, NULL);
	for (const struct syscall_rule *r = kinds[kind].calls; r->nr >= 0 && rc == 0; r++)
		rc = add_rule(ctx, r, kinds[kind].ioctls);
	/* Each kind's list starts with its hot call (ioctl for KVM_RUN on a
	 * vCPU thread, which pays the filter on every guest exit): tested
	 * first, not after the 20-odd numbers before it. */
	if (rc == 0)
		rc = seccomp_syscall_priority(ctx, kinds[kind].calls[0].nr, 255);
	if (rc < 0) {
		rc = vk_error(-rc, "seccomp: %s thread filter", kinds[kind].name);
		goto out;
	}
	rc = export_program(ctx, prog);
out:
	seccomp_release(ctx);
	return rc;
}

int vk_sandbox_prepare(enum vk_sandbox_mode mode)
{
	uint32_t deny = mode == VK_SANDBOX_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
	int rc = 0;

	vk_sandbox_free();
	if (mode == VK_SANDBOX_OFF)
		return 0;
	/* A killed vCPU thread alone would leave a VM that never stops. */
	if (mode == VK_SANDBOX_ON && seccomp_api_get() < 3)
		return vk_errorx(ENOTSUP, "--sandbox on: this kernel cannot kill a whole process from "
				 "seccomp (Linux 4.14 or later needed); use --sandbox off");
	/* State glibc loads from files on first use, which no filter allows:
	 * the time zone (gmtime_r() for the CMOS clock reads /etc/localtime
	 * the first time, on a vCPU thread, when a Linux guest reads the RTC). */
	tzset();
	for (int k = 0; k < VK_THREAD_KINDS && rc == 0; k++)
		rc = build_kind((enum vk_thread_kind)k, deny, &sandbox.prog[k]);
	if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		rc = vk_error(errno, "--sandbox: prctl(PR_SET_NO_NEW_PRIVS)");
	if (rc < 0) {
		vk_sandbox_free();
		return rc;
	}
	sandbox.prepared = true;
	return 0;
}

unsigned vk_sandbox_filter_len(enum vk_thread_kind kind)
{
	return kind < VK_THREAD_KINDS ? sandbox.prog[kind].len : 0;
}

void vk_sandbox_set_failure_hook(void (*hook)(void *opaque, const char *message), void *opaque)
{
	sandbox.failure_hook = hook;
	sandbox.failure_opaque = opaque;
}

int vk_sandbox_enter(enum vk_thread_kind kind)
{
	int rc;

	if (!sandbox.prepared)
		return 0;
	if (kind >= VK_THREAD_KINDS || !sandbox.prog[kind].filter)
		rc = vk_errorx(EINVAL, "seccomp: no filter for thread kind %d", (int)kind);
	else if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &sandbox.prog[kind]) < 0)
		rc = vk_error(errno, "seccomp: cannot install the %s thread filter", kinds[kind].name);
	else
		return 0;
	if (sandbox.failure_hook)
		sandbox.failure_hook(sandbox.failure_opaque, vk_last_error());
	return rc;
}

void vk_sandbox_free(void)
{
	for (int k = 0; k < VK_THREAD_KINDS; k++) {
		free(sandbox.prog[k].filter);
		sandbox.prog[k].filter = NULL;
		sandbox.prog[k].len = 0;
	}
	sandbox.prepared = false;
}
