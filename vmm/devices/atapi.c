/* atapi.c - an ATAPI CD/DVD-ROM drive over a read-only image: the ATA commands of a packet device and the SCSI/MMC commands guests send in PACKET. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util/error.h"
#include "vmm/devices/atapi.h"

#define ATAPI_VENDOR		"vkit"
#define ATAPI_PRODUCT		"DVD-ROM"
#define ATAPI_MODEL		"vkit DVD-ROM"
#define ATAPI_REVISION		PACKAGE_VERSION

/* ATA status of a command that ended well, and of one that failed. */
#define STATUS_OK		(ATA_STATUS_DRDY | ATA_STATUS_DSC)
#define STATUS_ERR		(ATA_STATUS_DRDY | ATA_STATUS_ERR)

/* IDENTIFY PACKET DEVICE words (ATA8-ACS section 7.17). */
#define ID_CONFIG		0
#define ID_SERIAL		10
#define ID_FIRMWARE		23
#define ID_MODEL		27
#define ID_CAPABILITIES		49
#define ID_FIELD_VALID		53
#define ID_MWDMA		63
#define ID_PIO_MODES		64
#define ID_MWDMA_CYCLE_MIN	65
#define ID_MWDMA_CYCLE_REC	66
#define ID_PIO_CYCLE		67
#define ID_PIO_CYCLE_IORDY	68
#define ID_SATA_CAPABILITIES	76
#define ID_MAJOR_VERSION	80
#define ID_COMMAND_SET_1	82
#define ID_COMMAND_SET_2	83
#define ID_COMMAND_SET_EXT	84
#define ID_CFS_ENABLE_1		85
#define ID_CFS_ENABLE_2		86
#define ID_CSF_DEFAULT		87
#define ID_UDMA			88
#define ID_INTEGRITY		255
#define ID_INTEGRITY_SIGNATURE	0xa5
/* Word 0: ATAPI (10b), CD/DVD device type 05h, removable, DRQ within
 * 50 us, 12-byte packets. */
#define ID_CONFIG_ATAPI_CDROM	(2u << 14 | 5u << 8 | 1u << 7 | 2u << 5)
#define ID_CAP_DMA		(1u << 8)
#define ID_CAP_LBA		(1u << 9)
#define ID_CAP_IORDY		(1u << 11)
#define ID_SET1_PM		(1u << 3)
#define ID_SET1_PACKET		(1u << 4)
#define ID_SET1_DEVICE_RESET	(1u << 9)
#define ID_SET_VALID		(1u << 14)	/* words 83, 84, 86, 87: bit 14 one, bit 15 zero */
#define ID_SATA_GEN1		(1u << 1)
#define ID_MAJOR_ATAPI_4_TO_7	0x00f0
#define UDMA_MODES		6	/* modes 0-5 */
#define MWDMA_MODES		3	/* modes 0-2 */
#define MODE_NONE		0xff

/* GET CONFIGURATION (MMC-6 section 5.3): profiles and features. */
#define MMC_PROFILE_CD_ROM	0x0008
#define MMC_PROFILE_DVD_ROM	0x0010
#define MMC_FEATURE_PROFILE_LIST	0x0000
#define MMC_FEATURE_CORE		0x0001
#define MMC_FEATURE_MORPHING		0x0002
#define MMC_FEATURE_REMOVABLE_MEDIUM	0x0003
#define MMC_FEATURE_RANDOM_READABLE	0x0010
#define MMC_FEATURE_CD_READ		0x001e
#define MMC_FEATURE_DVD_READ		0x001f
#define MMC_FEATURE_PERSISTENT	0x02
#define MMC_FEATURE_CURRENT	0x01
#define MMC_RT_ALL		0	/* every feature from the starting one */
#define MMC_RT_CURRENT		1	/* only current ones */
#define MMC_RT_ONE		2	/* only the starting one */
#define MMC_INTERFACE_ATAPI	2
#define MMC_LOADING_TRAY	(1u << 5)

/* Mode pages (MMC-6 section 7). */
#define MODE_PAGE_READ_ERROR_RECOVERY	0x01
#define MODE_PAGE_CD_AUDIO_CONTROL	0x0e
#define MODE_PAGE_CAPABILITIES		0x2a
#define MODE_PAGE_ALL			0x3f
#define MODE_PC_CURRENT		0
#define MODE_PC_CHANGEABLE	1
#define MODE_PC_DEFAULT		2
#define MODE_PC_SAVED		3

/* READ TOC/PMA/ATIP formats and the TOC's fields (MMC-6 section 6.33). */
#define TOC_FORMAT_TOC		0
#define TOC_FORMAT_SESSION	1
#define TOC_FORMAT_FULL		2
#define TOC_ADR_CONTROL_DATA	0x14	/* Q sub-channel mode 1, data track */
#define TOC_LEAD_OUT		0xaa
#define TOC_POINT_FIRST_TRACK	0xa0
#define TOC_POINT_LAST_TRACK	0xa1
#define TOC_POINT_LEAD_OUT	0xa2
#define MSF_OFFSET		150	/* LBA 0 is 00:02:00 */

#define GESN_CLASS_MEDIA	4
#define GESN_NEA		0x80
#define READ_CD_USER_DATA	0x10	/* byte 9: user data only */
#define DVD_STRUCT_PHYSICAL	0x00
#define DVD_STRUCT_COPYRIGHT	0x01
#define DVD_STRUCT_LIST		0xff
#define DVD_DATA_AREA_START	0x030000
#define VPD_SUPPORTED_PAGES	0x00
#define VPD_UNIT_SERIAL		0x80
#define VPD_DEVICE_ID		0x83

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t get_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get_be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void stat_add(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

/* SCSI strings: ASCII, space padded, not terminated. */
static void put_scsi_string(uint8_t *p, const char *s, size_t width)
{
	size_t n = strlen(s);

	memset(p, ' ', width);
	memcpy(p, s, n < width ? n : width);
}

/* ATA strings: space padded, the two bytes of each word swapped. */
static void put_ata_string(uint16_t *words, const char *s, size_t n_words)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < n_words; i++) {
		uint8_t hi = 2 * i < len ? s[2 * i] : ' ', lo = 2 * i + 1 < len ? s[2 * i + 1] : ' ';

		words[i] = (uint16_t)hi << 8 | lo;
	}
}

/* MSF address of an LBA; minutes beyond a byte (large DVDs) saturate. */
static void put_msf(uint8_t *p, uint32_t lba)
{
	uint64_t frames = (uint64_t)lba + MSF_OFFSET;

	if (frames / (60 * 75) > 0xff)
		frames = 0xffull * 60 * 75 + 59 * 75 + 74;
	p[0] = frames / (60 * 75);
	p[1] = frames / 75 % 60;
	p[2] = frames % 75;
}

/* A TOC address field: 4 bytes, LBA or (reserved byte +) MSF. */
static void put_toc_address(uint8_t *p, uint32_t lba, bool msf)
{
	if (msf) {
		p[0] = 0;
		put_msf(p + 1, lba);
	} else {
		put_be32(p, lba);
	}
}

static bool is_dvd(const struct vk_atapi *d)
{
	return d->sectors > ATAPI_CD_MAX_SECTORS;
}

/* --- results --------------------------------------------------------- */

static void ata_ok(struct vk_atapi_result *r)
{
	r->status = STATUS_OK;
	r->error = 0;
}

static void ata_abort(struct vk_atapi_result *r)
{
	r->status = STATUS_ERR;
	r->error = ATA_ERROR_ABRT;
	r->data = NULL;
	r->data_len = 0;
	r->medium_len = 0;
	r->pio_in = false;
}

/* The registers a packet device shows after a reset or for IDENTIFY DEVICE. */
static void put_signature(struct vk_atapi_result *r)
{
	r->count = ATAPI_SIG_COUNT;
	r->lba_low = ATAPI_SIG_LBA_LOW;
	r->lba_mid = ATAPI_SIG_LBA_MID;
	r->lba_high = ATAPI_SIG_LBA_HIGH;
}

/* CHECK CONDITION: the sense is kept for REQUEST SENSE, its key goes in the
 * error register (ATA8-ACS section 7.18 PACKET, Error field). */
static void check_condition(struct vk_atapi *d, struct vk_atapi_result *r, uint8_t key,
			    uint8_t asc, uint8_t ascq)
{
	d->sense_key = key;
	d->asc = asc;
	d->ascq = ascq;
	r->status = STATUS_ERR;
	r->error = key << 4;
	r->data = NULL;
	r->data_len = 0;
	r->medium_len = 0;
	stat_add(&d->errors, 1);
}

static void invalid_field(struct vk_atapi *d, struct vk_atapi_result *r)
{
	check_condition(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
}

/* len bytes of d->buf, cut to what the guest allocated. */
static void reply(struct vk_atapi *d, struct vk_atapi_result *r, uint32_t len, uint32_t alloc)
{
	r->status = STATUS_OK;
	r->error = 0;
	r->data = d->buf;
	r->data_len = len < alloc ? len : alloc;
}

/* --- SCSI/MMC commands ----------------------------------------------- */

static void cmd_test_unit_ready(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	(void)d;
	(void)cdb;
	ata_ok(r);
}

static void cmd_request_sense(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint8_t *b = d->buf;

	if (cdb[1] & 1) {		/* DESC: descriptor format is not offered */
		invalid_field(d, r);
		return;
	}
	memset(b, 0, SCSI_SENSE_FIXED_LEN);
	b[0] = SCSI_SENSE_FIXED_CURRENT;
	b[7] = SCSI_SENSE_FIXED_LEN - 8;
	if (d->unit_attention) {
		b[2] = SENSE_UNIT_ATTENTION;
		b[12] = ASC_NOT_READY_TO_READY_CHANGE;
		d->unit_attention = false;
	} else if (d->sense_key != SENSE_NO_SENSE) {
		b[2] = d->sense_key;
		b[12] = d->asc;
		b[13] = d->ascq;
	} else if (d->tray_open) {
		b[2] = SENSE_NOT_READY;
		b[12] = ASC_MEDIUM_NOT_PRESENT;
		b[13] = 0x02;
	}
	d->sense_key = SENSE_NO_SENSE;
	d->asc = d->ascq = 0;
	reply(d, r, SCSI_SENSE_FIXED_LEN, cdb[4]);
}

static void cmd_inquiry(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint32_t alloc = get_be16(cdb + 3), len;
	uint8_t *b = d->buf;
	size_t serial_len = strlen(d->serial);

	memset(b, 0, 96);
	b[0] = 0x05;				/* peripheral device type: MMC */
	if (cdb[1] & 0x02 || (!(cdb[1] & 0x01) && cdb[2])) {	/* CmdDt, or a page without EVPD */
		invalid_field(d, r);
		return;
	}
	if (!(cdb[1] & 0x01)) {
		b[1] = 0x80;			/* removable */
		b[2] = 0x05;			/* SPC-3 */
		b[3] = 0x02;			/* response data format */
		b[4] = 36 - 5;
		put_scsi_string(b + 8, ATAPI_VENDOR, 8);
		put_scsi_string(b + 16, ATAPI_PRODUCT, 16);
		put_scsi_string(b + 32, ATAPI_REVISION, 4);
		len = 36;
	} else if (cdb[2] == VPD_SUPPORTED_PAGES) {
		b[3] = 3;
		b[4] = VPD_SUPPORTED_PAGES;
		b[5] = VPD_UNIT_SERIAL;
		b[6] = VPD_DEVICE_ID;
		len = 7;
	} else if (cdb[2] == VPD_UNIT_SERIAL) {
		b[1] = VPD_UNIT_SERIAL;
		b[3] = serial_len;
		memcpy(b + 4, d->serial, serial_len);
		len = 4 + serial_len;
	} else if (cdb[2] == VPD_DEVICE_ID) {
		/* One designator: T10 vendor ID based (type 1), ASCII (code set 2). */
		b[1] = VPD_DEVICE_ID;
		b[4] = 0x02;
		b[5] = 0x01;
		b[7] = 8 + 16 + serial_len;
		put_scsi_string(b + 8, ATAPI_VENDOR, 8);
		put_scsi_string(b + 16, ATAPI_PRODUCT, 16);
		memcpy(b + 32, d->serial, serial_len);
		len = 32 + serial_len;
		b[3] = len - 4;
	} else {
		invalid_field(d, r);
		return;
	}
	reply(d, r, len, alloc);
}

/* One mode page at p (current values, or the changeable mask: zeros). */
static uint32_t mode_page(const struct vk_atapi *d, uint8_t page, bool changeable, uint8_t *p)
{
	uint32_t len;

	switch (page) {
	case MODE_PAGE_READ_ERROR_RECOVERY:
		len = 12;
		memset(p, 0, len);
		if (!changeable)
			p[3] = 5;		/* read retry count */
		break;
	case MODE_PAGE_CD_AUDIO_CONTROL:
		len = 16;
		memset(p, 0, len);
		if (!changeable) {
			p[2] = 0x04;		/* Immed */
			p[8] = 0x01;		/* port 0: channel 0 */
			p[9] = 0xff;
			p[10] = 0x02;		/* port 1: channel 1 */
			p[11] = 0xff;
		}
		break;
	case MODE_PAGE_CAPABILITIES:
		len = 22;
		memset(p, 0, len);
		if (changeable)
			break;
		p[2] = 0x3b;		/* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
		/* Audio play claimed, as drives do: some Linux tools look for it
		 * before mounting. */
		p[4] = 0x71;		/* audio play, mode 2 form 1 and 2, multi-session */
		p[5] = 0x60;		/* ISRC, UPC */
		p[6] = MMC_LOADING_TRAY | 0x08 | 0x01 | (d->locked ? 0x02 : 0);	/* eject, lock */
		put_be16(p + 8, 706 * 4);	/* maximum read speed, KB/s (obsolete field) */
		put_be16(p + 10, 256);		/* volume levels */
		put_be16(p + 12, 512);		/* buffer, KiB */
		put_be16(p + 14, 706 * 4);	/* current read speed */
		break;
	default:
		return 0;
	}
	p[0] = page;
	p[1] = len - 2;
	return len;
}

static void cmd_mode_sense(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	static const uint8_t all_pages[] = { MODE_PAGE_READ_ERROR_RECOVERY, MODE_PAGE_CD_AUDIO_CONTROL,
					     MODE_PAGE_CAPABILITIES };
	bool ten = cdb[0] == SCSI_MODE_SENSE_10;
	uint32_t hdr = ten ? 8 : 4, len = hdr, alloc = ten ? get_be16(cdb + 7) : cdb[4];
	uint8_t pc = cdb[2] >> 6, page = cdb[2] & 0x3f;
	uint8_t *b = d->buf;

	if (pc == MODE_PC_SAVED) {
		check_condition(d, r, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMETERS_NOT_SUPPORTED, 0);
		return;
	}
	if (cdb[3]) {			/* subpages: none */
		invalid_field(d, r);
		return;
	}
	memset(b, 0, hdr);
	if (page == MODE_PAGE_ALL) {
		for (size_t i = 0; i < sizeof(all_pages); i++)
			len += mode_page(d, all_pages[i], pc == MODE_PC_CHANGEABLE, b + len);
	} else {
		uint32_t n = mode_page(d, page, pc == MODE_PC_CHANGEABLE, b + len);

		if (!n) {
			invalid_field(d, r);
			return;
		}
		len += n;
	}
	/* Mode data length counts what follows itself; no block descriptors. */
	if (ten)
		put_be16(b, len - 2);
	else
		b[0] = len - 1;
	reply(d, r, len, alloc);
}

static void cmd_start_stop_unit(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	bool start = cdb[4] & 0x01, load_eject = cdb[4] & 0x02;

	if (cdb[4] >> 4 || !load_eject) {	/* a power condition, or spin up/down: nothing to do */
		ata_ok(r);
		return;
	}
	if (!start && !d->tray_open) {
		if (d->locked) {
			check_condition(d, r, SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED, 0x02);
			return;
		}
		d->tray_open = true;
		d->media_event = MMC_MEDIA_EVENT_REMOVAL;
	} else if (start && d->tray_open) {
		/* The same medium comes back; the guest must look at it again. */
		d->tray_open = false;
		d->unit_attention = true;
		d->media_event = MMC_MEDIA_EVENT_NEW_MEDIA;
	}
	ata_ok(r);
}

static void cmd_prevent_allow(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	d->locked = cdb[4] & 0x01;
	ata_ok(r);
}

static void cmd_read_capacity(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	if (!(cdb[8] & 0x01) && get_be32(cdb + 2)) {	/* an LBA without PMI */
		invalid_field(d, r);
		return;
	}
	put_be32(d->buf, d->sectors - 1);
	put_be32(d->buf + 4, ATAPI_SECTOR_SIZE);
	reply(d, r, 8, 8);
}

/* A read of count sectors at lba: checked against the medium's end. */
static void read_sectors(struct vk_atapi *d, uint32_t lba, uint32_t count, struct vk_atapi_result *r)
{
	if ((uint64_t)lba + count > d->sectors) {
		check_condition(d, r, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
		return;
	}
	ata_ok(r);
	r->medium_offset = (uint64_t)lba * ATAPI_SECTOR_SIZE;
	r->medium_len = (uint64_t)count * ATAPI_SECTOR_SIZE;
	stat_add(&d->read_reqs, 1);
}

static void cmd_read(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint32_t count = cdb[0] == SCSI_READ_10 ? get_be16(cdb + 7) : get_be32(cdb + 6);

	read_sectors(d, get_be32(cdb + 2), count, r);
}

static void cmd_read_cd(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint8_t sector_type = cdb[1] >> 2 & 0x07;

	/* Only 2048-byte user data (or nothing) of mode 1 sectors: no raw
	 * sectors, headers, C2 errors or sub-channels. */
	if (sector_type != 0 && sector_type != 2) {
		check_condition(d, r, SENSE_ILLEGAL_REQUEST, ASC_ILLEGAL_MODE_FOR_THIS_TRACK, 0);
		return;
	}
	if ((cdb[9] != READ_CD_USER_DATA && cdb[9] != 0) || cdb[10]) {
		invalid_field(d, r);
		return;
	}
	read_sectors(d, get_be32(cdb + 2), get_be24(cdb + 6), r);
	if (cdb[9] == 0)
		r->medium_len = 0;	/* checked, nothing to transfer */
}

static void cmd_seek(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	if (get_be32(cdb + 2) >= d->sectors)
		check_condition(d, r, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	else
		ata_ok(r);
}

static void cmd_write(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	(void)cdb;
	check_condition(d, r, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED, 0);
}

static void cmd_read_toc(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	bool msf = cdb[1] & 0x02;
	/* MMC puts the format in byte 2; older drivers (Linux's multi-session
	 * probe) use the top bits of byte 9, as SFF-8020 did. */
	uint8_t format = cdb[2] & 0x0f ? cdb[2] & 0x0f : cdb[9] >> 6, track = cdb[6];
	uint8_t *b = d->buf, *p = b + 4;

	memset(b, 0, 4 + 4 * 11);
	switch (format) {
	case TOC_FORMAT_TOC:
		if (track > 1 && track != TOC_LEAD_OUT) {
			invalid_field(d, r);
			return;
		}
		b[2] = b[3] = 1;		/* first and last track */
		if (track <= 1) {
			p[1] = TOC_ADR_CONTROL_DATA;
			p[2] = 1;
			put_toc_address(p + 4, 0, msf);
			p += 8;
		}
		p[1] = TOC_ADR_CONTROL_DATA;
		p[2] = TOC_LEAD_OUT;
		put_toc_address(p + 4, d->sectors, msf);
		p += 8;
		break;
	case TOC_FORMAT_SESSION:
		b[2] = b[3] = 1;		/* first and last session */
		p[1] = TOC_ADR_CONTROL_DATA;
		p[2] = 1;			/* first track of the last session */
		put_toc_address(p + 4, 0, msf);
		p += 8;
		break;
	case TOC_FORMAT_FULL:
		if (track > 1) {		/* the session number */
			invalid_field(d, r);
			return;
		}
		b[2] = b[3] = 1;
		/* Points A0h, A1h, A2h and track 1 of session 1; addresses in MSF. */
		for (unsigned i = 0; i < 4; i++, p += 11) {
			p[0] = 1;
			p[1] = TOC_ADR_CONTROL_DATA;
		}
		p = b + 4;
		p[3] = TOC_POINT_FIRST_TRACK;
		p[8] = 1;			/* PMIN: first track; PSEC 00h: CD-ROM disc */
		p[11 + 3] = TOC_POINT_LAST_TRACK;
		p[11 + 8] = 1;
		p[22 + 3] = TOC_POINT_LEAD_OUT;
		put_msf(p + 22 + 8, d->sectors);
		p[33 + 3] = 1;
		put_msf(p + 33 + 8, 0);
		p += 44;
		break;
	default:			/* PMA, ATIP, CD-TEXT: a pressed disc has none */
		invalid_field(d, r);
		return;
	}
	put_be16(b, p - b - 2);
	reply(d, r, p - b, get_be16(cdb + 7));
}

/* Append one feature descriptor to p; returns its length. */
static uint32_t feature(uint8_t *p, uint16_t code, uint8_t version, bool current,
			const uint8_t *data, uint8_t len)
{
	put_be16(p, code);
	p[2] = version << 2 | MMC_FEATURE_PERSISTENT * (code <= MMC_FEATURE_REMOVABLE_MEDIUM) |
	       (current ? MMC_FEATURE_CURRENT : 0);
	p[3] = len;
	memcpy(p + 4, data, len);
	return 4u + len;
}

static void cmd_get_configuration(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint8_t rt = cdb[1] & 0x03;
	uint16_t start = get_be16(cdb + 2), current_profile;
	bool media = !d->tray_open, dvd = is_dvd(d);
	uint8_t profiles[8] = { 0 }, core[4] = { 0, 0, 0, MMC_INTERFACE_ATAPI }, morphing[4] = { 0 };
	uint8_t removable[4] = { MMC_LOADING_TRAY | 0x08 | 0x01 }, random[8] = { 0 }, cd_read[4] = { 0 };
	uint8_t dvd_read[4] = { 0 };
	struct {
		uint16_t code;
		uint8_t version;
		bool current;
		const uint8_t *data;
		uint8_t len;
	} list[] = {
		{ MMC_FEATURE_PROFILE_LIST, 0, true, profiles, sizeof(profiles) },
		{ MMC_FEATURE_CORE, 0, true, core, sizeof(core) },
		{ MMC_FEATURE_MORPHING, 1, true, morphing, sizeof(morphing) },
		{ MMC_FEATURE_REMOVABLE_MEDIUM, 0, true, removable, sizeof(removable) },
		{ MMC_FEATURE_RANDOM_READABLE, 0, media, random, sizeof(random) },
		{ MMC_FEATURE_CD_READ, 2, media && !dvd, cd_read, sizeof(cd_read) },
		{ MMC_FEATURE_DVD_READ, 1, media && dvd, dvd_read, sizeof(dvd_read) },
	};
	uint8_t *b = d->buf;
	uint32_t len = 8;

	if (rt > MMC_RT_ONE) {
		invalid_field(d, r);
		return;
	}
	/* Highest profile first, the current one flagged. */
	put_be16(profiles, MMC_PROFILE_DVD_ROM);
	profiles[2] = media && dvd;
	put_be16(profiles + 4, MMC_PROFILE_CD_ROM);
	profiles[6] = media && !dvd;
	put_be32(random, ATAPI_SECTOR_SIZE);
	put_be16(random + 4, dvd ? 16 : 1);	/* blocking: sectors per ECC block */
	current_profile = !media ? 0 : dvd ? MMC_PROFILE_DVD_ROM : MMC_PROFILE_CD_ROM;
	memset(b, 0, 8);
	put_be16(b + 6, current_profile);
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++) {
		if (list[i].code < start || (rt == MMC_RT_ONE && list[i].code != start) ||
		    (rt == MMC_RT_CURRENT && !list[i].current))
			continue;
		len += feature(b + len, list[i].code, list[i].version, list[i].current, list[i].data,
			       list[i].len);
	}
	put_be32(b, len - 4);
	reply(d, r, len, get_be16(cdb + 7));
}

static void cmd_get_event_status(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint8_t *b = d->buf;

	if (!(cdb[1] & 0x01)) {		/* asynchronous notification: not offered */
		invalid_field(d, r);
		return;
	}
	memset(b, 0, 8);
	b[3] = 1u << GESN_CLASS_MEDIA;	/* supported event classes */
	if (!(cdb[4] & 1u << GESN_CLASS_MEDIA)) {
		b[1] = 2;
		b[2] = GESN_NEA;
		reply(d, r, 4, get_be16(cdb + 7));
		return;
	}
	b[1] = 6;
	b[2] = GESN_CLASS_MEDIA;
	b[4] = d->media_event;
	b[5] = d->tray_open ? 0x01 : 0x02;	/* tray open / medium present */
	d->media_event = MMC_MEDIA_EVENT_NONE;
	reply(d, r, 8, get_be16(cdb + 7));
}

static void cmd_read_disc_information(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint8_t *b = d->buf;

	if (cdb[1] & 0x07) {		/* track resources, POW resources: BD only */
		invalid_field(d, r);
		return;
	}
	memset(b, 0, 34);
	put_be16(b, 32);
	b[2] = 0x0e;			/* complete disc, last session complete */
	b[3] = 1;			/* first track */
	b[4] = 1;			/* sessions */
	b[5] = 1;			/* first track of the last session */
	b[6] = 1;			/* last track of the last session */
	b[7] = 0x20;			/* unrestricted use */
	reply(d, r, 34, get_be16(cdb + 7));
}

static void cmd_read_track_information(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint32_t number = get_be32(cdb + 2);
	uint8_t *b = d->buf;
	bool track1;

	switch (cdb[1] & 0x03) {
	case 0:
		track1 = number < d->sectors;	/* the track holding this LBA */
		break;
	case 1:				/* track number */
	case 2:				/* session number */
		track1 = number == 1;
		break;
	default:
		track1 = false;
	}
	if (!track1) {
		invalid_field(d, r);
		return;
	}
	memset(b, 0, 36);
	put_be16(b, 34);
	b[2] = 1;			/* track */
	b[3] = 1;			/* session */
	b[5] = 0x04;			/* data track, recorded uninterrupted */
	b[6] = 0x01;			/* data mode 1 */
	put_be32(b + 24, d->sectors);	/* track size */
	put_be32(b + 28, d->sectors - 1);	/* last recorded address */
	reply(d, r, 36, get_be16(cdb + 7));
}

static void cmd_read_disc_structure(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint8_t format = cdb[7], *b = d->buf;
	uint32_t len;

	if (cdb[1] & 0x0f || cdb[6]) {	/* BD media type, or a layer we lack */
		invalid_field(d, r);
		return;
	}
	if (format != DVD_STRUCT_LIST && !is_dvd(d)) {
		check_condition(d, r, SENSE_ILLEGAL_REQUEST, ASC_CANNOT_READ_MEDIUM, 0x02);
		return;
	}
	switch (format) {
	case DVD_STRUCT_PHYSICAL:
		len = 4 + 2048;
		memset(b, 0, len);
		b[4] = 0x01;			/* DVD-ROM, part version 1 */
		b[5] = 0x0f;			/* 120 mm, maximum rate not specified */
		b[6] = 0x01;			/* one layer, embossed (read-only) */
		put_be32(b + 8, DVD_DATA_AREA_START);
		put_be32(b + 12, DVD_DATA_AREA_START + d->sectors - 1);
		break;
	case DVD_STRUCT_COPYRIGHT:
		len = 4 + 4;
		memset(b, 0, len);		/* no copy protection, no region */
		break;
	case DVD_STRUCT_LIST:
		len = 4 + 3 * 4;
		memset(b, 0, len);
		b[4] = DVD_STRUCT_PHYSICAL;
		b[5] = 0x40;			/* readable */
		put_be16(b + 6, 4 + 2048);
		b[8] = DVD_STRUCT_COPYRIGHT;
		b[9] = 0x40;
		put_be16(b + 10, 4 + 4);
		b[12] = DVD_STRUCT_LIST;
		b[13] = 0x40;
		put_be16(b + 14, 4 + 3 * 4);
		break;
	default:
		invalid_field(d, r);
		return;
	}
	put_be16(b, len - 2);
	reply(d, r, len, get_be16(cdb + 8));
}

static void cmd_mechanism_status(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	memset(d->buf, 0, 8);
	d->buf[1] = d->tray_open ? 0x10 : 0;	/* mechanism idle; door open */
	reply(d, r, 8, get_be16(cdb + 8));
}

static void cmd_set_cd_speed(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	(void)d;
	(void)cdb;
	ata_ok(r);			/* an image is read as fast as it can be */
}

static void cmd_report_luns(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	uint32_t alloc = get_be32(cdb + 6);

	if (alloc < 16) {		/* SPC-4: shorter than one LUN */
		invalid_field(d, r);
		return;
	}
	memset(d->buf, 0, 16);
	put_be32(d->buf, 8);		/* LUN 0 only */
	reply(d, r, 16, alloc);
}

#define ALLOW_UA	0x1	/* runs with a unit attention pending (MMC-6 section 4.1.6.1) */
#define NEEDS_MEDIUM	0x2	/* NOT READY while the tray is open */

static const struct scsi_op {
	uint8_t opcode, flags;
	void (*fn)(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r);
} scsi_ops[] = {
	{ SCSI_TEST_UNIT_READY, NEEDS_MEDIUM, cmd_test_unit_ready },
	{ SCSI_REQUEST_SENSE, ALLOW_UA, cmd_request_sense },
	{ SCSI_INQUIRY, ALLOW_UA, cmd_inquiry },
	{ SCSI_MODE_SENSE_6, 0, cmd_mode_sense },
	{ SCSI_START_STOP_UNIT, 0, cmd_start_stop_unit },
	{ SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, cmd_prevent_allow },
	{ SCSI_READ_CAPACITY_10, NEEDS_MEDIUM, cmd_read_capacity },
	{ SCSI_READ_10, NEEDS_MEDIUM, cmd_read },
	{ SCSI_WRITE_10, NEEDS_MEDIUM, cmd_write },
	{ SCSI_SEEK_10, NEEDS_MEDIUM, cmd_seek },
	{ SCSI_WRITE_AND_VERIFY_10, NEEDS_MEDIUM, cmd_write },
	{ SCSI_READ_TOC_PMA_ATIP, NEEDS_MEDIUM, cmd_read_toc },
	{ SCSI_GET_CONFIGURATION, ALLOW_UA, cmd_get_configuration },
	{ SCSI_GET_EVENT_STATUS_NOTIFICATION, ALLOW_UA, cmd_get_event_status },
	{ SCSI_READ_DISC_INFORMATION, NEEDS_MEDIUM, cmd_read_disc_information },
	{ SCSI_READ_TRACK_INFORMATION, NEEDS_MEDIUM, cmd_read_track_information },
	{ SCSI_MODE_SENSE_10, 0, cmd_mode_sense },
	{ SCSI_REPORT_LUNS, ALLOW_UA, cmd_report_luns },
	{ SCSI_READ_12, NEEDS_MEDIUM, cmd_read },
	{ SCSI_WRITE_12, NEEDS_MEDIUM, cmd_write },
	{ SCSI_READ_DISC_STRUCTURE, NEEDS_MEDIUM, cmd_read_disc_structure },
	{ SCSI_SET_CD_SPEED, 0, cmd_set_cd_speed },
	{ SCSI_MECHANISM_STATUS, 0, cmd_mechanism_status },
	{ SCSI_READ_CD, NEEDS_MEDIUM, cmd_read_cd },
};

static void scsi_command(struct vk_atapi *d, const uint8_t *cdb, struct vk_atapi_result *r)
{
	const struct scsi_op *op = NULL;

	for (size_t i = 0; i < sizeof(scsi_ops) / sizeof(scsi_ops[0]); i++)
		if (scsi_ops[i].opcode == cdb[0])
			op = &scsi_ops[i];
	if (!op) {
		check_condition(d, r, SENSE_ILLEGAL_REQUEST, ASC_INVALID_COMMAND_OPERATION_CODE, 0);
		return;
	}
	if (op->opcode != SCSI_REQUEST_SENSE) {
		/* Sense describes the last command only. */
		d->sense_key = SENSE_NO_SENSE;
		d->asc = d->ascq = 0;
	}
	if (d->unit_attention && !(op->flags & ALLOW_UA)) {
		d->unit_attention = false;
		check_condition(d, r, SENSE_UNIT_ATTENTION, ASC_NOT_READY_TO_READY_CHANGE, 0);
		return;
	}
	if ((op->flags & NEEDS_MEDIUM) && d->tray_open) {
		check_condition(d, r, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0x02);
		return;
	}
	op->fn(d, cdb, r);
}

/* --- ATA commands ---------------------------------------------------- */

static void identify_packet_device(struct vk_atapi *d, struct vk_atapi_result *r)
{
	uint16_t id[256] = { 0 };
	uint8_t sum = 0;

	id[ID_CONFIG] = ID_CONFIG_ATAPI_CDROM;
	put_ata_string(id + ID_SERIAL, d->serial, 10);
	put_ata_string(id + ID_FIRMWARE, ATAPI_REVISION, 4);
	put_ata_string(id + ID_MODEL, ATAPI_MODEL, 20);
	id[ID_CAPABILITIES] = ID_CAP_DMA | ID_CAP_LBA | ID_CAP_IORDY;
	id[ID_FIELD_VALID] = 0x0006;		/* words 64-70 and 88 are valid */
	id[ID_MWDMA] = (1u << MWDMA_MODES) - 1;
	if (d->mwdma_mode != MODE_NONE)
		id[ID_MWDMA] |= 0x100u << d->mwdma_mode;
	id[ID_PIO_MODES] = 0x0003;		/* PIO 3 and 4 */
	id[ID_MWDMA_CYCLE_MIN] = id[ID_MWDMA_CYCLE_REC] = 120;
	id[ID_PIO_CYCLE] = id[ID_PIO_CYCLE_IORDY] = 120;
	id[ID_SATA_CAPABILITIES] = ID_SATA_GEN1;
	id[ID_MAJOR_VERSION] = ID_MAJOR_ATAPI_4_TO_7;
	id[ID_COMMAND_SET_1] = id[ID_CFS_ENABLE_1] = ID_SET1_PM | ID_SET1_PACKET | ID_SET1_DEVICE_RESET;
	id[ID_COMMAND_SET_2] = id[ID_COMMAND_SET_EXT] = ID_SET_VALID;
	id[ID_CFS_ENABLE_2] = 0;
	id[ID_CSF_DEFAULT] = ID_SET_VALID;
	id[ID_UDMA] = (1u << UDMA_MODES) - 1;
	if (d->udma_mode != MODE_NONE)
		id[ID_UDMA] |= 0x100u << d->udma_mode;
	/* Word 255: signature A5h, then the byte that makes all 512 sum to 0. */
	id[ID_INTEGRITY] = ID_INTEGRITY_SIGNATURE;
	for (unsigned i = 0; i < 255; i++)
		sum += (uint8_t)id[i] + (uint8_t)(id[i] >> 8);
	sum += ID_INTEGRITY_SIGNATURE;
	id[ID_INTEGRITY] |= (uint16_t)(uint8_t)-sum << 8;
	for (unsigned i = 0; i < 256; i++) {
		d->buf[2 * i] = (uint8_t)id[i];
		d->buf[2 * i + 1] = id[i] >> 8;
	}
	reply(d, r, 512, 512);
	r->pio_in = true;
}

static void set_features(struct vk_atapi *d, const struct vk_ata_command *cmd, struct vk_atapi_result *r)
{
	uint8_t mode = cmd->count & 0x07;

	switch (cmd->features) {
	case ATA_SF_SET_TRANSFER_MODE:
		switch (cmd->count & 0xf8) {
		case ATA_XFER_PIO_DEFAULT:
			if (mode > 1)
				goto abort;
			break;
		case ATA_XFER_PIO_FLOW:
			if (mode > 4)
				goto abort;
			break;
		case ATA_XFER_MWDMA:
			if (mode >= MWDMA_MODES)
				goto abort;
			d->mwdma_mode = mode;
			d->udma_mode = MODE_NONE;
			break;
		case ATA_XFER_UDMA:
			if (mode >= UDMA_MODES)
				goto abort;
			d->udma_mode = mode;
			d->mwdma_mode = MODE_NONE;
			break;
		default:
			goto abort;
		}
		break;
	case ATA_SF_DISABLE_REVERT:
	case ATA_SF_ENABLE_REVERT:
		break;			/* nothing to revert to: settings are not kept */
	default:
		goto abort;
	}
	ata_ok(r);
	return;
abort:
	ata_abort(r);
}

void vk_atapi_reset(struct vk_atapi *drive)
{
	drive->sense_key = SENSE_NO_SENSE;
	drive->asc = drive->ascq = 0;
	drive->locked = false;
	drive->udma_mode = 5;		/* what a SATA drive starts in */
	drive->mwdma_mode = MODE_NONE;
}

void vk_atapi_execute(struct vk_atapi *drive, const struct vk_ata_command *cmd,
		      struct vk_atapi_result *r)
{
	memset(r, 0, sizeof(*r));
	switch (cmd->command) {
	case ATA_CMD_PACKET:
		scsi_command(drive, cmd->cdb, r);
		r->count = ATAPI_INT_REASON_IO | ATAPI_INT_REASON_CD;
		break;
	case ATA_CMD_IDENTIFY_PACKET_DEVICE:
		identify_packet_device(drive, r);
		break;
	case ATA_CMD_IDENTIFY_DEVICE:
		/* A packet device aborts it and shows its signature, so the
		 * host learns to send IDENTIFY PACKET DEVICE instead. */
		ata_abort(r);
		put_signature(r);
		break;
	case ATA_CMD_DEVICE_RESET:
	case ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC:
		vk_atapi_reset(drive);
		put_signature(r);
		r->status = 0;		/* packet devices leave DRDY clear after a reset */
		r->error = 0x01;	/* diagnostic: no error */
		break;
	case ATA_CMD_SET_FEATURES:
		set_features(drive, cmd, r);
		break;
	case ATA_CMD_CHECK_POWER_MODE:
		ata_ok(r);
		r->count = 0xff;	/* active or idle */
		break;
	case ATA_CMD_IDLE_IMMEDIATE:
	case ATA_CMD_STANDBY_IMMEDIATE:
		ata_ok(r);
		break;
	default:
		ata_abort(r);
	}
}

int vk_atapi_read_medium(struct vk_atapi *drive, uint64_t offset, void *dst, size_t len)
{
	uint64_t end = (uint64_t)drive->sectors * ATAPI_SECTOR_SIZE;
	size_t from_image = 0;
	int rc;

	if (offset > end || len > end - offset)
		return -EINVAL;
	if (offset < drive->image_size)
		from_image = drive->image_size - offset < len ? drive->image_size - offset : len;
	rc = from_image ? vk_image_read(drive->img, dst, from_image, offset) : 0;
	if (rc < 0)
		return rc;
	memset((uint8_t *)dst + from_image, 0, len - from_image);	/* the padded last sector */
	stat_add(&drive->read_bytes, len);
	return 0;
}

void vk_atapi_read_failed(struct vk_atapi *drive, struct vk_atapi_result *r)
{
	check_condition(drive, r, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR, 0);
}

int vk_atapi_open(struct vk_atapi *drive, const char *path, enum vk_image_format fmt,
		  const char *serial)
{
	uint64_t sectors;
	int rc = 0;

	memset(drive, 0, sizeof(*drive));
	if (serial && strlen(serial) > ATAPI_SERIAL_MAX)
		return vk_errorx(EINVAL, "cdrom %s: serial '%s' is longer than %d characters",
				 path, serial, ATAPI_SERIAL_MAX);
	for (const char *c = serial; c && *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			return vk_errorx(EINVAL, "cdrom %s: the serial may hold printable ASCII only", path);
	rc = vk_image_open(path, fmt, VK_IMAGE_RDONLY | VK_IMAGE_NOFOLLOW, &drive->img);
	if (rc < 0) {
		rc = vk_error_prefix(rc, "cdrom");
		goto out;
	}
	drive->image_size = vk_image_virtual_size(drive->img);
	sectors = (drive->image_size + ATAPI_SECTOR_SIZE - 1) / ATAPI_SECTOR_SIZE;
	if (sectors == 0 || sectors > ATAPI_MAX_SECTORS) {
		rc = vk_errorx(EINVAL, "cdrom %s: %s; a CD/DVD image holds 1 to %llu sectors of 2048 bytes",
			       path, sectors ? "the image is too large" : "the image is empty",
			       (unsigned long long)ATAPI_MAX_SECTORS);
		goto out;
	}
	drive->sectors = (uint32_t)sectors;
	snprintf(drive->serial, sizeof(drive->serial), "%s", serial ? serial : "");
	vk_atapi_reset(drive);
out:
	if (rc < 0) {
		vk_image_close(drive->img);
		drive->img = NULL;
	}
	return rc;
}

void vk_atapi_close(struct vk_atapi *drive)
{
	vk_image_close(drive->img);
	drive->img = NULL;
}
