/* test-pci.c - PCI host bridge and functions: config mechanism #1, BAR sizing and moves, 32-bit BARs, capabilities, MSI, MSI-X, INTx, a machine reset. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/fake-machine.h"
#include "vmm/pci.h"

#define BAR_SIZE 0x8000

struct env {
	struct vk_bus pio, mmio;
	struct vk_pci_bus pci;
	struct vk_pci_dev dev;
	unsigned handler_calls;
	uint64_t last_off;
	unsigned moves;
	uint64_t moved_from, moved_to;
};

static void bar_handler(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct env *e = opaque;

	e->handler_calls++;
	e->last_off = off;
	if (!is_write)
		memset(data, 0x42, len);
}

static void on_bar_moved(struct vk_pci_dev *dev, unsigned bar, uint64_t old, uint64_t new)
{
	struct env *e = dev->owner;

	e->moves++;
	e->moved_from = old;
	e->moved_to = new;
}

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	fake_machine_reset();
	assert_int_equal(vk_pci_bus_init(&e->pci, FAKE_MACHINE, &e->pio, &e->mmio), 0);
	vk_pci_dev_init(&e->dev, "testdev", 0x1af4, 0x1042, 0x018000, 0x1af4, 2);
	e->dev.owner = e;
	e->dev.bar_moved = on_bar_moved;
	assert_int_equal(vk_pci_dev_add_bar(&e->dev, 0, BAR_SIZE, bar_handler, e), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, &e->dev), 0);
	assert_int_equal(vk_pci_dev_add_msix(&e->dev, 4, 0, 0x4000, 0x5000), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	vk_pci_dev_free(&e->dev);
	vk_pci_bus_free(&e->pci);
	vk_bus_free(&e->pio);
	vk_bus_free(&e->mmio);
	test_free(e);
	fake_machine_reset();
	return 0;
}

static uint32_t port_in(struct env *e, uint16_t port, unsigned len)
{
	uint8_t data[4] = { 0 };
	uint32_t v = 0;

	vk_bus_dispatch(&e->pio, port, data, len, false);
	memcpy(&v, data, len);
	return v;
}

static void port_out(struct env *e, uint16_t port, uint32_t v, unsigned len)
{
	vk_bus_dispatch(&e->pio, port, (uint8_t *)&v, len, true);
}

/* Config read through ports 0xCF8/0xCFC, as a guest does it. */
static uint32_t conf1_read(struct env *e, unsigned slot, unsigned fn, unsigned reg, unsigned len)
{
	port_out(e, 0xcf8, 0x80000000u | slot << 11 | fn << 8 | (reg & 0xfc), 4);
	return port_in(e, 0xcfc + (reg & 3), len);
}

static void conf1_write(struct env *e, unsigned slot, unsigned reg, uint32_t v, unsigned len)
{
	port_out(e, 0xcf8, 0x80000000u | slot << 11 | (reg & 0xfc), 4);
	port_out(e, 0xcfc + (reg & 3), v, len);
}

static uint64_t mmio_read(struct env *e, uint64_t addr, unsigned len)
{
	uint8_t data[8] = { 0 };
	uint64_t v = 0;

	vk_bus_dispatch(&e->mmio, addr, data, len, false);
	memcpy(&v, data, len);
	return v;
}

static void mmio_write(struct env *e, uint64_t addr, uint64_t v, unsigned len)
{
	vk_bus_dispatch(&e->mmio, addr, (uint8_t *)&v, len, true);
}

static uint64_t bar0(struct env *e)
{
	return (conf1_read(e, 1, 0, PCI_BASE_ADDRESS_0, 4) & ~0xfu) |
	       (uint64_t)conf1_read(e, 1, 0, PCI_BASE_ADDRESS_0 + 4, 4) << 32;
}

static void test_host_bridge_found_by_conf1(void **state)
{
	struct env *e = *state;

	assert_int_equal(conf1_read(e, 0, 0, PCI_VENDOR_ID, 2), VK_PCI_VENDOR_REDHAT);
	assert_int_equal(conf1_read(e, 0, 0, PCI_DEVICE_ID, 2), VK_PCI_DEVICE_HOST);
	assert_int_equal(conf1_read(e, 0, 0, PCI_REVISION_ID, 4) >> 8, PCI_CLASS_BRIDGE_HOST);
	assert_int_equal(conf1_read(e, 0, 0, 0x0a, 2), 0x0600);	/* sub-dword read */
	assert_int_equal(port_in(e, 0xcf8, 4), 0x80000000u | 0x08);
}

static void test_device_identity(void **state)
{
	struct env *e = *state;

	assert_int_equal(conf1_read(e, 1, 0, PCI_VENDOR_ID, 4), 0x10421af4);
	assert_int_equal(conf1_read(e, 1, 0, PCI_SUBSYSTEM_ID, 2), 2);
	assert_int_equal(conf1_read(e, 1, 0, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(conf1_read(e, 1, 0, PCI_INTERRUPT_LINE, 1), VK_PCI_INTX_GSI(1));
	assert_int_equal(conf1_read(e, 1, 0, PCI_HEADER_TYPE, 1), 0);
}

static void test_absent_functions_read_all_ones(void **state)
{
	struct env *e = *state;

	assert_int_equal(conf1_read(e, 2, 0, PCI_VENDOR_ID, 4), 0xffffffff);
	assert_int_equal(conf1_read(e, 31, 0, PCI_VENDOR_ID, 2), 0xffff);
	assert_int_equal(conf1_read(e, 1, 1, PCI_VENDOR_ID, 4), 0xffffffff);	/* function 1 */
	port_out(e, 0xcf8, 0x80010000u, 4);					/* bus 1 */
	assert_int_equal(port_in(e, 0xcfc, 4), 0xffffffff);
	port_out(e, 0xcf8, 0x00000800u, 4);					/* enable bit clear */
	assert_int_equal(port_in(e, 0xcfc, 4), 0xffffffff);
}

static void test_byte_write_to_cf9_leaves_address(void **state)
{
	struct env *e = *state;

	port_out(e, 0xcf8, 0x80000800u, 4);
	port_out(e, 0xcf9, 0x06, 1);	/* a reset-control write, not ours */
	assert_int_equal(port_in(e, 0xcf8, 4), 0x80000800u);
}

static void test_read_only_fields_stay(void **state)
{
	struct env *e = *state;

	conf1_write(e, 1, PCI_VENDOR_ID, 0xdeadbeef, 4);
	assert_int_equal(conf1_read(e, 1, 0, PCI_VENDOR_ID, 4), 0x10421af4);
	conf1_write(e, 1, PCI_COMMAND, 0xffff, 2);
	assert_int_equal(conf1_read(e, 1, 0, PCI_COMMAND, 2), 0x0407);
	conf1_write(e, 1, PCI_INTERRUPT_LINE, 0x0b, 1);
	assert_int_equal(conf1_read(e, 1, 0, PCI_INTERRUPT_LINE, 1), 0x0b);
	conf1_write(e, 1, PCI_INTERRUPT_PIN, 4, 1);
	assert_int_equal(conf1_read(e, 1, 0, PCI_INTERRUPT_PIN, 1), 1);
}

static void test_bad_config_accesses_ignored(void **state)
{
	struct env *e = *state;

	assert_int_equal(vk_pci_config_read(&e->dev, 254, 4), 0xffffffff);
	assert_int_equal(vk_pci_config_read(&e->dev, 1, 2), 0xffffffff);	/* misaligned */
	assert_int_equal(vk_pci_config_read(&e->dev, 0, 3), 0xffffffff);
	vk_pci_config_write(&e->dev, 255, 4, 0);
	vk_pci_config_write(&e->dev, 300, 1, 0);
	assert_int_equal(vk_pci_config_read(&e->dev, 0, 2), 0x1af4);
}

static void test_bar_placed_in_window(void **state)
{
	struct env *e = *state;
	uint64_t addr = bar0(e);

	assert_true(addr >= VK_PCI_MMIO_BASE);
	assert_true(addr + BAR_SIZE <= VK_PCI_MMIO_BASE + VK_PCI_MMIO_SIZE);
	assert_int_equal(addr % BAR_SIZE, 0);
	assert_int_equal(conf1_read(e, 1, 0, PCI_BASE_ADDRESS_0, 4) & 0xf, PCI_BASE_ADDRESS_MEM_TYPE_64);
	assert_int_equal(mmio_read(e, addr + 0x10, 4), 0x42424242);
	assert_int_equal(e->last_off, 0x10);
	assert_int_equal(e->moves, 0);
}

static void test_bar_sizing_with_all_ones(void **state)
{
	struct env *e = *state;
	uint64_t addr = bar0(e);
	uint16_t cmd = conf1_read(e, 1, 0, PCI_COMMAND, 2);

	/* Linux turns decoding off, writes all ones, reads the size, restores. */
	conf1_write(e, 1, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY, 2);
	conf1_write(e, 1, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
	conf1_write(e, 1, PCI_BASE_ADDRESS_0 + 4, 0xffffffff, 4);
	assert_int_equal(conf1_read(e, 1, 0, PCI_BASE_ADDRESS_0, 4), (uint32_t)~(BAR_SIZE - 1) | 4);
	assert_int_equal(conf1_read(e, 1, 0, PCI_BASE_ADDRESS_0 + 4, 4), 0xffffffff);
	assert_int_equal(mmio_read(e, addr, 4), 0xffffffff);	/* decoding off */
	conf1_write(e, 1, PCI_BASE_ADDRESS_0, (uint32_t)addr, 4);
	conf1_write(e, 1, PCI_BASE_ADDRESS_0 + 4, addr >> 32, 4);
	conf1_write(e, 1, PCI_COMMAND, cmd, 2);
	assert_int_equal(bar0(e), addr);
	assert_int_equal(e->moves, 0);		/* sizing is not a move */
	assert_int_equal(mmio_read(e, addr, 4), 0x42424242);
}

static void test_bar_move_inside_window(void **state)
{
	struct env *e = *state;
	uint64_t old = bar0(e), new = VK_PCI_MMIO_BASE + 0x800000;

	conf1_write(e, 1, PCI_BASE_ADDRESS_0, (uint32_t)new, 4);
	assert_int_equal(e->moves, 1);
	assert_int_equal(e->moved_from, old);
	assert_int_equal(e->moved_to, new);
	assert_int_equal(mmio_read(e, new + 8, 4), 0x42424242);
	assert_int_equal(e->last_off, 8);
	assert_int_equal(mmio_read(e, old + 8, 4), 0xffffffff);
}

static void test_bar_moved_outside_window_goes_quiet(void **state)
{
	struct env *e = *state;
	uint64_t old = bar0(e);

	conf1_write(e, 1, PCI_BASE_ADDRESS_0, (uint32_t)(VK_PCI_MMIO_BASE + VK_PCI_MMIO_SIZE), 4);	/* just past the window */
	assert_int_equal(e->moves, 0);
	assert_int_equal(mmio_read(e, old, 4), 0xffffffff);
	conf1_write(e, 1, PCI_BASE_ADDRESS_0, (uint32_t)VK_PCI_MMIO_SIZE + (uint32_t)VK_PCI_MMIO_BASE - BAR_SIZE, 4);
	assert_int_equal(e->moves, 1);				/* last slot fits */
	conf1_write(e, 1, PCI_BASE_ADDRESS_0 + 4, 1, 4);	/* above 4 GiB */
	assert_int_equal(e->moves, 1);
	assert_false(e->dev.bars[0].active);
}

static void test_capability_list_walks_to_msix(void **state)
{
	struct env *e = *state;
	unsigned off, seen = 0;

	assert_true(conf1_read(e, 1, 0, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (off = conf1_read(e, 1, 0, PCI_CAPABILITY_LIST, 1); off; off = conf1_read(e, 1, 0, off + 1, 1)) {
		assert_true(off >= PCI_CAP_START && off % 4 == 0);
		assert_true(++seen < 48);
		if (conf1_read(e, 1, 0, off, 1) == PCI_CAP_ID_MSIX)
			break;
	}
	assert_int_equal(conf1_read(e, 1, 0, off, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(conf1_read(e, 1, 0, off + PCI_MSIX_FLAGS, 2) & PCI_MSIX_FLAGS_QSIZE, 3);
	assert_int_equal(conf1_read(e, 1, 0, off + PCI_MSIX_TABLE, 4), 0x4000);
	assert_int_equal(conf1_read(e, 1, 0, off + PCI_MSIX_PBA, 4), 0x5000);
}

static void msix_enable(struct env *e, uint16_t extra)
{
	conf1_write(e, 1, e->dev.msix.cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE | extra, 2);
}

static void test_msix_table_programs_routes(void **state)
{
	struct env *e = *state;
	uint64_t t = bar0(e) + 0x4000 + 2 * PCI_MSIX_ENTRY_SIZE;
	struct fake_route *r = &fake.route[e->dev.msix.msi[2].gsi];

	assert_int_equal(mmio_read(e, t + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), 1);	/* masked at reset */
	mmio_write(e, t, 0xfee00000ull, 8);
	mmio_write(e, t + 8, 0x4041, 4);
	mmio_write(e, t + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
	assert_int_equal(mmio_read(e, t, 4), 0xfee00000u);
	assert_int_equal(mmio_read(e, t + 8, 4), 0x4041);
	assert_int_equal(r->addr, 0xfee00000ull);
	assert_int_equal(r->data, 0x4041);
	assert_true(r->masked);			/* MSI-X still disabled */
	msix_enable(e, 0);
	assert_false(r->masked);
	assert_true(vk_pci_msix_enabled(&e->dev));
	assert_int_equal(vk_pci_msix_notify(&e->dev, 2), 0);
	assert_int_equal(r->signals, 1);
	assert_int_equal(vk_pci_msix_notify(&e->dev, 4), -EINVAL);
	assert_int_equal(vk_pci_msix_notify(&e->dev, 1000), -EINVAL);
}

static void test_msix_masked_vector_pends_then_fires(void **state)
{
	struct env *e = *state;
	uint64_t t = bar0(e) + 0x4000 + PCI_MSIX_ENTRY_SIZE, pba = bar0(e) + 0x5000;
	struct fake_route *r = &fake.route[e->dev.msix.msi[1].gsi];

	msix_enable(e, 0);
	assert_int_equal(vk_pci_msix_notify(&e->dev, 1), 0);	/* entry masked */
	assert_int_equal(r->signals, 0);
	assert_int_equal(mmio_read(e, pba, 8), 2);
	mmio_write(e, pba, 0, 8);				/* PBA is read-only */
	assert_int_equal(mmio_read(e, pba, 8), 2);
	mmio_write(e, t + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
	assert_int_equal(r->signals, 1);
	assert_int_equal(mmio_read(e, pba, 8), 0);
	msix_enable(e, PCI_MSIX_FLAGS_MASKALL);			/* function mask */
	assert_int_equal(vk_pci_msix_notify(&e->dev, 1), 0);
	assert_int_equal(r->signals, 1);
	msix_enable(e, 0);
	assert_int_equal(r->signals, 2);
}

static void test_msix_odd_accesses_ignored(void **state)
{
	struct env *e = *state;
	uint64_t t = bar0(e) + 0x4000;

	mmio_write(e, t + 1, 0xffffffff, 4);	/* misaligned */
	mmio_write(e, t, 0xff, 1);		/* byte */
	assert_int_equal(mmio_read(e, t, 4), 0);
	assert_int_equal(mmio_read(e, t + 2, 2), 0xffff);
	/* Past the last entry is the device's own space. */
	assert_int_equal(mmio_read(e, t + 4 * PCI_MSIX_ENTRY_SIZE, 4), 0x42424242);
}

static void test_msix_disabled_notify_refused(void **state)
{
	struct env *e = *state;

	assert_int_equal(vk_pci_msix_notify(&e->dev, 0), -EAGAIN);
}

static void test_intx_level_and_disable(void **state)
{
	struct env *e = *state;
	unsigned gsi = VK_PCI_INTX_GSI(1);

	vk_pci_intx_set(&e->dev, true);
	assert_true(fake.irq_level[gsi]);
	assert_true(conf1_read(e, 1, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	conf1_write(e, 1, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_INTX_DISABLE, 2);
	assert_false(fake.irq_level[gsi]);
	vk_pci_intx_set(&e->dev, false);
	assert_false(conf1_read(e, 1, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

static void test_window_without_bar_reads_all_ones(void **state)
{
	struct env *e = *state;

	assert_int_equal(mmio_read(e, VK_PCI_MMIO_BASE + VK_PCI_MMIO_SIZE - 8, 8), UINT64_MAX);
	mmio_write(e, VK_PCI_MMIO_BASE + 0x100000, 1, 4);
	assert_int_equal(e->handler_calls, 0);
}

static void test_registration_conflicts_reported(void **state)
{
	struct env *e = *state;
	struct vk_pci_bus other;

	/* The ports are taken by the first bus. */
	assert_int_equal(vk_pci_bus_init(&other, FAKE_MACHINE, &e->pio, &e->mmio), -EBUSY);
	vk_pci_bus_free(&other);
}

static void test_bad_bar_and_full_bus(void **state)
{
	struct env *e = *state;
	struct vk_pci_dev d;

	vk_pci_dev_init(&d, "bad", 1, 2, 0, 1, 2);
	assert_int_equal(vk_pci_dev_add_bar(&d, 1, 0x1000, bar_handler, e), -EINVAL);
	assert_int_equal(vk_pci_dev_add_bar(&d, 0, 0x1800, bar_handler, e), -EINVAL);
	assert_int_equal(vk_pci_dev_add_bar(&d, 0, 0x100, bar_handler, e), -EINVAL);
	assert_int_equal(vk_pci_dev_add_bar(&d, 0, 0x40000000, bar_handler, e), -EINVAL);	/* > window */
	/* 512 MiB, naturally aligned after the first device, ends at 4 GiB. */
	assert_int_equal(vk_pci_dev_add_bar(&d, 0, 0x20000000, bar_handler, e), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, &d), -ENOSPC);	/* window full */
	vk_pci_dev_free(&d);
}

/* The expansion ROM: sized like a BAR, decoding only while enabled with
 * memory decoding on and inside the window; reads only. */
static void test_expansion_rom(void **state)
{
	struct env *e = *state;
	struct vk_pci_dev d;
	uint8_t image[5000];
	const uint64_t at = 0xfe000000;

	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 7);
	vk_pci_dev_init(&d, "romdev", 0x1af4, 0x1041, 0x020000, 0x1af4, 1);
	assert_int_equal(vk_pci_dev_set_rom(&d, image, 0), -EINVAL);
	assert_int_equal(vk_pci_dev_set_rom(&d, image, sizeof(image)), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, &d), 0);
	assert_int_equal(conf1_read(e, 2, 0, PCI_ROM_ADDRESS, 4), 0);	/* disabled at reset */
	/* Sizing: 5000 bytes need 8 KiB; the enable bit is not part of the mask. */
	conf1_write(e, 2, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS_MASK, 4);
	assert_int_equal(conf1_read(e, 2, 0, PCI_ROM_ADDRESS, 4), 0xffffe000u);
	conf1_write(e, 2, PCI_ROM_ADDRESS, (uint32_t)at, 4);
	assert_int_equal(mmio_read(e, at, 4), 0xffffffffu);		/* not enabled yet */
	conf1_write(e, 2, PCI_ROM_ADDRESS, (uint32_t)at | PCI_ROM_ADDRESS_ENABLE, 4);
	assert_int_equal(mmio_read(e, at, 1), image[0]);
	assert_int_equal(mmio_read(e, at + 4999, 1), image[4999]);
	assert_int_equal(mmio_read(e, at + 5000, 4), 0);		/* past the image */
	mmio_write(e, at, 0x11223344, 4);				/* dropped */
	assert_int_equal(mmio_read(e, at, 1), image[0]);
	assert_int_equal(mmio_read(e, at + 0x2000, 4), 0xffffffffu);	/* past the BAR */
	/* Memory decoding off: silent again. */
	conf1_write(e, 2, PCI_COMMAND, 0, 2);
	assert_int_equal(mmio_read(e, at, 1), 0xff);
	conf1_write(e, 2, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	/* Outside the window (the IOAPIC's page): it does not decode. */
	conf1_write(e, 2, PCI_ROM_ADDRESS, 0xfec00000u | PCI_ROM_ADDRESS_ENABLE, 4);
	assert_int_equal(mmio_read(e, at, 1), 0xff);
	e->pci.devs[2] = NULL;
	e->pci.n_devs--;
	vk_pci_dev_free(&d);
}

/* A second function with a 32-bit BAR 5 and MSI, as AHCI has. */
static void add_bar32_msi_dev(struct env *e, struct vk_pci_dev *d)
{
	vk_pci_dev_init(d, "bar32", 0x8086, 0x2922, 0x010601, 0x1af4, 0x1100);
	assert_int_equal(vk_pci_dev_add_bar32(d, 5, 0x1000, bar_handler, e), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, d), 0);
	assert_int_equal(vk_pci_dev_add_msi(d), 0);
}

static void test_bar32_at_index_5_sizes_and_decodes(void **state)
{
	struct env *e = *state;
	struct vk_pci_dev d;
	uint32_t addr;

	add_bar32_msi_dev(e, &d);
	addr = conf1_read(e, 2, 0, PCI_BASE_ADDRESS_5, 4);
	assert_int_equal(addr & 0xf, 0);		/* 32-bit, non-prefetchable memory */
	assert_int_equal(addr % 0x1000, 0);
	assert_true(addr >= VK_PCI_MMIO_BASE && addr < VK_PCI_MMIO_BASE + VK_PCI_MMIO_SIZE);
	assert_int_equal(conf1_read(e, 2, 0, PCI_BASE_ADDRESS_0, 4), 0);	/* no other BARs */
	assert_int_equal(mmio_read(e, addr + 0x24, 4), 0x42424242);
	assert_int_equal(e->last_off, 0x24);
	conf1_write(e, 2, PCI_COMMAND, 0, 2);
	conf1_write(e, 2, PCI_BASE_ADDRESS_5, 0xffffffff, 4);
	assert_int_equal(conf1_read(e, 2, 0, PCI_BASE_ADDRESS_5, 4), 0xfffff000u);
	conf1_write(e, 2, PCI_BASE_ADDRESS_5, (uint32_t)VK_PCI_MMIO_BASE + 0x200000, 4);
	conf1_write(e, 2, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(mmio_read(e, VK_PCI_MMIO_BASE + 0x200000, 4), 0x42424242);
	assert_int_equal(mmio_read(e, addr, 4), 0xffffffff);		/* moved away */
	vk_pci_dev_free(&d);
	e->pci.devs[2] = NULL;
	e->pci.n_devs--;
}

static void test_bar_layout_refusals(void **state)
{
	struct env *e = *state;
	struct vk_pci_dev d;

	vk_pci_dev_init(&d, "bad", 1, 2, 0, 1, 2);
	assert_int_equal(vk_pci_dev_add_bar(&d, 4, 0x1000, bar_handler, e), 0);
	assert_int_equal(vk_pci_dev_add_bar32(&d, 5, 0x1000, bar_handler, e), -EINVAL);	/* upper half */
	assert_int_equal(vk_pci_dev_add_bar32(&d, 4, 0x1000, bar_handler, e), -EINVAL);	/* taken */
	assert_int_equal(vk_pci_dev_add_bar32(&d, 6, 0x1000, bar_handler, e), -EINVAL);
	assert_int_equal(vk_pci_dev_add_bar32(&d, 3, 0x1000, bar_handler, e), 0);
	assert_int_equal(vk_pci_dev_add_bar(&d, 2, 0x1000, bar_handler, e), -EINVAL);	/* 3 is taken */
	vk_pci_dev_free(&d);
}

static void test_msi_capability_programs_route(void **state)
{
	struct env *e = *state;
	struct vk_pci_dev d;
	unsigned cap, next;
	struct fake_route *r;

	add_bar32_msi_dev(e, &d);
	/* The list from the header reaches an MSI capability (64-bit, one message). */
	for (cap = conf1_read(e, 2, 0, PCI_CAPABILITY_LIST, 1); cap; cap = next) {
		if (conf1_read(e, 2, 0, cap, 1) == PCI_CAP_ID_MSI)
			break;
		next = conf1_read(e, 2, 0, cap + 1, 1);
	}
	assert_int_equal(cap, d.msi.cap);
	assert_int_equal(conf1_read(e, 2, 0, cap + PCI_MSI_FLAGS, 2), PCI_MSI_FLAGS_64BIT);
	assert_false(vk_pci_msi_enabled(&d));
	assert_int_equal(vk_pci_msi_notify(&d), -EAGAIN);
	r = &fake.route[d.msi.route.gsi];
	conf1_write(e, 2, cap + PCI_MSI_ADDRESS_LO, 0xfee01003, 4);	/* bits 1:0 are reserved */
	conf1_write(e, 2, cap + PCI_MSI_ADDRESS_HI, 0, 4);
	conf1_write(e, 2, cap + PCI_MSI_DATA_64, 0x4041, 2);
	assert_true(r->masked);
	/* Multiple Message Enable does not stick: one message only. */
	conf1_write(e, 2, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE, 2);
	assert_int_equal(conf1_read(e, 2, 0, cap + PCI_MSI_FLAGS, 2), PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE);
	assert_true(vk_pci_msi_enabled(&d));
	assert_false(r->masked);
	assert_int_equal(r->addr, 0xfee01000);
	assert_int_equal(r->data, 0x4041);
	assert_int_equal(vk_pci_msi_notify(&d), 0);
	assert_int_equal(r->signals, 1);
	conf1_write(e, 2, cap + PCI_MSI_FLAGS, 0, 2);
	assert_true(r->masked);
	vk_pci_dev_free(&d);
	e->pci.devs[2] = NULL;
	e->pci.n_devs--;
}

/* A machine reset puts every function's configuration space back as it
 * was saved (BARs placed, before the guest ran): the BAR moves back (its
 * doorbells with it), MSI-X goes off with its table masked and KVM's route
 * masked, the interrupt line drops, the config address is forgotten. */
static void test_machine_reset_restores_power_on(void **state)
{
	struct env *e = *state;
	uint64_t placed = bar0(e), moved = VK_PCI_MMIO_BASE + 0x800000;
	uint64_t t = moved + 0x4000 + 3 * PCI_MSIX_ENTRY_SIZE;
	struct fake_route *r = &fake.route[e->dev.msix.msi[3].gsi];
	unsigned gsi = VK_PCI_INTX_GSI(1);

	vk_pci_bus_save_power_on(&e->pci);
	conf1_write(e, 1, PCI_BASE_ADDRESS_0, (uint32_t)moved, 4);
	conf1_write(e, 1, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
	conf1_write(e, 1, PCI_INTERRUPT_LINE, 11, 1);
	mmio_write(e, t, 0xfee00000ull, 8);
	mmio_write(e, t + 8, 0x4051, 4);
	mmio_write(e, t + PCI_MSIX_ENTRY_VECTOR_CTRL, 0, 4);
	msix_enable(e, 0);
	assert_false(r->masked);
	assert_int_equal(vk_pci_msix_notify(&e->dev, 2), 0);	/* pends: entry 2 masked */
	vk_pci_intx_set(&e->dev, true);
	assert_true(fake.irq_level[gsi]);
	assert_int_equal(e->moves, 1);

	vk_pci_bus_reset(&e->pci);
	assert_int_equal(port_in(e, 0xcf8, 4), 0);
	assert_int_equal(bar0(e), placed);
	assert_int_equal(e->moves, 2);			/* the doorbells follow it back */
	assert_int_equal(e->moved_to, placed);
	assert_int_equal(mmio_read(e, placed + 8, 4), 0x42424242);
	assert_int_equal(mmio_read(e, moved + 8, 4), 0xffffffff);
	assert_int_equal(conf1_read(e, 1, 0, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	assert_int_equal(conf1_read(e, 1, 0, PCI_INTERRUPT_LINE, 1), VK_PCI_INTX_GSI(1));
	assert_false(vk_pci_msix_enabled(&e->dev));
	assert_true(r->masked);
	t = placed + 0x4000 + 3 * PCI_MSIX_ENTRY_SIZE;
	assert_int_equal(mmio_read(e, t, 8), 0);
	assert_int_equal(mmio_read(e, t + PCI_MSIX_ENTRY_VECTOR_CTRL, 4), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	assert_int_equal(mmio_read(e, placed + 0x5000, 8), 0);	/* nothing pending */
	assert_false(fake.irq_level[gsi]);
	assert_false(conf1_read(e, 1, 0, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_host_bridge_found_by_conf1),
		T(test_expansion_rom),
		T(test_device_identity),
		T(test_absent_functions_read_all_ones),
		T(test_byte_write_to_cf9_leaves_address),
		T(test_read_only_fields_stay),
		T(test_bad_config_accesses_ignored),
		T(test_bar_placed_in_window),
		T(test_bar_sizing_with_all_ones),
		T(test_bar_move_inside_window),
		T(test_bar_moved_outside_window_goes_quiet),
		T(test_capability_list_walks_to_msix),
		T(test_msix_table_programs_routes),
		T(test_msix_masked_vector_pends_then_fires),
		T(test_msix_odd_accesses_ignored),
		T(test_msix_disabled_notify_refused),
		T(test_intx_level_and_disable),
		T(test_window_without_bar_reads_all_ones),
		T(test_registration_conflicts_reported),
		T(test_bad_bar_and_full_bus),
		T(test_bar32_at_index_5_sizes_and_decodes),
		T(test_bar_layout_refusals),
		T(test_msi_capability_programs_route),
		T(test_machine_reset_restores_power_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
