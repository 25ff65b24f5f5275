/* vmclaim.h - a new VM's name, claimed before anything of the VM is created. */
#ifndef VK_VMCLAIM_H
#define VK_VMCLAIM_H

/*
 * A run that creates a VM (vinstall, vclone) claims its name first:
 * $VKIT_DIR/vms/NAME.claim, created 0600 under the definitions' lock and
 * held with an exclusive flock for as long as the run (and its undo
 * journal's guardian, common/vm/undo.h) may still create or remove anything
 * of the VM.  A second run for the same name fails at once; a claim file
 * nobody holds is what a killed run left, and is taken over.  The file
 * holds the claimer's pid ("PID\n", "PID rollback\n" while its guardian
 * undoes it) for the messages.  Readers of vms/ list only NAME.json, so
 * they never see a claim.
 */

/* Claim name for this process; *fd_out holds the claim (close it only
 * through vk_vm_claim_drop() or when the process ends).  -EEXIST: "domain
 * 'x' already exists"; -EBUSY: "domain 'x' is being created by pid N". */
int vk_vm_claim(const char *name, int *fd_out);

/* The run that holds fd is undoing what it created: say so to whoever
 * finds the claim taken. */
void vk_vm_claim_mark_rollback(int fd);

/* Remove the claim file if it is still the one fd holds (committed or
 * rolled back); fd stays open. */
int vk_vm_claim_drop(const char *name, int fd);

/* Remove the claim file for name if nobody holds it (what a killed run
 * left before its guardian learnt of it). */
int vk_vm_claim_drop_stale(const char *name);

/* For a writer of a new definition, with the definitions' lock held:
 * -EBUSY when another process holds a claim on name. */
int vk_vm_claim_check_locked(const char *name);

#endif
