/* fileutil.c - whole-file writes that cannot leave half a file, locks, directories. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fileutil.h"

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vk_fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd = -1, rc = 0;
	const char *dir;

	if (!copy)
		return vk_error(ENOMEM, "%s", path);
	dir = dirname(copy);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = vk_error(errno, "%s", dir);
		goto out;
	}
	if (fsync(fd) < 0)
		rc = vk_error(errno, "fsync %s", dir);
out:
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int vk_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = NULL;
	int fd = -1, rc;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		rc = vk_error(ENOMEM, "%s", path);
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = vk_error(errno, "%s: cannot create a temporary file next to it", path);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		rc = vk_error(errno, "%s", tmp);
		goto out;
	}
	rc = write_all(fd, data, len);
	if (rc < 0) {
		rc = vk_error(-rc, "%s", tmp);
		goto out;
	}
	if (fsync(fd) < 0) {
		rc = vk_error(errno, "fsync %s", tmp);
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = vk_error(errno, "%s", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = vk_error(errno, "%s", path);
		goto out;
	}
	free(tmp);
	tmp = NULL;
	rc = vk_fsync_parent(path);
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	return rc;
}

int vk_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	size_t used = 0, cap = 0;
	char *data = NULL, *grown;
	int fd, rc = 0;
	ssize_t n;

	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vk_error(errno, "%s", path);
	for (;;) {
		if (used == cap) {
			/* Room for one byte past max, to tell "exactly max" from "more". */
			cap = cap ? cap * 2 : 4096;
			if (cap > max + 1)
				cap = max + 1;
			grown = realloc(data, cap + 1);
			if (!grown) {
				rc = vk_error(ENOMEM, "%s", path);
				goto out;
			}
			data = grown;
		}
		n = read(fd, data + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = vk_error(errno, "%s", path);
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			rc = vk_errorx(EFBIG, "%s: larger than %zu bytes", path, max);
			goto out;
		}
	}
	data[used] = '\0';
	*buf = data;
	data = NULL;
	if (len)
		*len = used;
out:
	free(data);
	close(fd);
	return rc;
}

int vk_lock_path(const char *path, int *fd_out)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644), rc;

	if (fd < 0)
		return vk_error(errno, "%s", path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno == EINTR)
			continue;
		rc = vk_error(errno, "lock %s", path);
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

int vk_mkdir_p(const char *path, mode_t mode)
{
	char *copy = strdup(path), *p, saved;
	struct stat st;
	int rc = 0;

	if (!*path)
		return vk_errorx(EINVAL, "cannot create a directory with an empty name");
	if (!copy)
		return vk_error(ENOMEM, "%s", path);
	for (p = copy + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		saved = *p;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST) {
			rc = vk_error(errno, "cannot create directory %s", copy);
			goto out;
		}
		if (stat(copy, &st) < 0) {
			rc = vk_error(errno, "%s", copy);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = vk_errorx(ENOTDIR, "%s: exists and is not a directory", copy);
			goto out;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
out:
	free(copy);
	return rc;
}
