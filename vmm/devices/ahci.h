/* ahci.h - an AHCI 1.3 SATA host bus adapter with the PCI identity of Intel's ICH9, whose ports hold ATAPI CD/DVD drives. */
#ifndef VK_AHCI_H
#define VK_AHCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/devices/atapi.h"
#include "vmm/guest-memory.h"
#include "vmm/iothread.h"
#include "vmm/pci.h"

/*
 * Guest-visible (docs/devices.md, "AHCI and ATAPI"): PCI 8086:2922, class
 * 01.06.01, ABAR = 32-bit memory BAR 5 (4 KiB), INTA# or one MSI message.
 * One port per drive (CAP.NP, PI), up to AHCI_MAX_PORTS as on ICH9;
 * 32 command slots, no NCQ, no port multiplier, 64-bit addressing.
 *
 * Commands run on the controller's I/O thread: a PxCI write (or anything
 * that lets a halted port go on) rings an eventfd.  Every structure the
 * guest points at (command list, received-FIS area, command table, PRDT,
 * data buffers) is read or written through vmm/guest-memory.h, and only
 * for the bytes a command needs.
 */

#define AHCI_MAX_PORTS		6
#define AHCI_SLOTS		32
#define AHCI_ABAR		5		/* BAR index */
#define AHCI_ABAR_SIZE		0x1000

#define PCI_VENDOR_INTEL	0x8086
#define PCI_DEVICE_ICH9_AHCI	0x2922
#define PCI_CLASS_SATA_AHCI	0x010601	/* mass storage, SATA, AHCI 1.0 */

/* Generic host control registers (AHCI 1.3.1 section 3.1). */
#define AHCI_CAP		0x00
#define AHCI_GHC		0x04
#define AHCI_IS			0x08
#define AHCI_PI			0x0c
#define AHCI_VS			0x10
#define AHCI_CAP2		0x24
#define AHCI_PORT_BASE		0x100
#define AHCI_PORT_SIZE		0x80

#define AHCI_CAP_NP_MASK	0x1f
#define AHCI_CAP_NCS_SHIFT	8
#define AHCI_CAP_SAM		(1u << 18)	/* AHCI only: GHC.AE reads 1 */
#define AHCI_CAP_ISS_GEN1	(1u << 20)
#define AHCI_CAP_S64A		(1u << 31)
#define AHCI_GHC_HR		(1u << 0)
#define AHCI_GHC_IE		(1u << 1)
#define AHCI_GHC_AE		(1u << 31)
#define AHCI_VERSION_1_3	0x00010300

/* Port registers (section 3.3), offsets within a port's 0x80 bytes. */
#define AHCI_PxCLB		0x00
#define AHCI_PxCLBU		0x04
#define AHCI_PxFB		0x08
#define AHCI_PxFBU		0x0c
#define AHCI_PxIS		0x10
#define AHCI_PxIE		0x14
#define AHCI_PxCMD		0x18
#define AHCI_PxTFD		0x20
#define AHCI_PxSIG		0x24
#define AHCI_PxSSTS		0x28
#define AHCI_PxSCTL		0x2c
#define AHCI_PxSERR		0x30
#define AHCI_PxSACT		0x34
#define AHCI_PxCI		0x38

/* PxIS / PxIE bits. */
#define AHCI_PxIS_DHRS		(1u << 0)	/* D2H Register FIS */
#define AHCI_PxIS_PSS		(1u << 1)	/* PIO Setup FIS */
#define AHCI_PxIS_DPS		(1u << 5)	/* descriptor processed (PRD I bit) */
#define AHCI_PxIS_HBDS		(1u << 28)	/* host bus data error */
#define AHCI_PxIS_HBFS		(1u << 29)	/* host bus fatal error */
#define AHCI_PxIS_TFES		(1u << 30)	/* task file error */
#define AHCI_PxIE_MASK		0xfdc000ffu

/* PxCMD bits. */
#define AHCI_PxCMD_ST		(1u << 0)
#define AHCI_PxCMD_SUD		(1u << 1)
#define AHCI_PxCMD_POD		(1u << 2)
#define AHCI_PxCMD_FRE		(1u << 4)
#define AHCI_PxCMD_CCS_SHIFT	8
#define AHCI_PxCMD_FR		(1u << 14)
#define AHCI_PxCMD_CR		(1u << 15)
#define AHCI_PxCMD_ATAPI	(1u << 24)
#define AHCI_PxCMD_RW_MASK	(AHCI_PxCMD_ST | AHCI_PxCMD_FRE | 0x0f000000u)	/* ATAPI, DLAE, ALPE, ASP */

#define AHCI_PxSCTL_DET_MASK	0xf
#define AHCI_PxSCTL_DET_COMRESET 1
#define AHCI_PxSCTL_DET_OFFLINE	4
#define AHCI_PxSSTS_PRESENT	0x113	/* DET 3 (device, phy up), SPD 1 (Gen1), IPM 1 (active) */
#define AHCI_PxSSTS_OFFLINE	0x4
#define AHCI_SIG_ATAPI		0xeb140101u
#define AHCI_TFD_NO_DEVICE	0x7f

/* Command header (section 4.2.2), 32 bytes per slot. */
#define AHCI_CMD_HEADER_SIZE	32
#define AHCI_CMD_CFL_MASK	0x1f		/* FIS length in dwords */
#define AHCI_CMD_ATAPI		(1u << 5)
#define AHCI_CMD_WRITE		(1u << 6)
#define AHCI_CMD_RESET		(1u << 8)
#define AHCI_CMD_CLEAR_BUSY	(1u << 10)
#define AHCI_CMD_PMP_SHIFT	12
#define AHCI_CMD_PRDTL_SHIFT	16
#define AHCI_CTBA_ALIGN		0x80
/* Command table (section 4.2.3). */
#define AHCI_CT_CFIS		0x00
#define AHCI_CT_ACMD		0x40
#define AHCI_CT_PRDT		0x80
#define AHCI_CFIS_MAX		64
#define AHCI_PRD_SIZE		16
#define AHCI_PRD_DBC_MASK	0x3fffff	/* byte count - 1, up to 4 MiB */
#define AHCI_PRD_I		(1u << 31)
/* Received-FIS area (section 4.2.1): 256 bytes. */
#define AHCI_RFIS_PSFIS		0x20
#define AHCI_RFIS_RFIS		0x40
#define AHCI_RFIS_SIZE		0x100

/* FIS types (SATA 3.x section 10.3). */
#define SATA_FIS_REG_H2D	0x27
#define SATA_FIS_REG_D2H	0x34
#define SATA_FIS_PIO_SETUP	0x5f
#define SATA_FIS_H2D_C		0x80	/* byte 1: command (not device control) update */
#define SATA_FIS_I		0x40	/* byte 1 of D2H and PIO Setup: interrupt */
#define SATA_FIS_D		0x20	/* byte 1 of PIO Setup: device to host */
#define ATA_CONTROL_SRST	0x04
#define SATA_FIS_REG_H2D_DWORDS	5

struct vk_ahci_port {
	bool attached;
	struct vk_atapi drive;
	uint32_t clb, clbu, fb, fbu, is, ie, cmd, tfd, sig, sctl, serr, sact, ci;
	bool halted;		/* an error stopped the command list until ST is cleared */
	bool srst;		/* a software reset (SRST) is asserted */
	bool signature_pending;	/* the reset signature waits for FRE */
	unsigned next_slot;	/* where the round-robin scan of PxCI starts */
};

struct vk_ahci {
	struct vk_pci_dev pci;		/* first: the PCI callbacks get &pci */
	const struct vk_guest_memory *mem;
	char name[16];
	uint32_t ghc, is;
	bool irq_level;			/* GHC.IE and IS non-zero, as last signalled */
	unsigned n_ports;
	struct vk_ahci_port port[AHCI_MAX_PORTS];
	struct vk_iothread io;
	int doorbell;			/* eventfd: a port has work */
};

/* A controller with no drives; *out is ready for vk_pci_bus_add(), then
 * vk_ahci_realize(); free it with vk_ahci_destroy(). */
int vk_ahci_create(const struct vk_guest_memory *mem, const char *name, struct vk_ahci **out);
/* After vk_pci_bus_add(): the MSI route, the doorbell and the I/O thread. */
int vk_ahci_realize(struct vk_ahci *hba);
/* Put a CD/DVD drive on the next free port (before the guest runs);
 * -ENOSPC when all AHCI_MAX_PORTS hold one. */
int vk_ahci_attach_cdrom(struct vk_ahci *hba, const char *path, enum vk_image_format fmt,
			 const char *serial);
/* Run what the ports have pending, as the I/O thread does (takes the lock). */
void vk_ahci_process(struct vk_ahci *hba);
/* The ABAR handler (tests drive the controller through it; lock held). */
void vk_ahci_abar_io(void *hba, uint64_t off, uint8_t *data, unsigned len, bool is_write);
/* A machine reset: the controller and its drives as at power-on (no command
 * list or FIS area, the drives' sense and medium lock cleared); takes the
 * lock.  The PCI function is vk_pci_bus_reset()'s. */
void vk_ahci_reset(struct vk_ahci *hba);
void vk_ahci_destroy(struct vk_ahci *hba);

#endif
