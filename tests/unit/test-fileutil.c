/* test-fileutil.c - atomic writes, capped reads, locks and mkdir -p. */
#include "config.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/error.h"
#include "common/fileutil.h"

static char tmpdir[64];

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/vkit-fileutil.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Files in tmpdir whose name holds ".tmp." (left-over temp files). */
static int count_temp_files(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

static void write_then_read(void **state)
{
	char path[128], *buf = NULL;
	struct stat st;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/a.json", tmpdir);
	assert_int_equal(vk_write_file_atomic(path, "hello", 5, 0640), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(vk_read_file(path, 100, &buf, &len), 0);
	assert_int_equal(len, 5);
	assert_string_equal(buf, "hello");
	free(buf);
	/* replacing keeps only the new content */
	assert_int_equal(vk_write_file_atomic(path, "hi", 2, 0644), 0);
	assert_int_equal(vk_read_file(path, 100, &buf, &len), 0);
	assert_string_equal(buf, "hi");
	free(buf);
	assert_int_equal(count_temp_files(tmpdir), 0);
}

static void directory_at_target_leaves_no_temp(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/isdir", tmpdir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(vk_write_file_atomic(path, "x", 1, 0644) < 0);
	assert_non_null(strstr(vk_last_error(), path));
	assert_int_equal(count_temp_files(tmpdir), 0);
}

static void missing_dir_fails(void **state)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/nodir/a.json", tmpdir);
	assert_int_equal(vk_write_file_atomic(path, "x", 1, 0644), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "temporary file"));
}

static void unwritable_dir_leaves_nothing(void **state)
{
	char dir[128], path[160];

	snprintf(dir, sizeof(dir), "%s/ro", tmpdir);
	snprintf(path, sizeof(path), "%s/a.json", dir);
	assert_int_equal(mkdir(dir, 0555), 0);
	assert_int_equal(vk_write_file_atomic(path, "x", 1, 0644), -EACCES);
	assert_int_equal(count_temp_files(dir), 0);
	assert_int_equal(access(path, F_OK), -1);
}

static void read_cap(void **state)
{
	char path[128], *buf = (char *)"untouched";

	snprintf(path, sizeof(path), "%s/big", tmpdir);
	assert_int_equal(vk_write_file_atomic(path, "0123456789", 10, 0644), 0);
	assert_int_equal(vk_read_file(path, 9, &buf, NULL), -EFBIG);
	assert_non_null(strstr(vk_last_error(), "larger than 9 bytes"));
	assert_string_equal(buf, "untouched");
	assert_int_equal(vk_read_file(path, 10, &buf, NULL), 0);
	assert_string_equal(buf, "0123456789");
	free(buf);
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	assert_int_equal(vk_read_file(path, 10, &buf, NULL), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "No such file"));
}

static void lock_is_exclusive(void **state)
{
	char path[128];
	int fd, other;

	snprintf(path, sizeof(path), "%s/.lock", tmpdir);
	assert_int_equal(vk_lock_path(path, &fd), 0);
	other = open(path, O_RDWR);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(fd);
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
}

static void mkdir_p(void **state)
{
	char path[160], file[160];
	struct stat st;

	snprintf(path, sizeof(path), "%s/a/b//c", tmpdir);
	assert_int_equal(vk_mkdir_p(path, 0755), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(vk_mkdir_p(path, 0755), 0);
	snprintf(file, sizeof(file), "%s/a/file", tmpdir);
	assert_int_equal(vk_write_file_atomic(file, "", 0, 0644), 0);
	snprintf(path, sizeof(path), "%s/a/file/d", tmpdir);
	assert_int_equal(vk_mkdir_p(path, 0755), -ENOTDIR);
	assert_non_null(strstr(vk_last_error(), "not a directory"));
	assert_int_equal(vk_mkdir_p("", 0755), -EINVAL);
	assert_int_equal(vk_fsync_parent(file), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_then_read),
		cmocka_unit_test(directory_at_target_leaves_no_temp),
		cmocka_unit_test(missing_dir_fails),
		cmocka_unit_test(read_cap),
		cmocka_unit_test(lock_is_exclusive),
		cmocka_unit_test(mkdir_p),
	};
	/* Root writes into any directory, so the permission case runs only for
	 * other users (cmocka's TAP output reports skips as failures). */
	const struct CMUnitTest user_tests[] = {
		cmocka_unit_test(write_then_read),
		cmocka_unit_test(directory_at_target_leaves_no_temp),
		cmocka_unit_test(missing_dir_fails),
		cmocka_unit_test(read_cap),
		cmocka_unit_test(lock_is_exclusive),
		cmocka_unit_test(mkdir_p),
		cmocka_unit_test(unwritable_dir_leaves_nothing),
	};

	if (geteuid() != 0)
		return cmocka_run_group_tests(user_tests, setup, teardown);
	return cmocka_run_group_tests(tests, setup, teardown);
}
