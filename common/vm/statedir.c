/* statedir.c - the state directory: definitions by name, pid files, paths. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/image/image.h"
#include "common/vm/statedir.h"
#include "common/vm/vmclaim.h"

#define VK_ROOT_STATE_DIR "/var/lib/vkit"
#define VK_PIDFILE_MAX 64
#define VRUN_COMM "vrun"

static __thread char state_dir[PATH_MAX];

int vk_state_dir_resolve(uid_t euid, char *buf, size_t len)
{
	const char *env = getenv("VKIT_DIR"), *xdg, *home;
	struct passwd *pw;
	int n;

	if (env && *env) {
		if (env[0] != '/')
			return vk_errorx(EINVAL, "VKIT_DIR '%s' must be an absolute path", env);
		n = snprintf(buf, len, "%s", env);
	} else if (euid == 0) {
		n = snprintf(buf, len, "%s", VK_ROOT_STATE_DIR);
	} else if ((xdg = getenv("XDG_DATA_HOME")) && xdg[0] == '/') {
		/* XDG base directory spec: relative values are to be ignored. */
		n = snprintf(buf, len, "%s/vkit", xdg);
	} else {
		home = getenv("HOME");
		if (!home || home[0] != '/') {
			pw = getpwuid(euid);
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home)
			return vk_errorx(ENOENT, "no state directory: set VKIT_DIR or HOME");
		n = snprintf(buf, len, "%s/.local/share/vkit", home);
	}
	if (n < 0 || (size_t)n >= len)
		return vk_errorx(ENAMETOOLONG, "state directory path is too long");
	return 0;
}

/*
 * The state directory holds guest disks, definitions, logs and boot files,
 * so it and its subdirectories are 0700.  One made by an older vkit (0755)
 * or by hand is tightened once, with a warning: silently leaving a disk
 * readable by every local user is worse than changing a mode.  One owned
 * by another user is refused: that user could swap our files.
 */
static int state_dir_claim(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0)
		return vk_error(errno, "state directory %s", dir);
	if (!S_ISDIR(st.st_mode))
		return vk_errorx(ENOTDIR, "state directory %s: is not a directory; remove it or set VKIT_DIR", dir);
	if (st.st_uid != geteuid())
		return vk_errorx(EPERM, "state directory %s: belongs to uid %u, not to us (uid %u); "
				 "set VKIT_DIR to a directory of your own", dir, (unsigned)st.st_uid,
				 (unsigned)geteuid());
	if ((st.st_mode & 077) == 0)
		return 0;
	if (chmod(dir, VK_MODE_PRIVATE_DIR) < 0)
		return vk_error(errno, "state directory %s: cannot make it private (mode %04o)", dir,
				(unsigned)(st.st_mode & 07777));
	vk_warn("%s was mode %04o; made it 0700, since it holds guest disks and definitions",
		dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

static const char *const state_subdirs[] = { "vms", "run", "log", "boot", "images", "cache" };

static bool state_subdir_known(const char *sub)
{
	for (size_t i = 0; i < sizeof(state_subdirs) / sizeof(state_subdirs[0]); i++)
		if (strcmp(sub, state_subdirs[i]) == 0)
			return true;
	return false;
}

int vk_state_dir(const char **out)
{
	const char *const *subdirs = state_subdirs;
	static __thread char checked[PATH_MAX];	/* the last one found private */
	char sub[PATH_MAX + 16];
	size_t i;
	int rc;

	rc = vk_state_dir_resolve(geteuid(), state_dir, sizeof(state_dir));
	if (rc < 0)
		return rc;
	if (strcmp(checked, state_dir) == 0) {
		*out = state_dir;
		return 0;
	}
	rc = vk_mkdir_p(state_dir, VK_MODE_PRIVATE_DIR);
	if (rc == 0)
		rc = state_dir_claim(state_dir);
	for (i = 0; rc == 0 && i < sizeof(state_subdirs) / sizeof(state_subdirs[0]); i++) {
		snprintf(sub, sizeof(sub), "%s/%s", state_dir, subdirs[i]);
		rc = vk_mkdir_p(sub, VK_MODE_PRIVATE_DIR);
		if (rc == 0)
			rc = state_dir_claim(sub);
	}
	if (rc < 0)
		return rc;
	snprintf(checked, sizeof(checked), "%s", state_dir);
	*out = state_dir;
	return 0;
}

int vk_state_path(char **out, const char *sub, const char *name)
{
	const char *dir;
	char *subdir = NULL;
	int rc;

	if (name && (!*name || strchr(name, '/') || strcmp(name, ".") == 0 ||
		     strcmp(name, "..") == 0))
		return vk_errorx(EINVAL, "'%s' is not a file name", name);
	rc = vk_state_dir(&dir);
	if (rc < 0)
		return rc;
	if (asprintf(&subdir, "%s/%s", dir, sub) < 0)
		return vk_error(ENOMEM, "%s", dir);
	/* vk_state_dir() made the standard ones; only another needs a mkdir
	 * (each call used to make the whole path again: vclone --linked did
	 * 160 mkdir()s). */
	if (!state_subdir_known(sub))
		rc = vk_mkdir_p(subdir, VK_MODE_PRIVATE_DIR);
	if (rc < 0)
		goto out;
	if (!name) {
		*out = subdir;
		return 0;
	}
	if (asprintf(out, "%s/%s", subdir, name) < 0)
		rc = vk_error(ENOMEM, "%s", subdir);
out:
	free(subdir);
	return rc;
}

int vk_state_path_peek(char **out, const char *sub, const char *name)
{
	char dir[PATH_MAX];
	int rc;

	*out = NULL;
	if (name && (!*name || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0))
		return vk_errorx(EINVAL, "'%s' is not a file name", name);
	rc = vk_state_dir_resolve(geteuid(), dir, sizeof(dir));
	if (rc == 0 && asprintf(out, "%s/%s%s%s", dir, sub, name ? "/" : "", name ? name : "") < 0) {
		*out = NULL;
		rc = vk_error(ENOMEM, "%s", dir);
	}
	return rc;
}

int vk_vm_def_path(char **out, const char *name)
{
	char file[VK_NAME_MAX + 8];
	int rc = vk_name_check(name);

	if (rc < 0)
		return rc;
	snprintf(file, sizeof(file), "%s.json", name);
	return vk_state_path(out, "vms", file);
}

bool vk_vm_exists(const char *name)
{
	struct stat st;
	char *path;
	bool found;

	if (vk_vm_def_path(&path, name) < 0)
		return false;
	found = stat(path, &st) == 0;
	free(path);
	return found;
}

int vk_vm_lookup(const char *name, struct vk_vm **out)
{
	struct vk_vm *vm = NULL;
	char *path;
	int rc;

	rc = vk_vm_def_path(&path, name);
	if (rc < 0)
		return rc;
	if (access(path, F_OK) < 0 && errno == ENOENT) {
		rc = vk_errorx(ENOENT, "domain '%s' not found", name);
		goto out;
	}
	rc = vk_vm_load(path, &vm);
	if (rc < 0)
		goto out;
	if (strcmp(vm->name, name) != 0) {
		rc = vk_errorx(EINVAL, "%s holds VM '%s', not '%s'; rename the file or fix its name",
			       path, vm->name, name);
		vk_vm_free(vm);
		goto out;
	}
	*out = vm;
out:
	free(path);
	return rc;
}

int vk_vm_define(const struct vk_vm *vm, bool overwrite)
{
	char *path = NULL;
	int fd = -1, rc;

	rc = vk_vm_validate(vm);
	if (rc < 0)
		return rc;
	rc = vk_vm_def_path(&path, vm->name);
	if (rc < 0)
		return rc;
	rc = vk_lock_dir_of(path, &fd);
	if (rc < 0)
		goto out;
	/* Checked under the lock, so two defines of one name cannot both win. */
	if (!overwrite && access(path, F_OK) == 0) {
		rc = vk_errorx(EEXIST, "domain '%s' already exists; pick another name or undefine it",
			       vm->name);
		goto out;
	}
	/* A name another run claimed is its own until it commits or rolls back. */
	if (!overwrite && (rc = vk_vm_claim_check_locked(vm->name)) < 0)
		goto out;
	rc = vk_vm_save_unlocked(vm, path);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int vk_vm_undefine(const char *name)
{
	char *path = NULL;
	int fd = -1, rc, pid;

	rc = vk_vm_def_path(&path, name);
	if (rc < 0)
		return rc;
	pid = vk_vm_running_pid(name);
	if (pid > 0) {
		rc = vk_errorx(EBUSY, "domain '%s' is running (pid %d); stop it first", name, pid);
		goto out;
	}
	rc = vk_lock_dir_of(path, &fd);
	if (rc < 0)
		goto out;
	if (unlink(path) < 0) {
		rc = errno == ENOENT ? vk_errorx(ENOENT, "domain '%s' not found", name)
				     : vk_error(errno, "%s", path);
		goto out;
	}
	rc = vk_fsync_parent(path);
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int vk_vm_edit(const char *name, int (*edit)(struct vk_vm *vm, void *arg), void *arg)
{
	struct vk_vm *vm = NULL;
	char *path = NULL;
	int fd = -1, rc;

	rc = vk_vm_def_path(&path, name);
	if (rc < 0)
		return rc;
	/* Held from the read to the rename, so no other writer's change is
	 * lost in between. */
	rc = vk_lock_dir_of(path, &fd);
	if (rc < 0)
		goto out;
	rc = vk_vm_lookup(name, &vm);
	if (rc == 0)
		rc = edit(vm, arg);
	if (rc == 0)
		rc = vk_vm_save_unlocked(vm, path);
out:
	if (fd >= 0)
		close(fd);
	vk_vm_free(vm);
	free(path);
	return rc;
}

void vk_strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "NAME.json" with a valid NAME -> malloc'd NAME; NULL for other files. */
static char *def_file_name(const char *file)
{
	size_t len = strlen(file);
	char *name;

	if (len <= 5 || strcmp(file + len - 5, ".json") != 0)
		return NULL;
	name = strndup(file, len - 5);
	if (name && vk_name_check(name) < 0) {
		free(name);
		name = NULL;
	}
	return name;
}

int vk_state_names(const char *sub, char ***names, size_t *count)
{
	char *dir = NULL, **v = NULL, **grown, *name;
	size_t n = 0;
	struct dirent *de;
	DIR *d = NULL;
	int rc;

	/* Listing creates nothing: a directory that is not there holds none. */
	rc = vk_state_path_peek(&dir, sub, NULL);
	if (rc < 0)
		return rc;
	d = opendir(dir);
	if (!d && errno != ENOENT) {
		rc = vk_error(errno, "%s", dir);
		goto out;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		goto nomem;
	while (d && (de = readdir(d))) {
		name = def_file_name(de->d_name);
		if (!name)
			continue;
		grown = realloc(v, (n + 2) * sizeof(*v));
		if (!grown) {
			free(name);
			goto nomem;
		}
		v = grown;
		v[n++] = name;
		v[n] = NULL;
	}
	qsort(v, n, sizeof(*v), compare_names);
	*names = v;
	v = NULL;
	if (count)
		*count = n;
	vk_error_clear();	/* vk_name_check() messages for foreign files are noise */
	goto out;
nomem:
	rc = vk_error(ENOMEM, "%s", dir);
out:
	vk_strv_free(v);
	if (d)
		closedir(d);
	free(dir);
	return rc;
}

int vk_vm_list(char ***names, size_t *count)
{
	return vk_state_names("vms", names, count);
}

/* Is path in the backing chain below disk (not disk itself)?  A chain
 * that cannot be read counts as not holding it: the disk's own open will
 * say what is wrong with it. */
static bool backs_disk(const struct vk_disk *disk, struct vk_file_id *path)
{
	struct vk_image_info *info = NULL, *i;
	bool found = false;

	if (disk->format != VK_IMAGE_QCOW2 || vk_image_info(disk->path, disk->format, &info) < 0) {
		vk_error_clear();
		return false;
	}
	for (i = info->backing; i && !found; i = i->backing) {
		struct vk_file_id b;

		vk_file_id_get(i->path, &b);
		found = vk_file_id_same(&b, path);
	}
	vk_image_info_free(info);
	return found;
}

int vk_vm_disk_users(const char *path, bool shareable, bool readonly, const char *except,
		     char ***names, size_t *count)
{
	char **all = NULL, **users = NULL;
	size_t n_all = 0, n = 0, i, j;
	struct vk_file_id target;
	int rc;

	*names = NULL;
	vk_file_id_get(path, &target);
	if (count)
		*count = 0;
	rc = vk_vm_list(&all, &n_all);
	if (rc < 0)
		return rc;
	users = calloc(n_all + 1, sizeof(*users));
	if (!users) {
		rc = vk_error(ENOMEM, "%s", path);
		goto out;
	}
	for (i = 0; i < n_all; i++) {
		struct vk_vm *vm = NULL;
		bool uses = false;

		if ((except && strcmp(all[i], except) == 0) || vk_vm_lookup(all[i], &vm) < 0)
			continue;
		for (j = 0; j < vm->n_disks && !uses; j++) {
			const struct vk_disk *d = &vm->disks[j];
			struct vk_file_id disk;

			vk_file_id_get(d->path, &disk);
			if (vk_file_id_same(&disk, &target))
				uses = !(shareable && d->shareable) && !(readonly && d->readonly);
			else	/* a file that is not there backs nothing */
				uses = !readonly && target.exists && backs_disk(d, &target);
		}
		vk_vm_free(vm);
		if (uses && !(users[n++] = strdup(all[i]))) {
			rc = vk_error(ENOMEM, "%s", path);
			goto out;
		}
	}
	vk_error_clear();	/* definitions that did not parse are not our business here */
	*names = users;
	users = NULL;
	if (count)
		*count = n;
out:
	vk_strv_free(users);
	vk_strv_free(all);
	return rc;
}

/* Is pid a vrun?  A recycled pid belongs to some other program. */
static bool pid_is_vrun(int pid)
{
	char path[64], *comm = NULL;
	bool yes;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (vk_read_file(path, 64, &comm, NULL) < 0)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	yes = strcmp(comm, VRUN_COMM) == 0;
	free(comm);
	return yes;
}

int vk_vm_running_pid(const char *name)
{
	char file[VK_NAME_MAX + 8], *path = NULL, *text = NULL, *end;
	long pid;
	int rc;

	rc = vk_name_check(name);
	if (rc < 0)
		return rc;
	snprintf(file, sizeof(file), "%s.pid", name);
	rc = vk_state_path(&path, "run", file);
	if (rc < 0)
		return rc;
	rc = vk_read_file(path, VK_PIDFILE_MAX, &text, NULL);
	if (rc < 0) {
		/* No pid file (or an unreadable one) means not running. */
		vk_error_clear();
		rc = 0;
		goto out;
	}
	errno = 0;
	pid = strtol(text, &end, 10);
	rc = 0;
	if (errno || end == text || (*end && *end != '\n') || pid <= 0 || pid > INT_MAX)
		goto out;	/* garbage is as good as stale */
	if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
		goto out;
	if (pid_is_vrun((int)pid))
		rc = (int)pid;
out:
	free(text);
	free(path);
	return rc;
}
