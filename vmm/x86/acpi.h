/* x86/acpi.h - the ACPI tables vrun builds at boot and the fixed-hardware registers they describe. */
#ifndef VK_X86_ACPI_H
#define VK_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/x86/boot.h"

/*
 * What the guest sees (docs/vmm.md, "ACPI"):
 *   RSDP at VK_ACPI_BASE (0xE0000, in the BIOS area Linux scans, reserved
 *   in e820), then FACS, DSDT, FADT, MADT, RSDT and XSDT after it.
 *   The FADT is a full (not hardware-reduced) one: PM1a event and control
 *   blocks and the PM timer in port I/O, SCI on ISA IRQ 9 (level, active
 *   high, through the in-kernel IOAPIC), a fixed-feature power button, the
 *   reset register in port I/O.  The DSDT has \_S5 and, when there is PCI,
 *   the host bridge \_SB.PCI0 with its windows and interrupt routing.
 */
#define VK_ACPI_BASE		0xE0000ull
#define VK_ACPI_MAX		0x20000u	/* 0xE0000-0xFFFFF */

/* Fixed hardware in port I/O (vmm/devices/acpi-pm.c). */
#define VK_PM_BASE		0x600
#define VK_PM_LEN		0x10
#define VK_PM1_EVT_BLK		0x600	/* PM1_STS (2 bytes) then PM1_EN (2) */
#define VK_PM1_EVT_LEN		4
#define VK_PM1_CNT_BLK		0x604
#define VK_PM1_CNT_LEN		2
#define VK_PM_TMR_BLK		0x608
#define VK_PM_TMR_LEN		4
#define VK_ACPI_RESET_PORT	0x60c
#define VK_ACPI_RESET_VALUE	0x01
#define VK_ACPI_SCI_IRQ		9
#define VK_ACPI_S5_SLP_TYP	5	/* what \_S5 tells the OS to write */

/* PM1 status and enable bits (ACPI 6.x 4.8.3.1). */
#define ACPI_PM1_TMR		(1u << 0)
#define ACPI_PM1_BM_STS		(1u << 4)
#define ACPI_PM1_GBL		(1u << 5)
#define ACPI_PM1_PWRBTN		(1u << 8)
#define ACPI_PM1_SLPBTN		(1u << 9)
#define ACPI_PM1_RTC		(1u << 10)
#define ACPI_PM1_WAK_STS	(1u << 15)
/* PM1 control bits (4.8.3.2). */
#define ACPI_PM1_CNT_SCI_EN	(1u << 0)
#define ACPI_PM1_CNT_GBL_RLS	(1u << 2)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK (7u << 10)
#define ACPI_PM1_CNT_SLP_EN	(1u << 13)
#define ACPI_PM_TIMER_HZ	3579545u

struct vk_acpi_config {
	unsigned ncpus;
	/* PCI INTx lines for _PRT; with pci false there is no \_SB.PCI0. */
	int pci;
	const struct vk_mp_intx *intx;
	size_t n_intx;
};

/* Build every table into buf, which the guest will see at guest-physical
 * address base (16-byte aligned, below 4 GiB); the RSDP comes first.
 * Returns the length used, -E2BIG when size is too small, -EINVAL. */
int vk_acpi_build(uint8_t *buf, size_t size, uint64_t base, const struct vk_acpi_config *cfg);

/* What a loader that moves the tables must fix (SeaBIOS's etc/table-loader):
 * every field holding a table's address, and every checksum, in the order
 * they must be applied (a checksum after the pointers it covers; the RSDP's
 * extended checksum after its first one).  Offsets are from the start of
 * the buffer; with base 0 the pointer fields hold offsets too. */
#define VK_ACPI_MAX_LINKS	32
struct vk_acpi_pointer {
	uint32_t offset;	/* of the field */
	uint8_t size;		/* 4 or 8 bytes */
};
struct vk_acpi_checksum {
	uint32_t offset;	/* of the checksum byte */
	uint32_t start, length;	/* the bytes that must sum to zero */
};
struct vk_acpi_links {
	uint32_t rsdp_len;	/* the RSDP is buf[0, rsdp_len) */
	struct vk_acpi_pointer ptrs[VK_ACPI_MAX_LINKS];
	unsigned n_ptrs;
	struct vk_acpi_checksum sums[VK_ACPI_MAX_LINKS];
	unsigned n_sums;
};
/* vk_acpi_build() that also fills links. */
int vk_acpi_build_linked(uint8_t *buf, size_t size, uint64_t base, const struct vk_acpi_config *cfg,
			 struct vk_acpi_links *links);

/* The DSDT alone (header included); same returns. */
int vk_acpi_build_dsdt(uint8_t *buf, size_t size, const struct vk_acpi_config *cfg);

/* The 8-bit checksum that makes the bytes sum to zero. */
uint8_t vk_acpi_checksum(const uint8_t *p, size_t len);

#endif
