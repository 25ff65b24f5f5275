/* bus.c - port-I/O and MMIO range registration and lock-free dispatch. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "vmm/bus.h"

int vk_bus_register(struct vk_bus *bus, uint64_t base, uint64_t len,
		    vk_io_handler handler, void *opaque, const char *name)
{
	size_t pos;

	if (bus->sealed)
		return vk_errorx(EPERM, "%s: cannot register I/O range after the vCPUs started", name);
	if (len == 0 || len - 1 > UINT64_MAX - base || !handler)
		return vk_errorx(EINVAL, "%s: bad I/O range 0x%llx+0x%llx", name,
				 (unsigned long long)base, (unsigned long long)len);
	for (pos = 0; pos < bus->n && bus->ranges[pos].base < base; pos++)
		;
	/* Only the neighbours can overlap a sorted, non-overlapping table. */
	if (pos > 0) {
		const struct vk_io_range *prev = &bus->ranges[pos - 1];

		if (base - prev->base < prev->len)
			return vk_errorx(EBUSY, "%s: I/O range 0x%llx+0x%llx overlaps %s",
					 name, (unsigned long long)base,
					 (unsigned long long)len, prev->name);
	}
	if (pos < bus->n && bus->ranges[pos].base - base < len)
		return vk_errorx(EBUSY, "%s: I/O range 0x%llx+0x%llx overlaps %s",
				 name, (unsigned long long)base,
				 (unsigned long long)len, bus->ranges[pos].name);
	if (bus->n == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;
		struct vk_io_range *r = realloc(bus->ranges, cap * sizeof(*r));

		if (!r)
			return vk_error(ENOMEM, "%s", name);
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos], (bus->n - pos) * sizeof(*bus->ranges));
	bus->ranges[pos] = (struct vk_io_range){ base, len, handler, opaque, name };
	bus->n++;
	return 0;
}

void vk_bus_seal(struct vk_bus *bus)
{
	bus->sealed = true;
}

bool vk_bus_dispatch(const struct vk_bus *bus, uint64_t addr, uint8_t *data,
		     unsigned len, bool is_write)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vk_io_range *r = &bus->ranges[mid];

		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->len) {
			lo = mid + 1;
		} else {
			/* The whole access must be inside the range. */
			if (len > r->len - (addr - r->base))
				break;
			r->handler(r->opaque, addr - r->base, data, len, is_write);
			return true;
		}
	}
	if (!is_write)
		memset(data, 0xff, len);
	return false;
}

void vk_bus_free(struct vk_bus *bus)
{
	free(bus->ranges);
	memset(bus, 0, sizeof(*bus));
}
