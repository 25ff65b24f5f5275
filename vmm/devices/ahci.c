/* ahci.c - an AHCI 1.3 SATA host bus adapter (ICH9's PCI identity) with ATAPI drives: registers, command lists, PRDT walks, FISes and interrupts. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util/error.h"
#include "vmm/devices/ahci.h"

#define PCI_SUBSYS_VENDOR	0x1af4	/* Red Hat's, as QEMU's ICH9 AHCI */
#define PCI_SUBSYS_ID		0x1100
#define SIG_NONE		0xffffffffu
#define FIS_D2H_LEN		20
#define FIS_PIO_SETUP_LEN	20

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (unsigned i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

/* base + off, or false when that wraps past the top of the address space
 * (vk_gpa_to_host() then checks the range itself). */
static bool gpa_add(uint64_t base, uint64_t off, uint64_t *out)
{
	if (off > UINT64_MAX - base)
		return false;
	*out = base + off;
	return true;
}

static unsigned port_index(const struct vk_ahci *hba, const struct vk_ahci_port *p)
{
	return (unsigned)(p - hba->port);
}

static void ring_doorbell(struct vk_ahci *hba)
{
	uint64_t one = 1;

	if (hba->doorbell >= 0 && write(hba->doorbell, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so the thread is already woken */
	}
}

/*
 * IS has a bit per port whose PxIS & PxIE is non-zero; it stays set until
 * the driver writes it back, then comes back while the port still has
 * something pending (Linux clears PxIS before IS for that reason).  INTx
 * follows the level.  A single MSI message is an edge, so one is sent when
 * the level rises, when a port raises a new event (force), and when an IS
 * write leaves something pending: otherwise an event that arrives while the
 * driver's handler runs would be lost.
 */
static void update_irq(struct vk_ahci *hba, bool force)
{
	bool level, was = hba->irq_level;

	for (unsigned i = 0; i < hba->n_ports; i++)
		if (hba->port[i].is & hba->port[i].ie)
			hba->is |= 1u << i;
	level = (hba->ghc & AHCI_GHC_IE) && hba->is;
	hba->irq_level = level;
	if (vk_pci_msi_enabled(&hba->pci)) {
		vk_pci_intx_set(&hba->pci, false);
		if (level && (force || !was))
			vk_pci_msi_notify(&hba->pci);
	} else {
		vk_pci_intx_set(&hba->pci, level);
	}
}

static void raise_port(struct vk_ahci *hba, struct vk_ahci_port *p, uint32_t bits)
{
	p->is |= bits;
	update_irq(hba, (bits & p->ie) != 0);
}

/* Write a FIS into the port's received-FIS area, if FIS receive is on. */
static bool post_fis(struct vk_ahci *hba, struct vk_ahci_port *p, unsigned off, const uint8_t *fis,
		     unsigned len)
{
	uint64_t fb = (uint64_t)p->fbu << 32 | p->fb;

	if (!(p->cmd & AHCI_PxCMD_FR))
		return false;
	if (vk_gpa_write(hba->mem, fb + off, fis, len) < 0) {
		vk_debug("%s port %u: the received-FIS area 0x%llx is not guest RAM", hba->name,
			 port_index(hba, p), (unsigned long long)fb);
		p->is |= AHCI_PxIS_HBFS;
		p->halted = true;
		return false;
	}
	return true;
}

/* The device's first D2H Register FIS after a reset: the ATAPI signature.
 * PxTFD and PxSIG take it at once; it lands in memory when FIS receive is
 * (or becomes) enabled. */
static void send_signature(struct vk_ahci *hba, struct vk_ahci_port *p)
{
	uint8_t fis[FIS_D2H_LEN] = { SATA_FIS_REG_D2H, 0, 0x00, 0x01, ATAPI_SIG_LBA_LOW,
				     ATAPI_SIG_LBA_MID, ATAPI_SIG_LBA_HIGH, 0 };

	fis[12] = ATAPI_SIG_COUNT;
	p->tfd = 0x01 << 8;		/* error 01h (no error), status 00h */
	p->sig = AHCI_SIG_ATAPI;
	p->signature_pending = !(p->cmd & AHCI_PxCMD_FR);
	if (!p->signature_pending && post_fis(hba, p, AHCI_RFIS_RFIS, fis, sizeof(fis)))
		raise_port(hba, p, AHCI_PxIS_DHRS);
}

/* COMRESET (or HBA reset) finished: the drive resets and signs on. */
static void port_reset_done(struct vk_ahci *hba, struct vk_ahci_port *p)
{
	p->srst = false;
	vk_atapi_reset(&p->drive);
	send_signature(hba, p);
}

static void port_power_on(struct vk_ahci_port *p)
{
	/* PxCLB and PxFB survive an HBA reset (AHCI 1.3.1 section 10.4.3). */
	p->is = p->ie = p->sctl = p->serr = p->sact = p->ci = 0;
	p->cmd = AHCI_PxCMD_SUD | AHCI_PxCMD_POD;	/* read-only ones: no staggered spin-up, no CPD */
	p->tfd = AHCI_TFD_NO_DEVICE;
	p->sig = SIG_NONE;
	p->halted = p->srst = p->signature_pending = false;
	p->next_slot = 0;
}

static void hba_reset(struct vk_ahci *hba)
{
	hba->ghc = AHCI_GHC_AE;
	hba->is = 0;
	for (unsigned i = 0; i < hba->n_ports; i++) {
		port_power_on(&hba->port[i]);
		port_reset_done(hba, &hba->port[i]);
	}
	update_irq(hba, false);
}

/* The HBA could not reach a structure the guest pointed it at: the port
 * stops until software clears PxCMD.ST, as on hardware (HBFS/HBDS).  TFES
 * and ERR|ABRT in PxTFD come too, so drivers that only look at the task
 * file (SeaBIOS) see the failure instead of waiting for a timeout. */
static void host_bus_error(struct vk_ahci *hba, struct vk_ahci_port *p, uint32_t bit, const char *what)
{
	vk_debug("%s port %u: %s", hba->name, port_index(hba, p), what);
	p->tfd = ATA_ERROR_ABRT << 8 | ATA_STATUS_DRDY | ATA_STATUS_ERR;
	p->halted = true;
	raise_port(hba, p, bit | AHCI_PxIS_TFES);
}

/* Move what the drive answered into the buffers of the PRDT at ctba + 80h,
 * one entry at a time and only as far as the data goes; *moved is what
 * reached the guest.  False after a host bus error. */
static bool transfer(struct vk_ahci *hba, struct vk_ahci_port *p, uint64_t ctba, unsigned prdtl,
		     struct vk_atapi_result *r, uint32_t *moved, bool *descriptor_done)
{
	uint64_t want = r->medium_len ? r->medium_len : r->data_len, done = 0;

	*moved = 0;
	for (unsigned i = 0; i < prdtl && done < want; i++) {
		uint8_t prd[AHCI_PRD_SIZE];
		uint64_t entry, dba, n, full;
		uint32_t dw3;
		void *dst;

		if (!gpa_add(ctba, AHCI_CT_PRDT + (uint64_t)i * AHCI_PRD_SIZE, &entry) ||
		    vk_gpa_read(hba->mem, entry, prd, sizeof(prd)) < 0) {
			host_bus_error(hba, p, AHCI_PxIS_HBFS, "a PRDT entry is not in guest RAM");
			return false;
		}
		dba = get_le32(prd) | (uint64_t)get_le32(prd + 4) << 32;
		dw3 = get_le32(prd + 12);
		full = (dw3 & AHCI_PRD_DBC_MASK) + 1;
		n = full < want - done ? full : want - done;
		dst = vk_gpa_to_host(hba->mem, dba, n);
		if (!dst) {
			host_bus_error(hba, p, AHCI_PxIS_HBDS, "a data buffer is not in guest RAM");
			return false;
		}
		if (!r->medium_len) {
			memcpy(dst, r->data + done, n);
		} else if (vk_atapi_read_medium(&p->drive, r->medium_offset + done, dst, n) < 0) {
			fprintf(stderr, "vrun: %s port %u: %s\n", hba->name, port_index(hba, p), vk_last_error());
			vk_atapi_read_failed(&p->drive, r);
			break;
		}
		done += n;
		if ((dw3 & AHCI_PRD_I) && n == full)
			*descriptor_done = true;
	}
	/* A PRDT shorter than the data: the rest is dropped, PRDBC tells. */
	*moved = done;
	return true;
}

/* The command ends: PRDBC, the FISes, PxTFD, PxCI (kept set on an error,
 * which halts the port: AHCI 1.3.1 section 6.2.2). */
static void complete(struct vk_ahci *hba, struct vk_ahci_port *p, unsigned slot, uint64_t header,
		     const struct vk_atapi_result *r, uint32_t moved, bool descriptor_done)
{
	uint8_t fis[FIS_D2H_LEN] = { 0 }, prdbc[4];
	uint32_t bits = AHCI_PxIS_DHRS;

	put_le32(prdbc, moved);
	vk_gpa_write(hba->mem, header + 4, prdbc, sizeof(prdbc));	/* header was read: in RAM */
	if (r->pio_in && !(r->status & ATA_STATUS_ERR)) {
		fis[0] = SATA_FIS_PIO_SETUP;
		fis[1] = SATA_FIS_I | SATA_FIS_D;
		fis[2] = ATA_STATUS_DRDY | ATA_STATUS_DSC | ATA_STATUS_DRQ;
		fis[4] = r->lba_low;
		fis[5] = r->lba_mid;
		fis[6] = r->lba_high;
		fis[12] = r->count;
		fis[15] = r->status;		/* E_Status: the status once the data is through */
		fis[16] = moved;
		fis[17] = moved >> 8;
		post_fis(hba, p, AHCI_RFIS_PSFIS, fis, FIS_PIO_SETUP_LEN);
		bits |= AHCI_PxIS_PSS;
	}
	memset(fis, 0, sizeof(fis));
	fis[0] = SATA_FIS_REG_D2H;
	fis[1] = SATA_FIS_I;
	fis[2] = r->status;
	fis[3] = r->error;
	fis[4] = r->lba_low;
	fis[5] = r->lba_mid;
	fis[6] = r->lba_high;
	fis[12] = r->count;
	post_fis(hba, p, AHCI_RFIS_RFIS, fis, FIS_D2H_LEN);
	p->tfd = (uint32_t)r->error << 8 | r->status;
	if (descriptor_done)
		bits |= AHCI_PxIS_DPS;
	if (r->status & ATA_STATUS_ERR) {
		bits |= AHCI_PxIS_TFES;
		p->halted = true;
	} else {
		p->ci &= ~(1u << slot);
	}
	raise_port(hba, p, bits);
}

/* A Register H2D FIS with C clear: device control.  SRST set then cleared
 * is a software reset (AHCI 1.3.1 section 10.4.1); each FIS completes
 * once sent. */
static void device_control(struct vk_ahci *hba, struct vk_ahci_port *p, unsigned slot, uint8_t control)
{
	p->ci &= ~(1u << slot);
	if (control & ATA_CONTROL_SRST) {
		p->srst = true;
		p->tfd = ATA_STATUS_BSY;
	} else if (p->srst) {
		port_reset_done(hba, p);
	}
	update_irq(hba, false);
}

/* The device rejects a FIS or command it cannot take: ERR and ABRT. */
static void reject(struct vk_ahci *hba, struct vk_ahci_port *p, unsigned slot, uint64_t header)
{
	struct vk_atapi_result r = { .status = ATA_STATUS_DRDY | ATA_STATUS_ERR, .error = ATA_ERROR_ABRT };

	complete(hba, p, slot, header, &r, 0, false);
}

static void run_command(struct vk_ahci *hba, struct vk_ahci_port *p, unsigned slot)
{
	uint64_t clb = (uint64_t)p->clbu << 32 | p->clb, header, ctba, acmd;
	uint8_t hdr[AHCI_CMD_HEADER_SIZE], cfis[AHCI_CFIS_MAX];
	struct vk_ata_command cmd = { 0 };
	struct vk_atapi_result r;
	uint32_t dw0, cfl, moved = 0;
	bool descriptor_done = false;

	if (!gpa_add(clb, slot * AHCI_CMD_HEADER_SIZE, &header) ||
	    vk_gpa_read(hba->mem, header, hdr, sizeof(hdr)) < 0) {
		host_bus_error(hba, p, AHCI_PxIS_HBFS, "the command list is not in guest RAM");
		return;
	}
	dw0 = get_le32(hdr);
	cfl = dw0 & AHCI_CMD_CFL_MASK;
	/* CTBA's low 7 bits are reserved: the table is 128-byte aligned. */
	ctba = (get_le32(hdr + 8) | (uint64_t)get_le32(hdr + 12) << 32) & ~(uint64_t)(AHCI_CTBA_ALIGN - 1);
	if (cfl < SATA_FIS_REG_H2D_DWORDS || cfl * 4 > AHCI_CFIS_MAX ||
	    (dw0 >> AHCI_CMD_PMP_SHIFT & 0xf)) {
		reject(hba, p, slot, header);	/* no port multiplier here */
		return;
	}
	if (vk_gpa_read(hba->mem, ctba, cfis, cfl * 4) < 0 ||
	    ((dw0 & AHCI_CMD_ATAPI) && (!gpa_add(ctba, AHCI_CT_ACMD, &acmd) ||
					vk_gpa_read(hba->mem, acmd, cmd.cdb, sizeof(cmd.cdb)) < 0))) {
		host_bus_error(hba, p, AHCI_PxIS_HBFS, "a command table is not in guest RAM");
		return;
	}
	if (cfis[0] != SATA_FIS_REG_H2D || (cfis[1] & 0x0f)) {
		reject(hba, p, slot, header);
		return;
	}
	if (!(cfis[1] & SATA_FIS_H2D_C)) {
		device_control(hba, p, slot, cfis[15]);
		return;
	}
	cmd.command = cfis[2];
	cmd.features = cfis[3];
	cmd.lba_low = cfis[4];
	cmd.lba_mid = cfis[5];
	cmd.lba_high = cfis[6];
	cmd.device = cfis[7];
	cmd.count = cfis[12];
	if (cmd.command == ATA_CMD_PACKET && !(dw0 & AHCI_CMD_ATAPI)) {
		reject(hba, p, slot, header);	/* PACKET without A: no CDB was sent */
		return;
	}
	vk_atapi_execute(&p->drive, &cmd, &r);
	if ((r.data_len || r.medium_len) &&
	    !transfer(hba, p, ctba, dw0 >> AHCI_CMD_PRDTL_SHIFT, &r, &moved, &descriptor_done))
		return;
	complete(hba, p, slot, header, &r, moved, descriptor_done);
}

/* Issued slots in round-robin order until none is left or an error halts
 * the port; each slot at most once per call. */
static void port_process(struct vk_ahci *hba, struct vk_ahci_port *p)
{
	for (unsigned budget = AHCI_SLOTS; budget; budget--) {
		unsigned slot = p->next_slot;

		if (!(p->cmd & AHCI_PxCMD_CR) || p->halted || !p->ci ||
		    (p->sctl & AHCI_PxSCTL_DET_MASK) == AHCI_PxSCTL_DET_COMRESET)
			return;
		while (!(p->ci & 1u << slot))
			slot = (slot + 1) % AHCI_SLOTS;
		p->cmd = (p->cmd & ~(0x1fu << AHCI_PxCMD_CCS_SHIFT)) | slot << AHCI_PxCMD_CCS_SHIFT;
		p->next_slot = (slot + 1) % AHCI_SLOTS;
		run_command(hba, p, slot);
	}
}

void vk_ahci_process(struct vk_ahci *hba)
{
	pthread_mutex_lock(&hba->pci.lock);
	for (unsigned i = 0; i < hba->n_ports; i++)
		port_process(hba, &hba->port[i]);
	pthread_mutex_unlock(&hba->pci.lock);
}

static void iothread_event(void *opaque, unsigned tag)
{
	struct vk_ahci *hba = opaque;
	uint64_t count;

	(void)tag;
	if (read(hba->doorbell, &count, sizeof(count)) < 0) {
		/* EAGAIN: another event already drained it */
	}
	vk_ahci_process(hba);
}

/* --- registers ------------------------------------------------------- */

static uint32_t port_ssts(const struct vk_ahci_port *p)
{
	switch (p->sctl & AHCI_PxSCTL_DET_MASK) {
	case AHCI_PxSCTL_DET_COMRESET:
		return 0;
	case AHCI_PxSCTL_DET_OFFLINE:
		return AHCI_PxSSTS_OFFLINE;
	default:
		return AHCI_PxSSTS_PRESENT;
	}
}

static uint32_t port_read(const struct vk_ahci_port *p, unsigned reg)
{
	switch (reg) {
	case AHCI_PxCLB: return p->clb;
	case AHCI_PxCLBU: return p->clbu;
	case AHCI_PxFB: return p->fb;
	case AHCI_PxFBU: return p->fbu;
	case AHCI_PxIS: return p->is;
	case AHCI_PxIE: return p->ie;
	case AHCI_PxCMD: return p->cmd;
	case AHCI_PxTFD: return p->tfd;
	case AHCI_PxSIG: return p->sig;
	case AHCI_PxSSTS: return port_ssts(p);
	case AHCI_PxSCTL: return p->sctl;
	case AHCI_PxSERR: return p->serr;
	case AHCI_PxSACT: return p->sact;
	case AHCI_PxCI: return p->ci;
	default: return 0;
	}
}

static uint32_t reg_read(const struct vk_ahci *hba, uint64_t off)
{
	unsigned n = hba->n_ports ? hba->n_ports : 1;

	if (off >= AHCI_PORT_BASE) {
		uint64_t i = (off - AHCI_PORT_BASE) / AHCI_PORT_SIZE;

		return i < hba->n_ports ? port_read(&hba->port[i], (off - AHCI_PORT_BASE) % AHCI_PORT_SIZE) : 0;
	}
	switch (off) {
	case AHCI_CAP:
		return (n - 1) | (AHCI_SLOTS - 1) << AHCI_CAP_NCS_SHIFT | AHCI_CAP_SAM | AHCI_CAP_ISS_GEN1 |
		       AHCI_CAP_S64A;
	case AHCI_GHC: return hba->ghc;
	case AHCI_IS: return hba->is;
	case AHCI_PI: return (1u << hba->n_ports) - 1;
	case AHCI_VS: return AHCI_VERSION_1_3;
	default: return 0;		/* CCC, EM, CAP2, BOHC: nothing offered */
	}
}

static void cmd_write(struct vk_ahci *hba, struct vk_ahci_port *p, uint32_t v)
{
	uint32_t old = p->cmd;

	/* ICC and the write-1 bits we do not offer (CLO) read back as 0. */
	p->cmd = (old & ~AHCI_PxCMD_RW_MASK) | (v & AHCI_PxCMD_RW_MASK);
	if ((v & AHCI_PxCMD_ST) && !(old & AHCI_PxCMD_CR)) {
		p->cmd |= AHCI_PxCMD_CR;
		p->halted = false;
		p->next_slot = 0;
	} else if (!(v & AHCI_PxCMD_ST) && (old & AHCI_PxCMD_CR)) {
		/* Stopping the list engine drops whatever was issued. */
		p->cmd &= ~(AHCI_PxCMD_CR | 0x1fu << AHCI_PxCMD_CCS_SHIFT);
		p->ci = p->sact = 0;
		p->halted = false;
	}
	if (v & AHCI_PxCMD_FRE) {
		p->cmd |= AHCI_PxCMD_FR;
		if (p->signature_pending)
			send_signature(hba, p);
	} else {
		p->cmd &= ~AHCI_PxCMD_FR;
	}
}

static void sctl_write(struct vk_ahci *hba, struct vk_ahci_port *p, uint32_t v)
{
	uint32_t old_det = p->sctl & AHCI_PxSCTL_DET_MASK, det = v & AHCI_PxSCTL_DET_MASK;

	p->sctl = v & 0xfffff;		/* PMP, SPM, IPM, SPD, DET */
	if (det == AHCI_PxSCTL_DET_COMRESET && old_det != AHCI_PxSCTL_DET_COMRESET) {
		p->tfd = AHCI_TFD_NO_DEVICE;
		p->sig = SIG_NONE;
		p->signature_pending = false;
	} else if (old_det == AHCI_PxSCTL_DET_COMRESET && det != AHCI_PxSCTL_DET_COMRESET) {
		port_reset_done(hba, p);
	}
}

/* A write of the bytes in mask to the port register reg. */
static void port_write(struct vk_ahci *hba, struct vk_ahci_port *p, unsigned reg, uint32_t val,
		       uint32_t mask)
{
	uint32_t merged = (port_read(p, reg) & ~mask) | (val & mask), ones = val & mask;

	switch (reg) {
	case AHCI_PxCLB: p->clb = merged & ~0x3ffu; break;	/* 1 KiB aligned */
	case AHCI_PxCLBU: p->clbu = merged; break;
	case AHCI_PxFB: p->fb = merged & ~0xffu; break;		/* 256-byte aligned */
	case AHCI_PxFBU: p->fbu = merged; break;
	case AHCI_PxIS:
		p->is &= ~ones;
		update_irq(hba, false);
		break;
	case AHCI_PxIE:
		p->ie = merged & AHCI_PxIE_MASK;
		update_irq(hba, false);
		break;
	case AHCI_PxCMD:
		cmd_write(hba, p, merged);
		update_irq(hba, false);
		break;
	case AHCI_PxSCTL: sctl_write(hba, p, merged); break;
	case AHCI_PxSERR: p->serr &= ~ones; break;
	case AHCI_PxSACT:
		if (p->cmd & AHCI_PxCMD_ST)
			p->sact |= ones;
		break;
	case AHCI_PxCI:
		if (p->cmd & AHCI_PxCMD_ST) {
			p->ci |= ones;
			ring_doorbell(hba);
		}
		break;
	default:
		break;			/* read-only or reserved */
	}
}

static void reg_write(struct vk_ahci *hba, uint64_t off, uint32_t val, uint32_t mask)
{
	if (off >= AHCI_PORT_BASE) {
		uint64_t i = (off - AHCI_PORT_BASE) / AHCI_PORT_SIZE;

		if (i < hba->n_ports)
			port_write(hba, &hba->port[i], (off - AHCI_PORT_BASE) % AHCI_PORT_SIZE, val, mask);
		return;
	}
	if (off == AHCI_GHC) {
		val = (hba->ghc & ~mask) | (val & mask);
		if (val & AHCI_GHC_HR) {
			hba_reset(hba);		/* done at once: HR reads back 0 */
			return;
		}
		hba->ghc = AHCI_GHC_AE | (val & AHCI_GHC_IE);
		update_irq(hba, false);
	} else if (off == AHCI_IS) {
		hba->is &= ~(val & mask);
		update_irq(hba, true);
	}
}

void vk_ahci_abar_io(void *opaque, uint64_t off, uint8_t *data, unsigned len, bool is_write)
{
	struct vk_ahci *hba = opaque;

	/* Any size and alignment, a dword at a time: bytes outside the access
	 * are left alone, which matters for the write-1-to-clear registers. */
	for (unsigned i = 0; i < len;) {
		uint64_t dword = (off + i) & ~3ull;
		uint32_t val = 0, mask = 0, cur = is_write ? 0 : reg_read(hba, dword);

		for (; i < len && ((off + i) & ~3ull) == dword; i++) {
			unsigned shift = 8 * ((off + i) & 3);

			if (is_write) {
				val |= (uint32_t)data[i] << shift;
				mask |= 0xffu << shift;
			} else {
				data[i] = cur >> shift;
			}
		}
		if (is_write)
			reg_write(hba, dword, val, mask);
	}
}

/* --- life cycle ------------------------------------------------------ */

int vk_ahci_create(const struct vk_guest_memory *mem, const char *name, struct vk_ahci **out)
{
	struct vk_ahci *hba = calloc(1, sizeof(*hba));

	if (!hba)
		return vk_error(ENOMEM, "%s", name);
	snprintf(hba->name, sizeof(hba->name), "%s", name);
	hba->mem = mem;
	hba->doorbell = -1;
	hba->io.epfd = hba->io.stopfd = hba->io.callfd = -1;
	vk_pci_dev_init(&hba->pci, hba->name, PCI_VENDOR_INTEL, PCI_DEVICE_ICH9_AHCI, PCI_CLASS_SATA_AHCI,
			PCI_SUBSYS_VENDOR, PCI_SUBSYS_ID);
	hba->pci.owner = hba;
	vk_pci_dev_add_bar32(&hba->pci, AHCI_ABAR, AHCI_ABAR_SIZE, vk_ahci_abar_io, hba);
	hba_reset(hba);
	*out = hba;
	return 0;
}

void vk_ahci_reset(struct vk_ahci *hba)
{
	pthread_mutex_lock(&hba->pci.lock);
	/* A power-on, not the HBA reset that keeps the guest's structures. */
	for (unsigned i = 0; i < hba->n_ports; i++)
		hba->port[i].clb = hba->port[i].clbu = hba->port[i].fb = hba->port[i].fbu = 0;
	hba_reset(hba);
	pthread_mutex_unlock(&hba->pci.lock);
}

int vk_ahci_realize(struct vk_ahci *hba)
{
	int rc = vk_pci_dev_add_msi(&hba->pci);

	if (rc < 0)
		return rc;
	hba->doorbell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (hba->doorbell < 0)
		return vk_error(errno, "%s: eventfd", hba->name);
	rc = vk_iothread_init(&hba->io, iothread_event, hba);
	if (rc == 0)
		rc = vk_iothread_watch(&hba->io, hba->doorbell, 0);
	return rc;
}

int vk_ahci_attach_cdrom(struct vk_ahci *hba, const char *path, enum vk_image_format fmt,
			 const char *serial)
{
	struct vk_ahci_port *p;
	int rc;

	if (hba->n_ports == AHCI_MAX_PORTS)
		return vk_errorx(ENOSPC, "cdrom %s: the AHCI controller's %d ports all hold a CD-ROM; "
				 "give at most %d", path, AHCI_MAX_PORTS, AHCI_MAX_PORTS);
	p = &hba->port[hba->n_ports];
	rc = vk_atapi_open(&p->drive, path, fmt, serial);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&hba->pci.lock);
	hba->n_ports++;
	port_power_on(p);
	port_reset_done(hba, p);
	pthread_mutex_unlock(&hba->pci.lock);
	return 0;
}

void vk_ahci_destroy(struct vk_ahci *hba)
{
	if (!hba)
		return;
	vk_iothread_free(&hba->io);		/* stops the thread first */
	if (hba->doorbell >= 0)
		close(hba->doorbell);
	for (unsigned i = 0; i < hba->n_ports; i++)
		vk_atapi_close(&hba->port[i].drive);
	vk_pci_dev_free(&hba->pci);
	free(hba);
}
