/* fake-driver.c - a test-side virtio driver: writes descriptors and rings into fake guest memory, drives BAR 0. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tests/unit/fake-driver.h"

void *fake_host(const struct vk_guest_memory *mem, uint64_t gpa)
{
	void *p = vk_gpa_to_host(mem, gpa, 1);

	if (!p)
		abort();	/* a broken test, not a device bug */
	return p;
}

void fake_ring_init(struct fake_ring *r, const struct vk_guest_memory *mem, uint64_t base, uint16_t size)
{
	memset(r, 0, sizeof(*r));
	r->mem = mem;
	r->desc = base;
	r->avail = base + 0x1000;
	r->used = base + 0x2000;
	r->size = size;
	memset(fake_host(mem, base), 0, 0x3000);
}

void fake_write_desc(const struct vk_guest_memory *mem, uint64_t table, unsigned i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = fake_host(mem, table + 16ull * i);

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

void fake_ring_set_desc(struct fake_ring *r, unsigned i, uint64_t addr, uint32_t len,
			uint16_t flags, uint16_t next)
{
	fake_write_desc(r->mem, r->desc, i, addr, len, flags, next);
}

void fake_ring_publish(struct fake_ring *r, uint16_t head)
{
	uint16_t *avail = fake_host(r->mem, r->avail);

	avail[2 + r->avail_idx % r->size] = head;
	r->avail_idx++;
	__atomic_store_n(&avail[1], r->avail_idx, __ATOMIC_RELEASE);
}

uint16_t fake_ring_add(struct fake_ring *r, const struct fake_buf *bufs, unsigned n)
{
	uint16_t head = r->next_free;

	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (head + i) % r->size, next = (head + i + 1) % r->size;
		uint16_t flags = (bufs[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);

		fake_ring_set_desc(r, idx, bufs[i].addr, bufs[i].len, flags, next);
	}
	r->next_free = (head + n) % r->size;
	fake_ring_publish(r, head);
	return head;
}

uint16_t fake_ring_used_idx(const struct fake_ring *r)
{
	uint16_t *used = fake_host(r->mem, r->used);

	return __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);
}

void fake_ring_used(const struct fake_ring *r, unsigned i, uint32_t *id, uint32_t *len)
{
	uint8_t *e = fake_host(r->mem, r->used + 4 + 8ull * (i % r->size));

	memcpy(id, e, 4);
	memcpy(len, e + 4, 4);
}

void fake_ring_set_used_event(struct fake_ring *r, uint16_t v)
{
	uint16_t *avail = fake_host(r->mem, r->avail);

	avail[2 + r->size] = v;
}

uint16_t fake_ring_avail_event(const struct fake_ring *r)
{
	uint16_t v;

	memcpy(&v, fake_host(r->mem, r->used + 4 + 8ull * r->size), 2);
	return v;
}

uint64_t fake_bar_read(struct vk_virtio_dev *vdev, uint64_t off, unsigned len)
{
	uint8_t data[8] = { 0 };
	uint64_t v = 0;

	pthread_mutex_lock(&vdev->pci.lock);
	vk_virtio_bar_io(vdev, off, data, len, false);
	pthread_mutex_unlock(&vdev->pci.lock);
	memcpy(&v, data, len);
	return v;
}

void fake_bar_write(struct vk_virtio_dev *vdev, uint64_t off, uint64_t val, unsigned len)
{
	uint8_t data[8];

	memcpy(data, &val, len);
	pthread_mutex_lock(&vdev->pci.lock);
	vk_virtio_bar_io(vdev, off, data, len, true);
	pthread_mutex_unlock(&vdev->pci.lock);
}

uint8_t fake_driver_start(struct vk_virtio_dev *vdev, struct fake_ring *rings, unsigned n_queues,
			  uint64_t extra_features, uint16_t qsize)
{
	uint64_t features = 1ull << VIRTIO_F_VERSION_1 | extra_features;
	const uint64_t c = VK_VIRTIO_BAR_COMMON;

	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_STATUS, 0, 1);
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_STATUS,
		       VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER, 1);
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_GF, (uint32_t)features, 4);
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_GF, features >> 32, 4);
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_MSIX, 0, 2);
	for (unsigned q = 0; q < n_queues; q++) {
		struct fake_ring *r = &rings[q];

		fake_ring_init(r, vdev->mem, 0x10000ull * (q + 1), qsize);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_SELECT, q, 2);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_SIZE, qsize, 2);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_MSIX, q + 1, 2);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_DESCLO, r->desc, 4);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_DESCHI, 0, 4);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_AVAILLO, r->avail, 4);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_USEDLO, r->used, 4);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_USEDHI, 0, 4);
		fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
	}
	fake_bar_write(vdev, c + VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
		       VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
		       VIRTIO_CONFIG_S_DRIVER_OK, 1);
	return fake_bar_read(vdev, c + VIRTIO_PCI_COMMON_STATUS, 1);
}

uint32_t fake_conf1_read(const struct vk_bus *pio, unsigned slot, unsigned reg, unsigned len)
{
	uint32_t addr = 0x80000000u | slot << 11 | (reg & 0xfc), v = 0;

	vk_bus_dispatch(pio, 0xcf8, (uint8_t *)&addr, 4, true);
	vk_bus_dispatch(pio, 0xcfc + (reg & 3), (uint8_t *)&v, len, false);
	return v;
}

void fake_conf1_write(const struct vk_bus *pio, unsigned slot, unsigned reg, uint32_t v, unsigned len)
{
	uint32_t addr = 0x80000000u | slot << 11 | (reg & 0xfc);

	vk_bus_dispatch(pio, 0xcf8, (uint8_t *)&addr, 4, true);
	vk_bus_dispatch(pio, 0xcfc + (reg & 3), (uint8_t *)&v, len, true);
}
