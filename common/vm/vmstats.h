/* vmstats.h - a running VM's status and counters from vrun's "status" and "stats" replies, and rates between two snapshots (vtop). */
#ifndef VK_VMSTATS_H
#define VK_VMSTATS_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* More vCPUs than vrun can run: a reply listing more is not vrun's. */
#define VK_VMSTATS_MAX_VCPUS	256
/* Disks and NICs summed per reply; more is a hostile reply. */
#define VK_VMSTATS_MAX_DEVICES	1024

/* One snapshot, totals over the vCPUs, disks and NICs (docs/control.md). */
struct vk_vm_sample {
	uint64_t uptime_ms;
	uint64_t cpu_ns;			/* sum of the vCPUs' cpu_time_ns */
	uint64_t exits;				/* every kind, every vCPU */
	unsigned n_vcpus;
	uint64_t vcpu_ns[VK_VMSTATS_MAX_VCPUS];
	uint64_t vcpu_tid[VK_VMSTATS_MAX_VCPUS];
	uint64_t rd_reqs, rd_bytes, wr_reqs, wr_bytes;
	uint64_t rx_bytes, rx_packets, tx_bytes, tx_packets;
	uint64_t guest_bytes, rss_bytes;
};

/* Per second over the interval, except cpu_ns (used in the interval)
 * and cpu_pct (100 = one host CPU busy all the interval). */
struct vk_vm_rates {
	uint64_t interval_ns;
	uint64_t cpu_ns;
	double cpu_pct;
	unsigned n_vcpus;			/* 0 when the vCPU count changed */
	double vcpu_pct[VK_VMSTATS_MAX_VCPUS];
	double exits;
	double rd_reqs, rd_bytes, wr_reqs, wr_bytes;
	double rx_bytes, rx_packets, tx_bytes, tx_packets;
};

/* What vrun's "status" reply says (docs/control.md), typed, so no tool
 * picks the JSON apart itself. */
enum vk_vm_run_state { VK_VM_RUNNING = 0, VK_VM_PAUSED, VK_VM_STOPPING };
enum vk_vm_console_kind { VK_VM_CONSOLE_UNKNOWN = 0, VK_VM_CONSOLE_PTY, VK_VM_CONSOLE_FILE, VK_VM_CONSOLE_STDIO };
#define VK_VM_CONSOLE_PATH_MAX	4096
struct vk_vm_status {
	enum vk_vm_run_state state;
	int64_t pid;				/* -1 when not given */
	uint64_t uptime_ms;
	enum vk_vm_console_kind console;	/* UNKNOWN: the reply names none (an older vrun) */
	char console_path[VK_VM_CONSOLE_PATH_MAX];	/* pty or file; "" otherwise */
};

/* Fill *out from the "return" object of a status reply.  Hostile like
 * stats: a state or console kind it does not know, a path too long or
 * not a string, give -EPROTO with the member named. */
int vk_vm_status_parse(struct json_object *status, struct vk_vm_status *out);
/* The typed "status" and "stats" replies of the VM called name, each on
 * a connection of its own (common/vm/vmquery.c, which does the I/O this
 * file's parsers leave out). */
int vk_vm_status_get(const char *name, struct vk_vm_status *out);
int vk_vm_sample_get(const char *name, struct vk_vm_sample *out);
/* The host's names of a running VM's NICs (its taps), in vrun's order:
 * stats' "nics"[].ifname, at most max of them ("-" where one has none).  A
 * name that is not a string of interface-name characters under IFNAMSIZ
 * gives -EPROTO with the member named. */
#define VK_VMSTATS_IFNAME_MAX	16
int vk_vm_nic_ifnames_parse(struct json_object *stats, char (*names)[VK_VMSTATS_IFNAME_MAX], size_t max, size_t *n);
int vk_vm_nic_ifnames_get(const char *name, char (*names)[VK_VMSTATS_IFNAME_MAX], size_t max, size_t *n);
/* virsh's word for a state: "running", "paused", "in shutdown". */
const char *vk_vm_run_state_name(enum vk_vm_run_state s);

/* Fill *out from the "return" object of a stats reply.  The reply is
 * hostile: a missing or mistyped member, a negative or fractional
 * counter, too many vCPUs or devices, or totals that overflow give
 * -EPROTO with the member named. */
int vk_vm_sample_parse(struct json_object *stats, struct vk_vm_sample *out);

/* Rates from prev to cur, taken interval_ns apart.  -EINVAL for a zero
 * interval; -ERANGE when a counter went backwards (another vrun took the
 * name): cur is then a new start, not a rate. */
int vk_vm_rates_compute(const struct vk_vm_sample *prev, const struct vk_vm_sample *cur,
			uint64_t interval_ns, struct vk_vm_rates *out);

/* A count in at most 5 characters, as virt-top shows them: 12345,
 * 123K, 1.2M, 123M, 1.2G, 123G, 1.2T ...  Negative values (no count) as "-". */
#define VK_COUNT_STR_MAX	8
void vk_format_count(double value, char buf[VK_COUNT_STR_MAX]);

/* CPU time as virt-top's TIME column: M:SS.hh below 12 hours (M may
 * exceed 59), then HhMM. */
#define VK_CPUTIME_STR_MAX	24
void vk_format_cputime(uint64_t ns, char buf[VK_CPUTIME_STR_MAX]);

#endif
