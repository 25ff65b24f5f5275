/* x86/firmware.c - the fw_cfg items and CMOS bytes SeaBIOS reads on a QEMU i440FX machine, and option ROM images. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "vmm/machine.h"
#include "vmm/x86/acpi.h"
#include "vmm/x86/firmware.h"

/* CMOS bytes (SeaBIOS's src/hw/rtc.h names). */
#define CMOS_EQUIPMENT_INFO	0x14
#define CMOS_MEM_BASE_LOW	0x15	/* base memory in KiB */
#define CMOS_MEM_BASE_HIGH	0x16
#define CMOS_MEM_EXT_LOW	0x17	/* KiB above 1 MiB, up to 65535 (also 0x30/0x31) */
#define CMOS_MEM_EXT_HIGH	0x18
#define CMOS_CHECKSUM_HIGH	0x2e	/* over 0x10..0x2d */
#define CMOS_CHECKSUM_LOW	0x2f
#define CMOS_MEM_EXTMEM_LOW	0x30
#define CMOS_MEM_EXTMEM_HIGH	0x31
#define CMOS_MEM_EXTMEM2_LOW	0x34	/* 64 KiB units above 16 MiB, below 4 GiB */
#define CMOS_MEM_EXTMEM2_HIGH	0x35
#define CMOS_BIOS_BOOTFLAG1	0x38	/* bit 0: no floppy signature check; 3rd boot device */
#define CMOS_BIOS_BOOTFLAG2	0x3d	/* 1st and 2nd boot devices */
#define CMOS_MEM_HIGHMEM_LOW	0x5b	/* 64 KiB units above 4 GiB, 24 bits */
#define CMOS_MEM_HIGHMEM_MID	0x5c
#define CMOS_MEM_HIGHMEM_HIGH	0x5d
#define CMOS_BIOS_SMP_COUNT	0x5f	/* CPUs - 1 */
#define CMOS_EQUIPMENT_FPU	0x02
#define CMOS_BOOT_HD		2	/* the legacy boot device codes */
#define CMOS_BOOT_CDROM		3
#define CMOS_BOOT_NETWORK	4
#define BASE_MEMORY_KIB		640

/* etc/e820 entries: address, length, type, packed little-endian. */
#define E820_ENTRY_SIZE		20
#define KVM_PRIVATE_PAGES	0xfffbc000ull	/* machine.c: identity map and TSS, 4 pages */
#define KVM_PRIVATE_SIZE	0x4000ull

/* SeaBIOS's romfile_loader commands and zones. */
#define ROMFILE_LOADER_FILESZ			56
#define ROMFILE_LOADER_COMMAND_ALLOCATE		1
#define ROMFILE_LOADER_COMMAND_ADD_POINTER	2
#define ROMFILE_LOADER_COMMAND_ADD_CHECKSUM	3
#define ROMFILE_LOADER_ALLOC_ZONE_HIGH		1
#define ROMFILE_LOADER_ALLOC_ZONE_FSEG		2
#define ACPI_FILE_TABLES	"etc/acpi/tables"
#define ACPI_FILE_RSDP		"etc/acpi/rsdp"
#define ACPI_TABLES_ALIGN	64	/* the FACS's alignment; the rest need 16 */
#define ACPI_RSDP_ALIGN		16
#define ACPI_TABLES_MAX		0x20000u

#define SMBIOS_TABLES_MAX	0x10000u

/* PCI expansion ROM image (PCI Firmware 3.0, 5.1). */
#define PCI_ROM_SIGNATURE_0	0x55
#define PCI_ROM_SIGNATURE_1	0xaa
#define PCI_ROM_SIZE_OFF	2	/* in 512-byte units */
#define PCI_ROM_CHECKSUM_OFF	6	/* a byte iPXE and QEMU use to fix the sum */
#define PCI_ROM_PCIR_PTR	0x18
#define PCI_ROM_MAX		(1u << 20)

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static unsigned ram_ranges(uint64_t ram_size, struct vk_ram_range out[2])
{
	uint64_t low = ram_size < VK_PCI_HOLE_START ? ram_size : VK_PCI_HOLE_START;
	unsigned n = 0;

	out[n++] = (struct vk_ram_range){ 0, low };
	if (ram_size > low)
		out[n++] = (struct vk_ram_range){ VK_4GIB, ram_size - low };
	return n;
}

/* RAM as one range below the PCI hole and one above 4 GiB, as QEMU gives
 * it: SeaBIOS itself reserves the legacy holes (640 KiB-1 MiB, its own). */
static int add_e820(struct vk_fw_cfg *fw, uint64_t ram_size)
{
	struct vk_ram_range ram[2];
	uint8_t table[3 * E820_ENTRY_SIZE], *p = table;
	unsigned n = ram_ranges(ram_size, ram);

	for (unsigned i = 0; i < n; i++, p += E820_ENTRY_SIZE) {
		put_le(p, ram[i].addr, 8);
		put_le(p + 8, ram[i].size, 8);
		put_le(p + 16, VK_E820_RAM, 4);
	}
	put_le(p, KVM_PRIVATE_PAGES, 8);
	put_le(p + 8, KVM_PRIVATE_SIZE, 8);
	put_le(p + 16, VK_E820_RESERVED, 4);
	p += E820_ENTRY_SIZE;
	return vk_fw_cfg_add_file(fw, "etc/e820", table, (size_t)(p - table));
}

static void loader_name(uint8_t *p, const char *name)
{
	memset(p, 0, ROMFILE_LOADER_FILESZ);
	memcpy(p, name, strlen(name));
}

/* COMMAND_ALLOCATE: file, alignment, zone. */
static void loader_allocate(uint8_t *e, const char *file, uint32_t align, uint8_t zone)
{
	put_le(e, ROMFILE_LOADER_COMMAND_ALLOCATE, 4);
	loader_name(e + 4, file);
	put_le(e + 4 + ROMFILE_LOADER_FILESZ, align, 4);
	e[8 + ROMFILE_LOADER_FILESZ] = zone;
}

int vk_acpi_table_loader(const struct vk_acpi_links *links, uint8_t *buf, size_t size)
{
	size_t n = 2 + links->n_ptrs + links->n_sums, at = 0;
	uint8_t *e;

	if (n * VK_TABLE_LOADER_ENTRY_SIZE > size)
		return -E2BIG;
	memset(buf, 0, n * VK_TABLE_LOADER_ENTRY_SIZE);
	/* The RSDP in the F segment, where OSes look for it; the tables high. */
	loader_allocate(buf, ACPI_FILE_RSDP, ACPI_RSDP_ALIGN, ROMFILE_LOADER_ALLOC_ZONE_FSEG);
	loader_allocate(buf + VK_TABLE_LOADER_ENTRY_SIZE, ACPI_FILE_TABLES, ACPI_TABLES_ALIGN,
			ROMFILE_LOADER_ALLOC_ZONE_HIGH);
	at = 2 * VK_TABLE_LOADER_ENTRY_SIZE;
	/* Every pointer holds an offset into the tables file: add its address. */
	for (unsigned i = 0; i < links->n_ptrs; i++, at += VK_TABLE_LOADER_ENTRY_SIZE) {
		const struct vk_acpi_pointer *ptr = &links->ptrs[i];
		bool in_rsdp = ptr->offset < links->rsdp_len;

		e = buf + at;
		put_le(e, ROMFILE_LOADER_COMMAND_ADD_POINTER, 4);
		loader_name(e + 4, in_rsdp ? ACPI_FILE_RSDP : ACPI_FILE_TABLES);
		loader_name(e + 4 + ROMFILE_LOADER_FILESZ, ACPI_FILE_TABLES);
		put_le(e + 4 + 2 * ROMFILE_LOADER_FILESZ, ptr->offset, 4);
		e[8 + 2 * ROMFILE_LOADER_FILESZ] = ptr->size;
	}
	for (unsigned i = 0; i < links->n_sums; i++, at += VK_TABLE_LOADER_ENTRY_SIZE) {
		const struct vk_acpi_checksum *sum = &links->sums[i];
		bool in_rsdp = sum->offset < links->rsdp_len;

		e = buf + at;
		put_le(e, ROMFILE_LOADER_COMMAND_ADD_CHECKSUM, 4);
		loader_name(e + 4, in_rsdp ? ACPI_FILE_RSDP : ACPI_FILE_TABLES);
		put_le(e + 4 + ROMFILE_LOADER_FILESZ, sum->offset, 4);
		put_le(e + 8 + ROMFILE_LOADER_FILESZ, sum->start, 4);
		put_le(e + 12 + ROMFILE_LOADER_FILESZ, sum->length, 4);
	}
	return (int)at;
}

/* vk_acpi_build() at base 0 (pointers are offsets), split into the RSDP
 * file and the tables file; the RSDP's bytes at the start of the tables
 * file are zeroed, so only the F-segment copy is ever found. */
static int add_acpi(struct vk_fw_cfg *fw, const struct vk_pc_firmware_config *cfg)
{
	struct vk_acpi_config acpi = { .ncpus = cfg->ncpus, .pci = 1, .intx = cfg->intx, .n_intx = cfg->n_intx };
	struct vk_acpi_links links;
	uint8_t *tables = calloc(1, ACPI_TABLES_MAX), *loader = NULL;
	int len, loader_len = 0, rc = 0;

	if (!tables)
		return vk_error(ENOMEM, "ACPI tables");
	len = vk_acpi_build_linked(tables, ACPI_TABLES_MAX, 0, &acpi, &links);
	if (len < 0) {
		rc = vk_errorx(-len, "cannot build the ACPI tables for %u vCPUs", cfg->ncpus);
		goto out;
	}
	loader = calloc(2 + links.n_ptrs + links.n_sums, VK_TABLE_LOADER_ENTRY_SIZE);
	if (!loader) {
		rc = vk_error(ENOMEM, "ACPI table loader");
		goto out;
	}
	loader_len = vk_acpi_table_loader(&links, loader, (2 + links.n_ptrs + links.n_sums) *
					  VK_TABLE_LOADER_ENTRY_SIZE);
	rc = vk_fw_cfg_add_file(fw, ACPI_FILE_RSDP, tables, links.rsdp_len);
	memset(tables, 0, links.rsdp_len);
	if (rc == 0)
		rc = vk_fw_cfg_add_file(fw, ACPI_FILE_TABLES, tables, (size_t)len);
	if (rc == 0)
		rc = vk_fw_cfg_add_file(fw, "etc/table-loader", loader, (size_t)loader_len);
out:
	free(loader);
	free(tables);
	return rc;
}

static int add_smbios(struct vk_fw_cfg *fw, const struct vk_pc_firmware_config *cfg)
{
	struct vk_ram_range ram[2];
	struct vk_smbios_config sm = { .ncpus = cfg->ncpus, .ram_size = cfg->ram_size, .ram = ram };
	uint8_t *tables = malloc(SMBIOS_TABLES_MAX), entry[VK_SMBIOS3_ENTRY_LEN];
	int len, rc;

	if (!tables)
		return vk_error(ENOMEM, "SMBIOS tables");
	sm.n_ram = ram_ranges(cfg->ram_size, ram);
	len = vk_smbios_build(tables, SMBIOS_TABLES_MAX, &sm, entry, sizeof(entry));
	if (len < 0)
		rc = vk_errorx(-len, "cannot build the SMBIOS tables for %u vCPUs", cfg->ncpus);
	else
		rc = vk_fw_cfg_add_file(fw, "etc/smbios/smbios-tables", tables, (size_t)len);
	if (rc == 0)
		rc = vk_fw_cfg_add_file(fw, "etc/smbios/smbios-anchor", entry, VK_SMBIOS3_ENTRY_LEN);
	free(tables);
	return rc;
}

static struct vk_boot_order effective_order(const struct vk_boot_order *o)
{
	struct vk_boot_order order = *o;

	if (order.n == 0) {	/* QEMU's default: disks, then CD-ROMs, then the network */
		order.dev[0] = VK_BOOTDEV_HD;
		order.dev[1] = VK_BOOTDEV_CDROM;
		order.dev[2] = VK_BOOTDEV_NETWORK;
		order.n = 3;
	}
	return order;
}

int vk_pc_firmware_bootorder(const struct vk_pc_firmware_config *cfg, char *buf, size_t size)
{
	struct vk_boot_order order = effective_order(&cfg->order);
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (unsigned k = 0; k < order.n; k++)
		for (size_t i = 0; i < cfg->n_devs; i++) {
			if (cfg->devs[i].kind != order.dev[k])
				continue;
			len += (size_t)snprintf(buf + len, size > len ? size - len : 0, "%s%s",
						len ? "\n" : "", cfg->devs[i].path);
		}
	if (len >= size)
		return vk_errorx(E2BIG, "bootorder: %zu devices do not fit in %zu bytes", cfg->n_devs, size);
	return (int)len;
}

static uint8_t cmos_boot_code(enum vk_bootdev dev)
{
	switch (dev) {
	case VK_BOOTDEV_HD: return CMOS_BOOT_HD;
	case VK_BOOTDEV_CDROM: return CMOS_BOOT_CDROM;
	case VK_BOOTDEV_NETWORK: return CMOS_BOOT_NETWORK;
	}
	return 0;
}

/* What BIOSes before fw_cfg read, and SeaBIOS still reads: memory sizes,
 * the CPU count, the legacy boot order (QEMU's layout of these bytes). */
static void fill_cmos(struct vk_rtc *rtc, const struct vk_pc_firmware_config *cfg)
{
	struct vk_boot_order order = effective_order(&cfg->order);
	uint64_t low = cfg->ram_size < VK_PCI_HOLE_START ? cfg->ram_size : VK_PCI_HOLE_START;
	uint64_t ext_kib = low > (1u << 20) ? (low >> 10) - 1024 : 0;
	uint64_t above16 = low > (16u << 20) ? (low - (16u << 20)) >> 16 : 0;
	uint64_t above4g = (cfg->ram_size - low) >> 16;
	uint8_t boot[3] = { 0 };
	uint16_t sum = 0;

	if (ext_kib > 0xffff)
		ext_kib = 0xffff;
	if (above16 > 0xffff)
		above16 = 0xffff;
	vk_rtc_set_nvram(rtc, CMOS_EQUIPMENT_INFO, CMOS_EQUIPMENT_FPU);
	vk_rtc_set_nvram(rtc, CMOS_MEM_BASE_LOW, BASE_MEMORY_KIB & 0xff);
	vk_rtc_set_nvram(rtc, CMOS_MEM_BASE_HIGH, BASE_MEMORY_KIB >> 8);
	vk_rtc_set_nvram(rtc, CMOS_MEM_EXT_LOW, (uint8_t)ext_kib);
	vk_rtc_set_nvram(rtc, CMOS_MEM_EXT_HIGH, (uint8_t)(ext_kib >> 8));
	vk_rtc_set_nvram(rtc, CMOS_MEM_EXTMEM_LOW, (uint8_t)ext_kib);
	vk_rtc_set_nvram(rtc, CMOS_MEM_EXTMEM_HIGH, (uint8_t)(ext_kib >> 8));
	vk_rtc_set_nvram(rtc, CMOS_MEM_EXTMEM2_LOW, (uint8_t)above16);
	vk_rtc_set_nvram(rtc, CMOS_MEM_EXTMEM2_HIGH, (uint8_t)(above16 >> 8));
	vk_rtc_set_nvram(rtc, CMOS_MEM_HIGHMEM_LOW, (uint8_t)above4g);
	vk_rtc_set_nvram(rtc, CMOS_MEM_HIGHMEM_MID, (uint8_t)(above4g >> 8));
	vk_rtc_set_nvram(rtc, CMOS_MEM_HIGHMEM_HIGH, (uint8_t)(above4g >> 16));
	vk_rtc_set_nvram(rtc, CMOS_BIOS_SMP_COUNT, (uint8_t)(cfg->ncpus - 1));
	for (unsigned i = 0; i < order.n && i < 3; i++)
		boot[i] = cmos_boot_code(order.dev[i]);
	vk_rtc_set_nvram(rtc, CMOS_BIOS_BOOTFLAG2, (uint8_t)(boot[1] << 4 | boot[0]));
	vk_rtc_set_nvram(rtc, CMOS_BIOS_BOOTFLAG1, (uint8_t)(boot[2] << 4 | 1));	/* no floppy */
	for (unsigned i = 0x10; i < CMOS_CHECKSUM_HIGH; i++)
		sum += vk_rtc_nvram(rtc, (uint8_t)i);
	vk_rtc_set_nvram(rtc, CMOS_CHECKSUM_HIGH, (uint8_t)(sum >> 8));
	vk_rtc_set_nvram(rtc, CMOS_CHECKSUM_LOW, (uint8_t)sum);
}

int vk_pc_firmware_setup(struct vk_fw_cfg *fw, struct vk_rtc *rtc, const struct vk_pc_firmware_config *cfg)
{
	char *bootorder = NULL;
	size_t bootorder_size = cfg->n_devs * (VK_BOOTDEV_PATH_MAX + 1) + 1;
	uint8_t ram_size[8];
	int rc, len;

	if (cfg->ncpus < 1 || cfg->ncpus > VK_MAX_CPUS || !cfg->ram_size)
		return vk_errorx(EINVAL, "firmware: %u vCPUs and %llu bytes of RAM", cfg->ncpus,
				 (unsigned long long)cfg->ram_size);
	put_le(ram_size, cfg->ram_size, 8);
	rc = vk_fw_cfg_add_u16(fw, FW_CFG_NB_CPUS, (uint16_t)cfg->ncpus);
	if (rc == 0)
		rc = vk_fw_cfg_add_u16(fw, FW_CFG_MAX_CPUS, (uint16_t)cfg->ncpus);
	if (rc == 0)
		rc = vk_fw_cfg_add(fw, FW_CFG_RAM_SIZE, ram_size, sizeof(ram_size));
	/* No graphics: vrun's screen is the serial console. */
	if (rc == 0)
		rc = vk_fw_cfg_add_u16(fw, FW_CFG_NOGRAPHIC, 1);
	if (rc == 0)
		rc = vk_fw_cfg_add_u16(fw, FW_CFG_BOOT_MENU, cfg->order.menu);
	if (rc == 0 && cfg->order.menu) {
		uint8_t wait[2] = { VK_BOOT_MENU_WAIT_MS & 0xff, VK_BOOT_MENU_WAIT_MS >> 8 };

		rc = vk_fw_cfg_add_file(fw, "etc/boot-menu-wait", wait, sizeof(wait));
	}
	if (rc == 0 && cfg->sercon_port) {
		uint8_t port[2] = { (uint8_t)cfg->sercon_port, (uint8_t)(cfg->sercon_port >> 8) };

		rc = vk_fw_cfg_add_file(fw, "etc/sercon-port", port, sizeof(port));
	}
	if (rc == 0)
		rc = add_e820(fw, cfg->ram_size);
	if (rc == 0 && cfg->n_devs) {
		bootorder = malloc(bootorder_size);
		if (!bootorder)
			rc = vk_error(ENOMEM, "bootorder");
		len = rc == 0 ? vk_pc_firmware_bootorder(cfg, bootorder, bootorder_size) : 0;
		if (len < 0)
			rc = len;
		/* With its NUL, as QEMU gives it. */
		if (rc == 0 && len > 0)
			rc = vk_fw_cfg_add_file(fw, "bootorder", bootorder, (size_t)len + 1);
	}
	if (rc == 0)
		rc = add_acpi(fw, cfg);
	if (rc == 0)
		rc = add_smbios(fw, cfg);
	if (rc == 0)
		fill_cmos(rtc, cfg);
	free(bootorder);
	return rc;
}

int vk_option_rom_load(const char *path, uint16_t vendor, uint16_t device, uint8_t **out, size_t *len)
{
	char *file = NULL;
	uint8_t *rom;
	size_t size = 0, image, pcir;
	int rc;

	*out = NULL;
	*len = 0;
	rc = vk_read_file(path, PCI_ROM_MAX, &file, &size);
	if (rc < 0)
		return vk_error_prefix(rc, "option ROM");
	rom = (uint8_t *)file;
	image = size > PCI_ROM_SIZE_OFF ? (size_t)rom[PCI_ROM_SIZE_OFF] * 512 : 0;
	pcir = size > PCI_ROM_PCIR_PTR + 1 ? rom[PCI_ROM_PCIR_PTR] | (size_t)rom[PCI_ROM_PCIR_PTR + 1] << 8 : 0;
	if (size < PCI_ROM_PCIR_PTR + 2 || rom[0] != PCI_ROM_SIGNATURE_0 || rom[1] != PCI_ROM_SIGNATURE_1 ||
	    image == 0 || image > size || pcir + 8 > image || memcmp(rom + pcir, "PCIR", 4) != 0) {
		rc = vk_errorx(EINVAL, "option ROM %s: not a PCI option ROM (no 55 AA header with a PCIR "
			       "structure inside its first image)", path);
		goto out;
	}
	uint16_t rom_vendor = rom[pcir + 4] | rom[pcir + 5] << 8, rom_device = rom[pcir + 6] | rom[pcir + 7] << 8;

	if (rom_vendor != vendor || rom_device != device) {
		uint8_t before = 0, after = 0;

		for (unsigned i = 4; i < 8; i++)
			before += rom[pcir + i];
		put_le(rom + pcir + 4, vendor, 2);
		put_le(rom + pcir + 6, device, 2);
		for (unsigned i = 4; i < 8; i++)
			after += rom[pcir + i];
		rom[PCI_ROM_CHECKSUM_OFF] -= (uint8_t)(after - before);
		vk_debug("option ROM %s: IDs %04x:%04x patched to %04x:%04x", path, rom_vendor, rom_device,
			 vendor, device);
	}
	*out = rom;
	*len = size;
	file = NULL;
out:
	free(file);
	return rc;
}
