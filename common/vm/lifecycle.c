/* lifecycle.c - a defined VM started, stopped, paused and edited as virsh would, over its control socket and its definition. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/util/clock.h"
#include "common/util/error.h"
#include "common/util/ids.h"
#include "common/vm/control-client.h"
#include "common/vm/lifecycle.h"
#include "common/vm/statedir.h"
#include "common/vm/vmstats.h"

#define GONE_POLL_MS	50

/* The defined VM whose vrun has pid, if any. */
static int vm_by_pid(char *const *names, size_t n, const char *arg, char **name)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(arg, &end, 10);
	if (errno || end == arg || *end || pid <= 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (vk_vm_running_pid(names[i]) == pid)
			return (*name = strdup(names[i])) ? 1 : vk_error(ENOMEM, "%s", arg);
	return 0;
}

static int vm_by_uuid(char *const *names, size_t n, const char *arg, char **name)
{
	struct vk_vm *vm = NULL;
	int rc = 0;

	if (!vk_uuid_valid(arg))
		return 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		/* A definition that does not load has no UUID to match. */
		if (vk_vm_lookup(names[i], &vm) < 0) {
			vk_error_clear();
			continue;
		}
		if (!strcasecmp(vm->uuid, arg))
			rc = (*name = strdup(names[i])) ? 1 : vk_error(ENOMEM, "%s", arg);
		vk_vm_free(vm);
		vm = NULL;
	}
	return rc;
}

int vk_vm_resolve(const char *arg, char **name)
{
	char **names = NULL;
	size_t n = 0;
	int rc;

	*name = NULL;
	rc = vk_vm_list(&names, &n);
	if (rc == 0)
		rc = vm_by_pid(names, n, arg, name);
	if (rc == 0)
		rc = vm_by_uuid(names, n, arg, name);
	if (rc == 0 && !(*name = strdup(arg)))
		rc = vk_error(ENOMEM, "%s", arg);
	vk_strv_free(names);
	return rc < 0 ? rc : 0;
}

const char *vk_vm_state_reason(const char *state)
{
	/* vrun has no restore, so a running VM was booted; only the control
	 * socket's pause (vctl suspend) parks it. */
	if (!strcmp(state, "running"))
		return "booted";
	if (!strcmp(state, "paused"))
		return "user";
	return "unknown";
}

struct replace_edit {
	const char *old_json;
	struct vk_vm *vm;
};

static int replace_edit(struct vk_vm *vm, void *arg)
{
	struct replace_edit *e = arg;
	char *now = vk_vm_to_json(vm);
	struct vk_vm swap;

	if (!now)
		return vk_error(ENOMEM, "definition");
	if (strcmp(now, e->old_json)) {
		free(now);
		return vk_errorx(EAGAIN, "its definition changed while it was edited; nothing saved, "
				 "edit it again");
	}
	free(now);
	if (strcasecmp(vm->uuid, e->vm->uuid))
		return vk_errorx(EINVAL, "the UUID cannot change (%s became %s); put %s back", vm->uuid,
				 e->vm->uuid, vm->uuid);
	/* The new contents go to the file; the old ones are freed with e->vm. */
	swap = *vm;
	*vm = *e->vm;
	*e->vm = swap;
	return 0;
}

int vk_vm_replace(const char *name, const char *old_json, struct vk_vm *vm)
{
	struct replace_edit e = { .old_json = old_json, .vm = vm };
	int rc;

	if (strcmp(vm->name, name))
		return vk_errorx(EINVAL, "the name cannot change here ('%s' became '%s'); clone it with "
				 "vclone, or undefine it and define the new one", name, vm->name);
	rc = vk_vm_validate(vm);
	/* An edit may add a disk, or make one writable: the same rule as
	 * attach-disk and vinstall (one writable disk in two VMs corrupts it). */
	for (size_t i = 0; rc == 0 && i < vm->n_disks; i++) {
		const struct vk_disk *d = &vm->disks[i];
		char **users = NULL;
		size_t n = 0;

		rc = vk_vm_disk_users(d->path, d->shareable, d->readonly, name, &users, &n);
		if (rc == 0 && n)
			rc = vk_errorx(EBUSY, "disk %s is already in use by %s%s; make it \"shareable\": true "
				       "(on both) or \"readonly\": true", d->path, users[0],
				       n > 1 ? " and others" : "");
		vk_strv_free(users);
	}
	if (rc == 0)
		rc = vk_vm_edit(name, replace_edit, &e);
	return rc;
}

int vk_vm_state(const char *name, int *pid, const char **state)
{
	struct vk_vm_status st;
	int rc;

	*pid = vk_vm_running_pid(name);
	*state = "shut off";
	if (*pid < 0)
		return *pid;
	if (!*pid)
		return 0;
	/* vrun runs; whether it is paused only its socket can say. */
	*state = "running";
	rc = vk_vm_status_get(name, &st);
	if (rc < 0 && vk_vm_running_pid(name) == 0) {
		/* It stopped in between: its socket went with it. */
		vk_error_clear();
		*pid = 0;
		*state = "shut off";
		return 0;
	}
	if (rc < 0)
		return rc;
	*state = vk_vm_run_state_name(st.state);
	return 0;
}

int vk_vm_need_running(const char *name, int *pid)
{
	struct vk_vm *vm = NULL;
	int rc = vk_vm_lookup(name, &vm);

	vk_vm_free(vm);
	if (rc < 0)
		return rc;
	rc = vk_vm_running_pid(name);
	if (rc == 0)
		return vk_errorx(ESRCH, "domain is not running; start it with: vctl start %s", name);
	if (rc > 0 && pid)
		*pid = rc;
	return rc < 0 ? rc : 0;
}

int vk_vm_start(const char *name, const char *tool, struct vk_launch *l)
{
	struct vk_vm *vm = NULL;
	char *vrun = NULL, *console = NULL;
	int rc, pid;

	memset(l, 0, sizeof(*l));
	l->msg_fd = -1;
	rc = vk_vm_lookup(name, &vm);
	if (rc < 0)
		goto out;
	pid = vk_vm_running_pid(name);
	if (pid > 0) {
		rc = vk_errorx(EBUSY, "domain is already running (pid %d)", pid);
		goto out;
	}
	rc = vk_vrun_find(tool, &vrun);
	if (rc == 0)
		rc = vk_vrun_console_spec(vm, &console);
	if (rc == 0)
		rc = vk_launch_start(vm, vrun, console, NULL, l);
	if (rc == 0)
		rc = vk_launch_wait_started(l, vk_env_ms("VKIT_START_TIMEOUT_MS", VK_START_TIMEOUT_MS),
					    vk_debug_level ? STDERR_FILENO : -1);
out:
	if (rc < 0)
		vk_launch_close(l);
	free(console);
	free(vrun);
	vk_vm_free(vm);
	return rc;
}

/* The power button, through command (powerdown or reboot): whether the
 * guest listens to it goes to *guest_listening. */
static int press_power_button(const char *name, const char *command, bool *guest_listening)
{
	struct json_object *r = NULL, *l;
	int rc = vk_vm_need_running(name, NULL);

	*guest_listening = true;
	if (rc == 0)
		rc = vk_control_call_vm(name, command, VK_CONTROL_TIMEOUT_MS, &r);
	if (rc == 0 && json_object_object_get_ex(r, "guest_listening", &l) && !json_object_get_boolean(l))
		*guest_listening = false;
	json_object_put(r);
	return rc;
}

int vk_vm_shutdown(const char *name, bool *guest_listening)
{
	return press_power_button(name, "powerdown", guest_listening);
}

int vk_vm_reboot(const char *name, bool *guest_listening)
{
	return press_power_button(name, "reboot", guest_listening);
}

int vk_vm_reset(const char *name)
{
	int rc = vk_vm_need_running(name, NULL);

	return rc < 0 ? rc : vk_control_call_vm(name, "reset", VK_CONTROL_TIMEOUT_MS, NULL);
}

/* Until name's vrun (pid) is gone; true when it is. */
static bool wait_gone(const char *name, int pid, int ms)
{
	struct timespec tick = { 0, GONE_POLL_MS * 1000000L };
	int64_t deadline = vk_now_ms() + ms;

	while (vk_vm_running_pid(name) == pid) {
		if (vk_now_ms() >= deadline)
			return false;
		nanosleep(&tick, NULL);
	}
	return true;
}

int vk_vm_destroy(const char *name)
{
	int pid = 0, rc = vk_vm_need_running(name, &pid);

	if (rc < 0)
		return rc;
	if (vk_control_call_vm(name, "quit", VK_CONTROL_TIMEOUT_MS, NULL) < 0) {
		/* No socket to ask: vrun stops on SIGTERM as on quit. */
		vk_debug("%s: %s; sending SIGTERM to %d", name, vk_last_error(), pid);
		vk_error_clear();
		if (kill(pid, SIGTERM) < 0)
			return vk_error(errno, "vrun (pid %d)", pid);
	}
	if (!wait_gone(name, pid, VK_DESTROY_WAIT_MS)) {
		vk_debug("%s: vrun (pid %d) still runs; SIGKILL", name, pid);
		kill(pid, SIGKILL);
		if (!wait_gone(name, pid, VK_DESTROY_WAIT_MS))
			return vk_errorx(ETIMEDOUT, "vrun (pid %d) did not stop, even on SIGKILL", pid);
	}
	return 0;
}

int vk_vm_suspend(const char *name)
{
	int rc = vk_vm_need_running(name, NULL);

	return rc < 0 ? rc : vk_control_call_vm(name, "pause", VK_PAUSE_TIMEOUT_MS, NULL);
}

int vk_vm_resume(const char *name)
{
	int rc = vk_vm_need_running(name, NULL);

	return rc < 0 ? rc : vk_control_call_vm(name, "resume", VK_CONTROL_TIMEOUT_MS, NULL);
}

static int set_autostart(struct vk_vm *vm, void *arg)
{
	vm->autostart = *(bool *)arg;
	return 0;
}

int vk_vm_set_autostart(const char *name, bool on)
{
	return vk_vm_edit(name, set_autostart, &on);
}

void vk_vm_remove_boot_files(const char *name)
{
	char *dir = NULL, path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	if (vk_state_path(&dir, "boot", name) < 0) {
		vk_error_clear();
		return;
	}
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) < 0)
			fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, path, strerror(errno));
	}
	if (d) {
		closedir(d);
		if (rmdir(dir) < 0)
			fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, dir, strerror(errno));
	}
	free(dir);
}

struct disk_edit {
	const char *target;
	const struct vk_disk *disk;	/* attach */
	long index;			/* detach: which one went */
	size_t n_after;
};

static int attach_edit(struct vk_vm *vm, void *arg)
{
	struct disk_edit *e = arg;
	char next[16];

	vk_disk_target_name("vd", vm->n_disks, next, sizeof(next));
	if (strcmp(e->target, next))
		return vk_errorx(EINVAL, "target %s: the new disk is the VM's disk number %zu, which the guest "
				 "sees as %s (vrun attaches the disks as virtio-blk in the definition's order); "
				 "give %s", e->target, vm->n_disks + 1, next, next);
	return vk_vm_add_disk(vm, e->disk);
}

int vk_vm_attach_disk(const char *name, const struct vk_disk *disk, const char *target)
{
	struct disk_edit e = { .target = target, .disk = disk };
	char **users = NULL;
	size_t n = 0;
	int rc;

	/* One writable disk in two VMs corrupts it: refused, as vinstall
	 * does, unless both attach it shareable (or both read-only). */
	rc = vk_vm_disk_users(disk->path, disk->shareable, disk->readonly, name, &users, &n);
	if (rc == 0 && n)
		rc = vk_errorx(EBUSY, "disk %s is already in use by %s%s; attach it with --mode shareable "
			       "(on both) or --mode readonly", disk->path, users[0], n > 1 ? " and others" : "");
	vk_strv_free(users);
	return rc < 0 ? rc : vk_vm_edit(name, attach_edit, &e);
}

static int detach_edit(struct vk_vm *vm, void *arg)
{
	struct disk_edit *e = arg;
	long i = vk_disk_target_index("vd", e->target);
	char last[16];

	if (vm->n_disks)
		vk_disk_target_name("vd", vm->n_disks - 1, last, sizeof(last));
	if (i < 0 || (size_t)i >= vm->n_disks)
		return vm->n_disks ? vk_errorx(ENOENT, "no disk %s: its disks are vda to %s", e->target, last)
				   : vk_errorx(ENOENT, "no disk %s: it has no disks", e->target);
	free(vm->disks[i].path);
	free(vm->disks[i].serial);
	memmove(&vm->disks[i], &vm->disks[i + 1], (vm->n_disks - (size_t)i - 1) * sizeof(vm->disks[0]));
	vm->n_disks--;
	e->index = i;
	e->n_after = vm->n_disks;
	return 0;
}

int vk_vm_detach_disk(const char *name, const char *target, long *index, size_t *n_after)
{
	struct disk_edit e = { .target = target };
	int rc = vk_vm_edit(name, detach_edit, &e);

	*index = e.index;
	*n_after = e.n_after;
	return rc;
}
