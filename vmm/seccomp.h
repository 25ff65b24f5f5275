/* seccomp.h - vrun's sandbox: one seccomp filter per thread kind, installed by each thread once setup is over. */
#ifndef VK_SECCOMP_H
#define VK_SECCOMP_H

enum vk_sandbox_mode {
	VK_SANDBOX_OFF,		/* no filter */
	VK_SANDBOX_ON,		/* a call outside the list kills the whole process (SIGSYS) */
	VK_SANDBOX_LOG,		/* such a call goes through and the kernel logs it (diagnosis) */
};

/* Sanitizer runtimes make calls no list can foresee (LeakSanitizer's exit
 * scan clones a tracer), so sanitizer builds start with the sandbox off. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define VK_SANDBOX_DEFAULT	VK_SANDBOX_OFF
#else
#define VK_SANDBOX_DEFAULT	VK_SANDBOX_ON
#endif

enum vk_thread_kind {
	VK_THREAD_MAIN,		/* console input, halt probes, stopping, freeing */
	VK_THREAD_VCPU,		/* KVM_RUN and the devices reached by port I/O and MMIO */
	VK_THREAD_IO,		/* one per virtio device: disk images, taps, getrandom */
	VK_THREAD_CONSOLE,	/* the console log writer */
	VK_THREAD_CONTROL,	/* the control socket (status, stats, pause, powerdown...) */
	VK_THREAD_KINDS
};

/* "on", "off" or "log" (the value of --sandbox). */
int vk_sandbox_parse_mode(const char *text, enum vk_sandbox_mode *out);
const char *vk_thread_kind_name(enum vk_thread_kind kind);

/*
 * Build the filters of every thread kind and set no_new_privs on the calling
 * thread, so that threads it creates afterwards inherit it (seccomp needs it
 * once privileges are dropped).  Call it from the main thread before any
 * thread that will enter the sandbox is created.  VK_SANDBOX_OFF makes
 * vk_sandbox_enter() a no-op.  0 or -errno with a message.
 */
int vk_sandbox_prepare(enum vk_sandbox_mode mode);
/* Length of the filter of a kind in BPF instructions (0 before prepare). */
unsigned vk_sandbox_filter_len(enum vk_thread_kind kind);

/* Called (from the failing thread) when a thread cannot install its filter;
 * vrun stops the machine.  The thread must then not do its work. */
void vk_sandbox_set_failure_hook(void (*hook)(void *opaque, const char *message), void *opaque);

/*
 * Install the filter of `kind` on the calling thread: from then on the
 * thread can make only the system calls on that kind's list.  A no-op
 * returning 0 when no sandbox is prepared (unit tests, --sandbox=off).
 * -errno after calling the failure hook.
 */
int vk_sandbox_enter(enum vk_thread_kind kind);

/* Forget the compiled filters (installed ones stay until the thread ends). */
void vk_sandbox_free(void);

#endif
