/* test-atapi.c - the ATAPI drive alone: opening its image, the ATA packet-device commands and every SCSI/MMC command it answers, on the real image layer. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "tests/unit/cd-image.h"
#include "vmm/devices/atapi.h"

#define IMAGE_SECTORS	10
#define IMAGE_TAIL	100		/* bytes of an eleventh, partial sector */
#define CHECK_STATUS	(ATA_STATUS_DRDY | ATA_STATUS_ERR)
#define GOOD_STATUS	(ATA_STATUS_DRDY | ATA_STATUS_DSC)

struct env {
	char dir[64], image[96];
	struct vk_atapi drive;
	struct vk_atapi_result r;
};

static int setup(void **state)
{
	struct env *e = test_calloc(1, sizeof(*e));

	strcpy(e->dir, "/tmp/vkit-atapi.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	snprintf(e->image, sizeof(e->image), "%s/cd.iso", e->dir);
	assert_int_equal(cd_write_image(e->image, IMAGE_SECTORS * ATAPI_SECTOR_SIZE + IMAGE_TAIL), 0);
	assert_int_equal(vk_atapi_open(&e->drive, e->image, VK_IMAGE_RAW, "SER-42"), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	vk_atapi_close(&e->drive);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	assert_int_equal(system(cmd), 0);
	test_free(e);
	return 0;
}

/* Run an ATA command (no CDB). */
static struct vk_atapi_result *ata(struct env *e, uint8_t command, uint8_t features, uint8_t count)
{
	struct vk_ata_command c = { .command = command, .features = features, .count = count };

	vk_atapi_execute(&e->drive, &c, &e->r);
	return &e->r;
}

/* Run PACKET with the CDB given as bytes (the rest zero). */
static struct vk_atapi_result *packet(struct env *e, int n, ...)
{
	struct vk_ata_command c = { .command = ATA_CMD_PACKET, .features = 1 };
	va_list ap;

	va_start(ap, n);
	for (int i = 0; i < n && i < ATAPI_CDB_SIZE; i++)
		c.cdb[i] = (uint8_t)va_arg(ap, int);
	va_end(ap);
	vk_atapi_execute(&e->drive, &c, &e->r);
	return &e->r;
}

static uint32_t be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void assert_good(const struct vk_atapi_result *r)
{
	assert_int_equal(r->status, GOOD_STATUS);
	assert_int_equal(r->error, 0);
}

/* The last command ended in CHECK CONDITION with this sense, and REQUEST
 * SENSE reports it once. */
static void assert_sense(struct env *e, uint8_t key, uint8_t asc, uint8_t ascq)
{
	struct vk_atapi_result *r = &e->r;

	assert_int_equal(r->status, CHECK_STATUS);
	assert_int_equal(r->error, key << 4);
	assert_int_equal(r->data_len, 0);
	assert_int_equal(r->medium_len, 0);
	r = packet(e, 5, SCSI_REQUEST_SENSE, 0, 0, 0, 18);
	assert_good(r);
	assert_int_equal(r->data_len, 18);
	assert_int_equal(r->data[0], SCSI_SENSE_FIXED_CURRENT);
	assert_int_equal(r->data[2], key);
	assert_int_equal(r->data[7], 10);
	assert_int_equal(r->data[12], asc);
	assert_int_equal(r->data[13], ascq);
	/* Reported once; with the tray open NOT READY stands. */
	r = packet(e, 5, SCSI_REQUEST_SENSE, 0, 0, 0, 18);
	assert_int_equal(r->data[2], e->drive.tray_open ? SENSE_NOT_READY : SENSE_NO_SENSE);
}

/* --- opening --------------------------------------------------------- */

static void test_open_refuses_what_is_not_a_plain_image(void **state)
{
	struct env *e = *state;
	struct vk_atapi d;
	char path[128];

	snprintf(path, sizeof(path), "%s/link.iso", e->dir);
	assert_int_equal(symlink(e->image, path), 0);
	assert_int_equal(vk_atapi_open(&d, path, VK_IMAGE_RAW, NULL), -ELOOP);
	assert_non_null(strstr(vk_last_error(), "is a symbolic link; it is not followed here"));
	assert_int_equal(vk_atapi_open(&d, e->dir, VK_IMAGE_RAW, NULL), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "is a directory; give a regular file or a block device"));
	/* A FIFO is refused without waiting for a writer. */
	snprintf(path, sizeof(path), "%s/fifo", e->dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(vk_atapi_open(&d, path, VK_IMAGE_RAW, NULL), -EINVAL);
	snprintf(path, sizeof(path), "%s/empty.iso", e->dir);
	assert_int_equal(cd_write_image(path, 0), 0);
	assert_int_equal(vk_atapi_open(&d, path, VK_IMAGE_RAW, NULL), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "the image is empty"));
	assert_int_equal(vk_atapi_open(&d, e->image, VK_IMAGE_RAW, "123456789012345678901"), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "longer than 20"));
	assert_int_equal(vk_atapi_open(&d, e->image, VK_IMAGE_RAW, "bad\nserial"), -EINVAL);
	assert_int_equal(vk_atapi_open(&d, "/nonexistent/cd.iso", VK_IMAGE_RAW, NULL), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "cdrom: /nonexistent/cd.iso"));
}

static void test_partial_last_sector_is_zero_padded(void **state)
{
	struct env *e = *state;
	uint8_t buf[ATAPI_SECTOR_SIZE];
	uint64_t last = IMAGE_SECTORS * (uint64_t)ATAPI_SECTOR_SIZE;

	assert_int_equal(e->drive.sectors, IMAGE_SECTORS + 1);
	assert_int_equal(vk_atapi_read_medium(&e->drive, last, buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], i < IMAGE_TAIL ? cd_pattern(last + i) : 0);
	assert_int_equal(vk_atapi_read_medium(&e->drive, last + 1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vk_atapi_read_medium(&e->drive, UINT64_MAX, buf, 2), -EINVAL);
	assert_int_equal(vk_atapi_read_medium(&e->drive, 5, buf, 100), 0);
	assert_int_equal(buf[0], cd_pattern(5));
	assert_int_equal(buf[99], cd_pattern(104));
}

static void test_qcow2_medium(void **state)
{
	struct env *e = *state;
	struct vk_image_create_opts o = { .format = VK_IMAGE_QCOW2, .size = 3 * ATAPI_SECTOR_SIZE + 512 };
	struct vk_atapi q;
	uint8_t buf[ATAPI_SECTOR_SIZE];
	char path[128];

	snprintf(path, sizeof(path), "%s/cd.qcow2", e->dir);
	o.path = path;
	assert_int_equal(vk_image_create(&o), 0);
	assert_int_equal(vk_atapi_open(&q, path, VK_IMAGE_QCOW2, NULL), 0);
	assert_int_equal(q.sectors, 4);
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(vk_atapi_read_medium(&q, 3 * ATAPI_SECTOR_SIZE, buf, sizeof(buf)), 0);
	for (unsigned i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	vk_atapi_close(&q);
}

/* --- ATA commands ---------------------------------------------------- */

static void test_identify_packet_device(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r = ata(e, ATA_CMD_IDENTIFY_PACKET_DEVICE, 0, 0);
	const uint8_t *id;
	uint8_t sum = 0;
	char model[41];

	assert_good(r);
	assert_true(r->pio_in);
	assert_int_equal(r->data_len, 512);
	id = r->data;
	assert_int_equal(id[0] | id[1] << 8, 0x85c0);	/* ATAPI, CD-ROM, removable, 12-byte CDBs */
	for (unsigned i = 0; i < 20; i++) {		/* words 27-46, bytes swapped */
		model[2 * i] = id[54 + 2 * i + 1];
		model[2 * i + 1] = id[54 + 2 * i];
	}
	model[40] = 0;
	assert_string_equal(model, "vkit DVD-ROM                            ");
	assert_memory_equal(id + 20, "ES-R24", 6);	/* "SER-42", each word's bytes swapped */
	assert_true((id[98] | id[99] << 8) & 0x0100);	/* DMA */
	assert_int_equal(id[510], 0xa5);
	for (unsigned i = 0; i < 512; i++)
		sum += id[i];
	assert_int_equal(sum, 0);			/* the integrity word */
}

static void test_identify_device_aborts_with_signature(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r = ata(e, ATA_CMD_IDENTIFY_DEVICE, 0, 0);

	assert_int_equal(r->status, CHECK_STATUS);
	assert_int_equal(r->error, ATA_ERROR_ABRT);
	assert_int_equal(r->data_len, 0);
	assert_int_equal(r->count, 0x01);
	assert_int_equal(r->lba_low, 0x01);
	assert_int_equal(r->lba_mid, 0x14);
	assert_int_equal(r->lba_high, 0xeb);
	r = ata(e, ATA_CMD_DEVICE_RESET, 0, 0);
	assert_int_equal(r->status, 0);
	assert_int_equal(r->error, 0x01);
	assert_int_equal(r->lba_mid, 0x14);
	assert_int_equal(r->lba_high, 0xeb);
}

static void test_set_features_transfer_modes(void **state)
{
	struct env *e = *state;
	const uint8_t *id;

	assert_good(ata(e, ATA_CMD_SET_FEATURES, ATA_SF_SET_TRANSFER_MODE, ATA_XFER_UDMA | 2));
	id = ata(e, ATA_CMD_IDENTIFY_PACKET_DEVICE, 0, 0)->data;
	assert_int_equal(id[176] | id[177] << 8, 0x043f);	/* word 88: modes 0-5, 2 selected */
	assert_good(ata(e, ATA_CMD_SET_FEATURES, ATA_SF_SET_TRANSFER_MODE, ATA_XFER_MWDMA | 1));
	id = ata(e, ATA_CMD_IDENTIFY_PACKET_DEVICE, 0, 0)->data;
	assert_int_equal(id[126] | id[127] << 8, 0x0207);	/* word 63 */
	assert_int_equal(id[176] | id[177] << 8, 0x003f);
	assert_good(ata(e, ATA_CMD_SET_FEATURES, ATA_SF_SET_TRANSFER_MODE, ATA_XFER_PIO_FLOW | 4));
	for (unsigned bad = 0; bad < 256; bad++) {
		uint8_t type = bad & 0xf8, mode = bad & 7;
		bool ok = (type == ATA_XFER_PIO_DEFAULT && mode <= 1) || (type == ATA_XFER_PIO_FLOW && mode <= 4) ||
			  (type == ATA_XFER_MWDMA && mode <= 2) || (type == ATA_XFER_UDMA && mode <= 5);
		struct vk_atapi_result *r = ata(e, ATA_CMD_SET_FEATURES, ATA_SF_SET_TRANSFER_MODE, bad);

		assert_int_equal(r->status, ok ? GOOD_STATUS : CHECK_STATUS);
	}
	assert_int_equal(ata(e, ATA_CMD_SET_FEATURES, 0x02, 0)->error, ATA_ERROR_ABRT);	/* write cache */
	assert_good(ata(e, ATA_CMD_SET_FEATURES, ATA_SF_DISABLE_REVERT, 0));
}

static void test_other_ata_commands(void **state)
{
	struct env *e = *state;

	assert_int_equal(ata(e, ATA_CMD_CHECK_POWER_MODE, 0, 0)->count, 0xff);
	assert_good(&e->r);
	assert_good(ata(e, ATA_CMD_IDLE_IMMEDIATE, 0, 0));
	assert_good(ata(e, ATA_CMD_STANDBY_IMMEDIATE, 0, 0));
	/* Everything else a disk would take is aborted: reads, writes, flush, NOP. */
	for (unsigned c = 0; c < 256; c++) {
		struct vk_atapi_result *r;

		if (c == ATA_CMD_PACKET || c == ATA_CMD_IDENTIFY_PACKET_DEVICE || c == ATA_CMD_DEVICE_RESET ||
		    c == ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC || c == ATA_CMD_SET_FEATURES ||
		    c == ATA_CMD_CHECK_POWER_MODE || c == ATA_CMD_IDLE_IMMEDIATE ||
		    c == ATA_CMD_STANDBY_IMMEDIATE)
			continue;
		r = ata(e, c, 0, 0);
		assert_int_equal(r->status, CHECK_STATUS);
		assert_int_equal(r->error, ATA_ERROR_ABRT);
		assert_int_equal(r->data_len, 0);
		assert_int_equal(r->medium_len, 0);
	}
}

/* --- SCSI/MMC commands ----------------------------------------------- */

static void test_unknown_opcode_and_writes(void **state)
{
	struct env *e = *state;

	packet(e, 1, 0xff);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_COMMAND_OPERATION_CODE, 0);
	packet(e, 1, 0x15);		/* MODE SELECT(6): not offered */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_COMMAND_OPERATION_CODE, 0);
	packet(e, 10, SCSI_WRITE_10, 0, 0, 0, 0, 1, 0, 0, 1, 0);
	assert_sense(e, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED, 0);
	packet(e, 10, SCSI_WRITE_12, 0, 0, 0, 0, 1, 0, 0, 0, 1);
	assert_sense(e, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED, 0);
	packet(e, 10, SCSI_WRITE_AND_VERIFY_10, 0, 0, 0, 0, 1, 0, 0, 1, 0);
	assert_sense(e, SENSE_DATA_PROTECT, ASC_WRITE_PROTECTED, 0);
}

static void test_request_sense(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;

	r = packet(e, 5, SCSI_REQUEST_SENSE, 0, 0, 0, 18);
	assert_good(r);
	assert_int_equal(r->data[2], SENSE_NO_SENSE);
	packet(e, 5, SCSI_REQUEST_SENSE, 1, 0, 0, 18);	/* descriptor format: not offered */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	packet(e, 1, 0xfe);
	r = packet(e, 5, SCSI_REQUEST_SENSE, 0, 0, 0, 8);	/* short allocation */
	assert_int_equal(r->data_len, 8);
	r = packet(e, 5, SCSI_REQUEST_SENSE, 0, 0, 0, 0);
	assert_good(r);
	assert_int_equal(r->data_len, 0);
	/* A good command in between clears the sense of the failed one. */
	packet(e, 1, 0xfe);
	assert_good(packet(e, 1, SCSI_TEST_UNIT_READY));
	assert_int_equal(packet(e, 5, SCSI_REQUEST_SENSE, 0, 0, 0, 18)->data[2], SENSE_NO_SENSE);
}

static void test_inquiry_standard_and_vpd(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;

	r = packet(e, 5, SCSI_INQUIRY, 0, 0, 0, 96);
	assert_good(r);
	assert_int_equal(r->data_len, 36);
	assert_int_equal(r->data[0], 0x05);		/* CD/DVD */
	assert_int_equal(r->data[1], 0x80);		/* removable */
	assert_int_equal(r->data[4], 31);
	assert_memory_equal(r->data + 8, "vkit    DVD-ROM         ", 24);
	assert_int_equal(packet(e, 5, SCSI_INQUIRY, 0, 0, 0, 5)->data_len, 5);
	r = packet(e, 5, SCSI_INQUIRY, 1, 0x00, 0, 255);
	assert_int_equal(r->data_len, 7);
	assert_memory_equal(r->data + 4, "\x00\x80\x83", 3);
	r = packet(e, 5, SCSI_INQUIRY, 1, 0x80, 0, 255);
	assert_int_equal(r->data_len, 4 + 6);
	assert_memory_equal(r->data + 4, "SER-42", 6);
	r = packet(e, 5, SCSI_INQUIRY, 1, 0x83, 0, 255);
	assert_int_equal(r->data_len, 32 + 6);
	assert_int_equal(be16(r->data + 2), 28 + 6);
	assert_int_equal(r->data[5] & 0x0f, 1);	/* T10 vendor ID designator */
	assert_memory_equal(r->data + 32, "SER-42", 6);
	packet(e, 5, SCSI_INQUIRY, 1, 0xb0, 0, 255);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	packet(e, 5, SCSI_INQUIRY, 0, 0x80, 0, 255);	/* a page without EVPD */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
}

static void test_read_capacity_and_reads(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;

	r = packet(e, 1, SCSI_READ_CAPACITY_10);
	assert_good(r);
	assert_int_equal(r->data_len, 8);
	assert_int_equal(be32(r->data), IMAGE_SECTORS);	/* last LBA: the padded sector */
	assert_int_equal(be32(r->data + 4), ATAPI_SECTOR_SIZE);
	packet(e, 10, SCSI_READ_CAPACITY_10, 0, 0, 0, 0, 1, 0, 0, 0, 0);	/* LBA without PMI */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	r = packet(e, 10, SCSI_READ_10, 0, 0, 0, 0, 3, 0, 0, 2, 0);
	assert_good(r);
	assert_int_equal(r->medium_offset, 3 * ATAPI_SECTOR_SIZE);
	assert_int_equal(r->medium_len, 2 * ATAPI_SECTOR_SIZE);
	assert_int_equal(r->data_len, 0);
	r = packet(e, 12, SCSI_READ_12, 0, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0);
	assert_good(r);
	assert_int_equal(r->medium_offset, 9 * ATAPI_SECTOR_SIZE);
	assert_int_equal(r->medium_len, 2 * ATAPI_SECTOR_SIZE);	/* up to the padded sector */
	r = packet(e, 10, SCSI_READ_10, 0, 0, 0, 0, 5, 0, 0, 0, 0);	/* no sectors: fine */
	assert_good(r);
	assert_int_equal(r->medium_len, 0);
	packet(e, 10, SCSI_READ_10, 0, 0, 0, 0, 10, 0, 0, 2, 0);	/* one past the end */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	packet(e, 12, SCSI_READ_12, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 2, 0, 0);	/* no wrap */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	packet(e, 12, SCSI_READ_12, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	assert_good(packet(e, 6, SCSI_SEEK_10, 0, 0, 0, 0, 10));
	packet(e, 6, SCSI_SEEK_10, 0, 0, 0, 0, 11);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
	assert_int_equal(atomic_load(&e->drive.read_reqs), 3);
}

static void test_read_cd(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;

	r = packet(e, 12, SCSI_READ_CD, 0, 0, 0, 0, 2, 0, 0, 3, 0x10, 0, 0);
	assert_good(r);
	assert_int_equal(r->medium_offset, 2 * ATAPI_SECTOR_SIZE);
	assert_int_equal(r->medium_len, 3 * ATAPI_SECTOR_SIZE);
	r = packet(e, 12, SCSI_READ_CD, 2 << 2, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0);	/* mode 1, no data */
	assert_good(r);
	assert_int_equal(r->medium_len, 0);
	packet(e, 12, SCSI_READ_CD, 0, 0, 0, 0, 2, 0, 0, 1, 0xf8, 0, 0);	/* raw sectors */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	packet(e, 12, SCSI_READ_CD, 0, 0, 0, 0, 2, 0, 0, 1, 0x10, 1, 0);	/* a sub-channel */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	packet(e, 12, SCSI_READ_CD, 1 << 2, 0, 0, 0, 2, 0, 0, 1, 0x10, 0, 0);	/* CD-DA */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_ILLEGAL_MODE_FOR_THIS_TRACK, 0);
	packet(e, 12, SCSI_READ_CD, 0, 0, 0, 0, 11, 0, 0, 1, 0x10, 0, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE, 0);
}

static void test_mode_sense(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;

	r = packet(e, 10, SCSI_MODE_SENSE_10, 0, 0x2a, 0, 0, 0, 0, 0, 255, 0);
	assert_good(r);
	assert_int_equal(r->data_len, 8 + 22);
	assert_int_equal(be16(r->data), 8 + 22 - 2);
	assert_int_equal(be16(r->data + 6), 0);		/* no block descriptors */
	assert_int_equal(r->data[8], 0x2a);
	assert_int_equal(r->data[9], 20);
	assert_int_equal(r->data[14] & 0x02, 0);		/* not locked */
	packet(e, 6, SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 1, 0);
	r = packet(e, 10, SCSI_MODE_SENSE_10, 0, 0x2a, 0, 0, 0, 0, 0, 255, 0);
	assert_int_equal(r->data[14] & 0x02, 0x02);
	r = packet(e, 6, SCSI_MODE_SENSE_6, 0, 0x3f, 0, 255, 0);	/* every page */
	assert_good(r);
	assert_int_equal(r->data_len, 4 + 12 + 16 + 22);
	assert_int_equal(r->data[0], 4 + 12 + 16 + 22 - 1);
	assert_int_equal(r->data[4], 0x01);
	assert_int_equal(r->data[16], 0x0e);
	assert_int_equal(r->data[32], 0x2a);
	r = packet(e, 6, SCSI_MODE_SENSE_6, 0, 0x40 | 0x2a, 0, 255, 0);	/* changeable: nothing */
	assert_int_equal(r->data_len, 4 + 22);
	for (unsigned i = 6; i < r->data_len; i++)
		assert_int_equal(r->data[i], 0);
	assert_int_equal(packet(e, 10, SCSI_MODE_SENSE_10, 0, 0x2a, 0, 0, 0, 0, 0, 10, 0)->data_len, 10);
	packet(e, 6, SCSI_MODE_SENSE_6, 0, 0xc0 | 0x2a, 0, 255, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_SAVING_PARAMETERS_NOT_SUPPORTED, 0);
	packet(e, 6, SCSI_MODE_SENSE_6, 0, 0x05, 0, 255, 0);	/* write parameters: no */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	packet(e, 6, SCSI_MODE_SENSE_6, 0, 0x2a, 1, 255, 0);	/* a subpage */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
}

/* Find feature code in a GET CONFIGURATION reply; NULL if absent. */
static const uint8_t *find_feature(const struct vk_atapi_result *r, uint16_t code)
{
	for (uint32_t off = 8; off + 4 <= r->data_len; off += 4 + r->data[off + 3])
		if (be16(r->data + off) == code)
			return r->data + off;
	return NULL;
}

static void test_get_configuration_cd(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;
	const uint8_t *f;

	r = packet(e, 10, SCSI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0x10, 0, 0);
	assert_good(r);
	assert_int_equal(be32(r->data) + 4, r->data_len);
	assert_int_equal(be16(r->data + 6), 0x0008);		/* current profile: CD-ROM */
	f = find_feature(r, 0x0000);
	assert_non_null(f);
	assert_int_equal(f[3], 8);				/* two profiles */
	assert_int_equal(be16(f + 4), 0x0010);
	assert_int_equal(f[6] & 1, 0);
	assert_int_equal(be16(f + 8), 0x0008);
	assert_int_equal(f[10] & 1, 1);
	assert_non_null(find_feature(r, 0x0001));
	assert_non_null(f = find_feature(r, 0x001e));
	assert_int_equal(f[2] & 1, 1);				/* CD Read: current */
	assert_non_null(f = find_feature(r, 0x001f));
	assert_int_equal(f[2] & 1, 0);
	assert_non_null(f = find_feature(r, 0x0010));
	assert_int_equal(be32(f + 4), 2048);
	/* RT 2: that feature alone; RT 1: current ones from the start. */
	r = packet(e, 10, SCSI_GET_CONFIGURATION, 2, 0, 0x1e, 0, 0, 0, 0x10, 0, 0);
	assert_int_equal(r->data_len, 8 + 8);
	assert_int_equal(be16(r->data + 8), 0x001e);
	r = packet(e, 10, SCSI_GET_CONFIGURATION, 2, 0x12, 0x34, 0, 0, 0, 0x10, 0, 0);
	assert_int_equal(r->data_len, 8);
	r = packet(e, 10, SCSI_GET_CONFIGURATION, 1, 0, 0x10, 0, 0, 0, 0x10, 0, 0);
	assert_non_null(find_feature(r, 0x0010));
	assert_non_null(find_feature(r, 0x001e));
	assert_null(find_feature(r, 0x001f));
	assert_null(find_feature(r, 0x0003));
	assert_int_equal(packet(e, 10, SCSI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0, 12, 0)->data_len, 12);
	packet(e, 10, SCSI_GET_CONFIGURATION, 3, 0, 0, 0, 0, 0, 0x10, 0, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	/* A CD has no DVD structures. */
	packet(e, 12, SCSI_READ_DISC_STRUCTURE, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x04, 0, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_CANNOT_READ_MEDIUM, 0x02);
}

static void test_dvd_image_profile_and_structures(void **state)
{
	struct env *e = *state;
	struct vk_atapi dvd;
	struct vk_atapi_result r;
	struct vk_ata_command c = { .command = ATA_CMD_PACKET };
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/dvd.iso", e->dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 900ll << 20), 0);	/* sparse */
	close(fd);
	assert_int_equal(vk_atapi_open(&dvd, path, VK_IMAGE_RAW, NULL), 0);
	c.cdb[0] = SCSI_GET_CONFIGURATION;
	c.cdb[8] = 0xff;
	vk_atapi_execute(&dvd, &c, &r);
	assert_int_equal(be16(r.data + 6), 0x0010);		/* DVD-ROM */
	memset(c.cdb, 0, sizeof(c.cdb));
	c.cdb[0] = SCSI_READ_DISC_STRUCTURE;
	c.cdb[9] = 0xff;
	vk_atapi_execute(&dvd, &c, &r);
	assert_int_equal(r.status, GOOD_STATUS);
	assert_int_equal(r.data_len, 255);			/* cut from 2052 */
	assert_int_equal(be16(r.data), 2050);
	assert_int_equal(be32(r.data + 12) - be32(r.data + 8) + 1, dvd.sectors);
	c.cdb[7] = 0x01;					/* copyright */
	vk_atapi_execute(&dvd, &c, &r);
	assert_int_equal(r.data_len, 8);
	c.cdb[7] = 0x03;					/* BCA: none */
	vk_atapi_execute(&dvd, &c, &r);
	assert_int_equal(r.status, CHECK_STATUS);
	c.cdb[7] = 0x00;
	c.cdb[6] = 1;						/* layer 1 */
	vk_atapi_execute(&dvd, &c, &r);
	assert_int_equal(r.status, CHECK_STATUS);
	vk_atapi_close(&dvd);
}

static void test_read_toc(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;
	uint32_t leadout = IMAGE_SECTORS + 1;

	r = packet(e, 10, SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 0, 0, 0xff, 0);
	assert_good(r);
	assert_int_equal(r->data_len, 4 + 2 * 8);
	assert_int_equal(be16(r->data), 18);
	assert_int_equal(r->data[2], 1);
	assert_int_equal(r->data[3], 1);
	assert_int_equal(r->data[5], 0x14);
	assert_int_equal(r->data[6], 1);
	assert_int_equal(be32(r->data + 8), 0);
	assert_int_equal(r->data[14], 0xaa);
	assert_int_equal(be32(r->data + 16), leadout);
	r = packet(e, 10, SCSI_READ_TOC_PMA_ATIP, 2, 0, 0, 0, 0, 0, 0, 0xff, 0);	/* MSF */
	assert_memory_equal(r->data + 8, "\x00\x00\x02\x00", 4);
	assert_int_equal(r->data[17], (leadout + 150) / 4500);
	assert_int_equal(r->data[18], (leadout + 150) / 75 % 60);
	assert_int_equal(r->data[19], (leadout + 150) % 75);
	r = packet(e, 10, SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 0xaa, 0, 0xff, 0);
	assert_int_equal(r->data_len, 4 + 8);
	assert_int_equal(r->data[6], 0xaa);
	packet(e, 10, SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 2, 0, 0xff, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	/* Session info, asked the SFF-8020 way (format in byte 9) as Linux does. */
	r = packet(e, 10, SCSI_READ_TOC_PMA_ATIP, 0, 0, 0, 0, 0, 0, 0, 12, 0x40);
	assert_good(r);
	assert_int_equal(r->data_len, 12);
	assert_int_equal(be16(r->data), 10);
	assert_int_equal(r->data[6], 1);
	r = packet(e, 10, SCSI_READ_TOC_PMA_ATIP, 0, 2, 0, 0, 0, 0, 0, 0xff, 0);	/* full TOC */
	assert_good(r);
	assert_int_equal(r->data_len, 4 + 4 * 11);
	assert_int_equal(r->data[4 + 3], 0xa0);
	assert_int_equal(r->data[4 + 8], 1);
	assert_int_equal(r->data[15 + 3], 0xa1);
	assert_int_equal(r->data[26 + 3], 0xa2);
	assert_int_equal(r->data[26 + 10], (leadout + 150) % 75);
	assert_int_equal(r->data[37 + 3], 1);
	assert_int_equal(r->data[37 + 9], 2);		/* 00:02:00 */
	packet(e, 10, SCSI_READ_TOC_PMA_ATIP, 0, 4, 0, 0, 0, 0, 0, 0xff, 0);	/* ATIP */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
}

static void test_disc_and_track_information(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;

	r = packet(e, 10, SCSI_READ_DISC_INFORMATION, 0, 0, 0, 0, 0, 0, 0, 34, 0);
	assert_good(r);
	assert_int_equal(r->data_len, 34);
	assert_int_equal(r->data[2] & 0x03, 2);		/* complete */
	assert_int_equal(r->data[4], 1);
	packet(e, 10, SCSI_READ_DISC_INFORMATION, 1, 0, 0, 0, 0, 0, 0, 34, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	r = packet(e, 10, SCSI_READ_TRACK_INFORMATION, 1, 0, 0, 0, 1, 0, 0, 36, 0);
	assert_good(r);
	assert_int_equal(r->data_len, 36);
	assert_int_equal(be32(r->data + 24), IMAGE_SECTORS + 1);
	assert_good(packet(e, 10, SCSI_READ_TRACK_INFORMATION, 0, 0, 0, 0, 10, 0, 0, 36, 0));
	packet(e, 10, SCSI_READ_TRACK_INFORMATION, 0, 0, 0, 0, 11, 0, 0, 36, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	packet(e, 10, SCSI_READ_TRACK_INFORMATION, 1, 0, 0, 0, 2, 0, 0, 36, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
}

static void test_small_commands(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;

	r = packet(e, 12, SCSI_MECHANISM_STATUS, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0);
	assert_good(r);
	assert_int_equal(r->data_len, 8);
	assert_int_equal(r->data[1], 0);
	assert_good(packet(e, 6, SCSI_SET_CD_SPEED, 0, 0xff, 0xff, 0xff, 0xff));
	r = packet(e, 12, SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0);
	assert_good(r);
	assert_int_equal(r->data_len, 16);
	assert_int_equal(be32(r->data), 8);
	packet(e, 12, SCSI_REPORT_LUNS, 0, 0, 0, 0, 0, 0, 0, 0, 15, 0, 0);
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
}

/* Eject and load through START STOP UNIT, the lock, the media events and
 * the unit attention a closed tray brings. */
static void test_tray_lock_events_and_unit_attention(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r;

	packet(e, 10, SCSI_GET_EVENT_STATUS_NOTIFICATION, 0, 0, 0, 0x10, 0, 0, 0, 8, 0);	/* async */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, 0);
	r = packet(e, 10, SCSI_GET_EVENT_STATUS_NOTIFICATION, 1, 0, 0, 0x10, 0, 0, 0, 8, 0);
	assert_good(r);
	assert_int_equal(r->data_len, 8);
	assert_int_equal(r->data[2], 4);		/* media class */
	assert_int_equal(r->data[4], MMC_MEDIA_EVENT_NONE);
	assert_int_equal(r->data[5], 0x02);		/* medium present */
	r = packet(e, 10, SCSI_GET_EVENT_STATUS_NOTIFICATION, 1, 0, 0, 0x02, 0, 0, 0, 8, 0);
	assert_int_equal(r->data_len, 4);
	assert_int_equal(r->data[2], 0x80);		/* no event class asked for */

	packet(e, 6, SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 1, 0);
	packet(e, 6, SCSI_START_STOP_UNIT, 0, 0, 0, 0x02, 0);	/* eject */
	assert_sense(e, SENSE_ILLEGAL_REQUEST, ASC_MEDIUM_REMOVAL_PREVENTED, 0x02);
	packet(e, 6, SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL, 0, 0, 0, 0, 0);
	assert_good(packet(e, 6, SCSI_START_STOP_UNIT, 0, 0, 0, 0x02, 0));
	packet(e, 1, SCSI_TEST_UNIT_READY);
	assert_sense(e, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0x02);
	packet(e, 10, SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0);
	assert_sense(e, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT, 0x02);
	r = packet(e, 10, SCSI_GET_EVENT_STATUS_NOTIFICATION, 1, 0, 0, 0x10, 0, 0, 0, 8, 0);
	assert_int_equal(r->data[4], MMC_MEDIA_EVENT_REMOVAL);
	assert_int_equal(r->data[5], 0x01);		/* tray open */
	r = packet(e, 10, SCSI_GET_CONFIGURATION, 0, 0, 0, 0, 0, 0, 0x10, 0, 0);
	assert_int_equal(be16(r->data + 6), 0);		/* no current profile */
	r = packet(e, 5, SCSI_REQUEST_SENSE, 0, 0, 0, 18);	/* the standing condition */
	assert_int_equal(r->data[2], SENSE_NOT_READY);
	assert_int_equal(r->data[12], ASC_MEDIUM_NOT_PRESENT);

	assert_good(packet(e, 6, SCSI_START_STOP_UNIT, 0, 0, 0, 0x03, 0));	/* load */
	r = packet(e, 10, SCSI_GET_EVENT_STATUS_NOTIFICATION, 1, 0, 0, 0x10, 0, 0, 0, 8, 0);
	assert_int_equal(r->data[4], MMC_MEDIA_EVENT_NEW_MEDIA);
	assert_good(packet(e, 5, SCSI_INQUIRY, 0, 0, 0, 36));	/* allowed under the attention */
	packet(e, 1, SCSI_TEST_UNIT_READY);
	assert_sense(e, SENSE_UNIT_ATTENTION, ASC_NOT_READY_TO_READY_CHANGE, 0);
	assert_good(packet(e, 1, SCSI_TEST_UNIT_READY));
	/* Power conditions and spin-up leave the tray alone. */
	assert_good(packet(e, 6, SCSI_START_STOP_UNIT, 0, 0, 0, 0x22, 0));
	assert_good(packet(e, 6, SCSI_START_STOP_UNIT, 0, 0, 0, 0x00, 0));
	assert_good(packet(e, 1, SCSI_TEST_UNIT_READY));
}

static void test_read_failed_reports_medium_error(void **state)
{
	struct env *e = *state;
	struct vk_atapi_result *r = packet(e, 10, SCSI_READ_10, 0, 0, 0, 0, 0, 0, 0, 1, 0);

	assert_good(r);
	vk_atapi_read_failed(&e->drive, r);
	assert_sense(e, SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR, 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_refuses_what_is_not_a_plain_image),
		T(test_partial_last_sector_is_zero_padded),
		T(test_qcow2_medium),
		T(test_identify_packet_device),
		T(test_identify_device_aborts_with_signature),
		T(test_set_features_transfer_modes),
		T(test_other_ata_commands),
		T(test_unknown_opcode_and_writes),
		T(test_request_sense),
		T(test_inquiry_standard_and_vpd),
		T(test_read_capacity_and_reads),
		T(test_read_cd),
		T(test_mode_sense),
		T(test_get_configuration_cd),
		T(test_dvd_image_profile_and_structures),
		T(test_read_toc),
		T(test_disc_and_track_information),
		T(test_small_commands),
		T(test_tray_lock_events_and_unit_attention),
		T(test_read_failed_reports_medium_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
