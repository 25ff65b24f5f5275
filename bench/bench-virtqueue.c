/* bench-virtqueue.c - cost of validated virtqueue handling and of a virtio-blk read, against unchecked references in the same run. */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices.h"
#include "vmm/virtio/virtio.h"

/*
 * Prints ratios, not verdicts: "validated / unchecked" for the descriptor
 * walk, and "virtio-blk 4 KiB read / pread of 4 KiB" for the device path.
 * Both sides run here, now, on the same data, so the ratio means
 * something on any machine.
 */

#define QSIZE	256
#define ROUNDS	2000000
#define BLK_ROUNDS 200000
#define HDR	0x80000
#define DATA	0x81000
#define STATUS	0x90000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The reference: walk the same chain without any check. */
static volatile uint64_t sink;
static void unchecked_walk(struct vk_guest_memory *mem, struct fake_ring *r, uint16_t *last)
{
	uint16_t *avail = fake_host(mem, r->avail);
	uint8_t *desc = fake_host(mem, r->desc), *used = fake_host(mem, r->used);
	uint16_t head = avail[2 + *last % r->size], idx = head;
	uint64_t total = 0;

	for (;;) {
		struct virtq_desc d;

		memcpy(&d, desc + 16 * idx, 16);
		total += (uintptr_t)(mem->regions[0].host + d.addr) + d.len;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = d.next;
	}
	memcpy(used + 4 + 8 * (*last % r->size), &head, 2);
	(*last)++;
	sink = total;
}

static double bench_walk(struct vk_guest_memory *mem, bool checked)
{
	struct fake_ring r;
	struct vk_virtq q = { .name = "bench", .size = QSIZE, .desc_gpa = 0x10000,
			      .avail_gpa = 0x11000, .used_gpa = 0x12000 };
	static struct vk_virtq_chain c;
	struct fake_buf bufs[] = { { HDR, 16, false }, { DATA, 4096, true }, { STATUS, 1, true } };
	uint16_t last = 0;
	double t0;

	fake_ring_init(&r, mem, 0x10000, QSIZE);
	if (vk_virtq_enable(&q, mem) < 0)
		exit(1);
	t0 = now();
	for (unsigned i = 0; i < ROUNDS; i++) {
		r.next_free = 0;
		fake_ring_add(&r, bufs, 3);
		if (checked) {
			if (vk_virtq_pop(&q, &c) != 1)
				exit(1);
			vk_virtq_push(&q, c.head, 4097);
		} else {
			unchecked_walk(mem, &r, &last);
		}
	}
	return (now() - t0) / ROUNDS * 1e9;
}

static double bench_blk(struct vk_guest_memory *mem, const char *path, bool device)
{
	struct vk_blk_config cfg = { .path = path, .format = VK_IMAGE_RAW };
	struct fake_buf bufs[] = { { HDR, 16, false }, { DATA, 4096, true }, { STATUS, 1, true } };
	struct vk_pci_bus pci = { .m = FAKE_MACHINE, .next_bar = VK_PCI_MMIO_BASE, .n_devs = 1 };
	struct vk_virtio_dev *vdev;
	struct fake_ring ring[1];
	uint8_t *hdr = fake_host(mem, HDR);
	double t0, t;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || vk_virtio_blk_create(mem, &cfg, "blk0", &vdev) < 0 ||
	    vk_pci_bus_add(&pci, &vdev->pci) < 0 || vk_virtio_realize(vdev) < 0)
		exit(1);
	fake_driver_start(vdev, ring, 1, 0, QSIZE);
	memset(hdr, 0, 16);		/* VIRTIO_BLK_T_IN, sector 0 */
	t0 = now();
	for (unsigned i = 0; i < BLK_ROUNDS; i++) {
		if (device) {
			ring[0].next_free = 0;
			fake_ring_add(&ring[0], bufs, 3);
			vk_virtio_kick(vdev, 0);
		} else if (pread(fd, fake_host(mem, DATA), 4096, 0) != 4096) {
			exit(1);
		}
	}
	t = (now() - t0) / BLK_ROUNDS * 1e9;
	vk_virtio_destroy(vdev);
	close(fd);
	return t;
}

int main(void)
{
	struct vk_guest_memory *mem = fake_mem_new(1 << 20);
	char path[] = "/tmp/vkit-bench-blk.XXXXXX";
	int fd = mkstemp(path);
	double ref, val, pr, dev;

	if (!mem || fd < 0 || ftruncate(fd, 1 << 20) < 0)
		return 1;
	close(fd);
	ref = bench_walk(mem, false);
	val = bench_walk(mem, true);
	pr = bench_blk(mem, path, false);
	dev = bench_blk(mem, path, true);
	unlink(path);
	printf("virtqueue 3-descriptor chain: validated pop+push %.1f ns, unchecked walk %.1f ns, ratio %.2f\n",
	       val, ref, val / ref);
	printf("virtio-blk 4 KiB read (page cache): device path %.0f ns, pread %.0f ns, ratio %.2f\n",
	       dev, pr, dev / pr);
	fake_mem_free(mem);
	return 0;
}
