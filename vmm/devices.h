/* devices.h - the device models of vrun (PCI host bridge, virtio-blk/net/rng, AHCI CD-ROMs) as the machine core sees them. */
#ifndef VK_DEVICES_H
#define VK_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/image/image.h"
#include "common/vm/bootorder.h"
#include "vmm/bus.h"
#include "vmm/guest-memory.h"

/*
 * Guest-visible layout (the machine core must keep RAM, LAPIC and IOAPIC
 * out of the PCI window, and describe the INTx lines in its MP table):
 *
 *   PCI configuration     port I/O 0xCF8 (address, 4 bytes) and
 *                         0xCFC..0xCFF (data): configuration mechanism #1,
 *                         bus 0 only.  00:00.0 is the host bridge.
 *   PCI MMIO window       [VK_PCI_MMIO_BASE, +VK_PCI_MMIO_SIZE): registered
 *                         once on the MMIO bus at vk_devices_init(); every
 *                         BAR is placed inside it and dispatched internally,
 *                         so a guest that moves a BAR (inside the window)
 *                         needs no bus registration after the bus is sealed.
 *                         A BAR moved outside the window stops answering.
 *   Devices               slot 1, 2, ... in the order they are added;
 *                         each virtio device has one 64-bit memory BAR 0
 *                         (virtio-pci modern structures, MSI-X table and
 *                         PBA); the AHCI controller (one, made with the
 *                         first CD-ROM) has its ABAR in 32-bit BAR 5.
 *   Interrupts            MSI-X or MSI (vk_msi_* routes, irqfd) first; INTA#
 *                         of slot S is GSI VK_PCI_INTX_GSI(S), level-triggered,
 *                         used only while the guest has MSI(-X) disabled.
 */
#define VK_PCI_MMIO_BASE	0xC0000000ull
/* Up to the IOAPIC: where SeaBIOS places BARs (top down from 0xFEC00000). */
#define VK_PCI_MMIO_SIZE	0x3EC00000ull		/* 0xC0000000-0xFEBFFFFF */
#define VK_PCI_CONFIG_ADDR_PORT	0xCF8
#define VK_PCI_CONFIG_DATA_PORT	0xCFC
#define VK_PCI_MAX_SLOTS	32
#define VK_PCI_INTX_GSI(slot)	(16u + ((slot) - 1u) % 8u)	/* IOAPIC pins 16-23 */

struct vk_machine;
struct vk_devices;

/* What the machine core writes into its MP table (or ACPI) per device. */
struct vk_pci_intx {
	unsigned slot;		/* device number on bus 0 */
	unsigned pin;		/* 1 = INTA# */
	unsigned gsi;
};

/*
 * Create the device set: registers the PCI config ports on pio and the PCI
 * MMIO window on mmio, so call it before vk_bus_seal().  mem must stay valid
 * until vk_devices_free().  Returns 0 or -errno with a message (error.h).
 */
int vk_devices_init(struct vk_machine *m, const struct vk_guest_memory *mem,
		    struct vk_bus *pio, struct vk_bus *mmio,
		    struct vk_devices **out);

struct vk_blk_config {
	const char *path;
	enum vk_image_format format;	/* stated, never probed */
	bool readonly;			/* VIRTIO_BLK_F_RO; writes fail with IOERR */
	const char *serial;		/* VIRTIO_BLK_T_GET_ID, up to 20 bytes; NULL: none */
};
int vk_virtio_blk_add(struct vk_devices *d, const struct vk_blk_config *cfg);

enum vk_net_backend {
	VK_NET_BRIDGE = 0,	/* create a tap and add it to the bridge `source` */
	VK_NET_TAP,		/* open the existing (or new) tap named `source` */
	VK_NET_FD,		/* use `fd` as is (tests: a socketpair; no vnet header) */
};
/* The PCI IDs of a virtio-net function: what its option ROM must name. */
#define VK_VIRTIO_NET_VENDOR	0x1af4
#define VK_VIRTIO_NET_DEVICE	0x1041
struct vk_net_config {
	enum vk_net_backend backend;
	const char *source;	/* bridge or tap name */
	int fd;			/* VK_NET_FD only; the device takes ownership */
	const char *mac;	/* "52:54:00:12:34:56"; NULL: generated */
	const uint8_t *rom;	/* option ROM behind the expansion ROM BAR (iPXE), or NULL */
	size_t rom_len;
};
int vk_virtio_net_add(struct vk_devices *d, const struct vk_net_config *cfg);

int vk_virtio_rng_add(struct vk_devices *d);

/* A CD/DVD-ROM drive on the AHCI controller's next port; the controller
 * joins the PCI bus with the first one.  -ENOSPC past AHCI_MAX_PORTS (6). */
struct vk_cdrom_config {
	const char *path;		/* opened read-only, never through a symlink */
	enum vk_image_format format;	/* stated, never probed */
	const char *serial;		/* IDENTIFY and INQUIRY serial, up to 20 characters; NULL: cdN */
};
int vk_cdrom_add(struct vk_devices *d, const struct vk_cdrom_config *cfg);

/* The chipset PC firmware looks for (vmm/pc-chipset.c: i440FX host bridge,
 * PIIX3 ISA bridge in slot 1): right after vk_devices_init(), before any
 * device is added.  reset_request(opaque) is the guest's reset through the
 * PIIX3's port 0xCF9 (called on a vCPU thread). */
int vk_devices_add_pc_chipset(struct vk_devices *d, void (*reset_request)(void *), void *opaque);

/* What firmware can boot from, in the order the devices were added, each
 * with the Open Firmware path QEMU writes into fw_cfg's "bootorder" for
 * such a device (SeaBIOS looks a device up by its slot, with a glob that
 * matches any name).  A CD-ROM's path comes from vk_bootdev_ata_path(). */
#define VK_BOOTDEV_PATH_MAX	64
struct vk_bootdev_path {
	enum vk_bootdev kind;
	char path[VK_BOOTDEV_PATH_MAX];
};
size_t vk_devices_bootdevs(const struct vk_devices *d, struct vk_bootdev_path *out, size_t max);
/* "/pci@i0cf8/sata@SLOT/drive@PORT/disk@0": a drive on port PORT of an
 * AHCI controller in slot SLOT (function 0), as SeaBIOS's AHCI driver
 * looks it up. */
void vk_bootdev_ata_path(char *buf, size_t size, unsigned slot, unsigned port);

/* The INTx lines in use, for the MP table; returns the count (<= max). */
size_t vk_devices_intx(const struct vk_devices *d, struct vk_pci_intx *out, size_t max);

/* Traffic counters, for the control socket (read without stopping anything). */
struct vk_disk_stats {
	char name[32];		/* blk0, blk1, ... in --disk order, then cd0, cd1, ... */
	uint64_t read_reqs, read_bytes, write_reqs, write_bytes, flush_reqs, errors;
};
struct vk_nic_stats {
	char name[32];		/* net0, ... in --net order */
	char ifname[16];	/* the tap, "" for other backends */
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_dropped;
};
/* Fill out (up to max entries); return how many disks (NICs) there are. */
size_t vk_devices_disk_stats(const struct vk_devices *d, struct vk_disk_stats *out, size_t max);
size_t vk_devices_nic_stats(const struct vk_devices *d, struct vk_nic_stats *out, size_t max);

/* Start the per-device I/O threads (after the last *_add, before vCPUs run). */
int vk_devices_start(struct vk_devices *d);
/* With the vCPUs parked: every device finishes what its driver queued and
 * makes it durable (virtio-blk: the ring drained, the image flushed), so
 * disk files can be copied while the VM stays paused.  0 or the first
 * error, after trying every device. */
int vk_devices_quiesce(struct vk_devices *d);
/* A machine reset, with the vCPUs parked: every device and PCI function
 * back to how vk_devices_start() found it (docs/devices.md, "Reset"). */
void vk_devices_reset(struct vk_devices *d);
/* Stop and join the I/O threads; in-flight requests complete first. */
void vk_devices_stop(struct vk_devices *d);
/* Stop if needed, close images and taps, free everything.  NULL is fine. */
void vk_devices_free(struct vk_devices *d);

#endif
