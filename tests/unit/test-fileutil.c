/* test-fileutil.c - atomic writes, capped reads, locks, mkdir -p, and the private-file and input-file rules. */
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

#include "common/util/error.h"
#include "common/util/fileutil.h"

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

/* A FIFO named as a disk or a definition is refused at once: nothing may
 * wait for a writer that never comes. */
static void input_refuses_fifo_without_blocking(void **state)
{
	char fifo[128], file[128], *buf = NULL;
	int fd = -1;

	snprintf(fifo, sizeof(fifo), "%s/fifo", tmpdir);
	snprintf(file, sizeof(file), "%s/plain", tmpdir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	alarm(10);	/* a hang fails the test instead of the suite */
	assert_int_equal(vk_open_input(fifo, O_RDONLY, VK_INPUT_REGULAR | VK_INPUT_BLOCK, "disk", &fd), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "disk "));
	assert_non_null(strstr(vk_last_error(), "is a FIFO"));
	assert_int_equal(vk_open_input(fifo, O_RDWR, VK_INPUT_REGULAR, "disk", &fd), -EINVAL);
	assert_int_equal(vk_read_file(fifo, 100, &buf, NULL), -EINVAL);
	assert_int_equal(vk_check_input(fifo, VK_INPUT_REGULAR, "kernel"), -EINVAL);
	assert_int_equal(vk_open_input(tmpdir, O_RDONLY, VK_INPUT_REGULAR, NULL, &fd), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "is a directory"));
	alarm(0);
	assert_int_equal(vk_write_file_atomic(file, "x", 1, 0600), 0);
	assert_int_equal(vk_open_input(file, O_RDONLY, VK_INPUT_REGULAR, "disk", &fd), 0);
	/* Made blocking again for the reads that follow. */
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	assert_int_equal(vk_open_input("/dev/null", O_RDONLY, VK_INPUT_REGULAR | VK_INPUT_BLOCK, "disk", &fd),
			 -EINVAL);
	assert_non_null(strstr(vk_last_error(), "character device"));
}

/* New private files are 0600 whatever the umask, and never made through a
 * symlink or over an existing file. */
static void create_private_is_0600_and_exclusive(void **state)
{
	char path[128], link[128], target[128];
	struct stat st;
	mode_t old = umask(0);
	int fd = -1;

	snprintf(path, sizeof(path), "%s/new.img", tmpdir);
	snprintf(link, sizeof(link), "%s/planted", tmpdir);
	snprintf(target, sizeof(target), "%s/victim", tmpdir);
	assert_int_equal(vk_create_private(path, O_RDWR, &fd), 0);
	close(fd);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(vk_create_private(path, O_RDWR, &fd), -EEXIST);
	assert_non_null(strstr(vk_last_error(), "already exists"));
	assert_int_equal(symlink(target, link), 0);	/* dangling: O_CREAT alone would follow it */
	assert_int_equal(vk_create_private(link, O_RDWR, &fd), -EEXIST);
	assert_int_equal(access(target, F_OK), -1);
}

/* Where someone else may have been first: a symlink, a hard link or a
 * non-regular file is refused; our own file is narrowed to 0600 and
 * truncated only after the checks. */
static void open_private_refuses_planted_files(void **state)
{
	char path[128], target[128], hard[128];
	struct stat st;
	int fd = -1;

	snprintf(path, sizeof(path), "%s/console.log", tmpdir);
	snprintf(target, sizeof(target), "%s/precious", tmpdir);
	snprintf(hard, sizeof(hard), "%s/hard", tmpdir);
	assert_int_equal(vk_write_file_atomic(target, "keep", 4, 0644), 0);
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(vk_open_private(path, O_RDWR | O_TRUNC, &fd), -ELOOP);
	assert_non_null(strstr(vk_last_error(), "symbolic link"));
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(link(target, hard), 0);
	assert_int_equal(vk_open_private(hard, O_RDWR | O_TRUNC, &fd), -EMLINK);
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(unlink(hard), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(vk_open_private(path, O_RDWR, &fd), -EINVAL);
	assert_int_equal(unlink(path), 0);
	/* Ours, but readable by all: narrowed, then emptied. */
	assert_int_equal(vk_open_private(target, O_RDWR | O_TRUNC, &fd), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 0);
	close(fd);
}

/* Someone else's file under the name we want: refused, not written (root
 * only, since making a file of another owner needs chown). */
static void open_private_refuses_foreign_owner(void **state)
{
	char path[128];
	int fd = -1;

	snprintf(path, sizeof(path), "%s/theirs.log", tmpdir);
	assert_int_equal(vk_write_file_atomic(path, "theirs", 6, 0666), 0);
	assert_int_equal(chown(path, 65534, 65534), 0);
	assert_int_equal(vk_open_private(path, O_RDWR | O_TRUNC, &fd), -EPERM);
	assert_non_null(strstr(vk_last_error(), "belongs to uid 65534"));
}

/* A directory that others can write without the sticky bit lets them
 * rename a symlink over our file at any time; a sticky one (/tmp) does not. */
static void private_dir_rules(void **state)
{
	char dir[128], file[128];

	snprintf(dir, sizeof(dir), "%s/shared", tmpdir);
	snprintf(file, sizeof(file), "%s/x.log", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(vk_check_private_dir(dir), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(vk_check_parent_dir(file), -EPERM);
	assert_non_null(strstr(vk_last_error(), "other users can write in it"));
	assert_non_null(strstr(vk_last_error(), "chmod go-w"));
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(vk_check_parent_dir(file), 0);
	assert_int_equal(vk_check_private_dir(file), -ENOENT);
}

/* The same rules on descriptors already open (the download cache opens
 * its directory once and reaches its files with openat). */
static void private_fd_rules(void **state)
{
	char dir[128], file[128];
	struct stat st;
	int dfd, fd;

	snprintf(dir, sizeof(dir), "%s/fdrules", tmpdir);
	snprintf(file, sizeof(file), "%s/entry", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	assert_int_equal(vk_check_private_dirfd(dfd, dir), 0);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_int_equal(vk_check_private_dirfd(dfd, dir), -EPERM);
	assert_non_null(strstr(vk_last_error(), "other users can write in it (mode 0775)"));
	assert_int_equal(chmod(dir, 0700), 0);
	fd = openat(dfd, "entry", O_RDWR | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	assert_int_equal(vk_check_private_fd(fd, file), 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);	/* narrowed */
	assert_int_equal(linkat(dfd, "entry", dfd, "again", 0), 0);
	assert_int_equal(vk_check_private_fd(fd, file), -EMLINK);
	close(fd);
	close(dfd);
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
		cmocka_unit_test(input_refuses_fifo_without_blocking),
		cmocka_unit_test(create_private_is_0600_and_exclusive),
		cmocka_unit_test(open_private_refuses_planted_files),
		cmocka_unit_test(open_private_refuses_foreign_owner),
		cmocka_unit_test(private_dir_rules),
		cmocka_unit_test(private_fd_rules),
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
		cmocka_unit_test(input_refuses_fifo_without_blocking),
		cmocka_unit_test(create_private_is_0600_and_exclusive),
		cmocka_unit_test(open_private_refuses_planted_files),
		cmocka_unit_test(private_dir_rules),
		cmocka_unit_test(private_fd_rules),
	};

	if (geteuid() != 0)
		return cmocka_run_group_tests(user_tests, setup, teardown);
	return cmocka_run_group_tests(tests, setup, teardown);
}
