/* devices/fw_cfg.h - QEMU's firmware configuration device (fw_cfg): named items the firmware reads through ports or DMA. */
#ifndef VK_DEVICES_FW_CFG_H
#define VK_DEVICES_FW_CFG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"
#include "vmm/guest-memory.h"

/*
 * The interface of QEMU's docs/specs/fw_cfg.rst, x86 flavour:
 *   0x510 (16 bits, write)  selector: picks an item, its offset goes to 0
 *   0x511 (8 bits, read)    data: the next byte of the item, 0 past its end
 *   0x514 (8 bytes)         DMA address, big-endian: a 4-byte write to
 *                           0x518 (the low half) starts an operation on the
 *                           FWCfgDmaAccess structure at that guest address
 *                           (the high half written to 0x514 first, if any);
 *                           reads give "QEMU CFG".
 * Every item is read-only: the data port ignores writes, a DMA write
 * answers with QEMU_CFG_DMA_CTL_ERROR.  A DMA whose structure, buffer or
 * length does not lie entirely in guest RAM answers with the error bit too
 * (when the structure itself is not in RAM there is nowhere to answer, and
 * the request is dropped).  Items are added before the vCPUs start; the
 * guest only reads them, so the lock covers the selector state alone.
 */
#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511
#define FW_CFG_PORT_DMA		0x514

/* Selector keys (QEMU's include/standard-headers/linux/qemu_fw_cfg.h). */
#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_UUID		0x02
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NOGRAPHIC	0x04
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_BOOT_MENU	0x0e
#define FW_CFG_MAX_CPUS		0x0f
#define FW_CFG_FILE_DIR		0x19
#define FW_CFG_FILE_FIRST	0x20
#define FW_CFG_WRITE_CHANNEL	0x4000
#define FW_CFG_ARCH_LOCAL	0x8000
#define FW_CFG_ENTRY_MASK	((uint16_t)~(FW_CFG_WRITE_CHANNEL | FW_CFG_ARCH_LOCAL))

/* FW_CFG_ID feature bits. */
#define FW_CFG_VERSION		0x01
#define FW_CFG_VERSION_DMA	0x02

/* FWCfgDmaAccess.control bits (SeaBIOS's names). */
#define QEMU_CFG_DMA_CTL_ERROR	0x01
#define QEMU_CFG_DMA_CTL_READ	0x02
#define QEMU_CFG_DMA_CTL_SKIP	0x04
#define QEMU_CFG_DMA_CTL_SELECT	0x08
#define QEMU_CFG_DMA_CTL_WRITE	0x10
#define FW_CFG_DMA_SIGNATURE	0x51454d5520434647ull	/* "QEMU CFG" */

#define FW_CFG_MAX_FILE_PATH	56	/* FWCfgFile.name, with its NUL */
#define FW_CFG_FILE_SIZE	64	/* one FWCfgFile: size, select, reserved, name */
#define FW_CFG_MAX_FILES	128
#define FW_CFG_DMA_ACCESS_SIZE	16	/* FWCfgDmaAccess: control, length, address */

struct vk_fw_cfg_item {
	uint16_t key;
	char name[FW_CFG_MAX_FILE_PATH];	/* files only; "" for the fixed keys */
	uint8_t *data;
	uint32_t len;
};

struct vk_fw_cfg {
	const struct vk_guest_memory *mem;
	pthread_mutex_t lock;		/* selector, offset and the DMA address latch */
	struct vk_fw_cfg_item *items;
	size_t n_items, cap;
	unsigned n_files;
	int cur;			/* index of the selected item, -1 for an unknown key */
	uint32_t offset;
	uint32_t dma_high;		/* the half written to 0x514, until the operation */
};

/* Register the ports on pio and add the signature, the ID (with DMA) and an
 * empty file directory.  mem must outlive the device. */
int vk_fw_cfg_init(struct vk_fw_cfg *f, const struct vk_guest_memory *mem, struct vk_bus *pio);
void vk_fw_cfg_free(struct vk_fw_cfg *f);
/* A machine reset: no item selected, no DMA address latched; the items
 * (all read-only) stay. */
void vk_fw_cfg_reset(struct vk_fw_cfg *f);

/* An item under a fixed key (below FW_CFG_FILE_FIRST, or arch-local); the
 * bytes are copied.  -EEXIST when the key is taken, -EINVAL for a file key. */
int vk_fw_cfg_add(struct vk_fw_cfg *f, uint16_t key, const void *data, size_t len);
int vk_fw_cfg_add_u16(struct vk_fw_cfg *f, uint16_t key, uint16_t value);	/* little-endian */
/* A named file: the next free key from FW_CFG_FILE_FIRST, listed in the
 * directory (FW_CFG_FILE_DIR).  Names are at most 55 bytes and unique. */
int vk_fw_cfg_add_file(struct vk_fw_cfg *f, const char *name, const void *data, size_t len);
/* The item of a file, or NULL (for tests and for callers that patch one). */
const struct vk_fw_cfg_item *vk_fw_cfg_find_file(const struct vk_fw_cfg *f, const char *name);

/* Port handlers (offsets from FW_CFG_PORT_SEL and FW_CFG_PORT_DMA), for tests. */
void vk_fw_cfg_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);
void vk_fw_cfg_dma_io(void *opaque, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

#endif
