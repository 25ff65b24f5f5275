/* lifecycle.h - what virsh does to a defined VM, as library calls for vctl and any other front end: state, start, stop, pause, autostart, disks. */
#ifndef VK_LIFECYCLE_H
#define VK_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/vm/vmdef.h"
#include "common/vm/vmlaunch.h"

/* How long start waits for vrun's control socket, and pause for the vCPUs
 * to park and the disks to flush (docs/control.md); tests shorten the
 * first (VKIT_START_TIMEOUT_MS).  destroy waits this long after quit, and
 * again after SIGKILL. */
#define VK_START_TIMEOUT_MS	30000
#define VK_PAUSE_TIMEOUT_MS	30000
#define VK_DESTROY_WAIT_MS	10000

/* virsh's lookup of the domain a command names: arg is the Id that list
 * prints (a running VM's vrun pid), else a UUID, else a name.  *name is
 * malloc'd: the name found, or arg itself when nothing matched (the
 * command's own lookup then says why). */
int vk_vm_resolve(const char *arg, char **name);

/* Why a domain is in its state, as virsh's domstate --reason says it
 * ("booted", "user", "unknown" where vkit keeps no record). */
const char *vk_vm_state_reason(const char *state);

/* Replace name's definition with vm (same name and UUID), under the
 * definitions' lock, only if the definition still reads as old_json
 * (what the caller showed the user); -EAGAIN when it changed meanwhile.
 * A disk another defined VM uses is refused as attach does. */
int vk_vm_replace(const char *name, const char *old_json, struct vk_vm *vm);

/* name's state in virsh's words ("running", "paused", "in shutdown",
 * "shut off") and vrun's pid (0: not running).  When vrun runs but its
 * socket gives no answer, -errno with the reason while *pid and *state
 * are still set ("running"). */
int vk_vm_state(const char *name, int *pid, const char **state);

/* 0 (and vrun's pid) when name is defined and running, else -ESRCH with
 * "domain is not running; start it with: vctl start NAME". */
int vk_vm_need_running(const char *name, int *pid);

/* Start name's vrun (its networks first) and wait until the guest runs;
 * l is then the running vrun, to watch or attach to (vk_launch_close()
 * it).  tool names the caller where vrun cannot be found. */
int vk_vm_start(const char *name, const char *tool, struct vk_launch *l);

/* The ACPI power button; *guest_listening false when the guest has not
 * enabled it (it may ignore the button). */
int vk_vm_shutdown(const char *name, bool *guest_listening);
/* virsh reboot's ACPI way: the power button, and the guest's power-off
 * that follows boots it again, in the same vrun (docs/control.md,
 * reboot); *guest_listening as for shutdown. */
int vk_vm_reboot(const char *name, bool *guest_listening);
/* A hard reset in place, as the reset button: the guest is not asked. */
int vk_vm_reset(const char *name);
/* Stop at once: quit on the control socket (SIGTERM when it does not
 * answer), SIGKILL when vrun stays; returns once it is gone. */
int vk_vm_destroy(const char *name);
/* pause (the vCPUs parked, the disks flushed) and resume. */
int vk_vm_suspend(const char *name);
int vk_vm_resume(const char *name);
int vk_vm_set_autostart(const char *name, bool on);

/* boot/NAME/, the kernel and initrd copied for this VM only; what could
 * not be removed is said on stderr. */
void vk_vm_remove_boot_files(const char *name);

/* Add disk to name's definition as target (which must be the next one
 * the guest will see: vrun attaches disks as virtio-blk in order),
 * refused when another VM uses it unless both share it. */
int vk_vm_attach_disk(const char *name, const struct vk_disk *disk, const char *target);
/* Remove the disk the guest sees as target; *index is where it was and
 * *n_after how many disks are left (the later ones move up). */
int vk_vm_detach_disk(const char *name, const char *target, long *index, size_t *n_after);

#endif
