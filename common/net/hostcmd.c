/* hostcmd.c - running nft and dnsmasq: found in PATH, fed and heard through pipes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/net/hostcmd.h"

int vk_hostcmd_find(const char *program, const char *package, const char *needed_for, char **out)
{
	const char *path = getenv("PATH"), *p, *end;
	char cand[4096];
	size_t len;

	*out = NULL;
	for (p = path && *path ? path : "/usr/sbin:/usr/bin:/sbin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		len = (size_t)(end - p);
		if (!len || *p != '/' || len + strlen(program) + 2 > sizeof(cand))
			continue;
		snprintf(cand, sizeof(cand), "%.*s/%s", (int)len, p, program);
		if (access(cand, X_OK) == 0) {
			*out = strdup(cand);
			return *out ? 0 : vk_error(ENOMEM, "%s", program);
		}
	}
	return vk_errorx(ENOENT, "%s not found in PATH: %s needs it; install the Debian package %s "
			 "(apt-get install %s)", program, needed_for, package, package);
}

/* Child side: the pipes become its standard streams. */
static void exec_child(char *const argv[], int in_fd, int out_fd)
{
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (dup2(in_fd >= 0 ? in_fd : null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	signal(SIGPIPE, SIG_DFL);
	execv(argv[0], argv);
	dprintf(STDERR_FILENO, "%s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Feeds input and collects output until the program closes its end;
 * *in_fd is closed (and set to -1) once all input is written. */
static int talk(int *in_fd, const char *input, int out_fd, char **buf, size_t *len)
{
	size_t in_left = input ? strlen(input) : 0, cap = 4096;
	struct pollfd fds[2];
	ssize_t n;

	*buf = malloc(cap);
	*len = 0;
	if (!*buf)
		return vk_error(ENOMEM, "a program's output");
	for (;;) {
		fds[0] = (struct pollfd){ .fd = out_fd, .events = POLLIN };
		fds[1] = (struct pollfd){ .fd = in_left ? *in_fd : -1, .events = POLLOUT };
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return vk_error(errno, "poll");
		}
		if (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
			n = write(*in_fd, input, in_left);
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				in_left = 0;	/* it stopped reading: its output says why */
			else if (n > 0) {
				input += n;
				in_left -= (size_t)n;
			}
		}
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (*len + 1 >= cap && cap < VK_HOSTCMD_OUTPUT_MAX) {
				char *bigger = realloc(*buf, cap * 2);

				if (!bigger)
					return vk_error(ENOMEM, "a program's output");
				*buf = bigger;
				cap *= 2;
			}
			n = read(out_fd, *buf + *len, *len + 1 < cap ? cap - *len - 1 : 0);
			if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
				break;
			if (n < 0)
				continue;
			if (*len + 1 >= cap) {
				char drop[4096];

				/* Past the cap: read on, so the program never blocks. */
				while (read(out_fd, drop, sizeof(drop)) > 0)
					;
				break;
			}
			*len += (size_t)n;
		}
		if (in_left == 0 && *in_fd >= 0) {
			close(*in_fd);
			*in_fd = -1;
		}
	}
	(*buf)[*len] = '\0';
	return 0;
}

int vk_hostcmd_run(char *const argv[], const char *input, char **output)
{
	int in_pipe[2] = { -1, -1 }, out_pipe[2] = { -1, -1 }, status = 0, rc;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	char *buf = NULL;
	size_t len = 0;
	pid_t pid;

	if (output)
		*output = NULL;
	if ((input && pipe2(in_pipe, O_CLOEXEC) < 0) || pipe2(out_pipe, O_CLOEXEC) < 0) {
		rc = vk_error(errno, "pipe");
		goto out;
	}
	/* A program that exits before reading all its input must not take
	 * us down with SIGPIPE. */
	sigaction(SIGPIPE, &ign, &old);
	pid = fork();
	if (pid == 0)
		exec_child(argv, in_pipe[0], out_pipe[1]);
	if (pid < 0) {
		rc = vk_error(errno, "fork");
		sigaction(SIGPIPE, &old, NULL);
		goto out;
	}
	close(out_pipe[1]);
	out_pipe[1] = -1;
	if (in_pipe[0] >= 0) {
		close(in_pipe[0]);
		in_pipe[0] = -1;
		fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
	}
	rc = talk(&in_pipe[1], input, out_pipe[0], &buf, &len);
	if (in_pipe[1] >= 0) {
		close(in_pipe[1]);
		in_pipe[1] = -1;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGPIPE, &old, NULL);
	if (rc == 0)
		rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (rc >= 0 && output) {
		*output = buf;
		buf = NULL;
	}
out:
	for (int i = 0; i < 2; i++) {
		if (in_pipe[i] >= 0)
			close(in_pipe[i]);
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
	}
	free(buf);
	return rc;
}

const char *vk_hostcmd_last_line(const char *output)
{
	static __thread char line[512];
	const char *end, *start;

	line[0] = '\0';
	if (!output)
		return line;
	end = output + strlen(output);
	while (end > output && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	for (start = end; start > output && start[-1] != '\n'; start--)
		;
	snprintf(line, sizeof(line), "%.*s", (int)(end - start), start);
	return line;
}
