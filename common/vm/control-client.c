/* control-client.c - the client side of vrun's control socket: connect by VM name or path, one request, one reply. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/vm/control-client.h"
#include "common/util/error.h"
#include "common/util/ids.h"
#include "common/vm/statedir.h"

#define CONNECT_RETRY_US	10000
/* A socket that takes no connection or request, or gives no reply line:
 * the words every tool shows for it (docs/control.md). */
#define NO_ANSWER		"no answer from its control socket (%s): "

struct vk_control_client {
	int fd;
	char *path;
	char *buf;		/* bytes received and not yet returned */
	size_t len, cap;
};

int vk_control_socket_path(const char *name, char **out)
{
	char file[VK_NAME_MAX + 8];
	int rc = vk_name_check(name);

	if (rc < 0)
		return rc;
	snprintf(file, sizeof(file), "%s.sock", name);
	return vk_state_path(out, "run", file);
}

/* Wait for events on fd until deadline (ms, CLOCK_MONOTONIC). */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long long left = deadline - vk_now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

int vk_control_connect(const char *path, int timeout_ms, struct vk_control_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct vk_control_client *c = NULL;
	long long deadline = vk_now_ms() + timeout_ms;
	int rc = 0;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return vk_errorx(ENAMETOOLONG, "%s: socket path too long", path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	c = calloc(1, sizeof(*c));
	if (!c || !(c->path = strdup(path))) {
		rc = vk_error(ENOMEM, "%s", path);
		goto out;
	}
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		rc = vk_error(errno, "socket");
		goto out;
	}
	/* A UNIX socket connects at once or not at all: EAGAIN means the
	 * runner's backlog is full, so try again until the deadline. */
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == ENOENT || errno == ECONNREFUSED) {
			rc = vk_errorx(errno, "%s: no vrun is listening there (%s)", path, strerror(errno));
			goto out;
		}
		if (errno != EAGAIN) {
			rc = vk_error(errno, "%s", path);
			goto out;
		}
		if (vk_now_ms() >= deadline) {
			rc = vk_errorx(ETIMEDOUT, NO_ANSWER "no connection accepted within %d ms", path,
				       timeout_ms);
			goto out;
		}
		usleep(CONNECT_RETRY_US);
	}
	*out = c;
	c = NULL;
out:
	vk_control_close(c);
	return rc;
}

int vk_control_connect_vm(const char *name, int timeout_ms, struct vk_control_client **out)
{
	char *path = NULL;
	int rc = vk_control_socket_path(name, &path);

	if (rc < 0)
		return rc;
	rc = vk_control_connect(path, timeout_ms, out);
	if (rc == -ENOENT || rc == -ECONNREFUSED)
		rc = vk_errorx(-rc, "domain '%s' is not running (no control socket at %s)", name, path);
	free(path);
	return rc;
}

void vk_control_close(struct vk_control_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->path);
	free(c->buf);
	free(c);
}

static int send_all(struct vk_control_client *c, const char *data, size_t len, long long deadline,
		    int timeout_ms)
{
	while (len) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				int rc = wait_fd(c->fd, POLLOUT, deadline);

				if (rc == -ETIMEDOUT)
					return vk_errorx(ETIMEDOUT, NO_ANSWER "the request was not taken within %d ms",
							 c->path, timeout_ms);
				if (rc < 0)
					return vk_errorx(-rc, NO_ANSWER "sending the request: %s", c->path, strerror(-rc));
				continue;
			}
			return vk_errorx(errno, NO_ANSWER "sending the request: %s", c->path, strerror(errno));
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until a newline; *line_len excludes it.  The line stays in c->buf. */
static int read_line(struct vk_control_client *c, long long deadline, int timeout_ms, size_t *line_len)
{
	for (;;) {
		char *nl = c->len ? memchr(c->buf, '\n', c->len) : NULL;
		ssize_t n;

		if (nl) {
			*line_len = (size_t)(nl - c->buf);
			return 0;
		}
		if (c->len >= VK_CONTROL_MAX_REPLY)
			return vk_errorx(EPROTO, "%s: reply longer than %d bytes", c->path, VK_CONTROL_MAX_REPLY);
		if (c->cap - c->len < 4096) {
			size_t cap = c->cap ? c->cap * 2 : 8192;
			char *b = realloc(c->buf, cap + 1);

			if (!b)
				return vk_error(ENOMEM, "%s", c->path);
			c->buf = b;
			c->cap = cap;
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n > 0) {
			c->len += (size_t)n;
		} else if (n == 0 || errno == ECONNRESET) {
			return vk_errorx(ECONNRESET, NO_ANSWER "vrun closed the connection", c->path);
		} else if (errno == EAGAIN) {
			int rc = wait_fd(c->fd, POLLIN, deadline);

			if (rc == -ETIMEDOUT)
				return vk_errorx(ETIMEDOUT, NO_ANSWER "no reply within %d ms", c->path, timeout_ms);
			if (rc < 0)
				return vk_errorx(-rc, NO_ANSWER "waiting for the reply: %s", c->path, strerror(-rc));
		} else if (errno != EINTR) {
			return vk_errorx(errno, NO_ANSWER "reading the reply: %s", c->path, strerror(errno));
		}
	}
}

int vk_control_call_raw(struct vk_control_client *c, const char *line, int timeout_ms, char **reply)
{
	long long deadline = vk_now_ms() + timeout_ms;
	size_t len = strlen(line), line_len = 0;
	int rc;

	*reply = NULL;
	rc = send_all(c, line, len, deadline, timeout_ms);
	if (rc == 0 && (len == 0 || line[len - 1] != '\n'))
		rc = send_all(c, "\n", 1, deadline, timeout_ms);
	/* A runner that hung up may have said why first (too many clients,
	 * idle too long): that line, or "closed the connection", says more
	 * than EPIPE. */
	if (rc == 0 || rc == -EPIPE || rc == -ECONNRESET || rc == -ENOTCONN)
		rc = read_line(c, deadline, timeout_ms, &line_len);
	if (rc < 0)
		return rc;
	*reply = malloc(line_len + 1);
	if (!*reply)
		return vk_error(ENOMEM, "%s", c->path);
	memcpy(*reply, c->buf, line_len);
	(*reply)[line_len] = '\0';
	memmove(c->buf, c->buf + line_len + 1, c->len - line_len - 1);
	c->len -= line_len + 1;
	return 0;
}

int vk_control_parse_reply(const char *line, size_t len, struct json_object **result)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *reply = NULL, *ok, *v;
	int rc = 0;

	*result = NULL;
	if (!tok)
		return vk_error(ENOMEM, "control reply");
	if (len > (size_t)INT32_MAX) {
		rc = vk_errorx(EPROTO, "control reply too long");
		goto out;
	}
	reply = json_tokener_parse_ex(tok, line, (int)len);
	if (!reply || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "ok", &ok) || !json_object_is_type(ok, json_type_boolean)) {
		rc = vk_errorx(EPROTO, "the control reply is not {\"ok\": ...} JSON");
		goto out;
	}
	if (!json_object_get_boolean(ok)) {
		const char *msg = json_object_object_get_ex(reply, "error", &v) &&
				  json_object_is_type(v, json_type_string) ? json_object_get_string(v)
									   : "(no message)";

		rc = vk_errorx(EREMOTEIO, "%s", msg);
		goto out;
	}
	if (!json_object_object_get_ex(reply, "return", &v) || !json_object_is_type(v, json_type_object)) {
		rc = vk_errorx(EPROTO, "the control reply has no \"return\" object");
		goto out;
	}
	*result = json_object_get(v);
out:
	json_object_put(reply);
	json_tokener_free(tok);
	return rc;
}

int vk_control_call(struct vk_control_client *c, const char *command, int timeout_ms,
		    struct json_object **result)
{
	struct json_object *req = json_object_new_object();
	char *reply = NULL;
	int rc;

	*result = NULL;
	if (!req || json_object_object_add(req, "command", json_object_new_string(command)) < 0) {
		json_object_put(req);
		return vk_error(ENOMEM, "request");
	}
	rc = vk_control_call_raw(c, json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN),
				 timeout_ms, &reply);
	if (rc == 0)
		rc = vk_control_parse_reply(reply, strlen(reply), result);
	/* A reply came but says no: name the command.  No reply: the message
	 * already says so, naming the socket. */
	if (rc == -EREMOTEIO || rc == -EPROTO)
		vk_error_prefix(rc, "%s", command);
	free(reply);
	json_object_put(req);
	return rc;
}

int vk_control_call_vm(const char *name, const char *command, int timeout_ms, struct json_object **result)
{
	struct vk_control_client *c = NULL;
	struct json_object *r = NULL;
	int rc = vk_control_connect_vm(name, VK_CONTROL_TIMEOUT_MS, &c);

	if (rc == 0)
		rc = vk_control_call(c, command, timeout_ms, &r);
	vk_control_close(c);
	if (rc == 0 && result)
		*result = r;
	else
		json_object_put(r);
	return rc;
}
