/* atapi.h - an ATAPI CD/DVD-ROM drive over a read-only image: the ATA commands of a packet device and the SCSI/MMC commands guests send in PACKET. */
#ifndef VK_ATAPI_H
#define VK_ATAPI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/image/image.h"

/*
 * The drive never touches guest memory.  vk_atapi_execute() says what a
 * command sends back (bytes of the drive's reply buffer, or a range of the
 * medium) and the HBA (vmm/devices/ahci.c) moves that into the guest's
 * buffers, reading the medium through vk_atapi_read_medium().  So the
 * command parser can be unit-tested and fuzzed on its own.
 *
 * The medium is read-only and made of 2048-byte sectors; an image whose
 * size is not a multiple of 2048 gets a last sector padded with zeros.
 * Images above 800 MiB are reported as DVD-ROMs, smaller ones as CD-ROMs
 * (the profile guests see in GET CONFIGURATION), as QEMU does.
 */

#define ATAPI_SECTOR_SIZE	2048
#define ATAPI_CDB_SIZE		16	/* the command table's ACMD area; CDBs are 12 bytes */
#define ATAPI_CD_MAX_SECTORS	(800u * 1024 * 1024 / ATAPI_SECTOR_SIZE)
#define ATAPI_MAX_SECTORS	0xffffffffull	/* READ(12) and READ CAPACITY address 32 bits */
#define ATAPI_SERIAL_MAX	20	/* IDENTIFY PACKET DEVICE words 10-19 */
#define ATAPI_BUF_SIZE		4096	/* the largest reply, READ DISC STRUCTURE's, is 2052 */

/* ATA status and error register bits (ATA8-ACS section 6.1, 6.2). */
#define ATA_STATUS_ERR		0x01	/* CHK for PACKET commands */
#define ATA_STATUS_DRQ		0x08
#define ATA_STATUS_DSC		0x10	/* SERV for packet devices */
#define ATA_STATUS_DF		0x20
#define ATA_STATUS_DRDY		0x40
#define ATA_STATUS_BSY		0x80
#define ATA_ERROR_ABRT		0x04

/* The ATA commands a packet device implements (ATA8-ACS section 7). */
#define ATA_CMD_DEVICE_RESET		0x08
#define ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC 0x90
#define ATA_CMD_PACKET			0xa0
#define ATA_CMD_IDENTIFY_PACKET_DEVICE	0xa1
#define ATA_CMD_STANDBY_IMMEDIATE	0xe0
#define ATA_CMD_IDLE_IMMEDIATE		0xe1
#define ATA_CMD_CHECK_POWER_MODE	0xe5
#define ATA_CMD_IDENTIFY_DEVICE		0xec
#define ATA_CMD_SET_FEATURES		0xef
/* SET FEATURES subcommands (features register). */
#define ATA_SF_SET_TRANSFER_MODE	0x03
#define ATA_SF_DISABLE_REVERT		0x66
#define ATA_SF_ENABLE_REVERT		0xcc
/* SET TRANSFER MODE values (count register): mode type in bits 7:3. */
#define ATA_XFER_PIO_DEFAULT		0x00
#define ATA_XFER_PIO_DEFAULT_NO_IORDY	0x01
#define ATA_XFER_PIO_FLOW		0x08
#define ATA_XFER_MWDMA			0x20
#define ATA_XFER_UDMA			0x40

/* The signature a packet device leaves in the registers after a reset
 * (ATA8-ACS section 9.12): count 01h, LBA 01h, 14h, EBh. */
#define ATAPI_SIG_COUNT		0x01
#define ATAPI_SIG_LBA_LOW	0x01
#define ATAPI_SIG_LBA_MID	0x14
#define ATAPI_SIG_LBA_HIGH	0xeb
/* ATAPI interrupt reason (count register) when a PACKET command ends. */
#define ATAPI_INT_REASON_CD	0x01
#define ATAPI_INT_REASON_IO	0x02

/* SCSI operation codes a CD/DVD drive sees (SPC-4, SBC-3, MMC-6). */
#define SCSI_TEST_UNIT_READY		0x00
#define SCSI_REQUEST_SENSE		0x03
#define SCSI_INQUIRY			0x12
#define SCSI_MODE_SENSE_6		0x1a
#define SCSI_START_STOP_UNIT		0x1b
#define SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL 0x1e
#define SCSI_READ_CAPACITY_10		0x25
#define SCSI_READ_10			0x28
#define SCSI_WRITE_10			0x2a
#define SCSI_SEEK_10			0x2b
#define SCSI_WRITE_AND_VERIFY_10	0x2e
#define SCSI_READ_TOC_PMA_ATIP		0x43
#define SCSI_GET_CONFIGURATION		0x46
#define SCSI_GET_EVENT_STATUS_NOTIFICATION 0x4a
#define SCSI_READ_DISC_INFORMATION	0x51
#define SCSI_READ_TRACK_INFORMATION	0x52
#define SCSI_MODE_SENSE_10		0x5a
#define SCSI_REPORT_LUNS		0xa0
#define SCSI_READ_12			0xa8
#define SCSI_WRITE_12			0xaa
#define SCSI_READ_DISC_STRUCTURE	0xad
#define SCSI_SET_CD_SPEED		0xbb
#define SCSI_MECHANISM_STATUS		0xbd
#define SCSI_READ_CD			0xbe

/* Sense keys and additional sense codes (SPC-4 section 4.5.6, annex D). */
#define SENSE_NO_SENSE			0x0
#define SENSE_NOT_READY			0x2
#define SENSE_MEDIUM_ERROR		0x3
#define SENSE_ILLEGAL_REQUEST		0x5
#define SENSE_UNIT_ATTENTION		0x6
#define SENSE_DATA_PROTECT		0x7
#define ASC_UNRECOVERED_READ_ERROR	0x11
#define ASC_INVALID_COMMAND_OPERATION_CODE 0x20
#define ASC_LBA_OUT_OF_RANGE		0x21
#define ASC_INVALID_FIELD_IN_CDB	0x24
#define ASC_WRITE_PROTECTED		0x27
#define ASC_NOT_READY_TO_READY_CHANGE	0x28	/* medium may have changed */
#define ASC_CANNOT_READ_MEDIUM		0x30	/* ASCQ 02h: incompatible format */
#define ASC_SAVING_PARAMETERS_NOT_SUPPORTED 0x39
#define ASC_MEDIUM_NOT_PRESENT		0x3a	/* ASCQ 02h: tray open */
#define ASC_MEDIUM_REMOVAL_PREVENTED	0x53	/* ASCQ 02h */
#define ASC_ILLEGAL_MODE_FOR_THIS_TRACK	0x64

/* Fixed-format sense data (SPC-4 section 4.5.3). */
#define SCSI_SENSE_FIXED_CURRENT	0x70
#define SCSI_SENSE_FIXED_LEN		18

/* MMC-6 GET EVENT STATUS NOTIFICATION media event codes. */
#define MMC_MEDIA_EVENT_NONE		0
#define MMC_MEDIA_EVENT_EJECT_REQUEST	1
#define MMC_MEDIA_EVENT_NEW_MEDIA	2
#define MMC_MEDIA_EVENT_REMOVAL		3

/* What the HBA hands the drive: the Register H2D FIS's registers and, for
 * PACKET, the command table's ATAPI command. */
struct vk_ata_command {
	uint8_t command, features;
	uint8_t lba_low, lba_mid, lba_high, device;
	uint8_t count;
	uint8_t cdb[ATAPI_CDB_SIZE];
};

/* What the drive answers: the registers of the ending D2H FIS and the data. */
struct vk_atapi_result {
	uint8_t status, error;
	uint8_t count, lba_low, lba_mid, lba_high;
	bool pio_in;			/* PIO data-in protocol: the HBA posts a PIO Setup FIS */
	const uint8_t *data;		/* reply bytes (in the drive), or NULL */
	uint32_t data_len;
	uint64_t medium_offset;		/* or bytes of the medium (READ commands) */
	uint64_t medium_len;
};

struct vk_atapi {
	struct vk_image *img;
	uint64_t image_size;		/* bytes */
	uint32_t sectors;		/* 2048-byte sectors, the last one maybe zero-padded */
	char serial[ATAPI_SERIAL_MAX + 1];
	/* What REQUEST SENSE reports next (set by the last failed command). */
	uint8_t sense_key, asc, ascq;
	bool unit_attention;		/* a medium change not yet reported */
	bool tray_open, locked;
	uint8_t media_event;		/* MMC_MEDIA_EVENT_*, reported once */
	uint8_t udma_mode, mwdma_mode;	/* selected by SET FEATURES, 0xff: none */
	uint8_t buf[ATAPI_BUF_SIZE];
	/* Counters for the control socket, written with the HBA's lock held. */
	_Atomic uint64_t read_reqs, read_bytes, errors;
};

/* Open the image read-only (without following a symlink; regular files and
 * block devices only) and bring the drive to its power-on state; serial is
 * what IDENTIFY and INQUIRY's serial page report (up to 20 characters). */
int vk_atapi_open(struct vk_atapi *drive, const char *path, enum vk_image_format fmt,
		  const char *serial);
void vk_atapi_close(struct vk_atapi *drive);
/* A hard or device reset: sense and lock cleared, transfer modes back to
 * their defaults; the tray and the medium stay as they are. */
void vk_atapi_reset(struct vk_atapi *drive);

/* Carry out one command; fills *result (data points into drive->buf). */
void vk_atapi_execute(struct vk_atapi *drive, const struct vk_ata_command *cmd,
		      struct vk_atapi_result *result);
/* Read [offset, offset+len) of the medium (zeros past the image's end);
 * 0, -EINVAL outside the medium, or the image layer's error. */
int vk_atapi_read_medium(struct vk_atapi *drive, uint64_t offset, void *dst, size_t len);
/* The medium could not be read: turn *result into CHECK CONDITION with
 * MEDIUM ERROR / UNRECOVERED READ ERROR. */
void vk_atapi_read_failed(struct vk_atapi *drive, struct vk_atapi_result *result);

#endif
