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

#include "common/util/error.h"
#include "common/util/fileutil.h"

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

int vk_read_fd(int fd, const char *what, size_t max, char **buf, size_t *len)
{
	size_t used = 0, cap = 0;
	char *data = NULL, *grown;
	int rc = 0;
	ssize_t n;

	if (max > SIZE_MAX / 2)
		max = SIZE_MAX / 2;
	for (;;) {
		if (used == cap) {
			/* Room for one byte past max, to tell "exactly max" from "more". */
			cap = cap ? cap * 2 : 4096;
			if (cap > max + 1)
				cap = max + 1;
			grown = realloc(data, cap + 1);
			if (!grown) {
				rc = vk_error(ENOMEM, "%s", what);
				goto out;
			}
			data = grown;
		}
		n = read(fd, data + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = vk_error(errno, "%s", what);
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used > max) {
			rc = vk_errorx(EFBIG, "%s: larger than %zu bytes", what, max);
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
	return rc;
}

int vk_read_file(const char *path, size_t max, char **buf, size_t *len)
{
	int fd, rc;

	/* Definitions, templates, pid files: a FIFO planted under such a
	 * name must not hang the reader. */
	rc = vk_open_input(path, O_RDONLY, VK_INPUT_REGULAR, NULL, &fd);
	if (rc < 0)
		return rc;
	rc = vk_read_fd(fd, path, max, buf, len);
	close(fd);
	return rc;
}

int vk_lock_path(const char *path, int *fd_out)
{
	int fd, rc = vk_open_private(path, O_RDWR, &fd);

	if (rc < 0)
		return rc;
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
	char *copy, *p, saved;
	struct stat st;
	int rc = 0;

	if (!*path)
		return vk_errorx(EINVAL, "cannot create a directory with an empty name");
	copy = strdup(path);
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

static const char *file_kind_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

/* Messages name the role when there is one: "disk /x: is a FIFO". */
#define ROLE(what)	(what) ? (what) : "", (what) ? " " : ""

static int check_kind(const char *path, const struct stat *st, unsigned kinds, const char *what)
{
	if (S_ISREG(st->st_mode) && (kinds & VK_INPUT_REGULAR))
		return 0;
	if (S_ISBLK(st->st_mode) && (kinds & VK_INPUT_BLOCK))
		return 0;
	return vk_errorx(EINVAL, "%s%s%s: is %s; give a regular file%s", ROLE(what), path,
			 file_kind_name(st->st_mode), (kinds & VK_INPUT_BLOCK) ? " or a block device" : "");
}

int vk_check_input(const char *path, unsigned kinds, const char *what)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return vk_error(errno, "%s%s%s", ROLE(what), path);
	return check_kind(path, &st, kinds, what);
}

int vk_open_input(const char *path, int flags, unsigned kinds, const char *what, int *fd_out)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP && (flags & O_NOFOLLOW)
			       ? vk_errorx(ELOOP, "%s%s%s: is a symbolic link; it is not followed here",
					   ROLE(what), path)
			       : vk_error(errno, "%s%s%s", ROLE(what), path);
	if (fstat(fd, &st) < 0) {
		rc = vk_error(errno, "%s%s%s", ROLE(what), path);
		goto out;
	}
	rc = check_kind(path, &st, kinds, what);
	if (rc == 0 && !(flags & O_NONBLOCK) && fcntl(fd, F_SETFL, flags & (O_APPEND | O_DIRECT)) < 0)
		rc = vk_error(errno, "%s%s%s", ROLE(what), path);
out:
	if (rc < 0)
		close(fd);
	else
		*fd_out = fd;
	return rc;
}

int vk_create_private(const char *path, int flags, int *fd_out)
{
	int fd = open(path, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, VK_MODE_PRIVATE_FILE);

	if (fd < 0)
		return errno == EEXIST ? vk_errorx(EEXIST, "%s: already exists; it is not overwritten", path)
				       : vk_error(errno, "%s", path);
	*fd_out = fd;
	return 0;
}

int vk_check_private_fd(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return vk_error(errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return vk_errorx(EINVAL, "%s: is %s; refusing to use it", path, file_kind_name(st.st_mode));
	if (st.st_uid != geteuid())
		return vk_errorx(EPERM, "%s: belongs to uid %u, not to us; remove it or choose another path",
				 path, (unsigned)st.st_uid);
	if (st.st_nlink != 1)
		return vk_errorx(EMLINK, "%s: has %ju hard links; refusing to use a file shared with another name",
				 path, (uintmax_t)st.st_nlink);
	if ((st.st_mode & 07777) != VK_MODE_PRIVATE_FILE && fchmod(fd, VK_MODE_PRIVATE_FILE) < 0)
		return vk_error(errno, "%s", path);
	return 0;
}

int vk_open_private(const char *path, int flags, int *fd_out)
{
	struct stat st;
	int fd, rc = 0;

	fd = open(path, (flags & ~O_TRUNC) | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		  VK_MODE_PRIVATE_FILE);
	/* The kernel's protected_symlinks answers EACCES, not ELOOP, for a
	 * link another user planted in a sticky directory: say what it is. */
	if (fd < 0 && (errno == ELOOP || (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))))
		return vk_errorx(ELOOP, "%s: is a symbolic link; refusing to write through it "
				 "(remove it, or choose another path)", path);
	if (fd < 0)
		return vk_error(errno, "%s", path);
	rc = vk_check_private_fd(fd, path);
	if (rc < 0)
		goto out;
	if ((flags & O_TRUNC) && ftruncate(fd, 0) < 0) {
		rc = vk_error(errno, "%s", path);
		goto out;
	}
	if (fcntl(fd, F_SETFL, flags & (O_APPEND)) < 0)
		rc = vk_error(errno, "%s", path);
out:
	if (rc < 0)
		close(fd);
	else
		*fd_out = fd;
	return rc;
}

static int check_private_dir(const char *dir, const struct stat *st)
{
	if (!S_ISDIR(st->st_mode))
		return vk_errorx(ENOTDIR, "%s: is not a directory", dir);
	if (st->st_uid != geteuid() && st->st_uid != 0)
		return vk_errorx(EPERM, "%s: belongs to uid %u; another user could replace our files in it: "
				 "use a directory of your own", dir, (unsigned)st->st_uid);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
		return vk_errorx(EPERM, "%s: other users can write in it (mode %04o) and could replace our "
				 "files: use a directory of your own, or chmod go-w %s", dir,
				 (unsigned)(st->st_mode & 07777), dir);
	return 0;
}

int vk_check_private_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return vk_error(errno, "%s", dir);
	return check_private_dir(dir, &st);
}

int vk_check_private_dirfd(int dirfd, const char *dir)
{
	struct stat st;

	if (fstat(dirfd, &st) < 0)
		return vk_error(errno, "%s", dir);
	return check_private_dir(dir, &st);
}

int vk_check_parent_dir(const char *path)
{
	char *copy = strdup(path);
	int rc;

	if (!copy)
		return vk_error(ENOMEM, "%s", path);
	rc = vk_check_private_dir(dirname(copy));
	free(copy);
	return rc;
}
