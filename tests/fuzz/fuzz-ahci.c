/* fuzz-ahci.c - libFuzzer target: fuzzed ATA/ATAPI commands into the drive alone, and fuzzed guest RAM under the AHCI controller's command-list walker, each checked against what the code promises. */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/cd-image.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices/ahci.h"

/*
 * Byte 0 picks the mode.
 *
 * Even: the drive alone.  Then records of 16 bytes: ATA command selector,
 * features, count, 12 CDB bytes, 1 spare; each result is checked (status
 * and error consistent, reply inside the drive's buffer and within the
 * allocation length, reads inside the medium and equal to the image), and
 * after every CHECK CONDITION, REQUEST SENSE must report the same key.
 * Bit 1 of byte 0 picks a 900 MiB (sparse, DVD) image over a small one
 * whose last sector is partial.
 *
 * Odd: the controller.  Bytes 1-2 place the command list and the FIS area
 * in RAM (bit 0 and 1 of byte 3 put them above 4 GiB instead), bytes 4-11
 * are steps (low 5 bits a slot, top 3 bits: 0-4 issue it, 5 recover the
 * port, 6 reset the HBA, 7 COMRESET), and the whole input is also guest
 * RAM from address 0.  After each step, every byte of RAM that changed must
 * lie in the FIS area, a PRDBC field, or a buffer of the PRDT of the slot
 * just run, as that memory described it before the step.
 */
#define RAM_SIZE	(64 * 1024)
#define SMALL_IMAGE	(5 * ATAPI_SECTOR_SIZE + 1000)
#define DVD_IMAGE	(900ull << 20)
#define RECORD		16
#define STEPS		8
#define MAX_RANGES	(AHCI_SLOTS + 2 + 4096)

static struct vk_guest_memory *mem;
static struct vk_atapi small, dvd;
static char small_path[64], dvd_path[64];
static uint8_t snapshot[RAM_SIZE];
static uint8_t medium[ATAPI_SECTOR_SIZE * 8];

static const uint8_t ata_commands[] = {
	ATA_CMD_PACKET, ATA_CMD_PACKET, ATA_CMD_PACKET, ATA_CMD_PACKET, ATA_CMD_PACKET,
	ATA_CMD_IDENTIFY_PACKET_DEVICE, ATA_CMD_IDENTIFY_DEVICE, ATA_CMD_DEVICE_RESET,
	ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC, ATA_CMD_SET_FEATURES, ATA_CMD_CHECK_POWER_MODE,
	ATA_CMD_IDLE_IMMEDIATE, ATA_CMD_STANDBY_IMMEDIATE,
};

static void make_image(char *path, const char *name, uint64_t size, bool fill)
{
	snprintf(path, 64, "/tmp/vkit-fuzz-%s.%d", name, (int)getpid());
	if (cd_write_image(path, fill ? size : 0) < 0 || truncate(path, (off_t)size) < 0)
		abort();
}

static void remove_images(void)
{
	unlink(small_path);
	unlink(dvd_path);
}

static void setup_once(void)
{
	mem = fake_mem_new(RAM_SIZE);
	make_image(small_path, "small", SMALL_IMAGE, true);
	make_image(dvd_path, "dvd", DVD_IMAGE, false);
	atexit(remove_images);
	if (vk_atapi_open(&small, small_path, VK_IMAGE_RAW, "fuzz") < 0 ||
	    vk_atapi_open(&dvd, dvd_path, VK_IMAGE_RAW, NULL) < 0)
		abort();
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The allocation length of a command that has one, or UINT32_MAX. */
static uint32_t allocation_length(const uint8_t *cdb)
{
	switch (cdb[0]) {
	case SCSI_INQUIRY: return be16(cdb + 3);
	case SCSI_REQUEST_SENSE:
	case SCSI_MODE_SENSE_6: return cdb[4];
	case SCSI_MODE_SENSE_10:
	case SCSI_GET_CONFIGURATION:
	case SCSI_GET_EVENT_STATUS_NOTIFICATION:
	case SCSI_READ_TOC_PMA_ATIP:
	case SCSI_READ_DISC_INFORMATION:
	case SCSI_READ_TRACK_INFORMATION: return be16(cdb + 7);
	case SCSI_READ_DISC_STRUCTURE:
	case SCSI_MECHANISM_STATUS: return be16(cdb + 8);
	case SCSI_REPORT_LUNS: return be32(cdb + 6);
	case SCSI_READ_CAPACITY_10: return 8;
	default: return UINT32_MAX;
	}
}

/* What every result must satisfy. */
static void check_result(struct vk_atapi *d, const struct vk_ata_command *c, const struct vk_atapi_result *r)
{
	bool failed = r->status & ATA_STATUS_ERR;
	uint64_t end = (uint64_t)d->sectors * ATAPI_SECTOR_SIZE;

	if (r->status != (ATA_STATUS_DRDY | ATA_STATUS_DSC) && r->status != (ATA_STATUS_DRDY | ATA_STATUS_ERR) &&
	    !(r->status == 0 && (c->command == ATA_CMD_DEVICE_RESET ||
				 c->command == ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC)))
		abort();
	if (failed && (r->data_len || r->medium_len || r->pio_in))
		abort();
	if (r->data_len && (r->data != d->buf || r->data_len > ATAPI_BUF_SIZE || r->medium_len))
		abort();
	if (r->medium_len && (r->medium_offset % ATAPI_SECTOR_SIZE || r->medium_len % ATAPI_SECTOR_SIZE ||
			      r->medium_offset > end || r->medium_len > end - r->medium_offset))
		abort();
	if (c->command == ATA_CMD_PACKET && r->data_len > allocation_length(c->cdb))
		abort();
	if (c->command == ATA_CMD_PACKET && !failed) {
		uint64_t lba = be32(c->cdb + 2);

		if (c->cdb[0] == SCSI_READ_10 && (r->medium_offset != lba * ATAPI_SECTOR_SIZE ||
						  r->medium_len != be16(c->cdb + 7) * (uint64_t)ATAPI_SECTOR_SIZE))
			abort();
		if (c->cdb[0] == SCSI_WRITE_10 || c->cdb[0] == SCSI_WRITE_12)
			abort();		/* the medium is read-only */
	}
	if (c->command == ATA_CMD_PACKET && failed && c->cdb[0] == SCSI_READ_12 &&
	    d->sense_key == SENSE_ILLEGAL_REQUEST && be32(c->cdb + 2) + (uint64_t)be32(c->cdb + 6) <= d->sectors)
		abort();		/* an in-range READ(12) is refused only for other reasons */
	if (c->command == ATA_CMD_IDENTIFY_PACKET_DEVICE) {
		uint8_t sum = 0;

		for (unsigned i = 0; i < 512; i++)
			sum += r->data[i];
		if (r->data_len != 512 || sum != 0)
			abort();
	}
	/* The first sectors of what a read returns are the image's bytes. */
	if (r->medium_len && d == &small) {
		size_t n = r->medium_len < sizeof(medium) ? r->medium_len : sizeof(medium);

		if (vk_atapi_read_medium(d, r->medium_offset, medium, n) < 0)
			abort();
		for (size_t i = 0; i < n; i++)
			if (medium[i] != (r->medium_offset + i < SMALL_IMAGE ? cd_pattern(r->medium_offset + i) : 0))
				abort();
	}
}

static void fuzz_drive(const uint8_t *data, size_t size)
{
	struct vk_atapi *d = data[0] & 2 ? &dvd : &small;

	vk_atapi_reset(d);
	d->tray_open = d->unit_attention = false;
	d->media_event = MMC_MEDIA_EVENT_NONE;
	for (size_t off = 1; off + RECORD <= size; off += RECORD) {
		const uint8_t *rec = data + off;
		struct vk_ata_command c = { .features = rec[1], .count = rec[2] };
		struct vk_atapi_result r;

		c.command = rec[0] < 0xf0 ? ata_commands[rec[0] % sizeof(ata_commands)] : rec[0];
		memcpy(c.cdb, rec + 3, 12);
		vk_atapi_execute(d, &c, &r);
		check_result(d, &c, &r);
		if (c.command == ATA_CMD_PACKET && (r.status & ATA_STATUS_ERR) && c.cdb[0] != SCSI_REQUEST_SENSE) {
			struct vk_ata_command rs = { .command = ATA_CMD_PACKET,
						     .cdb = { SCSI_REQUEST_SENSE, 0, 0, 0, 18 } };
			uint8_t key = r.error >> 4;
			bool attention = d->unit_attention;	/* reported first */

			vk_atapi_execute(d, &rs, &r);
			check_result(d, &rs, &r);
			if (r.data_len != 18 || (r.data[2] != key && !(attention && r.data[2] == SENSE_UNIT_ATTENTION)))
				abort();
		}
	}
}

/* --- the controller -------------------------------------------------- */

struct range {
	uint64_t start, len;
};

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The bytes a step may change, read from the snapshot taken before it. */
static unsigned allowed_ranges(const struct vk_ahci_port *p, unsigned slot, struct range *out)
{
	uint64_t clb = (uint64_t)p->clbu << 32 | p->clb, fb = (uint64_t)p->fbu << 32 | p->fb, hdr, ctba;
	unsigned n = 0, prdtl;

	out[n++] = (struct range){ fb, AHCI_RFIS_SIZE };
	for (unsigned s = 0; s < AHCI_SLOTS; s++)
		out[n++] = (struct range){ clb + AHCI_CMD_HEADER_SIZE * s + 4, 4 };
	hdr = clb + AHCI_CMD_HEADER_SIZE * slot;
	if (hdr >= RAM_SIZE || hdr + AHCI_CMD_HEADER_SIZE > RAM_SIZE)
		return n;
	prdtl = le32(snapshot + hdr) >> AHCI_CMD_PRDTL_SHIFT;
	ctba = ((uint64_t)le32(snapshot + hdr + 12) << 32 | le32(snapshot + hdr + 8)) & ~0x7full;
	for (unsigned i = 0; i < prdtl && n < MAX_RANGES; i++) {
		uint64_t e = ctba + AHCI_CT_PRDT + (uint64_t)AHCI_PRD_SIZE * i;

		if (e < ctba || e >= RAM_SIZE || e + AHCI_PRD_SIZE > RAM_SIZE)
			break;
		out[n++] = (struct range){ (uint64_t)le32(snapshot + e + 4) << 32 | le32(snapshot + e),
					   (le32(snapshot + e + 12) & AHCI_PRD_DBC_MASK) + 1 };
	}
	return n;
}

static bool inside(const struct range *r, unsigned n, uint64_t a)
{
	for (unsigned i = 0; i < n; i++)
		if (a >= r[i].start && a - r[i].start < r[i].len)
			return true;
	return false;
}

static void port_write(struct vk_ahci *hba, unsigned reg, uint32_t v)
{
	uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	vk_ahci_abar_io(hba, AHCI_PORT_BASE + reg, le, 4, true);
}

static void port_start(struct vk_ahci *hba)
{
	port_write(hba, AHCI_PxCMD, AHCI_PxCMD_FRE);
	port_write(hba, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
}

static void fuzz_controller(const uint8_t *data, size_t size)
{
	static struct range allowed[MAX_RANGES];
	uint8_t *ram = mem->regions[0].host;
	struct vk_ahci *hba;
	struct vk_ahci_port *p;
	uint8_t cfg[12] = { 0 };

	memcpy(cfg, data, size < sizeof(cfg) ? size : sizeof(cfg));
	memset(ram, 0, RAM_SIZE);
	memcpy(ram, data, size < RAM_SIZE ? size : RAM_SIZE);
	fake_machine_reset();
	if (vk_ahci_create(mem, "fuzzahci", &hba) < 0 ||
	    vk_ahci_attach_cdrom(hba, small_path, VK_IMAGE_RAW, NULL) < 0)
		abort();
	p = &hba->port[0];
	port_write(hba, AHCI_PxCLB, (cfg[1] % (RAM_SIZE / 1024)) * 1024);
	port_write(hba, AHCI_PxCLBU, cfg[3] & 1);
	port_write(hba, AHCI_PxFB, (uint32_t)cfg[2] * 256 % RAM_SIZE);
	port_write(hba, AHCI_PxFBU, cfg[3] >> 1 & 1);
	port_write(hba, AHCI_PxIE, 0xffffffff);
	port_start(hba);
	port_write(hba, AHCI_PxIS, 0xffffffff);
	vk_ahci_abar_io(hba, AHCI_GHC, (uint8_t[4]){ AHCI_GHC_IE }, 4, true);
	for (unsigned step = 0; step < STEPS; step++) {
		uint8_t op = cfg[4 + step] >> 5, slot = cfg[4 + step] & 0x1f;
		unsigned n;

		memcpy(snapshot, ram, RAM_SIZE);
		n = allowed_ranges(p, slot, allowed);
		if (op <= 4) {
			bool halted = p->halted;

			p->ci |= 1u << slot;
			vk_ahci_process(hba);
			if (halted && memcmp(snapshot, ram, RAM_SIZE))
				abort();	/* a halted port does nothing */
			if ((p->ci & 1u << slot) && !p->halted)
				abort();	/* every command ends or halts the port */
			if (!halted && p->halted && !(p->tfd & ATA_STATUS_ERR) && !(p->is & AHCI_PxIS_HBFS))
				abort();	/* a halt shows in the task file or as HBFS */
		} else if (op == 5) {
			/* Recovery: ST off drops every issued slot. */
			port_write(hba, AHCI_PxCMD, AHCI_PxCMD_FRE);
			if (p->ci || (p->halted && !(p->is & AHCI_PxIS_HBFS)))
				abort();
			port_write(hba, AHCI_PxIS, 0xffffffff);
			port_write(hba, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_ST);
		} else if (op == 6) {
			vk_ahci_abar_io(hba, AHCI_GHC, (uint8_t[4]){ AHCI_GHC_HR }, 4, true);
			if (p->ci || p->cmd & AHCI_PxCMD_ST)
				abort();
			port_start(hba);
		} else {
			port_write(hba, AHCI_PxSCTL, 1);
			port_write(hba, AHCI_PxSCTL, 0);
		}
		for (size_t chunk = 0; chunk < RAM_SIZE; chunk += 64) {
			if (!memcmp(ram + chunk, snapshot + chunk, 64))
				continue;
			for (size_t a = chunk; a < chunk + 64; a++)
				if (ram[a] != snapshot[a] && !inside(allowed, n, a))
					abort();	/* written outside what the guest allowed */
		}
	}
	vk_ahci_destroy(hba);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		setup_once();
		ready = true;
	}
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_controller(data, size);
	else
		fuzz_drive(data, size);
	return 0;
}
