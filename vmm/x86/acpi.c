/* x86/acpi.c - the ACPI tables (RSDP, RSDT, XSDT, FADT, FACS, MADT, DSDT) vrun hands a Linux guest. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "vmm/devices.h"
#include "vmm/machine.h"
#include "vmm/x86/acpi.h"
#include "vmm/x86/aml.h"

#define ACPI_OEM_ID		"VKIT  "
#define ACPI_OEM_TABLE_ID	"VRUN    "
#define ACPI_CREATOR_ID		"VKIT"
#define ACPI_RSDP_REVISION	2	/* ACPI 2.0+: XSDT */
#define ACPI_FADT_REVISION	6
#define ACPI_FADT_MINOR		3
#define ACPI_MADT_REVISION	4
#define ACPI_DSDT_REVISION	2	/* 64-bit integers */
#define ACPI_FACS_VERSION	2
#define ACPI_TABLE_ALIGN	16
#define ACPI_FACS_ALIGN		64

/* Generic Address Structure, 5.2.3.2. */
#define ACPI_GAS_SYSTEM_IO	1
#define ACPI_GAS_ACCESS_BYTE	1

/* FADT flags, table 5.10, and IA-PC boot architecture flags, table 5.11. */
#define ACPI_FADT_WBINVD	(1u << 0)
#define ACPI_FADT_PROC_C1	(1u << 2)
#define ACPI_FADT_SLP_BUTTON	(1u << 5)	/* set: no sleep button */
#define ACPI_FADT_FIX_RTC	(1u << 6)
#define ACPI_FADT_TMR_VAL_EXT	(1u << 8)	/* 32-bit PM timer */
#define ACPI_FADT_RESET_REG_SUP	(1u << 10)
#define ACPI_BOOT_LEGACY_DEVICES (1u << 0)
#define ACPI_BOOT_8042		(1u << 1)
#define ACPI_BOOT_VGA_NOT_PRESENT (1u << 2)
#define ACPI_C2_NOT_SUPPORTED	0x0fff		/* P_LVL2_LAT > 100 */
#define ACPI_C3_NOT_SUPPORTED	0x0fff		/* P_LVL3_LAT > 1000 */

/* MADT, 5.2.12. */
#define ACPI_MADT_PCAT_COMPAT	(1u << 0)
#define ACPI_MADT_LAPIC		0
#define ACPI_MADT_IOAPIC	1
#define ACPI_MADT_ISO		2
#define ACPI_MADT_LAPIC_NMI	4
#define ACPI_MADT_ENABLED	(1u << 0)
#define ACPI_MPS_HIGH_LEVEL	0x000d	/* polarity 01 active high, trigger 11 level */
#define ACPI_ALL_PROCESSORS	0xff
#define ACPI_NMI_LINT		1

/* Resource descriptors for _CRS, 6.4. */
#define ACPI_RES_IO		0x47	/* small item: I/O port, 7 bytes */
#define ACPI_RES_IO_DECODE16	0x01
#define ACPI_RES_END_TAG	0x79
#define ACPI_RES_DWORD_ADDR	0x87
#define ACPI_RES_WORD_ADDR	0x88
#define ACPI_RES_TYPE_MEM	0
#define ACPI_RES_TYPE_IO	1
#define ACPI_RES_TYPE_BUS	2
#define ACPI_RES_MIN_MAX_FIXED	0x0c	/* producer, _MIF and _MAF set */
#define ACPI_RES_IO_ENTIRE	0x03	/* ISA and non-ISA ranges */
#define ACPI_RES_MEM_RW		0x01	/* read-write, non-cacheable */

#define PCI_CONFIG_PORTS	0xcf8
#define PCI_CONFIG_PORTS_LEN	8
#define PCI_MMIO_WINDOW		VK_PCI_HOLE_START
#define PCI_MMIO_WINDOW_SIZE	((uint32_t)VK_PCI_MMIO_SIZE)
#define PCI_INTX_ADDR_ANY_FN	0xffff

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem_id[6], oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum;
	char oem_id[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum, reserved[3];
} __attribute__((packed));

struct acpi_gas {
	uint8_t space_id, bit_width, bit_offset, access_size;
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk;
	uint32_t pm_tmr_blk, gpe0_blk, gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len;
	uint8_t gpe0_blk_len, gpe1_blk_len, gpe1_base, cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk, x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk;
	struct acpi_gas sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

struct acpi_facs {
	char signature[4];
	uint32_t length, hardware_signature, firmware_waking_vector, global_lock, flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version, reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address, flags;
} __attribute__((packed));

struct madt_lapic {
	uint8_t type, length, processor_uid, apic_id;
	uint32_t flags;
} __attribute__((packed));

struct madt_ioapic {
	uint8_t type, length, ioapic_id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags;
} __attribute__((packed));

struct madt_lapic_nmi {
	uint8_t type, length, processor_uid;
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "SDT header");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT revision 6");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

uint8_t vk_acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

static void header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = 1;
}

/* Set the checksum of the table at p (its length is in its header). */
static void header_seal(uint8_t *p)
{
	struct acpi_header *h = (struct acpi_header *)p;

	h->checksum = 0;
	h->checksum = vk_acpi_checksum(p, h->length);
}

/* Tables are laid out one after the other in the caller's buffer. */
struct layout {
	uint8_t *buf;
	size_t size, len;
	uint64_t base;
};

/* Reserve len bytes at the next multiple of align; NULL when they do not fit. */
static uint8_t *reserve(struct layout *l, size_t len, size_t align, uint64_t *gpa)
{
	size_t at = (l->len + align - 1) & ~(align - 1);

	if (at > l->size || len > l->size - at)
		return NULL;
	memset(l->buf + at, 0, len);
	l->len = at + len;
	*gpa = l->base + at;
	return l->buf + at;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* WordBusNumber / WordIO producer (6.4.3.5.3). */
static size_t word_address(uint8_t *p, uint8_t type, uint8_t type_flags, uint16_t min, uint16_t max)
{
	p[0] = ACPI_RES_WORD_ADDR;
	put_le(p + 1, 13, 2);
	p[3] = type;
	p[4] = ACPI_RES_MIN_MAX_FIXED;
	p[5] = type_flags;
	put_le(p + 6, 0, 2);			/* granularity */
	put_le(p + 8, min, 2);
	put_le(p + 10, max, 2);
	put_le(p + 12, 0, 2);			/* translation */
	put_le(p + 14, (uint32_t)max - min + 1, 2);
	return 16;
}

/* The host bridge's _CRS: bus 0, the config ports, all other I/O, the MMIO window. */
static size_t pci_crs(uint8_t *p)
{
	size_t n = 0;

	n += word_address(p + n, ACPI_RES_TYPE_BUS, 0, 0, 0);
	p[n] = ACPI_RES_IO;
	p[n + 1] = ACPI_RES_IO_DECODE16;
	put_le(p + n + 2, PCI_CONFIG_PORTS, 2);
	put_le(p + n + 4, PCI_CONFIG_PORTS, 2);
	p[n + 6] = 1;				/* alignment */
	p[n + 7] = PCI_CONFIG_PORTS_LEN;
	n += 8;
	n += word_address(p + n, ACPI_RES_TYPE_IO, ACPI_RES_IO_ENTIRE, 0, PCI_CONFIG_PORTS - 1);
	n += word_address(p + n, ACPI_RES_TYPE_IO, ACPI_RES_IO_ENTIRE,
			  PCI_CONFIG_PORTS + PCI_CONFIG_PORTS_LEN, 0xffff);
	p[n] = ACPI_RES_DWORD_ADDR;		/* DWordMemory, 6.4.3.5.2 */
	put_le(p + n + 1, 23, 2);
	p[n + 3] = ACPI_RES_TYPE_MEM;
	p[n + 4] = ACPI_RES_MIN_MAX_FIXED;
	p[n + 5] = ACPI_RES_MEM_RW;
	put_le(p + n + 6, 0, 4);
	put_le(p + n + 10, PCI_MMIO_WINDOW, 4);
	put_le(p + n + 14, PCI_MMIO_WINDOW + PCI_MMIO_WINDOW_SIZE - 1, 4);
	put_le(p + n + 18, 0, 4);
	put_le(p + n + 22, PCI_MMIO_WINDOW_SIZE, 4);
	n += 26;
	p[n] = ACPI_RES_END_TAG;
	p[n + 1] = 0;				/* checksum 0: "sum is fine" */
	return n + 2;
}

static void dsdt_pci(struct vk_aml *a, const struct vk_acpi_config *cfg)
{
	uint8_t crs[128];
	size_t crs_len = pci_crs(crs);

	vk_aml_device_open(a, "PCI0");
	vk_aml_name(a, "_HID");
	vk_aml_eisaid(a, "PNP0A03");
	vk_aml_name(a, "_ADR");
	vk_aml_integer(a, 0);
	vk_aml_name(a, "_UID");
	vk_aml_integer(a, 0);
	vk_aml_name(a, "_BBN");
	vk_aml_integer(a, 0);
	vk_aml_name(a, "_CRS");
	vk_aml_buffer(a, crs, crs_len);
	/* _PRT (6.2.13): INTx with a GSI of its own, no link devices. */
	vk_aml_name(a, "_PRT");
	vk_aml_package_open(a, (uint8_t)cfg->n_intx);
	for (size_t i = 0; i < cfg->n_intx; i++) {
		vk_aml_package_open(a, 4);
		vk_aml_integer(a, (uint64_t)cfg->intx[i].slot << 16 | PCI_INTX_ADDR_ANY_FN);
		vk_aml_integer(a, cfg->intx[i].pin - 1);	/* 0 = INTA# */
		vk_aml_integer(a, 0);				/* source: none, a GSI */
		vk_aml_integer(a, cfg->intx[i].gsi);
		vk_aml_close(a);
	}
	vk_aml_close(a);
	vk_aml_close(a);
}

int vk_acpi_build_dsdt(uint8_t *buf, size_t size, const struct vk_acpi_config *cfg)
{
	struct acpi_header h = { 0 };
	struct vk_aml a;
	int len;

	if (size < sizeof(h))
		return -E2BIG;
	if (cfg->n_intx > UINT8_MAX || (cfg->n_intx && !cfg->intx))
		return -EINVAL;
	for (size_t i = 0; i < cfg->n_intx; i++)
		if (cfg->intx[i].pin < 1 || cfg->intx[i].pin > 4 || cfg->intx[i].slot > 31)
			return -EINVAL;
	vk_aml_init(&a, buf + sizeof(h), size - sizeof(h));
	/* \_S5: the SLP_TYP values for soft-off, PM1a and PM1b (7.4.2). */
	vk_aml_name(&a, "\\_S5");
	vk_aml_package_open(&a, 4);
	vk_aml_integer(&a, VK_ACPI_S5_SLP_TYP);
	vk_aml_integer(&a, VK_ACPI_S5_SLP_TYP);
	vk_aml_integer(&a, 0);
	vk_aml_integer(&a, 0);
	vk_aml_close(&a);
	if (cfg->pci) {
		vk_aml_scope_open(&a, "\\_SB");
		dsdt_pci(&a, cfg);
		vk_aml_close(&a);
	}
	len = vk_aml_finish(&a);
	if (len < 0)
		return len;
	header_init(&h, "DSDT", (uint32_t)(sizeof(h) + (size_t)len), ACPI_DSDT_REVISION);
	memcpy(buf, &h, sizeof(h));
	header_seal(buf);
	return (int)h.length;
}

static void gas_io(struct acpi_gas *g, uint16_t port, unsigned bytes)
{
	g->space_id = ACPI_GAS_SYSTEM_IO;
	g->bit_width = (uint8_t)(bytes * 8);
	g->bit_offset = 0;
	g->access_size = 0;	/* undefined: the OS uses the register's width */
	g->address = port;
}

static void fadt_fill(struct acpi_fadt *f, uint64_t facs, uint64_t dsdt)
{
	header_init(&f->h, "FACP", sizeof(*f), ACPI_FADT_REVISION);
	f->minor_version = ACPI_FADT_MINOR;
	/* One of the two FACS pointers (both make Linux install it twice);
	 * the tables are below 1 MiB, so the 32-bit one. */
	f->firmware_ctrl = (uint32_t)facs;
	f->dsdt = (uint32_t)dsdt;
	f->x_dsdt = dsdt;
	f->sci_int = VK_ACPI_SCI_IRQ;
	f->smi_cmd = 0;		/* no SMM: ACPI mode is always on (SCI_EN reads 1) */
	f->pm1a_evt_blk = VK_PM1_EVT_BLK;
	f->pm1_evt_len = VK_PM1_EVT_LEN;
	f->pm1a_cnt_blk = VK_PM1_CNT_BLK;
	f->pm1_cnt_len = VK_PM1_CNT_LEN;
	f->pm_tmr_blk = VK_PM_TMR_BLK;
	f->pm_tmr_len = VK_PM_TMR_LEN;
	gas_io(&f->x_pm1a_evt_blk, VK_PM1_EVT_BLK, VK_PM1_EVT_LEN);
	gas_io(&f->x_pm1a_cnt_blk, VK_PM1_CNT_BLK, VK_PM1_CNT_LEN);
	gas_io(&f->x_pm_tmr_blk, VK_PM_TMR_BLK, VK_PM_TMR_LEN);
	f->p_lvl2_lat = ACPI_C2_NOT_SUPPORTED;
	f->p_lvl3_lat = ACPI_C3_NOT_SUPPORTED;
	f->iapc_boot_arch = ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_8042 | ACPI_BOOT_VGA_NOT_PRESENT;
	/* PWR_BUTTON clear: the power button is the fixed-feature one. */
	f->flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC |
		   ACPI_FADT_TMR_VAL_EXT | ACPI_FADT_RESET_REG_SUP;
	gas_io(&f->reset_reg, VK_ACPI_RESET_PORT, 1);
	f->reset_reg.access_size = ACPI_GAS_ACCESS_BYTE;
	f->reset_value = VK_ACPI_RESET_VALUE;
}

static size_t madt_size(unsigned ncpus)
{
	return sizeof(struct acpi_madt) + ncpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + sizeof(struct madt_iso) + sizeof(struct madt_lapic_nmi);
}

static void madt_fill(uint8_t *p, unsigned ncpus)
{
	struct acpi_madt *t = (struct acpi_madt *)p;
	size_t n = sizeof(*t);
	uint8_t ioapic_id = (uint8_t)ncpus;	/* after the LAPIC ids, as in the MP table */

	header_init(&t->h, "APIC", (uint32_t)madt_size(ncpus), ACPI_MADT_REVISION);
	t->lapic_address = (uint32_t)VK_LAPIC_BASE;
	t->flags = ACPI_MADT_PCAT_COMPAT;
	for (unsigned i = 0; i < ncpus; i++) {
		struct madt_lapic e = { ACPI_MADT_LAPIC, sizeof(e), (uint8_t)i, (uint8_t)i, ACPI_MADT_ENABLED };

		memcpy(p + n, &e, sizeof(e));
		n += sizeof(e);
	}
	struct madt_ioapic io = { ACPI_MADT_IOAPIC, sizeof(io), ioapic_id, 0, (uint32_t)VK_IOAPIC_BASE, 0 };
	memcpy(p + n, &io, sizeof(io));
	n += sizeof(io);
	/* ISA IRQ n is GSI n (irq.c); only the SCI's trigger differs from ISA's edge. */
	struct madt_iso sci = { ACPI_MADT_ISO, sizeof(sci), 0, VK_ACPI_SCI_IRQ, VK_ACPI_SCI_IRQ,
				ACPI_MPS_HIGH_LEVEL };
	memcpy(p + n, &sci, sizeof(sci));
	n += sizeof(sci);
	struct madt_lapic_nmi nmi = { ACPI_MADT_LAPIC_NMI, sizeof(nmi), ACPI_ALL_PROCESSORS, 0, ACPI_NMI_LINT };
	memcpy(p + n, &nmi, sizeof(nmi));
}

static void link_pointer(struct vk_acpi_links *k, uint64_t offset, uint8_t size)
{
	if (k && k->n_ptrs < VK_ACPI_MAX_LINKS)
		k->ptrs[k->n_ptrs++] = (struct vk_acpi_pointer){ (uint32_t)offset, size };
}

static void link_checksum(struct vk_acpi_links *k, uint64_t offset, uint64_t start, uint32_t length)
{
	if (k && k->n_sums < VK_ACPI_MAX_LINKS)
		k->sums[k->n_sums++] = (struct vk_acpi_checksum){ (uint32_t)offset, (uint32_t)start, length };
}

/* A table's checksum, where tab is its offset in the buffer. */
static void link_table(struct vk_acpi_links *k, const uint8_t *buf, size_t tab)
{
	const struct acpi_header *h = (const struct acpi_header *)(buf + tab);

	link_checksum(k, tab + offsetof(struct acpi_header, checksum), tab, h->length);
}

int vk_acpi_build(uint8_t *buf, size_t size, uint64_t base, const struct vk_acpi_config *cfg)
{
	return vk_acpi_build_linked(buf, size, base, cfg, NULL);
}

int vk_acpi_build_linked(uint8_t *buf, size_t size, uint64_t base, const struct vk_acpi_config *cfg,
			 struct vk_acpi_links *links)
{
	struct layout l = { buf, size, 0, base };
	struct acpi_rsdp *rsdp;
	struct acpi_facs *facs;
	uint64_t rsdp_gpa = 0, facs_gpa = 0, dsdt_gpa = 0, fadt_gpa = 0, madt_gpa = 0;
	uint64_t rsdt_gpa = 0, xsdt_gpa = 0;
	uint8_t *dsdt, *fadt, *madt, *rsdt, *xsdt;
	int dsdt_len;

	if (base % ACPI_TABLE_ALIGN || base + size > VK_4GIB || cfg->ncpus < 1 || cfg->ncpus > VK_MAX_CPUS)
		return -EINVAL;
	rsdp = (struct acpi_rsdp *)reserve(&l, sizeof(*rsdp), ACPI_TABLE_ALIGN, &rsdp_gpa);
	facs = (struct acpi_facs *)reserve(&l, sizeof(*facs), ACPI_FACS_ALIGN, &facs_gpa);
	if (!rsdp || !facs || !reserve(&l, 0, ACPI_TABLE_ALIGN, &dsdt_gpa))
		return -E2BIG;
	dsdt = buf + l.len;
	dsdt_len = vk_acpi_build_dsdt(dsdt, size - l.len, cfg);
	if (dsdt_len < 0)
		return dsdt_len;
	l.len += (size_t)dsdt_len;
	fadt = reserve(&l, sizeof(struct acpi_fadt), ACPI_TABLE_ALIGN, &fadt_gpa);
	madt = reserve(&l, madt_size(cfg->ncpus), ACPI_TABLE_ALIGN, &madt_gpa);
	rsdt = reserve(&l, sizeof(struct acpi_header) + 2 * 4, ACPI_TABLE_ALIGN, &rsdt_gpa);
	xsdt = reserve(&l, sizeof(struct acpi_header) + 2 * 8, ACPI_TABLE_ALIGN, &xsdt_gpa);
	if (!fadt || !madt || !rsdt || !xsdt)
		return -E2BIG;

	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = ACPI_FACS_VERSION;

	fadt_fill((struct acpi_fadt *)fadt, facs_gpa, dsdt_gpa);
	header_seal(fadt);
	madt_fill(madt, cfg->ncpus);
	header_seal(madt);

	header_init((struct acpi_header *)rsdt, "RSDT", sizeof(struct acpi_header) + 2 * 4, 1);
	put_le(rsdt + sizeof(struct acpi_header), fadt_gpa, 4);
	put_le(rsdt + sizeof(struct acpi_header) + 4, madt_gpa, 4);
	header_seal(rsdt);
	header_init((struct acpi_header *)xsdt, "XSDT", sizeof(struct acpi_header) + 2 * 8, 1);
	put_le(xsdt + sizeof(struct acpi_header), fadt_gpa, 8);
	put_le(xsdt + sizeof(struct acpi_header) + 8, madt_gpa, 8);
	header_seal(xsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	memcpy(rsdp->oem_id, ACPI_OEM_ID, sizeof(rsdp->oem_id));
	rsdp->revision = ACPI_RSDP_REVISION;
	rsdp->rsdt = (uint32_t)rsdt_gpa;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt = xsdt_gpa;
	rsdp->checksum = vk_acpi_checksum((uint8_t *)rsdp, 20);	/* the ACPI 1.0 part */
	rsdp->ext_checksum = vk_acpi_checksum((uint8_t *)rsdp, sizeof(*rsdp));
	if (links) {
		size_t r = rsdp_gpa - base, f = fadt_gpa - base, rt = rsdt_gpa - base, xt = xsdt_gpa - base;

		memset(links, 0, sizeof(*links));
		links->rsdp_len = sizeof(*rsdp);
		link_pointer(links, r + offsetof(struct acpi_rsdp, rsdt), 4);
		link_pointer(links, r + offsetof(struct acpi_rsdp, xsdt), 8);
		link_pointer(links, f + offsetof(struct acpi_fadt, firmware_ctrl), 4);
		link_pointer(links, f + offsetof(struct acpi_fadt, dsdt), 4);
		link_pointer(links, f + offsetof(struct acpi_fadt, x_dsdt), 8);
		for (unsigned i = 0; i < 2; i++) {
			link_pointer(links, rt + sizeof(struct acpi_header) + 4 * i, 4);
			link_pointer(links, xt + sizeof(struct acpi_header) + 8 * i, 8);
		}
		link_table(links, buf, dsdt_gpa - base);
		link_table(links, buf, f);
		link_table(links, buf, madt_gpa - base);
		link_table(links, buf, rt);
		link_table(links, buf, xt);
		link_checksum(links, r + offsetof(struct acpi_rsdp, checksum), r, 20);
		link_checksum(links, r + offsetof(struct acpi_rsdp, ext_checksum), r, sizeof(*rsdp));
	}
	return (int)l.len;
}
