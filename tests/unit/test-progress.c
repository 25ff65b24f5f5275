/* test-progress.c - the progress bar's text, and silence off a terminal. */
#include "config.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/progress.h"
#include "common/util/size.h"

static void render_known_total(void **state)
{
	char line[256];

	vk_progress_render(line, sizeof(line), 80, "web01.qcow2", 512 * VK_MiB, VK_GiB, 2.0);
	assert_non_null(strstr(line, "web01.qcow2  50% ["));
	assert_non_null(strstr(line, "] 512 MiB/1 GiB 256 MiB/s ETA 0:00:02"));
	assert_true(strlen(line) <= 80);
	vk_progress_render(line, sizeof(line), 80, "x", VK_GiB, VK_GiB, 4.0);
	assert_non_null(strstr(line, "100%"));
	assert_null(strstr(line, "ETA"));
}

static void render_unknown_total(void **state)
{
	char line[256];

	vk_progress_render(line, sizeof(line), 80, "download", 3 * VK_MiB, 0, 3.0);
	assert_string_equal(line, "download 3 MiB 1 MiB/s");
}

static void render_small_buffer(void **state)
{
	char line[16];

	vk_progress_render(line, sizeof(line), 80, "label", 1, 2, 1.0);
	assert_int_equal(strlen(line), sizeof(line) - 1);
}

/* Off a terminal (stderr is a file here) nothing is printed at all. */
static void silent_off_tty(void **state)
{
	char path[] = "/tmp/vkit-progress.XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	struct vk_progress *p;
	off_t size;

	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, 2);
	p = vk_progress_new("copy", 100, false);
	assert_non_null(p);
	vk_progress_update(p, 50);
	assert_int_equal(vk_progress_callback(p, 80, 100), 0);
	vk_progress_finish(p, true);
	vk_progress_finish(NULL, false);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	size = lseek(fd, 0, SEEK_END);
	close(fd);
	unlink(path);
	assert_int_equal(size, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(render_known_total),
		cmocka_unit_test(render_unknown_total),
		cmocka_unit_test(render_small_buffer),
		cmocka_unit_test(silent_off_tty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
