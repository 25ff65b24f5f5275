/* test-console-log.c - the capped console log: PATH never exceeds the cap, PATH.1 holds what came before, the newest output is kept. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "vmm/console-log.h"

#define CAP 4096

struct fixture {
	char dir[64], path[96], old_path[100];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/vkit-console-log.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/guest.log", f->dir);
	snprintf(f->old_path, sizeof(f->old_path), "%s.1", f->path);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->path);
	unlink(f->old_path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static size_t slurp(const char *path, uint8_t *buf, size_t max)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, max);
	assert_true(n >= 0);
	close(fd);
	return (size_t)n;
}

/* Byte i of the guest's output stream. */
static uint8_t stream_byte(uint64_t i)
{
	return (uint8_t)(i * 7 + i / 251);
}

static void small_output_stays_in_path(void **state)
{
	struct fixture *f = *state;
	struct vk_console_log l;
	uint8_t buf[CAP];

	assert_int_equal(vk_console_log_open(&l, f->path, CAP), 0);
	assert_int_equal(vk_console_log_write(&l, "hello\n", 6), 0);
	assert_int_equal(vk_console_log_write(&l, "world\n", 6), 0);
	vk_console_log_close(&l);
	assert_int_equal(slurp(f->path, buf, sizeof(buf)), 12);
	assert_memory_equal(buf, "hello\nworld\n", 12);
	assert_int_equal(slurp(f->old_path, buf, sizeof(buf)), 0);
}

/* A flood in uneven pieces: PATH <= cap, PATH.1 is exactly one cap, and
 * PATH.1 then PATH are the newest bytes of the stream, in order. */
static void flood_is_capped_and_newest_kept(void **state)
{
	struct fixture *f = *state;
	static uint8_t chunk[3 * CAP], disk[2 * CAP + 1];
	struct vk_console_log l;
	uint64_t total = 0;
	size_t old_len, cur_len;
	unsigned seed = 1;

	assert_int_equal(vk_console_log_open(&l, f->path, CAP), 0);
	while (total < 100 * CAP) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(chunk)) + 1;	/* sometimes > cap */

		for (size_t i = 0; i < n; i++)
			chunk[i] = stream_byte(total + i);
		assert_int_equal(vk_console_log_write(&l, chunk, n), 0);
		total += n;
		assert_true(l.size <= CAP);
	}
	assert_true(l.rotations >= 99);
	vk_console_log_close(&l);
	old_len = slurp(f->old_path, disk, CAP + 1);
	cur_len = slurp(f->path, disk + old_len, CAP + 1);
	assert_int_equal(old_len, CAP);
	assert_true(cur_len <= CAP);
	for (size_t i = 0; i < old_len + cur_len; i++)
		if (disk[i] != stream_byte(total - (old_len + cur_len) + i))
			fail_msg("byte %zu of PATH.1+PATH is not stream byte %llu", i,
				 (unsigned long long)(total - (old_len + cur_len) + i));
}

static void exactly_full_rotates_on_next_byte(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[CAP];
	struct vk_console_log l;
	struct stat st;

	memset(buf, 'a', sizeof(buf));
	assert_int_equal(vk_console_log_open(&l, f->path, CAP), 0);
	assert_int_equal(vk_console_log_write(&l, buf, CAP), 0);
	assert_int_equal(l.rotations, 0);
	assert_int_equal(vk_console_log_write(&l, "b", 1), 0);
	assert_int_equal(l.rotations, 1);
	vk_console_log_close(&l);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 1);
	assert_int_equal(stat(f->old_path, &st), 0);
	assert_int_equal(st.st_size, CAP);
}

/* A new run starts both files empty: no stale PATH.1 from the last one. */
static void open_empties_both_files(void **state)
{
	struct fixture *f = *state;
	struct vk_console_log l;
	struct stat st;
	static uint8_t buf[2 * CAP];

	assert_int_equal(vk_console_log_open(&l, f->path, CAP), 0);
	assert_int_equal(vk_console_log_write(&l, buf, sizeof(buf)), 0);
	vk_console_log_close(&l);
	assert_int_equal(vk_console_log_open(&l, f->path, CAP), 0);
	vk_console_log_close(&l);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(stat(f->old_path, &st), 0);
	assert_int_equal(st.st_size, 0);
}

static void bad_cap_and_path_are_named(void **state)
{
	struct fixture *f = *state;
	struct vk_console_log l;
	char path[128];

	assert_int_equal(vk_console_log_open(&l, f->path, 100), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "max=100 is too small"));
	snprintf(path, sizeof(path), "%s/no/such/dir/log", f->dir);
	assert_int_equal(vk_console_log_open(&l, path, CAP), -ENOENT);
	assert_non_null(strstr(vk_last_error(), path));
	vk_console_log_close(&l);	/* harmless after a failed open */
}

/* Issue 12, item 4: vrun runs as root, so a symlink planted at PATH or
 * PATH.1 must not get its target emptied and overwritten; the log is 0600. */
static void planted_symlinks_are_refused(void **state)
{
	struct fixture *f = *state;
	struct vk_console_log l;
	char victim[128];
	struct stat st;
	int fd;

	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	fd = open(victim, O_WRONLY | O_CREAT | O_EXCL, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "precious", 8), 8);
	close(fd);
	assert_int_equal(symlink(victim, f->path), 0);
	assert_int_equal(vk_console_log_open(&l, f->path, CAP), -ELOOP);
	assert_non_null(strstr(vk_last_error(), "symbolic link"));
	assert_int_equal(unlink(f->path), 0);
	assert_int_equal(symlink(victim, f->old_path), 0);
	assert_int_equal(vk_console_log_open(&l, f->path, CAP), -ELOOP);
	assert_non_null(strstr(vk_last_error(), f->old_path));
	assert_int_equal(stat(victim, &st), 0);
	assert_int_equal(st.st_size, 8);
	assert_int_equal(unlink(f->old_path), 0);
	assert_int_equal(unlink(victim), 0);
	assert_int_equal(vk_console_log_open(&l, f->path, CAP), 0);
	vk_console_log_close(&l);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(stat(f->old_path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A directory every user can write (not sticky) is refused outright. */
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(vk_console_log_open(&l, f->path, CAP), -EPERM);
	assert_non_null(strstr(vk_last_error(), "other users can write"));
	assert_int_equal(chmod(f->dir, 0700), 0);
}

/* The thread path: bytes written to the pipe (as the UART does) are in the
 * file once the log is closed, rotation included. */
static void thread_drains_pipe_on_close(void **state)
{
	struct fixture *f = *state;
	static uint8_t out[3 * CAP], disk[2 * CAP];
	struct vk_console_log l;
	size_t old_len, cur_len;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = stream_byte(i);
	assert_int_equal(vk_console_log_open(&l, f->path, CAP), 0);
	assert_int_equal(vk_console_log_start(&l), 0);
	for (size_t i = 0; i < sizeof(out); i += 100) {
		size_t n = sizeof(out) - i < 100 ? sizeof(out) - i : 100;

		assert_int_equal(write(l.pipe_in, out + i, n), (ssize_t)n);
	}
	vk_console_log_close(&l);
	old_len = slurp(f->old_path, disk, CAP);
	cur_len = slurp(f->path, disk + old_len, CAP);
	assert_int_equal(old_len + cur_len, 2 * CAP);	/* 3 caps written: the newest 2 kept */
	assert_memory_equal(disk, out + CAP, 2 * CAP);
}

/* A full disk (here a file size limit): one error, then bytes are dropped
 * without further attempts. */
static void write_error_stops_logging(void **state)
{
	struct fixture *f = *state;
	pid_t pid = fork();
	int status = 0;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit lim = { 1000, 1000 };
		struct vk_console_log l;
		static uint8_t buf[2000];

		signal(SIGXFSZ, SIG_IGN);
		if (vk_console_log_open(&l, f->path, CAP) < 0 || setrlimit(RLIMIT_FSIZE, &lim) < 0)
			_exit(10);
		if (vk_console_log_write(&l, buf, sizeof(buf)) >= 0 || !l.failed)
			_exit(11);
		if (!strstr(vk_last_error(), f->path))
			_exit(12);
		if (vk_console_log_write(&l, "x", 1) != -EIO)
			_exit(13);
		vk_console_log_close(&l);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(small_output_stays_in_path, setup, teardown),
		cmocka_unit_test_setup_teardown(flood_is_capped_and_newest_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(exactly_full_rotates_on_next_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(open_empties_both_files, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_cap_and_path_are_named, setup, teardown),
		cmocka_unit_test_setup_teardown(planted_symlinks_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(thread_drains_pipe_on_close, setup, teardown),
		cmocka_unit_test_setup_teardown(write_error_stops_logging, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
