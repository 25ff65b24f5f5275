/* vrun-devices.h - vrun's --disk, --net and --rng options turned into the PCI/virtio device models. */
#ifndef VK_VRUN_DEVICES_H
#define VK_VRUN_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/devices.h"
#include "vmm/machine.h"

struct vrun_device_options {
	const char *const *disks, *const *nets;	/* NULL-terminated --disk and --net values */
	bool rng;
	bool pc_chipset;		/* firmware boot: a PCI bus always, i440FX + PIIX3 */
	const uint8_t *net_rom;		/* every NIC's option ROM (iPXE), or NULL */
	size_t net_rom_len;
};

/* Parse each --disk and --net value and add the devices, then virtio-rng
 * when rng is set; *out stays NULL when there are none and no chipset is
 * asked for.  Call before the buses are sealed. */
int vrun_devices_create(struct vk_machine *m, const struct vrun_device_options *opt,
			struct vk_devices **out);

#endif
