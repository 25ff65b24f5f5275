/* mgmt.c - the control socket's commands on a running machine (status, stats, pause, resume, powerdown, reset, quit) and the pid file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/vm/control-client.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/vm/statedir.h"
#include "vmm/devices.h"
#include "vmm/devices/acpi-pm.h"
#include "vmm/machine.h"
#include "vmm/mgmt.h"

#define MAX_DEVICE_STATS	32

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return vk_error(ENOMEM, "%s", key);
	}
	return 0;
}

static int add_u64(struct json_object *o, const char *key, uint64_t v)
{
	return add(o, key, json_object_new_uint64(v));
}

static uint64_t uptime_ms(const struct vk_mgmt *g)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(((int64_t)now.tv_sec - g->t0.tv_sec) * 1000 +
			  ((int64_t)now.tv_nsec - g->t0.tv_nsec) / 1000000);
}

static const char *state(struct vk_machine *m)
{
	if (vk_machine_stopping(m))
		return "stopping";
	return vk_vcpus_paused(m) ? "paused" : "running";
}

/* Where the serial console is, so a tool can attach to a pty later. */
static struct json_object *console_json(const struct vk_mgmt *g)
{
	struct json_object *c = json_object_new_object();

	if (!c)
		return NULL;
	if (json_object_object_add(c, "kind", json_object_new_string(g->console_kind)) < 0 ||
	    (g->console_path && json_object_object_add(c, "path", json_object_new_string(g->console_path)) < 0)) {
		json_object_put(c);
		return NULL;
	}
	return c;
}

static int cmd_status(void *opaque, struct json_object *r)
{
	struct vk_mgmt *g = opaque;
	struct json_object *vcpus = json_object_new_array();
	int rc = add(r, "vcpus", vcpus);

	if (rc == 0 && g->name)
		rc = add(r, "name", json_object_new_string(g->name));
	if (rc == 0)
		rc = add(r, "state", json_object_new_string(state(g->m)));
	if (rc == 0)
		rc = add_u64(r, "pid", (uint64_t)getpid());
	if (rc == 0)
		rc = add_u64(r, "uptime_ms", uptime_ms(g));
	if (rc == 0 && g->console_kind)
		rc = add(r, "console", console_json(g));
	for (unsigned i = 0; rc == 0 && i < g->m->ncpus; i++) {
		struct json_object *v = json_object_new_object();

		rc = v && json_object_array_add(vcpus, v) == 0 ? 0 : vk_error(ENOMEM, "vcpus");
		if (rc < 0)
			json_object_put(v);
		if (rc == 0)
			rc = add_u64(v, "id", i);
		if (rc == 0)
			rc = add_u64(v, "tid", (uint64_t)atomic_load(&g->m->vcpus[i].tid));
	}
	return rc;
}

static int vcpu_stats(struct vk_vcpu *v, struct json_object *out, uint64_t *totals)
{
	struct json_object *exits = json_object_new_object();
	int64_t cpu = vk_vcpu_cpu_time_ns(v);
	int rc = add(out, "exits", exits);

	if (rc == 0)
		rc = add_u64(out, "id", v->id);
	if (rc == 0)
		rc = add_u64(out, "tid", (uint64_t)atomic_load(&v->tid));
	if (rc == 0)
		rc = add_u64(out, "cpu_time_ns", cpu > 0 ? (uint64_t)cpu : 0);
	for (unsigned k = 0; rc == 0 && k < VK_VCPU_EXIT_KINDS; k++) {
		uint64_t n = atomic_load_explicit(&v->exits[k], memory_order_relaxed);

		totals[k] += n;
		rc = add_u64(exits, vk_vcpu_exit_names[k], n);
	}
	return rc;
}

/* The counters of a disk or NIC, by name and place in its stats struct. */
struct counter {
	const char *key;
	size_t offset;
};

static const struct counter disk_counters[] = {
	{ "read_reqs", offsetof(struct vk_disk_stats, read_reqs) },
	{ "read_bytes", offsetof(struct vk_disk_stats, read_bytes) },
	{ "write_reqs", offsetof(struct vk_disk_stats, write_reqs) },
	{ "write_bytes", offsetof(struct vk_disk_stats, write_bytes) },
	{ "flush_reqs", offsetof(struct vk_disk_stats, flush_reqs) },
	{ "errors", offsetof(struct vk_disk_stats, errors) },
	{ NULL, 0 },
};

static const struct counter nic_counters[] = {
	{ "rx_packets", offsetof(struct vk_nic_stats, rx_packets) },
	{ "rx_bytes", offsetof(struct vk_nic_stats, rx_bytes) },
	{ "tx_packets", offsetof(struct vk_nic_stats, tx_packets) },
	{ "tx_bytes", offsetof(struct vk_nic_stats, tx_bytes) },
	{ "tx_dropped", offsetof(struct vk_nic_stats, tx_dropped) },
	{ NULL, 0 },
};

/* Append {"name": name, ["ifname": ifname,] counters...} to array. */
static int add_device(struct json_object *array, const char *name, const char *ifname,
		      const void *stats, const struct counter *counters)
{
	struct json_object *d = json_object_new_object();
	int rc = d && json_object_array_add(array, d) == 0 ? 0 : vk_error(ENOMEM, "stats");

	if (rc < 0) {
		json_object_put(d);
		return rc;
	}
	rc = add(d, "name", json_object_new_string(name));
	if (rc == 0 && ifname)
		rc = add(d, "ifname", json_object_new_string(ifname));
	for (const struct counter *c = counters; rc == 0 && c->key; c++) {
		uint64_t v;

		memcpy(&v, (const char *)stats + c->offset, sizeof(v));
		rc = add_u64(d, c->key, v);
	}
	return rc;
}

static int disk_stats(struct vk_mgmt *g, struct json_object *disks)
{
	struct vk_disk_stats s[MAX_DEVICE_STATS];
	size_t n = vk_devices_disk_stats(g->devices, s, MAX_DEVICE_STATS);
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n && i < MAX_DEVICE_STATS; i++)
		rc = add_device(disks, s[i].name, NULL, &s[i], disk_counters);
	return rc;
}

static int nic_stats(struct vk_mgmt *g, struct json_object *nics)
{
	struct vk_nic_stats s[MAX_DEVICE_STATS];
	size_t n = vk_devices_nic_stats(g->devices, s, MAX_DEVICE_STATS);
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n && i < MAX_DEVICE_STATS; i++)
		rc = add_device(nics, s[i].name, s[i].ifname, &s[i], nic_counters);
	return rc;
}

/* Resident set of the whole process, from /proc/self/statm opened before
 * the sandbox (the control thread may not open files). */
static uint64_t rss_bytes(const struct vk_mgmt *g)
{
	unsigned long size = 0, resident = 0;
	char buf[128];
	ssize_t n = g->statm_fd >= 0 ? pread(g->statm_fd, buf, sizeof(buf) - 1, 0) : -1;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%lu %lu", &size, &resident) != 2)
		return 0;
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int cmd_stats(void *opaque, struct json_object *r)
{
	struct vk_mgmt *g = opaque;
	struct json_object *vcpus = json_object_new_array(), *exits = NULL, *disks = NULL;
	struct json_object *nics = NULL, *mem = NULL;
	uint64_t totals[VK_VCPU_EXIT_KINDS] = { 0 };
	int rc = add(r, "vcpus", vcpus);

	if (rc == 0)
		rc = add(r, "exits", exits = json_object_new_object());
	if (rc == 0)
		rc = add(r, "disks", disks = json_object_new_array());
	if (rc == 0)
		rc = add(r, "nics", nics = json_object_new_array());
	if (rc == 0)
		rc = add(r, "memory", mem = json_object_new_object());
	if (rc == 0)
		rc = add_u64(r, "uptime_ms", uptime_ms(g));
	if (rc == 0 && g->console_kind)
		rc = add(r, "console", console_json(g));
	for (unsigned i = 0; rc == 0 && i < g->m->ncpus; i++) {
		struct json_object *v = json_object_new_object();

		rc = v && json_object_array_add(vcpus, v) == 0 ? 0 : vk_error(ENOMEM, "vcpus");
		if (rc < 0)
			json_object_put(v);
		else
			rc = vcpu_stats(&g->m->vcpus[i], v, totals);
	}
	for (unsigned k = 0; rc == 0 && k < VK_VCPU_EXIT_KINDS; k++)
		rc = add_u64(exits, vk_vcpu_exit_names[k], totals[k]);
	if (rc == 0)
		rc = disk_stats(g, disks);
	if (rc == 0)
		rc = nic_stats(g, nics);
	if (rc == 0)
		rc = add_u64(mem, "guest_bytes", g->m->ram_size);
	if (rc == 0)
		rc = add_u64(mem, "rss_bytes", rss_bytes(g));
	return rc;
}

static int cmd_pause(void *opaque, struct json_object *r)
{
	struct vk_mgmt *g = opaque;
	int rc = vk_vcpus_pause(g->m);

	if (rc < 0)
		return rc;
	/* Parked vCPUs queue nothing new: the disks can be made complete. */
	rc = vk_devices_quiesce(g->devices);
	if (rc < 0)
		return vk_error_prefix(rc, "paused, but the disks are not flushed");
	rc = add(r, "state", json_object_new_string(state(g->m)));
	return rc < 0 ? rc : add(r, "disks_flushed", json_object_new_boolean(true));
}

static int cmd_resume(void *opaque, struct json_object *r)
{
	struct vk_mgmt *g = opaque;

	vk_vcpus_resume(g->m);
	return add(r, "state", json_object_new_string(state(g->m)));
}

static int cmd_powerdown(void *opaque, struct json_object *r)
{
	struct vk_mgmt *g = opaque;

	if (!g->pm)
		return vk_errorx(ENOTSUP, "this machine has no ACPI power button");
	/* The press is latched: a guest that enables the event later sees it. */
	return add(r, "guest_listening", json_object_new_boolean(vk_acpi_pm_power_button(g->pm)));
}

static int cmd_reset(void *opaque, struct json_object *r)
{
	struct vk_mgmt *g = opaque;

	(void)r;
	/* A hard reset, as the guest's own: in place, or vrun exits 2 under --no-reboot. */
	vk_machine_request_reset(g->m, VK_RESET_CONTROL);
	return 0;
}

static int cmd_reboot(void *opaque, struct json_object *r)
{
	struct vk_mgmt *g = opaque;

	if (!g->pm)
		return vk_errorx(ENOTSUP, "this machine has no ACPI power button");
	/* Armed before the press, so that a quick power-off is caught; it
	 * stays armed while the guest ignores the button, as the press is
	 * latched for when it listens. */
	vk_machine_reboot_at_poweroff(g->m);
	return add(r, "guest_listening", json_object_new_boolean(vk_acpi_pm_power_button(g->pm)));
}

static int cmd_quit(void *opaque, struct json_object *r)
{
	struct vk_mgmt *g = opaque;

	(void)r;
	vk_machine_stop(g->m, VK_EXIT_ERROR, "stopped by 'quit' on the control socket");
	return 0;
}

const struct vk_control_command vk_mgmt_commands[] = {
	{ "status", cmd_status },
	{ "stats", cmd_stats },
	{ "pause", cmd_pause },
	{ "resume", cmd_resume },
	{ "powerdown", cmd_powerdown },
	{ "reset", cmd_reset },
	{ "reboot", cmd_reboot },
	{ "quit", cmd_quit },
	{ NULL, NULL },
};

int vk_mgmt_claim(struct vk_mgmt *g, struct vk_machine *m, const char *name)
{
	char file[VK_NAME_MAX + 8], pid[32];
	int rc, running;

	g->m = m;
	g->name = name;
	g->statm_fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &g->t0);
	if (!name)
		return 0;
	running = vk_vm_running_pid(name);
	if (running < 0)
		return vk_error_prefix(running, "--name");
	if (running > 0 && running != getpid())
		return vk_errorx(EBUSY, "domain '%s' is already running (pid %d)", name, running);
	snprintf(file, sizeof(file), "%s.pid", name);
	rc = vk_state_path(&g->pidfile, "run", file);
	if (rc < 0)
		return rc;
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	rc = vk_write_file_atomic(g->pidfile, pid, strlen(pid), VK_MODE_PRIVATE_FILE);
	if (rc < 0) {
		free(g->pidfile);
		g->pidfile = NULL;
	}
	return rc;
}

int vk_mgmt_listen(struct vk_mgmt *g, const char *path)
{
	char *own = NULL;
	int rc;

	if (!path && !g->name)
		return 0;
	if (!path) {
		rc = vk_control_socket_path(g->name, &own);
		if (rc < 0)
			return rc;
		path = own;
	}
	g->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	rc = vk_control_server_listen(path, vk_mgmt_commands, g, &g->server);
	if (rc < 0)
		vk_error_prefix(rc, "control socket");
	/* Some filesystems cannot hold a socket (9p, many FUSE ones): the VM
	 * still runs, as an unmanaged one, and the caller says so. */
	if (rc == -ENXIO || rc == -EOPNOTSUPP || rc == -EPERM) {
		g->no_socket = true;
		rc = 0;
	}
	free(own);
	return rc;
}

int vk_mgmt_serve(struct vk_mgmt *g)
{
	int rc = g->server ? vk_control_server_serve(g->server) : 0;

	if (rc < 0)
		vk_error_prefix(rc, "control socket");
	return rc;
}

/* After dropping root the removals may fail (run/ belongs to root): the
 * next vrun of that name finds the pid dead and the socket stale. */
void vk_mgmt_stop(struct vk_mgmt *g)
{
	vk_control_server_stop(g->server);
	g->server = NULL;
	if (g->pidfile)
		unlink(g->pidfile);
	free(g->pidfile);
	g->pidfile = NULL;
	if (g->statm_fd >= 0)
		close(g->statm_fd);
	g->statm_fd = -1;
}
