/* console.c - the guest's serial console on the user's terminal, a pty or a file. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/size.h"
#include "common/util/subopt.h"
#include "vmm/console.h"

static int open_pty(struct vk_console *c)
{
	struct termios t;
	const char *name;

	c->in_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (c->in_fd < 0 || grantpt(c->in_fd) < 0 || unlockpt(c->in_fd) < 0 ||
	    !(name = ptsname(c->in_fd)))
		return vk_error(errno, "cannot create a pty for the console");
	c->pty_slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->pty_slave < 0)
		return vk_error(errno, "%s", name);
	if (tcgetattr(c->pty_slave, &t) == 0) {
		cfmakeraw(&t);
		tcsetattr(c->pty_slave, TCSANOW, &t);
	}
	c->out_fd = c->in_fd;
	c->kind = "pty";
	/* Tools attach later (vctl console): the status command names it. */
	if (!(c->path = strdup(name)))
		return vk_error(ENOMEM, "%s", name);
	fprintf(stderr, "vrun: console is %s\n", name);
	return 0;
}

static int open_stdio(struct vk_console *c)
{
	struct termios raw;

	c->in_fd = STDIN_FILENO;
	c->out_fd = STDOUT_FILENO;
	c->kind = "stdio";
	if (!isatty(STDIN_FILENO))
		return 0;
	if (tcgetattr(STDIN_FILENO, &c->saved) < 0)
		return vk_error(errno, "terminal");
	raw = c->saved;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) < 0)
		return vk_error(errno, "terminal");
	c->raw = true;
	c->escapes = true;
	return 0;
}

/* "file=PATH[,max=SIZE]": the path (or NULL to only check) and the cap. */
static int parse_log(const char *spec, char **path_out, uint64_t *max_out)
{
	static const char *const keys[] = { "file", "max", NULL };
	struct vk_subopts so = { 0 };
	uint64_t max = VK_CONSOLE_LOG_DEFAULT_MAX;
	const char *path, *max_text;
	int rc;

	rc = vk_subopts_parse(spec, keys, NULL, "--console", &so);
	if (rc < 0)
		goto out;
	path = vk_subopts_get(&so, "file");
	max_text = vk_subopts_get(&so, "max");
	if (!path || !*path) {
		rc = vk_errorx(EINVAL, "--console: '%s': file= needs a path", spec);
		goto out;
	}
	if (max_text && (rc = vk_size_parse(max_text, 1, "--console max=", &max)) < 0)
		goto out;
	if (max < VK_CONSOLE_LOG_MIN_MAX) {
		rc = vk_errorx(EINVAL, "--console max=%s: give at least %d bytes (4K)", max_text,
			       VK_CONSOLE_LOG_MIN_MAX);
		goto out;
	}
	*max_out = max;
	if (path_out && !(*path_out = strdup(path)))
		rc = vk_error(ENOMEM, "--console");
out:
	vk_subopts_free(&so);
	return rc;
}

static int open_log(struct vk_console *c, const char *spec)
{
	char *path = NULL;
	uint64_t max;
	int rc = parse_log(spec, &path, &max);

	if (rc == 0)
		rc = vk_console_log_open(&c->log, path, max);
	if (rc == 0) {
		c->logging = true;
		c->out_fd = c->log.pipe_in;
		c->kind = "file";
		c->path = path;
		path = NULL;
	}
	free(path);
	return rc;
}

int vk_console_check(const char *spec)
{
	uint64_t max;

	if (strcmp(spec, "stdio") == 0 || strcmp(spec, "pty") == 0)
		return 0;
	if (strncmp(spec, "file=", 5) == 0)
		return parse_log(spec, NULL, &max);
	return vk_errorx(EINVAL, "--console: '%s' is not stdio, pty or file=PATH[,max=SIZE]", spec);
}

int vk_console_open(struct vk_console *c, const char *spec)
{
	memset(c, 0, sizeof(*c));
	c->in_fd = c->out_fd = c->pty_slave = -1;
	if (strcmp(spec, "stdio") == 0)
		return open_stdio(c);
	if (strcmp(spec, "pty") == 0)
		return open_pty(c);
	if (strncmp(spec, "file=", 5) == 0)
		return open_log(c, spec);
	return vk_errorx(EINVAL, "--console: '%s' is not stdio, pty or file=PATH[,max=SIZE]", spec);
}

int vk_console_start(struct vk_console *c)
{
	return c->logging ? vk_console_log_start(&c->log) : 0;
}

int vk_console_input(struct vk_console *c, struct vk_serial *s)
{
	uint8_t in[128], out[256];
	size_t space = vk_serial_rx_space(s), n = 0;
	ssize_t got;

	if (c->in_fd < 0 || space < 2)
		return 0;
	got = read(c->in_fd, in, space / 2 < sizeof(in) ? space / 2 : sizeof(in));
	if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) {
		if (c->pty_slave < 0)
			c->in_fd = -1;	/* end of input: the guest just runs on */
		return 0;
	}
	for (ssize_t i = 0; i < got; i++) {
		if (!c->escapes) {
			out[n++] = in[i];
		} else if (c->escape_seen) {
			c->escape_seen = false;
			if (in[i] == VK_CONSOLE_QUIT)
				return 1;
			if (in[i] != VK_CONSOLE_ESCAPE)
				out[n++] = VK_CONSOLE_ESCAPE;
			out[n++] = in[i];
		} else if (in[i] == VK_CONSOLE_ESCAPE) {
			c->escape_seen = true;
		} else {
			out[n++] = in[i];
		}
	}
	vk_serial_receive(s, out, n);
	return 0;
}

void vk_console_close(struct vk_console *c)
{
	if (c->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &c->saved);
	c->raw = false;
	if (c->logging) {
		vk_console_log_close(&c->log);	/* writes what is still in the pipe */
		c->logging = false;
	} else if (c->pty_slave >= 0) {
		close(c->pty_slave);
		close(c->in_fd);
	} else if (c->out_fd > STDERR_FILENO) {
		close(c->out_fd);
	}
	c->in_fd = c->out_fd = c->pty_slave = -1;
	free(c->path);
	c->path = NULL;
}
