/* control.h - vrun's control socket server: JSON lines in, one reply each (docs/control.md). */
#ifndef VK_CONTROL_H
#define VK_CONTROL_H

#include <stddef.h>

#include <json-c/json.h>

/*
 * The server knows the protocol, not the machine: it is given a table of
 * commands, each filling a reply object or returning -errno with a message
 * recorded (common/util/error.h).  Commands run on the server's own thread, one
 * at a time.  Unit tests drive it without KVM.
 */
struct vk_control_command {
	const char *name;
	int (*run)(void *opaque, struct json_object *reply);
};

#define VK_CONTROL_MAX_CLIENTS	16
/* A client that goes this long without a complete request is closed: the
 * tools send their request as soon as they connect, and a connection
 * that says nothing must not keep one of the slots.  When all slots are
 * taken, a new client takes the slot of the one idle the longest. */
#define VK_CONTROL_IDLE_TIMEOUT_MS	5000

/* One request line (len bytes, no newline) in, one reply line out
 * (malloc'd, newline-terminated).  Never fails except for memory (NULL). */
char *vk_control_handle_line(const struct vk_control_command *cmds, void *opaque,
			     const char *line, size_t len);

struct vk_control_server;

/* Listen on path (mode 0600; a stale socket there is replaced, a live one
 * is -EADDRINUSE) and serve on a thread of its own.  cmds ends with a NULL
 * name and must outlive the server. */
int vk_control_server_start(const char *path, const struct vk_control_command *cmds, void *opaque,
			    struct vk_control_server **out);
/* The same in two steps: bind and listen (no thread yet), then serve.
 * vrun binds before it drops root and serves once its threads may start.
 * After a failed serve, stop the server. */
int vk_control_server_listen(const char *path, const struct vk_control_command *cmds, void *opaque,
			     struct vk_control_server **out);
int vk_control_server_serve(struct vk_control_server *s);
/* Run by the server thread before it serves (vrun installs its seccomp
 * filter there); a failure ends the thread, the hook reports why. */
void vk_control_set_start_hook(int (*hook)(void));
/* Serve an already-connected stream socket too (tests use a socketpair);
 * the server owns fd from here on.  With every slot taken, the client
 * idle the longest is closed to make room. */
int vk_control_server_add_client(struct vk_control_server *s, int fd);
/* Stop the thread, close every connection, remove the socket.  NULL is fine. */
void vk_control_server_stop(struct vk_control_server *s);

#endif
