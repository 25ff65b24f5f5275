/* fake-bus.c - a minimal vmm/bus.h (linear search, no overlap checks beyond the obvious) for device unit tests. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/bus.h"

int vk_bus_register(struct vk_bus *bus, uint64_t base, uint64_t len,
		    vk_io_handler handler, void *opaque, const char *name)
{
	struct vk_io_range *r;

	if (bus->sealed)
		return -EPERM;
	for (size_t i = 0; i < bus->n; i++)
		if (base < bus->ranges[i].base + bus->ranges[i].len && bus->ranges[i].base < base + len)
			return -EBUSY;
	r = realloc(bus->ranges, (bus->n + 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	bus->ranges = r;
	bus->ranges[bus->n++] = (struct vk_io_range){ base, len, handler, opaque, name };
	return 0;
}

void vk_bus_seal(struct vk_bus *bus)
{
	bus->sealed = true;
}

bool vk_bus_dispatch(const struct vk_bus *bus, uint64_t addr, uint8_t *data,
		     unsigned len, bool is_write)
{
	for (size_t i = 0; i < bus->n; i++) {
		const struct vk_io_range *r = &bus->ranges[i];

		if (addr >= r->base && addr - r->base + len <= r->len) {
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
