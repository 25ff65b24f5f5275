/* pc-chipset.c - the i440FX host bridge and PIIX3 ISA bridge identities that PC firmware (SeaBIOS) looks for on bus 0. */
#include "config.h"

#include <errno.h>

#include "common/util/error.h"
#include "vmm/pci.h"

/*
 * SeaBIOS reads its configuration from fw_cfg only on a machine it takes
 * for QEMU: a host bridge at 00:00.0 with QEMU's subsystem IDs.  Its
 * device ID picks the chipset; i440FX (not Q35) because vrun has no
 * MMCONFIG and no SMM, which Q35's firmware path sets up and waits on.
 * The registers firmware writes are kept in config space (they read back)
 * but change nothing: PAM (shadow RAM) because 0xC0000-0xFFFFF is RAM
 * all the time here, PIRQ routing because each slot's INTA# has its own
 * IOAPIC pin (docs/vmm.md, "Firmware").  The PIIX3's reset control
 * register at 0xCF9 works: SeaBIOS reboots a QEMU machine through it.
 */
#define PCI_VENDOR_ID_INTEL		0x8086
#define PCI_DEVICE_ID_INTEL_82441	0x1237	/* i440FX host bridge */
#define PCI_DEVICE_ID_INTEL_82371SB_0	0x7000	/* PIIX3 PCI-to-ISA bridge */
#define PCI_SUBVENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_SUBDEVICE_ID_QEMU		0x1100
#define PCI_CLASS_BRIDGE_ISA		0x060100
#define I440FX_PAM			0x59	/* PAM0..PAM6 */
#define I440FX_PAM_COUNT		7
#define I440FX_SMRAM			0x72
#define PIIX_PIRQC			0x60	/* PIRQRC[A:D] */
#define PIIX_PIRQ_COUNT			4
#define PIIX_PIRQ_DISABLED		0x80	/* the reset value of each routing byte */
#define RCR_SYS_RST			0x02	/* reset control register (port 0xCF9) */
#define RCR_RST_CPU			0x04

static void rcr_io(struct vk_pci_bus *bus, uint8_t *data, bool is_write)
{
	if (!is_write) {
		data[0] = bus->rcr;
		return;
	}
	/* SeaBIOS writes SYS_RST, then SYS_RST | RST_CPU: the second resets. */
	bus->rcr = data[0] & RCR_SYS_RST;
	if (data[0] & RCR_RST_CPU)
		bus->reset_request(bus->reset_opaque);
}

int vk_pc_chipset_init(struct vk_pci_bus *bus, struct vk_pci_dev *isa, void (*reset_request)(void *),
		       void *opaque)
{
	struct vk_pci_dev *host = &bus->host;
	int rc;

	if (bus->n_devs != 1)
		return vk_errorx(EBUSY, "the PC chipset goes on an empty PCI bus (slot 1 is the ISA bridge)");
	host->cfg[PCI_VENDOR_ID] = PCI_VENDOR_ID_INTEL & 0xff;
	host->cfg[PCI_VENDOR_ID + 1] = PCI_VENDOR_ID_INTEL >> 8;
	host->cfg[PCI_DEVICE_ID] = PCI_DEVICE_ID_INTEL_82441 & 0xff;
	host->cfg[PCI_DEVICE_ID + 1] = PCI_DEVICE_ID_INTEL_82441 >> 8;
	host->cfg[PCI_SUBSYSTEM_VENDOR_ID] = PCI_SUBVENDOR_ID_REDHAT_QUMRANET & 0xff;
	host->cfg[PCI_SUBSYSTEM_VENDOR_ID + 1] = PCI_SUBVENDOR_ID_REDHAT_QUMRANET >> 8;
	host->cfg[PCI_SUBSYSTEM_ID] = PCI_SUBDEVICE_ID_QEMU & 0xff;
	host->cfg[PCI_SUBSYSTEM_ID + 1] = PCI_SUBDEVICE_ID_QEMU >> 8;
	for (unsigned i = 0; i < I440FX_PAM_COUNT; i++)
		vk_pci_dev_set_wmask(host, I440FX_PAM + i, 1, 0xff);
	vk_pci_dev_set_wmask(host, I440FX_SMRAM, 1, 0xff);

	vk_pci_dev_init(isa, "isa-bridge", PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82371SB_0,
			PCI_CLASS_BRIDGE_ISA, PCI_SUBVENDOR_ID_REDHAT_QUMRANET, PCI_SUBDEVICE_ID_QEMU);
	for (unsigned i = 0; i < PIIX_PIRQ_COUNT; i++) {
		isa->cfg[PIIX_PIRQC + i] = PIIX_PIRQ_DISABLED;
		vk_pci_dev_set_wmask(isa, PIIX_PIRQC + i, 1, 0xff);
	}
	rc = vk_pci_bus_add(bus, isa);
	if (rc < 0)
		return rc;
	/* A bridge raises no interrupt of its own. */
	isa->cfg[PCI_INTERRUPT_PIN] = 0;
	isa->cfg[PCI_INTERRUPT_LINE] = 0;
	isa->gsi = 0;
	bus->reset_request = reset_request;
	bus->reset_opaque = opaque;
	bus->rcr_io = rcr_io;
	return 0;
}
