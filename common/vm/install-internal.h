/* install-internal.h - what install-plan.c and install-run.c share, and no one else needs. */
#ifndef VK_INSTALL_INTERNAL_H
#define VK_INSTALL_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "common/vm/install.h"

/* $VKIT_DIR/SUB/NAME, creating nothing: a dry run must leave no trace, and
 * the real run makes the directories (vk_state_dir) when it starts creating. */
int vk_install_state_file(const char *sub, const char *name, char **out);
/* Whether the install shows the console on the user's terminal. */
bool vk_install_console_attached(const struct vk_install_plan *p);
/* The disk the installed system lives on: the first that is not the installer medium. */
const struct vk_planned_disk *vk_install_target_disk(const struct vk_install_plan *p);
/* vrun's command line for the definition, quoted for a shell, on out;
 * installer: the installer's run, which ends at its reboot. */
void vk_install_print_vrun_argv(FILE *out, const struct vk_vm *vm, const char *vrun, const char *console,
				bool installer);
/* What vrun gets beyond the definition's arguments (vk_launch_start's
 * extra): the installer runs under --no-reboot, so that its reboot ends
 * vrun and the install medium can be detached before the installed system
 * boots; a system's run reboots in place.  NULL when nothing. */
const char *const *vk_install_vrun_extra(bool installer);
int vk_install_check_host(struct vk_install_plan *p);

#endif
