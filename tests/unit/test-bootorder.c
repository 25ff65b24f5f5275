/* test-bootorder.c - virt-install's --boot device order: parsing, refusals, the spelling written back. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/vm/bootorder.h"
#include "common/util/error.h"

static void order_and_menu(void **state)
{
	struct vk_boot_order o;
	char text[64];

	assert_int_equal(vk_boot_order_parse("cdrom,hd,menu=on", "--boot", &o), 0);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.dev[0], VK_BOOTDEV_CDROM);
	assert_int_equal(o.dev[1], VK_BOOTDEV_HD);
	assert_true(o.menu);
	assert_int_equal(vk_boot_order_format(&o, text, sizeof(text)), 16);
	assert_string_equal(text, "cdrom,hd,menu=on");
	assert_int_equal(vk_boot_order_parse("network", "--boot", &o), 0);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.dev[0], VK_BOOTDEV_NETWORK);
	assert_false(o.menu);
	assert_int_equal(vk_boot_order_parse("menu=off,hd,cdrom,network", "--boot", &o), 0);
	assert_int_equal(o.n, 3);
	assert_int_equal(vk_boot_order_format(&o, text, sizeof(text)), 16);
	assert_string_equal(text, "hd,cdrom,network");
	/* menu= alone keeps the firmware's default order. */
	assert_int_equal(vk_boot_order_parse("menu=on", "--boot", &o), 0);
	assert_int_equal(o.n, 0);
	assert_int_equal(vk_boot_order_format(&o, text, sizeof(text)), 7);
	assert_string_equal(text, "menu=on");
	assert_int_equal(vk_boot_order_format(&o, text, 4), -ENOSPC);
	assert_string_equal(vk_bootdev_name(VK_BOOTDEV_NETWORK), "network");
}

static void refusals(void **state)
{
	struct vk_boot_order o;

	assert_int_equal(vk_boot_order_parse("fd,hd", "--boot", &o), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "unknown option 'fd'"));
	assert_int_equal(vk_boot_order_parse("hd,hd", "--boot", &o), -EINVAL);
	assert_int_equal(vk_boot_order_parse("hd=1", "--boot", &o), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "'hd' takes no value"));
	assert_int_equal(vk_boot_order_parse("hd,menu=maybe", "--boot", &o), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "is not a boolean"));
	assert_int_equal(vk_boot_order_parse("", "--boot", &o), -EINVAL);
	assert_int_equal(vk_boot_order_parse("kernel=/boot/vmlinuz", "--boot", &o), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(order_and_menu),
		cmocka_unit_test(refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
