/* console-log.c - guest console output into PATH with a size cap, rotating into PATH.1; a thread drains the UART's pipe. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "vmm/console-log.h"
#include "vmm/seccomp.h"

#define COPY_CHUNK	65536

int vk_console_log_open(struct vk_console_log *l, const char *path, uint64_t max)
{
	char *old_path = NULL;
	int pipefd[2], rc = 0;

	memset(l, 0, sizeof(*l));
	l->fd = l->old_fd = l->pipe_in = l->pipe_out = -1;
	if (max < VK_CONSOLE_LOG_MIN_MAX)
		return vk_errorx(EINVAL, "console log %s: max=%llu is too small; give at least %d bytes",
				 path, (unsigned long long)max, VK_CONSOLE_LOG_MIN_MAX);
	l->max = max;
	l->path = strdup(path);
	if (!l->path || asprintf(&old_path, "%s.1", path) < 0) {
		old_path = NULL;
		rc = vk_error(ENOMEM, "console log %s", path);
		goto out;
	}
	/* vrun runs as root and the path comes from the user: another user
	 * must not get the guest's output written through a symlink or into
	 * a file of theirs (vk_open_private), nor swap the files later. */
	rc = vk_check_parent_dir(path);
	if (rc < 0) {
		vk_error_prefix(rc, "console log %s", path);
		goto out;
	}
	rc = vk_open_private(path, O_RDWR | O_TRUNC, &l->fd);
	if (rc == 0)
		rc = vk_open_private(old_path, O_RDWR | O_TRUNC, &l->old_fd);
	if (rc < 0) {
		vk_error_prefix(rc, "console log");
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		rc = vk_error(errno, "console log %s: pipe", path);
		goto out;
	}
	l->pipe_out = pipefd[0];
	l->pipe_in = pipefd[1];
out:
	free(old_path);
	if (rc < 0)
		vk_console_log_close(l);
	return rc;
}

/* pread/pwrite until done: 0 or -errno (-EIO for a file shorter than expected). */
static int full_io(int fd, void *buf, size_t len, uint64_t off, bool is_write)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = is_write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* PATH is full: its bytes become PATH.1, PATH starts again.  The copy goes
 * through descriptors opened at start (see console-log.h). */
static int rotate(struct vk_console_log *l)
{
	static char buf[COPY_CHUNK];	/* only the one writer thread rotates */
	int rc;

	if (ftruncate(l->old_fd, 0) < 0)
		return vk_error(errno, "console log %s.1", l->path);
	for (uint64_t off = 0; off < l->size;) {
		size_t n = l->size - off < COPY_CHUNK ? (size_t)(l->size - off) : COPY_CHUNK;

		rc = full_io(l->fd, buf, n, off, false);
		if (rc == 0)
			rc = full_io(l->old_fd, buf, n, off, true);
		if (rc < 0)
			return vk_error(-rc, "console log %s: rotating into %s.1", l->path, l->path);
		off += n;
	}
	if (ftruncate(l->fd, 0) < 0)
		return vk_error(errno, "console log %s", l->path);
	l->size = 0;
	l->rotations++;
	return 0;
}

int vk_console_log_write(struct vk_console_log *l, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	int rc;

	if (l->failed)
		return -EIO;
	while (len) {
		size_t n = l->max - l->size < len ? (size_t)(l->max - l->size) : len;

		if (n == 0) {
			rc = rotate(l);
			if (rc < 0)
				goto fail;
			continue;
		}
		rc = full_io(l->fd, (void *)p, n, l->size, true);
		if (rc < 0) {
			rc = vk_error(-rc, "console log %s", l->path);
			goto fail;
		}
		l->size += n;
		p += n;
		len -= n;
	}
	return 0;
fail:
	l->failed = true;
	return rc;
}

static void *console_log_thread(void *arg)
{
	struct vk_console_log *l = arg;
	char buf[4096];

	if (vk_sandbox_enter(VK_THREAD_CONSOLE) < 0)
		return NULL;
	for (;;) {
		ssize_t n = read(l->pipe_out, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;	/* the write end is closed: the VM has stopped */
		if (!l->failed && vk_console_log_write(l, buf, (size_t)n) < 0)
			fprintf(stderr, "vrun: %s; console output is dropped from now on\n", vk_last_error());
	}
	return NULL;
}

int vk_console_log_start(struct vk_console_log *l)
{
	int rc = pthread_create(&l->thread, NULL, console_log_thread, l);

	if (rc)
		return vk_error(rc, "console log %s: cannot start its thread", l->path);
	pthread_setname_np(l->thread, "console");
	l->running = true;
	return 0;
}

void vk_console_log_close(struct vk_console_log *l)
{
	if (l->pipe_in >= 0)
		close(l->pipe_in);
	l->pipe_in = -1;
	if (l->running)
		pthread_join(l->thread, NULL);
	l->running = false;
	if (l->pipe_out >= 0)
		close(l->pipe_out);
	if (l->fd >= 0)
		close(l->fd);
	if (l->old_fd >= 0)
		close(l->old_fd);
	l->pipe_out = l->fd = l->old_fd = -1;
	free(l->path);
	l->path = NULL;
}
