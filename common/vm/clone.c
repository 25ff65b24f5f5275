/* clone.c - virt-clone's work as library calls: the clone planned (name, UUID, MACs, disks), checked, described and carried out under the undo journal. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/guest/identity.h"
#include "common/image/image.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/util/options.h"
#include "common/util/progress.h"
#include "common/vm/clone.h"
#include "common/vm/control-client.h"
#include "common/vm/statedir.h"
#include "common/vm/undo.h"
#include "common/vm/vmdef.h"

/* --force on a running original: paused (and its disks flushed) while
 * its disks are copied. */
#define PAUSE_TIMEOUT_MS	60000	/* vrun parks vCPUs within 5 s, then flushes */
/* At most this many disks a filesystem check keeps apart. */
#define MAX_LIST	64

/* What happens to one disk of the original. */
enum disk_action {
	DISK_COPY,	/* copied to a new path through the image layer */
	DISK_LINK,	/* --linked: a qcow2 overlay on the original */
	DISK_SHARE,	/* read-only or CD-ROM: both VMs use the same file */
	DISK_SKIP,	/* --skip-copy: the clone keeps the original's path */
	DISK_PRESERVE,	/* --preserve-data: the given path is used as it is */
};

static const char *const action_names[] = {
	[DISK_COPY] = "copy", [DISK_LINK] = "linked overlay", [DISK_SHARE] = "share",
	[DISK_SKIP] = "skip (keep path)", [DISK_PRESERVE] = "preserve (use existing)",
};

struct disk_plan {
	char target[8];
	enum disk_action action;
	char *src;
	enum vk_image_format src_format;
	char *stage;		/* where the copy is built before it gets its name */
};


/* libvirt's target names: vda, vdb ... per bus prefix, in definition order. */
static void name_targets(const struct vk_vm *vm, struct disk_plan *plan)
{
	size_t vd = 0, sd = 0, hd = 0;

	for (size_t i = 0; i < vm->n_disks; i++) {
		const char *prefix = "sd";
		size_t *n = &sd;

		if (vm->disks[i].bus == VK_BUS_VIRTIO) {
			prefix = "vd";
			n = &vd;
		} else if (vm->disks[i].bus == VK_BUS_IDE) {
			prefix = "hd";
			n = &hd;
		}
		vk_disk_target_name(prefix, (*n)++, plan[i].target, sizeof(plan[i].target));
	}
}

static bool path_exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* Is path a disk (or the backing file of an overlay) of a defined VM? */
static bool path_used_by_vm(const char *path)
{
	char **users = NULL;
	size_t n = 0;

	if (vk_vm_disk_users(path, false, false, NULL, &users, &n) < 0)
		n = 0;
	vk_strv_free(users);
	return n > 0;
}

/* virt-clone's name rule with the spelling: NAME-clone, then
 * NAME-clone-1, -2 ...; cloning "x-clone-3" gives "x-clone-4". */
static int auto_clone_name(const char *orig, char out[VK_NAME_MAX + 1])
{
	char base[VK_NAME_MAX + 1];
	unsigned long start = 0;
	char *p;

	snprintf(base, sizeof(base), "%s", orig);
	p = strstr(base, "-clone");
	if (p && (p[6] == '\0' || p[6] == '-')) {
		start = p[6] == '-' ? strtoul(p + 7, NULL, 10) + 1 : 1;
		*p = '\0';
	}
	for (unsigned long i = start; i < start + 10000; i++) {
		int len = i ? snprintf(out, VK_NAME_MAX + 1, "%s-clone-%lu", base, i)
			    : snprintf(out, VK_NAME_MAX + 1, "%s-clone", base);
		if (len > VK_NAME_MAX)
			return vk_errorx(ENAMETOOLONG, "%s: name too long to derive a clone name", orig);
		if (!vk_vm_exists(out))
			return 0;
	}
	return vk_errorx(EEXIST, "%s: no free clone name", orig);
}

/* virt-clone's disk path rule: split an extension of up to 7 characters,
 * "elk04.img" of VM elk04 becomes "NEW.img", any other "x.img" "x-clone.img",
 * then -1, -2 ... until the path is free. */
static int auto_clone_path(const char *orig_name, const char *new_name, const char *src, char **out)
{
	char *copy = strdup(src), *dot, *slash, *suffix = "", *base;
	char *stem = NULL;
	int rc = 0;

	if (!copy)
		return vk_error(ENOMEM, "%s", src);
	dot = strrchr(copy, '.');
	slash = strrchr(copy, '/');
	if (dot && (!slash || dot > slash) && strlen(dot + 1) <= 7) {
		suffix = strdup(dot);
		*dot = '\0';
	} else {
		suffix = strdup("");
	}
	base = slash ? slash + 1 : copy;
	if (strcmp(base, orig_name) == 0)
		rc = asprintf(&stem, "%.*s%s", (int)(base - copy), copy, new_name);
	else
		rc = asprintf(&stem, "%s-clone", copy);
	if (rc < 0 || !suffix) {
		rc = vk_error(ENOMEM, "%s", src);
		goto out;
	}
	rc = -EEXIST;
	for (unsigned i = 0; i < 100000; i++) {
		char *try = NULL;

		if ((i ? asprintf(&try, "%s-%u%s", stem, i, suffix) : asprintf(&try, "%s%s", stem, suffix)) < 0) {
			rc = vk_error(ENOMEM, "%s", src);
			break;
		}
		if (!path_exists(try) && !path_used_by_vm(try)) {
			*out = try;
			rc = 0;
			break;
		}
		free(try);
	}
	if (rc == -EEXIST)
		vk_errorx(EEXIST, "%s: no free path for the clone's disk", src);
out:
	free(stem);
	free(suffix);
	free(copy);
	return rc;
}

static bool skipped(const struct vk_clone_request *req, const struct disk_plan *d)
{
	for (int i = 0; i < req->n_skip; i++)
		if (strcmp(req->skip[i], d->target) == 0 || strcmp(req->skip[i], d->src) == 0)
			return true;
	return false;
}

/* The pure part: decide the clone's name, UUID, MACs and each disk's fate. */
static int make_plan(const struct vk_clone_request *req, const struct vk_vm *orig, struct vk_vm *clone,
		     struct disk_plan *plan)
{
	int next_file = 0, rc;

	/* Checked before it is copied: a name too long for the buffer would
	 * be cut, and the clone made under a name the user never gave. */
	if (req->name && (rc = vk_name_check(req->name)) < 0)
		return rc;
	if (req->name)
		snprintf(clone->name, sizeof(clone->name), "%s", req->name);
	else if ((rc = auto_clone_name(orig->name, clone->name)) < 0)
		return rc;
	if ((rc = vk_name_check(clone->name)) < 0)
		return rc;
	if (strcmp(clone->name, orig->name) == 0 || vk_vm_exists(clone->name))
		return vk_errorx(EEXIST, "%s: a domain of that name already exists; choose another --name",
				 clone->name);
	if (req->uuid) {
		if (!vk_uuid_valid(req->uuid))
			return vk_errorx(EINVAL, "--uuid %s: not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
					 req->uuid);
		snprintf(clone->uuid, sizeof(clone->uuid), "%s", req->uuid);
	} else if ((rc = vk_uuid_generate(clone->uuid)) < 0) {
		return rc;
	}
	if (strcmp(clone->uuid, orig->uuid) == 0)
		return vk_errorx(EINVAL, "--uuid %s: the original has that UUID", req->uuid);

	if ((size_t)req->n_macs > orig->n_nics)
		return vk_errorx(EINVAL, "%d --mac options but %s has %zu network interface(s)",
				 req->n_macs, orig->name, orig->n_nics);
	for (size_t i = 0; i < clone->n_nics; i++) {
		const char *m = (int)i < req->n_macs ? req->macs[i] : "RANDOM";

		if (strcmp(m, "RANDOM") == 0)
			rc = vk_mac_generate(clone->nics[i].mac);
		else if ((rc = vk_mac_parse(m, clone->nics[i].mac)) == 0)
			for (size_t j = 0; j < orig->n_nics && rc == 0; j++)
				if (strcmp(orig->nics[j].mac, clone->nics[i].mac) == 0)
					rc = vk_errorx(EINVAL, "--mac %s: the original uses that address", m);
		if (rc < 0)
			return rc;
	}

	name_targets(orig, plan);
	for (int i = 0; i < req->n_skip; i++) {
		bool known = false;

		for (size_t d = 0; d < orig->n_disks; d++)
			known |= strcmp(req->skip[i], plan[d].target) == 0 || strcmp(req->skip[i], orig->disks[d].path) == 0;
		if (!known)
			return vk_errorx(ENOENT, "--skip-copy %s: %s has no such disk", req->skip[i], orig->name);
	}
	for (size_t d = 0; d < orig->n_disks; d++) {
		struct disk_plan *p = &plan[d];
		struct vk_disk *cd = &clone->disks[d];
		char *dst = NULL;

		p->src = orig->disks[d].path;
		p->src_format = orig->disks[d].format;
		if (orig->disks[d].device == VK_DEVICE_CDROM || orig->disks[d].readonly || orig->disks[d].shareable) {
			p->action = DISK_SHARE;
			continue;
		}
		if (skipped(req, p)) {
			p->action = DISK_SKIP;
			continue;
		}
		p->action = req->preserve ? DISK_PRESERVE : req->linked ? DISK_LINK : DISK_COPY;
		if (next_file < req->n_files) {
			dst = strdup(req->files[next_file++]);
			if (!dst)
				return vk_error(ENOMEM, "--file");
		} else if (req->auto_clone && !req->preserve) {
			if ((rc = auto_clone_path(orig->name, clone->name, p->src, &dst)) < 0)
				return rc;
		} else {
			return vk_errorx(EINVAL, "disk %s (%s) needs a new path: give one -f/--file per disk, "
					 "--auto-clone, or --skip-copy %s", p->target, p->src, p->target);
		}
		free(cd->path);
		cd->path = dst;
		if (p->action == DISK_LINK)
			cd->format = VK_IMAGE_QCOW2;
		if (strcmp(dst, p->src) == 0)
			return vk_errorx(EINVAL, "%s: the clone's disk cannot be the original's", dst);
		if (p->action == DISK_PRESERVE && !path_exists(dst))
			return vk_errorx(ENOENT, "%s: --preserve-data needs an existing file", dst);
		if (p->action != DISK_PRESERVE && path_exists(dst))
			return vk_errorx(EEXIST, "%s: already exists; remove it, choose another path, "
					 "or use --preserve-data to use it as it is", dst);
		if (p->action != DISK_PRESERVE && path_used_by_vm(dst))
			return vk_errorx(EEXIST, "%s: in use by another domain", dst);
	}
	if (next_file < req->n_files)
		return vk_errorx(EINVAL, "%d --file options but %s has %d disk(s) to copy",
				 req->n_files, orig->name, next_file);
	for (size_t a = 0; a < clone->n_disks; a++)
		for (size_t b = a + 1; b < clone->n_disks; b++)
			if (plan[a].action != DISK_SHARE && plan[a].action != DISK_SKIP &&
			    strcmp(clone->disks[a].path, clone->disks[b].path) == 0)
				return vk_errorx(EINVAL, "%s: given for two disks", clone->disks[a].path);
	return 0;
}

static void print_plan(FILE *out, const struct vk_clone_request *req, const struct vk_vm *orig,
		       const struct vk_vm *clone, const struct disk_plan *plan)
{
	fprintf(out, "original: %s\nclone: %s\nuuid: %s\n", orig->name, clone->name, clone->uuid);
	for (size_t d = 0; d < clone->n_disks; d++) {
		fprintf(out, "disk %s: %s", plan[d].target, action_names[plan[d].action]);
		if (plan[d].action == DISK_SHARE || plan[d].action == DISK_SKIP)
			fprintf(out, " %s\n", clone->disks[d].path);
		else
			fprintf(out, " %s (%s) -> %s (%s)\n", plan[d].src, vk_image_format_name(plan[d].src_format),
			       clone->disks[d].path, vk_image_format_name(clone->disks[d].format));
	}
	for (size_t i = 0; i < clone->n_nics; i++)
		fprintf(out, "nic %zu: %s -> %s\n", i, orig->nics[i].mac, clone->nics[i].mac);
	if (req->reset_identity)
		fprintf(out, "reset identity: machine-id, SSH host keys, persistent net rules, ifcfg HWADDR/UUID, hostname\n");
}

/* Bytes a copy of the disk takes where it lands: what vk_image_copy()
 * asks for (so --check and the copy agree), nothing for a reflink, which
 * shares the blocks, or an overlay, which starts at a few clusters. */
static int copy_needs(const struct vk_clone_request *req, const struct disk_plan *p, uint64_t *need)
{
	struct vk_image *src = NULL;
	int rc;

	*need = 0;
	if (p->action != DISK_COPY || req->reflink)
		return 0;
	if ((rc = vk_image_open(p->src, p->src_format, VK_IMAGE_RDONLY, &src)) < 0)
		return rc;
	rc = vk_image_copy_space_needed(src, req->nonsparse ? VK_COPY_NONSPARSE : 0, need);
	vk_image_close(src);
	return rc;
}

/*
 * --check: what the copy would trip over, found before anything is made --
 * each new disk's directory must exist and take new files, and each
 * filesystem must hold all the copies made on it (summed, as two disks on
 * one filesystem share its free space).  Every problem is printed;
 * returns their number.
 */
static int check_plan(const struct vk_clone_request *req, const struct vk_vm *clone, const struct disk_plan *plan)
{
	struct { dev_t dev; char *dir; uint64_t need; } fs[MAX_LIST] = { 0 };
	size_t n_fs = 0;
	int problems = 0;

	for (size_t d = 0; d < clone->n_disks; d++) {
		char *copy, *dir;
		struct stat st;
		uint64_t need;
		size_t f;
		int rc = 0;

		if (plan[d].action != DISK_COPY && plan[d].action != DISK_LINK)
			continue;
		if (!(copy = strdup(clone->disks[d].path))) {
			fprintf(stderr, "%s: %s: out of memory\n", program_invocation_short_name, clone->name);
			return problems + 1;
		}
		dir = dirname(copy);
		if (stat(dir, &st) < 0)
			rc = vk_error(errno, "disk %s: %s: directory %s", plan[d].target, clone->disks[d].path, dir);
		else if (!S_ISDIR(st.st_mode))
			rc = vk_errorx(ENOTDIR, "disk %s: %s: %s is not a directory", plan[d].target,
				       clone->disks[d].path, dir);
		else if (access(dir, W_OK | X_OK) < 0)
			rc = vk_error(errno, "disk %s: %s: cannot create files in %s", plan[d].target,
				      clone->disks[d].path, dir);
		else if ((rc = copy_needs(req, &plan[d], &need)) < 0)
			vk_error_prefix(rc, "disk %s", plan[d].target);
		if (rc < 0) {
			vk_report_object(clone->name);
			problems++;
			free(copy);
			continue;
		}
		for (f = 0; f < n_fs && fs[f].dev != st.st_dev; f++)
			;
		if (f == n_fs) {
			fs[n_fs].dev = st.st_dev;
			fs[n_fs++].dir = copy;
			copy = NULL;
		}
		fs[f].need += need;
		free(copy);
	}
	for (size_t f = 0; f < n_fs; f++) {
		if (fs[f].need && vk_image_check_space(fs[f].dir, fs[f].need) < 0) {
			vk_report_object(clone->name);
			problems++;
		}
		free(fs[f].dir);
	}
	return problems;
}

/* A copy's progress bar, and the flag the tool's signal handler sets. */
struct copy_watch {
	struct vk_progress *bar;
	volatile sig_atomic_t *interrupted;
};

static int copy_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct copy_watch *w = opaque;

	if (w->interrupted && *w->interrupted)
		return 1;
	return vk_progress_callback(w->bar, done, total);
}

static int check_interrupted(const struct vk_clone_request *req)
{
	if (req->interrupted && *req->interrupted)
		return vk_errorx(EINTR, "interrupted by signal %d; the clone was removed", (int)*req->interrupted);
	return 0;
}

static int create_disk(const struct vk_clone_request *req, struct vk_undo *undo, const struct vk_vm *clone,
		       struct disk_plan *p, size_t d)
{
	const char *dst = clone->disks[d].path;
	char label[PATH_MAX + 16];
	struct copy_watch w = { .interrupted = req->interrupted };
	int rc;

	if ((rc = vk_undo_stage(undo, dst, &p->stage)) < 0)
		return rc;
	if (p->action == DISK_LINK) {
		char *abs = realpath(p->src, NULL);

		if (!abs)
			return vk_error(errno, "%s", p->src);
		rc = vk_image_create_overlay(p->stage, abs, p->src_format);
		free(abs);
	} else {
		struct vk_image_copy_opts co = {
			.src = p->src, .src_format = p->src_format,
			.dst = p->stage, .dst_format = clone->disks[d].format,
			.flags = (req->reflink ? VK_COPY_REFLINK : 0) | (req->nonsparse ? VK_COPY_NONSPARSE : 0),
			.progress = copy_progress,
		};

		snprintf(label, sizeof(label), "Cloning %s", p->target);
		w.bar = vk_progress_new(label, 0, vk_quiet);
		co.opaque = &w;
		rc = vk_image_copy(&co);
		vk_progress_finish(w.bar, rc == 0);
		if (rc == -ECANCELED)
			rc = check_interrupted(req);
	}
	/* The image layer names its temporary file and the ioctl's errno; the
	 * user needs to hear that --reflink cannot be honoured here. */
	if (req->reflink && (rc == -EOPNOTSUPP || rc == -ENOTTY || rc == -EXDEV))
		rc = vk_errorx(-rc, "%s: --reflink: %s; clone without --reflink for a full copy", dst,
			       rc == -EXDEV ? "a copy-on-write copy must be on the original's filesystem"
					    : "this filesystem cannot make copy-on-write copies");
	if (rc < 0)
		return vk_error_prefix(rc, "disk %s", p->target);
	return check_interrupted(req);
}

/* Give a finished copy its name; refuses to replace anything there.  The
 * journal removes it only while that name is still our copy. */
static int publish_disk(struct vk_undo *undo, const struct vk_vm *clone, const struct disk_plan *p, size_t d)
{
	return vk_undo_publish(undo, p->stage, clone->disks[d].path);
}

/* The staged copies and overlays get the clone's identity before they are
 * published (common/guest/identity.h). */
static int reset_identity(const struct vk_vm *clone, const struct disk_plan *plan)
{
	const char **disks = calloc(clone->n_disks + 1, sizeof(*disks));
	enum vk_image_format *formats = calloc(clone->n_disks + 1, sizeof(*formats));
	size_t n = 0;
	int rc;

	if (!disks || !formats) {
		rc = vk_error(ENOMEM, "--reset-identity");
		goto out;
	}
	for (size_t d = 0; d < clone->n_disks; d++)
		if (plan[d].action == DISK_COPY || plan[d].action == DISK_LINK) {
			disks[n] = plan[d].stage;
			formats[n++] = clone->disks[d].format;
		}
	rc = vk_identity_reset(disks, formats, n, clone->name);
out:
	free(disks);
	free(formats);
	return rc;
}

/*
 * Clones of one VM are serialised on run/NAME.lock: a second vclone (or a
 * guardian still removing what a killed one left) makes this one wait.  It
 * says so rather than hang silently, and the wait is polled because flock()
 * restarts after our SIGINT/SIGTERM handlers, which would leave Ctrl-C
 * without effect.
 */
#define LOCK_POLL_NS	100000000L	/* 0.1 s: short next to any copy */

int vk_clone_lock_source(const char *name, volatile sig_atomic_t *interrupted, int *fd_out)
{
	char file[VK_NAME_MAX + 8], *path = NULL;
	bool told = false;
	int fd = -1, rc;

	snprintf(file, sizeof(file), "%s.lock", name);
	if ((rc = vk_state_path(&path, "run", file)) < 0)
		goto out;
	if ((rc = vk_open_private(path, O_RDWR, &fd)) < 0)
		goto out;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		struct timespec poll = { 0, LOCK_POLL_NS };

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			rc = vk_error(errno, "lock %s", path);
			goto out;
		}
		if (interrupted && *interrupted) {
			rc = vk_errorx(EINTR, "interrupted by signal %d while waiting for %s; nothing was created",
				       (int)*interrupted, path);
			goto out;
		}
		if (!told) {
			/* Not silenced by -q: it is the only explanation of the wait. */
			fprintf(stderr, "%s: %s: another vclone of it holds %s; waiting for it to finish\n",
				program_invocation_short_name, name, path);
			told = true;
		}
		nanosleep(&poll, NULL);
	}
	*fd_out = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

/* --force: pause the running original through its control socket; vrun
 * answers once its vCPUs are parked and its disks flushed, so the files
 * are complete until the resume.  The journal learns of it first. */
static int pause_original(struct vk_undo *undo, const char *name, struct vk_control_client **paused_vm)
{
	struct json_object *r = NULL, *flushed;
	int rc;

	rc = vk_control_connect_vm(name, VK_CONTROL_TIMEOUT_MS, paused_vm);
	if (rc < 0)
		return vk_error_prefix(rc, "--force: cannot reach its runner to pause it");
	if ((rc = vk_undo_paused(undo, name)) < 0)
		return rc;
	rc = vk_control_call(*paused_vm, "pause", PAUSE_TIMEOUT_MS, &r);
	if (rc < 0)
		return vk_error_prefix(rc, "--force: pause");
	if (!json_object_object_get_ex(r, "disks_flushed", &flushed) || !json_object_get_boolean(flushed))
		rc = vk_errorx(EPROTO, "--force: its runner paused but did not say its disks are flushed "
			       "(an older vrun?); shut it down first");
	json_object_put(r);
	return rc;
}

static int resume_original(struct vk_undo *undo, const char *name, struct vk_control_client **paused_vm)
{
	struct json_object *r = NULL;
	int rc;

	if (!*paused_vm)
		return 0;
	rc = vk_control_call(*paused_vm, "resume", VK_CONTROL_TIMEOUT_MS, &r);
	json_object_put(r);
	vk_control_close(*paused_vm);
	*paused_vm = NULL;
	if (rc < 0)
		return vk_error_prefix(rc, "%s: resume after the copy", name);
	return vk_undo_resumed(undo, name);
}

static int do_clone(const struct vk_clone_request *req, const struct vk_vm *orig, struct vk_vm *clone,
		    struct disk_plan *plan, bool pause)
{
	struct vk_control_client *paused_vm = NULL;
	struct vk_undo *undo = NULL;
	int rc, rc2;

	/* Begun while the source is locked: the guardian keeps the lock until
	 * its rollback has ended. */
	if ((rc = vk_undo_begin(&undo)) < 0)
		return rc;
	rc = vk_undo_claim(undo, clone->name);
	if (rc == 0 && pause)
		rc = pause_original(undo, orig->name, &paused_vm);
	for (size_t d = 0; d < clone->n_disks && rc == 0; d++)
		if (plan[d].action == DISK_COPY || plan[d].action == DISK_LINK)
			rc = create_disk(req, undo, clone, &plan[d], d);
	/* The copies are complete: the original runs on while the rest is done. */
	rc2 = resume_original(undo, orig->name, &paused_vm);
	if (rc == 0)
		rc = rc2;
	else if (rc2 < 0)
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, vk_last_error());
	if (rc == 0 && req->reset_identity)
		rc = reset_identity(clone, plan);
	if (rc == 0)
		rc = check_interrupted(req);
	for (size_t d = 0; d < clone->n_disks && rc == 0; d++)
		if (plan[d].action == DISK_COPY || plan[d].action == DISK_LINK) {
			if (path_exists(clone->disks[d].path))
				rc = vk_errorx(EEXIST, "%s: appeared while copying; not replaced",
					       clone->disks[d].path);
			else
				rc = publish_disk(undo, clone, &plan[d], d);
		}
	if (rc == 0)
		rc = check_interrupted(req);
	if (rc == 0 && (rc = vk_undo_definition(undo, clone)) == 0)
		rc = vk_vm_define(clone, false);
	if (rc == 0)
		rc = check_interrupted(req);
	if (rc == 0)
		vk_undo_commit(undo);
	else
		vk_undo_rollback(undo);
	return rc;
}

struct vk_clone_plan {
	const struct vk_clone_request *req;
	const struct vk_vm *orig;
	struct vk_vm *clone;
	struct disk_plan *disks;	/* one per disk of orig */
};

void vk_clone_plan_free(struct vk_clone_plan *p)
{
	if (!p)
		return;
	for (size_t d = 0; p->disks && d < p->orig->n_disks; d++)
		free(p->disks[d].stage);
	free(p->disks);
	vk_vm_free(p->clone);
	free(p);
}

int vk_clone_plan_build(const struct vk_clone_request *req, const struct vk_vm *orig,
			struct vk_clone_plan **out)
{
	struct vk_clone_plan *p = calloc(1, sizeof(*p));
	int rc;

	*out = NULL;
	if (!p)
		return vk_error(ENOMEM, "the clone plan");
	p->req = req;
	p->orig = orig;
	p->clone = vk_vm_dup(orig);
	p->disks = calloc(orig->n_disks + 1, sizeof(*p->disks));
	if (!p->clone || !p->disks) {
		vk_clone_plan_free(p);
		return vk_error(ENOMEM, "the clone plan");
	}
	rc = make_plan(req, orig, p->clone, p->disks);
	if (rc == 0)
		rc = vk_vm_validate(p->clone);
	if (rc < 0) {
		vk_clone_plan_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

const struct vk_vm *vk_clone_plan_vm(const struct vk_clone_plan *p)
{
	return p->clone;
}

void vk_clone_describe(const struct vk_clone_plan *p, FILE *out)
{
	print_plan(out, p->req, p->orig, p->clone, p->disks);
}

int vk_clone_check(const struct vk_clone_plan *p)
{
	return check_plan(p->req, p->clone, p->disks);
}

int vk_clone_run(struct vk_clone_plan *p, bool pause_original)
{
	return do_clone(p->req, p->orig, p->clone, p->disks, pause_original);
}
