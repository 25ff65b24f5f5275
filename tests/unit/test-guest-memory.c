/* test-guest-memory.c - the guest-physical translation refuses wrap-around, the PCI hole and edges. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vmm/guest-memory.h"
#include "vmm/machine.h"

#define LOW_SIZE	0x10000ull
#define HIGH_SIZE	0x8000ull

static uint8_t low[LOW_SIZE], high[HIGH_SIZE];

/* A machine with RAM below the hole and above 4 GiB, as vrun lays it out. */
static struct vk_guest_memory two_regions(void)
{
	struct vk_guest_memory m = { .n_regions = 2, .ram_size = LOW_SIZE + HIGH_SIZE };

	m.regions[0] = (struct vk_mem_region){ 0, LOW_SIZE, low };
	m.regions[1] = (struct vk_mem_region){ VK_4GIB, HIGH_SIZE, high };
	return m;
}

static void inside_regions_translate(void **state)
{
	struct vk_guest_memory m = two_regions();

	assert_ptr_equal(vk_gpa_to_host(&m, 0, 1), low);
	assert_ptr_equal(vk_gpa_to_host(&m, 0x1234, 16), low + 0x1234);
	assert_ptr_equal(vk_gpa_to_host(&m, VK_4GIB + 8, 8), high + 8);
}

static void edges(void **state)
{
	struct vk_guest_memory m = two_regions();

	assert_ptr_equal(vk_gpa_to_host(&m, LOW_SIZE - 4, 4), low + LOW_SIZE - 4);
	assert_null(vk_gpa_to_host(&m, LOW_SIZE - 4, 5));
	assert_null(vk_gpa_to_host(&m, LOW_SIZE, 1));
	assert_ptr_equal(vk_gpa_to_host(&m, 0, LOW_SIZE), low);
	assert_null(vk_gpa_to_host(&m, 0, LOW_SIZE + 1));
	assert_ptr_equal(vk_gpa_to_host(&m, VK_4GIB + HIGH_SIZE - 1, 1), high + HIGH_SIZE - 1);
	assert_null(vk_gpa_to_host(&m, VK_4GIB + HIGH_SIZE, 1));
	/* len 0 is a one-byte access, so it is still checked. */
	assert_null(vk_gpa_to_host(&m, VK_4GIB + HIGH_SIZE, 0));
}

static void hole_and_spanning(void **state)
{
	struct vk_guest_memory m = two_regions();

	assert_null(vk_gpa_to_host(&m, VK_PCI_HOLE_START, 4));
	assert_null(vk_gpa_to_host(&m, VK_4GIB - 1, 2));	/* across the hole into high RAM */
	assert_null(vk_gpa_to_host(&m, VK_4GIB - 4, 4));
}

static void wrap_around(void **state)
{
	struct vk_guest_memory m = two_regions();

	assert_null(vk_gpa_to_host(&m, UINT64_MAX, 2));
	assert_null(vk_gpa_to_host(&m, 0x100, UINT64_MAX));
	assert_null(vk_gpa_to_host(&m, VK_4GIB + 8, UINT64_MAX - 4));
	assert_null(vk_gpa_to_host(&m, UINT64_MAX - 1, UINT64_MAX));
}

static void copies(void **state)
{
	struct vk_guest_memory m = two_regions();
	uint32_t v = 0xabcdef01, back = 0;

	assert_int_equal(vk_gpa_write(&m, 0x40, &v, sizeof(v)), 0);
	assert_int_equal(vk_gpa_read(&m, 0x40, &back, sizeof(back)), 0);
	assert_int_equal(back, v);
	assert_int_equal(vk_gpa_write(&m, LOW_SIZE - 2, &v, sizeof(v)), -EFAULT);
	assert_int_equal(vk_gpa_read(&m, VK_PCI_HOLE_START, &back, sizeof(back)), -EFAULT);
}

static void empty_memory(void **state)
{
	struct vk_guest_memory m = { 0 };

	assert_null(vk_gpa_to_host(&m, 0, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inside_regions_translate),
		cmocka_unit_test(edges),
		cmocka_unit_test(hole_and_spanning),
		cmocka_unit_test(wrap_around),
		cmocka_unit_test(copies),
		cmocka_unit_test(empty_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
