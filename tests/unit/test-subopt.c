/* test-subopt.c - virt-install style sub-option lists. */
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
#include "common/util/subopt.h"

static const char *const disk_keys[] = { "path", "size", "format", "readonly", NULL };

static void fails(const char *text, const char *first_key, const char *msg)
{
	struct vk_subopts so = { NULL, 0 };

	assert_int_equal(vk_subopts_parse(text, disk_keys, first_key, "--disk", &so), -EINVAL);
	assert_non_null(strstr(vk_last_error(), msg));
	assert_non_null(strstr(vk_last_error(), "--disk"));
	assert_int_equal(so.n, 0);
}

static void key_values(void **state)
{
	struct vk_subopts so;

	assert_int_equal(vk_subopts_parse("path=/x.img,size=30,format=qcow2", disk_keys, NULL,
					  "--disk", &so), 0);
	assert_int_equal(so.n, 3);
	assert_string_equal(vk_subopts_get(&so, "path"), "/x.img");
	assert_string_equal(vk_subopts_get(&so, "size"), "30");
	assert_string_equal(vk_subopts_get(&so, "format"), "qcow2");
	assert_null(vk_subopts_get(&so, "readonly"));
	vk_subopts_free(&so);
}

static void first_bare_item(void **state)
{
	struct vk_subopts so;

	assert_int_equal(vk_subopts_parse("/x.img,size=3", disk_keys, "path", "--disk", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "path"), "/x.img");
	assert_string_equal(vk_subopts_get(&so, "size"), "3");
	vk_subopts_free(&so);
	/* later bare items are keys with an empty value */
	assert_int_equal(vk_subopts_parse("/x.img,readonly", disk_keys, "path", "--disk", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "readonly"), "");
	vk_subopts_free(&so);
}

static void quotes(void **state)
{
	struct vk_subopts so;

	assert_int_equal(vk_subopts_parse("path='/a,b.img',format=\"raw\"", disk_keys, NULL,
					  "--disk", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "path"), "/a,b.img");
	assert_string_equal(vk_subopts_get(&so, "format"), "raw");
	vk_subopts_free(&so);
	assert_int_equal(vk_subopts_parse("path=\"it's\"", disk_keys, NULL, "--disk", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "path"), "it's");
	vk_subopts_free(&so);
	assert_int_equal(vk_subopts_parse("path=", disk_keys, NULL, "--disk", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "path"), "");
	vk_subopts_free(&so);
}

static void unknown_key(void **state)
{
	fails("sise=3", NULL, "unknown option 'sise'; known options: path, size, format, readonly");
	/* a bare first item without first_key is a key too */
	fails("/x.img", NULL, "unknown option '/x.img'");
}

static void repeated_key(void **state)
{
	fails("size=3,size=4", NULL, "option 'size' given more than once");
	fails("/x,path=/y", "path", "option 'path' given more than once");
}

static void bad_lists(void **state)
{
	fails("path=/x,,size=3", NULL, "empty item");
	fails("path=/x,", NULL, "empty item");
	fails(",path=/x", NULL, "empty item");
	fails("path='/x", NULL, "unterminated ' quote");
	fails("path=\"/x", NULL, "unterminated \" quote");
	fails("=3", NULL, "empty name");
}

static void empty_text(void **state)
{
	struct vk_subopts so = { NULL, 7 };

	assert_int_equal(vk_subopts_parse("", disk_keys, NULL, "--disk", &so), 0);
	assert_int_equal(so.n, 0);
	vk_subopts_free(&so);
}

static void bools(void **state)
{
	static const char *const on[] = { "on", "yes", "true", "1", "ON", "" };
	static const char *const off[] = { "off", "no", "false", "0", "No" };
	struct vk_subopts so;
	char text[32];
	bool b;
	size_t i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		snprintf(text, sizeof(text), "readonly%s%s", on[i][0] ? "=" : "", on[i]);
		assert_int_equal(vk_subopts_parse(text, disk_keys, NULL, "--disk", &so), 0);
		b = false;
		assert_int_equal(vk_subopts_get_bool(&so, "readonly", "--disk", &b), 0);
		assert_true(b);
		vk_subopts_free(&so);
	}
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		snprintf(text, sizeof(text), "readonly=%s", off[i]);
		assert_int_equal(vk_subopts_parse(text, disk_keys, NULL, "--disk", &so), 0);
		b = true;
		assert_int_equal(vk_subopts_get_bool(&so, "readonly", "--disk", &b), 0);
		assert_false(b);
		vk_subopts_free(&so);
	}
	assert_int_equal(vk_subopts_parse("readonly=maybe", disk_keys, NULL, "--disk", &so), 0);
	assert_int_equal(vk_subopts_get_bool(&so, "readonly", "--disk", &b), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "--disk: readonly='maybe' is not a boolean"));
	/* absent keys leave the value alone */
	b = true;
	assert_int_equal(vk_subopts_get_bool(&so, "path", "--disk", &b), 0);
	assert_true(b);
	vk_subopts_free(&so);
}

static void uints(void **state)
{
	struct vk_subopts so;
	unsigned long v = 7;

	assert_int_equal(vk_subopts_parse("size=30", disk_keys, NULL, "--disk", &so), 0);
	assert_int_equal(vk_subopts_get_uint(&so, "size", "--disk", &v), 0);
	assert_int_equal(v, 30);
	v = 7;
	assert_int_equal(vk_subopts_get_uint(&so, "path", "--disk", &v), 0);
	assert_int_equal(v, 7);
	vk_subopts_free(&so);
	assert_int_equal(vk_subopts_parse("size=-1,path=3x,format=99999999999999999999999",
					  disk_keys, NULL, "--disk", &so), 0);
	assert_int_equal(vk_subopts_get_uint(&so, "size", "--disk", &v), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "size='-1' is not a non-negative whole number"));
	assert_int_equal(vk_subopts_get_uint(&so, "path", "--disk", &v), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "path='3x'"));
	assert_int_equal(vk_subopts_get_uint(&so, "format", "--disk", &v), -ERANGE);
	assert_non_null(strstr(vk_last_error(), "too large"));
	assert_int_equal(v, 7);
	vk_subopts_free(&so);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_values),
		cmocka_unit_test(first_bare_item),
		cmocka_unit_test(quotes),
		cmocka_unit_test(unknown_key),
		cmocka_unit_test(repeated_key),
		cmocka_unit_test(bad_lists),
		cmocka_unit_test(empty_text),
		cmocka_unit_test(bools),
		cmocka_unit_test(uints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
