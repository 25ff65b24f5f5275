/* clone.h - a VM cloned as virt-clone does: a request turned into a plan (name, UUID, MACs, each disk's fate), the plan checked, described or carried out under the undo journal. */
#ifndef VK_CLONE_H
#define VK_CLONE_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "common/vm/vmdef.h"

/* What the front end asked for (virt-clone's options, parsed). */
struct vk_clone_request {
	const char *name, *uuid;		/* NULL: generated (auto_clone) / random */
	const char *const *files;		/* new disk paths, in disk order */
	int n_files;
	const char *const *macs;		/* new MACs, in NIC order; "RANDOM" */
	int n_macs;
	const char *const *skip;		/* disks kept as they are (target or path) */
	int n_skip;
	bool auto_clone, reflink, nonsparse, preserve, linked, reset_identity;
	/* Set by the caller's signal handler: the copy stops and what was
	 * made is removed.  NULL: never interrupted. */
	volatile sig_atomic_t *interrupted;
};

struct vk_clone_plan;

/* The clone of orig as req asks: its definition (name, UUID, MACs, disk
 * paths) and what happens to each disk (copy, overlay, share, skip,
 * preserve).  Nothing is created.  orig must outlive the plan. */
int vk_clone_plan_build(const struct vk_clone_request *req, const struct vk_vm *orig,
			struct vk_clone_plan **out);
void vk_clone_plan_free(struct vk_clone_plan *p);
/* The clone's definition as it will be written. */
const struct vk_vm *vk_clone_plan_vm(const struct vk_clone_plan *p);
/* The plan, one line per decision, as virt-clone --check would show. */
void vk_clone_describe(const struct vk_clone_plan *p, FILE *out);
/* What the copy would trip over (directories, free space summed per
 * filesystem), each problem reported on stderr; their number. */
int vk_clone_check(const struct vk_clone_plan *p);
/* Carry the plan out: the name claimed, (with pause_original) the running
 * original paused while its disks are copied, the copies staged, the
 * identity reset, the disks named, the definition written -- all under the
 * undo journal (common/vm/undo.h), so a failure, a signal or kill -9
 * leaves nothing.  0, or -errno with a message. */
int vk_clone_run(struct vk_clone_plan *p, bool pause_original);

/* Clones of one VM wait for each other on run/NAME.lock (said on stderr,
 * stopped by *interrupted); *fd_out holds the lock until closed. */
int vk_clone_lock_source(const char *name, volatile sig_atomic_t *interrupted, int *fd_out);

#endif
