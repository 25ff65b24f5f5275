/* vmstats.c - parse vrun's stats reply into totals and turn two snapshots into rates; no I/O. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/util/error.h"
#include "common/vm/vmstats.h"

/* A counter: a JSON integer that is not negative.  json-c keeps values
 * above INT64_MAX as unsigned, so the sign is read first. */
static int get_counter(struct json_object *obj, const char *where, const char *key, uint64_t *out)
{
	struct json_object *v;

	if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		return vk_errorx(EPROTO, "stats: %s has no \"%s\"", where, key);
	if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
		return vk_errorx(EPROTO, "stats: %s.%s is not a counter", where, key);
	*out = json_object_get_uint64(v);
	return 0;
}

static int add_counter(uint64_t *sum, uint64_t v, const char *where)
{
	if (*sum > UINT64_MAX - v)
		return vk_errorx(EPROTO, "stats: %s overflows", where);
	*sum += v;
	return 0;
}

/* The member key of obj, which must be an array of at most max entries. */
static int get_array(struct json_object *obj, const char *key, size_t max, struct json_object **out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_array))
		return vk_errorx(EPROTO, "stats: \"%s\" is not an array", key);
	if (json_object_array_length(v) > max)
		return vk_errorx(EPROTO, "stats: more than %zu %s", max, key);
	*out = v;
	return 0;
}

/* Every member of the exits object is one kind of exit; kinds vrun adds
 * later count as well, so none is named here. */
static int sum_exits(struct json_object *exits, uint64_t *out)
{
	*out = 0;
	if (!json_object_is_type(exits, json_type_object))
		return vk_errorx(EPROTO, "stats: \"exits\" is not an object");
	json_object_object_foreach(exits, key, v) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
			return vk_errorx(EPROTO, "stats: exits.%s is not a counter", key);
		if (add_counter(out, json_object_get_uint64(v), "exits") < 0)
			return -EPROTO;
	}
	return 0;
}

struct device_counter {
	const char *key;
	size_t offset;		/* in struct vk_vm_sample */
};

static const struct device_counter disk_counters[] = {
	{ "read_reqs", offsetof(struct vk_vm_sample, rd_reqs) },
	{ "read_bytes", offsetof(struct vk_vm_sample, rd_bytes) },
	{ "write_reqs", offsetof(struct vk_vm_sample, wr_reqs) },
	{ "write_bytes", offsetof(struct vk_vm_sample, wr_bytes) },
	{ NULL, 0 }
};

static const struct device_counter nic_counters[] = {
	{ "rx_bytes", offsetof(struct vk_vm_sample, rx_bytes) },
	{ "rx_packets", offsetof(struct vk_vm_sample, rx_packets) },
	{ "tx_bytes", offsetof(struct vk_vm_sample, tx_bytes) },
	{ "tx_packets", offsetof(struct vk_vm_sample, tx_packets) },
	{ NULL, 0 }
};

static int sum_devices(struct json_object *stats, const char *key, const struct device_counter *counters,
		       struct vk_vm_sample *out)
{
	struct json_object *list;
	char where[32];
	int rc = get_array(stats, key, VK_VMSTATS_MAX_DEVICES, &list);

	for (size_t i = 0; rc == 0 && i < json_object_array_length(list); i++) {
		struct json_object *dev = json_object_array_get_idx(list, i);

		snprintf(where, sizeof(where), "%s[%zu]", key, i);
		for (const struct device_counter *c = counters; rc == 0 && c->key; c++) {
			uint64_t v = 0;

			rc = get_counter(dev, where, c->key, &v);
			if (rc == 0)
				rc = add_counter((uint64_t *)((char *)out + c->offset), v, key);
		}
	}
	return rc;
}

/* The string member key of obj, or NULL (-EPROTO recorded when present
 * but not a string, or longer than max - 1). */
static int get_string(struct json_object *obj, const char *key, size_t max, const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string) || (size_t)json_object_get_string_len(v) >= max ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return vk_errorx(EPROTO, "status: \"%s\" is not a string of under %zu bytes", key, max);
	*out = json_object_get_string(v);
	return 0;
}

static int parse_console(struct json_object *con, struct vk_vm_status *out)
{
	static const char *const kinds[] = { [VK_VM_CONSOLE_PTY] = "pty", [VK_VM_CONSOLE_FILE] = "file",
					     [VK_VM_CONSOLE_STDIO] = "stdio" };
	const char *kind = NULL, *path = NULL;
	int rc;

	if (!json_object_is_type(con, json_type_object))
		return vk_errorx(EPROTO, "status: \"console\" is not an object");
	rc = get_string(con, "kind", 16, &kind);
	if (rc == 0)
		rc = get_string(con, "path", sizeof(out->console_path), &path);
	if (rc < 0)
		return rc;
	for (size_t k = VK_VM_CONSOLE_PTY; kind && k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (!strcmp(kind, kinds[k]))
			out->console = (enum vk_vm_console_kind)k;
	if (out->console == VK_VM_CONSOLE_UNKNOWN)
		return vk_errorx(EPROTO, "status: console kind '%s' is not pty, file or stdio", kind ? kind : "");
	if ((out->console == VK_VM_CONSOLE_PTY || out->console == VK_VM_CONSOLE_FILE) && !path)
		return vk_errorx(EPROTO, "status: a %s console without its \"path\"", kind);
	snprintf(out->console_path, sizeof(out->console_path), "%s", path ? path : "");
	return 0;
}

int vk_vm_status_parse(struct json_object *status, struct vk_vm_status *out)
{
	static const char *const states[] = { [VK_VM_RUNNING] = "running", [VK_VM_PAUSED] = "paused",
					      [VK_VM_STOPPING] = "stopping" };
	struct json_object *v;
	const char *state = NULL;
	size_t k;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	out->pid = -1;
	if (!json_object_is_type(status, json_type_object))
		return vk_errorx(EPROTO, "status: the reply is not an object");
	if (get_string(status, "state", 16, &state) < 0 || !state)
		rc = vk_errorx(EPROTO, "status: no \"state\" string");
	for (k = 0; rc == 0 && k < sizeof(states) / sizeof(states[0]) && strcmp(state, states[k]); k++)
		;
	if (rc == 0 && k == sizeof(states) / sizeof(states[0]))
		rc = vk_errorx(EPROTO, "status: state '%s' is not running, paused or stopping", state);
	if (rc == 0)
		out->state = (enum vk_vm_run_state)k;
	if (rc == 0 && json_object_object_get_ex(status, "pid", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0 ||
		    json_object_get_int64(v) > INT32_MAX)
			rc = vk_errorx(EPROTO, "status: \"pid\" is not a pid");
		else
			out->pid = json_object_get_int64(v);
	}
	if (rc == 0 && json_object_object_get_ex(status, "uptime_ms", &v))
		rc = get_counter(status, "the reply", "uptime_ms", &out->uptime_ms);
	if (rc == 0 && json_object_object_get_ex(status, "console", &v))
		rc = parse_console(v, out);
	if (rc < 0) {
		memset(out, 0, sizeof(*out));
		out->pid = -1;
	}
	return rc;
}

const char *vk_vm_run_state_name(enum vk_vm_run_state s)
{
	switch (s) {
	case VK_VM_RUNNING: return "running";
	case VK_VM_PAUSED: return "paused";
	case VK_VM_STOPPING: return "in shutdown";
	}
	return "running";
}

int vk_vm_sample_parse(struct json_object *stats, struct vk_vm_sample *out)
{
	struct json_object *vcpus = NULL, *exits = NULL, *memory = NULL;
	char where[32];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(stats, json_type_object))
		return vk_errorx(EPROTO, "stats: the reply is not an object");
	rc = get_counter(stats, "the reply", "uptime_ms", &out->uptime_ms);
	if (rc == 0)
		rc = get_array(stats, "vcpus", VK_VMSTATS_MAX_VCPUS, &vcpus);
	for (size_t i = 0; rc == 0 && i < json_object_array_length(vcpus); i++) {
		struct json_object *v = json_object_array_get_idx(vcpus, i);

		snprintf(where, sizeof(where), "vcpus[%zu]", i);
		rc = get_counter(v, where, "cpu_time_ns", &out->vcpu_ns[i]);
		if (rc == 0)
			rc = get_counter(v, where, "tid", &out->vcpu_tid[i]);
		if (rc == 0)
			rc = add_counter(&out->cpu_ns, out->vcpu_ns[i], "cpu_time_ns");
		out->n_vcpus = (unsigned)i + 1;
	}
	if (rc == 0 && !json_object_object_get_ex(stats, "exits", &exits))
		rc = vk_errorx(EPROTO, "stats: the reply has no \"exits\"");
	if (rc == 0)
		rc = sum_exits(exits, &out->exits);
	if (rc == 0)
		rc = sum_devices(stats, "disks", disk_counters, out);
	if (rc == 0)
		rc = sum_devices(stats, "nics", nic_counters, out);
	if (rc == 0 && !json_object_object_get_ex(stats, "memory", &memory))
		rc = vk_errorx(EPROTO, "stats: the reply has no \"memory\"");
	if (rc == 0)
		rc = get_counter(memory, "memory", "guest_bytes", &out->guest_bytes);
	if (rc == 0)
		rc = get_counter(memory, "memory", "rss_bytes", &out->rss_bytes);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int vk_vm_nic_ifnames_parse(struct json_object *stats, char (*names)[VK_VMSTATS_IFNAME_MAX], size_t max, size_t *n)
{
	struct json_object *nics = NULL;
	const char *ifname;
	size_t i;
	int rc;

	*n = 0;
	if (!json_object_is_type(stats, json_type_object))
		return vk_errorx(EPROTO, "stats: the reply is not an object");
	rc = get_array(stats, "nics", VK_VMSTATS_MAX_DEVICES, &nics);
	for (i = 0; rc == 0 && i < json_object_array_length(nics) && i < max; i++) {
		/* A name goes to a terminal: it must be one (no escapes). */
		rc = get_string(json_object_array_get_idx(nics, i), "ifname", VK_VMSTATS_IFNAME_MAX, &ifname);
		if (rc == 0 && ifname && strspn(ifname, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
						 "0123456789_.-") != strlen(ifname))
			rc = vk_errorx(EPROTO, "stats: nics[%zu].ifname is not an interface name", i);
		if (rc == 0)
			snprintf(names[i], VK_VMSTATS_IFNAME_MAX, "%s", ifname && *ifname ? ifname : "-");
		*n = i + 1;
	}
	if (rc < 0)
		*n = 0;
	return rc;
}

/* delta per second; the same expression the tests recompute. */
static double per_second(uint64_t delta, uint64_t interval_ns)
{
	return (double)delta * 1e9 / (double)interval_ns;
}

int vk_vm_rates_compute(const struct vk_vm_sample *prev, const struct vk_vm_sample *cur,
			uint64_t interval_ns, struct vk_vm_rates *out)
{
	const uint64_t *p[] = { &prev->cpu_ns, &prev->exits, &prev->rd_reqs, &prev->rd_bytes,
				&prev->wr_reqs, &prev->wr_bytes, &prev->rx_bytes, &prev->rx_packets,
				&prev->tx_bytes, &prev->tx_packets };
	const uint64_t *c[] = { &cur->cpu_ns, &cur->exits, &cur->rd_reqs, &cur->rd_bytes,
				&cur->wr_reqs, &cur->wr_bytes, &cur->rx_bytes, &cur->rx_packets,
				&cur->tx_bytes, &cur->tx_packets };
	double *r[] = { NULL, &out->exits, &out->rd_reqs, &out->rd_bytes,
			&out->wr_reqs, &out->wr_bytes, &out->rx_bytes, &out->rx_packets,
			&out->tx_bytes, &out->tx_packets };
	bool same_vcpus = prev->n_vcpus == cur->n_vcpus;

	memset(out, 0, sizeof(*out));
	if (interval_ns == 0)
		return vk_errorx(EINVAL, "stats: no time between two snapshots");
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (*c[i] < *p[i])
			return vk_errorx(ERANGE, "stats: counters went backwards (a new vrun?)");
	/* Each vCPU's time only where the vCPUs are the same ones; the total
	 * CPU time is still right when a count changes. */
	for (unsigned i = 0; same_vcpus && i < cur->n_vcpus; i++)
		if (cur->vcpu_ns[i] < prev->vcpu_ns[i] || cur->vcpu_tid[i] != prev->vcpu_tid[i])
			same_vcpus = false;
	out->interval_ns = interval_ns;
	out->cpu_ns = cur->cpu_ns - prev->cpu_ns;
	out->cpu_pct = 100.0 * (double)out->cpu_ns / (double)interval_ns;
	for (size_t i = 1; i < sizeof(p) / sizeof(p[0]); i++)
		*r[i] = per_second(*c[i] - *p[i], interval_ns);
	if (same_vcpus) {
		out->n_vcpus = cur->n_vcpus;
		for (unsigned i = 0; i < cur->n_vcpus; i++)
			out->vcpu_pct[i] = 100.0 * (double)(cur->vcpu_ns[i] - prev->vcpu_ns[i]) /
					   (double)interval_ns;
	}
	return 0;
}

void vk_format_count(double value, char buf[VK_COUNT_STR_MAX])
{
	static const char units[] = "MGTPE";
	uint64_t v, unit = 1000000;

	if (!(value >= 0)) {
		snprintf(buf, VK_COUNT_STR_MAX, "-");
		return;
	}
	v = value >= 18e18 ? UINT64_C(18000000000000000000) : (uint64_t)llround(value);
	if (v <= 99999) {
		snprintf(buf, VK_COUNT_STR_MAX, "%llu", (unsigned long long)v);
		return;
	}
	if (v < 1000000) {
		snprintf(buf, VK_COUNT_STR_MAX, "%lluK", (unsigned long long)(v / 1000));
		return;
	}
	/* Truncated, never rounded up: 9.99M is 9.9M, not "10.0M" in 5 columns. */
	for (size_t i = 0; units[i]; i++, unit *= 1000) {
		if (v < 10 * unit) {
			snprintf(buf, VK_COUNT_STR_MAX, "%llu.%llu%c", (unsigned long long)(v / unit),
				 (unsigned long long)(v % unit / (unit / 10)), units[i]);
			return;
		}
		if (v / 1000 < unit || !units[i + 1]) {
			snprintf(buf, VK_COUNT_STR_MAX, "%llu%c", (unsigned long long)(v / unit), units[i]);
			return;
		}
	}
}

void vk_format_cputime(uint64_t ns, char buf[VK_CPUTIME_STR_MAX])
{
	uint64_t hundredths = ns / 10000000, secs = ns / 1000000000, hours = secs / 3600;

	if (hours < 12)
		snprintf(buf, VK_CPUTIME_STR_MAX, "%llu:%02llu.%02llu", (unsigned long long)(secs / 60),
			 (unsigned long long)(secs % 60), (unsigned long long)(hundredths % 100));
	else
		snprintf(buf, VK_CPUTIME_STR_MAX, "%lluh%02llu", (unsigned long long)hours,
			 (unsigned long long)(secs / 60 % 60));
}
