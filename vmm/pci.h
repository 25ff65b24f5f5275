/* pci.h - PCI host bridge (configuration mechanism #1) and a generic PCI function with BARs, MSI and MSI-X. */
#ifndef VK_PCI_H
#define VK_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/devices.h"
#include "vmm/irq.h"

/* Configuration space header, PCI Local Bus 3.0 section 6.1. */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION_ID		0x08
#define PCI_CLASS_PROG		0x09
#define PCI_HEADER_TYPE		0x0e
#define PCI_BASE_ADDRESS_0	0x10
#define PCI_SUBSYSTEM_VENDOR_ID	0x2c
#define PCI_SUBSYSTEM_ID	0x2e
#define PCI_ROM_ADDRESS		0x30
#define PCI_CAPABILITY_LIST	0x34
#define PCI_INTERRUPT_LINE	0x3c
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_CONFIG_SPACE_SIZE	256
#define PCI_CAP_START		0x40

#define PCI_COMMAND_IO		0x0001
#define PCI_COMMAND_MEMORY	0x0002
#define PCI_COMMAND_MASTER	0x0004
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010
#define PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define PCI_ROM_ADDRESS_ENABLE	0x01
#define PCI_ROM_ADDRESS_MASK	(~0x7ffu)
#define PCI_HEADER_TYPE_MULTI	0x80
#define PCI_BASE_ADDRESS_5	0x24
#define PCI_CLASS_BRIDGE_HOST	0x060000

#define PCI_CAP_ID_MSI		0x05
#define PCI_MSI_FLAGS		2	/* message control, within the capability */
#define PCI_MSI_FLAGS_ENABLE	0x0001
#define PCI_MSI_FLAGS_QSIZE	0x0070	/* multiple message enable */
#define PCI_MSI_FLAGS_64BIT	0x0080
#define PCI_MSI_ADDRESS_LO	4
#define PCI_MSI_ADDRESS_HI	8
#define PCI_MSI_DATA_64		12
#define PCI_MSI_CAP_SIZE_64	14
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VNDR		0x09
#define PCI_MSIX_FLAGS		2	/* message control, within the capability */
#define PCI_MSIX_FLAGS_QSIZE	0x07ff
#define PCI_MSIX_FLAGS_MASKALL	0x4000
#define PCI_MSIX_FLAGS_ENABLE	0x8000
#define PCI_MSIX_TABLE		4
#define PCI_MSIX_PBA		8
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_VECTOR_CTRL 12
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1

/* Config mechanism #1 address register (port 0xCF8). */
#define PCI_CONF1_ENABLE	0x80000000u

#define VK_PCI_VENDOR_REDHAT	0x1b36	/* host bridge IDs as QEMU's generic one */
#define VK_PCI_DEVICE_HOST	0x0008
#define VK_PCI_MAX_BARS		6	/* BAR 0-5; a 64-bit BAR takes two */
#define VK_PCI_MAX_MSIX		64

struct vk_pci_dev;

struct vk_pci_bar {
	uint64_t size;		/* power of two, >= 4 KiB; 0 = unused (or the upper half of a 64-bit BAR) */
	bool mem64;		/* a 64-bit memory BAR (this index and the next) */
	uint64_t addr;		/* where the BAR decodes now, if active */
	uint64_t placed;	/* where the device last put its doorbells */
	bool active;		/* memory decoding on and inside the window */
	vk_io_handler handler;	/* called with dev->lock held */
	void *opaque;
};

struct vk_pci_msix {
	unsigned nvec;		/* 0: no MSI-X */
	unsigned cap;		/* config offset of the capability */
	unsigned bar;		/* BAR number */
	uint32_t table_off, pba_off;
	uint32_t table[VK_PCI_MAX_MSIX][4];	/* addr_lo, addr_hi, data, ctrl */
	uint64_t pending;			/* the PBA */
	struct vk_msi msi[VK_PCI_MAX_MSIX];
};

/* Plain MSI with one message (PCI 3.0 section 6.8.1): 64-bit address, no masking. */
struct vk_pci_msi {
	unsigned cap;		/* config offset of the capability, 0: no MSI */
	struct vk_msi route;
};

struct vk_pci_dev {
	const char *name;
	unsigned slot;
	struct vk_machine *m;
	pthread_mutex_t lock;	/* config space, BARs, MSI-X and the device behind them */
	uint8_t cfg[PCI_CONFIG_SPACE_SIZE];
	uint8_t wmask[PCI_CONFIG_SPACE_SIZE];	/* guest-writable bits */
	uint8_t cfg_power_on[PCI_CONFIG_SPACE_SIZE];	/* what a reset puts back */
	unsigned cap_end;			/* next free capability offset */
	unsigned last_cap;			/* offset of the last capability, 0 if none */
	struct vk_pci_bar bars[VK_PCI_MAX_BARS];	/* indexed by BAR number */
	struct vk_pci_msi msi;
	struct vk_pci_msix msix;
	/* Expansion ROM (config 0x30): decodes while enabled there, memory
	 * decoding is on and it lies inside the window. */
	uint8_t *rom;
	uint32_t rom_len, rom_size;		/* image bytes; BAR size, a power of two */
	uint64_t rom_addr;
	bool rom_active;
	unsigned gsi;				/* INTA# line */
	bool intx_level;
	/* The guest moved BAR bar (memory decoding on): move doorbells. */
	void (*bar_moved)(struct vk_pci_dev *dev, unsigned bar, uint64_t old, uint64_t new);
	/* Called after every config write (lock held), for device-specific caps. */
	void (*config_written)(struct vk_pci_dev *dev, unsigned off, unsigned len);
	/* Called before every config read (lock held): a cap whose bytes are
	 * computed on access fills them in. */
	void (*config_read)(struct vk_pci_dev *dev, unsigned off, unsigned len);
	void *owner;
};

struct vk_pci_bus {
	struct vk_machine *m;
	struct vk_pci_dev host;
	struct vk_pci_dev *devs[VK_PCI_MAX_SLOTS];
	unsigned n_devs;
	uint32_t config_addr;		/* 0xCF8 */
	uint64_t next_bar;		/* bump allocator inside the window */
	/* Port 0xCF9 (offset 1 of the config ports, one byte): the PIIX3's
	 * reset control register when the PC chipset is there, whose
	 * RST_CPU calls reset_request; ignored without it. */
	void (*rcr_io)(struct vk_pci_bus *bus, uint8_t *data, bool is_write);
	void (*reset_request)(void *opaque);
	void *reset_opaque;
	uint8_t rcr;
};

/* Register the config ports and the MMIO window; create the host bridge. */
int vk_pci_bus_init(struct vk_pci_bus *bus, struct vk_machine *m,
		    struct vk_bus *pio, struct vk_bus *mmio);
void vk_pci_bus_free(struct vk_pci_bus *bus);
/* Keep every function's configuration space as it is now (BARs placed,
 * before the guest runs): what vk_pci_bus_reset() puts back. */
void vk_pci_bus_save_power_on(struct vk_pci_bus *bus);
/* A machine reset: every function's configuration space back to that
 * (BARs where they started, doorbells moved back with them, MSI and MSI-X
 * off and their table masked, INTx low), the config address and 0xCF9
 * cleared.  Takes each function's lock; device state behind the function
 * is the device's own to reset. */
void vk_pci_bus_reset(struct vk_pci_bus *bus);
/* pc-chipset.c: make the host bridge an i440FX and put a PIIX3 ISA bridge
 * (isa, initialised here) in slot 1, as PC firmware expects; on a bus with
 * nothing else yet.  A reset through port 0xCF9 calls reset_request. */
int vk_pc_chipset_init(struct vk_pci_bus *bus, struct vk_pci_dev *isa, void (*reset_request)(void *),
		       void *opaque);

void vk_pci_dev_init(struct vk_pci_dev *dev, const char *name, uint16_t vendor,
		     uint16_t device, uint32_t class_code, uint16_t subsys_vendor,
		     uint16_t subsys_id);
/* Describe a 64-bit memory BAR (index 0, 2 or 4) before vk_pci_bus_add(). */
int vk_pci_dev_add_bar(struct vk_pci_dev *dev, unsigned bar, uint64_t size,
		       vk_io_handler handler, void *opaque);
/* Give the function an expansion ROM with a copy of len bytes of image
 * (before vk_pci_bus_add(); it starts disabled, as after reset). */
int vk_pci_dev_set_rom(struct vk_pci_dev *dev, const void *image, size_t len);
/* The same for a 32-bit memory BAR (index 0-5), for devices whose drivers
 * expect one (AHCI's ABAR is BAR 5); it is placed below 4 GiB. */
int vk_pci_dev_add_bar32(struct vk_pci_dev *dev, unsigned bar, uint64_t size,
			 vk_io_handler handler, void *opaque);
/* Append a capability (cap[0] = ID; cap[1], the next pointer, is filled in);
 * returns its config offset or -ENOSPC. */
int vk_pci_dev_add_cap(struct vk_pci_dev *dev, const void *cap, unsigned len);
/* Mark bytes of config space guest-writable (for capabilities). */
void vk_pci_dev_set_wmask(struct vk_pci_dev *dev, unsigned off, unsigned len, uint32_t mask);
/* MSI-X with nvec vectors, table and PBA at those offsets of BAR bar;
 * allocates the MSI routes, so after vk_pci_bus_add(). */
int vk_pci_dev_add_msix(struct vk_pci_dev *dev, unsigned nvec, unsigned bar,
			uint32_t table_off, uint32_t pba_off);
/* An MSI capability with one message; allocates its route, so after
 * vk_pci_bus_add(). */
int vk_pci_dev_add_msi(struct vk_pci_dev *dev);
/* Give the device a slot and place its BARs; -ENOSPC when full. */
int vk_pci_bus_add(struct vk_pci_bus *bus, struct vk_pci_dev *dev);
void vk_pci_dev_free(struct vk_pci_dev *dev);

/* Config space access as the guest makes it (tests call these directly). */
uint32_t vk_pci_config_read(struct vk_pci_dev *dev, unsigned off, unsigned len);
void vk_pci_config_write(struct vk_pci_dev *dev, unsigned off, unsigned len, uint32_t val);
/* The port handlers and the window handler, exposed for tests. */
void vk_pci_config_io(void *bus, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
void vk_pci_window_io(void *bus, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

/* With dev->lock held: */
/* An access to BAR bar (0, 2 or 4) at off, as through the MMIO window,
 * MSI-X table and PBA included, whether or not the BAR decodes now (for a
 * configuration-space window onto it); all ones / dropped outside it. */
void vk_pci_bar_access(struct vk_pci_dev *dev, unsigned bar, uint64_t off, uint8_t *data, unsigned len,
		       bool is_write);
bool vk_pci_msix_enabled(const struct vk_pci_dev *dev);
/* Deliver vector (or set its pending bit while masked); -EINVAL if out of range. */
int vk_pci_msix_notify(struct vk_pci_dev *dev, unsigned vector);
void vk_pci_intx_set(struct vk_pci_dev *dev, bool level);
bool vk_pci_msi_enabled(const struct vk_pci_dev *dev);
/* Send the MSI message; -EAGAIN while the guest has MSI disabled. */
int vk_pci_msi_notify(struct vk_pci_dev *dev);

#endif
