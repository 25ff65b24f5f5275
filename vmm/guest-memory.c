/* guest-memory.c - the one bounds-checked guest-physical to host translation. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vmm/guest-memory.h"

void *vk_gpa_to_host(const struct vk_guest_memory *mem, uint64_t gpa, uint64_t len)
{
	if (len == 0)
		len = 1;
	/* gpa + len - 1 must not wrap: checked before any region is looked at. */
	if (len - 1 > UINT64_MAX - gpa)
		return NULL;
	for (unsigned i = 0; i < mem->n_regions && i < VK_GUEST_MEM_MAX_REGIONS; i++) {
		const struct vk_mem_region *r = &mem->regions[i];

		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len > r->size - (gpa - r->gpa))
			return NULL;	/* runs off the end of this region */
		return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int vk_gpa_read(const struct vk_guest_memory *mem, uint64_t gpa, void *dst, size_t len)
{
	const void *src = vk_gpa_to_host(mem, gpa, len);

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
