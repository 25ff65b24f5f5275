/* fake-guest-memory.c - vk_gpa_to_host() and friends for device tests and the fuzzer, until vmm/guest-memory.c lands. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/guest-memory.h"

void *vk_gpa_to_host(const struct vk_guest_memory *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	for (unsigned i = 0; i < mem->n_regions; i++) {
		const struct vk_mem_region *r = &mem->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int vk_gpa_read(const struct vk_guest_memory *mem, uint64_t gpa, void *dst, size_t len)
{
	void *src = vk_gpa_to_host(mem, gpa, len);

	if (!src)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int vk_gpa_write(const struct vk_guest_memory *mem, uint64_t gpa, const void *src, size_t len)
{
	void *dst = vk_gpa_to_host(mem, gpa, len);

	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}
