/* test-ids.c - VM names, UUIDs and MAC addresses. */
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
#include "common/util/ids.h"

static void name_fails(const char *name, const char *msg)
{
	assert_int_equal(vk_name_check(name), -EINVAL);
	assert_non_null(strstr(vk_last_error(), msg));
}

static void names(void **state)
{
	char longest[VK_NAME_MAX + 2];

	assert_int_equal(vk_name_check("web01"), 0);
	assert_int_equal(vk_name_check("a.b_c+d-e"), 0);
	memset(longest, 'a', VK_NAME_MAX);
	longest[VK_NAME_MAX] = '\0';
	assert_int_equal(vk_name_check(longest), 0);
	longest[VK_NAME_MAX] = 'a';
	longest[VK_NAME_MAX + 1] = '\0';
	name_fails(longest, "longer than 64");
	name_fails("", "empty VM name");
	name_fails(NULL, "empty VM name");
	name_fails("../x", "must not start with '.'");
	name_fails(".hidden", "must not start with '.'");
	name_fails("-rf", "must not start with '-'");
	name_fails("a/b", "position 2");
	name_fails("a b", "position 2");
	name_fails("caf\xc3\xa9", "position 4");
}

static void uuids(void **state)
{
	char a[VK_UUID_LEN + 1], b[VK_UUID_LEN + 1];

	assert_int_equal(vk_uuid_generate(a), 0);
	assert_int_equal(vk_uuid_generate(b), 0);
	assert_true(vk_uuid_valid(a));
	assert_string_not_equal(a, b);
	assert_int_equal(a[14], '4');
	assert_non_null(strchr("89ab", a[19]));
	assert_true(vk_uuid_valid("6F9619FF-8B86-D011-B42D-00C04FC964FF"));
	assert_false(vk_uuid_valid(""));
	assert_false(vk_uuid_valid(NULL));
	assert_false(vk_uuid_valid("6f9619ff8b86d011b42d00c04fc964ff"));
	assert_false(vk_uuid_valid("6f9619ff-8b86-d011-b42d-00c04fc964fg"));
	assert_false(vk_uuid_valid("6f9619ff-8b86-d011-b42d-00c04fc964ff0"));
	assert_false(vk_uuid_valid("6f9619ff-8b86-d011-b42d_00c04fc964ff"));
}

static void mac_generate(void **state)
{
	char a[VK_MAC_LEN + 1], b[VK_MAC_LEN + 1], canon[VK_MAC_LEN + 1];

	assert_int_equal(vk_mac_generate(a), 0);
	assert_int_equal(vk_mac_generate(b), 0);
	assert_int_equal(strncmp(a, "52:54:00:", 9), 0);
	assert_int_equal(strlen(a), VK_MAC_LEN);
	assert_int_equal(vk_mac_parse(a, canon), 0);
	assert_string_equal(a, canon);
	/* 24 random bits: two equal draws would be a broken generator */
	assert_string_not_equal(a, b);
}

static void mac_parse(void **state)
{
	char out[VK_MAC_LEN + 1];

	assert_int_equal(vk_mac_parse("52:54:00:AB:cd:EF", out), 0);
	assert_string_equal(out, "52:54:00:ab:cd:ef");
	assert_int_equal(vk_mac_parse("52-54-00-12-34-56", out), 0);
	assert_string_equal(out, "52:54:00:12:34:56");
	assert_int_equal(vk_mac_parse("01:00:5e:00:00:01", out), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "multicast"));
	assert_int_equal(vk_mac_parse("ff:ff:ff:ff:ff:ff", out), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "multicast"));
	assert_int_equal(vk_mac_parse("00:00:00:00:00:00", out), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "all zeros"));
	assert_int_equal(vk_mac_parse("52:54:00:12:34", out), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "is not a MAC address"));
	assert_int_equal(vk_mac_parse("52:54:00-12:34:56", out), -EINVAL);
	assert_int_equal(vk_mac_parse("52:54:00:12:34:5g", out), -EINVAL);
	assert_int_equal(vk_mac_parse("525400123456xxxxx", out), -EINVAL);
	assert_int_equal(vk_mac_parse(NULL, out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(uuids),
		cmocka_unit_test(mac_generate),
		cmocka_unit_test(mac_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
