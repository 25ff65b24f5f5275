/* vmclaim.c - a new VM's name, claimed before anything of the VM is created. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/vm/statedir.h"
#include "common/vm/vmclaim.h"
#include "common/vm/vmdef.h"

#define CLAIM_TEXT_MAX	64
#define CLAIM_ROLLBACK	"rollback"

static int claim_path(const char *name, char **out)
{
	char file[VK_NAME_MAX + 8];
	int rc = vk_name_check(name);

	if (rc < 0)
		return rc;
	snprintf(file, sizeof(file), "%s.claim", name);
	return vk_state_path(out, "vms", file);
}

/* The pid written into a held claim, and whether its run is rolling back. */
static long claim_holder(int fd, bool *rolling_back)
{
	char text[CLAIM_TEXT_MAX], *end;
	ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
	long pid;

	*rolling_back = false;
	if (n <= 0)
		return 0;
	text[n] = '\0';
	pid = strtol(text, &end, 10);
	if (end == text || pid <= 0)
		return 0;
	*rolling_back = strstr(end, CLAIM_ROLLBACK) != NULL;
	return pid;
}

static int claim_busy(const char *name, int fd)
{
	bool rolling_back;
	long pid = claim_holder(fd, &rolling_back);

	if (rolling_back)
		return vk_errorx(EBUSY, "domain '%s': an interrupted run (pid %ld) is still removing what it "
				 "created; try again in a moment", name, pid);
	return vk_errorx(EBUSY, "domain '%s' is being created by pid %ld; pick another name or wait for "
			 "it to finish", name, pid);
}

static int write_claim_text(int fd, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;

	/* lseek and write, not pwrite: tests hold a tool at its first pwrite64
	 * (a disk's data) with strace, and a claim comes before it. */
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* The definitions' lock, which orders claims, drops and defines of a name. */
static int lock_definitions(const char *name, int *lock_fd)
{
	char *def = NULL;
	int rc = vk_vm_def_path(&def, name);

	if (rc == 0)
		rc = vk_lock_dir_of(def, lock_fd);
	free(def);
	return rc;
}

int vk_vm_claim(const char *name, int *fd_out)
{
	char *def = NULL, *path = NULL, text[CLAIM_TEXT_MAX];
	int lock_fd = -1, fd = -1, rc;

	*fd_out = -1;
	if ((rc = vk_vm_def_path(&def, name)) < 0 || (rc = claim_path(name, &path)) < 0 ||
	    (rc = lock_definitions(name, &lock_fd)) < 0)
		goto out;
	if (access(def, F_OK) == 0) {
		rc = vk_errorx(EEXIST, "domain '%s' already exists; pick another name or undefine it", name);
		goto out;
	}
	/* A claim file left behind is reused, never one planted through a symlink. */
	if ((rc = vk_open_private(path, O_RDWR, &fd)) < 0)
		goto out;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? claim_busy(name, fd) : vk_error(errno, "lock %s", path);
		goto out;
	}
	/* Held now: either new, or left by a run that is gone (taken over). */
	snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if ((rc = write_claim_text(fd, text)) < 0) {
		rc = vk_error(-rc, "%s", path);
		goto out;
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	if (lock_fd >= 0)
		close(lock_fd);
	free(path);
	free(def);
	return rc;
}

void vk_vm_claim_mark_rollback(int fd)
{
	char text[CLAIM_TEXT_MAX];
	bool rolling_back;
	long pid = claim_holder(fd, &rolling_back);

	snprintf(text, sizeof(text), "%ld %s\n", pid, CLAIM_ROLLBACK);
	write_claim_text(fd, text);	/* only a message depends on it */
}

/* The claim file for name, opened for its lock; *fd_out -1 when there is none. */
static int open_claim(const char *name, int *fd_out)
{
	char *path = NULL;
	int rc;

	*fd_out = -1;
	if ((rc = claim_path(name, &path)) < 0)
		return rc;
	*fd_out = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd_out < 0 && errno != ENOENT)
		rc = vk_error(errno, "%s", path);
	free(path);
	return rc;
}

/* With the definitions' lock held: remove the claim file if it is fd's. */
static int drop_locked(const char *name, int fd)
{
	struct stat held, named;
	char *path = NULL;
	int rc = claim_path(name, &path);

	/* A claim taken over after ours went stale is not ours to remove. */
	if (rc == 0 && fstat(fd, &held) == 0 && lstat(path, &named) == 0 && held.st_dev == named.st_dev &&
	    held.st_ino == named.st_ino && unlink(path) < 0)
		rc = vk_error(errno, "%s", path);
	free(path);
	return rc;
}

int vk_vm_claim_drop(const char *name, int fd)
{
	int lock_fd = -1, rc = lock_definitions(name, &lock_fd);

	if (rc == 0)
		rc = drop_locked(name, fd);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}

int vk_vm_claim_drop_stale(const char *name)
{
	int lock_fd = -1, fd = -1, rc;

	/* Under the lock, so a claimer between its open and its flock is
	 * not mistaken for nobody. */
	if ((rc = lock_definitions(name, &lock_fd)) == 0 && (rc = open_claim(name, &fd)) == 0 && fd >= 0 &&
	    flock(fd, LOCK_EX | LOCK_NB) == 0)
		rc = drop_locked(name, fd);
	if (fd >= 0)
		close(fd);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}

int vk_vm_claim_check_locked(const char *name)
{
	bool rolling_back;
	int fd, rc = open_claim(name, &fd);

	/* Held, and not by us (flock conflicts across our own opens too,
	 * so the pid in it tells ours from another's). */
	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0 && claim_holder(fd, &rolling_back) != getpid())
		rc = claim_busy(name, fd);
	if (fd >= 0)
		close(fd);
	return rc;
}
