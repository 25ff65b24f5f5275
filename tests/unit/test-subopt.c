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
	fails("path='/x", NULL, "unterminated ' quote");
	fails("path=\"/x", NULL, "unterminated \" quote");
	fails("path=/x\\", NULL, "lone backslash");
	fails("=3", NULL, "empty name");
}

/* virt-install's shlex drops empty items: "a,,b", "a," and ",a" are a and b. */
static void empty_items(void **state)
{
	struct vk_subopts so;

	assert_int_equal(vk_subopts_parse(",path=/x,,size=3,", disk_keys, NULL, "--disk", &so), 0);
	assert_int_equal(so.n, 2);
	assert_string_equal(vk_subopts_get(&so, "path"), "/x");
	assert_string_equal(vk_subopts_get(&so, "size"), "3");
	vk_subopts_free(&so);
}

/* shlex's posix escapes: outside quotes a backslash takes the next
 * character; inside "..." only before " or \; inside '...' never. */
static void backslashes(void **state)
{
	struct vk_subopts so;

	assert_int_equal(vk_subopts_parse("path=/a\\,b,format=\"r\\\"a\\w\"", disk_keys, NULL, "--disk", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "path"), "/a,b");
	assert_string_equal(vk_subopts_get(&so, "format"), "r\"a\\w");
	vk_subopts_free(&so);
	assert_int_equal(vk_subopts_parse("path='a\\b'", disk_keys, NULL, "--disk", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "path"), "a\\b");
	vk_subopts_free(&so);
}

static const char *const boot_keys[] = { "kernel", "initrd", "kernel_args", "menu", NULL };
static const char *const boot_comma[] = { "kernel_args", NULL };
static const struct vk_subopt_grammar boot_grammar = { .keys = boot_keys, .comma_keys = boot_comma };

/* The serial console line as the shell hands it over, quotes gone:
 * the comma stays in kernel_args, up to the next known key. */
static void comma_values(void **state)
{
	struct vk_subopts so;

	assert_int_equal(vk_subopts_parse_grammar("kernel_args=console=ttyS0,115200n8 root=/dev/vda1,kernel=/k",
						  &boot_grammar, "--boot", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "kernel_args"), "console=ttyS0,115200n8 root=/dev/vda1");
	assert_string_equal(vk_subopts_get(&so, "kernel"), "/k");
	vk_subopts_free(&so);
	/* quoted, as virt-install's documentation writes it */
	assert_int_equal(vk_subopts_parse_grammar("kernel=/k,kernel_args=\"console=ttyS0,115200n8 quiet\"",
						  &boot_grammar, "--boot", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "kernel_args"), "console=ttyS0,115200n8 quiet");
	vk_subopts_free(&so);
	/* a bare word after it is part of the value; "x=" joins as "x" */
	assert_int_equal(vk_subopts_parse_grammar("kernel_args=a,b,c=,menu=on", &boot_grammar, "--boot", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "kernel_args"), "a,b,c");
	assert_string_equal(vk_subopts_get(&so, "menu"), "on");
	vk_subopts_free(&so);
	/* elsewhere an unknown item is still an error */
	assert_int_equal(vk_subopts_parse_grammar("menu=on,115200n8", &boot_grammar, "--boot", &so), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "unknown option '115200n8'"));
}

/* Several leading bare items take the leading names in order, and stop
 * at the first item with "=". */
static void leading_names(void **state)
{
	static const char *const lead[] = { "path", "size", NULL };
	const struct vk_subopt_grammar g = { .keys = disk_keys, .leading = lead };
	struct vk_subopts so;

	assert_int_equal(vk_subopts_parse_grammar("/x.img,3,format=raw,readonly", &g, "--disk", &so), 0);
	assert_string_equal(vk_subopts_get(&so, "path"), "/x.img");
	assert_string_equal(vk_subopts_get(&so, "size"), "3");
	assert_string_equal(vk_subopts_get(&so, "readonly"), "");
	vk_subopts_free(&so);
	assert_int_equal(vk_subopts_parse_grammar("format=raw,/x.img", &g, "--disk", &so), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "unknown option '/x.img'"));
}

static void help_lists_keys(void **state)
{
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	vk_subopts_print_keys(f, "--disk", disk_keys);
	fclose(f);
	assert_string_equal(buf, "--disk options:\n  format\n  path\n  readonly\n  size\n\n");
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
		cmocka_unit_test(empty_items),
		cmocka_unit_test(backslashes),
		cmocka_unit_test(comma_values),
		cmocka_unit_test(leading_names),
		cmocka_unit_test(help_lists_keys),
		cmocka_unit_test(empty_text),
		cmocka_unit_test(bools),
		cmocka_unit_test(uints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
