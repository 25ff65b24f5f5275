/* vrun-devices.c - vrun's --disk, --cdrom, --net and --rng options turned into the PCI device models. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/util/error.h"
#include "common/image/image.h"
#include "common/util/subopt.h"
#include "vmm/vrun-devices.h"

static const char *const disk_keys[] = { "path", "format", "readonly", "serial", "device", NULL };
static const char *const net_keys[] = { "bridge", "tap", "mac", NULL };

/* device=cdrom: a read-only CD/DVD drive on the AHCI controller. */
static int add_cdrom_disk(struct vk_devices *d, const char *spec, const struct vk_blk_config *blk,
			  bool readonly_given)
{
	struct vk_cdrom_config cfg = { .path = blk->path, .format = blk->format, .serial = blk->serial };

	if (readonly_given && !blk->readonly)
		return vk_errorx(EINVAL, "--disk %s: a CD-ROM is always read-only; drop readonly=off", spec);
	return vk_cdrom_add(d, &cfg);
}

static int add_disk(struct vk_devices *d, const char *spec)
{
	struct vk_subopts so = { 0 };
	struct vk_blk_config cfg = { .format = VK_IMAGE_RAW };
	const char *format, *device;
	int rc = vk_subopts_parse(spec, disk_keys, "path", "--disk", &so);

	if (rc < 0)
		return rc;
	cfg.path = vk_subopts_get(&so, "path");
	cfg.serial = vk_subopts_get(&so, "serial");	/* the device checks its length */
	format = vk_subopts_get(&so, "format");
	device = vk_subopts_get(&so, "device");
	if (!cfg.path || !*cfg.path)
		rc = vk_errorx(EINVAL, "--disk %s: path=FILE is required", spec);
	if (rc == 0 && format)
		rc = vk_image_format_parse(format, &cfg.format);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "readonly", "--disk", &cfg.readonly);
	if (rc == 0 && device && strcmp(device, "disk") && strcmp(device, "cdrom"))
		rc = vk_errorx(EINVAL, "--disk %s: device=%s: give disk or cdrom", spec, device);
	if (rc == 0 && device && !strcmp(device, "cdrom"))
		rc = add_cdrom_disk(d, spec, &cfg, vk_subopts_get(&so, "readonly") != NULL);
	else if (rc == 0)
		rc = vk_virtio_blk_add(d, &cfg);
	vk_subopts_free(&so);
	return rc;
}

static int add_net(struct vk_devices *d, const char *spec, const struct vrun_device_options *opt)
{
	struct vk_subopts so = { 0 };
	struct vk_net_config cfg = { .fd = -1, .rom = opt->net_rom, .rom_len = opt->net_rom_len };
	const char *bridge, *tap;
	int rc = vk_subopts_parse(spec, net_keys, NULL, "--net", &so);

	if (rc < 0)
		return rc;
	bridge = vk_subopts_get(&so, "bridge");
	tap = vk_subopts_get(&so, "tap");
	cfg.mac = vk_subopts_get(&so, "mac");
	if (!bridge == !tap) {
		rc = vk_errorx(EINVAL, "--net %s: give one of bridge=BR and tap=NAME", spec);
	} else {
		cfg.backend = bridge ? VK_NET_BRIDGE : VK_NET_TAP;
		cfg.source = bridge ? bridge : tap;
		rc = vk_virtio_net_add(d, &cfg);
	}
	vk_subopts_free(&so);
	return rc;
}

static void pci_reset(void *opaque)
{
	vk_machine_request_reset(opaque, VK_RESET_PIIX);
}

int vrun_devices_create(struct vk_machine *m, const struct vrun_device_options *o,
			struct vk_devices **out)
{
	const char *const *disks = o->disks, *const *cdroms = o->cdroms, *const *nets = o->nets;
	struct vk_devices *d = NULL;
	int rc;

	*out = NULL;
	if ((!disks || !disks[0]) && (!cdroms || !cdroms[0]) && (!nets || !nets[0]) && !o->rng &&
	    !o->pc_chipset)
		return 0;	/* no PCI at all: nothing to probe, faster boots */
	rc = vk_devices_init(m, &m->mem, &m->pio, &m->mmio, &d);
	if (rc == 0 && o->pc_chipset)
		rc = vk_devices_add_pc_chipset(d, pci_reset, m);
	for (size_t i = 0; rc == 0 && disks && disks[i]; i++)
		rc = add_disk(d, disks[i]);
	for (size_t i = 0; rc == 0 && cdroms && cdroms[i]; i++) {
		struct vk_cdrom_config cfg = { .path = cdroms[i], .format = VK_IMAGE_RAW };

		rc = *cdroms[i] ? vk_cdrom_add(d, &cfg) : vk_errorx(EINVAL, "--cdrom: give the image's path");
	}
	for (size_t i = 0; rc == 0 && nets && nets[i]; i++)
		rc = add_net(d, nets[i], o);
	if (rc == 0 && o->rng)
		rc = vk_virtio_rng_add(d);
	if (rc < 0) {
		vk_devices_free(d);
		return rc;
	}
	*out = d;
	return 0;
}
