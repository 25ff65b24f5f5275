/* test-undo.c - the rollback journal: records, commit, rollback, claims, and a run killed with SIGKILL. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/vm/statedir.h"
#include "common/vm/undo.h"
#include "common/vm/vmclaim.h"
#include "common/vm/vmdef.h"

static char tmpdir[64], statedir[96];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vkit-undo.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(statedir, sizeof(statedir), "%s/state", tmpdir);
	return setenv("VKIT_DIR", statedir, 1);
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *at(const char *name)
{
	static char paths[8][PATH_MAX];
	static unsigned next;
	char *p = paths[next++ % 8];

	snprintf(p, PATH_MAX, "%s/%s", tmpdir, name);
	return p;
}

static void make_file(const char *path, const char *text)
{
	assert_int_equal(vk_write_file_atomic(path, text, strlen(text), 0600), 0);
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static char *read_text(const char *path)
{
	char *text = NULL;

	assert_int_equal(vk_read_file(path, 1 << 20, &text, NULL), 0);
	return text;
}

/* A staged file published under path, as the tools make their disks. */
static void publish_new(struct vk_undo *u, const char *path, const char *text)
{
	char *stage = NULL;

	assert_int_equal(vk_undo_stage(u, path, &stage), 0);
	make_file(stage, text);
	assert_int_equal(vk_undo_publish(u, stage, path), 0);
	assert_false(exists(stage));
	free(stage);
}

static struct vk_vm *new_vm(const char *name)
{
	struct vk_vm *vm = vk_vm_new(name);

	assert_non_null(vm);
	vm->boot.kind = VK_BOOT_DISK;
	return vm;
}

static void rm_rf(const char *path)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	assert_int_equal(system(cmd), 0);
}

/* Whether our child pid is alive and leads its own process group. */
static bool live_group_leader(long pid)
{
	char path[64], *stat = NULL, *paren;
	bool yes;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (vk_read_file(path, 4096, &stat, NULL) < 0)
		return false;
	paren = strrchr(stat, ')');
	yes = paren && paren[1] == ' ' && paren[2] != 'Z' && getpgid((pid_t)pid) == (pid_t)pid;
	free(stat);
	return yes;
}

/* The journal's guardian: our live child that leads its own process group
 * (a detached journal's guardian may be a zombie child of ours). */
static pid_t find_guardian(void)
{
	char path[64], *children = NULL, *p, *end;
	pid_t found = 0;
	long pid;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
	if (vk_read_file(path, 4096, &children, NULL) < 0)
		return 0;
	for (p = children; (pid = strtol(p, &end, 10)) > 0; p = end)
		if (live_group_leader(pid))
			found = (pid_t)pid;
	free(children);
	return found;
}

static void rollback_removes_what_was_recorded(void **state)
{
	char *stage = NULL, *image_tmp = NULL;
	struct vk_undo *u;

	make_file(at("keep.img"), "theirs");
	make_file(at("keep.imgx"), "theirs");
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_ptr_equal(vk_undo_current(), u);
	publish_new(u, at("disk.img"), "ours");
	/* A stage and the image layer's temporary file beside it, unpublished. */
	assert_int_equal(vk_undo_stage(u, at("keep.img"), &stage), 0);
	assert_true(asprintf(&image_tmp, "%s.tmp.%d.0", stage, (int)getpid()) > 0);
	make_file(stage, "half");
	make_file(image_tmp, "half");
	vk_undo_rollback(u);
	assert_null(vk_undo_current());
	assert_false(exists(at("disk.img")));
	assert_false(exists(stage));
	assert_false(exists(image_tmp));
	assert_true(exists(at("keep.img")));
	assert_true(exists(at("keep.imgx")));
	free(stage);
	free(image_tmp);
	unlink(at("keep.img"));
	unlink(at("keep.imgx"));
}

static void commit_keeps_everything(void **state)
{
	struct vk_undo *u;

	assert_int_equal(vk_undo_begin(&u), 0);
	publish_new(u, at("kept.img"), "ours");
	assert_int_equal(vk_undo_mkdir(u, at("kept.dir"), 0700), 1);
	make_file(at("kept.dir/kernel"), "k");
	assert_int_equal(vk_undo_commit(u), 0);
	assert_true(exists(at("kept.img")));
	assert_true(exists(at("kept.dir/kernel")));
	unlink(at("kept.img"));
	rm_rf(at("kept.dir"));
}

/* The last holder letting go without a commit is a rollback. */
static void detached_journal_rolled_back(void **state)
{
	struct vk_undo *u;
	char *stage = NULL;
	pid_t guardian;

	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_stage(u, at("gone.img"), &stage), 0);
	make_file(stage, "half");
	guardian = find_guardian();
	vk_undo_detach(u);
	assert_null(vk_undo_current());
	if (guardian > 0)	/* else no CONFIG_PROC_CHILDREN: we cannot wait for it */
		assert_int_equal(waitpid(guardian, NULL, 0), guardian);
	else
		sleep(1);
	assert_false(exists(stage));
	free(stage);
}

/* Removing a path someone else created is not ours to do. */
static void only_our_inode_is_removed(void **state)
{
	struct vk_undo *u;
	char *stage = NULL;
	int rc;

	make_file(at("taken.img"), "theirs");
	assert_int_equal(vk_undo_begin(&u), 0);
	/* The record is made, the name is taken: nothing replaced. */
	assert_int_equal(vk_undo_stage(u, at("taken.img"), &stage), 0);
	make_file(stage, "ours");
	rc = vk_undo_publish(u, stage, at("taken.img"));
	assert_int_equal(rc, -EEXIST);
	assert_non_null(strstr(vk_last_error(), "already exists; not replaced"));
	/* Ours, then replaced by another's file under the same name. */
	publish_new(u, at("replaced.img"), "ours");
	make_file(at("replaced.img"), "theirs now");
	vk_undo_rollback(u);
	assert_non_null(strstr(vk_last_error(), "already exists; not replaced"));	/* kept */
	assert_true(exists(at("taken.img")));
	assert_true(exists(at("replaced.img")));
	assert_false(exists(stage));
	free(stage);
	unlink(at("taken.img"));
	unlink(at("replaced.img"));
}

static void directories(void **state)
{
	struct vk_undo *u;

	assert_int_equal(mkdir(at("old.dir"), 0700), 0);
	make_file(at("old.dir/theirs"), "x");
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_mkdir(u, at("new.dir"), 0700), 1);
	assert_int_equal(mkdir(at("new.dir/sub"), 0700), 0);
	make_file(at("new.dir/sub/initrd"), "i");
	make_file(at("new.dir/.kernel.tmp"), "k");
	assert_int_equal(symlink(at("old.dir/theirs"), at("new.dir/link")), 0);
	assert_int_equal(vk_undo_mkdir(u, at("old.dir"), 0700), 0);
	make_file(at("file"), "x");
	assert_int_equal(vk_undo_mkdir(u, at("file"), 0700), -ENOTDIR);
	vk_undo_rollback(u);
	assert_false(exists(at("new.dir")));
	/* Not followed: the link's target is another's. */
	assert_true(exists(at("old.dir/theirs")));
	unlink(at("file"));
	rm_rf(at("old.dir"));
}

/* No fixed cap: vinstall's old list skipped its 41st path. */
static void no_cap(void **state)
{
	char name[32];
	struct vk_undo *u;
	int i;

	assert_int_equal(vk_undo_begin(&u), 0);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "many.%d", i);
		publish_new(u, at(name), "x");
	}
	vk_undo_rollback(u);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "many.%d", i);
		if (exists(at(name)))
			fail_msg("%s was left", name);
	}
}

static void definitions_only_ours(void **state)
{
	struct vk_vm *ours = new_vm("defd"), *planned = new_vm("defd2"), *theirs = new_vm("defd2"), *got = NULL;
	struct vk_undo *u;

	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_claim(u, "defd"), 0);
	assert_int_equal(vk_undo_definition(u, ours), 0);
	assert_int_equal(vk_vm_define(ours, false), 0);
	/* Recorded, then defined by another run with its own UUID. */
	assert_int_equal(vk_undo_definition(u, planned), 0);
	assert_int_equal(vk_vm_define(theirs, false), 0);
	vk_undo_rollback(u);
	assert_false(vk_vm_exists("defd"));
	assert_int_equal(vk_vm_lookup("defd2", &got), 0);
	assert_string_equal(got->uuid, theirs->uuid);
	assert_int_equal(vk_vm_undefine("defd2"), 0);
	vk_vm_free(got);
	vk_vm_free(ours);
	vk_vm_free(planned);
	vk_vm_free(theirs);
}

/* A child tries: its status is 0 or the errno its call returned; its
 * message goes to the file msg. */
static int in_child(int (*fn)(const char *), const char *name, const char *msg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		int rc = fn(name);

		make_file(msg, vk_last_error());
		_exit(rc < 0 ? -rc : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int claim_it(const char *name)
{
	int fd;

	return vk_vm_claim(name, &fd);
}

static int define_it(const char *name)
{
	struct vk_vm *vm = new_vm(name);
	int rc = vk_vm_define(vm, false);

	vk_vm_free(vm);
	return rc;
}

static void claims(void **state)
{
	struct vk_vm *vm = new_vm("web");
	char claim[PATH_MAX], want[128], *msg;
	char **names = NULL;
	struct vk_undo *u;
	size_t n;
	int fd;

	snprintf(claim, sizeof(claim), "%s/vms/web.claim", statedir);
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_claim(u, "web"), 0);
	assert_true(exists(claim));
	/* Another run: refused at once, naming us. */
	snprintf(want, sizeof(want), "domain 'web' is being created by pid %d", (int)getpid());
	assert_int_equal(in_child(claim_it, "web", at("msg")), EBUSY);
	msg = read_text(at("msg"));
	assert_non_null(strstr(msg, want));
	free(msg);
	assert_int_equal(in_child(define_it, "web", at("msg")), EBUSY);
	/* Readers never see a claim. */
	assert_int_equal(vk_vm_list(&names, &n), 0);
	assert_int_equal(n, 0);
	vk_strv_free(names);
	assert_false(vk_vm_exists("web"));
	/* Ours to define; committed, the definition holds the name. */
	assert_int_equal(vk_undo_definition(u, vm), 0);
	assert_int_equal(vk_vm_define(vm, false), 0);
	assert_int_equal(vk_undo_commit(u), 0);
	assert_false(exists(claim));
	assert_int_equal(in_child(claim_it, "web", at("msg")), EEXIST);
	msg = read_text(at("msg"));
	assert_non_null(strstr(msg, "domain 'web' already exists"));
	free(msg);
	assert_int_equal(vk_vm_undefine("web"), 0);
	/* A claim file nobody holds (its run was killed) is taken over. */
	make_file(claim, "999999\n");
	assert_int_equal(vk_vm_claim("web", &fd), 0);
	msg = read_text(claim);
	snprintf(want, sizeof(want), "%d\n", (int)getpid());
	assert_string_equal(msg, want);
	free(msg);
	assert_int_equal(vk_vm_claim_drop("web", fd), 0);
	close(fd);
	assert_false(exists(claim));
	/* Rolled back: the claim goes too. */
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_claim(u, "web"), 0);
	vk_undo_rollback(u);
	assert_false(exists(claim));
	assert_int_equal(in_child(claim_it, "web", at("msg")), 0);
	vk_vm_claim_drop_stale("web");
	assert_false(exists(claim));
	vk_vm_free(vm);
}

/* The loser of a race for a name records its claim, fails, and rolls
 * back: the winner's claim stays. */
static void losing_claim_removes_nothing(void **state)
{
	char claim[PATH_MAX];
	struct vk_undo *u;
	int fd, status;
	pid_t pid;

	snprintf(claim, sizeof(claim), "%s/vms/race.claim", statedir);
	assert_int_equal(vk_vm_claim("race", &fd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc;

		if (vk_undo_begin(&u) < 0)
			_exit(2);
		rc = vk_undo_claim(u, "race");
		vk_undo_rollback(u);
		_exit(rc == -EBUSY ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(exists(claim));
	assert_int_equal(vk_vm_claim_drop("race", fd), 0);
	close(fd);
}

/*
 * The run killed with SIGKILL: a child begins a journal, claims, creates
 * and defines, says it is ready and waits to be killed.  Its guardian
 * inherits the write end of done[], so its end (EOF) says the rollback
 * is over.
 */
static void killed_run_rolled_back(void **state)
{
	int ready[2], done[2], status;
	char c, claim[PATH_MAX];
	pid_t pid;

	snprintf(claim, sizeof(claim), "%s/vms/k9.claim", statedir);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(done), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vk_vm *vm = new_vm("k9");
		struct vk_undo *u;

		close(ready[0]);
		close(done[0]);
		if (vk_undo_begin(&u) < 0 || vk_undo_claim(u, "k9") < 0 || vk_undo_mkdir(u, at("k9.boot"), 0700) != 1)
			_exit(1);
		make_file(at("k9.boot/installer-kernel"), "k");
		publish_new(u, at("k9.img"), "disk");
		if (vk_undo_definition(u, vm) < 0 || vk_vm_define(vm, false) < 0)
			_exit(1);
		close(done[1]);	/* the guardian has its own copy */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(1);
	}
	close(ready[1]);
	close(done[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_true(exists(at("k9.img")));
	assert_true(vk_vm_exists("k9"));
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(read(done[0], &c, 1), 0);	/* the guardian ended */
	assert_false(exists(at("k9.img")));
	assert_false(exists(at("k9.boot")));
	assert_false(vk_vm_exists("k9"));
	assert_false(exists(claim));
	close(ready[0]);
	close(done[0]);
}

/* SIGTERM through vk_undo_die_of_signal: rolled back before the run
 * dies, even what it held locked itself (a .part). */
static void die_of_signal(void **state)
{
	int ready[2], status;
	char c, *msg;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct vk_undo *u;
		int part, err;

		close(ready[0]);
		err = open(at("die.err"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(err, STDERR_FILENO);
		if (vk_undo_begin(&u) < 0)
			_exit(1);
		publish_new(u, at("die.img"), "disk");
		if (vk_undo_shared_file(vk_undo_current(), at("die.part")) < 0)
			_exit(1);
		part = open(at("die.part"), O_WRONLY | O_CREAT, 0600);
		if (part < 0 || flock(part, LOCK_EX) < 0)
			_exit(1);
		signal(SIGTERM, vk_undo_die_of_signal);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(1);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(kill(pid, SIGTERM), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	/* Done before the run died: nothing to wait for. */
	assert_false(exists(at("die.img")));
	assert_false(exists(at("die.part")));
	msg = read_text(at("die.err"));
	assert_non_null(strstr(msg, ": interrupted by SIGTERM; removed what this run created"));
	free(msg);
	close(ready[0]);
	unlink(at("die.err"));
}

static void shared_file_kept_while_locked(void **state)
{
	struct vk_undo *u;
	int fd;

	make_file(at("busy.part"), "x");
	make_file(at("idle.part"), "x");
	fd = open(at("busy.part"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(vk_undo_shared_file(NULL, at("idle.part")), 0);	/* no journal: nothing */
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_shared_file(u, at("busy.part")), 0);
	assert_int_equal(vk_undo_shared_file(u, at("idle.part")), 0);
	vk_undo_rollback(u);
	assert_true(exists(at("busy.part")));
	assert_false(exists(at("idle.part")));
	close(fd);
	unlink(at("busy.part"));
}

static void process_stopped(void **state)
{
	struct vk_undo *u;
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_process(u, pid), 0);
	vk_undo_rollback(u);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	/* Gone already: a process of that pid now would be another's. */
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_true(vk_undo_process(u, pid) < 0);
	vk_undo_rollback(u);
}

/* The guardian killed on its own: the run undoes its own copy. */
static void guardian_gone(void **state)
{
	struct vk_undo *u;
	pid_t guardian;

	assert_int_equal(vk_undo_begin(&u), 0);
	publish_new(u, at("orphan.img"), "x");
	guardian = find_guardian();
	if (guardian <= 0) {
		vk_undo_rollback(u);
		skip();	/* no /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN) */
	}
	if (kill(guardian, SIGKILL) < 0 || waitpid(guardian, NULL, 0) != guardian) {
		vk_undo_rollback(u);
		fail_msg("cannot kill the guardian %d", (int)guardian);
	}
	if (vk_undo_prefix(u, at("more")) == 0) {
		vk_undo_rollback(u);
		fail_msg("a record was taken with the guardian gone");
	}
	assert_non_null(strstr(vk_last_error(), "is gone; stopping before creating"));
	vk_undo_rollback(u);
	assert_false(exists(at("orphan.img")));
}

/* A VM this run paused is resumed by the rollback: a fake vrun's control
 * socket notes the command it is sent. */
static void paused_vm_resumed(void **state)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[256], *got;
	struct vk_undo *u;
	int lsock, status;
	pid_t server;

	assert_int_equal(vk_state_dir(&(const char *){ NULL }), 0);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/run/pz.sock", statedir);
	lsock = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lsock >= 0);
	assert_int_equal(bind(lsock, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(lsock, 1), 0);
	server = fork();
	assert_true(server >= 0);
	if (server == 0) {
		int c = accept(lsock, NULL, NULL);
		ssize_t n = c < 0 ? -1 : read(c, line, sizeof(line) - 1);
		static const char ok[] = "{\"ok\": true, \"return\": {}}\n";

		if (n <= 0)
			_exit(1);
		line[n] = '\0';
		make_file(at("pz.request"), line);
		_exit(write(c, ok, sizeof(ok) - 1) == sizeof(ok) - 1 ? 0 : 1);
	}
	close(lsock);
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_paused(u, "pz"), 0);
	vk_undo_rollback(u);
	assert_int_equal(waitpid(server, &status, 0), server);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	got = read_text(at("pz.request"));
	assert_non_null(strstr(got, "\"resume\""));
	free(got);
	/* Resumed by the run itself: nothing to do at rollback. */
	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_paused(u, "pz"), 0);
	assert_int_equal(vk_undo_resumed(u, "pz"), 0);
	vk_undo_rollback(u);
	unlink(addr.sun_path);
}

static void one_journal_at_a_time(void **state)
{
	struct vk_undo *u, *v;

	assert_int_equal(vk_undo_begin(&u), 0);
	assert_int_equal(vk_undo_begin(&v), -EBUSY);
	assert_int_equal(vk_undo_commit(u), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rollback_removes_what_was_recorded),
		cmocka_unit_test(commit_keeps_everything),
		cmocka_unit_test(detached_journal_rolled_back),
		cmocka_unit_test(only_our_inode_is_removed),
		cmocka_unit_test(directories),
		cmocka_unit_test(no_cap),
		cmocka_unit_test(definitions_only_ours),
		cmocka_unit_test(claims),
		cmocka_unit_test(losing_claim_removes_nothing),
		cmocka_unit_test(killed_run_rolled_back),
		cmocka_unit_test(die_of_signal),
		cmocka_unit_test(shared_file_kept_while_locked),
		cmocka_unit_test(process_stopped),
		cmocka_unit_test(guardian_gone),
		cmocka_unit_test(paused_vm_resumed),
		cmocka_unit_test(one_journal_at_a_time),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
