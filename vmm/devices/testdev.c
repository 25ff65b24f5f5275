/* devices/testdev.c - the vkit test device: power off with a status, and scratch registers for dispatch tests. */
#include "config.h"

#include <string.h>

#include "vmm/devices/legacy.h"
#include "vmm/machine.h"

static void scratch_access(uint32_t *reg, uint8_t *data, unsigned len, bool is_write)
{
	if (len > sizeof(*reg))
		len = sizeof(*reg);
	if (is_write) {
		*reg = 0;
		memcpy(reg, data, len);
	} else {
		memcpy(data, reg, len);
	}
}

static void exit_port(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_testdev *t = opaque;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	vk_machine_stop(t->m, data[0], "guest wrote %u to the vkit test device", data[0]);
}

static void scratch_port(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_testdev *t = opaque;

	scratch_access(&t->port_scratch, data, len, is_write);
}

static void scratch_mmio(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_testdev *t = opaque;

	scratch_access(&t->mmio_scratch, data, len, is_write);
}

void vk_testdev_reset(struct vk_testdev *t)
{
	t->port_scratch = t->mmio_scratch = 0;
}

int vk_testdev_init(struct vk_testdev *t, struct vk_machine *m, struct vk_bus *pio, struct vk_bus *mmio)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->m = m;
	rc = vk_bus_register(pio, VK_TESTDEV_EXIT_PORT, 1, exit_port, t, "vkit test device exit");
	if (rc == 0)
		rc = vk_bus_register(pio, VK_TESTDEV_SCRATCH_PORT, 4, scratch_port, t, "vkit test device port");
	if (rc == 0)
		rc = vk_bus_register(mmio, VK_TESTDEV_MMIO, 4, scratch_mmio, t, "vkit test device MMIO");
	return rc;
}

static void ignore(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	if (!is_write)
		memset(data, 0xff, len);
}

#define POST_PORT	0x80
int vk_post_port_init(struct vk_bus *pio)
{
	return vk_bus_register(pio, POST_PORT, 1, ignore, NULL, "POST port");
}
