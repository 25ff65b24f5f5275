/* vrun-devices.h - vrun's --disk, --net and --rng options turned into the PCI/virtio device models. */
#ifndef VK_VRUN_DEVICES_H
#define VK_VRUN_DEVICES_H

#include <stdbool.h>

#include "vmm/devices.h"
#include "vmm/machine.h"

/* Parse each --disk and --net value (NULL-terminated lists) and add the
 * devices, then virtio-rng when rng is set; *out stays NULL when there are
 * none.  Call before the buses are sealed. */
int vrun_devices_create(struct vk_machine *m, const char *const *disks, const char *const *nets,
			bool rng, struct vk_devices **out);

#endif
