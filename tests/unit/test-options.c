/* test-options.c - the options every tool shares, and message printing. */
#include "config.h"
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/util/options.h"

static char *disk_arg;
static const struct poptOption table[] = {
	{ "disk", '\0', POPT_ARG_STRING, &disk_arg, 0, "a disk", "OPTS" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};

/* Run fn with fd (1 or 2) sent to a file; return what was written. */
static char *capture(int fd, int (*fn)(int, const char **), int argc, const char **argv, int *rc)
{
	char path[] = "/tmp/vkit-options.XXXXXX", *buf;
	int tmp = mkstemp(path), saved = dup(fd);
	off_t len;

	assert_true(tmp >= 0 && saved >= 0);
	fflush(fd == 1 ? stdout : stderr);
	dup2(tmp, fd);
	*rc = fn(argc, argv);
	fflush(fd == 1 ? stdout : stderr);
	dup2(saved, fd);
	close(saved);
	len = lseek(tmp, 0, SEEK_END);
	buf = calloc(1, (size_t)len + 1);
	assert_int_equal(pread(tmp, buf, (size_t)len, 0), len);
	close(tmp);
	unlink(path);
	return buf;
}

static int parse(int argc, const char **argv)
{
	poptContext ctx = NULL;
	int rc = vk_options_parse(argc, argv, table, "[OPTIONS] NAME", &ctx);

	if (rc == 0)
		assert_non_null(ctx);
	else
		assert_null(ctx);
	poptFreeContext(ctx);
	return rc;
}

static void version(void **state)
{
	const char *argv[] = { "vtest", "--version", NULL };
	char expect[64], *out;
	int rc;

	out = capture(1, parse, 2, argv, &rc);
	assert_int_equal(rc, 1);
	snprintf(expect, sizeof(expect), "%s (vkit) %s\n", program_invocation_short_name,
		 PACKAGE_VERSION);
	assert_string_equal(out, expect);
	free(out);
}

static void quiet_and_debug(void **state)
{
	const char *argv[] = { "vtest", "-q", "-v", "--debug", "--disk", "path=/x", NULL };
	int rc;

	vk_quiet = false;
	vk_debug_level = 0;
	rc = parse(6, argv);
	assert_int_equal(rc, 0);
	assert_true(vk_quiet);
	assert_int_equal(vk_debug_level, 2);
	assert_string_equal(disk_arg, "path=/x");
	vk_debug_level = 0;
}

static void bad_option(void **state)
{
	const char *argv[] = { "vtest", "--bogus", NULL };
	char *err;
	int rc;

	err = capture(2, parse, 2, argv, &rc);
	assert_int_equal(rc, -EINVAL);
	assert_non_null(strstr(err, ": --bogus: unknown option"));
	assert_non_null(strstr(err, "--help' for more information"));
	free(err);
}

static int report(int argc, const char **argv)
{
	vk_errorx(ENOENT, "domain 'x' not found");
	vk_report(NULL);
	vk_report_object("web01");
	vk_report("plain");
	return 0;
}

static void reports(void **state)
{
	char expect[256], *err;
	const char *p = program_invocation_short_name;
	int rc;

	err = capture(2, report, 0, NULL, &rc);
	snprintf(expect, sizeof(expect), "%s: domain 'x' not found\n%s: web01: domain 'x' not found\n"
		 "%s: plain\n", p, p, p);
	assert_string_equal(err, expect);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version),
		cmocka_unit_test(quiet_and_debug),
		cmocka_unit_test(bad_option),
		cmocka_unit_test(reports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
