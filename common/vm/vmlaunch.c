/* vmlaunch.c - starting vrun for a VM definition (vinstall, vctl). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/image/image.h"
#include "common/net/network.h"
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
