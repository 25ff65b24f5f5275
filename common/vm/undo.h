/* undo.h - the rollback journal: what a run creates is undone unless it commits, even after kill -9. */
#ifndef VK_UNDO_H
#define VK_UNDO_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/vm/vmdef.h"

/*
 * vk_undo_begin() forks a guardian: a child that is told, before each
 * thing is created, what it will be, and that undoes all of it unless the
 * run commits -- when the run asks (vk_undo_rollback()), or when every
 * process holding the journal is gone: a failure path, a signal, kill -9.
 * It undoes in the reverse order of the records, the name's claim last.
 *
 * Records name only what this run creates: a temporary name carries the
 * run's pid (vk_undo_stage()); a published file or directory is removed
 * only while the path still names the inode this run made
 * (vk_undo_publish()); a definition only while it has this run's UUID; a
 * claim only while it is the one this run holds.  So a kill between a
 * record and the creation it announces removes nothing that is another's.
 *
 * The guardian ignores SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE and
 * lives in its own process group, so Ctrl-C or a kill of the run's process
 * group does not take it along.  It inherits the descriptors open at
 * vk_undo_begin() (vclone's lock on its source stays held until the
 * rollback ends).  One journal per process at a time.
 */

struct vk_undo;

int vk_undo_begin(struct vk_undo **out);

/* The process's open journal, or NULL (for code deep below the tools,
 * such as the download cache, to record what it creates). */
struct vk_undo *vk_undo_current(void);

/* A malloc'd name beside path for building it ("PATH.PROG-PID"), recorded
 * with everything named "STAGE.*" (the image layer's own temporary files). */
int vk_undo_stage(struct vk_undo *u, const char *path, char **stage);

/* Names and files only this run uses: prefix itself and "PREFIX.*". */
int vk_undo_prefix(struct vk_undo *u, const char *prefix);

/* Give the staged file or directory its name, never replacing one there
 * (-EEXIST), recorded first by its identity: a rollback removes path (a
 * directory with everything in it) only while it is still this inode. */
int vk_undo_publish(struct vk_undo *u, const char *stage, const char *path);

/* mkdir through a stage and vk_undo_publish(): 1 when this run created
 * path, 0 when it was there already (then nothing is recorded). */
int vk_undo_mkdir(struct vk_undo *u, const char *path, mode_t mode);

/* A file other runs may share under flock (a download's .part): removed
 * unless someone holds a lock on it.  u may be NULL (no journal). */
int vk_undo_shared_file(struct vk_undo *u, const char *path);

/* Claim vm's name (vk_vm_claim(), common/vm/vmclaim.h), recorded first; the
 * guardian holds the claim until its rollback has ended. */
int vk_undo_claim(struct vk_undo *u, const char *name);

/* The definition about to be written: undefined only while it still has
 * this UUID (with the atomic writer's temporary files). */
int vk_undo_definition(struct vk_undo *u, const struct vk_vm *vm);

/* A running VM paused by this run (resumed at rollback), and resumed. */
int vk_undo_paused(struct vk_undo *u, const char *name);
int vk_undo_resumed(struct vk_undo *u, const char *name);

/* A process this run started that must not outlive a rollback (a vrun
 * whose guest has not started): SIGTERM, then SIGKILL, before anything is
 * removed.  Known by pid and start time, so a reused pid is left alone. */
int vk_undo_process(struct vk_undo *u, pid_t pid);

/* Ends the journal and frees u.  Commit: nothing is undone, the claims
 * are dropped (the definition holds the name now).  Rollback: everything
 * is undone before it returns (by this process when the guardian is
 * gone), and the message recorded before the call is kept.  Detach: this
 * process lets go; a fork that holds the journal still decides. */
int vk_undo_commit(struct vk_undo *u);
void vk_undo_rollback(struct vk_undo *u);
void vk_undo_detach(struct vk_undo *u);

/*
 * For a SIGINT/SIGTERM/SIGHUP handler of a run that ends: when a journal
 * is open, closes every other descriptor (releasing the locks the rollback
 * may need, such as a .part's), has the guardian roll back, waits for it
 * and says so on stderr; then dies of sig.  Async-signal-safe; never
 * returns.
 */
void vk_undo_die_of_signal(int sig) __attribute__((noreturn));

#endif
