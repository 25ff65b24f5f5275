/* fake-driver.h - a test-side virtio driver: writes descriptors and rings into fake guest memory, drives BAR 0. */
#ifndef VK_FAKE_DRIVER_H
#define VK_FAKE_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/guest-memory.h"
#include "vmm/virtio/virtio.h"

/* One split ring laid out at base: descriptors, avail at +0x1000, used at +0x2000. */
struct fake_ring {
	const struct vk_guest_memory *mem;
	uint64_t desc, avail, used;
	uint16_t size;
	uint16_t avail_idx;
	uint16_t next_free;	/* next descriptor index fake_ring_add() uses */
};

struct fake_buf {
	uint64_t addr;
	uint32_t len;
	bool writable;
};

void fake_ring_init(struct fake_ring *r, const struct vk_guest_memory *mem, uint64_t base, uint16_t size);
void fake_ring_set_desc(struct fake_ring *r, unsigned i, uint64_t addr, uint32_t len,
			uint16_t flags, uint16_t next);
/* Write a descriptor into a table anywhere in guest memory (indirect tables). */
void fake_write_desc(const struct vk_guest_memory *mem, uint64_t table, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next);
void fake_ring_publish(struct fake_ring *r, uint16_t head);
/* Chain bufs[0..n) through free descriptors and publish it; returns the head. */
uint16_t fake_ring_add(struct fake_ring *r, const struct fake_buf *bufs, unsigned n);
uint16_t fake_ring_used_idx(const struct fake_ring *r);
void fake_ring_used(const struct fake_ring *r, unsigned i, uint32_t *id, uint32_t *len);
void fake_ring_set_used_event(struct fake_ring *r, uint16_t v);
uint16_t fake_ring_avail_event(const struct fake_ring *r);
void *fake_host(const struct vk_guest_memory *mem, uint64_t gpa);

/* Config space of bus 0 through ports 0xCF8/0xCFC as a guest reaches it
 * (len 1, 2 or 4 bytes at reg). */
uint32_t fake_conf1_read(const struct vk_bus *pio, unsigned slot, unsigned reg, unsigned len);
void fake_conf1_write(const struct vk_bus *pio, unsigned slot, unsigned reg, uint32_t v, unsigned len);

/* BAR 0 access as the guest makes it (through the device lock). */
uint64_t fake_bar_read(struct vk_virtio_dev *vdev, uint64_t off, unsigned len);
void fake_bar_write(struct vk_virtio_dev *vdev, uint64_t off, uint64_t val, unsigned len);

/* Bring the device to DRIVER_OK the way Linux does: reset, ACK, DRIVER,
 * features (VERSION_1 | extra), FEATURES_OK, queues at 0x10000 * (q + 1)
 * with size qsize, MSI-X vectors q + 1, DRIVER_OK.  Returns the status read back. */
uint8_t fake_driver_start(struct vk_virtio_dev *vdev, struct fake_ring *rings, unsigned n_queues,
			  uint64_t extra_features, uint16_t qsize);

#endif
