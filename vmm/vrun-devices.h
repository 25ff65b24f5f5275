/* vrun-devices.h - vrun's --disk, --cdrom, --net and --rng options turned into the PCI device models. */
#ifndef VK_VRUN_DEVICES_H
#define VK_VRUN_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/devices.h"
#include "vmm/machine.h"

/* The device options as given (NULL-terminated lists, NULL if none). */
struct vrun_device_options {
	const char *const *disks;	/* --disk SPEC; device=cdrom ones go on AHCI */
	const char *const *cdroms;	/* --cdrom FILE: raw CD-ROM images, after --disk's */
	const char *const *nets;	/* --net SPEC */
	bool rng;			/* --rng */
	bool pc_chipset;		/* firmware boot: a PCI bus always, i440FX + PIIX3 */
	const uint8_t *net_rom;		/* every NIC's option ROM (iPXE), or NULL */
	size_t net_rom_len;
};

/* Parse each value and add the devices in that order, then virtio-rng;
 * *out stays NULL when there are none and no chipset is asked for.  Call
 * before the buses are sealed. */
int vrun_devices_create(struct vk_machine *m, const struct vrun_device_options *o,
			struct vk_devices **out);

#endif
