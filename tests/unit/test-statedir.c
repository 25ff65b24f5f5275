/* test-statedir.c - state directory resolution, define/undefine/list, pid files. */
#include "config.h"
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/vm/statedir.h"

static char tmpdir[64], statedir[96];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vkit-statedir.XXXXXX");
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

static void resolution(void **state)
{
	char buf[PATH_MAX];

	assert_int_equal(vk_state_dir_resolve(1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, statedir);
	unsetenv("VKIT_DIR");
	assert_int_equal(vk_state_dir_resolve(0, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/var/lib/vkit");
	setenv("XDG_DATA_HOME", "/xdg/data", 1);
	assert_int_equal(vk_state_dir_resolve(1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/xdg/data/vkit");
	/* the XDG spec says relative values are ignored */
	setenv("XDG_DATA_HOME", "relative", 1);
	setenv("HOME", "/home/u", 1);
	assert_int_equal(vk_state_dir_resolve(1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.local/share/vkit");
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(vk_state_dir_resolve(1000, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/home/u/.local/share/vkit");
	setenv("VKIT_DIR", "rel/dir", 1);
	assert_int_equal(vk_state_dir_resolve(1000, buf, sizeof(buf)), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "VKIT_DIR 'rel/dir' must be an absolute path"));
	setenv("VKIT_DIR", statedir, 1);
}

static void layout_created(void **state)
{
	static const char *const subs[] = { "vms", "run", "log", "boot", "images", "cache" };
	char path[160];
	const char *dir;
	struct stat st;
	size_t i;

	assert_int_equal(vk_state_dir(&dir), 0);
	assert_string_equal(dir, statedir);
	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", statedir, subs[i]);
		assert_int_equal(stat(path, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
}

static void paths(void **state)
{
	char *p = NULL, expect[160];

	assert_int_equal(vk_state_path(&p, "boot/web01", "vmlinuz"), 0);
	snprintf(expect, sizeof(expect), "%s/boot/web01/vmlinuz", statedir);
	assert_string_equal(p, expect);
	free(p);
	assert_int_equal(vk_vm_def_path(&p, "web01"), 0);
	snprintf(expect, sizeof(expect), "%s/vms/web01.json", statedir);
	assert_string_equal(p, expect);
	free(p);
	assert_int_equal(vk_vm_def_path(&p, "../etc"), -EINVAL);
	assert_int_equal(vk_state_path(&p, "run", "../x"), -EINVAL);
	assert_int_equal(vk_state_path(&p, "run", ".."), -EINVAL);
}

static void define_list_undefine(void **state)
{
	struct vk_vm *a = vk_vm_new("web02"), *b = vk_vm_new("db01"), *got = NULL;
	char **names = NULL, junk[160];
	size_t n = 0;

	assert_int_equal(vk_vm_list(&names, &n), 0);
	assert_int_equal(n, 0);
	assert_null(names[0]);
	vk_strv_free(names);
	assert_false(vk_vm_exists("web02"));
	assert_int_equal(vk_vm_define(a, false), 0);
	assert_int_equal(vk_vm_define(b, false), 0);
	assert_true(vk_vm_exists("web02"));
	assert_int_equal(vk_vm_define(a, false), -EEXIST);
	assert_non_null(strstr(vk_last_error(), "domain 'web02' already exists"));
	a->vcpus = a->max_vcpus = 2;
	assert_int_equal(vk_vm_define(a, true), 0);
	assert_int_equal(vk_vm_lookup("web02", &got), 0);
	assert_int_equal(got->vcpus, 2);
	assert_string_equal(got->uuid, a->uuid);
	vk_vm_free(got);
	/* files that are not definitions are skipped */
	snprintf(junk, sizeof(junk), "%s/vms/notes.txt", statedir);
	assert_int_equal(vk_write_file_atomic(junk, "x", 1, 0644), 0);
	snprintf(junk, sizeof(junk), "%s/vms/.hidden.json", statedir);
	assert_int_equal(vk_write_file_atomic(junk, "x", 1, 0644), 0);
	assert_int_equal(vk_vm_list(&names, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(names[0], "db01");
	assert_string_equal(names[1], "web02");
	assert_null(names[2]);
	vk_strv_free(names);
	assert_int_equal(vk_vm_undefine("web02"), 0);
	assert_false(vk_vm_exists("web02"));
	assert_int_equal(vk_vm_undefine("web02"), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "domain 'web02' not found"));
	assert_int_equal(vk_vm_lookup("web02", &got), -ENOENT);
	assert_string_equal(vk_last_error(), "domain 'web02' not found");
	assert_int_equal(vk_vm_undefine("db01"), 0);
	vk_vm_free(a);
	vk_vm_free(b);
}

static void lookup_checks_name_in_file(void **state)
{
	struct vk_vm *a = vk_vm_new("one"), *got = NULL;
	char *path = NULL;

	assert_int_equal(vk_vm_def_path(&path, "two"), 0);
	assert_int_equal(vk_vm_save(a, path), 0);
	assert_int_equal(vk_vm_lookup("two", &got), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "holds VM 'one', not 'two'"));
	assert_int_equal(unlink(path), 0);
	free(path);
	vk_vm_free(a);
}

static int set_memory(struct vk_vm *vm, void *arg)
{
	vm->memory_mib = *(uint64_t *)arg;
	return 0;
}

static int refuse_edit(struct vk_vm *vm, void *arg)
{
	vm->memory_mib = 1;
	return vk_errorx(EPERM, "no");
}

static void edit_in_place(void **state)
{
	struct vk_vm *a = vk_vm_new("ed"), *got = NULL;
	uint64_t mib = 2048;

	a->max_memory_mib = 4096;
	assert_int_equal(vk_vm_define(a, false), 0);
	assert_int_equal(vk_vm_edit("ed", set_memory, &mib), 0);
	assert_int_equal(vk_vm_lookup("ed", &got), 0);
	assert_int_equal(got->memory_mib, 2048);
	vk_vm_free(got);
	/* a failed edit or an invalid result writes nothing */
	assert_int_equal(vk_vm_edit("ed", refuse_edit, NULL), -EPERM);
	mib = 8192;
	assert_int_equal(vk_vm_edit("ed", set_memory, &mib), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "more than max_memory"));
	assert_int_equal(vk_vm_lookup("ed", &got), 0);
	assert_int_equal(got->memory_mib, 2048);
	vk_vm_free(got);
	assert_int_equal(vk_vm_edit("nope", set_memory, &mib), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "domain 'nope' not found"));
	assert_int_equal(vk_vm_undefine("ed"), 0);
	vk_vm_free(a);
}

static void write_pid(const char *name, const char *text)
{
	char file[80], *path = NULL;

	snprintf(file, sizeof(file), "%s.pid", name);
	assert_int_equal(vk_state_path(&path, "run", file), 0);
	assert_int_equal(vk_write_file_atomic(path, text, strlen(text), 0644), 0);
	free(path);
}

static void running_pid(void **state)
{
	char text[32], vrun[160], cmd[256];
	pid_t child;
	int status;

	assert_int_equal(vk_vm_running_pid("web01"), 0);	/* no pid file */
	write_pid("web01", "garbage\n");
	assert_int_equal(vk_vm_running_pid("web01"), 0);
	write_pid("web01", "2147483647\n");			/* no such process */
	assert_int_equal(vk_vm_running_pid("web01"), 0);
	snprintf(text, sizeof(text), "%d\n", (int)getpid());	/* alive, but not vrun */
	write_pid("web01", text);
	assert_int_equal(vk_vm_running_pid("web01"), 0);

	/* a process whose comm is "vrun": a copy of sleep under that name */
	snprintf(vrun, sizeof(vrun), "%s/vrun", tmpdir);
	snprintf(cmd, sizeof(cmd), "cp \"$(command -v sleep)\" %s", vrun);
	assert_int_equal(system(cmd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		execl(vrun, "vrun", "30", (char *)NULL);
		_exit(127);
	}
	/* wait until the exec has happened (comm changes at exec) */
	for (int i = 0; i < 500; i++) {
		char comm[64], *c = NULL;

		snprintf(comm, sizeof(comm), "/proc/%d/comm", (int)child);
		if (vk_read_file(comm, 64, &c, NULL) == 0 && strncmp(c, "vrun", 4) == 0) {
			free(c);
			break;
		}
		free(c);
		usleep(10000);
	}
	snprintf(text, sizeof(text), "%d\n", (int)child);
	write_pid("web01", text);
	assert_int_equal(vk_vm_running_pid("web01"), (int)child);
	{
		struct vk_vm *vm = vk_vm_new("web01");

		assert_int_equal(vk_vm_define(vm, false), 0);
		assert_int_equal(vk_vm_undefine("web01"), -EBUSY);
		assert_non_null(strstr(vk_last_error(), "is running"));
		vk_vm_free(vm);
	}
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	assert_int_equal(vk_vm_running_pid("web01"), 0);	/* stale now */
	assert_int_equal(vk_vm_undefine("web01"), 0);
	assert_int_equal(vk_vm_running_pid("../x"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(resolution),
		cmocka_unit_test(layout_created),
		cmocka_unit_test(paths),
		cmocka_unit_test(define_list_undefine),
		cmocka_unit_test(lookup_checks_name_in_file),
		cmocka_unit_test(edit_in_place),
		cmocka_unit_test(running_pid),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
