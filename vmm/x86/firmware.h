/* x86/firmware.h - what vrun tells PC firmware (SeaBIOS) through fw_cfg and CMOS: memory, CPUs, boot order, ACPI, SMBIOS. */
#ifndef VK_X86_FIRMWARE_H
#define VK_X86_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/vm/bootorder.h"
#include "vmm/devices.h"
#include "vmm/devices/fw_cfg.h"
#include "vmm/devices/legacy.h"
#include "vmm/x86/acpi.h"
#include "vmm/x86/boot.h"

/* The firmware vrun boots when there is no --kernel (--firmware bios). */
#define VK_FIRMWARE_BIOS	"/usr/share/seabios/bios-256k.bin"
/* iPXE for virtio-net from Debian's ipxe-qemu (--pxe). */
#define VK_PXE_ROM_VIRTIO	"/usr/lib/ipxe/qemu/pxe-virtio.rom"
/* How long SeaBIOS waits for ESC with --boot menu=on, in ms (its default). */
#define VK_BOOT_MENU_WAIT_MS	2500

struct vk_ram_range {
	uint64_t addr, size;
};

struct vk_pc_firmware_config {
	unsigned ncpus;
	uint64_t ram_size;			/* laid out as in machine.h */
	const struct vk_mp_intx *intx;		/* PCI INTx lines for the DSDT's _PRT */
	size_t n_intx;
	const struct vk_bootdev_path *devs;	/* what can boot, in device order */
	size_t n_devs;
	struct vk_boot_order order;		/* n == 0: hd, cdrom, network */
	uint16_t sercon_port;			/* SeaBIOS's text screen and keyboard: COM1 */
};

/*
 * Fill fw (initialised, nothing else added) and the RTC's CMOS with what
 * SeaBIOS reads on a QEMU i440FX machine: CPU counts, RAM size and etc/e820,
 * the boot menu switch and wait, bootorder (every device of each kind in
 * order.dev, in device order), etc/sercon-port, the ACPI tables from
 * vmm/x86/acpi.c behind etc/table-loader (so SeaBIOS builds none of its
 * own), SMBIOS 3.0 tables, and in CMOS the memory sizes, CPU count and the
 * legacy boot-order bytes.  0 or -errno with a message.
 */
int vk_pc_firmware_setup(struct vk_fw_cfg *fw, struct vk_rtc *rtc, const struct vk_pc_firmware_config *cfg);

/* The "bootorder" file's text: one device path a line, kinds in order. */
int vk_pc_firmware_bootorder(const struct vk_pc_firmware_config *cfg, char *buf, size_t size);

/* etc/table-loader commands (SeaBIOS's romfile_loader) that allocate the
 * RSDP (in the F segment) and the tables (high), add every pointer and
 * fix every checksum in links; each command is 128 bytes.  Returns the
 * number of bytes written, -E2BIG when size is too small. */
#define VK_TABLE_LOADER_ENTRY_SIZE	128
int vk_acpi_table_loader(const struct vk_acpi_links *links, uint8_t *buf, size_t size);

/* SMBIOS: the tables (types 1, 3, 4 per CPU, 16, 17, 19 per RAM range,
 * 32, 127) into buf and the 24-byte 3.0 entry point into entry; returns
 * the tables' length, -E2BIG, -EINVAL. */
#define VK_SMBIOS3_ENTRY_LEN	24
struct vk_smbios_config {
	unsigned ncpus;
	uint64_t ram_size;
	const struct vk_ram_range *ram;
	unsigned n_ram;
	uint8_t uuid[16];			/* all zero: none */
};
int vk_smbios_build(uint8_t *buf, size_t size, const struct vk_smbios_config *cfg, uint8_t *entry,
		    size_t entry_size);

/* Read a PCI option ROM image (at most 1 MiB) for the device vendor:device:
 * it must start with 55 AA and carry a PCI data structure; when its IDs
 * are another device's they are patched, and its checksum with them
 * (SeaBIOS runs a ROM only for the device it names, and checks sums). */
int vk_option_rom_load(const char *path, uint16_t vendor, uint16_t device, uint8_t **out, size_t *len);

#endif
