/* bus.h - port-I/O and MMIO ranges that devices register and the vCPU loop dispatches. */
#ifndef VK_BUS_H
#define VK_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Devices register their ranges at init, before any vCPU runs; after that
 * the table is read-only, so dispatch takes no lock and allocates nothing
 * (a sorted array and a binary search).  The handler gets the offset within
 * its range; data is len (1, 2, 4 or 8) bytes, little-endian, read or written
 * in place.  An access nobody claims reads as all ones and is dropped.
 */

typedef void (*vk_io_handler)(void *opaque, uint64_t offset, uint8_t *data,
			      unsigned len, bool is_write);

struct vk_io_range {
	uint64_t base, len;
	vk_io_handler handler;
	void *opaque;
	const char *name;	/* for debug dumps */
};

struct vk_bus {
	struct vk_io_range *ranges;	/* sorted by base, non-overlapping */
	size_t n, cap;
	bool sealed;			/* no registration after vCPUs start */
};

/* -EBUSY (with a message naming both devices) on overlap, -EPERM once sealed. */
int vk_bus_register(struct vk_bus *bus, uint64_t base, uint64_t len,
		    vk_io_handler handler, void *opaque, const char *name);
void vk_bus_seal(struct vk_bus *bus);
/* Returns false when no range claims [addr, addr+len). */
bool vk_bus_dispatch(const struct vk_bus *bus, uint64_t addr, uint8_t *data,
		     unsigned len, bool is_write);
void vk_bus_free(struct vk_bus *bus);

#endif
