/* test-virtio-blk.c - virtio-blk requests on a temporary raw image: read, write, flush, get-id, discard, and refusals. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices.h"
#include "vmm/virtio/virtio.h"

#define DISK_SIZE	(1u << 20)
#define SECTORS		(DISK_SIZE / 512)
#define HDR		0x80000
#define DATA		0x81000
#define STATUS		0x90000
#define C(field)	(VK_VIRTIO_BAR_COMMON + VIRTIO_PCI_COMMON_##field)

/* From the spec (5.2.6), not from blk.c: the test states the protocol. */
enum { T_IN = 0, T_OUT = 1, T_FLUSH = 4, T_GET_ID = 8, T_DISCARD = 11, T_WRITE_ZEROES = 13 };
enum { S_OK = 0, S_IOERR = 1, S_UNSUPP = 2 };
#define F_RO 5
#define F_DISCARD 13

struct env {
	char path[64];
	struct vk_guest_memory *mem;
	struct vk_pci_bus pci;
	struct vk_virtio_dev *vdev;
	struct fake_ring ring[1];
};

static uint8_t pattern(uint64_t off) { return (uint8_t)(off * 7 + off / 512); }

static void make_image(struct env *e)
{
	uint8_t *buf = malloc(DISK_SIZE);
	int fd;

	strcpy(e->path, "/tmp/vkit-blk-test.XXXXXX");
	fd = mkstemp(e->path);
	assert_true(fd >= 0);
	for (uint64_t i = 0; i < DISK_SIZE; i++)
		buf[i] = pattern(i);
	assert_int_equal(write(fd, buf, DISK_SIZE), DISK_SIZE);
	close(fd);
	free(buf);
}

static void open_device(struct env *e, bool readonly)
{
	struct vk_blk_config cfg = { .path = e->path, .format = VK_IMAGE_RAW,
				     .readonly = readonly, .serial = "vkit-serial-0001" };
	uint64_t features = readonly ? 0 : 1ull << F_DISCARD;

	assert_int_equal(vk_virtio_blk_create(e->mem, &cfg, "blk0", &e->vdev), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, &e->vdev->pci), 0);
	assert_int_equal(vk_virtio_realize(e->vdev), 0);
	assert_true(fake_driver_start(e->vdev, e->ring, 1, features | 1ull << VIRTIO_F_INDIRECT_DESC,
				      64) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static int setup_common(void **state, bool readonly)
{
	struct env *e = test_calloc(1, sizeof(*e));

	fake_machine_reset();
	make_image(e);
	e->mem = fake_mem_new(1 << 20);
	e->pci.m = FAKE_MACHINE;
	e->pci.next_bar = VK_PCI_MMIO_BASE;
	e->pci.n_devs = 1;
	open_device(e, readonly);
	*state = e;
	return 0;
}

static int setup(void **state) { return setup_common(state, false); }
static int setup_ro(void **state) { return setup_common(state, true); }

static int teardown(void **state)
{
	struct env *e = *state;

	vk_virtio_destroy(e->vdev);
	unlink(e->path);
	fake_mem_free(e->mem);
	test_free(e);
	fake_machine_reset();
	return 0;
}

static void put_header(struct env *e, uint32_t type, uint64_t sector)
{
	uint8_t *h = fake_host(e->mem, HDR);

	memset(h, 0, 16);
	memcpy(h, &type, 4);
	memcpy(h + 8, &sector, 8);
	*(uint8_t *)fake_host(e->mem, STATUS) = 0xee;
}

/* Submit the chain and run the device; returns the status byte, *used_len the used length. */
static int submit(struct env *e, const struct fake_buf *bufs, unsigned n, uint32_t *used_len)
{
	uint16_t before = fake_ring_used_idx(&e->ring[0]);
	uint32_t id, len;

	fake_ring_add(&e->ring[0], bufs, n);
	vk_virtio_kick(e->vdev, 0);
	if (fake_ring_used_idx(&e->ring[0]) != (uint16_t)(before + 1))
		return -1;
	fake_ring_used(&e->ring[0], before, &id, &len);
	if (used_len)
		*used_len = len;
	return *(uint8_t *)fake_host(e->mem, STATUS);
}

static int request(struct env *e, uint32_t type, uint64_t sector, uint32_t data_len,
		   bool data_writable, uint32_t *used_len)
{
	struct fake_buf bufs[3] = { { HDR, 16, false }, { DATA, data_len, data_writable },
				    { STATUS, 1, true } };

	put_header(e, type, sector);
	if (data_len)
		return submit(e, bufs, 3, used_len);
	bufs[1] = bufs[2];
	return submit(e, bufs, 2, used_len);
}

static void read_file(struct env *e, uint64_t off, void *buf, size_t len)
{
	int fd = open(e->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, off), len);
	close(fd);
}

static void test_config_reports_capacity(void **state)
{
	struct env *e = *state;

	assert_int_equal(fake_bar_read(e->vdev, VK_VIRTIO_BAR_DEVICE, 8), SECTORS);
	assert_int_equal(fake_bar_read(e->vdev, VK_VIRTIO_BAR_DEVICE + 20, 4), 512);	/* blk_size */
	assert_int_equal(fake_bar_read(e->vdev, VK_VIRTIO_BAR_DEVICE + 12, 4), VK_VIRTQ_MAX_SEGS - 2);
	fake_bar_write(e->vdev, VK_VIRTIO_BAR_DEVICE, 0, 8);		/* read-only config */
	assert_int_equal(fake_bar_read(e->vdev, VK_VIRTIO_BAR_DEVICE, 8), SECTORS);
}

static void test_read_sectors(void **state)
{
	struct env *e = *state;
	uint8_t *data = fake_host(e->mem, DATA);
	uint32_t used;

	assert_int_equal(request(e, T_IN, 3, 1024, true, &used), S_OK);
	assert_int_equal(used, 1025);
	for (unsigned i = 0; i < 1024; i++)
		assert_int_equal(data[i], pattern(3 * 512 + i));
}

static void test_read_scattered_across_indirect_buffers(void **state)
{
	struct env *e = *state;
	const uint64_t table = 0xa0000;
	uint8_t *a = fake_host(e->mem, DATA), *b = fake_host(e->mem, DATA + 0x2000);
	uint32_t id, len;

	put_header(e, T_IN, 10);
	fake_write_desc(e->mem, table, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	fake_write_desc(e->mem, table, 1, DATA, 100, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	fake_write_desc(e->mem, table, 2, DATA + 0x2000, 412, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 3);
	fake_write_desc(e->mem, table, 3, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	fake_ring_set_desc(&e->ring[0], 0, table, 64, VIRTQ_DESC_F_INDIRECT, 0);
	fake_ring_publish(&e->ring[0], 0);
	vk_virtio_kick(e->vdev, 0);
	fake_ring_used(&e->ring[0], 0, &id, &len);
	assert_int_equal(len, 513);
	assert_int_equal(*(uint8_t *)fake_host(e->mem, STATUS), S_OK);
	assert_int_equal(a[99], pattern(10 * 512 + 99));
	assert_int_equal(b[0], pattern(10 * 512 + 100));
	assert_int_equal(b[411], pattern(10 * 512 + 511));
}

static void test_write_sectors(void **state)
{
	struct env *e = *state;
	uint8_t back[512];

	memset(fake_host(e->mem, DATA), 0x5a, 512);
	assert_int_equal(request(e, T_OUT, 7, 512, false, NULL), S_OK);
	read_file(e, 7 * 512, back, 512);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(back[i], 0x5a);
	read_file(e, 8 * 512, back, 1);
	assert_int_equal(back[0], pattern(8 * 512));
}

static void test_write_with_data_in_header_buffer(void **state)
{
	struct env *e = *state;
	/* Header and data in one readable buffer: allowed (no framing assumptions, 2.6.4). */
	struct fake_buf bufs[] = { { HDR, 16 + 512, false }, { STATUS, 1, true } };
	uint8_t back[512];

	put_header(e, T_OUT, 2);
	memset((uint8_t *)fake_host(e->mem, HDR) + 16, 0x33, 512);
	assert_int_equal(submit(e, bufs, 2, NULL), S_OK);
	read_file(e, 2 * 512, back, 512);
	assert_int_equal(back[0], 0x33);
	assert_int_equal(back[511], 0x33);
}

static void test_flush(void **state)
{
	struct env *e = *state;
	uint32_t used;

	assert_int_equal(request(e, T_FLUSH, 0, 0, false, &used), S_OK);
	assert_int_equal(used, 1);
}

/* pause: a request the driver made available but whose doorbell the I/O
 * thread has not served yet completes in vk_virtio_quiesce(). */
static void queue_write_unkicked(struct env *e, uint64_t sector, uint8_t fill)
{
	struct fake_buf bufs[3] = { { HDR, 16, false }, { DATA, 512, false }, { STATUS, 1, true } };

	put_header(e, T_OUT, sector);
	memset(fake_host(e->mem, DATA), fill, 512);
	fake_ring_add(&e->ring[0], bufs, 3);
}

static void test_quiesce_completes_queued_requests(void **state)
{
	struct env *e = *state;
	uint16_t before = fake_ring_used_idx(&e->ring[0]);
	uint8_t back[512];

	queue_write_unkicked(e, 9, 0x6b);
	assert_int_equal(vk_virtio_quiesce(e->vdev), 0);
	assert_int_equal(fake_ring_used_idx(&e->ring[0]), (uint16_t)(before + 1));
	assert_int_equal(*(uint8_t *)fake_host(e->mem, STATUS), S_OK);
	read_file(e, 9 * 512, back, 512);
	assert_int_equal(back[0], 0x6b);
	assert_int_equal(back[511], 0x6b);
}

static void test_quiesce_runs_on_the_io_thread(void **state)
{
	struct env *e = *state;
	uint16_t before = fake_ring_used_idx(&e->ring[0]);
	uint8_t back[1];

	assert_int_equal(vk_iothread_start(&e->vdev->io, "blk0-test"), 0);
	queue_write_unkicked(e, 11, 0x4c);
	assert_int_equal(vk_virtio_quiesce(e->vdev), 0);
	/* Complete when the call returns: no waiting on the thread afterwards. */
	assert_int_equal(fake_ring_used_idx(&e->ring[0]), (uint16_t)(before + 1));
	read_file(e, 11 * 512, back, 1);
	assert_int_equal(back[0], 0x4c);
	vk_iothread_stop(&e->vdev->io);
}

static void test_quiesce_after_reset_only_flushes(void **state)
{
	struct env *e = *state;
	uint16_t before = fake_ring_used_idx(&e->ring[0]);

	queue_write_unkicked(e, 13, 0x11);
	vk_errorx(EINVAL, "test: the driver broke a rule");
	vk_virtio_set_needs_reset(e->vdev);
	assert_int_equal(vk_virtio_quiesce(e->vdev), 0);
	assert_int_equal(fake_ring_used_idx(&e->ring[0]), before);
}

static void test_get_id_returns_serial(void **state)
{
	struct env *e = *state;
	uint32_t used;

	memset(fake_host(e->mem, DATA), 0xff, 20);
	assert_int_equal(request(e, T_GET_ID, 0, 20, true, &used), S_OK);
	assert_int_equal(used, 21);
	assert_memory_equal(fake_host(e->mem, DATA), "vkit-serial-0001\0\0\0\0", 20);
}

static void test_get_id_short_buffer(void **state)
{
	struct env *e = *state;
	uint32_t used;

	assert_int_equal(request(e, T_GET_ID, 0, 4, true, &used), S_OK);
	assert_int_equal(used, 5);
	assert_memory_equal(fake_host(e->mem, DATA), "vkit", 4);
}

static void put_range(struct env *e, unsigned i, uint64_t sector, uint32_t n, uint32_t flags)
{
	uint8_t *seg = (uint8_t *)fake_host(e->mem, DATA) + 16 * i;

	memcpy(seg, &sector, 8);
	memcpy(seg + 8, &n, 4);
	memcpy(seg + 12, &flags, 4);
}

static void test_discard_reads_back_zeros(void **state)
{
	struct env *e = *state;
	uint8_t back[4096], zero[4096] = { 0 };

	put_range(e, 0, 8, 8, 0);
	put_range(e, 1, 32, 8, 0);
	assert_int_equal(request(e, T_DISCARD, 0, 32, false, NULL), S_OK);
	read_file(e, 8 * 512, back, 4096);
	assert_memory_equal(back, zero, 4096);
	read_file(e, 32 * 512, back, 4096);
	assert_memory_equal(back, zero, 4096);
	read_file(e, 16 * 512, back, 1);
	assert_int_equal(back[0], pattern(16 * 512));
}

static void test_write_zeroes(void **state)
{
	struct env *e = *state;
	uint8_t back[512], zero[512] = { 0 };

	put_range(e, 0, 100, 1, 1 /* unmap allowed */);
	assert_int_equal(request(e, T_WRITE_ZEROES, 0, 16, false, NULL), S_OK);
	read_file(e, 100 * 512, back, 512);
	assert_memory_equal(back, zero, 512);
}

static void test_discard_out_of_range_refused(void **state)
{
	struct env *e = *state;

	put_range(e, 0, SECTORS - 4, 8, 0);
	assert_int_equal(request(e, T_DISCARD, 0, 16, false, NULL), S_IOERR);
	put_range(e, 0, UINT64_MAX / 256, 8, 0);
	assert_int_equal(request(e, T_DISCARD, 0, 16, false, NULL), S_IOERR);
	put_range(e, 0, 0, 8, 0x80);	/* unknown flag */
	assert_int_equal(request(e, T_DISCARD, 0, 16, false, NULL), S_IOERR);
	assert_int_equal(request(e, T_DISCARD, 0, 15, false, NULL), S_UNSUPP);	/* partial segment */
}

static void test_read_past_end_refused(void **state)
{
	struct env *e = *state;

	assert_int_equal(request(e, T_IN, SECTORS - 1, 1024, true, NULL), S_IOERR);
	assert_int_equal(request(e, T_IN, SECTORS, 512, true, NULL), S_IOERR);
	/* sector * 512 would wrap to a small offset */
	assert_int_equal(request(e, T_IN, (UINT64_MAX / 512) + 2, 512, true, NULL), S_IOERR);
	assert_int_equal(request(e, T_IN, SECTORS - 1, 512, true, NULL), S_OK);
}

static void test_write_past_end_refused(void **state)
{
	struct env *e = *state;

	assert_int_equal(request(e, T_OUT, SECTORS, 512, false, NULL), S_IOERR);
	assert_int_equal(request(e, T_OUT, UINT64_MAX, 512, false, NULL), S_IOERR);
}

static void test_partial_sector_refused(void **state)
{
	struct env *e = *state;

	assert_int_equal(request(e, T_IN, 0, 100, true, NULL), S_IOERR);
	assert_int_equal(request(e, T_OUT, 0, 700, false, NULL), S_IOERR);
}

static void test_short_header_refused(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[] = { { HDR, 8, false }, { STATUS, 1, true } };

	put_header(e, T_IN, 0);
	assert_int_equal(submit(e, bufs, 2, NULL), S_IOERR);
	assert_false(fake_bar_read(e->vdev, C(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_unknown_type_unsupported(void **state)
{
	struct env *e = *state;

	assert_int_equal(request(e, 99, 0, 0, false, NULL), S_UNSUPP);
}

static void test_no_status_byte_needs_reset(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[] = { { HDR, 16, false }, { DATA, 512, false } };

	put_header(e, T_OUT, 0);
	assert_int_equal(submit(e, bufs, 2, NULL), -1);
	assert_true(fake_bar_read(e->vdev, C(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_data_buffer_outside_ram_needs_reset(void **state)
{
	struct env *e = *state;
	struct fake_buf bufs[] = { { HDR, 16, false }, { (1 << 20) - 256, 512, true },
				   { STATUS, 1, true } };

	put_header(e, T_IN, 0);
	assert_int_equal(submit(e, bufs, 3, NULL), -1);
	assert_true(fake_bar_read(e->vdev, C(STATUS), 1) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static void test_readonly_offers_ro_and_refuses_writes(void **state)
{
	struct env *e = *state;
	uint8_t back[512];

	fake_bar_write(e->vdev, C(DFSELECT), 0, 4);
	assert_true(fake_bar_read(e->vdev, C(DF), 4) & (1u << F_RO));
	assert_false(fake_bar_read(e->vdev, C(DF), 4) & (1u << F_DISCARD));
	memset(fake_host(e->mem, DATA), 0x77, 512);
	assert_int_equal(request(e, T_OUT, 1, 512, false, NULL), S_IOERR);
	put_range(e, 0, 0, 8, 0);
	assert_int_equal(request(e, T_DISCARD, 0, 16, false, NULL), S_IOERR);
	read_file(e, 512, back, 512);
	assert_int_equal(back[0], pattern(512));
	assert_int_equal(request(e, T_IN, 1, 512, true, NULL), S_OK);
}

static void test_missing_image_reported(void **state)
{
	struct vk_blk_config cfg = { .path = "/nonexistent/vkit/disk.img", .format = VK_IMAGE_RAW };
	struct vk_virtio_dev *v = NULL;

	assert_true(vk_virtio_blk_create(NULL, &cfg, "blk9", &v) < 0);
	assert_null(v);
	cfg.path = "/dev/null";
	cfg.serial = "012345678901234567890";	/* 21 bytes */
	assert_int_equal(vk_virtio_blk_create(NULL, &cfg, "blk9", &v), -EINVAL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T_RO(f) cmocka_unit_test_setup_teardown(f, setup_ro, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_config_reports_capacity),
		T(test_read_sectors),
		T(test_read_scattered_across_indirect_buffers),
		T(test_write_sectors),
		T(test_write_with_data_in_header_buffer),
		T(test_flush),
		T(test_quiesce_completes_queued_requests),
		T(test_quiesce_runs_on_the_io_thread),
		T(test_quiesce_after_reset_only_flushes),
		T(test_get_id_returns_serial),
		T(test_get_id_short_buffer),
		T(test_discard_reads_back_zeros),
		T(test_write_zeroes),
		T(test_discard_out_of_range_refused),
		T(test_read_past_end_refused),
		T(test_write_past_end_refused),
		T(test_partial_sector_refused),
		T(test_short_header_refused),
		T(test_unknown_type_unsupported),
		T(test_no_status_byte_needs_reset),
		T(test_data_buffer_outside_ram_needs_reset),
		T_RO(test_readonly_offers_ro_and_refuses_writes),
		cmocka_unit_test(test_missing_image_reported),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
