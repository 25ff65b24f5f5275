/* vrun-devices.c - vrun's --disk, --net and --rng options turned into the PCI/virtio device models. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "common/image.h"
#include "common/subopt.h"
#include "vmm/vrun-devices.h"

static const char *const disk_keys[] = { "path", "format", "readonly", "serial", NULL };
static const char *const net_keys[] = { "bridge", "tap", "mac", NULL };

static int add_disk(struct vk_devices *d, const char *spec)
{
	struct vk_subopts so = { 0 };
	struct vk_blk_config cfg = { .format = VK_IMAGE_RAW };
	const char *format;
	int rc = vk_subopts_parse(spec, disk_keys, "path", "--disk", &so);

	if (rc < 0)
		return rc;
	cfg.path = vk_subopts_get(&so, "path");
	cfg.serial = vk_subopts_get(&so, "serial");	/* the device checks its length */
	format = vk_subopts_get(&so, "format");
	if (!cfg.path || !*cfg.path)
		rc = vk_errorx(EINVAL, "--disk %s: path=FILE is required", spec);
	if (rc == 0 && format)
		rc = vk_image_format_parse(format, &cfg.format);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "readonly", "--disk", &cfg.readonly);
	if (rc == 0)
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
	vk_machine_stop(opaque, VK_EXIT_REBOOT, "guest rebooted (port 0xCF9)");
}

int vrun_devices_create(struct vk_machine *m, const struct vrun_device_options *opt,
			struct vk_devices **out)
{
	const char *const *disks = opt->disks, *const *nets = opt->nets;
	struct vk_devices *d = NULL;
	int rc;

	*out = NULL;
	if ((!disks || !disks[0]) && (!nets || !nets[0]) && !opt->rng && !opt->pc_chipset)
		return 0;	/* no PCI at all: nothing to probe, faster boots */
	rc = vk_devices_init(m, &m->mem, &m->pio, &m->mmio, &d);
	if (rc == 0 && opt->pc_chipset)
		rc = vk_devices_add_pc_chipset(d, pci_reset, m);
	for (size_t i = 0; rc == 0 && disks && disks[i]; i++)
		rc = add_disk(d, disks[i]);
	for (size_t i = 0; rc == 0 && nets && nets[i]; i++)
		rc = add_net(d, nets[i], opt);
	if (rc == 0 && opt->rng)
		rc = vk_virtio_rng_add(d);
	if (rc < 0) {
		vk_devices_free(d);
		return rc;
	}
	*out = d;
	return 0;
}
