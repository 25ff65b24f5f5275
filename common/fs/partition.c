/* partition.c - MBR (with extended partitions) and GPT parsing, as Linux numbers partitions. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/util/error.h"
#include "common/fs/partition.h"

/* MBR layout (sector 0 and every EBR). */
#define MBR_TABLE_OFFSET	0x1be
#define MBR_ENTRY_SIZE		16
#define MBR_SIGNATURE_OFFSET	510
#define MBR_BOOT_IND		0	/* 0 or 0x80 in a real table */
#define MBR_SYS_IND		4
#define MBR_START_LBA		8
#define MBR_NR_SECTS		12
#define MBR_TYPE_EXTENDED	0x05
#define MBR_TYPE_WIN98_EXTENDED	0x0f
#define MBR_TYPE_LINUX_EXTENDED	0x85
#define MBR_TYPE_EFI_GPT	0xee
#define MBR_FIRST_LOGICAL	5

/* GPT header and entries (UEFI spec, 5.3). */
#define GPT_SIGNATURE		"EFI PART"
#define GPT_HDR_SIZE_MIN	92
#define GPT_HDR_CRC		16
#define GPT_HDR_MY_LBA		24
#define GPT_HDR_FIRST_USABLE	40
#define GPT_HDR_LAST_USABLE	48
#define GPT_HDR_ENTRIES_LBA	72
#define GPT_HDR_NUM_ENTRIES	80
#define GPT_HDR_ENTRY_SIZE	84
#define GPT_HDR_ENTRIES_CRC	88
#define GPT_ENTRY_SIZE		128
#define GPT_ENTRY_FIRST_LBA	32
#define GPT_ENTRY_LAST_LBA	40
/* Refuse entry arrays larger than this before allocating (kernel: no limit
 * but memory; 1 MiB is 8192 entries, far more than any tool writes). */
#define GPT_ENTRIES_BYTES_MAX	(1u << 20)

const char *vk_ptable_kind_name(enum vk_ptable_kind kind)
{
	switch (kind) {
	case VK_PTABLE_MBR: return "mbr";
	case VK_PTABLE_GPT: return "gpt";
	default: return "none";
	}
}

static int add_partition(struct vk_ptable *pt, const struct vk_blockdev *disk,
			 unsigned number, uint64_t start_lba, uint64_t sectors)
{
	uint64_t sectors_on_disk = disk->size / VK_SECTOR_SIZE;

	/* The kernel drops partitions that start beyond the disk and truncates
	 * those that run past its end. */
	if (start_lba >= sectors_on_disk || sectors == 0)
		return 0;
	if (sectors > sectors_on_disk - start_lba)
		sectors = sectors_on_disk - start_lba;
	if (pt->count >= VK_PARTITIONS_MAX)
		return 0;
	pt->parts[pt->count].number = number;
	pt->parts[pt->count].start = start_lba * VK_SECTOR_SIZE;
	pt->parts[pt->count].size = sectors * VK_SECTOR_SIZE;
	pt->count++;
	return 0;
}

static int is_extended(uint8_t type)
{
	return type == MBR_TYPE_EXTENDED || type == MBR_TYPE_WIN98_EXTENDED ||
	       type == MBR_TYPE_LINUX_EXTENDED;
}

/* Follow the EBR chain of the extended partition at [first, first + size). */
static int read_logicals(const struct vk_blockdev *disk, struct vk_ptable *pt,
			 uint64_t first, uint64_t first_size)
{
	uint8_t sect[VK_SECTOR_SIZE];
	uint64_t this_sector = first, this_size = first_size;
	unsigned next_number = MBR_FIRST_LOGICAL;
	unsigned links;
	int rc;

	for (links = 0; links < VK_PARTITIONS_MAX; links++) {
		const uint8_t *e;
		int i, found_next = 0;

		if (this_sector >= disk->size / VK_SECTOR_SIZE)
			return 0;
		rc = vk_blockdev_read(disk, sect, sizeof sect, this_sector * VK_SECTOR_SIZE);
		if (rc < 0)
			return rc;
		if (sect[MBR_SIGNATURE_OFFSET] != 0x55 || sect[MBR_SIGNATURE_OFFSET + 1] != 0xaa)
			return 0;

		/* Data partitions first; entries 3 and 4 must lie inside. */
		for (i = 0; i < 4; i++) {
			uint64_t offs, size;

			e = sect + MBR_TABLE_OFFSET + i * MBR_ENTRY_SIZE;
			size = vk_le32(e + MBR_NR_SECTS);
			if (size == 0 || is_extended(e[MBR_SYS_IND]))
				continue;
			offs = vk_le32(e + MBR_START_LBA);
			if (i >= 2) {
				if (offs + size > this_size)
					continue;
				if (this_sector + offs + size > first + first_size)
					continue;
			}
			if (next_number >= VK_PARTITIONS_MAX)
				return 0;
			rc = add_partition(pt, disk, next_number++, this_sector + offs, size);
			if (rc < 0)
				return rc;
		}
		/* Then the link to the next EBR, relative to the first one. */
		for (i = 0; i < 4; i++) {
			e = sect + MBR_TABLE_OFFSET + i * MBR_ENTRY_SIZE;
			if (vk_le32(e + MBR_NR_SECTS) && is_extended(e[MBR_SYS_IND])) {
				found_next = 1;
				break;
			}
		}
		if (!found_next)
			return 0;
		this_sector = first + vk_le32(e + MBR_START_LBA);
		this_size = vk_le32(e + MBR_NR_SECTS);
	}
	return 0;
}

static int read_mbr(const struct vk_blockdev *disk, const uint8_t *sect, struct vk_ptable *pt)
{
	int slot, rc;

	for (slot = 0; slot < 4; slot++) {
		const uint8_t *e = sect + MBR_TABLE_OFFSET + slot * MBR_ENTRY_SIZE;

		/* A FAT boot sector also ends in 55 aa: the kernel takes bad
		 * boot indicators to mean "no table", whatever sits there. */
		if (e[MBR_BOOT_IND] != 0 && e[MBR_BOOT_IND] != 0x80)
			return 0;
	}
	pt->kind = VK_PTABLE_MBR;
	for (slot = 0; slot < 4; slot++) {
		const uint8_t *e = sect + MBR_TABLE_OFFSET + slot * MBR_ENTRY_SIZE;
		uint64_t start = vk_le32(e + MBR_START_LBA), size = vk_le32(e + MBR_NR_SECTS);

		if (size == 0)
			continue;
		if (is_extended(e[MBR_SYS_IND]))
			rc = read_logicals(disk, pt, start, size);
		else
			rc = add_partition(pt, disk, (unsigned)slot + 1, start, size);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Logicals are found while walking slot by slot; list them after sda4. */
static int by_number(const void *a, const void *b)
{
	const struct vk_partition *pa = a, *pb = b;

	return (pa->number > pb->number) - (pa->number < pb->number);
}

static int gpt_header_valid(const uint8_t *hdr, uint64_t lba, uint64_t disk_sectors)
{
	uint8_t copy[VK_SECTOR_SIZE];
	uint32_t hsize = vk_le32(hdr + 12);
	uint64_t first_usable, last_usable;

	if (memcmp(hdr, GPT_SIGNATURE, 8) != 0)
		return 0;
	if (hsize < GPT_HDR_SIZE_MIN || hsize > VK_SECTOR_SIZE)
		return 0;
	memcpy(copy, hdr, hsize);
	memset(copy + GPT_HDR_CRC, 0, 4);
	if (crc32(0, copy, hsize) != vk_le32(hdr + GPT_HDR_CRC))
		return 0;
	if (vk_le64(hdr + GPT_HDR_MY_LBA) != lba)
		return 0;
	first_usable = vk_le64(hdr + GPT_HDR_FIRST_USABLE);
	last_usable = vk_le64(hdr + GPT_HDR_LAST_USABLE);
	if (last_usable >= disk_sectors || first_usable > last_usable)
		return 0;
	if (vk_le32(hdr + GPT_HDR_ENTRY_SIZE) != GPT_ENTRY_SIZE)
		return 0;
	if (vk_le32(hdr + GPT_HDR_NUM_ENTRIES) == 0 ||
	    vk_le32(hdr + GPT_HDR_NUM_ENTRIES) > GPT_ENTRIES_BYTES_MAX / GPT_ENTRY_SIZE)
		return 0;
	return 1;
}

static int gpt_read_entries(const struct vk_blockdev *disk, const uint8_t *hdr,
			    struct vk_ptable *pt)
{
	static const uint8_t unused_type[16];
	uint32_t n = vk_le32(hdr + GPT_HDR_NUM_ENTRIES);
	uint64_t last_usable = vk_le64(hdr + GPT_HDR_LAST_USABLE);
	uint64_t entries_lba = vk_le64(hdr + GPT_HDR_ENTRIES_LBA);
	size_t len = (size_t)n * GPT_ENTRY_SIZE;
	uint8_t *buf;
	uint32_t i;
	int rc;

	if (entries_lba > UINT64_MAX / VK_SECTOR_SIZE)
		return 0;
	buf = malloc(len);
	if (!buf)
		return vk_error(ENOMEM, "GPT partition entries");
	rc = vk_blockdev_read(disk, buf, len, entries_lba * VK_SECTOR_SIZE);
	if (rc < 0) {
		rc = 0;		/* entries beyond the disk: this header is not valid */
		vk_error_clear();
		goto out;
	}
	if (crc32(0, buf, (uInt)len) != vk_le32(hdr + GPT_HDR_ENTRIES_CRC))
		goto out;
	pt->kind = VK_PTABLE_GPT;
	for (i = 0; i < n && i + 1 < VK_PARTITIONS_MAX; i++) {
		const uint8_t *e = buf + (size_t)i * GPT_ENTRY_SIZE;
		uint64_t first = vk_le64(e + GPT_ENTRY_FIRST_LBA), last = vk_le64(e + GPT_ENTRY_LAST_LBA);

		if (memcmp(e, unused_type, sizeof unused_type) == 0)
			continue;
		if (first > last || last > last_usable)
			continue;
		rc = add_partition(pt, disk, i + 1, first, last - first + 1);
		if (rc < 0)
			goto out;
	}
	rc = 1;
out:
	free(buf);
	return rc;
}

/* 1 when a valid GPT was read, 0 when none is there. */
static int read_gpt(const struct vk_blockdev *disk, struct vk_ptable *pt)
{
	uint8_t hdr[VK_SECTOR_SIZE];
	uint64_t sectors = disk->size / VK_SECTOR_SIZE;
	uint64_t lbas[2] = { 1, sectors - 1 };
	int i, rc;

	for (i = 0; i < 2; i++) {
		if (lbas[i] >= sectors)
			continue;
		rc = vk_blockdev_read(disk, hdr, sizeof hdr, lbas[i] * VK_SECTOR_SIZE);
		if (rc < 0)
			return rc;
		if (!gpt_header_valid(hdr, lbas[i], sectors))
			continue;
		rc = gpt_read_entries(disk, hdr, pt);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int has_protective_entry(const uint8_t *sect)
{
	int slot;

	for (slot = 0; slot < 4; slot++)
		if (sect[MBR_TABLE_OFFSET + slot * MBR_ENTRY_SIZE + MBR_SYS_IND] == MBR_TYPE_EFI_GPT)
			return 1;
	return 0;
}

int vk_ptable_read(const struct vk_blockdev *disk, struct vk_ptable *out)
{
	uint8_t sect[VK_SECTOR_SIZE];
	int rc;

	memset(out, 0, sizeof *out);
	if (disk->size < 2 * VK_SECTOR_SIZE)
		return 0;
	rc = vk_blockdev_read(disk, sect, sizeof sect, 0);
	if (rc < 0)
		return rc;
	if (sect[MBR_SIGNATURE_OFFSET] != 0x55 || sect[MBR_SIGNATURE_OFFSET + 1] != 0xaa)
		return 0;
	if (has_protective_entry(sect)) {
		rc = read_gpt(disk, out);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			/* The kernel's msdos parser also ignores a protective MBR. */
			memset(out, 0, sizeof *out);
		}
		return 0;
	}
	rc = read_mbr(disk, sect, out);
	if (rc == 0)
		qsort(out->parts, out->count, sizeof out->parts[0], by_number);
	return rc;
}
