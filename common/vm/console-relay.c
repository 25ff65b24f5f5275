/* console-relay.c - vrun's pty console relayed to the user's terminal (vinstall, vctl console). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/vm/console-relay.h"
#include "common/util/error.h"

void vk_relay_init(struct vk_console_relay *r, int in_fd, int out_fd)
{
	memset(r, 0, sizeof(*r));
	r->in_fd = in_fd;
	r->out_fd = out_fd;
	r->con_fd = -1;
}

bool vk_relay_raw(struct vk_console_relay *r)
{
	struct termios t;

	if (r->in_fd < 0 || !isatty(r->in_fd) || tcgetattr(r->in_fd, &r->saved) < 0)
		return false;
	t = r->saved;
	cfmakeraw(&t);
	r->raw = tcsetattr(r->in_fd, TCSANOW, &t) == 0;
	r->tty_fd = r->in_fd;	/* in_fd goes at end of input; the terminal stays */
	return r->raw;
}

int vk_relay_open(struct vk_console_relay *r, const char *pty)
{
	int fd = open(pty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return vk_error(errno, "console %s", pty);
	r->con_fd = fd;
	return 0;
}

void vk_relay_pollfds(const struct vk_console_relay *r, struct pollfd fds[2])
{
	/* Keys typed before the pty is open wait in the terminal: read now,
	 * they would have nowhere to go and be lost. */
	fds[0] = (struct pollfd){ .fd = r->detach || r->con_fd == -1 ? -1 : r->in_fd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = r->con_fd, .events = POLLIN };
}

size_t vk_relay_filter_keys(struct vk_console_relay *r, const char *in, size_t n, char *out)
{
	size_t i, k = 0;

	for (i = 0; i < n && !r->detach; i++) {
		if (r->escape_seen) {
			r->escape_seen = false;
			if (in[i] == VK_RELAY_QUIT) {
				r->quit = true;
				continue;
			}
			if (in[i] == VK_RELAY_DETACH) {
				r->detach = true;
				continue;
			}
			/* Ctrl-] Ctrl-] sends one; Ctrl-] x sends both. */
			if (in[i] != VK_RELAY_ESCAPE)
				out[k++] = VK_RELAY_ESCAPE;
			out[k++] = in[i];
		} else if (in[i] == VK_RELAY_ESCAPE && r->escape_detaches) {
			r->detach = true;
		} else if (in[i] == VK_RELAY_ESCAPE) {
			r->escape_seen = true;
		} else {
			out[k++] = in[i];
		}
	}
	return k;
}

void vk_relay_step(struct vk_console_relay *r, const struct pollfd fds[2])
{
	char buf[256], keys[2 * sizeof(buf)];
	ssize_t n;
	size_t k;

	if (fds[0].fd >= 0 && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
		n = read(r->in_fd, buf, sizeof(buf));
		if (n > 0) {
			k = vk_relay_filter_keys(r, buf, (size_t)n, keys);
			/* A full pty drops keys, as a slow serial line would. */
			if (k && r->con_fd >= 0 && write(r->con_fd, keys, k) < 0 && errno != EAGAIN)
				vk_debug("console: %s", strerror(errno));
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			r->in_fd = -1;
			r->input_ended = true;
		}
	}
	if (fds[1].fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) {
		n = read(r->con_fd, buf, sizeof(buf));
		if (n > 0) {
			/* Output nobody can see is still read, or the guest
			 * would block on a full console. */
			if (r->out_fd >= 0 && write(r->out_fd, buf, (size_t)n) < 0)
				r->out_fd = -1;
		} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			close(r->con_fd);	/* vrun closed its side: it is ending */
			r->con_fd = -2;
		}
	}
}

void vk_relay_close(struct vk_console_relay *r)
{
	if (r->raw)
		tcsetattr(r->tty_fd, TCSANOW, &r->saved);
	r->raw = false;
	if (r->con_fd >= 0)
		close(r->con_fd);
	r->con_fd = -1;
}
