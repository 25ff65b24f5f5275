/* guest-memory.h - guest RAM and the one bounds-checked guest-physical translation. */
#ifndef VK_GUEST_MEMORY_H
#define VK_GUEST_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every guest-physical address a device or the loader touches goes through
 * vk_gpa_to_host(): a range that is not entirely inside one RAM region
 * (wrap-around, the PCI hole, past the end) gives NULL, never a pointer.
 * Unit tests build a vk_guest_memory over a malloc'd buffer.
 */

#define VK_GUEST_MEM_MAX_REGIONS 4

struct vk_mem_region {
	uint64_t gpa;		/* guest-physical start */
	uint64_t size;
	uint8_t *host;		/* host mapping of the region */
};

struct vk_guest_memory {
	struct vk_mem_region regions[VK_GUEST_MEM_MAX_REGIONS];
	unsigned n_regions;
	uint64_t ram_size;	/* total of all regions */
};

/* Host pointer to [gpa, gpa+len), or NULL unless all of it is in one region.
 * len 0 is treated as 1. */
void *vk_gpa_to_host(const struct vk_guest_memory *mem, uint64_t gpa, uint64_t len);

/* Copies; -EFAULT when the range is not guest RAM. */
int vk_gpa_read(const struct vk_guest_memory *mem, uint64_t gpa, void *dst, size_t len);
int vk_gpa_write(const struct vk_guest_memory *mem, uint64_t gpa, const void *src, size_t len);

#endif
