/* test-size.c - size parsing and printing. */
#include "config.h"
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/util/size.h"

static uint64_t parse_ok(const char *text, uint64_t unit)
{
	uint64_t v = 0;

	assert_int_equal(vk_size_parse(text, unit, "--memory", &v), 0);
	return v;
}

static void parse_fails(const char *text, int rc, const char *msg)
{
	uint64_t v = 42;

	assert_int_equal(vk_size_parse(text, VK_MiB, "--memory", &v), rc);
	assert_non_null(strstr(vk_last_error(), msg));
	assert_non_null(strstr(vk_last_error(), "--memory"));
	assert_int_equal(v, 42);
}

static void bare_number_uses_default_unit(void **state)
{
	assert_int_equal(parse_ok("2048", VK_MiB), 2048 * VK_MiB);
	assert_int_equal(parse_ok("30", VK_GiB), 30 * VK_GiB);
	assert_int_equal(parse_ok("0", VK_GiB), 0);
}

static void units(void **state)
{
	assert_int_equal(parse_ok("512M", VK_GiB), 512 * VK_MiB);
	assert_int_equal(parse_ok("2G", VK_MiB), 2 * VK_GiB);
	assert_int_equal(parse_ok("10GiB", VK_MiB), 10 * VK_GiB);
	assert_int_equal(parse_ok("4096K", VK_MiB), 4096 * VK_KiB);
	assert_int_equal(parse_ok("4096k", VK_MiB), 4096 * VK_KiB);
	assert_int_equal(parse_ok("123B", VK_MiB), 123);
	assert_int_equal(parse_ok("1T", VK_MiB), VK_TiB);
	assert_int_equal(parse_ok("1MB", VK_GiB), VK_MiB);
	assert_int_equal(parse_ok("1P", VK_GiB), VK_TiB * 1024);
}

static void fractions(void **state)
{
	assert_int_equal(parse_ok("1.5G", VK_MiB), VK_GiB + VK_GiB / 2);
	assert_int_equal(parse_ok("0.5", VK_GiB), VK_GiB / 2);
	assert_int_equal(parse_ok(".25M", VK_GiB), VK_MiB / 4);
	/* rounded down to whole bytes */
	assert_int_equal(parse_ok("1.5B", VK_MiB), 1);
	assert_int_equal(parse_ok("0.1K", VK_MiB), 102);
}

static void overflow(void **state)
{
	parse_fails("16E", -ERANGE, "too large");
	parse_fails("18446744073709551616", -ERANGE, "too large");
	parse_fails("99999999999999999999999", -ERANGE, "too large");
	parse_fails("17179869184G", -ERANGE, "too large");
	assert_int_equal(parse_ok("18446744073709551615B", VK_MiB), UINT64_MAX);
}

static void garbage(void **state)
{
	parse_fails("", -EINVAL, "empty");
	parse_fails("abc", -EINVAL, "not a size");
	parse_fails("-5G", -EINVAL, "not a size");
	parse_fails("5X", -EINVAL, "unknown unit 'X'");
	parse_fails("5GG", -EINVAL, "unknown unit");
	parse_fails("5 G", -EINVAL, "unknown unit");
	parse_fails(" 5", -EINVAL, "not a size");
	parse_fails("1.2.3", -EINVAL, "unknown unit");
	parse_fails(".", -EINVAL, "not a size");
}

static void format(void **state)
{
	char buf[32];

	assert_string_equal(vk_size_format(0, buf, sizeof(buf)), "0 B");
	assert_string_equal(vk_size_format(1023, buf, sizeof(buf)), "1023 B");
	assert_string_equal(vk_size_format(VK_KiB, buf, sizeof(buf)), "1 KiB");
	assert_string_equal(vk_size_format(VK_GiB + VK_GiB / 2, buf, sizeof(buf)), "1.5 GiB");
	assert_string_equal(vk_size_format(2 * VK_GiB - 1, buf, sizeof(buf)), "1.9 GiB");
	assert_string_equal(vk_size_format(30 * VK_GiB, buf, sizeof(buf)), "30 GiB");
	assert_string_equal(vk_size_format(UINT64_MAX, buf, sizeof(buf)), "15.9 EiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bare_number_uses_default_unit),
		cmocka_unit_test(units),
		cmocka_unit_test(fractions),
		cmocka_unit_test(overflow),
		cmocka_unit_test(garbage),
		cmocka_unit_test(format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
