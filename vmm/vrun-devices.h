/* vrun-devices.h - vrun's --disk and --net options turned into the PCI/virtio device models. */
#ifndef VK_VRUN_DEVICES_H
#define VK_VRUN_DEVICES_H

#include "vmm/devices.h"
#include "vmm/machine.h"

/* Parse each --disk and --net value (NULL-terminated lists) and add the
 * devices; *out stays NULL when there are none.  Call before the buses are
 * sealed. */
int vrun_devices_create(struct vk_machine *m, const char *const *disks, const char *const *nets,
			struct vk_devices **out);

#endif
