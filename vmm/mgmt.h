/* mgmt.h - what makes a running vrun manageable: its pid file and the control socket's commands. */
#ifndef VK_MGMT_H
#define VK_MGMT_H

#include <stdbool.h>
#include <time.h>

#include "vmm/control.h"

struct vk_machine;
struct vk_devices;
struct vk_acpi_pm;

struct vk_mgmt {
	struct vk_machine *m;
	struct vk_devices *devices;	/* NULL without PCI */
	struct vk_acpi_pm *pm;
	const char *name;		/* NULL without --name */
	const char *console_kind;	/* "pty", "file", "stdio"; NULL: not said */
	const char *console_path;	/* the pty or the log file; NULL for stdio */
	struct timespec t0;		/* CLOCK_MONOTONIC at start */
	char *pidfile;
	int statm_fd;			/* /proc/self/statm, for stats; -1 */
	bool no_socket;			/* the filesystem refused the socket */
	struct vk_control_server *server;
};

/* With a name: refuse when a vrun of that name runs already, and write
 * $VKIT_DIR/run/NAME.pid.  Without one: nothing. */
int vk_mgmt_claim(struct vk_mgmt *g, struct vk_machine *m, const char *name);
/* Bind the control socket at path, or at run/NAME.sock when path is NULL
 * and there is a name; neither: no socket.  Call before dropping root.
 * Where the filesystem cannot hold a socket, 0 with no_socket set and the
 * reason recorded (vk_last_error()). */
int vk_mgmt_listen(struct vk_mgmt *g, const char *path);
/* Start the socket's thread.  Call once the vCPUs run. */
int vk_mgmt_serve(struct vk_mgmt *g);
/* Stop the socket and remove the pid file. */
void vk_mgmt_stop(struct vk_mgmt *g);

/* The command table (status, stats, pause, resume, powerdown, reset, quit). */
extern const struct vk_control_command vk_mgmt_commands[];

#endif
