/* statedir.h - where vkit keeps definitions, sockets, logs and caches. */
#ifndef VK_STATEDIR_H
#define VK_STATEDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/vm/vmdef.h"

/*
 * Layout (documented in docs/HACKING.md):
 *   $DIR/vms/NAME.json      definitions
 *   $DIR/vms/NAME.claim     a name being created (common/vm/vmclaim.h)
 *   $DIR/vms/.lock          lock taken while a definition or claim is written
 *   $DIR/networks/NAME.json network definitions (common/net/netdef.h)
 *   $DIR/run/net/NAME.*     an active network's state and dnsmasq's files
 *   $DIR/run/NAME.pid       pid of the running vrun
 *   $DIR/run/NAME.sock      vrun's control socket
 *   $DIR/log/NAME.log       console log (size-capped)
 *   $DIR/boot/NAME/         kernel and initrd extracted for the VM
 *   $DIR/images/            default place for new disks
 *   $DIR/cache/             downloads, keyed by URL and validators
 * DIR is $VKIT_DIR if set, /var/lib/vkit for root, $XDG_DATA_HOME/vkit
 * (default ~/.local/share/vkit) otherwise.
 */

/* Where the state directory is for euid, from the environment; creates
 * nothing (vk_state_dir() uses it with geteuid()). */
int vk_state_dir_resolve(uid_t euid, char *buf, size_t len);
/* The state directory (created with its subdirectories on first use). */
int vk_state_dir(const char **out);
/* malloc'd "$DIR/sub/name" (name may be NULL); creates $DIR/sub. */
int vk_state_path(char **out, const char *sub, const char *name);
/* The same path, creating nothing: for reads that may find nothing there
 * (a dry run leaves no state directory behind). */
int vk_state_path_peek(char **out, const char *sub, const char *name);

/* Definitions by name. */
int vk_vm_def_path(char **out, const char *name);
bool vk_vm_exists(const char *name);
int vk_vm_lookup(const char *name, struct vk_vm **out);	/* -ENOENT: "domain 'x' not found" */
/* Write a definition; -EEXIST unless overwrite. */
int vk_vm_define(const struct vk_vm *vm, bool overwrite);
int vk_vm_undefine(const char *name);
/* Change a definition in place: under the definitions' lock, load it, let
 * edit change it (edit returns 0 or -errno with a message), validate and
 * write it atomically.  When edit or the validation fails, nothing is
 * written. */
int vk_vm_edit(const char *name, int (*edit)(struct vk_vm *vm, void *arg), void *arg);
/* Sorted names of all defined VMs; free with vk_strv_free(). */
int vk_vm_list(char ***names, size_t *count);
/* The same for any definitions directory: the NAMEs of $DIR/sub/NAME.json. */
int vk_state_names(const char *sub, char ***names, size_t *count);
void vk_strv_free(char **v);

/* Names of the defined VMs (other than except, may be NULL) that have path
 * as a disk or as the backing file of one of their qcow2 disks, leaving
 * out those whose use and ours can share it: both shareable, or both
 * read-only (virt-install's path_in_use rule).  *names is NULL-terminated
 * (free with vk_strv_free()); *count may be 0.  Definitions that do not
 * parse are skipped. */
int vk_vm_disk_users(const char *path, bool shareable, bool readonly, const char *except,
		     char ***names, size_t *count);

/* Pid of the running vrun for name, 0 if not running (stale pid files ignored). */
int vk_vm_running_pid(const char *name);

#endif
