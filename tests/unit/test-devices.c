/* test-devices.c - the public device-set API (vmm/devices.h) as the machine core uses it, the PC chipset included. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio.h"

#define AHCI_PORT_BASE_TEST	0x100	/* port 0's registers in the ABAR */

struct env {
	unsigned resets;		/* port 0xCF9 resets seen */
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

/* The PC chipset PC firmware looks for, boot device paths, a NIC's option ROM. */
static void on_reset(void *opaque)
{
	struct env *e = opaque;

	e->resets++;
}

static uint32_t conf1_read_n(struct env *e, unsigned slot, unsigned reg, unsigned len)
{
	return fake_conf1_read(&e->pio, slot, reg, len);
}

static void conf1_write(struct env *e, unsigned slot, unsigned reg, uint32_t v, unsigned len)
{
	fake_conf1_write(&e->pio, slot, reg, v, len);
}

static int add_disk(struct env *e)
{
	struct vk_blk_config blk = { .path = e->disk, .format = VK_IMAGE_RAW };

	return vk_virtio_blk_add(e->d, &blk);
}

static int add_nic(struct env *e, const uint8_t *rom, size_t rom_len)
{
	struct vk_net_config net = { .backend = VK_NET_FD, .rom = rom, .rom_len = rom_len };
	int sock[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sock), 0);
	close(sock[1]);
	net.fd = sock[0];
	return vk_virtio_net_add(e->d, &net);
}

/* SeaBIOS's qemu_detect(): 00:00.0 with QEMU's subsystem IDs, device 1237. */
static void test_host_bridge_is_i440fx(void **state)
{
	struct env *e = *state;

	assert_int_equal(vk_devices_add_pc_chipset(e->d, on_reset, e), 0);
	assert_int_equal(conf1_read_n(e, 0, PCI_VENDOR_ID, 4), 0x12378086);
	assert_int_equal(conf1_read_n(e, 0, PCI_SUBSYSTEM_VENDOR_ID, 4), 0x11001af4);
	/* PAM registers keep what firmware writes (0x59..0x5f). */
	conf1_write(e, 0, 0x59, 0x30, 1);
	conf1_write(e, 0, 0x5c, 0x33333333, 4);
	assert_int_equal(conf1_read_n(e, 0, 0x59, 1), 0x30);
	assert_int_equal(conf1_read_n(e, 0, 0x5c, 4), 0x33333333);
	/* The vendor ID is not writable. */
	conf1_write(e, 0, PCI_VENDOR_ID, 0, 2);
	assert_int_equal(conf1_read_n(e, 0, PCI_VENDOR_ID, 2), 0x8086);
}

static void test_isa_bridge_in_slot_1(void **state)
{
	struct env *e = *state;
	struct vk_pci_intx intx[4];

	assert_int_equal(vk_devices_add_pc_chipset(e->d, on_reset, e), 0);
	assert_int_equal(conf1_read_n(e, 1, PCI_VENDOR_ID, 4), 0x70008086);
	assert_int_equal(conf1_read_n(e, 1, PCI_REVISION_ID, 4) >> 8, 0x060100);
	assert_int_equal(conf1_read_n(e, 1, PCI_INTERRUPT_PIN, 1), 0);
	/* PIRQ routing: disabled at reset, takes what SeaBIOS writes. */
	assert_int_equal(conf1_read_n(e, 1, 0x60, 4), 0x80808080);
	conf1_write(e, 1, 0x60, 0x0b0b0a0a, 4);
	assert_int_equal(conf1_read_n(e, 1, 0x60, 4), 0x0b0b0a0a);
	/* Devices come after it; the bridge has no INTx line of its own. */
	assert_int_equal(add_disk(e), 0);
	assert_int_equal(conf1_read_n(e, 2, PCI_DEVICE_ID, 2), 0x1042);
	assert_int_equal(vk_devices_intx(e->d, intx, 4), 1);
	assert_int_equal(intx[0].slot, 2);
}

/* Port 0xCF9: SeaBIOS's "outb(2); outb(6)" resets once, at the second. */
static void test_reset_control_register(void **state)
{
	struct env *e = *state;
	uint8_t v = 0x02;

	assert_int_equal(vk_devices_add_pc_chipset(e->d, on_reset, e), 0);
	assert_true(vk_bus_dispatch(&e->pio, 0xcf9, &v, 1, true));
	assert_int_equal(e->resets, 0);
	v = 0;
	assert_true(vk_bus_dispatch(&e->pio, 0xcf9, &v, 1, false));
	assert_int_equal(v, 0x02);
	v = 0x06;
	assert_true(vk_bus_dispatch(&e->pio, 0xcf9, &v, 1, true));
	assert_int_equal(e->resets, 1);
	/* The config address register at 0xCF8 still takes dwords. */
	assert_int_equal(conf1_read_n(e, 0, PCI_VENDOR_ID, 2), 0x8086);
}

static void test_chipset_only_on_an_empty_bus(void **state)
{
	struct env *e = *state;

	assert_int_equal(add_disk(e), 0);
	assert_int_equal(vk_devices_add_pc_chipset(e->d, on_reset, e), -EBUSY);
	assert_int_equal(conf1_read_n(e, 0, PCI_VENDOR_ID, 2), VK_PCI_VENDOR_REDHAT);
}

static void test_bootdev_paths(void **state)
{
	struct env *e = *state;
	struct vk_bootdev_path b[4];
	char ata[VK_BOOTDEV_PATH_MAX];

	assert_int_equal(vk_devices_add_pc_chipset(e->d, on_reset, e), 0);
	assert_int_equal(add_disk(e), 0);
	assert_int_equal(add_nic(e, NULL, 0), 0);
	assert_int_equal(vk_virtio_rng_add(e->d), 0);
	assert_int_equal(vk_devices_bootdevs(e->d, b, 4), 2);
	assert_int_equal(b[0].kind, VK_BOOTDEV_HD);
	assert_string_equal(b[0].path, "/pci@i0cf8/scsi@2/disk@0,0");
	assert_int_equal(b[1].kind, VK_BOOTDEV_NETWORK);
	assert_string_equal(b[1].path, "/pci@i0cf8/ethernet@3/ethernet-phy@0");
	assert_int_equal(vk_devices_bootdevs(e->d, b, 1), 1);
	vk_bootdev_ata_path(ata, sizeof(ata), 0x1f, 2);
	assert_string_equal(ata, "/pci@i0cf8/sata@1f/drive@2/disk@0");
}

/* The ROM is behind the NIC's expansion ROM BAR once firmware maps it. */
static void test_nic_option_rom(void **state)
{
	struct env *e = *state;
	uint8_t rom[3000] = { 0x55, 0xaa, 6 };
	uint8_t got[4] = { 0 };

	rom[2999] = 0x77;
	assert_int_equal(vk_devices_add_pc_chipset(e->d, on_reset, e), 0);
	assert_int_equal(add_nic(e, rom, sizeof(rom)), 0);
	conf1_write(e, 2, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK, 4);
	assert_int_equal(conf1_read_n(e, 2, PCI_ROM_ADDRESS, 4), 0xfffff000u);	/* 4 KiB */
	conf1_write(e, 2, PCI_ROM_ADDRESS, 0xfe800000u | PCI_ROM_ADDRESS_ENABLE, 4);
	assert_true(vk_bus_dispatch(&e->mmio, 0xfe800000u, got, 4, false));
	assert_memory_equal(got, "\x55\xaa\x06\x00", 4);
	assert_true(vk_bus_dispatch(&e->mmio, 0xfe800000u + 2999, got, 1, false));
	assert_int_equal(got[0], 0x77);
	/* A NIC without a ROM has no ROM BAR. */
	assert_int_equal(add_nic(e, NULL, 0), 0);
	conf1_write(e, 3, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK, 4);
	assert_int_equal(conf1_read_n(e, 3, PCI_ROM_ADDRESS, 4), 0);
}

static uint32_t mmio_in(struct env *e, uint64_t addr, unsigned len)
{
	uint8_t d[4] = { 0 };

	vk_bus_dispatch(&e->mmio, addr, d, len, false);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static void mmio_out(struct env *e, uint64_t addr, uint32_t v, unsigned len)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	vk_bus_dispatch(&e->mmio, addr, d, len, true);
}

/* A machine reset with the I/O threads running: the chipset's registers,
 * a virtio disk the guest had started, an AHCI controller it had pointed
 * at memory and a NIC's enabled ROM all come back as vk_devices_start()
 * found them. */
static void test_machine_reset(void **state)
{
	struct env *e = *state;
	struct vk_cdrom_config cd = { .path = e->disk, .format = VK_IMAGE_RAW };
	uint8_t rom[2048] = { 0x55, 0xaa, 4 }, v = 0x02;
	uint64_t blk, abar;

	assert_int_equal(vk_devices_add_pc_chipset(e->d, on_reset, e), 0);
	assert_int_equal(add_disk(e), 0);
	assert_int_equal(vk_cdrom_add(e->d, &cd), 0);
	assert_int_equal(add_nic(e, rom, sizeof(rom)), 0);
	assert_int_equal(vk_devices_start(e->d), 0);
	blk = conf1_read_n(e, 2, PCI_BASE_ADDRESS_0, 4) & ~0xfu;
	abar = conf1_read_n(e, 3, PCI_BASE_ADDRESS_5, 4) & ~0xfu;

	conf1_write(e, 0, 0x59, 0x30, 1);			/* PAM0 */
	conf1_write(e, 1, 0x60, 0x0b0b0a0a, 4);			/* PIRQ routing */
	assert_true(vk_bus_dispatch(&e->pio, 0xcf9, &v, 1, true));
	mmio_out(e, blk + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER, 1);
	assert_int_equal(mmio_in(e, blk + VIRTIO_PCI_COMMON_STATUS, 1), 3);
	mmio_out(e, abar + AHCI_PORT_BASE_TEST + 0x00, 0x40000, 4);	/* PxCLB */
	mmio_out(e, abar + 0x04, 1u << 1 | 1u << 31, 4);		/* GHC.IE */
	assert_int_equal(mmio_in(e, abar + AHCI_PORT_BASE_TEST, 4), 0x40000);
	conf1_write(e, 4, PCI_ROM_ADDRESS, 0xfe800000u | PCI_ROM_ADDRESS_ENABLE, 4);
	assert_int_equal(mmio_in(e, 0xfe800000u, 4) & 0xffff, 0xaa55);
	conf1_write(e, 2, PCI_BASE_ADDRESS_0, 0xd0000000u, 4);		/* the disk's BAR moves */

	vk_devices_reset(e->d);
	assert_int_equal(conf1_read_n(e, 0, 0x59, 1), 0);
	assert_int_equal(conf1_read_n(e, 1, 0x60, 4), 0x80808080);
	v = 0xff;
	assert_true(vk_bus_dispatch(&e->pio, 0xcf9, &v, 1, false));
	assert_int_equal(v, 0);
	assert_int_equal(conf1_read_n(e, 2, PCI_BASE_ADDRESS_0, 4) & ~0xfu, blk);
	assert_int_equal(mmio_in(e, blk + VIRTIO_PCI_COMMON_STATUS, 1), 0);
	assert_int_equal(mmio_in(e, abar + AHCI_PORT_BASE_TEST, 4), 0);
	assert_int_equal(mmio_in(e, abar + 0x04, 4), 1u << 31);		/* AE only */
	assert_int_equal(mmio_in(e, abar + AHCI_PORT_BASE_TEST + 0x24, 4), 0xeb140101u);	/* the drive signs on */
	assert_int_equal(mmio_in(e, 0xfe800000u, 4), 0xffffffff);		/* the ROM is off again */
	assert_int_equal(e->resets, 0);
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
		T(test_host_bridge_is_i440fx),
		T(test_isa_bridge_in_slot_1),
		T(test_reset_control_register),
		T(test_chipset_only_on_an_empty_bus),
		T(test_bootdev_paths),
		T(test_nic_option_rom),
		T(test_machine_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
