/* test-devices.c - the public device-set API (vmm/devices.h) as the machine core uses it. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices.h"

struct env {
	struct vk_guest_memory *mem;
	struct vk_bus pio, mmio;
	struct vk_devices *d;
	char disk[64];
};

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));
	int fd;

	fake_machine_reset();
	e->mem = fake_mem_new(1 << 20);
	strcpy(e->disk, "/tmp/vkit-devices-test.XXXXXX");
	fd = mkstemp(e->disk);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	assert_int_equal(vk_devices_init(FAKE_MACHINE, e->mem, &e->pio, &e->mmio, &e->d), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	vk_devices_free(e->d);
	vk_bus_free(&e->pio);
	vk_bus_free(&e->mmio);
	unlink(e->disk);
	fake_mem_free(e->mem);
	test_free(e);
	fake_machine_reset();
	return 0;
}

static uint32_t conf1_read(struct env *e, unsigned slot, unsigned reg)
{
	uint32_t addr = 0x80000000u | slot << 11 | reg, v = 0;

	vk_bus_dispatch(&e->pio, 0xcf8, (uint8_t *)&addr, 4, true);
	vk_bus_dispatch(&e->pio, 0xcfc, (uint8_t *)&v, 4, false);
	return v;
}

static void test_init_registers_ports_and_window(void **state)
{
	struct env *e = *state;
	uint8_t data[4];

	assert_int_equal(conf1_read(e, 0, 0), 0x00081b36);
	assert_true(vk_bus_dispatch(&e->mmio, VK_PCI_MMIO_BASE, data, 4, false));
	assert_true(vk_bus_dispatch(&e->mmio, VK_PCI_MMIO_BASE + VK_PCI_MMIO_SIZE - 4, data, 4, false));
	assert_false(vk_bus_dispatch(&e->mmio, VK_PCI_MMIO_BASE + VK_PCI_MMIO_SIZE, data, 4, false));
}

static void test_devices_take_slots_in_order(void **state)
{
	struct env *e = *state;
	struct vk_blk_config blk = { .path = e->disk, .format = VK_IMAGE_RAW };
	struct vk_pci_intx intx[4];

	assert_int_equal(vk_virtio_rng_add(e->d), 0);
	assert_int_equal(vk_virtio_blk_add(e->d, &blk), 0);
	assert_int_equal(conf1_read(e, 1, 0), 0x10441af4);	/* rng */
	assert_int_equal(conf1_read(e, 2, 0), 0x10421af4);	/* blk */
	assert_int_equal(conf1_read(e, 3, 0), 0xffffffff);
	assert_int_equal(vk_devices_intx(e->d, intx, 4), 2);
	assert_int_equal(intx[1].slot, 2);
	assert_int_equal(intx[1].pin, 1);
	assert_int_equal(intx[1].gsi, VK_PCI_INTX_GSI(2));
	assert_int_equal(vk_devices_intx(e->d, intx, 1), 1);
}

static void test_failed_add_leaves_no_slot(void **state)
{
	struct env *e = *state;
	struct vk_blk_config blk = { .path = "/nonexistent/vkit.img", .format = VK_IMAGE_RAW };

	assert_true(vk_virtio_blk_add(e->d, &blk) < 0);
	assert_non_null(strstr(vk_last_error(), "/nonexistent/vkit.img"));
	assert_int_equal(vk_virtio_rng_add(e->d), 0);
	assert_int_equal(conf1_read(e, 1, 0), 0x10441af4);
}

static void test_cdroms_share_one_ahci_controller(void **state)
{
	struct env *e = *state;
	struct vk_cdrom_config bad = { .path = "/nonexistent/vkit.iso", .format = VK_IMAGE_RAW };
	struct vk_cdrom_config cd = { .path = e->disk, .format = VK_IMAGE_RAW };
	struct vk_disk_stats stats[4];
	struct vk_pci_intx intx[4];

	assert_true(vk_cdrom_add(e->d, &bad) < 0);		/* no controller is left behind */
	assert_int_equal(conf1_read(e, 1, 0), 0xffffffff);
	assert_int_equal(vk_virtio_rng_add(e->d), 0);
	assert_int_equal(vk_cdrom_add(e->d, &cd), 0);
	assert_true(vk_cdrom_add(e->d, &bad) < 0);
	assert_int_equal(vk_cdrom_add(e->d, &cd), 0);
	assert_int_equal(conf1_read(e, 2, 0), 0x29228086);	/* ICH9 AHCI */
	assert_int_equal(conf1_read(e, 3, 0), 0xffffffff);	/* one controller for both */
	assert_int_equal(vk_devices_intx(e->d, intx, 4), 2);
	assert_int_equal(intx[1].slot, 2);
	assert_int_equal(intx[1].gsi, VK_PCI_INTX_GSI(2));
	assert_int_equal(vk_devices_disk_stats(e->d, stats, 4), 2);
	assert_string_equal(stats[0].name, "cd0");
	assert_string_equal(stats[1].name, "cd1");
	assert_int_equal(stats[1].read_reqs, 0);
	assert_int_equal(vk_devices_disk_stats(e->d, stats, 1), 2);
	assert_int_equal(vk_devices_start(e->d), 0);
	assert_int_equal(vk_cdrom_add(e->d, &cd), -EBUSY);
}

static void test_start_stop_and_no_add_after_start(void **state)
{
	struct env *e = *state;

	assert_int_equal(vk_virtio_rng_add(e->d), 0);
	assert_int_equal(vk_devices_start(e->d), 0);
	assert_int_equal(vk_virtio_rng_add(e->d), -EBUSY);
	vk_devices_stop(e->d);
	vk_devices_stop(e->d);	/* twice is fine */
}

static void test_second_device_set_conflicts(void **state)
{
	struct env *e = *state;
	struct vk_devices *other = NULL;

	assert_int_equal(vk_devices_init(FAKE_MACHINE, e->mem, &e->pio, &e->mmio, &other), -EBUSY);
	assert_null(other);
	vk_devices_free(NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_registers_ports_and_window),
		T(test_devices_take_slots_in_order),
		T(test_failed_add_leaves_no_slot),
		T(test_cdroms_share_one_ahci_controller),
		T(test_start_stop_and_no_add_after_start),
		T(test_second_device_set_conflicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
