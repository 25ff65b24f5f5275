/* vtop.h - what vtop's files share: the VMs as last seen, the host, the chosen views and outputs. */
#ifndef VK_VTOP_H
#define VK_VTOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/util/ids.h"
#include "common/vm/vmstats.h"

#define NOTE_MAX	512

enum sort_key { SORT_CPU, SORT_MEM, SORT_TIME, SORT_ID, SORT_NAME, SORT_NETRX, SORT_NETTX,
		SORT_BLOCKRDRQ, SORT_BLOCKWRRQ };

/* One running VM as last seen; rates once it has been seen twice. */
struct vm {
	char name[VK_NAME_MAX + 1];
	int pid;
	enum vk_vm_run_state state;
	uint64_t sampled_ns;		/* CLOCK_MONOTONIC when its stats reply came */
	struct vk_vm_sample sample;
	bool have_rates;
	struct vk_vm_rates rates;
	bool seen;
};

/* virt-top's displays: 0 the domains, 1 (here) each VM's vCPUs, 2 its
 * network and 3 its block counters (vrun reports them per VM, not per
 * device). */
enum view { VIEW_DOMAINS, VIEW_VCPUS, VIEW_NET, VIEW_BLOCK };

/* Which of virt-top's CSV column groups are written (--no-csv-*). */
struct csv_groups {
	bool cpu, mem, block, net;
};

struct top {
	struct vm *vms;
	size_t n, cap;
	char **inactive;		/* defined, not running: virt-top lists them too */
	size_t n_inactive;
	uint64_t host_ram;
	long host_cpus;
	bool batch, script, block_in_bytes;
	enum view view;
	enum sort_key sort;
	double delay;
	uint64_t end_ns;		/* --end-time on CLOCK_MONOTONIC, 0: none */
	char when[16];			/* HH:MM:SS of the last refresh */
	char note[NOTE_MAX];		/* the last problem, shown on the screen */
	FILE *csv;			/* virt-top's layout: one row per refresh */
	struct csv_groups groups;
	FILE *csv_detail;		/* vtop's own: one row per VM per refresh */
	char hostname[256], arch[65];
};

/* virt-top's counts: every defined or running VM, the running ones by
 * state; vrun has no "blocked", "shutoff while active" or "crashed". */
struct totals {
	unsigned count, active, running, paused, stopping, inactive;
	uint64_t guest_bytes, cpu_ns;
	double cpu_pct;
};

const char *state_word(enum vk_vm_run_state state);
double mem_pct(const struct top *t, const struct vm *vm);
void totals_get(const struct top *t, struct totals *o);

/* vtop-csv.c: --csv (virt-top's layout) and --csv-detail (vtop's own).
 * vtop_csv_open() opens either file (NULL: not asked for) and writes its
 * header; vtop_csv_close() says on stderr why a file could not be
 * completed and returns false then. */
int vtop_csv_open(struct top *t, const char *csv_path, const char *detail_path);
bool vtop_csv_close(struct top *t, const char *csv_path, const char *detail_path);
void vtop_write_csv(struct top *t);
void vtop_write_csv_detail(struct top *t);

#endif
