/* vmlaunch.h - starting vrun for a VM definition: finding vrun, its argument vector, a spawn that outlives the tool. */
#ifndef VK_VMLAUNCH_H
#define VK_VMLAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/vm/vmdef.h"

/* vrun's exit statuses (docs/vmm.md). */
#define VK_VRUN_EXIT_POWEROFF	0
#define VK_VRUN_EXIT_ERROR	1
#define VK_VRUN_EXIT_REBOOT	2

/* A NULL-terminated argument vector that grows as needed. */
struct vk_argv {
	char **v;
	size_t n, cap;
};

int vk_argv_add(struct vk_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vk_argv_free(struct vk_argv *a);

/* $VKIT_VRUN, else vrun beside the running program (installed: bindir;
 * build tree: tools/../vmm).  tool names the caller in the message. */
int vk_vrun_find(const char *tool, char **out);

/* vrun's command line for the definition as it stands, with --console
 * console: a kernel boot, or a disk boot through vrun's firmware (with its
 * boot order).  A guest's reboot resets it in place; a caller that must
 * act between boots adds --no-reboot (vinstall's installer phase).
 * -EINVAL when a kernel boot names no kernel; the vector is empty then. */
int vk_vrun_argv(const struct vk_vm *vm, const char *vrun, const char *console, struct vk_argv *a);

/* vrun's --console for a VM that may outlive the tool that starts it
 * (malloc'd): never the user's terminal, so pty and stdio definitions get a
 * pty a tool can relay (and attach to later), file gets the file, none the
 * state directory's log/NAME.log. */
int vk_vrun_console_spec(const struct vk_vm *vm, char **out);

/*
 * Start vrun (argv from vk_vrun_argv) so that it outlives the caller: its
 * own session, SIGHUP ignored, standard input /dev/null, standard output
 * and error into msgs (truncated).  *msg_fd is msgs opened for reading
 * (non-blocking), for vk_vrun_relay_messages().
 */
int vk_vrun_spawn(const struct vk_argv *argv, const char *msgs, pid_t *pid, int *msg_fd);

/* Copy what vrun wrote since the last call from msg_fd to out_fd (a
 * terminal in raw mode gets "\r\n" for "\n"; out_fd -1: only read).  The
 * first "vrun: console is PATH" line's PATH goes to pty (when pty[0] is
 * still '\0'). */
void vk_vrun_relay_messages(int msg_fd, int out_fd, bool raw, char *pty, size_t pty_len);

/* Whether the control socket at path is a new one (the guest runs: vrun
 * opens it once the vCPUs run), not the one stat()ed into before when had. */
bool vk_vrun_socket_is_new(const char *path, const struct stat *before, bool had);

/* Write to a terminal; in raw mode a newline needs its carriage return. */
void vk_write_terminal(int fd, const char *buf, size_t len, bool raw);

/*
 * One vrun started for a definition and watched: the one way vinstall,
 * vctl start and vctl console run and follow a VM (issue 13: they had
 * three copies of it).  pid is vrun's (-1 when only attaching to a VM
 * another process started); msgs is log/NAME.vrun.log, vrun's standard
 * error; pty its console once it said where.
 */
struct vk_launch {
	pid_t pid;
	int msg_fd;			/* msgs, read as vrun writes it; -1: none */
	char *msgs, *sock;		/* malloc'd */
	struct stat sock_before;
	bool had_sock;
	bool started;			/* its control socket appeared: the guest runs */
	char pty[128];
	char name[VK_NAME_MAX + 1];
};

/* Bring vm's networks up, then start vrun for it with --console console
 * and the extra arguments (a NULL-terminated list or NULL: --no-reboot,
 * ...).  0 with l filled in (free it with vk_launch_close()), or -errno. */
int vk_launch_start(const struct vk_vm *vm, const char *vrun, const char *console,
		    const char *const *extra, struct vk_launch *l);
/* A launch record for a VM already running elsewhere, to watch its
 * console: no pid of ours, no messages. */
int vk_launch_attach(const char *name, const char *pty, struct vk_launch *l);
/* vrun's new messages to out_fd (-1: only read; raw: a terminal in raw
 * mode), and whether the guest has started yet (true from then on). */
bool vk_launch_poll(struct vk_launch *l, int out_fd, bool raw);
/* Until the guest started (0), or vrun ended first (its messages shown on
 * stderr, -EIO; -ENOEXEC when vrun could not be run), or timeout_ms passed
 * (-ETIMEDOUT, vrun left running and the message says how to stop it). */
int vk_launch_wait_started(struct vk_launch *l, int64_t timeout_ms, int out_fd);
void vk_launch_close(struct vk_launch *l);

/* How a watch should go: the console on the user's terminal or not, a
 * deadline, and what to do the moment the guest starts. */
struct vk_watch_opts {
	bool attach;			/* relay the console (stdin/stdout, raw) */
	int64_t deadline_ms;		/* vk_now_ms() time to give up, -1: none */
	int64_t start_grace_ms;		/* past the deadline, still wait this long for a start */
	int msgs_fd;			/* where vrun's messages go (-1: nowhere) */
	/* A console session (vctl console): it ends when the user's input
	 * ends or the console closes.  Otherwise the watch follows vrun to
	 * its end whatever the console does (vinstall). */
	bool console_session;
	bool escape_detaches;		/* Ctrl-] alone detaches, as in virsh (vk_console_relay) */
	void (*on_started)(void *arg);	/* once, when the guest starts */
	void *arg;
};
/* How it ended. */
struct vk_watch_result {
	bool exited;			/* vrun ended, and then: */
	int status;			/* its exit status, -1 when a signal ended it */
	int signal;
	bool quit;			/* Ctrl-] q stopped it */
	bool detached;			/* Ctrl-] d: it runs on */
	bool expired;			/* the deadline passed: it runs on */
	bool console_closed;		/* the console went away (the VM ended, seen from its pty) */
	bool input_ended;		/* the user's input ended */
};
/*
 * Follow the VM until vrun ends, Ctrl-] d detaches, the deadline passes or
 * (a console session) its console closes or the input ends.  Ctrl-] q stops the VM: SIGTERM to our vrun, "quit" on the control
 * socket of one we did not start.  0 with r filled in, or -errno.
 */
int vk_launch_watch(struct vk_launch *l, const struct vk_watch_opts *o, struct vk_watch_result *r);

#endif
