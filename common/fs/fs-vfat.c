/* fs-vfat.c - FAT12/16/32 boot sector and FAT: statfs figures as fs/fat computes them. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/fs/fsprobe.h"

/* BIOS parameter block (Microsoft FAT specification, section 3). */
#define BPB_BYTES_PER_SEC	0x0b
#define BPB_SEC_PER_CLUS	0x0d
#define BPB_RSVD_SEC_CNT	0x0e
#define BPB_NUM_FATS		0x10
#define BPB_ROOT_ENT_CNT	0x11
#define BPB_TOT_SEC16		0x13
#define BPB_MEDIA		0x15
#define BPB_FAT_SZ16		0x16
#define BPB_TOT_SEC32		0x20
#define BPB_FAT_SZ32		0x24
#define BS_FIL_SYS_TYPE16	0x36
#define BS_FIL_SYS_TYPE32	0x52
#define BS_SIGNATURE		0x1fe
#define FAT_DIR_ENTRY_SIZE	32
#define FAT_START_ENT		2	/* clusters 0 and 1 are reserved */
#define MAX_FAT12		0xff4
#define MAX_FAT16		0xfff4
#define MAX_FAT32		0x0ffffff6
#define FAT32_ENTRY_MASK	0x0fffffff
#define FAT_SECTOR_MIN		512
#define FAT_SECTOR_MAX		4096
/* Entries read at once (even, for FAT12), so huge FATs need no huge buffer. */
#define FAT_CHUNK_ENTRIES	65536u

static int corrupt(const char *what)
{
	return vk_errorx(EUCLEAN, "vfat filesystem: %s; the filesystem needs fsck.vfat", what);
}

/* blkid's test: a FAT type label, or a boot signature with a sane BPB. */
static int looks_like_fat(const uint8_t *bs)
{
	if (memcmp(bs + BS_FIL_SYS_TYPE16, "FAT12   ", 8) == 0 ||
	    memcmp(bs + BS_FIL_SYS_TYPE16, "FAT16   ", 8) == 0 ||
	    memcmp(bs + BS_FIL_SYS_TYPE32, "FAT32   ", 8) == 0)
		return 1;
	return memcmp(bs + BS_FIL_SYS_TYPE16, "FAT     ", 8) == 0 &&
	       bs[BS_SIGNATURE] == 0x55 && bs[BS_SIGNATURE + 1] == 0xaa;
}

/* fat_count_free_clusters(): entries equal to zero, clusters 2 .. max-1.
 * The FAT is read a chunk of entries at a time; chunks start on an even
 * entry so that FAT12's 12-bit entries never straddle two reads. */
static int count_free(const struct vk_blockdev *dev, uint64_t fat_offset, unsigned bits,
		      uint64_t max_cluster, uint64_t *free_out)
{
	uint8_t *buf = malloc(FAT_CHUNK_ENTRIES * 4);
	uint64_t first, count = 0;
	int rc = 0;

	if (!buf)
		return vk_error(ENOMEM, "FAT");
	for (first = 0; first < max_cluster; first += FAT_CHUNK_ENTRIES) {
		uint64_t end = first + FAT_CHUNK_ENTRIES, n;

		if (end > max_cluster)
			end = max_cluster;
		rc = vk_blockdev_read(dev, buf, (end * bits + 7) / 8 - first * bits / 8,
				      fat_offset + first * bits / 8);
		if (rc < 0)
			goto out;
		for (n = first < FAT_START_ENT ? FAT_START_ENT : first; n < end; n++) {
			const uint8_t *e = buf + (n - first) * bits / 8;
			uint32_t v;

			if (bits == 12)
				v = (n & 1) ? (uint32_t)(e[0] >> 4 | e[1] << 4) : (uint32_t)(e[0] | (e[1] & 0xf) << 8);
			else if (bits == 16)
				v = vk_le16(e);
			else
				v = vk_le32(e) & FAT32_ENTRY_MASK;
			count += v == 0;
		}
	}
	*free_out = count;
out:
	free(buf);
	return rc;
}

int vk_fs_vfat_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out)
{
	uint8_t bs[512];
	uint64_t sector, spc, reserved, fats, fat_length, root_entries, total_sectors;
	uint64_t dir_start, rootdir_sectors, data_start, total_clusters, fat_clusters, max_cluster;
	uint64_t free_clusters = 0;
	unsigned bits;
	int rc;

	if (dev->size < sizeof bs)
		return 0;
	rc = vk_blockdev_read(dev, bs, sizeof bs, 0);
	if (rc < 0)
		return rc;
	if (!looks_like_fat(bs))
		return 0;
	out->type = "vfat";
	sector = vk_le16(bs + BPB_BYTES_PER_SEC);
	spc = bs[BPB_SEC_PER_CLUS];
	reserved = vk_le16(bs + BPB_RSVD_SEC_CNT);
	fats = bs[BPB_NUM_FATS];
	root_entries = vk_le16(bs + BPB_ROOT_ENT_CNT);
	/* The checks fat_fill_super() makes before it mounts. */
	if (sector < FAT_SECTOR_MIN || sector > FAT_SECTOR_MAX || (sector & (sector - 1)))
		return corrupt("bad sector size");
	if (spc == 0 || (spc & (spc - 1)))
		return corrupt("bad sectors per cluster");
	if (reserved == 0 || fats == 0)
		return corrupt("no reserved sectors or no FAT");
	if (bs[BPB_MEDIA] != 0xf0 && bs[BPB_MEDIA] < 0xf8)
		return corrupt("bad media descriptor");
	fat_length = vk_le16(bs + BPB_FAT_SZ16);
	bits = 0;
	if (fat_length == 0) {
		fat_length = vk_le32(bs + BPB_FAT_SZ32);
		bits = 32;
	}
	if (fat_length == 0)
		return corrupt("no FAT length");
	if ((root_entries * FAT_DIR_ENTRY_SIZE) % sector)
		return corrupt("root directory does not fill whole sectors");
	total_sectors = vk_le16(bs + BPB_TOT_SEC16);
	if (total_sectors == 0)
		total_sectors = vk_le32(bs + BPB_TOT_SEC32);
	dir_start = reserved + fats * fat_length;
	rootdir_sectors = root_entries * FAT_DIR_ENTRY_SIZE / sector;
	data_start = dir_start + rootdir_sectors;
	if (total_sectors > dev->size / sector)
		return corrupt("more sectors than the device holds");
	if (data_start >= total_sectors)
		return corrupt("no room for data");
	total_clusters = (total_sectors - data_start) / spc;
	if (bits == 0)
		bits = total_clusters > MAX_FAT12 ? 16 : 12;
	fat_clusters = fat_length * sector * 8 / bits;
	if (fat_clusters <= FAT_START_ENT)
		return corrupt("FAT too small");
	if (total_clusters > fat_clusters - FAT_START_ENT)
		total_clusters = fat_clusters - FAT_START_ENT;
	if (total_clusters > (bits == 32 ? MAX_FAT32 : bits == 16 ? MAX_FAT16 : MAX_FAT12))
		return corrupt("more clusters than the FAT type allows");
	max_cluster = total_clusters + FAT_START_ENT;
	rc = count_free(dev, reserved * sector, bits, max_cluster, &free_clusters);
	if (rc < 0)
		return rc;
	out->kind = VK_FS_STAT;
	out->stat.bsize = sector * spc;
	out->stat.blocks = total_clusters;
	out->stat.bfree = free_clusters;
	out->stat.bavail = free_clusters;
	out->stat.files = 0;	/* FAT has no inode table */
	out->stat.ffree = 0;
	return 1;
}
