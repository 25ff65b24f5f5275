/* vmlaunch.c - starting vrun for a VM definition and watching it: its messages, its start, its console (vinstall, vctl). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/options.h"
#include "common/image/image.h"
#include "common/net/network.h"
#include "common/vm/console-relay.h"
#include "common/vm/control-client.h"
#include "common/vm/statedir.h"
#include "common/vm/vmlaunch.h"

int vk_argv_add(struct vk_argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **v = realloc(a->v, cap * sizeof(*v));

		if (!v)
			return vk_error(ENOMEM, "vrun's arguments");
		a->v = v;
		a->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return vk_error(ENOMEM, "vrun's arguments");
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

void vk_argv_free(struct vk_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

int vk_vrun_find(const char *tool, char **out)
{
	const char *env = getenv("VKIT_VRUN");
	char exe[PATH_MAX], cand[PATH_MAX + 16];
	ssize_t n;

	*out = NULL;
	if (env && *env) {
		if (access(env, X_OK) < 0)
			return vk_error(errno, "VKIT_VRUN=%s", env);
		*out = strdup(env);
		return *out ? 0 : vk_error(ENOMEM, "vrun");
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(cand, sizeof(cand), "%s/vrun", exe);
		if (access(cand, X_OK) < 0)
			snprintf(cand, sizeof(cand), "%s/../vmm/vrun", exe);
		if (access(cand, X_OK) == 0) {
			*out = strdup(cand);
			return *out ? 0 : vk_error(ENOMEM, "vrun");
		}
	}
	return vk_errorx(ENOENT, "vrun not found next to %s; install it or set VKIT_VRUN=/path/to/vrun", tool);
}

int vk_vrun_argv(const struct vk_vm *vm, const char *vrun, const char *console, struct vk_argv *a)
{
	char bridge[VK_IFNAME_MAX + 1];
	const struct vk_disk *d;
	size_t i;
	int rc;

	if (vm->boot.kind == VK_BOOT_KERNEL && !vm->boot.kernel)
		return vk_errorx(EINVAL, "domain '%s' boots a kernel but names none: give it a boot.kernel",
				 vm->name);
	rc = vk_argv_add(a, "%s", vrun);
	if (rc == 0)
		rc = vk_argv_add(a, "--name");
	if (rc == 0)
		rc = vk_argv_add(a, "%s", vm->name);
	/* A disk boot is a PC: vrun's default without --kernel is SeaBIOS. */
	if (rc == 0 && vm->boot.kind == VK_BOOT_DISK && vm->boot.order) {
		rc = vk_argv_add(a, "--boot");
		if (rc == 0)
			rc = vk_argv_add(a, "%s", vm->boot.order);
	}
	if (rc == 0 && vm->boot.kind == VK_BOOT_KERNEL) {
		rc = vk_argv_add(a, "--kernel");
		if (rc == 0)
			rc = vk_argv_add(a, "%s", vm->boot.kernel);
	}
	if (rc == 0 && vm->boot.kind == VK_BOOT_KERNEL && vm->boot.initrd) {
		rc = vk_argv_add(a, "--initrd");
		if (rc == 0)
			rc = vk_argv_add(a, "%s", vm->boot.initrd);
	}
	if (rc == 0 && vm->boot.kind == VK_BOOT_KERNEL && vm->boot.cmdline && *vm->boot.cmdline) {
		rc = vk_argv_add(a, "--cmdline");
		if (rc == 0)
			rc = vk_argv_add(a, "%s", vm->boot.cmdline);
	}
	if (rc == 0)
		rc = vk_argv_add(a, "--memory");
	if (rc == 0)
		rc = vk_argv_add(a, "%" PRIu64, vm->memory_mib);
	if (rc == 0)
		rc = vk_argv_add(a, "--cpus");
	if (rc == 0)
		rc = vk_argv_add(a, "%u", vm->vcpus);
	for (i = 0; rc == 0 && i < vm->n_disks; i++) {
		d = &vm->disks[i];
		rc = vk_argv_add(a, "--disk");
		if (rc == 0)
			rc = vk_argv_add(a, "path=%s,format=%s%s%s%s", d->path, vk_image_format_name(d->format),
					 d->serial ? ",serial=" : "", d->serial ? d->serial : "",
					 /* a CD-ROM is an AHCI drive, read-only by nature */
					 d->device == VK_DEVICE_CDROM ? ",device=cdrom"
					 : d->readonly ? ",readonly=on" : "");
	}
	for (i = 0; rc == 0 && i < vm->n_nics; i++) {
		/* vrun knows bridges and taps; a network is its bridge. */
		rc = vk_nic_bridge(&vm->nics[i], bridge);
		if (rc == 0)
			rc = vk_argv_add(a, "--net");
		if (rc == 0)
			rc = vk_argv_add(a, "%s=%s,mac=%s", vm->nics[i].kind == VK_NIC_TAP ? "tap" : "bridge",
					 bridge, vm->nics[i].mac);
	}
	if (rc == 0)
		rc = vk_argv_add(a, "--console");
	if (rc == 0)
		rc = vk_argv_add(a, "%s", console);
	if (rc < 0)
		vk_argv_free(a);
	return rc;
}

int vk_vrun_console_spec(const struct vk_vm *vm, char **out)
{
	char dir[PATH_MAX];
	int rc = 0;

	*out = NULL;
	switch (vm->console.kind) {
	case VK_CONSOLE_FILE:
		if (asprintf(out, "file=%s", vm->console.path) < 0)
			*out = NULL;
		break;
	case VK_CONSOLE_NONE:
		/* vrun's console must go somewhere; log/NAME.log is where a
		 * VM's console log lives.  Nothing is created here: a dry run
		 * shows this too. */
		rc = vk_state_dir_resolve(geteuid(), dir, sizeof(dir));
		if (rc == 0 && asprintf(out, "file=%s/log/%s.log", dir, vm->name) < 0)
			*out = NULL;
		break;
	case VK_CONSOLE_PTY:
	case VK_CONSOLE_STDIO:
		*out = strdup("pty");
		break;
	}
	if (rc == 0 && !*out)
		rc = vk_error(ENOMEM, "--console");
	return rc;
}

int vk_vrun_spawn(const struct vk_argv *argv, const char *msgs, pid_t *pid, int *msg_fd)
{
	int out = -1, in = -1, rc = 0;

	*msg_fd = -1;
	*pid = -1;
	if (argv->n < 1)
		return vk_errorx(EINVAL, "no vrun command line");
	rc = vk_open_private(msgs, O_WRONLY | O_TRUNC | O_APPEND, &out);
	if (rc < 0)
		goto out;
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rc = vk_error(errno, "/dev/null");
		goto out;
	}
	*msg_fd = open(msgs, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (*msg_fd < 0) {
		rc = vk_error(errno, "%s", msgs);
		goto out;
	}
	*pid = fork();
	if (*pid < 0) {
		rc = vk_error(errno, "fork");
		goto out;
	}
	if (*pid == 0) {
		/* No SIGHUP when the caller's terminal goes, no signals typed at it. */
		setsid();
		signal(SIGHUP, SIG_IGN);
		if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0)
			_exit(127);
		execv(argv->v[0], argv->v);
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, argv->v[0], strerror(errno));
		_exit(127);
	}
out:
	if (rc < 0 && *msg_fd >= 0) {
		close(*msg_fd);
		*msg_fd = -1;
	}
	if (out >= 0)
		close(out);
	if (in >= 0)
		close(in);
	return rc;
}

void vk_write_terminal(int fd, const char *buf, size_t len, bool raw)
{
	size_t i, from = 0;

	for (i = 0; i <= len; i++) {
		if (i < len && !(raw && buf[i] == '\n'))
			continue;
		if (i > from && write(fd, buf + from, i - from) < 0)
			return;
		if (i < len && write(fd, "\r\n", 2) < 0)
			return;
		from = i + 1;
	}
}

void vk_vrun_relay_messages(int msg_fd, int out_fd, bool raw, char *pty, size_t pty_len)
{
	static const char tag[] = "vrun: console is ";
	char buf[4096], *at, *nl;
	ssize_t n;

	while ((n = read(msg_fd, buf, sizeof(buf) - 1)) > 0) {
		if (out_fd >= 0)
			vk_write_terminal(out_fd, buf, (size_t)n, raw);
		buf[n] = '\0';
		if (pty && !pty[0] && (at = strstr(buf, tag)) && (nl = strchr(at, '\n'))) {
			at += sizeof(tag) - 1;
			if ((size_t)(nl - at) < pty_len)
				snprintf(pty, pty_len, "%.*s", (int)(nl - at), at);
		}
	}
}

bool vk_vrun_socket_is_new(const char *path, const struct stat *before, bool had)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
		return false;
	return !had || st.st_ino != before->st_ino || st.st_mtim.tv_sec != before->st_mtim.tv_sec ||
	       st.st_mtim.tv_nsec != before->st_mtim.tv_nsec;
}

/* ---- one vrun, started and watched ---------------------------------- */

#define WATCH_TICK_MS	100

static int launch_paths(const char *name, struct vk_launch *l)
{
	char file[VK_NAME_MAX + 16];
	int rc;

	snprintf(l->name, sizeof(l->name), "%s", name);
	snprintf(file, sizeof(file), "%s.vrun.log", name);
	rc = vk_state_path(&l->msgs, "log", file);
	snprintf(file, sizeof(file), "%s.sock", name);
	if (rc == 0)
		rc = vk_state_path(&l->sock, "run", file);
	return rc;
}

/* What bringing the networks up did, said as the tool's own line. */
static void network_note(const char *line)
{
	if (!vk_quiet)
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, line);
}

int vk_launch_start(const struct vk_vm *vm, const char *vrun, const char *console,
		    const char *const *extra, struct vk_launch *l)
{
	struct vk_argv a = { 0 };
	int rc;

	memset(l, 0, sizeof(*l));
	l->pid = -1;
	l->msg_fd = -1;
	/* Its networks are up first (the default one defined on first use
	 * and started, as libvirt has it; common/net/network.h).  A network
	 * is the host's, not this VM's: a failed start leaves it. */
	rc = vk_vm_networks_up(vm, network_note);
	if (rc == 0)
		rc = launch_paths(vm->name, l);
	if (rc == 0)
		rc = vk_vrun_argv(vm, vrun, console, &a);
	for (size_t i = 0; rc == 0 && extra && extra[i]; i++)
		rc = vk_argv_add(&a, "%s", extra[i]);
	if (rc == 0) {
		/* The guest has started once a new socket is there, not the
		 * one an earlier vrun of this name left behind. */
		l->had_sock = stat(l->sock, &l->sock_before) == 0;
		rc = vk_vrun_spawn(&a, l->msgs, &l->pid, &l->msg_fd);
	}
	vk_argv_free(&a);
	if (rc < 0)
		vk_launch_close(l);
	return rc;
}

int vk_launch_attach(const char *name, const char *pty, struct vk_launch *l)
{
	memset(l, 0, sizeof(*l));
	l->pid = -1;
	l->msg_fd = -1;
	l->started = true;
	snprintf(l->name, sizeof(l->name), "%s", name);
	if (strlen(pty) >= sizeof(l->pty))
		return vk_errorx(ENAMETOOLONG, "%s: console path too long", pty);
	snprintf(l->pty, sizeof(l->pty), "%s", pty);
	return 0;
}

bool vk_launch_poll(struct vk_launch *l, int out_fd, bool raw)
{
	if (l->msg_fd >= 0)
		vk_vrun_relay_messages(l->msg_fd, out_fd, raw, l->pty, sizeof(l->pty));
	if (!l->started && l->sock)
		l->started = vk_vrun_socket_is_new(l->sock, &l->sock_before, l->had_sock);
	return l->started;
}

/* What vrun wrote, after it failed: the user needs its reason. */
static void show_messages(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(STDERR_FILENO, buf, (size_t)n) < 0)
			break;
	close(fd);
}

int vk_launch_wait_started(struct vk_launch *l, int64_t timeout_ms, int out_fd)
{
	int64_t deadline = vk_now_ms() + timeout_ms;
	struct timespec tick = { 0, WATCH_TICK_MS / 2 * 1000000L };
	int status;

	while (!vk_launch_poll(l, out_fd, false)) {
		if (waitpid(l->pid, &status, WNOHANG) == l->pid) {
			l->pid = -1;
			show_messages(l->msgs);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
				return vk_errorx(ENOEXEC, "vrun could not be run (its messages above)");
			return vk_errorx(EIO, "vrun failed before the guest started (its messages above, kept in %s)",
					 l->msgs);
		}
		if (vk_now_ms() >= deadline)
			return vk_errorx(ETIMEDOUT, "vrun (pid %d) has not opened its control socket within %" PRId64
					 " ms; it may still be starting: see %s, stop it with kill %d", (int)l->pid,
					 timeout_ms, l->msgs, (int)l->pid);
		nanosleep(&tick, NULL);
	}
	vk_launch_poll(l, out_fd, false);	/* the console's line may come with the socket */
	return 0;
}

void vk_launch_close(struct vk_launch *l)
{
	if (l->msg_fd >= 0)
		close(l->msg_fd);
	l->msg_fd = -1;
	free(l->msgs);
	free(l->sock);
	l->msgs = l->sock = NULL;
}

/* Ctrl-] q: our vrun gets SIGTERM; one started elsewhere its "quit". */
static void stop_vm(const struct vk_launch *l)
{
	if (l->pid > 0) {
		kill(l->pid, SIGTERM);
	} else if (vk_control_call_vm(l->name, "quit", VK_CONTROL_TIMEOUT_MS, NULL) < 0) {
		vk_debug("%s: %s", l->name, vk_last_error());
		vk_error_clear();
	}
}

int vk_launch_watch(struct vk_launch *l, const struct vk_watch_opts *o, struct vk_watch_result *r)
{
	struct vk_console_relay relay;
	int64_t t0 = vk_now_ms();
	bool raw = false, was_started = l->started;
	int status, rc = 0;
	pid_t got;

	memset(r, 0, sizeof(*r));
	vk_relay_init(&relay, o->attach ? STDIN_FILENO : -1, STDOUT_FILENO);
	if (o->attach && o->console_session) {
		rc = vk_relay_open(&relay, l->pty);
		if (rc < 0)
			return vk_error_prefix(rc, "cannot attach to the console");
	}
	if (o->attach)
		raw = vk_relay_raw(&relay);
	for (;;) {
		struct pollfd fds[2];
		int64_t now;

		vk_relay_pollfds(&relay, fds);
		poll(fds, 2, WATCH_TICK_MS);
		vk_launch_poll(l, o->msgs_fd, raw);
		if (l->started && !was_started) {
			was_started = true;
			if (o->on_started)
				o->on_started(o->arg);
		}
		if (o->attach && relay.con_fd == -1 && l->pty[0] && vk_relay_open(&relay, l->pty) < 0)
			relay.con_fd = -2;	/* as good as closed: the guest runs unseen */
		vk_relay_step(&relay, fds);
		if (relay.quit && !r->quit) {
			stop_vm(l);
			r->quit = true;
		}
		r->detached = relay.detach;
		r->input_ended = relay.input_ended;
		r->console_closed = relay.con_fd == -2;
		got = l->pid > 0 ? waitpid(l->pid, &status, WNOHANG) : 0;
		if (got == l->pid) {
			vk_launch_poll(l, o->msgs_fd, raw);
			r->exited = true;
			r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			l->pid = -1;
			break;
		}
		if (got < 0 && errno != EINTR) {
			rc = vk_error(errno, "waiting for vrun");
			break;
		}
		if (r->detached || (o->console_session && (r->input_ended || relay.con_fd < 0)))
			break;
		now = vk_now_ms();
		if (o->deadline_ms >= 0 && now >= o->deadline_ms && !r->quit &&
		    (l->started || now - t0 >= o->start_grace_ms)) {
			r->expired = true;
			break;
		}
	}
	vk_relay_close(&relay);
	return rc;
}
