/* vrun-devices.c - the one table of vrun's device kinds (legacy and PCI): their options, --help lines and creation. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/image/image.h"
#include "common/util/subopt.h"
#include "vmm/vrun-devices.h"
#include "vmm/x86/firmware.h"

static const char *const disk_keys[] = { "path", "format", "readonly", "serial", "device", NULL };
static const char *const net_keys[] = { "bridge", "tap", "mac", NULL };

static bool firmware_boot(const struct vrun_devices *d)
{
	return d->firmware;
}

/* The firmware's own log (SeaBIOS writes it to port 0x402), with -v. */
static bool firmware_log_wanted(const struct vrun_devices *d)
{
	return d->firmware && vk_debug_level;
}

static int add_serial(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_serial_init(&d->serial, d->machine, &d->machine->pio, VK_COM1_PORT, VK_COM1_GSI,
			      d->console_fd);
}

static int add_fw_cfg(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_fw_cfg_init(&d->fw_cfg, &d->machine->mem, &d->machine->pio);
}

static void reset_fw_cfg(struct vrun_devices *d)
{
	vk_fw_cfg_reset(&d->fw_cfg);
}

static void free_fw_cfg(struct vrun_devices *d)
{
	vk_fw_cfg_free(&d->fw_cfg);
}

static int add_debugcon(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_debugcon_init(&d->debugcon, &d->machine->pio, STDERR_FILENO);
}

static void reset_serial(struct vrun_devices *d)
{
	vk_serial_reset(&d->serial);
}

static void reset_i8042(struct vrun_devices *d)
{
	vk_i8042_reset(&d->i8042);
}

/* The CMOS clock and RAM stay, as on a PC. */
static void reset_rtc(struct vrun_devices *d)
{
	vk_rtc_reset(&d->rtc);
}

static void reset_testdev(struct vrun_devices *d)
{
	vk_testdev_reset(&d->testdev);
}

static void reset_acpi_pm(struct vrun_devices *d)
{
	vk_acpi_pm_reset(&d->pm);
}

static int add_i8042(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_i8042_init(&d->i8042, d->machine, &d->machine->pio);
}

static int add_rtc(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_rtc_init(&d->rtc, &d->machine->pio);
}

static int add_testdev(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_testdev_init(&d->testdev, d->machine, &d->machine->pio, &d->machine->mmio);
}

static int add_post_port(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_post_port_init(&d->machine->pio);
}

static int add_acpi_pm(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_acpi_pm_init(&d->pm, d->machine, &d->machine->pio);
}

static void free_acpi_pm(struct vrun_devices *d)
{
	vk_acpi_pm_free(&d->pm);
}

static void pci_reset(void *opaque)
{
	vk_machine_request_reset(opaque, VK_RESET_PIIX);
}

static int add_pc_chipset(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_devices_add_pc_chipset(d->pci, pci_reset, d->machine);
}

/* device=cdrom: a read-only CD/DVD drive on the AHCI controller. */
static int add_cdrom_disk(struct vk_devices *d, const char *spec, const struct vk_blk_config *blk,
			  bool readonly_given)
{
	struct vk_cdrom_config cfg = { .path = blk->path, .format = blk->format, .serial = blk->serial };

	if (readonly_given && !blk->readonly)
		return vk_errorx(EINVAL, "--disk %s: a CD-ROM is always read-only; drop readonly=off", spec);
	return vk_cdrom_add(d, &cfg);
}

static int add_disk(struct vrun_devices *d, const char *spec)
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
		rc = add_cdrom_disk(d->pci, spec, &cfg, vk_subopts_get(&so, "readonly") != NULL);
	else if (rc == 0)
		rc = vk_virtio_blk_add(d->pci, &cfg);
	vk_subopts_free(&so);
	return rc;
}

static int add_cdrom(struct vrun_devices *d, const char *path)
{
	struct vk_cdrom_config cfg = { .path = path, .format = VK_IMAGE_RAW };

	if (!*path)
		return vk_errorx(EINVAL, "--cdrom: give the image's path");
	return vk_cdrom_add(d->pci, &cfg);
}

static int add_net(struct vrun_devices *d, const char *spec)
{
	struct vk_subopts so = { 0 };
	struct vk_net_config cfg = { .fd = -1 };
	const char *bridge, *tap;
	int rc = vk_subopts_parse(spec, net_keys, NULL, "--net", &so);

	if (rc < 0)
		return rc;
	bridge = vk_subopts_get(&so, "bridge");
	tap = vk_subopts_get(&so, "tap");
	cfg.mac = vk_subopts_get(&so, "mac");
	if (!bridge == !tap)
		rc = vk_errorx(EINVAL, "--net %s: give one of bridge=BR and tap=NAME", spec);
	/* One copy of the ROM serves every NIC. */
	if (rc == 0 && d->net_rom && !d->net_rom_image)
		rc = vk_option_rom_load(VK_PXE_ROM_VIRTIO, VK_VIRTIO_NET_VENDOR, VK_VIRTIO_NET_DEVICE,
					&d->net_rom_image, &d->net_rom_len);
	if (rc == 0) {
		cfg.backend = bridge ? VK_NET_BRIDGE : VK_NET_TAP;
		cfg.source = bridge ? bridge : tap;
		cfg.rom = d->net_rom_image;
		cfg.rom_len = d->net_rom_len;
		rc = vk_virtio_net_add(d->pci, &cfg);
	}
	vk_subopts_free(&so);
	return rc;
}

static void free_net(struct vrun_devices *d)
{
	free(d->net_rom_image);
	d->net_rom_image = NULL;
}

static int add_rng(struct vrun_devices *d, const char *arg)
{
	(void)arg;
	return vk_virtio_rng_add(d->pci);
}

/* Legacy devices first (fixed ports and MMIO addresses, so their order is
 * not guest visible), then the PCI devices in slot order: the chipset, then each
 * option's devices in the order given.  Adding a device kind is one entry
 * here; its --help line is the entry's, under "Devices:". */
const struct vrun_device_kind vrun_device_kinds[] = {
	{ .name = "serial", .add = add_serial, .reset = reset_serial },
	{ .name = "fw_cfg", .wanted = firmware_boot, .add = add_fw_cfg, .reset = reset_fw_cfg, .free = free_fw_cfg },
	{ .name = "debugcon", .wanted = firmware_log_wanted, .add = add_debugcon },
	{ .name = "i8042", .add = add_i8042, .reset = reset_i8042 },
	{ .name = "rtc", .add = add_rtc, .reset = reset_rtc },
	{ .name = "testdev", .add = add_testdev, .reset = reset_testdev },
	{ .name = "post-port", .add = add_post_port },
	{ .name = "acpi-pm", .add = add_acpi_pm, .reset = reset_acpi_pm, .free = free_acpi_pm },
	{ .name = "pc-chipset", .pci = true, .wanted = firmware_boot, .add = add_pc_chipset },
	{ .name = "virtio-blk", .option = "disk", .arg_kind = POPT_ARG_ARGV, .pci = true, .add = add_disk,
	  .descrip = "virtio-blk disk, or with device=cdrom a CD/DVD-ROM on AHCI (repeatable)",
	  .arg_descrip = "path=FILE[,format=raw|qcow2][,readonly=on][,serial=ID][,device=disk|cdrom]" },
	{ .name = "ahci-cdrom", .option = "cdrom", .arg_kind = POPT_ARG_ARGV, .pci = true, .add = add_cdrom,
	  .descrip = "CD/DVD-ROM (raw image, read-only) on AHCI (repeatable, up to 6 CD-ROMs)",
	  .arg_descrip = "FILE" },
	{ .name = "virtio-net", .option = "net", .arg_kind = POPT_ARG_ARGV, .pci = true, .add = add_net,
	  .free = free_net, .descrip = "virtio-net interface (repeatable)",
	  .arg_descrip = "bridge=BR|tap=NAME[,mac=MAC]" },
	{ .name = "virtio-rng", .option = "rng", .arg_kind = POPT_ARG_NONE, .pci = true, .add = add_rng,
	  .descrip = "virtio-rng: the guest's entropy from the host's getrandom()" },
};
const size_t vrun_n_device_kinds = sizeof(vrun_device_kinds) / sizeof(vrun_device_kinds[0]);
_Static_assert(sizeof(vrun_device_kinds) / sizeof(vrun_device_kinds[0]) <= VRUN_DEVICE_KINDS_MAX,
	       "raise VRUN_DEVICE_KINDS_MAX");

void vrun_device_options(struct poptOption *table, struct vrun_device_args *args)
{
	size_t n = 0;

	for (size_t i = 0; i < vrun_n_device_kinds; i++) {
		const struct vrun_device_kind *k = &vrun_device_kinds[i];

		if (!k->option)
			continue;
		table[n++] = (struct poptOption){
			.longName = k->option, .argInfo = k->arg_kind,
			.arg = k->arg_kind == POPT_ARG_ARGV ? (void *)&args[i].values : (void *)&args[i].given,
			.descrip = k->descrip, .argDescrip = k->arg_descrip,
		};
	}
	table[n] = (struct poptOption)POPT_TABLEEND;
}

void vrun_device_args_free(struct vrun_device_args *args)
{
	for (size_t i = 0; i < vrun_n_device_kinds; i++) {
		for (size_t v = 0; args[i].values && args[i].values[v]; v++)
			free((char *)args[i].values[v]);
		free(args[i].values);
		args[i].values = NULL;
	}
}

/* How many devices of kind i to add: one per value, one for a switch or
 * a wanted kind without option, or none. */
static size_t devices_asked(const struct vrun_devices *d, size_t i)
{
	const struct vrun_device_kind *k = &vrun_device_kinds[i];
	size_t n = 0;

	if (!k->option)
		return !k->wanted || k->wanted(d) ? 1 : 0;
	if (k->arg_kind == POPT_ARG_NONE)
		return d->args[i].given ? 1 : 0;
	while (d->args[i].values && d->args[i].values[n])
		n++;
	return n;
}

int vrun_devices_create(struct vrun_devices *d)
{
	struct vk_machine *m = d->machine;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < vrun_n_device_kinds; i++) {
		const struct vrun_device_kind *k = &vrun_device_kinds[i];
		size_t n = devices_asked(d, i);

		/* The bus only when a device sits on it: nothing to probe, faster boots. */
		if (n > 0 && k->pci && !d->pci)
			rc = vk_devices_init(m, &m->mem, &m->pio, &m->mmio, &d->pci);
		for (size_t v = 0; rc == 0 && v < n; v++) {
			d->created[i] = true;
			rc = k->add(d, k->option && k->arg_kind == POPT_ARG_ARGV ? d->args[i].values[v] : NULL);
		}
	}
	return rc;
}

void vrun_devices_reset(struct vrun_devices *d)
{
	for (size_t i = 0; i < vrun_n_device_kinds; i++)
		if (d->created[i] && vrun_device_kinds[i].reset)
			vrun_device_kinds[i].reset(d);
	vk_devices_reset(d->pci);	/* every PCI function, the bus's config space with it */
}

void vrun_devices_free(struct vrun_devices *d)
{
	vk_devices_free(d->pci);	/* stops the I/O threads first */
	d->pci = NULL;
	for (size_t i = vrun_n_device_kinds; i-- > 0;) {
		if (d->created[i] && vrun_device_kinds[i].free)
			vrun_device_kinds[i].free(d);
		d->created[i] = false;
	}
}
