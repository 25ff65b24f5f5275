/* vmlaunch.h - starting vrun for a VM definition: finding vrun, its argument vector, a spawn that outlives the tool. */
#ifndef VK_VMLAUNCH_H
#define VK_VMLAUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/vm/vmdef.h"

/* vrun's exit statuses (docs/vmm.md). */
#define VK_VRUN_EXIT_POWEROFF	0
#define VK_VRUN_EXIT_ERROR	1
#define VK_VRUN_EXIT_REBOOT	2

/* A NULL-terminated argument vector that grows as needed. */
struct vk_argv {
	char **v;
	size_t n, cap;
};

int vk_argv_add(struct vk_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vk_argv_free(struct vk_argv *a);

/* $VKIT_VRUN, else vrun beside the running program (installed: bindir;
 * build tree: tools/../vmm).  tool names the caller in the message. */
int vk_vrun_find(const char *tool, char **out);

/* vrun's command line for the definition as it stands, with --console
 * console: a kernel boot, or a disk boot through vrun's firmware (with its
 * boot order).  A guest's reboot resets it in place; a caller that must
 * act between boots adds --no-reboot (vinstall's installer phase).
 * -EINVAL when a kernel boot names no kernel; the vector is empty then. */
int vk_vrun_argv(const struct vk_vm *vm, const char *vrun, const char *console, struct vk_argv *a);

/* vrun's --console for a VM that may outlive the tool that starts it
 * (malloc'd): never the user's terminal, so pty and stdio definitions get a
 * pty a tool can relay (and attach to later), file gets the file, none the
 * state directory's log/NAME.log. */
int vk_vrun_console_spec(const struct vk_vm *vm, char **out);

/*
 * Start vrun (argv from vk_vrun_argv) so that it outlives the caller: its
 * own session, SIGHUP ignored, standard input /dev/null, standard output
 * and error into msgs (truncated).  *msg_fd is msgs opened for reading
 * (non-blocking), for vk_vrun_relay_messages().
 */
int vk_vrun_spawn(const struct vk_argv *argv, const char *msgs, pid_t *pid, int *msg_fd);

/* Copy what vrun wrote since the last call from msg_fd to out_fd (a
 * terminal in raw mode gets "\r\n" for "\n"; out_fd -1: only read).  The
 * first "vrun: console is PATH" line's PATH goes to pty (when pty[0] is
 * still '\0'). */
void vk_vrun_relay_messages(int msg_fd, int out_fd, bool raw, char *pty, size_t pty_len);

/* Whether the control socket at path is a new one (the guest runs: vrun
 * opens it once the vCPUs run), not the one stat()ed into before when had. */
bool vk_vrun_socket_is_new(const char *path, const struct stat *before, bool had);

/* Write to a terminal; in raw mode a newline needs its carriage return. */
void vk_write_terminal(int fd, const char *buf, size_t len, bool raw);

#endif
