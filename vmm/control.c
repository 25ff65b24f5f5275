/* control.c - the control socket: a poll loop on its own thread, JSON line requests, one reply each. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/util/clock.h"
#include "common/vm/control-client.h"
#include "common/util/error.h"
#include "vmm/control.h"

#define CONTROL_BACKLOG		VK_CONTROL_MAX_CLIENTS
#define CONTROL_SEND_TIMEOUT_MS	1000	/* a client that does not read its replies is dropped */
#define NS_PER_MS		1000000LL
#define NS_PER_SEC		1000000000LL

struct client {
	int fd;			/* -1: free slot */
	char buf[VK_CONTROL_MAX_REQUEST];
	size_t len;
	long long idle_since_ns;	/* connected, or its last request answered; ns, so that clients answered within one millisecond still have an order */
};

struct vk_control_server {
	char *path;
	int listen_fd, wake_fd;
	const struct vk_control_command *cmds;
	void *opaque;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	pthread_mutex_t lock;	/* clients[] between add_client and the thread */
	struct client clients[VK_CONTROL_MAX_CLIENTS];
};

static char *reply_line(struct json_object *reply)
{
	const char *s = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	char *line = NULL;

	if (s && asprintf(&line, "%s\n", s) < 0)
		line = NULL;
	return line;
}

static char *error_reply(struct json_object *id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *error_reply(struct json_object *id, const char *fmt, ...)
{
	struct json_object *reply = json_object_new_object();
	char msg[VK_ERRMSG_MAX];
	char *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!reply)
		return NULL;
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	json_object_object_add(reply, "ok", json_object_new_boolean(0));
	json_object_object_add(reply, "error", json_object_new_string(msg));
	line = reply_line(reply);
	json_object_put(reply);
	return line;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

char *vk_control_handle_line(const struct vk_control_command *cmds, void *opaque,
			     const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req = NULL, *id = NULL, *cmd, *data = NULL, *reply = NULL;
	const struct vk_control_command *c;
	const char *name;
	char *out = NULL;
	int rc;

	if (!tok)
		return NULL;
	if (len >= VK_CONTROL_MAX_REQUEST) {
		out = error_reply(NULL, "request longer than %d bytes", VK_CONTROL_MAX_REQUEST - 1);
		goto out;
	}
	req = json_tokener_parse_ex(tok, line, (int)len);
	if (!req || json_tokener_get_error(tok) != json_tokener_success ||
	    !blank(line + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok))) {
		out = error_reply(NULL, "malformed request: not one JSON value on the line");
		goto out;
	}
	if (!json_object_is_type(req, json_type_object)) {
		out = error_reply(NULL, "malformed request: not a JSON object");
		goto out;
	}
	json_object_object_get_ex(req, "id", &id);
	if (!json_object_object_get_ex(req, "command", &cmd) || !json_object_is_type(cmd, json_type_string)) {
		out = error_reply(id, "malformed request: no \"command\" string");
		goto out;
	}
	name = json_object_get_string(cmd);
	for (c = cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			break;
	if (!c->name) {
		out = error_reply(id, "unknown command '%.64s'", name);
		goto out;
	}
	data = json_object_new_object();
	reply = json_object_new_object();
	if (!data || !reply)
		goto out;
	vk_error_clear();
	rc = c->run(opaque, data);
	if (rc < 0) {
		out = error_reply(id, "%s: %s", c->name, *vk_last_error() ? vk_last_error() : strerror(-rc));
		goto out;
	}
	if (id)
		json_object_object_add(reply, "id", json_object_get(id));
	json_object_object_add(reply, "ok", json_object_new_boolean(1));
	json_object_object_add(reply, "return", data);
	data = NULL;
	out = reply_line(reply);
out:
	json_object_put(data);
	json_object_put(reply);
	json_object_put(req);
	json_tokener_free(tok);
	return out;
}

static void client_release(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->len = 0;
}

/* The slot is freed under the lock: add_client() looks for free ones. */
static void client_close(struct vk_control_server *s, struct client *c)
{
	pthread_mutex_lock(&s->lock);
	client_release(c);
	pthread_mutex_unlock(&s->lock);
}

/* A last error line to a client we drop, without waiting for it to read:
 * it is what the client library shows instead of a bare hang-up. */
static void send_goodbye(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_goodbye(int fd, const char *fmt, ...)
{
	char why[VK_ERRMSG_MAX], *reply;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	reply = error_reply(NULL, "%s", why);
	if (reply && send(fd, reply, strlen(reply), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		vk_debug("control: %s", strerror(errno));
	free(reply);
}

/* Returns false when the client must be dropped. */
static bool send_reply(struct client *c, const char *line)
{
	size_t len = strlen(line);

	while (len) {
		ssize_t n = send(c->fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };

			if (poll(&p, 1, CONTROL_SEND_TIMEOUT_MS) <= 0)
				return false;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		line += n;
		len -= (size_t)n;
	}
	return true;
}

static bool answer(struct vk_control_server *s, struct client *c, const char *line, size_t len)
{
	char *reply;
	bool keep;

	if (blank(line, len))
		return true;	/* not a request: the client stays idle */
	reply = vk_control_handle_line(s->cmds, s->opaque, line, len);
	if (!reply)
		return false;
	keep = send_reply(c, reply);
	free(reply);
	pthread_mutex_lock(&s->lock);	/* add_client() may be choosing a slot */
	c->idle_since_ns = (long long)vk_now_ns();
	pthread_mutex_unlock(&s->lock);
	return keep;
}

/* Read what is there and answer every complete line.  A line that cannot
 * fit is never going to be a request: its sender is dropped, rather than
 * read at our pace for as long as it keeps sending. */
static void client_input(struct vk_control_server *s, struct client *c)
{
	ssize_t n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, MSG_DONTWAIT);
	size_t start = 0;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(s, c);
		return;
	}
	c->len += (size_t)n;
	for (size_t i = 0; i < c->len; i++) {
		if (c->buf[i] != '\n')
			continue;
		if (!answer(s, c, c->buf + start, i - start)) {
			client_close(s, c);
			return;
		}
		start = i + 1;
	}
	memmove(c->buf, c->buf + start, c->len - start);
	c->len -= start;
	if (c->len == sizeof(c->buf)) {
		send_goodbye(c->fd, "request longer than %d bytes; closing the connection",
			     VK_CONTROL_MAX_REQUEST - 1);
		client_close(s, c);
	}
}

/* Close every client that has gone VK_CONTROL_IDLE_TIMEOUT_MS without a
 * complete request; returns the poll timeout until the next one is due
 * (-1: no client). */
static int expire_idle_clients(struct vk_control_server *s)
{
	long long now = (long long)vk_now_ns(), next = -1;

	pthread_mutex_lock(&s->lock);
	for (unsigned i = 0; i < VK_CONTROL_MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];
		long long due = c->idle_since_ns + VK_CONTROL_IDLE_TIMEOUT_MS * NS_PER_MS;

		if (c->fd < 0)
			continue;
		if (due <= now) {
			send_goodbye(c->fd, "no request for %d ms; closing the connection",
				     VK_CONTROL_IDLE_TIMEOUT_MS);
			client_release(c);
		} else if (next < 0 || due - now < next) {
			next = due - now;
		}
	}
	pthread_mutex_unlock(&s->lock);
	/* Rounded up: woken a little early, poll would only spin. */
	return next < 0 ? -1 : (int)((next + NS_PER_MS - 1) / NS_PER_MS);
}

static void accept_client(struct vk_control_server *s)
{
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd >= 0)
		vk_control_server_add_client(s, fd);
}

static int (*start_hook)(void);

void vk_control_set_start_hook(int (*hook)(void))
{
	start_hook = hook;
}

static void *server_thread(void *arg)
{
	struct vk_control_server *s = arg;
	struct pollfd p[2 + VK_CONTROL_MAX_CLIENTS];
	struct client *who[2 + VK_CONTROL_MAX_CLIENTS];
	sigset_t all;

	/* Signals are the main thread's business. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (start_hook && start_hook() < 0)
		return NULL;	/* the hook has reported why */
	for (;;) {
		int timeout = expire_idle_clients(s);
		nfds_t n = 0;

		p[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		pthread_mutex_lock(&s->lock);
		for (unsigned i = 0; i < VK_CONTROL_MAX_CLIENTS; i++) {
			if (s->clients[i].fd < 0)
				continue;
			who[n] = &s->clients[i];
			p[n++] = (struct pollfd){ .fd = s->clients[i].fd, .events = POLLIN };
		}
		pthread_mutex_unlock(&s->lock);
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			vk_debug("control: poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents) {
			uint64_t v;

			/* Woken to stop, or to look at clients[] again. */
			if (read(s->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				vk_debug("control: wake: %s", strerror(errno));
			if (atomic_load(&s->stop))
				break;
		}
		if (p[1].revents & POLLIN)
			accept_client(s);
		for (nfds_t i = 2; i < n; i++)
			if (p[i].revents)
				client_input(s, who[i]);
	}
	return NULL;
}

static void wake(struct vk_control_server *s)
{
	uint64_t v = 1;

	if (write(s->wake_fd, &v, sizeof(v)) < 0)
		vk_debug("control: wake: %s", strerror(errno));
}

/* Room for a new client: a free slot, else the one idle the longest is
 * dropped (a connection that says nothing must not lock the VM's tools
 * out); under the lock. */
static struct client *free_slot(struct vk_control_server *s)
{
	struct client *oldest = &s->clients[0];

	for (unsigned i = 0; i < VK_CONTROL_MAX_CLIENTS; i++) {
		if (s->clients[i].fd < 0)
			return &s->clients[i];
		if (s->clients[i].idle_since_ns < oldest->idle_since_ns)
			oldest = &s->clients[i];
	}
	vk_debug("control: %d clients; dropping the one idle the longest", VK_CONTROL_MAX_CLIENTS);
	send_goodbye(oldest->fd, "too many clients (%d); closing the one idle the longest",
		     VK_CONTROL_MAX_CLIENTS);
	client_release(oldest);
	return oldest;
}

int vk_control_server_add_client(struct vk_control_server *s, int fd)
{
	struct client *c;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	pthread_mutex_lock(&s->lock);
	c = free_slot(s);
	c->fd = fd;
	c->len = 0;
	c->idle_since_ns = (long long)vk_now_ns();
	pthread_mutex_unlock(&s->lock);
	wake(s);
	return 0;
}

/* A socket file at path: a live server there is an error, a dead one is removed. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, rc = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : vk_error(errno, "%s", path);
	if (!S_ISSOCK(st.st_mode))
		return vk_errorx(EEXIST, "%s exists and is not a socket", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vk_error(errno, "socket");
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		rc = vk_errorx(EADDRINUSE, "%s: another vrun is listening there", path);
	else if (unlink(path) < 0 && errno != ENOENT)
		rc = vk_error(errno, "%s", path);
	close(fd);
	return rc;
}

static int listen_on(struct vk_control_server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int rc;

	if (strlen(s->path) >= sizeof(sa.sun_path))
		return vk_errorx(ENAMETOOLONG, "%s: control socket path too long (at most %zu bytes)",
				 s->path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	rc = clear_stale(s->path, &sa);
	if (rc < 0)
		return rc;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0)
		return vk_error(errno, "socket");
	/* The mode of the socket inode is what bind() gives the file: 0600
	 * from the start, with no window where others could connect. */
	if (fchmod(s->listen_fd, S_IRUSR | S_IWUSR) < 0)
		return vk_error(errno, "%s", s->path);
	if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return vk_error(errno, "%s", s->path);
	if (chmod(s->path, S_IRUSR | S_IWUSR) < 0 || listen(s->listen_fd, CONTROL_BACKLOG) < 0) {
		rc = vk_error(errno, "%s", s->path);
		unlink(s->path);
		return rc;
	}
	return 0;
}

int vk_control_server_listen(const char *path, const struct vk_control_command *cmds, void *opaque,
			     struct vk_control_server **out)
{
	struct vk_control_server *s = calloc(1, sizeof(*s));
	int rc;

	*out = NULL;
	if (!s)
		return vk_error(ENOMEM, "control socket");
	s->listen_fd = s->wake_fd = -1;
	s->cmds = cmds;
	s->opaque = opaque;
	pthread_mutex_init(&s->lock, NULL);
	for (unsigned i = 0; i < VK_CONTROL_MAX_CLIENTS; i++)
		s->clients[i].fd = -1;
	s->path = strdup(path);
	if (!s->path) {
		rc = vk_error(ENOMEM, "control socket");
		goto fail;
	}
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		rc = vk_error(errno, "eventfd");
		goto fail;
	}
	rc = listen_on(s);
	if (rc < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	free(s->path);
	s->path = NULL;	/* nothing of ours to unlink */
	vk_control_server_stop(s);
	return rc;
}

int vk_control_server_serve(struct vk_control_server *s)
{
	int rc = -pthread_create(&s->thread, NULL, server_thread, s);

	if (rc < 0)
		return vk_error(-rc, "control socket thread");
	s->running = true;
	return 0;
}

int vk_control_server_start(const char *path, const struct vk_control_command *cmds, void *opaque,
			    struct vk_control_server **out)
{
	int rc = vk_control_server_listen(path, cmds, opaque, out);

	if (rc == 0 && (rc = vk_control_server_serve(*out)) < 0) {
		vk_control_server_stop(*out);
		*out = NULL;
	}
	return rc;
}

void vk_control_server_stop(struct vk_control_server *s)
{
	if (!s)
		return;
	if (s->running) {
		atomic_store(&s->stop, true);
		wake(s);
		pthread_join(s->thread, NULL);
	}
	for (unsigned i = 0; i < VK_CONTROL_MAX_CLIENTS; i++)
		client_close(s, &s->clients[i]);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		if (s->path)
			unlink(s->path);
	}
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	pthread_mutex_destroy(&s->lock);
	free(s->path);
	free(s);
}
