/* test-ahci.c - the AHCI controller with ATAPI drives against fake guest memory: PCI identity, registers, resets, command lists, PRDT walks, FISes, interrupts and hostile structures. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "tests/unit/cd-image.h"
#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices/ahci.h"

#define RAM_SIZE	(4u << 20)
#define IMAGE_SECTORS	4
#define IMAGE_TAIL	1000
#define CLB(port)	(0x1000u + 0x400u * (port))
#define FB(port)	(0x3000u + 0x100u * (port))
#define CT(slot)	(0x10000u + 0x1000u * (slot))
#define DATA		0x100000u
#define SLOT		0
#define OUTSIDE_RAM	0x7ff00000u
#define GOOD_TFD	0x50u		/* DRDY | DSC, no error */

struct env {
	struct vk_guest_memory *mem;
	struct vk_bus pio, mmio;
	struct vk_pci_bus pci;
	struct vk_ahci *hba;
	uint64_t abar;
	char dir[64], image[96];
};

struct prd {
	uint64_t addr;
	uint32_t len;
	bool irq;
};

static uint8_t *ram(struct env *e, uint64_t gpa)
{
	return e->mem->regions[0].host + gpa;
}

static void put32(struct env *e, uint64_t gpa, uint32_t v)
{
	memcpy(ram(e, gpa), &v, 4);
}

static uint32_t get32(struct env *e, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram(e, gpa), 4);
	return v;
}

static uint32_t conf1_read(struct env *e, unsigned slot, unsigned reg, unsigned len)
{
	return fake_conf1_read(&e->pio, slot, reg, len);
}

static void conf1_write(struct env *e, unsigned slot, unsigned reg, uint32_t v, unsigned len)
{
	fake_conf1_write(&e->pio, slot, reg, v, len);
}

/* Registers through the PCI window, as the guest reaches them. */
static uint32_t reg_r(struct env *e, uint32_t off)
{
	uint32_t v = 0;

	assert_true(vk_bus_dispatch(&e->mmio, e->abar + off, (uint8_t *)&v, 4, false));
	return v;
}

static void reg_w(struct env *e, uint32_t off, uint32_t v)
{
	assert_true(vk_bus_dispatch(&e->mmio, e->abar + off, (uint8_t *)&v, 4, true));
}

static uint32_t preg_r(struct env *e, unsigned port, uint32_t off)
{
	return reg_r(e, AHCI_PORT_BASE + AHCI_PORT_SIZE * port + off);
}

static void preg_w(struct env *e, unsigned port, uint32_t off, uint32_t v)
{
	reg_w(e, AHCI_PORT_BASE + AHCI_PORT_SIZE * port + off, v);
}

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	fake_machine_reset();
	e->mem = fake_mem_new(RAM_SIZE);
	strcpy(e->dir, "/tmp/vkit-ahci.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->image, sizeof(e->image), "%s/cd.iso", e->dir);
	assert_int_equal(cd_write_image(e->image, IMAGE_SECTORS * ATAPI_SECTOR_SIZE + IMAGE_TAIL), 0);
	assert_int_equal(vk_pci_bus_init(&e->pci, FAKE_MACHINE, &e->pio, &e->mmio), 0);
	assert_int_equal(vk_ahci_create(e->mem, "ahci0", &e->hba), 0);
	assert_int_equal(vk_pci_bus_add(&e->pci, &e->hba->pci), 0);
	assert_int_equal(vk_ahci_realize(e->hba), 0);
	assert_int_equal(vk_ahci_attach_cdrom(e->hba, e->image, VK_IMAGE_RAW, NULL), 0);
	assert_int_equal(vk_ahci_attach_cdrom(e->hba, e->image, VK_IMAGE_RAW, "second"), 0);
	e->abar = conf1_read(e, 1, PCI_BASE_ADDRESS_5, 4) & ~0xfu;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	vk_ahci_destroy(e->hba);
	vk_pci_bus_free(&e->pci);
	vk_bus_free(&e->pio);
	vk_bus_free(&e->mmio);
	fake_mem_free(e->mem);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	test_free(e);
	fake_machine_reset();
	return 0;
}

/* What a driver does to bring a port up: list and FIS areas, FRE, ST. */
static void port_start(struct env *e, unsigned port)
{
	preg_w(e, port, AHCI_PxCLB, CLB(port));
	preg_w(e, port, AHCI_PxCLBU, 0);
	preg_w(e, port, AHCI_PxFB, FB(port));
	preg_w(e, port, AHCI_PxFBU, 0);
	preg_w(e, port, AHCI_PxCMD, AHCI_PxCMD_FRE);
	preg_w(e, port, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
	preg_w(e, port, AHCI_PxIS, 0xffffffff);
}

/* Lay out slot's command header and table: a Register H2D FIS (command,
 * features, count, LBA mid/high as SeaBIOS sets the byte count), the
 * ATAPI CDB if any, and the PRDT. */
static void build(struct env *e, unsigned port, unsigned slot, uint8_t command, uint8_t features,
		  const uint8_t *cdb, const struct prd *prds, unsigned n_prds)
{
	uint64_t hdr = CLB(port) + AHCI_CMD_HEADER_SIZE * slot, ct = CT(slot);
	uint8_t *cfis = ram(e, ct);

	memset(ram(e, hdr), 0, AHCI_CMD_HEADER_SIZE);
	memset(cfis, 0, AHCI_CT_PRDT);
	put32(e, hdr, SATA_FIS_REG_H2D_DWORDS | (cdb ? AHCI_CMD_ATAPI : 0) |
			      (uint32_t)n_prds << AHCI_CMD_PRDTL_SHIFT);
	put32(e, hdr + 4, 0xdeadbeef);			/* PRDBC: the HBA must set it */
	put32(e, hdr + 8, ct);
	cfis[0] = SATA_FIS_REG_H2D;
	cfis[1] = SATA_FIS_H2D_C;
	cfis[2] = command;
	cfis[3] = features;
	cfis[5] = 0x00;
	cfis[6] = 0x08;				/* byte count limit 2048 */
	if (cdb)
		memcpy(cfis + AHCI_CT_ACMD, cdb, 12);
	for (unsigned i = 0; i < n_prds; i++) {
		uint64_t p = ct + AHCI_CT_PRDT + AHCI_PRD_SIZE * i;

		put32(e, p, (uint32_t)prds[i].addr);
		put32(e, p + 4, prds[i].addr >> 32);
		put32(e, p + 8, 0);
		put32(e, p + 12, (prds[i].len - 1) | (prds[i].irq ? AHCI_PRD_I : 0));
	}
}

static void issue(struct env *e, unsigned port, uint32_t slots)
{
	preg_w(e, port, AHCI_PxCI, slots);
	vk_ahci_process(e->hba);
}

static uint32_t prdbc(struct env *e, unsigned port, unsigned slot)
{
	return get32(e, CLB(port) + AHCI_CMD_HEADER_SIZE * slot + 4);
}

/* PACKET with a 12-byte CDB into one buffer at DATA of len bytes. */
static void atapi(struct env *e, unsigned port, unsigned slot, const uint8_t *cdb, uint32_t len)
{
	struct prd p = { DATA, len ? len : 1, false };

	build(e, port, slot, ATA_CMD_PACKET, 0x01, cdb, &p, 1);
	issue(e, port, 1u << slot);
}

/* The command in slot ended well: CI clear, TFD good, D2H posted. */
static void assert_done_ok(struct env *e, unsigned port, unsigned slot)
{
	assert_int_equal(preg_r(e, port, AHCI_PxCI) & 1u << slot, 0);
	assert_int_equal(preg_r(e, port, AHCI_PxTFD), GOOD_TFD);
	assert_int_equal(ram(e, FB(port) + AHCI_RFIS_RFIS)[0], SATA_FIS_REG_D2H);
	assert_int_equal(ram(e, FB(port) + AHCI_RFIS_RFIS)[2], GOOD_TFD);
	assert_true(preg_r(e, port, AHCI_PxIS) & AHCI_PxIS_DHRS);
	assert_false(preg_r(e, port, AHCI_PxIS) & AHCI_PxIS_TFES);
}

/* The port halted on an error with these PxIS bits; the slot stays issued. */
static void assert_halted(struct env *e, unsigned port, unsigned slot, uint32_t bits)
{
	assert_int_equal(preg_r(e, port, AHCI_PxIS) & bits, bits);
	assert_true(preg_r(e, port, AHCI_PxIS) & AHCI_PxIS_TFES);
	assert_true(preg_r(e, port, AHCI_PxTFD) & ATA_STATUS_ERR);
	assert_true(preg_r(e, port, AHCI_PxCI) & 1u << slot);
	assert_true(e->hba->port[port].halted);
}

/* Software's recovery (AHCI 6.2.2.1): clear ST (drops PxCI), clear PxIS, set ST. */
static void recover(struct env *e, unsigned port)
{
	preg_w(e, port, AHCI_PxCMD, AHCI_PxCMD_FRE);
	assert_int_equal(preg_r(e, port, AHCI_PxCMD) & AHCI_PxCMD_CR, 0);
	assert_int_equal(preg_r(e, port, AHCI_PxCI), 0);
	preg_w(e, port, AHCI_PxIS, 0xffffffff);
	preg_w(e, port, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
}

/* REQUEST SENSE on port: key, ASC and ASCQ packed as 0xKKAAQQ. */
static uint32_t sense(struct env *e, unsigned port)
{
	const uint8_t cdb[12] = { SCSI_REQUEST_SENSE, 0, 0, 0, 18 };
	const uint8_t *s = ram(e, DATA);

	atapi(e, port, SLOT, cdb, 18);
	assert_done_ok(e, port, SLOT);
	return (uint32_t)s[2] << 16 | (uint32_t)s[12] << 8 | s[13];
}

/* --- identity and registers ------------------------------------------ */

static void test_pci_identity(void **state)
{
	struct env *e = *state;
	unsigned cap, msi = 0;

	assert_int_equal(conf1_read(e, 1, PCI_VENDOR_ID, 2), 0x8086);
	assert_int_equal(conf1_read(e, 1, PCI_DEVICE_ID, 2), 0x2922);
	assert_int_equal(conf1_read(e, 1, PCI_REVISION_ID, 4) >> 8, 0x010601);
	assert_int_equal(conf1_read(e, 1, PCI_INTERRUPT_PIN, 1), 1);
	for (unsigned bar = 0; bar < 5; bar++)
		assert_int_equal(conf1_read(e, 1, PCI_BASE_ADDRESS_0 + 4 * bar, 4), 0);
	assert_int_equal(conf1_read(e, 1, PCI_BASE_ADDRESS_5, 4) & 0xf, 0);	/* 32-bit memory */
	assert_true(e->abar >= VK_PCI_MMIO_BASE);
	for (cap = conf1_read(e, 1, PCI_CAPABILITY_LIST, 1); cap; cap = conf1_read(e, 1, cap + 1, 1))
		if (conf1_read(e, 1, cap, 1) == PCI_CAP_ID_MSI)
			msi = cap;
	assert_int_not_equal(msi, 0);
}

static void test_host_registers(void **state)
{
	struct env *e = *state;
	uint32_t cap = reg_r(e, AHCI_CAP);

	assert_int_equal(cap & AHCI_CAP_NP_MASK, 1);			/* two ports */
	assert_int_equal(cap >> AHCI_CAP_NCS_SHIFT & 0x1f, 31);		/* 32 slots */
	assert_true(cap & AHCI_CAP_SAM);
	assert_true(cap & AHCI_CAP_S64A);
	assert_int_equal(cap >> 20 & 0xf, 1);				/* Gen1 */
	assert_false(cap & (1u << 30));					/* no NCQ */
	assert_int_equal(reg_r(e, AHCI_PI), 0x3);
	assert_int_equal(reg_r(e, AHCI_VS), 0x00010300);
	assert_int_equal(reg_r(e, AHCI_CAP2), 0);
	assert_int_equal(reg_r(e, AHCI_GHC), AHCI_GHC_AE);
	reg_w(e, AHCI_GHC, AHCI_GHC_IE);				/* AE stays: AHCI only */
	assert_int_equal(reg_r(e, AHCI_GHC), AHCI_GHC_AE | AHCI_GHC_IE);
	reg_w(e, AHCI_CAP, 0);
	reg_w(e, AHCI_PI, 0xff);
	assert_int_equal(reg_r(e, AHCI_CAP), cap);
	assert_int_equal(reg_r(e, AHCI_PI), 0x3);
	/* Port 2 is not implemented: zeros, writes go nowhere. */
	preg_w(e, 2, AHCI_PxCLB, 0x5000);
	assert_int_equal(preg_r(e, 2, AHCI_PxCLB), 0);
	assert_int_equal(preg_r(e, 2, AHCI_PxSSTS), 0);
	/* Beyond the registers, inside the BAR: zeros. */
	assert_int_equal(reg_r(e, 0xffc), 0);
}

static void test_port_signature_and_fis_receive(void **state)
{
	struct env *e = *state;
	const uint8_t *fis = ram(e, FB(0) + AHCI_RFIS_RFIS);

	assert_int_equal(preg_r(e, 0, AHCI_PxSIG), AHCI_SIG_ATAPI);
	assert_int_equal(preg_r(e, 0, AHCI_PxTFD), 0x0100);		/* error 01h, not busy */
	assert_int_equal(preg_r(e, 0, AHCI_PxSSTS), 0x113);
	assert_int_equal(preg_r(e, 0, AHCI_PxCMD), AHCI_PxCMD_SUD | AHCI_PxCMD_POD);
	preg_w(e, 0, AHCI_PxCLB, CLB(0) | 0x3ff);			/* low bits reserved */
	assert_int_equal(preg_r(e, 0, AHCI_PxCLB), CLB(0));
	preg_w(e, 0, AHCI_PxFB, FB(0) | 0xff);
	assert_int_equal(preg_r(e, 0, AHCI_PxFB), FB(0));
	assert_int_equal(fis[0], 0);
	/* FIS receive on: the signature held since the reset lands in memory. */
	preg_w(e, 0, AHCI_PxCMD, AHCI_PxCMD_FRE);
	assert_true(preg_r(e, 0, AHCI_PxCMD) & AHCI_PxCMD_FR);
	assert_int_equal(fis[0], SATA_FIS_REG_D2H);
	assert_int_equal(fis[4], 0x01);
	assert_int_equal(fis[5], 0x14);
	assert_int_equal(fis[6], 0xeb);
	assert_int_equal(fis[12], 0x01);
	assert_true(preg_r(e, 0, AHCI_PxIS) & AHCI_PxIS_DHRS);
	preg_w(e, 0, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST | AHCI_PxCMD_ATAPI | 0xf0000000u);
	assert_int_equal(preg_r(e, 0, AHCI_PxCMD) & (AHCI_PxCMD_CR | AHCI_PxCMD_ATAPI | 0xf0000000u),
			 AHCI_PxCMD_CR | AHCI_PxCMD_ATAPI);		/* ICC reads back 0 */
	preg_w(e, 0, AHCI_PxCMD, 0);
	assert_int_equal(preg_r(e, 0, AHCI_PxCMD) & (AHCI_PxCMD_CR | AHCI_PxCMD_FR), 0);
	/* PxCI cannot be set while the list engine is off. */
	preg_w(e, 0, AHCI_PxCI, 1);
	assert_int_equal(preg_r(e, 0, AHCI_PxCI), 0);
}

static void test_comreset_through_sctl(void **state)
{
	struct env *e = *state;
	uint8_t *fis = ram(e, FB(1) + AHCI_RFIS_RFIS);

	port_start(e, 1);
	memset(fis, 0, 20);
	preg_w(e, 1, AHCI_PxSCTL, 0x301);			/* DET 1: COMRESET */
	assert_int_equal(preg_r(e, 1, AHCI_PxSSTS), 0);
	assert_int_equal(preg_r(e, 1, AHCI_PxSIG), 0xffffffff);
	assert_int_equal(preg_r(e, 1, AHCI_PxTFD), 0x7f);
	preg_w(e, 1, AHCI_PxSCTL, 0x300);
	assert_int_equal(preg_r(e, 1, AHCI_PxSCTL), 0x300);
	assert_int_equal(preg_r(e, 1, AHCI_PxSSTS), 0x113);
	assert_int_equal(preg_r(e, 1, AHCI_PxSIG), AHCI_SIG_ATAPI);
	assert_int_equal(fis[0], SATA_FIS_REG_D2H);
	assert_int_equal(fis[6], 0xeb);
	preg_w(e, 1, AHCI_PxSCTL, 0x304);			/* phy offline */
	assert_int_equal(preg_r(e, 1, AHCI_PxSSTS), 4);
	/* SERR is write-1-to-clear. */
	e->hba->port[1].serr = 0x04000001;
	preg_w(e, 1, AHCI_PxSERR, 0x1);
	assert_int_equal(preg_r(e, 1, AHCI_PxSERR), 0x04000000);
}

static void test_hba_reset(void **state)
{
	struct env *e = *state;

	port_start(e, 0);
	reg_w(e, AHCI_GHC, AHCI_GHC_IE);
	preg_w(e, 0, AHCI_PxIE, 0xffffffff);
	assert_int_equal(preg_r(e, 0, AHCI_PxIE), AHCI_PxIE_MASK);
	reg_w(e, AHCI_GHC, AHCI_GHC_HR);
	assert_int_equal(reg_r(e, AHCI_GHC), AHCI_GHC_AE);		/* HR done at once */
	assert_int_equal(preg_r(e, 0, AHCI_PxCMD), AHCI_PxCMD_SUD | AHCI_PxCMD_POD);
	assert_int_equal(preg_r(e, 0, AHCI_PxIE), 0);
	assert_int_equal(preg_r(e, 0, AHCI_PxIS), 0);
	assert_int_equal(preg_r(e, 0, AHCI_PxCLB), CLB(0));		/* kept */
	assert_int_equal(preg_r(e, 0, AHCI_PxFB), FB(0));
	assert_int_equal(preg_r(e, 0, AHCI_PxSIG), AHCI_SIG_ATAPI);
	assert_false(preg_r(e, 0, AHCI_PxTFD) & (ATA_STATUS_BSY | ATA_STATUS_DRQ));
}

/* --- commands -------------------------------------------------------- */

static void test_identify_packet_device_pio(void **state)
{
	struct env *e = *state;
	struct prd p[2] = { { DATA, 256, false }, { DATA + 0x1000, 256, false } };
	const uint8_t *ps = ram(e, FB(0) + AHCI_RFIS_PSFIS);

	port_start(e, 0);
	build(e, 0, SLOT, ATA_CMD_IDENTIFY_PACKET_DEVICE, 0, NULL, p, 2);
	issue(e, 0, 1u << SLOT);
	assert_done_ok(e, 0, SLOT);
	assert_int_equal(prdbc(e, 0, SLOT), 512);
	assert_int_equal(ram(e, DATA)[0], 0xc0);
	assert_int_equal(ram(e, DATA)[1], 0x85);
	assert_int_equal(ram(e, DATA + 0x1000)[510 - 256], 0xa5);	/* the second half went on */
	/* PIO Setup FIS: DRQ while the data moves, E_Status after, 512 bytes. */
	assert_int_equal(ps[0], SATA_FIS_PIO_SETUP);
	assert_int_equal(ps[1] & SATA_FIS_D, SATA_FIS_D);
	assert_int_equal(ps[2], 0x58);
	assert_int_equal(ps[15], 0x50);
	assert_int_equal(ps[16] | ps[17] << 8, 512);
	assert_true(preg_r(e, 0, AHCI_PxIS) & AHCI_PxIS_PSS);
	/* IDENTIFY DEVICE: aborted, the signature in the D2H FIS. */
	build(e, 0, 1, ATA_CMD_IDENTIFY_DEVICE, 0, NULL, p, 1);
	issue(e, 0, 1u << 1);
	assert_halted(e, 0, 1, AHCI_PxIS_DHRS);
	assert_int_equal(preg_r(e, 0, AHCI_PxTFD), ATA_ERROR_ABRT << 8 | 0x41);
	assert_int_equal(ram(e, FB(0) + AHCI_RFIS_RFIS)[5], 0x14);
	assert_int_equal(ram(e, FB(0) + AHCI_RFIS_RFIS)[6], 0xeb);
	assert_int_equal(prdbc(e, 0, 1), 0);
}

static void test_inquiry_scattered_over_prds(void **state)
{
	struct env *e = *state;
	const uint8_t cdb[12] = { SCSI_INQUIRY, 0, 0, 0, 36 };
	struct prd p[3] = { { DATA, 5, false }, { DATA + 0x100, 7, false }, { DATA + 0x200, 100, false } };
	uint8_t whole[36];

	port_start(e, 1);
	memset(ram(e, DATA + 0x200), 0xee, 100);
	build(e, 1, 7, ATA_CMD_PACKET, 0, cdb, p, 3);
	issue(e, 1, 1u << 7);
	assert_done_ok(e, 1, 7);
	assert_int_equal(prdbc(e, 1, 7), 36);
	assert_int_equal(preg_r(e, 1, AHCI_PxCMD) >> AHCI_PxCMD_CCS_SHIFT & 0x1f, 7);
	memcpy(whole, ram(e, DATA), 5);
	memcpy(whole + 5, ram(e, DATA + 0x100), 7);
	memcpy(whole + 12, ram(e, DATA + 0x200), 24);
	assert_int_equal(whole[0], 0x05);
	assert_memory_equal(whole + 8, "vkit    DVD-ROM         ", 24);
	assert_int_equal(ram(e, DATA + 0x200)[24], 0xee);	/* nothing past the reply */
	assert_int_equal(ram(e, FB(1) + AHCI_RFIS_RFIS)[12], 0x03);	/* I/O and C/D: ended */
}

static void test_read10_odd_prds_and_padded_sector(void **state)
{
	struct env *e = *state;
	const uint8_t cdb[12] = { SCSI_READ_10, 0, 0, 0, 0, 3, 0, 0, 2 };
	struct prd p[3] = { { DATA, 1001, false }, { DATA + 0x10000, 3001, false },
			    { DATA + 0x20000, 4 << 20, false } };	/* a huge last one: the rest */
	uint64_t base = 3 * ATAPI_SECTOR_SIZE;

	port_start(e, 0);
	memset(ram(e, DATA + 0x20000), 0xee, 200);
	build(e, 0, SLOT, ATA_CMD_PACKET, 1, cdb, p, 3);
	issue(e, 0, 1u << SLOT);
	assert_done_ok(e, 0, SLOT);
	assert_int_equal(prdbc(e, 0, SLOT), 2 * ATAPI_SECTOR_SIZE);
	for (unsigned i = 0; i < 2 * ATAPI_SECTOR_SIZE; i++) {
		uint8_t got = i < 1001 ? ram(e, DATA)[i] : i < 4002 ? ram(e, DATA + 0x10000)[i - 1001]
								: ram(e, DATA + 0x20000)[i - 4002];
		uint8_t want = i < ATAPI_SECTOR_SIZE + IMAGE_TAIL ? cd_pattern(base + i) : 0;

		assert_int_equal(got, want);
	}
	assert_int_equal(ram(e, DATA + 0x20000)[94], 0xee);	/* 4096 - 4002 = 94 bytes there */
	assert_int_equal(atomic_load(&e->hba->port[0].drive.read_bytes), 2 * ATAPI_SECTOR_SIZE);
}

static void test_short_prdt_drops_the_rest(void **state)
{
	struct env *e = *state;
	const uint8_t cdb[12] = { SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct prd p = { DATA, 100, false };

	port_start(e, 0);
	build(e, 0, SLOT, ATA_CMD_PACKET, 1, cdb, &p, 1);
	issue(e, 0, 1u << SLOT);
	assert_done_ok(e, 0, SLOT);
	assert_int_equal(prdbc(e, 0, SLOT), 100);
	/* No PRDT at all: a good status, nothing moved. */
	build(e, 0, SLOT, ATA_CMD_PACKET, 1, cdb, NULL, 0);
	issue(e, 0, 1u << SLOT);
	assert_done_ok(e, 0, SLOT);
	assert_int_equal(prdbc(e, 0, SLOT), 0);
}

static void test_check_condition_halts_until_st_cleared(void **state)
{
	struct env *e = *state;
	const uint8_t bad[12] = { 0xff }, tur[12] = { SCSI_TEST_UNIT_READY };

	port_start(e, 0);
	atapi(e, 0, SLOT, bad, 0);
	assert_halted(e, 0, SLOT, AHCI_PxIS_DHRS);
	assert_int_equal(preg_r(e, 0, AHCI_PxTFD), (SENSE_ILLEGAL_REQUEST << 4) << 8 | 0x41);
	/* The port waits for software: a second command is not run. */
	build(e, 0, 1, ATA_CMD_PACKET, 0, tur, NULL, 0);
	issue(e, 0, 1u << 1);
	assert_int_equal(preg_r(e, 0, AHCI_PxCI), 0x3);
	recover(e, 0);
	assert_int_equal(sense(e, 0), 0x052000);
	/* Past the end of the medium. */
	{
		const uint8_t past[12] = { SCSI_READ_10, 0, 0, 0, 0, IMAGE_SECTORS, 0, 0, 2 };

		atapi(e, 0, SLOT, past, 2 * ATAPI_SECTOR_SIZE);
		assert_halted(e, 0, SLOT, AHCI_PxIS_DHRS);
		assert_int_equal(prdbc(e, 0, SLOT), 0);
		recover(e, 0);
		assert_int_equal(sense(e, 0), 0x052100);
	}
}

static void test_software_reset(void **state)
{
	struct env *e = *state;
	uint8_t *cfis = ram(e, CT(SLOT)), *fis = ram(e, FB(0) + AHCI_RFIS_RFIS);

	port_start(e, 0);
	build(e, 0, SLOT, 0, 0, NULL, NULL, 0);
	cfis[1] = 0;					/* C clear: device control */
	cfis[15] = ATA_CONTROL_SRST;
	put32(e, CLB(0), SATA_FIS_REG_H2D_DWORDS | AHCI_CMD_RESET | AHCI_CMD_CLEAR_BUSY);
	issue(e, 0, 1u << SLOT);
	assert_int_equal(preg_r(e, 0, AHCI_PxCI), 0);
	assert_int_equal(preg_r(e, 0, AHCI_PxTFD), ATA_STATUS_BSY);
	memset(fis, 0, 20);
	cfis[15] = 0;
	put32(e, CLB(0), SATA_FIS_REG_H2D_DWORDS);
	issue(e, 0, 1u << SLOT);
	assert_int_equal(preg_r(e, 0, AHCI_PxCI), 0);
	assert_int_equal(preg_r(e, 0, AHCI_PxTFD), 0x0100);
	assert_int_equal(fis[0], SATA_FIS_REG_D2H);
	assert_int_equal(fis[6], 0xeb);
}

static void test_descriptor_interrupt_and_round_robin(void **state)
{
	struct env *e = *state;
	const uint8_t cdb[12] = { SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1 };
	struct prd p[2] = { { DATA, 1024, true }, { DATA + 0x1000, 1024, false } };

	port_start(e, 0);
	build(e, 0, 3, ATA_CMD_PACKET, 1, cdb, p, 2);
	build(e, 0, 5, ATA_CMD_PACKET, 1, cdb, p + 1, 1);
	issue(e, 0, 1u << 3 | 1u << 5);
	assert_int_equal(preg_r(e, 0, AHCI_PxCI), 0);
	assert_int_equal(prdbc(e, 0, 3), 2048);
	assert_int_equal(prdbc(e, 0, 5), 1024);
	assert_true(preg_r(e, 0, AHCI_PxIS) & AHCI_PxIS_DPS);
	assert_int_equal(ram(e, DATA)[5], cd_pattern(5));
}

/* --- hostile structures ---------------------------------------------- */

static void test_command_table_outside_ram(void **state)
{
	struct env *e = *state;
	const uint8_t tur[12] = { SCSI_TEST_UNIT_READY };

	port_start(e, 0);
	build(e, 0, SLOT, ATA_CMD_PACKET, 0, tur, NULL, 0);
	put32(e, CLB(0) + 8, OUTSIDE_RAM);
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_HBFS);
	recover(e, 0);
	/* A table address that wraps past 2^64 is refused, not read at 0. */
	build(e, 0, SLOT, ATA_CMD_PACKET, 0, tur, NULL, 0);
	put32(e, CLB(0) + 8, 0xffffff80u);
	put32(e, CLB(0) + 12, 0xffffffffu);
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_HBFS);
	recover(e, 0);
	/* The command list itself outside RAM. */
	preg_w(e, 0, AHCI_PxCMD, AHCI_PxCMD_FRE);
	preg_w(e, 0, AHCI_PxCLB, OUTSIDE_RAM);
	preg_w(e, 0, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_HBFS);
	recover(e, 0);
	preg_w(e, 0, AHCI_PxCMD, AHCI_PxCMD_FRE);
	preg_w(e, 0, AHCI_PxCLB, CLB(0));
	preg_w(e, 0, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
	/* Still a working drive. */
	assert_int_equal(sense(e, 0), 0);
}

static void test_prds_outside_ram(void **state)
{
	struct env *e = *state;
	const uint8_t read2[12] = { SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 2 };
	struct prd p[2] = { { DATA, 2048, false }, { OUTSIDE_RAM, 2048, false } };
	struct prd edge = { RAM_SIZE - 100, AHCI_PRD_DBC_MASK + 1, false };

	port_start(e, 0);
	/* A data buffer outside RAM: HBDS, after what fitted before it. */
	build(e, 0, SLOT, ATA_CMD_PACKET, 1, read2, p, 2);
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_HBDS);
	recover(e, 0);
	/* A 4 MiB buffer that starts 100 bytes before the end of RAM. */
	build(e, 0, SLOT, ATA_CMD_PACKET, 1, read2, &edge, 1);
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_HBDS);
	recover(e, 0);
	/* The same buffer for a 36-byte reply fits. */
	{
		const uint8_t inq[12] = { SCSI_INQUIRY, 0, 0, 0, 36 };

		build(e, 0, SLOT, ATA_CMD_PACKET, 0, inq, &edge, 1);
		issue(e, 0, 1u << SLOT);
		assert_done_ok(e, 0, SLOT);
		assert_int_equal(ram(e, RAM_SIZE - 100)[0], 0x05);
	}
}

static void test_prdt_running_off_ram(void **state)
{
	struct env *e = *state;
	const uint8_t read5[12] = { SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 5 };
	uint64_t ct = RAM_SIZE - 0x100;		/* 128-byte aligned: room for 8 entries */
	uint8_t *cfis;

	port_start(e, 0);
	/* 65535 entries declared, 8 of 1 KiB in RAM, 10 needed: HBFS at the 9th. */
	build(e, 0, SLOT, ATA_CMD_PACKET, 1, read5, NULL, 0);
	memcpy(ram(e, ct), ram(e, CT(SLOT)), AHCI_CT_PRDT);
	for (unsigned i = 0; i < 8; i++) {
		put32(e, ct + AHCI_CT_PRDT + AHCI_PRD_SIZE * i, DATA + 1024 * i);
		put32(e, ct + AHCI_CT_PRDT + AHCI_PRD_SIZE * i + 4, 0);
		put32(e, ct + AHCI_CT_PRDT + AHCI_PRD_SIZE * i + 12, 1023);
	}
	put32(e, CLB(0), SATA_FIS_REG_H2D_DWORDS | AHCI_CMD_ATAPI | 0xffffu << AHCI_CMD_PRDTL_SHIFT);
	put32(e, CLB(0) + 8, (uint32_t)ct);
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_HBFS);
	recover(e, 0);
	/* Four sectors need only the entries that are there. */
	cfis = ram(e, ct);
	cfis[AHCI_CT_ACMD + 8] = 4;
	issue(e, 0, 1u << SLOT);
	assert_done_ok(e, 0, SLOT);
	assert_int_equal(prdbc(e, 0, SLOT), 4 * ATAPI_SECTOR_SIZE);
	assert_int_equal(ram(e, DATA + 8191)[0], cd_pattern(8191));
}

static void test_malformed_fis_rejected(void **state)
{
	struct env *e = *state;
	const uint8_t tur[12] = { SCSI_TEST_UNIT_READY };
	const uint32_t bad_cfl[] = { 0, 1, 4, 17, 31 };

	port_start(e, 0);
	for (size_t i = 0; i < sizeof(bad_cfl) / sizeof(bad_cfl[0]); i++) {
		build(e, 0, SLOT, ATA_CMD_PACKET, 0, tur, NULL, 0);
		put32(e, CLB(0), bad_cfl[i] | AHCI_CMD_ATAPI);
		issue(e, 0, 1u << SLOT);
		assert_halted(e, 0, SLOT, AHCI_PxIS_DHRS);
		assert_int_equal(preg_r(e, 0, AHCI_PxTFD) >> 8, ATA_ERROR_ABRT);
		recover(e, 0);
	}
	build(e, 0, SLOT, ATA_CMD_PACKET, 0, tur, NULL, 0);
	ram(e, CT(SLOT))[0] = SATA_FIS_REG_D2H;			/* not a host-to-device FIS */
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_DHRS);
	recover(e, 0);
	build(e, 0, SLOT, ATA_CMD_PACKET, 0, tur, NULL, 0);
	put32(e, CLB(0), SATA_FIS_REG_H2D_DWORDS | AHCI_CMD_ATAPI | 1u << AHCI_CMD_PMP_SHIFT);
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_DHRS);
	recover(e, 0);
	build(e, 0, SLOT, ATA_CMD_PACKET, 0, tur, NULL, 0);
	put32(e, CLB(0), SATA_FIS_REG_H2D_DWORDS);		/* PACKET without the A bit */
	issue(e, 0, 1u << SLOT);
	assert_halted(e, 0, SLOT, AHCI_PxIS_DHRS);
	recover(e, 0);
	assert_int_equal(sense(e, 0), 0);
}

static void test_fis_area_outside_ram(void **state)
{
	struct env *e = *state;

	preg_w(e, 0, AHCI_PxFB, OUTSIDE_RAM);
	preg_w(e, 0, AHCI_PxCMD, AHCI_PxCMD_FRE);		/* the pending signature goes there */
	assert_true(preg_r(e, 0, AHCI_PxIS) & AHCI_PxIS_HBFS);
	assert_true(e->hba->port[0].halted);
}

/* --- interrupts ------------------------------------------------------ */

static void test_intx_follows_is(void **state)
{
	struct env *e = *state;
	const uint8_t tur[12] = { SCSI_TEST_UNIT_READY };
	unsigned gsi = VK_PCI_INTX_GSI(1);

	port_start(e, 1);
	preg_w(e, 1, AHCI_PxIE, AHCI_PxIS_DHRS);
	atapi(e, 1, SLOT, tur, 0);
	assert_false(fake.irq_level[gsi]);			/* GHC.IE off */
	assert_int_equal(reg_r(e, AHCI_IS), 0x2);
	reg_w(e, AHCI_GHC, AHCI_GHC_IE);
	assert_true(fake.irq_level[gsi]);
	preg_w(e, 1, AHCI_PxIS, AHCI_PxIS_DHRS);		/* port first, then IS */
	assert_true(fake.irq_level[gsi]);
	reg_w(e, AHCI_IS, 0x2);
	assert_false(fake.irq_level[gsi]);
	/* IS comes back while the port still has something pending. */
	atapi(e, 1, SLOT, tur, 0);
	assert_true(fake.irq_level[gsi]);
	reg_w(e, AHCI_IS, 0x2);
	assert_true(fake.irq_level[gsi]);
	assert_int_equal(reg_r(e, AHCI_IS), 0x2);
	/* Byte writes to a write-1-to-clear register clear only their byte. */
	e->hba->port[1].is |= AHCI_PxIS_TFES;
	{
		uint8_t one = AHCI_PxIS_DHRS;

		vk_bus_dispatch(&e->mmio, e->abar + AHCI_PORT_BASE + AHCI_PORT_SIZE + AHCI_PxIS, &one, 1, true);
	}
	assert_int_equal(preg_r(e, 1, AHCI_PxIS) & (AHCI_PxIS_TFES | AHCI_PxIS_DHRS), AHCI_PxIS_TFES);
}

static void test_msi_messages(void **state)
{
	struct env *e = *state;
	const uint8_t tur[12] = { SCSI_TEST_UNIT_READY };
	unsigned cap = e->hba->pci.msi.cap;
	struct fake_route *r = &fake.route[e->hba->pci.msi.route.gsi];

	conf1_write(e, 1, cap + PCI_MSI_ADDRESS_LO, 0xfee00000, 4);
	conf1_write(e, 1, cap + PCI_MSI_DATA_64, 0x41, 2);
	conf1_write(e, 1, cap + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE, 2);
	port_start(e, 0);
	preg_w(e, 0, AHCI_PxIE, AHCI_PxIS_DHRS);
	reg_w(e, AHCI_GHC, AHCI_GHC_IE);
	atapi(e, 0, SLOT, tur, 0);
	assert_int_equal(r->signals, 1);
	assert_false(fake.irq_level[VK_PCI_INTX_GSI(1)]);	/* no INTx beside MSI */
	/* A second event before the handler ran: one more message. */
	atapi(e, 0, SLOT, tur, 0);
	assert_int_equal(r->signals, 2);
	/* The handler: PxIS, then IS; nothing left, no message. */
	preg_w(e, 0, AHCI_PxIS, 0xffffffff);
	assert_int_equal(r->signals, 2);
	reg_w(e, AHCI_IS, 0xffffffff);
	assert_int_equal(r->signals, 2);
	/* An event the handler missed (it cleared PxIS before it came). */
	atapi(e, 0, SLOT, tur, 0);
	assert_int_equal(r->signals, 3);
	reg_w(e, AHCI_IS, 0x1);				/* PxIS still holds it */
	assert_int_equal(r->signals, 4);
}

/* --- the I/O thread and limits --------------------------------------- */

static void test_io_thread_runs_issued_commands(void **state)
{
	struct env *e = *state;
	const uint8_t cdb[12] = { SCSI_READ_10, 0, 0, 0, 0, 1, 0, 0, 1 };
	struct prd p = { DATA, 2048, false };
	struct timespec pause = { 0, 1000000 };

	port_start(e, 0);
	build(e, 0, SLOT, ATA_CMD_PACKET, 1, cdb, &p, 1);
	assert_int_equal(vk_iothread_start(&e->hba->io, "ahci-test"), 0);
	preg_w(e, 0, AHCI_PxCI, 1u << SLOT);
	for (int i = 0; i < 5000 && (preg_r(e, 0, AHCI_PxCI) & 1u << SLOT); i++)
		nanosleep(&pause, NULL);
	vk_iothread_stop(&e->hba->io);
	assert_done_ok(e, 0, SLOT);
	assert_int_equal(ram(e, DATA)[0], cd_pattern(ATAPI_SECTOR_SIZE));
}

static void test_seventh_drive_refused(void **state)
{
	struct env *e = *state;

	for (unsigned i = 2; i < AHCI_MAX_PORTS; i++)
		assert_int_equal(vk_ahci_attach_cdrom(e->hba, e->image, VK_IMAGE_RAW, NULL), 0);
	assert_int_equal(reg_r(e, AHCI_PI), 0x3f);
	assert_int_equal(reg_r(e, AHCI_CAP) & AHCI_CAP_NP_MASK, 5);
	assert_int_equal(vk_ahci_attach_cdrom(e->hba, e->image, VK_IMAGE_RAW, NULL), -ENOSPC);
	assert_non_null(strstr(vk_last_error(), "ports all hold a CD-ROM; give at most 6"));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pci_identity),
		T(test_host_registers),
		T(test_port_signature_and_fis_receive),
		T(test_comreset_through_sctl),
		T(test_hba_reset),
		T(test_identify_packet_device_pio),
		T(test_inquiry_scattered_over_prds),
		T(test_read10_odd_prds_and_padded_sector),
		T(test_short_prdt_drops_the_rest),
		T(test_check_condition_halts_until_st_cleared),
		T(test_software_reset),
		T(test_descriptor_interrupt_and_round_robin),
		T(test_command_table_outside_ram),
		T(test_prds_outside_ram),
		T(test_prdt_running_off_ram),
		T(test_malformed_fis_rejected),
		T(test_fis_area_outside_ram),
		T(test_intx_follows_is),
		T(test_msi_messages),
		T(test_io_thread_runs_issued_commands),
		T(test_seventh_drive_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
