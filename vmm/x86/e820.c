/* x86/e820.c - the BIOS memory map handed to Linux: RAM around the legacy holes and the PCI hole. */
#include "config.h"

#include "vmm/x86/boot.h"

#define BASE_MEMORY_END		0x9fc00ull	/* the EBDA, where the MP table lives */
#define LEGACY_VGA		0xa0000ull
#define BIOS_AREA		0xe0000ull
#define HIGH_MEMORY		0x100000ull

static void add(struct boot_e820_entry *out, unsigned max, unsigned *n,
		uint64_t addr, uint64_t size, uint32_t type)
{
	if (*n < max && size)
		out[(*n)++] = (struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
}

unsigned vk_e820_build(uint64_t ram_size, struct boot_e820_entry *out, unsigned max)
{
	uint64_t low = ram_size < VK_PCI_HOLE_START ? ram_size : VK_PCI_HOLE_START;
	unsigned n = 0;

	add(out, max, &n, 0, low < BASE_MEMORY_END ? low : BASE_MEMORY_END, VK_E820_RAM);
	add(out, max, &n, BASE_MEMORY_END, LEGACY_VGA - BASE_MEMORY_END, VK_E820_RESERVED);
	add(out, max, &n, BIOS_AREA, HIGH_MEMORY - BIOS_AREA, VK_E820_RESERVED);
	if (low > HIGH_MEMORY)
		add(out, max, &n, HIGH_MEMORY, low - HIGH_MEMORY, VK_E820_RAM);
	/* IOAPIC, LAPIC, test device and firmware: never RAM, never PCI BARs. */
	add(out, max, &n, VK_IOAPIC_BASE, VK_4GIB - VK_IOAPIC_BASE, VK_E820_RESERVED);
	if (ram_size > low)
		add(out, max, &n, VK_4GIB, ram_size - low, VK_E820_RAM);
	return n;
}
