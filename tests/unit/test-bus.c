/* test-bus.c - I/O range registration refuses overlaps and late changes; dispatch finds the right device. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "vmm/bus.h"

struct fake_dev {
	uint64_t last_offset;
	unsigned calls, last_len;
	bool last_write;
	uint8_t value;
};

static void fake_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct fake_dev *d = opaque;

	d->calls++;
	d->last_offset = offset;
	d->last_len = len;
	d->last_write = is_write;
	if (is_write)
		d->value = data[0];
	else
		memset(data, d->value, len);
}

static void overlap_refused(void **state)
{
	struct vk_bus bus = { 0 };
	struct fake_dev a = { 0 }, b = { 0 };

	assert_int_equal(vk_bus_register(&bus, 0x3f8, 8, fake_io, &a, "serial"), 0);
	assert_int_equal(vk_bus_register(&bus, 0x3f0, 9, fake_io, &b, "left"), -EBUSY);
	assert_non_null(strstr(vk_last_error(), "serial"));
	assert_int_equal(vk_bus_register(&bus, 0x3ff, 1, fake_io, &b, "right"), -EBUSY);
	assert_int_equal(vk_bus_register(&bus, 0x3f0, 0x20, fake_io, &b, "around"), -EBUSY);
	assert_int_equal(vk_bus_register(&bus, 0x3fa, 1, fake_io, &b, "inside"), -EBUSY);
	/* Touching ranges are fine on both sides. */
	assert_int_equal(vk_bus_register(&bus, 0x3f0, 8, fake_io, &b, "below"), 0);
	assert_int_equal(vk_bus_register(&bus, 0x400, 8, fake_io, &b, "above"), 0);
	assert_int_equal(bus.n, 3);
	vk_bus_free(&bus);
}

static void bad_ranges_refused(void **state)
{
	struct vk_bus bus = { 0 };
	struct fake_dev a = { 0 };

	assert_int_equal(vk_bus_register(&bus, 0x10, 0, fake_io, &a, "empty"), -EINVAL);
	assert_int_equal(vk_bus_register(&bus, UINT64_MAX - 1, 4, fake_io, &a, "wraps"), -EINVAL);
	assert_int_equal(vk_bus_register(&bus, UINT64_MAX, 1, fake_io, &a, "last byte"), 0);
	vk_bus_free(&bus);
}

static void sealed_refuses(void **state)
{
	struct vk_bus bus = { 0 };
	struct fake_dev a = { 0 };

	vk_bus_seal(&bus);
	assert_int_equal(vk_bus_register(&bus, 0x60, 1, fake_io, &a, "late"), -EPERM);
	vk_bus_free(&bus);
}

static void dispatch_finds_device(void **state)
{
	struct vk_bus bus = { 0 };
	struct fake_dev devs[40] = { 0 };
	uint8_t data[4] = { 0x5a };

	/* Registered out of order, more than the initial capacity. */
	for (unsigned i = 0; i < 40; i++) {
		unsigned slot = (i * 7) % 40;

		assert_int_equal(vk_bus_register(&bus, 0x1000 + slot * 0x10, 8, fake_io, &devs[slot], "dev"), 0);
	}
	vk_bus_seal(&bus);
	assert_true(vk_bus_dispatch(&bus, 0x1000 + 23 * 0x10 + 3, data, 1, true));
	assert_int_equal(devs[23].calls, 1);
	assert_int_equal(devs[23].last_offset, 3);
	assert_true(devs[23].last_write);
	assert_int_equal(devs[23].value, 0x5a);
	assert_true(vk_bus_dispatch(&bus, 0x1000 + 23 * 0x10 + 4, data, 4, false));
	assert_int_equal(devs[23].last_len, 4);
	assert_int_equal(data[3], 0x5a);
	for (unsigned i = 0; i < 40; i++)
		if (i != 23)
			assert_int_equal(devs[i].calls, 0);
	vk_bus_free(&bus);
}

static void unclaimed_reads_all_ones(void **state)
{
	struct vk_bus bus = { 0 };
	struct fake_dev a = { 0 };
	uint8_t data[4] = { 0 };

	assert_int_equal(vk_bus_register(&bus, 0x100, 8, fake_io, &a, "dev"), 0);
	assert_false(vk_bus_dispatch(&bus, 0x108, data, 4, false));
	assert_int_equal(data[0] & data[1] & data[2] & data[3], 0xff);
	/* Straddling the end of a range is not claimed either. */
	memset(data, 0, sizeof(data));
	assert_false(vk_bus_dispatch(&bus, 0x106, data, 4, false));
	assert_int_equal(data[0], 0xff);
	assert_false(vk_bus_dispatch(&bus, 0xff, data, 1, true));
	assert_int_equal(a.calls, 0);
	vk_bus_free(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(overlap_refused),
		cmocka_unit_test(bad_ranges_refused),
		cmocka_unit_test(sealed_refuses),
		cmocka_unit_test(dispatch_finds_device),
		cmocka_unit_test(unclaimed_reads_all_ones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
