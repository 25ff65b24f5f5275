/* test-firmware.c - what SeaBIOS is told: the ACPI table loader run as SeaBIOS runs it, SMBIOS, e820, bootorder, CMOS, option ROMs. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/machine.h"
#include "vmm/x86/acpi.h"
#include "vmm/x86/firmware.h"

static uint8_t ram[0x1000];
static struct vk_guest_memory mem = { .n_regions = 1, .ram_size = sizeof(ram),
				      .regions = { { 0, sizeof(ram), ram } } };

struct env {
	struct vk_fw_cfg fw;
	struct vk_bus pio;
	struct vk_rtc rtc;
	struct vk_bootdev_path devs[4];
	struct vk_mp_intx intx[2];
	struct vk_pc_firmware_config cfg;
};

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	assert_int_equal(vk_fw_cfg_init(&e->fw, &mem, &e->pio), 0);
	assert_int_equal(vk_rtc_init(&e->rtc, &e->pio), 0);
	e->devs[0] = (struct vk_bootdev_path){ VK_BOOTDEV_HD, "/pci@i0cf8/scsi@2/disk@0,0" };
	e->devs[1] = (struct vk_bootdev_path){ VK_BOOTDEV_NETWORK, "/pci@i0cf8/ethernet@3/ethernet-phy@0" };
	e->devs[2] = (struct vk_bootdev_path){ VK_BOOTDEV_CDROM, "/pci@i0cf8/sata@4/drive@0/disk@0" };
	e->devs[3] = (struct vk_bootdev_path){ VK_BOOTDEV_HD, "/pci@i0cf8/scsi@5/disk@0,0" };
	e->intx[0] = (struct vk_mp_intx){ 2, 1, 17 };
	e->intx[1] = (struct vk_mp_intx){ 3, 1, 18 };
	e->cfg = (struct vk_pc_firmware_config){
		.ncpus = 2, .ram_size = 5ull << 30, .intx = e->intx, .n_intx = 2,
		.devs = e->devs, .n_devs = 4, .sercon_port = 0x3f8,
	};
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	vk_fw_cfg_free(&e->fw);
	vk_bus_free(&e->pio);
	test_free(e);
	return 0;
}

static const struct vk_fw_cfg_item *file(struct env *e, const char *name)
{
	const struct vk_fw_cfg_item *it = vk_fw_cfg_find_file(&e->fw, name);

	if (!it)
		fail_msg("fw_cfg has no file %s", name);
	return it;
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

/* SeaBIOS's romfile_loader: every file the loader allocates is copied to a
 * buffer standing for guest memory at a chosen address, pointers get that
 * address added, checksums are fixed.  Returns the RSDP's copy. */
struct loaded {
	char name[56];
	uint8_t *data;
	uint32_t size;
	uint64_t addr;
};

static struct loaded *find_loaded(struct loaded *l, unsigned n, const uint8_t *name)
{
	for (unsigned i = 0; i < n; i++)
		if (strncmp(l[i].name, (const char *)name, 56) == 0)
			return &l[i];
	fail_msg("loader names a file it did not allocate: %.56s", name);
	return NULL;
}

static unsigned run_loader(struct env *e, struct loaded *l, unsigned max)
{
	const struct vk_fw_cfg_item *loader = file(e, "etc/table-loader");
	unsigned n = 0;

	assert_int_equal(loader->len % VK_TABLE_LOADER_ENTRY_SIZE, 0);
	for (uint32_t off = 0; off < loader->len; off += VK_TABLE_LOADER_ENTRY_SIZE) {
		const uint8_t *c = loader->data + off;
		struct loaded *dst, *src;
		uint32_t at;

		switch (le(c, 4)) {
		case 1: {	/* ALLOCATE file, align, zone */
			const struct vk_fw_cfg_item *it = file(e, (const char *)c + 4);
			uint32_t align = (uint32_t)le(c + 60, 4);

			assert_true(n < max);
			assert_true(align && (align & (align - 1)) == 0);
			assert_true(c[64] == 1 || c[64] == 2);
			snprintf(l[n].name, sizeof(l[n].name), "%s", it->name);
			l[n].data = test_malloc(it->len);
			memcpy(l[n].data, it->data, it->len);
			l[n].size = it->len;
			/* Somewhere SeaBIOS could put it: the F segment or high RAM. */
			l[n].addr = c[64] == 2 ? 0xf5a40 : 0x3fff0000 + 0x1000 * n;
			assert_int_equal(l[n].addr % align, 0);
			n++;
			break;
		}
		case 2: {	/* ADD_POINTER dest, src, offset, size */
			uint64_t v;

			dst = find_loaded(l, n, c + 4);
			src = find_loaded(l, n, c + 60);
			at = (uint32_t)le(c + 116, 4);
			assert_true(c[120] == 4 || c[120] == 8);
			assert_true(at + c[120] <= dst->size);
			v = le(dst->data + at, c[120]) + src->addr;
			for (unsigned i = 0; i < c[120]; i++)
				dst->data[at + i] = (uint8_t)(v >> (8 * i));
			break;
		}
		case 3: {	/* ADD_CHECKSUM file, offset, start, length */
			uint32_t start = (uint32_t)le(c + 64, 4), len = (uint32_t)le(c + 68, 4);

			dst = find_loaded(l, n, c + 4);
			at = (uint32_t)le(c + 60, 4);
			assert_true(at < dst->size && start + len <= dst->size);
			dst->data[at] -= sum(dst->data + start, len);
			break;
		}
		default:
			fail_msg("unknown loader command %llu", (unsigned long long)le(c, 4));
		}
	}
	return n;
}

/* The table at guest address addr, through the loaded files. */
static const uint8_t *at_addr(struct loaded *l, unsigned n, uint64_t addr)
{
	for (unsigned i = 0; i < n; i++)
		if (addr >= l[i].addr && addr < l[i].addr + l[i].size)
			return l[i].data + (addr - l[i].addr);
	fail_msg("no table at 0x%llx", (unsigned long long)addr);
	return NULL;
}

static const uint8_t *checked_table(struct loaded *l, unsigned n, uint64_t addr, const char *sig)
{
	const uint8_t *t = at_addr(l, n, addr);

	assert_memory_equal(t, sig, 4);
	assert_int_equal(sum(t, le(t + 4, 4)), 0);
	return t;
}

static void acpi_through_the_table_loader(void **state)
{
	struct env *e = *state;
	struct loaded l[4];
	const uint8_t *rsdp, *xsdt, *rsdt, *fadt, *dsdt, *madt;
	unsigned n;

	assert_int_equal(vk_pc_firmware_setup(&e->fw, &e->rtc, &e->cfg), 0);
	n = run_loader(e, l, 4);
	assert_int_equal(n, 2);
	rsdp = at_addr(l, n, 0xf5a40);
	assert_memory_equal(rsdp, "RSD PTR ", 8);
	assert_int_equal(sum(rsdp, 20), 0);
	assert_int_equal(sum(rsdp, 36), 0);
	xsdt = checked_table(l, n, le(rsdp + 24, 8), "XSDT");
	rsdt = checked_table(l, n, le(rsdp + 16, 4), "RSDT");
	fadt = checked_table(l, n, le(xsdt + 36, 8), "FACP");
	assert_int_equal(le(rsdt + 36, 4), le(xsdt + 36, 8));
	madt = checked_table(l, n, le(xsdt + 44, 8), "APIC");
	assert_int_equal(madt[44 + 3], 0);			/* first LAPIC's id */
	dsdt = checked_table(l, n, le(fadt + 140, 8), "DSDT");	/* X_DSDT */
	assert_ptr_equal(dsdt, at_addr(l, n, le(fadt + 40, 4)));
	assert_memory_equal(at_addr(l, n, le(fadt + 36, 4)), "FACS", 4);
	assert_int_equal(le(fadt + 36, 4) % 64, 0);
	/* The copy of the RSDP inside the tables file is blank: only one RSDP. */
	for (unsigned i = 0; i < n; i++)
		if (l[i].size > 36 && strcmp(l[i].name, "etc/acpi/tables") == 0)
			assert_int_equal(sum(l[i].data, 8), 0);
	for (unsigned i = 0; i < n; i++)
		test_free(l[i].data);
}

static void smbios_anchor_and_tables(void **state)
{
	struct env *e = *state;
	const struct vk_fw_cfg_item *anchor, *tables;
	unsigned types[128] = { 0 }, count = 0;

	assert_int_equal(vk_pc_firmware_setup(&e->fw, &e->rtc, &e->cfg), 0);
	anchor = file(e, "etc/smbios/smbios-anchor");
	tables = file(e, "etc/smbios/smbios-tables");
	assert_int_equal(anchor->len, VK_SMBIOS3_ENTRY_LEN);
	assert_memory_equal(anchor->data, "_SM3_", 5);
	assert_int_equal(sum(anchor->data, anchor->len), 0);
	assert_int_equal(le(anchor->data + 12, 4), tables->len);	/* maximum size */
	/* Walk the structures: formatted part, strings, double NUL. */
	for (uint32_t off = 0; off < tables->len; count++) {
		const uint8_t *s = tables->data + off;
		uint32_t p = off + s[1];

		assert_true(s[1] >= 4 && p <= tables->len);
		types[s[0] & 127]++;
		while (p + 1 < tables->len && (tables->data[p] || tables->data[p + 1]))
			p++;
		assert_true(p + 1 < tables->len);
		off = p + 2;
		if (s[0] == 127)
			assert_int_equal(off, tables->len);
	}
	assert_int_equal(types[1], 1);
	assert_int_equal(types[4], 2);		/* a processor per vCPU */
	assert_int_equal(types[19], 2);		/* RAM below 3 GiB and above 4 GiB */
	assert_int_equal(types[127], 1);
	assert_int_equal(types[0], 0);		/* SeaBIOS adds its own type 0 */
}

static void e820_bootorder_and_cpus(void **state)
{
	struct env *e = *state;
	const struct vk_fw_cfg_item *e820, *boot;

	e->cfg.order = (struct vk_boot_order){ { VK_BOOTDEV_CDROM, VK_BOOTDEV_HD }, 2, true };
	assert_int_equal(vk_pc_firmware_setup(&e->fw, &e->rtc, &e->cfg), 0);
	e820 = file(e, "etc/e820");
	assert_int_equal(e820->len, 3 * 20);
	assert_int_equal(le(e820->data, 8), 0);
	assert_int_equal(le(e820->data + 8, 8), VK_PCI_HOLE_START);
	assert_int_equal(le(e820->data + 16, 4), 1);
	assert_int_equal(le(e820->data + 20, 8), VK_4GIB);
	assert_int_equal(le(e820->data + 28, 8), (5ull << 30) - VK_PCI_HOLE_START);
	assert_int_equal(le(e820->data + 56, 4), 2);	/* KVM's pages, reserved */
	boot = file(e, "bootorder");
	assert_string_equal((const char *)boot->data,
			    "/pci@i0cf8/sata@4/drive@0/disk@0\n/pci@i0cf8/scsi@2/disk@0,0\n/pci@i0cf8/scsi@5/disk@0,0");
	assert_int_equal(le(file(e, "etc/boot-menu-wait")->data, 2), VK_BOOT_MENU_WAIT_MS);
	assert_int_equal(le(file(e, "etc/sercon-port")->data, 2), 0x3f8);
}

static void default_order_and_no_menu(void **state)
{
	struct env *e = *state;
	char text[512];

	assert_int_equal(vk_pc_firmware_bootorder(&e->cfg, text, sizeof(text)), 123);
	assert_string_equal(text, "/pci@i0cf8/scsi@2/disk@0,0\n/pci@i0cf8/scsi@5/disk@0,0\n"
			    "/pci@i0cf8/sata@4/drive@0/disk@0\n/pci@i0cf8/ethernet@3/ethernet-phy@0");
	assert_int_equal(vk_pc_firmware_bootorder(&e->cfg, text, 20), -E2BIG);
	assert_int_equal(vk_pc_firmware_setup(&e->fw, &e->rtc, &e->cfg), 0);
	assert_null(vk_fw_cfg_find_file(&e->fw, "etc/boot-menu-wait"));
}

static uint8_t cmos(struct env *e, uint8_t index)
{
	uint8_t v = index;

	vk_rtc_io(&e->rtc, 0, &v, 1, true);
	vk_rtc_io(&e->rtc, 1, &v, 1, false);
	return v;
}

static void cmos_memory_cpus_boot(void **state)
{
	struct env *e = *state;
	uint16_t check = 0;

	e->cfg.order = (struct vk_boot_order){ { VK_BOOTDEV_NETWORK, VK_BOOTDEV_CDROM, VK_BOOTDEV_HD }, 3, false };
	assert_int_equal(vk_pc_firmware_setup(&e->fw, &e->rtc, &e->cfg), 0);
	assert_int_equal(cmos(e, 0x15) | cmos(e, 0x16) << 8, 640);
	assert_int_equal(cmos(e, 0x30) | cmos(e, 0x31) << 8, 0xffff);		/* capped */
	/* 3 GiB below the hole: (3 GiB - 16 MiB) in 64 KiB units. */
	assert_int_equal(cmos(e, 0x34) | cmos(e, 0x35) << 8, ((3ull << 30) - (16 << 20)) >> 16);
	assert_int_equal(cmos(e, 0x5b) | cmos(e, 0x5c) << 8 | cmos(e, 0x5d) << 16, (2ull << 30) >> 16);
	assert_int_equal(cmos(e, 0x5f), 1);
	assert_int_equal(cmos(e, 0x3d), 0x34);		/* network, then cdrom */
	assert_int_equal(cmos(e, 0x38), 0x21);		/* hd third; no floppy check */
	for (unsigned i = 0x10; i < 0x2e; i++)
		check += cmos(e, (uint8_t)i);
	assert_int_equal(cmos(e, 0x2e) << 8 | cmos(e, 0x2f), check);
}

static void small_guest_cmos(void **state)
{
	struct env *e = *state;

	e->cfg.ram_size = 64ull << 20;
	e->cfg.ncpus = 1;
	assert_int_equal(vk_pc_firmware_setup(&e->fw, &e->rtc, &e->cfg), 0);
	assert_int_equal(cmos(e, 0x30) | cmos(e, 0x31) << 8, 63 * 1024);
	assert_int_equal(cmos(e, 0x34) | cmos(e, 0x35) << 8, (48 << 20) >> 16);
	assert_int_equal(cmos(e, 0x5b) | cmos(e, 0x5c) | cmos(e, 0x5d), 0);
	assert_int_equal(cmos(e, 0x5f), 0);
	assert_int_equal(file(e, "etc/e820")->len, 2 * 20);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

static void option_rom_checked_and_patched(void **state)
{
	char path[] = "/tmp/vkit-rom-test.XXXXXX";
	uint8_t rom[1024] = { 0x55, 0xaa, 2 }, *got;
	size_t len;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	rom[0x18] = 0x40;
	memcpy(rom + 0x40, "PCIR", 4);
	rom[0x44] = 0x86;	/* 8086:100e, another NIC's ROM */
	rom[0x45] = 0x80;
	rom[0x46] = 0x0e;
	rom[0x47] = 0x10;
	rom[7] = (uint8_t)-sum(rom, sizeof(rom));
	write_file(path, rom, sizeof(rom));
	assert_int_equal(vk_option_rom_load(path, 0x1af4, 0x1041, &got, &len), 0);
	assert_int_equal(len, sizeof(rom));
	assert_int_equal(le(got + 0x44, 2), 0x1af4);
	assert_int_equal(le(got + 0x46, 2), 0x1041);
	assert_int_equal(sum(got, 1024), 0);		/* still sums to zero */
	free(got);
	/* Not a ROM; a PCIR pointer past the image; too small. */
	rom[1] = 0xab;
	write_file(path, rom, sizeof(rom));
	assert_int_equal(vk_option_rom_load(path, 0x1af4, 0x1041, &got, &len), -EINVAL);
	rom[1] = 0xaa;
	rom[0x18] = 0xfe;
	rom[0x19] = 0x03;
	write_file(path, rom, sizeof(rom));
	assert_int_equal(vk_option_rom_load(path, 0x1af4, 0x1041, &got, &len), -EINVAL);
	write_file(path, rom, 10);
	assert_int_equal(vk_option_rom_load(path, 0x1af4, 0x1041, &got, &len), -EINVAL);
	unlink(path);
	assert_int_equal(vk_option_rom_load(path, 0x1af4, 0x1041, &got, &len), -ENOENT);
	assert_null(got);
}

/* Debian's iPXE ROM, when installed, loads for our virtio-net as it is. */
static void debian_ipxe_rom(void **state)
{
	uint8_t *got;
	size_t len;

	(void)state;
	if (access(VK_PXE_ROM_VIRTIO, R_OK) < 0)
		skip();
	assert_int_equal(vk_option_rom_load(VK_PXE_ROM_VIRTIO, 0x1af4, 0x1041, &got, &len), 0);
	assert_int_equal(sum(got, (size_t)got[2] * 512), 0);
	free(got);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(acpi_through_the_table_loader),
		T(smbios_anchor_and_tables),
		T(e820_bootorder_and_cpus),
		T(default_order_and_no_menu),
		T(cmos_memory_cpus_boot),
		T(small_guest_cmos),
		cmocka_unit_test(option_rom_checked_and_patched),
		cmocka_unit_test(debian_ipxe_rom),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
