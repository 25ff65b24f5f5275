/* undo.c - the rollback journal: a guardian process undoes what a run created unless it commits. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/vm/control-client.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/vm/statedir.h"
#include "common/vm/undo.h"
#include "common/vm/vmclaim.h"

/*
 * The wire: one SOCK_SEQPACKET message per record, so a record is either
 * whole or absent whatever kills the sender.  A message is a kind byte and
 * text; a claim, once held, travels with its descriptor (SCM_RIGHTS).
 */
enum {
	REC_PREFIX = 'P',	/* "PREFIX": PREFIX and PREFIX.* */
	REC_OWNED = 'F',	/* "DEV INO PATH": PATH while it is that inode */
	REC_SHARED = 'L',	/* "PATH": removed when nobody holds a lock on it */
	REC_CLAIM = 'X',	/* "NAME": about to claim NAME */
	REC_HELD = 'H',		/* "NAME" + descriptor: the claim, held */
	REC_DEFINITION = 'V',	/* "UUID NAME" */
	REC_PAUSED = 'U',	/* "NAME" */
	REC_RESUMED = 'u',	/* "NAME" */
	REC_PROCESS = 'K',	/* "PID START" */
	MSG_COMMIT = 'C',
	MSG_ROLLBACK = 'R',
	MSG_DONE = 'D',		/* guardian -> run: finished, about to exit */
};

#define RECORD_MAX	(PATH_MAX + 64)
#define TREE_DEPTH_MAX	8	/* what we create is flat; deeper is not ours */
#define STOP_GRACE_MS	5000	/* vrun ends within this on SIGTERM */
#define STOP_POLL_MS	20

struct undo_record {
	char kind;
	unsigned long long dev, ino;	/* REC_OWNED */
	pid_t pid;			/* REC_PROCESS */
	unsigned long long start;	/* REC_PROCESS: start time, in clock ticks after boot */
	char uuid[VK_UUID_LEN + 1];	/* REC_DEFINITION */
	int fd;				/* REC_CLAIM once held, else -1 */
	char *text;			/* path, prefix or name */
};

struct undo_list {
	struct undo_record *v;
	size_t n, cap;
};

struct vk_undo {
	int sock;
	pid_t guardian;
	pid_t creator;		/* the guardian's parent, which reaps it */
	struct undo_list recs;	/* our own copy: we undo it if the guardian is gone */
};

static struct vk_undo *current_journal;
static volatile sig_atomic_t current_sock = -1;

static void list_free(struct undo_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].text);
		if (l->v[i].fd >= 0)
			close(l->v[i].fd);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Takes rec->text (malloc'd) on success. */
static int list_add(struct undo_list *l, const struct undo_record *rec)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct undo_record *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *rec;
	return 0;
}

static struct undo_record *find_claim(struct undo_list *l, const char *name)
{
	for (size_t i = l->n; i-- > 0;)
		if (l->v[i].kind == REC_CLAIM && l->v[i].fd < 0 && strcmp(l->v[i].text, name) == 0)
			return &l->v[i];
	return NULL;
}

static int encode(const struct undo_record *rec, char *buf, size_t len)
{
	int n;

	switch (rec->kind) {
	case REC_OWNED:
		n = snprintf(buf, len, "%c%llu %llu %s", rec->kind, rec->dev, rec->ino, rec->text);
		break;
	case REC_PROCESS:
		n = snprintf(buf, len, "%c%d %llu", rec->kind, (int)rec->pid, rec->start);
		break;
	case REC_DEFINITION:
		n = snprintf(buf, len, "%c%s %s", rec->kind, rec->uuid, rec->text);
		break;
	default:
		n = snprintf(buf, len, "%c%s", rec->kind, rec->text ? rec->text : "");
	}
	if (n < 0 || (size_t)n >= len)
		return vk_errorx(ENAMETOOLONG, "%s: too long for the undo journal", rec->text ? rec->text : "");
	return n;
}

/* The guardian's side of encode(); false for a message it cannot read. */
static bool decode(const char *msg, struct undo_record *rec)
{
	const char *body = msg + 1;
	int used = 0, pid;

	memset(rec, 0, sizeof(*rec));
	rec->kind = msg[0];
	rec->fd = -1;
	switch (rec->kind) {
	case REC_OWNED:
		if (sscanf(body, "%llu %llu %n", &rec->dev, &rec->ino, &used) != 2 || !used)
			return false;
		break;
	case REC_PROCESS:
		if (sscanf(body, "%d %llu", &pid, &rec->start) != 2 || pid <= 0)
			return false;
		rec->pid = pid;
		return true;
	case REC_DEFINITION:
		if (strlen(body) <= VK_UUID_LEN || body[VK_UUID_LEN] != ' ')
			return false;
		memcpy(rec->uuid, body, VK_UUID_LEN);
		used = VK_UUID_LEN + 1;
		break;
	case REC_PREFIX: case REC_SHARED: case REC_CLAIM: case REC_HELD: case REC_PAUSED: case REC_RESUMED:
		break;
	default:
		return false;
	}
	if (!body[used])
		return false;
	rec->text = strdup(body + used);
	return rec->text != NULL;
}

/* --- undoing ---------------------------------------------------------- */

static void report(void)
{
	fprintf(stderr, "%s: rollback: %s\n", program_invocation_short_name, vk_last_error());
}

/* name in dirfd, and everything in it when it is a directory; symlinks
 * are removed, never followed. */
static int remove_tree(int parent, const char *name, int depth)
{
	struct dirent *e;
	struct stat st;
	int fd, rc = 0, rc2;
	DIR *d;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : vk_error(errno, "%s", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
			return vk_error(errno, "%s", name);
		return 0;
	}
	if (depth >= TREE_DEPTH_MAX)
		return vk_errorx(ELOOP, "%s: deeper than anything we create; left alone", name);
	fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return vk_error(errno, "%s", name);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return vk_error(errno, "%s", name);
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    (rc2 = remove_tree(dirfd(d), e->d_name, depth + 1)) < 0 && rc == 0)
			rc = vk_error_prefix(rc2, "%s", name);
	closedir(d);
	if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = vk_error(errno, "%s", name);
	return rc;
}

/* prefix itself and "prefix.*" in its directory. */
static void remove_prefix(const char *prefix)
{
	char *copy = strdup(prefix), *base;
	const char *dir;
	struct dirent *e;
	size_t len;
	DIR *d;

	if (!copy)
		return;
	base = strrchr(copy, '/');
	if (base) {
		*base++ = '\0';
		dir = *copy ? copy : "/";
	} else {
		base = copy;
		dir = ".";
	}
	len = strlen(base);
	d = opendir(dir);
	while (d && (e = readdir(d)))
		if (strncmp(e->d_name, base, len) == 0 && (e->d_name[len] == '\0' || e->d_name[len] == '.') &&
		    remove_tree(dirfd(d), e->d_name, 0) < 0)
			report();
	if (d)
		closedir(d);
	free(copy);
}

static void remove_owned(const struct undo_record *rec)
{
	struct stat st;

	if (lstat(rec->text, &st) < 0) {
		if (errno != ENOENT) {
			vk_error(errno, "%s", rec->text);
			report();
		}
		return;
	}
	/* Another's file where ours was never published, or replaced it. */
	if ((unsigned long long)st.st_dev != rec->dev || (unsigned long long)st.st_ino != rec->ino)
		return;
	if (remove_tree(AT_FDCWD, rec->text, 0) < 0)
		report();
}

static void remove_shared(const char *path)
{
	struct stat held, named;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	/* Locked: another run is writing it (and owns it now). */
	if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &held) == 0 && lstat(path, &named) == 0 &&
	    held.st_dev == named.st_dev && held.st_ino == named.st_ino && unlink(path) < 0 && errno != ENOENT) {
		vk_error(errno, "%s", path);
		report();
	}
	close(fd);
}

static void undefine_if_ours(const struct undo_record *rec)
{
	struct vk_vm *vm = NULL;
	char *path = NULL, *tmp = NULL;

	/* A define that lost a race for the name must not remove the winner's. */
	if (vk_vm_lookup(rec->text, &vm) == 0 && strcmp(vm->uuid, rec->uuid) == 0 &&
	    vk_vm_undefine(rec->text) < 0)
		report();
	vk_vm_free(vm);
	/* vk_write_file_atomic()'s "NAME.json.tmp.*", left by a kill mid-write. */
	if (vk_vm_def_path(&path, rec->text) == 0 && asprintf(&tmp, "%s.tmp", path) >= 0)
		remove_prefix(tmp);
	free(tmp);
	free(path);
	vk_error_clear();
}

/* /proc/PID/stat's state (field 3) and start time (field 22). */
static int process_stat(pid_t pid, char *state, unsigned long long *start)
{
	char path[64], *text = NULL, *p;
	int field, rc;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((rc = vk_read_file(path, 4096, &text, NULL)) < 0)
		return rc;
	p = strrchr(text, ')');	/* the command name before it may hold anything */
	rc = p && sscanf(p + 1, " %c", state) == 1 ? 0 : -EPROTO;
	/* p + 1 is the blank before field 3; walk to the one before field 22. */
	for (field = 3; p && rc == 0 && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (rc < 0 || !p || sscanf(p, " %llu", start) != 1)
		rc = vk_errorx(EPROTO, "%s: cannot read its state and start time", path);
	free(text);
	return rc;
}

/* Whether pid is still the process that started at start (a zombie has
 * nothing left to stop). */
static bool process_is(pid_t pid, unsigned long long start)
{
	unsigned long long now_start;
	char state;

	if (process_stat(pid, &state, &now_start) < 0) {
		vk_error_clear();
		return false;
	}
	return state != 'Z' && now_start == start;
}

static bool wait_gone(const struct undo_record *rec, int ms)
{
	struct timespec tick = { 0, STOP_POLL_MS * 1000000L };

	for (; ms > 0; ms -= STOP_POLL_MS) {
		if (!process_is(rec->pid, rec->start))
			return true;
		nanosleep(&tick, NULL);
	}
	return !process_is(rec->pid, rec->start);
}

static void stop_process(const struct undo_record *rec)
{
	if (!process_is(rec->pid, rec->start))
		return;
	kill(rec->pid, SIGTERM);
	if (wait_gone(rec, STOP_GRACE_MS))
		return;
	kill(rec->pid, SIGKILL);
	if (!wait_gone(rec, STOP_GRACE_MS)) {
		vk_errorx(ETIMEDOUT, "process %d did not end on SIGKILL", (int)rec->pid);
		report();
	}
}

static void drop_claim(struct undo_record *rec)
{
	int rc = rec->fd >= 0 ? vk_vm_claim_drop(rec->text, rec->fd) : vk_vm_claim_drop_stale(rec->text);

	if (rc < 0)
		report();
}

static void drop_claims(struct undo_list *l)
{
	for (size_t i = l->n; i-- > 0;)
		if (l->v[i].kind == REC_CLAIM)
			drop_claim(&l->v[i]);
}

/* Everything recorded, last first; the VM resumed and the name released last. */
static void undo_all(struct undo_list *l)
{
	const char *paused = NULL;
	size_t i;
	int rc;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].kind == REC_CLAIM && l->v[i].fd >= 0)
			vk_vm_claim_mark_rollback(l->v[i].fd);
		if (l->v[i].kind == REC_PAUSED)
			paused = l->v[i].text;
		if (l->v[i].kind == REC_RESUMED)
			paused = NULL;
	}
	for (i = l->n; i-- > 0;) {
		const struct undo_record *rec = &l->v[i];

		switch (rec->kind) {
		case REC_PROCESS:
			stop_process(rec);
			break;
		case REC_DEFINITION:
			undefine_if_ours(rec);
			break;
		case REC_OWNED:
			remove_owned(rec);
			break;
		case REC_PREFIX:
			remove_prefix(rec->text);
			break;
		case REC_SHARED:
			remove_shared(rec->text);
			break;
		}
	}
	if (paused && (rc = vk_control_call_vm(paused, "resume", VK_CONTROL_TIMEOUT_MS, NULL)) < 0) {
		vk_error_prefix(rc, "%s: resume", paused);
		report();
	}
	drop_claims(l);
}

/* --- the guardian ----------------------------------------------------- */

static ssize_t recv_record(int sock, char *buf, size_t len, int *fd)
{
	union {
		char space[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof(control.space),
	};
	struct cmsghdr *c;
	ssize_t n;

	*fd = -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return n;
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	if (msg.msg_flags & MSG_TRUNC) {
		errno = EMSGSIZE;	/* never sent: encode() bounds every record */
		return -1;
	}
	return n;
}

static void guardian_main(int sock) __attribute__((noreturn));
static void guardian_main(int sock)
{
	static const int ignored[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
	struct undo_list list = { 0 };
	struct undo_record rec, *claim;
	char buf[RECORD_MAX + 1];
	bool commit = false;
	int fd, null;
	ssize_t n;

	current_journal = NULL;	/* the run's, not ours */
	current_sock = -1;
	/* Ctrl-C and a kill of the run's process group are for the run. */
	setpgid(0, 0);
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		/* A reader of the run's output need not wait for us. */
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	for (;;) {
		n = recv_record(sock, buf, RECORD_MAX, &fd);
		if (n < 0 && (errno == EINTR || errno == EMSGSIZE))
			continue;
		if (n <= 0)
			break;	/* every holder is gone without committing */
		buf[n] = '\0';
		if (buf[0] == MSG_COMMIT) {
			commit = true;
			break;
		}
		if (buf[0] == MSG_ROLLBACK)
			break;
		if (buf[0] == REC_HELD) {
			claim = find_claim(&list, buf + 1);
			if (claim && fd >= 0) {
				claim->fd = fd;
				fd = -1;
			}
		} else if (decode(buf, &rec)) {
			if (list_add(&list, &rec) < 0) {
				/* Out of memory: better the run fails on its next
				 * record (and undoes all itself) than we forget one. */
				fprintf(stderr, "%s: undo journal: out of memory\n", program_invocation_short_name);
				_exit(1);
			}
		}
		if (fd >= 0)
			close(fd);
	}
	if (commit)
		drop_claims(&list);
	else
		undo_all(&list);
	send(sock, (char[]){ MSG_DONE }, 1, MSG_NOSIGNAL);
	_exit(0);
}

/* --- the run's side --------------------------------------------------- */

static int send_record(struct vk_undo *u, const struct undo_record *rec, int fd)
{
	union {
		char space[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	char buf[RECORD_MAX];
	struct iovec iov = { .iov_base = buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int n = encode(rec, buf, sizeof(buf));

	if (n < 0)
		return n;
	iov.iov_len = (size_t)n;
	if (fd >= 0) {
		memset(&control, 0, sizeof(control));
		msg.msg_control = control.space;
		msg.msg_controllen = sizeof(control.space);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(u->sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return vk_error(errno, "undo journal: its guardian (pid %d) is gone; stopping before "
					"creating %s", (int)u->guardian, rec->text ? rec->text : "more");
	return 0;
}

/* Keep a copy, then tell the guardian: the copy is what we undo
 * ourselves if it is gone. */
static int record(struct vk_undo *u, char kind, const char *text, struct undo_record *extra)
{
	struct undo_record rec = { .kind = kind, .fd = -1 };
	int rc;

	if (!u)
		return 0;
	if (extra)
		rec = *extra;
	rec.kind = kind;
	rec.fd = -1;
	rec.text = text ? strdup(text) : NULL;
	if (text && !rec.text)
		return vk_error(ENOMEM, "%s", text);
	if ((rc = list_add(&u->recs, &rec)) < 0) {
		free(rec.text);
		return vk_error(-rc, "undo journal");
	}
	return send_record(u, &rec, -1);
}

int vk_undo_begin(struct vk_undo **out)
{
	struct vk_undo *u;
	int sv[2];
	pid_t pid;

	*out = NULL;
	if (current_journal)
		return vk_errorx(EBUSY, "undo journal: one is open already in this process");
	u = calloc(1, sizeof(*u));
	if (!u)
		return vk_error(ENOMEM, "undo journal");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		free(u);
		return vk_error(errno, "undo journal: socketpair");
	}
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		free(u);
		return vk_error(errno, "undo journal: fork");
	}
	if (pid == 0) {
		close(sv[1]);
		guardian_main(sv[0]);
	}
	close(sv[0]);
	u->sock = sv[1];
	u->guardian = pid;
	u->creator = getpid();
	current_journal = u;
	current_sock = u->sock;
	*out = u;
	return 0;
}

struct vk_undo *vk_undo_current(void)
{
	return current_journal;
}

int vk_undo_prefix(struct vk_undo *u, const char *prefix)
{
	return record(u, REC_PREFIX, prefix, NULL);
}

int vk_undo_stage(struct vk_undo *u, const char *path, char **stage)
{
	int rc;

	if (asprintf(stage, "%s.%s-%d", path, program_invocation_short_name, (int)getpid()) < 0) {
		*stage = NULL;
		return vk_error(ENOMEM, "%s", path);
	}
	rc = vk_undo_prefix(u, *stage);
	if (rc < 0) {
		free(*stage);
		*stage = NULL;
	}
	return rc;
}

static int record_owned(struct vk_undo *u, const char *path, const struct stat *st)
{
	struct undo_record id = { .dev = (unsigned long long)st->st_dev, .ino = (unsigned long long)st->st_ino };

	return record(u, REC_OWNED, path, &id);
}

/* Where renameat2() cannot refuse to replace: a directory through mkdir,
 * recorded once made (a kill just then leaves it behind). */
static int publish_dir_by_mkdir(struct vk_undo *u, const char *stage, const char *path, mode_t mode)
{
	struct stat st;

	rmdir(stage);
	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? vk_errorx(EEXIST, "%s: already exists; not replaced", path)
				       : vk_error(errno, "%s", path);
	if (lstat(path, &st) < 0)
		return vk_error(errno, "%s", path);
	return record_owned(u, path, &st);
}

int vk_undo_publish(struct vk_undo *u, const char *stage, const char *path)
{
	struct stat st;
	int rc;

	if (lstat(stage, &st) < 0)
		return vk_error(errno, "%s", stage);
	if ((rc = record_owned(u, path, &st)) < 0)
		return rc;
	if (renameat2(AT_FDCWD, stage, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST)
		return vk_errorx(EEXIST, "%s: already exists; not replaced", path);
	if (errno != EINVAL && errno != ENOSYS)
		return vk_error(errno, "%s", path);
	if (S_ISDIR(st.st_mode))
		return publish_dir_by_mkdir(u, stage, path, st.st_mode & 07777);
	/* link() never replaces either; the inode is the one recorded. */
	if (link(stage, path) < 0)
		return errno == EEXIST ? vk_errorx(EEXIST, "%s: already exists; not replaced", path)
				       : vk_error(errno, "%s", path);
	unlink(stage);
	return 0;
}

int vk_undo_mkdir(struct vk_undo *u, const char *path, mode_t mode)
{
	char *stage = NULL;
	struct stat st;
	int rc;

	if (lstat(path, &st) == 0)
		return S_ISDIR(st.st_mode) ? 0 : vk_errorx(ENOTDIR, "%s: exists and is not a directory", path);
	if (errno != ENOENT)
		return vk_error(errno, "%s", path);
	if ((rc = vk_undo_stage(u, path, &stage)) < 0)
		return rc;
	if (mkdir(stage, mode) < 0) {
		rc = vk_error(errno, "%s", stage);
		goto out;
	}
	rc = vk_undo_publish(u, stage, path);
	if (rc == -EEXIST) {
		/* Made at the same moment by another run: it is theirs, use it. */
		rmdir(stage);
		vk_error_clear();
		rc = 0;
	} else if (rc == 0) {
		rc = 1;
	}
out:
	free(stage);
	return rc;
}

int vk_undo_shared_file(struct vk_undo *u, const char *path)
{
	return record(u, REC_SHARED, path, NULL);
}

int vk_undo_claim(struct vk_undo *u, const char *name)
{
	struct undo_record *claim;
	int fd = -1, rc;

	if ((rc = record(u, REC_CLAIM, name, NULL)) < 0)
		return rc;
	if ((rc = vk_vm_claim(name, &fd)) < 0)
		return rc;
	claim = find_claim(&u->recs, name);
	claim->fd = fd;
	/* The guardian holds the claim with us, and on until its rollback ends. */
	return send_record(u, &(struct undo_record){ .kind = REC_HELD, .text = claim->text }, fd);
}

int vk_undo_definition(struct vk_undo *u, const struct vk_vm *vm)
{
	struct undo_record def = { 0 };

	snprintf(def.uuid, sizeof(def.uuid), "%s", vm->uuid);
	return record(u, REC_DEFINITION, vm->name, &def);
}

int vk_undo_paused(struct vk_undo *u, const char *name)
{
	return record(u, REC_PAUSED, name, NULL);
}

int vk_undo_resumed(struct vk_undo *u, const char *name)
{
	return record(u, REC_RESUMED, name, NULL);
}

int vk_undo_process(struct vk_undo *u, pid_t pid)
{
	struct undo_record proc = { .pid = pid };
	char state;
	int rc;

	if (!u)
		return 0;
	if ((rc = process_stat(pid, &state, &proc.start)) < 0)
		return rc;
	return record(u, REC_PROCESS, NULL, &proc);
}

/* Tell the guardian msg and wait for it to end: true when it said it
 * finished, false when it was gone already. */
static bool finish(struct vk_undo *u, char msg)
{
	bool done = false;
	char reply;
	ssize_t n;

	current_journal = NULL;
	current_sock = -1;
	if (send(u->sock, &msg, 1, MSG_NOSIGNAL) == 1) {
		while ((n = recv(u->sock, &reply, 1, 0)) != 0) {
			if (n < 0 && errno != EINTR)
				break;
			if (n == 1 && reply == MSG_DONE)
				done = true;
		}
	}
	close(u->sock);
	u->sock = -1;
	if (u->creator == getpid())
		while (waitpid(u->guardian, NULL, 0) < 0 && errno == EINTR)
			;
	return done;
}

static void undo_free(struct vk_undo *u)
{
	if (u->sock >= 0)
		close(u->sock);
	list_free(&u->recs);
	free(u);
}

int vk_undo_commit(struct vk_undo *u)
{
	if (!finish(u, MSG_COMMIT))
		drop_claims(&u->recs);
	undo_free(u);
	return 0;
}

void vk_undo_rollback(struct vk_undo *u)
{
	char reason[VK_ERRMSG_MAX];

	/* Undoing must not replace the message that says why. */
	snprintf(reason, sizeof(reason), "%s", vk_last_error());
	if (!finish(u, MSG_ROLLBACK))
		undo_all(&u->recs);
	undo_free(u);
	vk_errorx(EIO, "%s", reason);
}

void vk_undo_detach(struct vk_undo *u)
{
	if (current_journal == u) {
		current_journal = NULL;
		current_sock = -1;
	}
	undo_free(u);
}

/* --- from a signal handler -------------------------------------------- */

static size_t append(char *buf, size_t used, size_t len, const char *s)
{
	while (*s && used + 1 < len)
		buf[used++] = *s++;
	buf[used] = '\0';
	return used;
}

static void close_all_but(int keep)
{
	if (keep <= STDERR_FILENO) {
		close_range(STDERR_FILENO + 1, ~0U, 0);
		return;
	}
	if (keep > STDERR_FILENO + 1)
		close_range(STDERR_FILENO + 1, (unsigned)keep - 1, 0);
	close_range((unsigned)keep + 1, ~0U, 0);
}

void vk_undo_die_of_signal(int sig)
{
	const char *abbrev = sigabbrev_np(sig);
	int sock = current_sock;
	bool done = false;
	char msg[256], reply;
	sigset_t set;
	size_t used;
	ssize_t n;

	if (sock >= 0) {
		current_sock = -1;
		close_all_but(sock);
		if (send(sock, (char[]){ MSG_ROLLBACK }, 1, MSG_NOSIGNAL) == 1)
			while ((n = recv(sock, &reply, 1, 0)) != 0) {
				if (n < 0 && errno != EINTR)
					break;
				if (n == 1 && reply == MSG_DONE)
					done = true;
			}
		used = append(msg, 0, sizeof(msg), program_invocation_short_name);
		used = append(msg, used, sizeof(msg), ": interrupted by SIG");
		used = append(msg, used, sizeof(msg), abbrev ? abbrev : "?");
		used = append(msg, used, sizeof(msg), done ? "; removed what this run created\n"
							    : "; its undo journal did not confirm the rollback\n");
		if (write(STDERR_FILENO, msg, used) < 0) {
			/* nowhere left to say it */
		}
	}
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}
