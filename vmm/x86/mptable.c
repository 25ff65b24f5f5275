/* x86/mptable.c - Intel MultiProcessor Specification 1.4 tables: how the guest finds its CPUs and IOAPIC. */
#include "config.h"

#include <string.h>

#include "vmm/x86/boot.h"

#define MP_SPEC_REV		4	/* 1.4 */
#define MP_ENTRY_PROCESSOR	0
#define MP_ENTRY_BUS		1
#define MP_ENTRY_IOAPIC		2
#define MP_ENTRY_IO_INTERRUPT	3
#define MP_ENTRY_LOCAL_INTERRUPT 4
#define MP_CPU_ENABLED		0x01
#define MP_CPU_BSP		0x02
#define MP_IOAPIC_ENABLED	0x01
#define MP_INT			0
#define MP_NMI			1
#define MP_EXTINT		3
#define MP_IRQ_CONFORMS		0x0000
#define MP_IRQ_PCI		0x000f	/* active low, level triggered */
#define MP_ALL_LAPICS		0xff
#define LAPIC_VERSION		0x14
#define IOAPIC_VERSION		0x11
#define BUS_PCI			0
#define BUS_ISA			1
#define ISA_IRQS		16
#define CPU_SIGNATURE		0x600	/* family 6 */
#define CPU_FEATURES		0x201	/* FPU, APIC */

struct mp_floating {
	char signature[4];	/* "_MP_" */
	uint32_t config;
	uint8_t length;		/* in 16-byte units */
	uint8_t spec_rev, checksum, feature[5];
} __attribute__((packed));

struct mp_config {
	char signature[4];	/* "PCMP" */
	uint16_t length;
	uint8_t spec_rev, checksum;
	char oem[8], product[12];
	uint32_t oem_table;
	uint16_t oem_size, count;
	uint32_t lapic;
	uint16_t ext_length;
	uint8_t ext_checksum, reserved;
} __attribute__((packed));

struct mp_processor {
	uint8_t type, apic_id, apic_version, flags;
	uint32_t signature, features, reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type, id;
	char name[6];
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type, id, version, flags;
	uint32_t addr;
} __attribute__((packed));

struct mp_interrupt {
	uint8_t type, irq_type;
	uint16_t flags;
	uint8_t src_bus, src_irq, dst_apic, dst_pin;
} __attribute__((packed));

static uint8_t checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

struct writer {
	uint8_t *buf;
	size_t size, len;
	uint16_t count;
	bool overflow;
};

static void put(struct writer *w, const void *entry, size_t len, bool counts)
{
	if (w->overflow || len > w->size - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, entry, len);
	w->len += len;
	w->count += counts;
}

static void put_interrupt(struct writer *w, uint8_t type, uint8_t irq_type, uint16_t flags,
			  uint8_t bus, uint8_t irq, uint8_t apic, uint8_t pin)
{
	struct mp_interrupt e = { type, irq_type, flags, bus, irq, apic, pin };

	put(w, &e, sizeof(e), true);
}

size_t vk_mptable_build(uint8_t *buf, size_t size, uint32_t base, unsigned ncpus,
			const struct vk_mp_intx *intx, size_t n_intx)
{
	struct writer w = { buf, size, 0, 0, false };
	struct mp_floating fp = { .signature = "_MP_", .length = 1, .spec_rev = MP_SPEC_REV };
	struct mp_config cfg = { .signature = "PCMP", .spec_rev = MP_SPEC_REV,
				 .oem = "VKIT    ", .product = "VRUN        ",
				 .lapic = (uint32_t)VK_LAPIC_BASE };
	uint8_t ioapic_id = (uint8_t)ncpus;
	struct mp_config *cfgp;

	fp.config = base + sizeof(fp);
	put(&w, &fp, sizeof(fp), false);
	put(&w, &cfg, sizeof(cfg), false);
	for (unsigned i = 0; i < ncpus; i++) {
		struct mp_processor p = { MP_ENTRY_PROCESSOR, (uint8_t)i, LAPIC_VERSION,
					  MP_CPU_ENABLED | (i == 0 ? MP_CPU_BSP : 0),
					  CPU_SIGNATURE, CPU_FEATURES, { 0, 0 } };
		put(&w, &p, sizeof(p), true);
	}
	struct mp_bus pci = { MP_ENTRY_BUS, BUS_PCI, "PCI   " }, isa = { MP_ENTRY_BUS, BUS_ISA, "ISA   " };
	put(&w, &pci, sizeof(pci), true);
	put(&w, &isa, sizeof(isa), true);
	struct mp_ioapic io = { MP_ENTRY_IOAPIC, ioapic_id, IOAPIC_VERSION, MP_IOAPIC_ENABLED,
				(uint32_t)VK_IOAPIC_BASE };
	put(&w, &io, sizeof(io), true);
	/* ISA IRQ n is IOAPIC pin n, as KVM's default routing has it. */
	for (uint8_t irq = 0; irq < ISA_IRQS; irq++)
		if (irq != 2)
			put_interrupt(&w, MP_ENTRY_IO_INTERRUPT, MP_INT, MP_IRQ_CONFORMS,
				      BUS_ISA, irq, ioapic_id, irq);
	for (size_t i = 0; i < n_intx; i++)
		put_interrupt(&w, MP_ENTRY_IO_INTERRUPT, MP_INT, MP_IRQ_PCI, BUS_PCI,
			      (uint8_t)((intx[i].slot << 2) | ((intx[i].pin - 1) & 3)),
			      ioapic_id, (uint8_t)intx[i].gsi);
	put_interrupt(&w, MP_ENTRY_LOCAL_INTERRUPT, MP_EXTINT, MP_IRQ_CONFORMS, BUS_ISA, 0, MP_ALL_LAPICS, 0);
	put_interrupt(&w, MP_ENTRY_LOCAL_INTERRUPT, MP_NMI, MP_IRQ_CONFORMS, BUS_ISA, 0, MP_ALL_LAPICS, 1);
	if (w.overflow)
		return 0;
	cfgp = (struct mp_config *)(buf + sizeof(fp));
	cfgp->length = (uint16_t)(w.len - sizeof(fp));
	cfgp->count = w.count;
	cfgp->checksum = checksum((uint8_t *)cfgp, cfgp->length);
	buf[offsetof(struct mp_floating, checksum)] = checksum(buf, sizeof(fp));
	return w.len;
}
