/* test-fw-cfg.c - the fw_cfg device: signature, items, the file directory, data-port and DMA reads, hostile DMA requests. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/devices/fw_cfg.h"
#include "vmm/machine.h"

#define RAM_SIZE	0x10000u
#define ACCESS_GPA	0x1000u		/* where the tests put FWCfgDmaAccess */
#define BUF_GPA		0x2000u

static uint8_t ram[RAM_SIZE];
static struct vk_guest_memory mem = { .n_regions = 1, .ram_size = RAM_SIZE,
				      .regions = { { 0, RAM_SIZE, ram } } };
static struct vk_fw_cfg fw;
static struct vk_bus pio;

static const char file_a[] = "first file contents";
static const uint8_t file_b[3] = { 1, 2, 3 };

static int setup(void **state)
{
	memset(ram, 0x5a, sizeof(ram));
	memset(&pio, 0, sizeof(pio));
	assert_int_equal(vk_fw_cfg_init(&fw, &mem, &pio), 0);
	assert_int_equal(vk_fw_cfg_add_u16(&fw, FW_CFG_NB_CPUS, 3), 0);
	assert_int_equal(vk_fw_cfg_add_file(&fw, "etc/a", file_a, sizeof(file_a)), 0);
	assert_int_equal(vk_fw_cfg_add_file(&fw, "opt/b", file_b, sizeof(file_b)), 0);
	return 0;
}

static int teardown(void **state)
{
	vk_fw_cfg_free(&fw);
	vk_bus_free(&pio);
	return 0;
}

static void select_key(uint16_t key)
{
	uint8_t le[2] = { (uint8_t)key, (uint8_t)(key >> 8) };

	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_SEL, le, 2, true));
}

static void read_data(void *buf, size_t len)
{
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_DATA, &p[i], 1, false));
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Write FWCfgDmaAccess at access_gpa, start it through the ports as SeaBIOS
 * does (high half only when non-zero), return the control word read back. */
static uint32_t dma(uint64_t access_gpa, uint32_t control, uint32_t length, uint64_t address)
{
	uint8_t *a = ram + ACCESS_GPA, half[4];

	put_be32(a, control);
	put_be32(a + 4, length);
	put_be32(a + 8, (uint32_t)(address >> 32));
	put_be32(a + 12, (uint32_t)address);
	if (access_gpa >> 32) {
		put_be32(half, (uint32_t)(access_gpa >> 32));
		assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_DMA, half, 4, true));
	}
	put_be32(half, (uint32_t)access_gpa);
	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_DMA + 4, half, 4, true));
	return be32(a);
}

static void signature_and_id(void **state)
{
	char sig[4];
	uint8_t id[4], dma_sig[8];

	select_key(FW_CFG_SIGNATURE);
	read_data(sig, sizeof(sig));
	assert_memory_equal(sig, "QEMU", 4);
	select_key(FW_CFG_ID);
	read_data(id, sizeof(id));
	assert_int_equal(id[0], FW_CFG_VERSION | FW_CFG_VERSION_DMA);
	/* The DMA register reads "QEMU CFG" in big-endian order. */
	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_DMA, dma_sig, 4, false));
	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_DMA + 4, dma_sig + 4, 4, false));
	assert_memory_equal(dma_sig, "QEMU CFG", 8);
}

static void fixed_item_and_reselect(void **state)
{
	uint8_t cpus[2];

	select_key(FW_CFG_NB_CPUS);
	read_data(cpus, 1);
	select_key(FW_CFG_NB_CPUS);	/* selecting again starts over */
	read_data(cpus, 2);
	assert_int_equal(cpus[0] | cpus[1] << 8, 3);
}

static void directory_walk(void **state)
{
	uint8_t count[4], entry[FW_CFG_FILE_SIZE];
	const char *names[] = { "etc/a", "opt/b" };
	uint32_t sizes[] = { sizeof(file_a), sizeof(file_b) };

	select_key(FW_CFG_FILE_DIR);
	read_data(count, sizeof(count));
	assert_int_equal(be32(count), 2);
	for (int i = 0; i < 2; i++) {
		read_data(entry, sizeof(entry));
		assert_int_equal(be32(entry), sizes[i]);
		assert_int_equal(entry[4] << 8 | entry[5], FW_CFG_FILE_FIRST + i);
		assert_string_equal((char *)entry + 8, names[i]);
	}
	assert_non_null(vk_fw_cfg_find_file(&fw, "opt/b"));
	assert_null(vk_fw_cfg_find_file(&fw, "opt/c"));
}

static void file_through_data_port_past_end(void **state)
{
	uint8_t got[sizeof(file_b) + 3];

	select_key(FW_CFG_FILE_FIRST + 1);
	read_data(got, sizeof(got));
	assert_memory_equal(got, file_b, sizeof(file_b));
	for (size_t i = sizeof(file_b); i < sizeof(got); i++)
		assert_int_equal(got[i], 0);
}

static void unknown_selector_reads_zero(void **state)
{
	uint8_t got[4] = { 0xee, 0xee, 0xee, 0xee };

	select_key(0x1234);
	read_data(got, sizeof(got));
	assert_memory_equal(got, "\0\0\0\0", 4);
	memset(ram + BUF_GPA, 0xee, 8);
	assert_int_equal(dma(ACCESS_GPA, QEMU_CFG_DMA_CTL_READ, 8, BUF_GPA), 0);
	assert_memory_equal(ram + BUF_GPA, "\0\0\0\0\0\0\0\0", 8);
}

static void dma_select_read_and_skip(void **state)
{
	uint32_t ctl = (uint32_t)(FW_CFG_FILE_FIRST << 16) | QEMU_CFG_DMA_CTL_SELECT | QEMU_CFG_DMA_CTL_READ;
	uint8_t next;

	assert_int_equal(dma(ACCESS_GPA, ctl, 5, BUF_GPA), 0);
	assert_memory_equal(ram + BUF_GPA, "first", 5);
	/* Skip moves the offset; the data port carries on from there. */
	assert_int_equal(dma(ACCESS_GPA, QEMU_CFG_DMA_CTL_SKIP, 1, 0), 0);
	read_data(&next, 1);
	assert_int_equal(next, 'f');
	/* A read past the end is zero-filled, the rest of the item first. */
	memset(ram + BUF_GPA, 0xee, 64);
	assert_int_equal(dma(ACCESS_GPA, QEMU_CFG_DMA_CTL_READ, 64, BUF_GPA), 0);
	assert_string_equal((char *)ram + BUF_GPA, "ile contents");
	for (size_t i = sizeof(file_a) - 7; i < 64; i++)
		assert_int_equal(ram[BUF_GPA + i], 0);
	/* A skip past the end stops at the end. */
	assert_int_equal(dma(ACCESS_GPA, QEMU_CFG_DMA_CTL_SKIP, 1000, 0), 0);
	read_data(&next, 1);
	assert_int_equal(next, 0);
}

/* A machine reset: no item selected (the data port reads 0 until the
 * firmware selects one), a latched DMA high half forgotten; the items stay. */
static void machine_reset(void **state)
{
	uint8_t half[4], b[2];

	select_key(FW_CFG_FILE_FIRST);
	read_data(b, 2);
	assert_memory_equal(b, "fi", 2);
	put_be32(half, 1);
	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_DMA, half, 4, true));	/* a high half, latched */
	vk_fw_cfg_reset(&fw);
	read_data(b, 2);
	assert_memory_equal(b, "\0\0", 2);
	/* Had the high half stayed, this request would be above 4 GiB and dropped. */
	assert_int_equal(dma(ACCESS_GPA, (uint32_t)(FW_CFG_FILE_FIRST << 16) | QEMU_CFG_DMA_CTL_SELECT |
			     QEMU_CFG_DMA_CTL_READ, 5, BUF_GPA), 0);
	assert_memory_equal(ram + BUF_GPA, "first", 5);
}

static void dma_hostile(void **state)
{
	uint32_t sel = (uint32_t)(FW_CFG_FILE_FIRST << 16) | QEMU_CFG_DMA_CTL_SELECT;
	uint8_t before[RAM_SIZE];

	/* Buffer outside RAM, straddling its end, huge, in the high half. */
	assert_int_equal(dma(ACCESS_GPA, sel | QEMU_CFG_DMA_CTL_READ, 4, 0x20000000), QEMU_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(ACCESS_GPA, sel | QEMU_CFG_DMA_CTL_READ, 8, RAM_SIZE - 4), QEMU_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(ACCESS_GPA, sel | QEMU_CFG_DMA_CTL_READ, 0xffffffff, BUF_GPA),
			 QEMU_CFG_DMA_CTL_ERROR);
	assert_int_equal(dma(ACCESS_GPA, sel | QEMU_CFG_DMA_CTL_READ, 4, 0xffffffffffffff00ull),
			 QEMU_CFG_DMA_CTL_ERROR);
	/* Writes are refused: every item is read-only. */
	assert_int_equal(dma(ACCESS_GPA, sel | QEMU_CFG_DMA_CTL_WRITE, 4, BUF_GPA), QEMU_CFG_DMA_CTL_ERROR);
	/* The structure itself outside RAM (also above 4 GiB): nothing happens. */
	memcpy(before, ram, sizeof(ram));
	dma(0x40000000, sel | QEMU_CFG_DMA_CTL_READ, 4, BUF_GPA);
	dma(0x500000000ull, sel | QEMU_CFG_DMA_CTL_READ, 4, BUF_GPA);
	dma(RAM_SIZE - 8, sel | QEMU_CFG_DMA_CTL_READ, 4, BUF_GPA);
	memcpy(ram + ACCESS_GPA, before + ACCESS_GPA, FW_CFG_DMA_ACCESS_SIZE);
	assert_memory_equal(before, ram, sizeof(ram));
	/* The high half is cleared after each operation: a good request works. */
	assert_int_equal(dma(ACCESS_GPA, sel | QEMU_CFG_DMA_CTL_READ, 5, BUF_GPA), 0);
	assert_memory_equal(ram + BUF_GPA, "first", 5);
}

static void odd_accesses_are_harmless(void **state)
{
	uint8_t v[4] = { 0, 0, 0, 0 };

	/* A byte to the selector, a word from the data port, a 2-byte DMA write. */
	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_SEL, v, 1, true));
	assert_false(vk_bus_dispatch(&pio, FW_CFG_PORT_DATA, v, 2, false));
	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_DMA + 4, v, 2, true));
	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_SEL, v, 2, false));
	assert_int_equal(v[0] & v[1], 0xff);
	/* A data-port write is ignored. */
	select_key(FW_CFG_SIGNATURE);
	v[0] = 'X';
	assert_true(vk_bus_dispatch(&pio, FW_CFG_PORT_DATA, v, 1, true));
	read_data(v, 1);
	assert_int_equal(v[0], 'Q');
}

static void add_refusals(void **state)
{
	char long_name[FW_CFG_MAX_FILE_PATH + 1];

	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(vk_fw_cfg_add_file(&fw, "etc/a", "x", 1), -EEXIST);
	assert_int_equal(vk_fw_cfg_add_file(&fw, long_name, "x", 1), -EINVAL);
	assert_int_equal(vk_fw_cfg_add_file(&fw, "", "x", 1), -EINVAL);
	assert_int_equal(vk_fw_cfg_add(&fw, FW_CFG_NB_CPUS, "x", 1), -EEXIST);
	assert_int_equal(vk_fw_cfg_add(&fw, FW_CFG_FILE_FIRST + 5, "x", 1), -EINVAL);
	assert_int_equal(vk_fw_cfg_add(&fw, FW_CFG_ARCH_LOCAL | 3, "x", 1), 0);
	for (unsigned i = 2; i < FW_CFG_MAX_FILES; i++) {
		char name[16];

		snprintf(name, sizeof(name), "f%u", i);
		assert_int_equal(vk_fw_cfg_add_file(&fw, name, NULL, 0), 0);
	}
	assert_int_equal(vk_fw_cfg_add_file(&fw, "one-too-many", "x", 1), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(signature_and_id, setup, teardown),
		cmocka_unit_test_setup_teardown(fixed_item_and_reselect, setup, teardown),
		cmocka_unit_test_setup_teardown(directory_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(file_through_data_port_past_end, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_selector_reads_zero, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_select_read_and_skip, setup, teardown),
		cmocka_unit_test_setup_teardown(dma_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(odd_accesses_are_harmless, setup, teardown),
		cmocka_unit_test_setup_teardown(add_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(machine_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
