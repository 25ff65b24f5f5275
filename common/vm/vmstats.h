/* vmstats.h - a running VM's counters from vrun's "stats" reply, and the rates between two such snapshots (vtop). */
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
