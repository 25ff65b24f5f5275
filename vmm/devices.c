/* devices.c - the device set of one VM: the PCI bus and the virtio and AHCI devices on it, added, started and freed together. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "vmm/devices.h"
#include "vmm/devices/ahci.h"
#include "vmm/pci.h"
#include "vmm/virtio/virtio.h"

struct vk_devices {
	struct vk_machine *m;
	const struct vk_guest_memory *mem;
	struct vk_pci_bus pci;
	struct vk_pci_dev isa;		/* PIIX3, with the PC chipset */
	bool pc_chipset;
	struct vk_virtio_dev *virtio[VK_PCI_MAX_SLOTS];
	unsigned n_virtio;
	unsigned n_blk, n_net, n_rng;
	struct vk_ahci *ahci;		/* made with the first CD-ROM */
	bool started;
};

int vk_devices_init(struct vk_machine *m, const struct vk_guest_memory *mem,
		    struct vk_bus *pio, struct vk_bus *mmio, struct vk_devices **out)
{
	struct vk_devices *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return vk_error(ENOMEM, "devices");
	d->m = m;
	d->mem = mem;
	rc = vk_pci_bus_init(&d->pci, m, pio, mmio);
	if (rc < 0) {
		vk_pci_bus_free(&d->pci);
		free(d);
		return rc;
	}
	*out = d;
	return 0;
}

/* Put a created device on the bus; on failure it is destroyed. */
static int plug(struct vk_devices *d, struct vk_virtio_dev *vdev)
{
	int rc = vk_pci_bus_add(&d->pci, &vdev->pci);

	if (rc == 0)
		rc = vk_virtio_realize(vdev);
	if (rc < 0) {
		if (d->pci.devs[vdev->pci.slot] == &vdev->pci && vdev->pci.slot) {
			d->pci.devs[vdev->pci.slot] = NULL;
			d->pci.n_devs--;
		}
		vk_virtio_destroy(vdev);
		return rc;
	}
	d->virtio[d->n_virtio++] = vdev;
	return 0;
}

int vk_virtio_blk_add(struct vk_devices *d, const struct vk_blk_config *cfg)
{
	struct vk_virtio_dev *vdev;
	char name[16];
	int rc;

	if (d->started)
		return vk_errorx(EBUSY, "disk %s: devices cannot be added to a running VM", cfg->path);
	snprintf(name, sizeof(name), "blk%u", d->n_blk);
	rc = vk_virtio_blk_create(d->mem, cfg, name, &vdev);
	if (rc < 0)
		return rc;
	rc = plug(d, vdev);
	if (rc == 0)
		d->n_blk++;
	return rc;
}

int vk_virtio_net_add(struct vk_devices *d, const struct vk_net_config *cfg)
{
	struct vk_virtio_dev *vdev;
	char name[16];
	int rc;

	if (d->started)
		return vk_errorx(EBUSY, "network: devices cannot be added to a running VM");
	snprintf(name, sizeof(name), "net%u", d->n_net);
	rc = vk_virtio_net_create(d->mem, cfg, name, &vdev);
	if (rc < 0)
		return rc;
	if (cfg->rom && (rc = vk_pci_dev_set_rom(&vdev->pci, cfg->rom, cfg->rom_len)) < 0) {
		vk_virtio_destroy(vdev);
		return rc;
	}
	rc = plug(d, vdev);
	if (rc == 0)
		d->n_net++;
	return rc;
}

int vk_virtio_rng_add(struct vk_devices *d)
{
	struct vk_virtio_dev *vdev;
	char name[16];
	int rc;

	if (d->started)
		return vk_errorx(EBUSY, "rng: devices cannot be added to a running VM");
	snprintf(name, sizeof(name), "rng%u", d->n_rng);
	rc = vk_virtio_rng_create(d->mem, name, &vdev);
	if (rc < 0)
		return rc;
	rc = plug(d, vdev);
	if (rc == 0)
		d->n_rng++;
	return rc;
}

int vk_devices_add_pc_chipset(struct vk_devices *d, void (*reset_request)(void *), void *opaque)
{
	int rc;

	if (d->pc_chipset)
		return 0;
	rc = vk_pc_chipset_init(&d->pci, &d->isa, reset_request, opaque);
	if (rc == 0)
		d->pc_chipset = true;
	return rc;
}

#define FW_PCI_ROOT	"/pci@i0cf8"	/* the host bridge at config port 0xCF8 */

void vk_bootdev_ata_path(char *buf, size_t size, unsigned slot, unsigned port)
{
	snprintf(buf, size, FW_PCI_ROOT "/sata@%x/drive@%x/disk@0", slot, port);
}

size_t vk_devices_bootdevs(const struct vk_devices *d, struct vk_bootdev_path *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; d && i < d->n_virtio && n < max; i++) {
		const struct vk_virtio_dev *v = d->virtio[i];

		/* QEMU names a device in the path by its PCI class: virtio-blk
		 * is mass storage ("scsi"), virtio-net a NIC ("ethernet"). */
		if (v->ops->device_id == VIRTIO_ID_BLOCK) {
			out[n].kind = VK_BOOTDEV_HD;
			snprintf(out[n].path, sizeof(out[n].path), FW_PCI_ROOT "/scsi@%x/disk@0,0", v->pci.slot);
			n++;
		} else if (v->ops->device_id == VIRTIO_ID_NET) {
			out[n].kind = VK_BOOTDEV_NETWORK;
			snprintf(out[n].path, sizeof(out[n].path), FW_PCI_ROOT "/ethernet@%x/ethernet-phy@0",
				 v->pci.slot);
			n++;
		}
	}
	/* AHCI CD-ROMs, port by port (QEMU's class name for AHCI: "sata"). */
	for (unsigned p = 0; d && d->ahci && p < d->ahci->n_ports && n < max; p++, n++) {
		out[n].kind = VK_BOOTDEV_CDROM;
		vk_bootdev_ata_path(out[n].path, sizeof(out[n].path), d->ahci->pci.slot, p);
	}
	return n;
}

/* A new controller (with its first drive) joins the bus. */
static int plug_ahci(struct vk_devices *d, struct vk_ahci *hba)
{
	int rc = vk_pci_bus_add(&d->pci, &hba->pci);

	if (rc == 0 && (rc = vk_ahci_realize(hba)) < 0) {
		d->pci.devs[hba->pci.slot] = NULL;
		d->pci.n_devs--;
	}
	return rc;
}

int vk_cdrom_add(struct vk_devices *d, const struct vk_cdrom_config *cfg)
{
	struct vk_ahci *hba = d->ahci;
	char serial[16];
	int rc = 0;

	if (d->started)
		return vk_errorx(EBUSY, "cdrom %s: devices cannot be added to a running VM", cfg->path);
	/* The drive first: a CD-ROM that cannot be opened leaves no controller. */
	if (!hba)
		rc = vk_ahci_create(d->mem, "ahci0", &hba);
	if (rc < 0)
		return rc;
	snprintf(serial, sizeof(serial), "cd%u", hba->n_ports);
	rc = vk_ahci_attach_cdrom(hba, cfg->path, cfg->format, cfg->serial ? cfg->serial : serial);
	if (rc == 0 && !d->ahci)
		rc = plug_ahci(d, hba);
	if (rc < 0 && !d->ahci)
		vk_ahci_destroy(hba);
	else
		d->ahci = hba;
	return rc;
}

static void intx_of(const struct vk_pci_dev *dev, struct vk_pci_intx *out)
{
	out->slot = dev->slot;
	out->pin = 1;
	out->gsi = dev->gsi;
}

size_t vk_devices_intx(const struct vk_devices *d, struct vk_pci_intx *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; i < d->n_virtio && n < max; i++, n++)
		intx_of(&d->virtio[i]->pci, &out[n]);
	if (d->ahci && n < max)
		intx_of(&d->ahci->pci, &out[n++]);
	return n;
}

static uint64_t stat(const struct vk_virtio_dev *vdev, unsigned i)
{
	return atomic_load_explicit(&vdev->stats[i], memory_order_relaxed);
}

size_t vk_devices_disk_stats(const struct vk_devices *d, struct vk_disk_stats *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; d && i < d->n_virtio; i++) {
		const struct vk_virtio_dev *v = d->virtio[i];

		if (v->ops->device_id != VIRTIO_ID_BLOCK)
			continue;
		if (n < max) {
			struct vk_disk_stats *s = &out[n];

			snprintf(s->name, sizeof(s->name), "%s", v->name);
			s->read_reqs = stat(v, VK_BLK_STAT_READ_REQS);
			s->read_bytes = stat(v, VK_BLK_STAT_READ_BYTES);
			s->write_reqs = stat(v, VK_BLK_STAT_WRITE_REQS);
			s->write_bytes = stat(v, VK_BLK_STAT_WRITE_BYTES);
			s->flush_reqs = stat(v, VK_BLK_STAT_FLUSH_REQS);
			s->errors = stat(v, VK_BLK_STAT_ERRORS);
		}
		n++;
	}
	for (unsigned i = 0; d && d->ahci && i < d->ahci->n_ports; i++, n++) {
		const struct vk_atapi *drive = &d->ahci->port[i].drive;
		struct vk_disk_stats *s = &out[n];

		if (n >= max)
			continue;
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "cd%u", i);
		s->read_reqs = atomic_load_explicit(&drive->read_reqs, memory_order_relaxed);
		s->read_bytes = atomic_load_explicit(&drive->read_bytes, memory_order_relaxed);
		s->errors = atomic_load_explicit(&drive->errors, memory_order_relaxed);
	}
	return n;
}

size_t vk_devices_nic_stats(const struct vk_devices *d, struct vk_nic_stats *out, size_t max)
{
	size_t n = 0;

	for (unsigned i = 0; d && i < d->n_virtio; i++) {
		const struct vk_virtio_dev *v = d->virtio[i];

		if (v->ops->device_id != VIRTIO_ID_NET)
			continue;
		if (n < max) {
			struct vk_nic_stats *s = &out[n];

			snprintf(s->name, sizeof(s->name), "%s", v->name);
			snprintf(s->ifname, sizeof(s->ifname), "%s", vk_virtio_net_ifname(v));
			s->rx_packets = stat(v, VK_NET_STAT_RX_PACKETS);
			s->rx_bytes = stat(v, VK_NET_STAT_RX_BYTES);
			s->tx_packets = stat(v, VK_NET_STAT_TX_PACKETS);
			s->tx_bytes = stat(v, VK_NET_STAT_TX_BYTES);
			s->tx_dropped = stat(v, VK_NET_STAT_TX_DROPPED);
		}
		n++;
	}
	return n;
}

int vk_devices_start(struct vk_devices *d)
{
	int rc = 0;

	for (unsigned i = 0; rc == 0 && i < d->n_virtio; i++)
		rc = vk_iothread_start(&d->virtio[i]->io, d->virtio[i]->name);
	if (rc == 0 && d->ahci)
		rc = vk_iothread_start(&d->ahci->io, d->ahci->name);
	if (rc < 0) {
		vk_devices_stop(d);
		return rc;
	}
	vk_pci_bus_save_power_on(&d->pci);
	d->started = true;
	return 0;
}

void vk_devices_reset(struct vk_devices *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->n_virtio; i++)
		vk_virtio_reset(d->virtio[i]);
	if (d->ahci)
		vk_ahci_reset(d->ahci);
	vk_pci_bus_reset(&d->pci);
}

int vk_devices_quiesce(struct vk_devices *d)
{
	char first_msg[VK_ERRMSG_MAX] = "";
	int first = 0;

	for (unsigned i = 0; d && i < d->n_virtio; i++) {
		int rc = vk_virtio_quiesce(d->virtio[i]);

		if (rc < 0 && first == 0) {
			first = rc;
			snprintf(first_msg, sizeof(first_msg), "%s", vk_last_error());
		} else if (rc < 0) {
			fprintf(stderr, "vrun: %s\n", vk_last_error());	/* the reply names the first */
		}
	}
	return first < 0 ? vk_errorx(-first, "%s", first_msg) : 0;
}

void vk_devices_stop(struct vk_devices *d)
{
	for (unsigned i = 0; i < d->n_virtio; i++)
		vk_iothread_stop(&d->virtio[i]->io);
	if (d->ahci)
		vk_iothread_stop(&d->ahci->io);
}

void vk_devices_free(struct vk_devices *d)
{
	if (!d)
		return;
	vk_devices_stop(d);
	for (unsigned i = 0; i < d->n_virtio; i++)
		vk_virtio_destroy(d->virtio[i]);
	vk_ahci_destroy(d->ahci);
	if (d->pc_chipset)
		vk_pci_dev_free(&d->isa);
	vk_pci_bus_free(&d->pci);
	free(d);
}
