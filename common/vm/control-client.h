/* control-client.h - talk to a running vrun over its control socket (docs/control.md): connect, request, reply. */
#ifndef VK_CONTROL_CLIENT_H
#define VK_CONTROL_CLIENT_H

#include <stddef.h>

#include <json-c/json.h>

/*
 * The protocol: one JSON object per line each way.  A request is
 * {"command": "NAME"} (optionally with "id", echoed back); the reply is
 * {"ok": true, "return": {...}} or {"ok": false, "error": "message"}.
 */
#define VK_CONTROL_MAX_REQUEST	4096		/* bytes, newline included */
#define VK_CONTROL_MAX_REPLY	(1024 * 1024)
#define VK_CONTROL_TIMEOUT_MS	5000		/* a sensible default for tools */

struct vk_control_client;

/* $VKIT_DIR/run/NAME.sock (malloc'd). */
int vk_control_socket_path(const char *name, char **out);

/* Connect to the socket at path, or of the VM called name, within
 * timeout_ms.  -ENOENT / -ECONNREFUSED with "not running" messages. */
int vk_control_connect(const char *path, int timeout_ms, struct vk_control_client **out);
int vk_control_connect_vm(const char *name, int timeout_ms, struct vk_control_client **out);
void vk_control_close(struct vk_control_client *c);

/* Send {"command": command} and wait up to timeout_ms for the reply.
 * On success *result is the reply's "return" object (the caller puts it).
 * An error reply gives -EREMOTEIO with the runner's message recorded;
 * a reply that is not the protocol gives -EPROTO; -ETIMEDOUT. */
int vk_control_call(struct vk_control_client *c, const char *command, int timeout_ms,
		    struct json_object **result);

/* One request to the VM called name on a connection of its own: connect
 * (VK_CONTROL_TIMEOUT_MS), vk_control_call(), close.  result may be NULL
 * when the reply's "return" is not wanted. */
int vk_control_call_vm(const char *name, const char *command, int timeout_ms, struct json_object **result);

/* Send one raw line (a newline is added) and read one reply line into a
 * malloc'd NUL-terminated string (without the newline).  For tests and
 * for commands built by hand. */
int vk_control_call_raw(struct vk_control_client *c, const char *line, int timeout_ms, char **reply);

/* Parse one reply line as above (len bytes, no newline needed). */
int vk_control_parse_reply(const char *line, size_t len, struct json_object **result);

#endif
