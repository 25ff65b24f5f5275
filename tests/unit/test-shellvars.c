/* test-shellvars.c - vk_shellvars_edit: the ifcfg and sysconfig edits of vclone --reset-identity. */
#include "config.h"
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/guest/shellvars.h"

static const char *const ifcfg_drop[] = { "HWADDR", "UUID", "HOSTNAME", "DHCP_HOSTNAME", NULL };

/* Runs the edit and checks the result against WANT (and whether it changed). */
static void expect_edit(const char *text, const char *const *drop, const char *key, const char *value,
			const char *want, bool want_changed)
{
	char *out = NULL;
	size_t n = 0;
	bool changed = !want_changed;

	assert_int_equal(vk_shellvars_edit(text, strlen(text), drop, key, value, &out, &n, &changed), 0);
	assert_int_equal(n, strlen(want));
	assert_memory_equal(out, want, n);
	assert_true(changed == want_changed);
	free(out);
}

static void ifcfg_identity_lines_go(void **state)
{
	(void)state;
	expect_edit("DEVICE=eth0\nHWADDR=52:54:00:12:34:56\nBOOTPROTO=dhcp\n  UUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\n"
		    "ONBOOT=yes\n\tDHCP_HOSTNAME=web01\n",
		    ifcfg_drop, NULL, NULL, "DEVICE=eth0\nBOOTPROTO=dhcp\nONBOOT=yes\n", true);
}

static void similar_keys_stay(void **state)
{
	(void)state;
	/* HWADDR_OLD, #HWADDR=, "UUID =", NM_UUID are not assignments of the keys. */
	expect_edit("HWADDR_OLD=x\n#HWADDR=52:54:00:00:00:01\nUUID =x\nNM_UUID=y\nHWADDR\n", ifcfg_drop, NULL,
		    NULL, "HWADDR_OLD=x\n#HWADDR=52:54:00:00:00:01\nUUID =x\nNM_UUID=y\nHWADDR\n", false);
}

static void hostname_is_replaced_once(void **state)
{
	(void)state;
	expect_edit("NETWORKING=yes\nHOSTNAME=web01.example.com\nGATEWAY=10.0.0.1\nHOSTNAME=other\n", NULL,
		    "HOSTNAME", "a-much-longer-clone-hostname", "NETWORKING=yes\nHOSTNAME=a-much-longer-clone-hostname\n"
		    "GATEWAY=10.0.0.1\n", true);
}

static void hostname_is_appended(void **state)
{
	(void)state;
	expect_edit("NETWORKING=yes", NULL, "HOSTNAME", "web02", "NETWORKING=yes\nHOSTNAME=web02\n", true);
	expect_edit("", NULL, "HOSTNAME", "web02", "HOSTNAME=web02\n", true);
}

static void last_line_without_newline(void **state)
{
	(void)state;
	expect_edit("ONBOOT=yes\nHWADDR=52:54:00:12:34:56", ifcfg_drop, NULL, NULL, "ONBOOT=yes\n", true);
	expect_edit("ONBOOT=yes", ifcfg_drop, NULL, NULL, "ONBOOT=yes", false);
}

/* Guest data: NUL bytes and no newline at all are kept as they are. */
static void binary_text_is_kept(void **state)
{
	static const char text[] = { 'A', '=', 0, 'b', '\n', 'H', 'W', 'A', 'D', 'D', 'R', '=', 0, '\n', 'Z' };
	static const char want[] = { 'A', '=', 0, 'b', '\n', 'Z' };
	char *out = NULL;
	size_t n = 0;
	bool changed = false;

	(void)state;
	assert_int_equal(vk_shellvars_edit(text, sizeof(text), ifcfg_drop, NULL, NULL, &out, &n, &changed), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, n);
	assert_true(changed);
	free(out);
}

static void bad_value_refused(void **state)
{
	char *out = (char *)"x";
	size_t n = 1;
	bool changed = true;

	(void)state;
	assert_int_equal(vk_shellvars_edit("A=1\n", 4, NULL, "HOSTNAME", "two\nlines", &out, &n, &changed), -EINVAL);
	assert_null(out);
	assert_int_equal(vk_shellvars_edit("A=1\n", 4, NULL, "", "v", &out, &n, &changed), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ifcfg_identity_lines_go),
		cmocka_unit_test(similar_keys_stay),
		cmocka_unit_test(hostname_is_replaced_once),
		cmocka_unit_test(hostname_is_appended),
		cmocka_unit_test(last_line_without_newline),
		cmocka_unit_test(binary_text_is_kept),
		cmocka_unit_test(bad_value_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
