/* x86/boot.h - the Linux x86 boot protocol (bzImage, 64-bit entry), the e820 map and the MP table. */
#ifndef VK_X86_BOOT_H
#define VK_X86_BOOT_H

#include <asm/bootparam.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/machine.h"

#define VK_BOOT_PROTOCOL_MIN	0x020c	/* 2.12: xloadflags, the 64-bit entry */

/* What vrun needs from a bzImage's setup header (Documentation/x86/boot.rst). */
struct vk_bzimage {
	uint16_t protocol;
	size_t setup_size;		/* real-mode part, (setup_sects + 1) * 512 */
	size_t kernel_offset, kernel_size;	/* protected-mode part in the file */
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;		/* without the NUL */
	uint32_t kernel_alignment;
	uint32_t init_size;
	uint64_t pref_address;
	uint16_t xloadflags;
	uint8_t relocatable;
	uint8_t loadflags;
	size_t header_end;		/* setup header bytes to copy into boot_params */
};

/* Checks that img is a bzImage vrun can boot; -EINVAL with a message when not. */
int vk_bzimage_parse(const uint8_t *img, size_t len, struct vk_bzimage *out);

/* e820 entry types (ACPI "Address Range Types"). */
#define VK_E820_RAM		1
#define VK_E820_RESERVED	2

/* The e820 map for a machine with ram_size bytes laid out as in machine.h.
 * Returns the number of entries (at most max). */
unsigned vk_e820_build(uint64_t ram_size, struct boot_e820_entry *out, unsigned max);

/* Intel MultiProcessor Specification 1.4 tables. */
struct vk_mp_intx {
	unsigned slot, pin, gsi;	/* PCI INTx line: pin 1 = INTA# */
};
/* Build the floating pointer and the configuration table at guest address
 * base into buf.  Returns the length, or 0 when size is too small. */
size_t vk_mptable_build(uint8_t *buf, size_t size, uint32_t base, unsigned ncpus,
			const struct vk_mp_intx *intx, size_t n_intx);

/* Guest addresses vrun uses while booting Linux. */
#define VK_BOOT_GDT		0x500ull
#define VK_BOOT_ZERO_PAGE	0x7000ull
#define VK_BOOT_PML4		0x9000ull	/* then PDPT and 4 PDs: 0x9000-0xefff */
#define VK_BOOT_CMDLINE		0x20000ull
#define VK_BOOT_CMDLINE_MAX	0x10000u
#define VK_MPTABLE_BASE		0x9fc00ull	/* last KiB of base memory, scanned by Linux */
#define VK_BOOT_KERNEL		0x100000ull

struct vk_linux_boot {
	const char *kernel, *initrd, *cmdline;
	const struct vk_mp_intx *intx;
	size_t n_intx;
	uint64_t acpi_rsdp;		/* guest address of the RSDP, 0: no ACPI */
	int kernel_fd, initrd_fd;	/* from vk_linux_open(); -1 when closed */
};

/* Open the kernel and the initrd (if any) and keep them open: every boot,
 * the first and each after a reset, loads them from these descriptors, so
 * a reset opens no file (the sandbox forbids it, --user may have lost the
 * right to).  On failure nothing stays open. */
int vk_linux_open(struct vk_linux_boot *b);
/* Load kernel, initrd, command line, zero page, MP table, page tables, and
 * set the boot vCPU's registers for the 64-bit entry point. */
int vk_linux_load(struct vk_machine *m, const struct vk_linux_boot *b);
void vk_linux_close(struct vk_linux_boot *b);

#endif
