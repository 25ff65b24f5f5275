/* fs-ext.c - ext2/3/4 superblock and group descriptors: statfs figures as fs/ext4 computes them. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/fsprobe.h"

/* Superblock (Documentation/filesystems/ext4/super.rst). */
#define EXT4_SB_OFFSET			1024
#define EXT4_SB_SIZE			1024
#define EXT4_SUPER_MAGIC		0xef53
#define SB_INODES_COUNT			0x00
#define SB_BLOCKS_COUNT_LO		0x04
#define SB_R_BLOCKS_COUNT_LO		0x08
#define SB_FIRST_DATA_BLOCK		0x14
#define SB_LOG_BLOCK_SIZE		0x18
#define SB_BLOCKS_PER_GROUP		0x20
#define SB_INODES_PER_GROUP		0x28
#define SB_MAGIC			0x38
#define SB_REV_LEVEL			0x4c
#define SB_INODE_SIZE			0x58
#define SB_FEATURE_COMPAT		0x5c
#define SB_FEATURE_INCOMPAT		0x60
#define SB_FEATURE_RO_COMPAT		0x64
#define SB_RESERVED_GDT_BLOCKS		0xce
#define SB_JOURNAL_INUM			0xe0
#define SB_LAST_ORPHAN			0xe8
#define SB_DESC_SIZE			0xfe
#define SB_FIRST_META_BG		0x104
#define SB_BLOCKS_COUNT_HI		0x150
#define SB_R_BLOCKS_COUNT_HI		0x154

#define EXT4_FEATURE_COMPAT_HAS_JOURNAL		0x0004
#define EXT4_FEATURE_COMPAT_SPARSE_SUPER2	0x0200
#define EXT4_FEATURE_INCOMPAT_FILETYPE		0x0002
#define EXT4_FEATURE_INCOMPAT_RECOVER		0x0004
#define EXT4_FEATURE_INCOMPAT_JOURNAL_DEV	0x0008
#define EXT4_FEATURE_INCOMPAT_META_BG		0x0010
#define EXT4_FEATURE_INCOMPAT_EXTENTS		0x0040
#define EXT4_FEATURE_INCOMPAT_64BIT		0x0080
#define EXT4_FEATURE_INCOMPAT_MMP		0x0100
#define EXT4_FEATURE_INCOMPAT_FLEX_BG		0x0200
#define EXT4_FEATURE_INCOMPAT_EA_INODE		0x0400
#define EXT4_FEATURE_INCOMPAT_CSUM_SEED		0x2000
#define EXT4_FEATURE_INCOMPAT_LARGEDIR		0x4000
#define EXT4_FEATURE_INCOMPAT_INLINE_DATA	0x8000
#define EXT4_FEATURE_INCOMPAT_ENCRYPT		0x10000
#define EXT4_FEATURE_INCOMPAT_CASEFOLD		0x20000
#define EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER	0x0001
#define EXT4_FEATURE_RO_COMPAT_HUGE_FILE	0x0008
#define EXT4_FEATURE_RO_COMPAT_GDT_CSUM		0x0010
#define EXT4_FEATURE_RO_COMPAT_DIR_NLINK	0x0020
#define EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE	0x0040
#define EXT4_FEATURE_RO_COMPAT_BIGALLOC		0x0200
#define EXT4_FEATURE_RO_COMPAT_METADATA_CSUM	0x0400

/* What the Debian 12 kernel (6.1) mounts; anything else makes virt-df's
 * mount fail, and libguestfs is the one to say so. */
#define EXT4_INCOMPAT_SUPPORTED (EXT4_FEATURE_INCOMPAT_FILETYPE | EXT4_FEATURE_INCOMPAT_RECOVER | \
	EXT4_FEATURE_INCOMPAT_META_BG | EXT4_FEATURE_INCOMPAT_EXTENTS | EXT4_FEATURE_INCOMPAT_64BIT | \
	EXT4_FEATURE_INCOMPAT_MMP | EXT4_FEATURE_INCOMPAT_FLEX_BG | EXT4_FEATURE_INCOMPAT_EA_INODE | \
	EXT4_FEATURE_INCOMPAT_CSUM_SEED | EXT4_FEATURE_INCOMPAT_LARGEDIR | \
	EXT4_FEATURE_INCOMPAT_INLINE_DATA | EXT4_FEATURE_INCOMPAT_ENCRYPT | EXT4_FEATURE_INCOMPAT_CASEFOLD)
/* Features only ext4 (not ext3) has, as blkid tells them apart. */
#define EXT4_ONLY_INCOMPAT (EXT4_INCOMPAT_SUPPORTED & ~(EXT4_FEATURE_INCOMPAT_FILETYPE | \
	EXT4_FEATURE_INCOMPAT_RECOVER | EXT4_FEATURE_INCOMPAT_META_BG))
#define EXT4_ONLY_RO_COMPAT (EXT4_FEATURE_RO_COMPAT_HUGE_FILE | EXT4_FEATURE_RO_COMPAT_GDT_CSUM | \
	EXT4_FEATURE_RO_COMPAT_DIR_NLINK | EXT4_FEATURE_RO_COMPAT_EXTRA_ISIZE | \
	EXT4_FEATURE_RO_COMPAT_BIGALLOC | EXT4_FEATURE_RO_COMPAT_METADATA_CSUM)

/* Group descriptor (32 bytes, 64 with the 64bit feature). */
#define EXT4_DESC_SIZE_MIN		32
#define EXT4_DESC_SIZE_64BIT_MIN	64
#define BG_INODE_TABLE_LO		0x08
#define BG_FREE_BLOCKS_COUNT_LO		0x0c
#define BG_FREE_INODES_COUNT_LO		0x0e
#define BG_INODE_TABLE_HI		0x28
#define BG_FREE_BLOCKS_COUNT_HI		0x2c
#define BG_FREE_INODES_COUNT_HI		0x2e

#define EXT4_GOOD_OLD_REV		0
#define EXT4_GOOD_OLD_INODE_SIZE	128
#define EXT4_MAX_BLOCK_LOG_SIZE		6	/* 64 KiB blocks */
#define I_SIZE_LO			0x04
#define I_SIZE_HIGH			0x6c
/* ext4_calculate_resv_clusters(): 2% of the filesystem, at most 4096. */
#define EXT4_RESV_DIVISOR		50
#define EXT4_RESV_MAX			4096

struct ext_fs {
	const struct vk_blockdev *dev;
	uint8_t sb[EXT4_SB_SIZE];
	uint32_t compat, incompat, ro_compat;
	uint64_t block_size, blocks_count, r_blocks_count;
	uint32_t first_data_block, blocks_per_group, inodes_per_group, inode_size;
	uint32_t desc_size, descs_per_block, first_meta_bg;
	uint64_t groups, gdb_count, itb_per_group;
};

static int corrupt(const char *what)
{
	return vk_errorx(EUCLEAN, "ext filesystem: %s", what);
}

static int unsupported(const char *what)
{
	return vk_errorx(EOPNOTSUPP, "ext filesystem: %s", what);
}

static int is_power_of(uint64_t n, unsigned base)
{
	while (n > 1 && n % base == 0)
		n /= base;
	return n == 1;
}

/* ext4_bg_has_super() without sparse_super2 (which we refuse). */
static int has_super(const struct ext_fs *fs, uint64_t group)
{
	if (group <= 1 || !(fs->ro_compat & EXT4_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return 1;
	if (!(group & 1))
		return 0;
	return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

/* ext4_bg_num_gdb(): descriptor blocks stored in group. */
static uint64_t num_gdb(const struct ext_fs *fs, uint64_t group)
{
	uint64_t metagroup = group / fs->descs_per_block, first;

	if (!(fs->incompat & EXT4_FEATURE_INCOMPAT_META_BG) || metagroup < fs->first_meta_bg) {
		if (!has_super(fs, group))
			return 0;
		return (fs->incompat & EXT4_FEATURE_INCOMPAT_META_BG) ? fs->first_meta_bg : fs->gdb_count;
	}
	first = metagroup * fs->descs_per_block;
	return group == first || group == first + 1 || group == first + fs->descs_per_block - 1;
}

/* Block number of descriptor block i (ext4's descriptor_loc()). */
static uint64_t descriptor_block(const struct ext_fs *fs, uint64_t i)
{
	uint64_t group;

	if (!(fs->incompat & EXT4_FEATURE_INCOMPAT_META_BG) || i < fs->first_meta_bg)
		return fs->first_data_block + 1 + i;
	group = i * fs->descs_per_block;
	return group * fs->blocks_per_group + fs->first_data_block + (uint64_t)has_super(fs, group);
}

static int read_geometry(struct ext_fs *fs)
{
	const uint8_t *sb = fs->sb;
	uint32_t log = vk_le32(sb + SB_LOG_BLOCK_SIZE);
	uint64_t inodes_count = vk_le32(sb + SB_INODES_COUNT);

	fs->compat = vk_le32(sb + SB_FEATURE_COMPAT);
	fs->incompat = vk_le32(sb + SB_FEATURE_INCOMPAT);
	fs->ro_compat = vk_le32(sb + SB_FEATURE_RO_COMPAT);
	if (fs->incompat & ~(uint32_t)EXT4_INCOMPAT_SUPPORTED)
		return unsupported("incompatible features the guest kernel does not mount");
	if (fs->incompat & EXT4_FEATURE_INCOMPAT_RECOVER)
		return unsupported("journal needs recovery; mounting would change the counts");
	if (vk_le32(sb + SB_LAST_ORPHAN) != 0)
		return unsupported("orphan inodes would be released at mount");
	if (fs->ro_compat & EXT4_FEATURE_RO_COMPAT_BIGALLOC)
		return unsupported("bigalloc");
	if (fs->compat & EXT4_FEATURE_COMPAT_SPARSE_SUPER2)
		return unsupported("sparse_super2");
	if (log > EXT4_MAX_BLOCK_LOG_SIZE)
		return corrupt("block size too large");
	fs->block_size = 1024u << log;
	fs->blocks_count = vk_le32(sb + SB_BLOCKS_COUNT_LO);
	fs->r_blocks_count = vk_le32(sb + SB_R_BLOCKS_COUNT_LO);
	if (fs->incompat & EXT4_FEATURE_INCOMPAT_64BIT) {
		fs->blocks_count |= (uint64_t)vk_le32(sb + SB_BLOCKS_COUNT_HI) << 32;
		fs->r_blocks_count |= (uint64_t)vk_le32(sb + SB_R_BLOCKS_COUNT_HI) << 32;
		fs->desc_size = vk_le16(sb + SB_DESC_SIZE);
		if (fs->desc_size < EXT4_DESC_SIZE_64BIT_MIN || fs->desc_size > fs->block_size ||
		    (fs->desc_size & (fs->desc_size - 1)))
			return corrupt("bad group descriptor size");
	} else {
		fs->desc_size = EXT4_DESC_SIZE_MIN;
	}
	fs->first_data_block = vk_le32(sb + SB_FIRST_DATA_BLOCK);
	fs->blocks_per_group = vk_le32(sb + SB_BLOCKS_PER_GROUP);
	fs->inodes_per_group = vk_le32(sb + SB_INODES_PER_GROUP);
	fs->first_meta_bg = vk_le32(sb + SB_FIRST_META_BG);
	if (vk_le32(sb + SB_REV_LEVEL) == EXT4_GOOD_OLD_REV)
		fs->inode_size = EXT4_GOOD_OLD_INODE_SIZE;
	else
		fs->inode_size = vk_le16(sb + SB_INODE_SIZE);
	if (fs->inode_size < EXT4_GOOD_OLD_INODE_SIZE || fs->inode_size > fs->block_size ||
	    (fs->inode_size & (fs->inode_size - 1)))
		return corrupt("bad inode size");
	/* The kernel's own mount-time checks. */
	if (fs->blocks_per_group == 0 || fs->blocks_per_group > 8 * fs->block_size)
		return corrupt("bad blocks per group");
	if (fs->inodes_per_group == 0 || fs->inodes_per_group > 8 * fs->block_size)
		return corrupt("bad inodes per group");
	if (fs->blocks_count == 0 || fs->first_data_block >= fs->blocks_count)
		return corrupt("bad block count");
	if (fs->blocks_count > fs->dev->size / fs->block_size)
		return corrupt("block count exceeds the size of the device");
	if (fs->r_blocks_count > fs->blocks_count)
		return corrupt("reserved block count exceeds the block count");
	fs->groups = (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) /
		     fs->blocks_per_group;
	if (fs->groups * fs->inodes_per_group != inodes_count)
		return corrupt("inode count does not match the group count");
	fs->descs_per_block = (uint32_t)(fs->block_size / fs->desc_size);
	fs->gdb_count = (fs->groups + fs->descs_per_block - 1) / fs->descs_per_block;
	if ((fs->incompat & EXT4_FEATURE_INCOMPAT_META_BG) && fs->first_meta_bg > fs->gdb_count)
		return corrupt("first meta block group beyond the descriptors");
	fs->itb_per_group = ((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size - 1) /
			    fs->block_size;
	return 0;
}

/* Sum the free counts of every group descriptor (ext4_count_free_clusters()
 * and ext4_count_free_inodes(): the superblock's own totals are stale
 * while mounted and the kernel never trusts them). */
static int sum_descriptors(struct ext_fs *fs, uint64_t *free_blocks, uint64_t *free_inodes,
			   uint64_t *journal_itable, uint32_t journal_group)
{
	uint8_t *blk = malloc(fs->block_size);
	uint64_t i, group = 0;
	int rc = 0;

	if (!blk)
		return vk_error(ENOMEM, "ext group descriptors");
	*free_blocks = *free_inodes = 0;
	for (i = 0; i < fs->gdb_count && group < fs->groups; i++) {
		uint64_t block = descriptor_block(fs, i), d;

		if (block >= fs->blocks_count) {
			rc = corrupt("group descriptors beyond the filesystem");
			goto out;
		}
		rc = vk_blockdev_read(fs->dev, blk, fs->block_size, block * fs->block_size);
		if (rc < 0)
			goto out;
		for (d = 0; d < fs->descs_per_block && group < fs->groups; d++, group++) {
			const uint8_t *gd = blk + d * fs->desc_size;
			uint64_t fb = vk_le16(gd + BG_FREE_BLOCKS_COUNT_LO);
			uint64_t fi = vk_le16(gd + BG_FREE_INODES_COUNT_LO);
			uint64_t itable = vk_le32(gd + BG_INODE_TABLE_LO);

			if (fs->desc_size >= EXT4_DESC_SIZE_64BIT_MIN) {
				fb |= (uint64_t)vk_le16(gd + BG_FREE_BLOCKS_COUNT_HI) << 16;
				fi |= (uint64_t)vk_le16(gd + BG_FREE_INODES_COUNT_HI) << 16;
				itable |= (uint64_t)vk_le32(gd + BG_INODE_TABLE_HI) << 32;
			}
			*free_blocks += fb;
			*free_inodes += fi;
			if (group == journal_group)
				*journal_itable = itable;
		}
	}
out:
	free(blk);
	return rc;
}

/* Length in blocks of the internal journal (jbd2 takes i_size). */
static int journal_blocks(struct ext_fs *fs, uint32_t ino, uint64_t itable, uint64_t *out)
{
	uint8_t inode[EXT4_GOOD_OLD_INODE_SIZE];
	uint64_t index = (ino - 1) % fs->inodes_per_group, size;
	int rc;

	if (itable >= fs->blocks_count ||
	    fs->itb_per_group > fs->blocks_count - itable)
		return corrupt("inode table beyond the filesystem");
	rc = vk_blockdev_read(fs->dev, inode, sizeof inode,
			      itable * fs->block_size + index * fs->inode_size);
	if (rc < 0)
		return rc;
	size = vk_le32(inode + I_SIZE_LO) | (uint64_t)vk_le32(inode + I_SIZE_HIGH) << 32;
	*out = size / fs->block_size;
	if (*out > fs->blocks_count)
		return corrupt("journal larger than the filesystem");
	return 0;
}

/* ext4_calculate_overhead() for filesystems without bigalloc. */
static uint64_t overhead_blocks(const struct ext_fs *fs)
{
	const uint8_t *sb = fs->sb;
	uint64_t g, total = fs->first_data_block;
	uint64_t reserved_gdt = vk_le16(sb + SB_RESERVED_GDT_BLOCKS);

	for (g = 0; g < fs->groups; g++) {
		int sup = has_super(fs, g);

		total += (uint64_t)sup + num_gdb(fs, g) + (sup ? reserved_gdt : 0) +
			 fs->itb_per_group + 2;	/* + block and inode bitmaps */
	}
	return total;
}

static const char *ext_type(const struct ext_fs *fs)
{
	if (!(fs->compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL) && !(fs->incompat & EXT4_ONLY_INCOMPAT) &&
	    !(fs->ro_compat & EXT4_ONLY_RO_COMPAT))
		return "ext2";
	if ((fs->incompat & EXT4_ONLY_INCOMPAT) || (fs->ro_compat & EXT4_ONLY_RO_COMPAT))
		return "ext4";
	return "ext3";
}

int vk_fs_ext_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out)
{
	struct ext_fs fs = { .dev = dev };
	uint64_t free_blocks = 0, free_inodes = 0, overhead, resv = 0, jitable = UINT64_MAX, jblocks = 0;
	uint32_t jino = 0, jgroup = UINT32_MAX;
	int rc;

	if (dev->size < EXT4_SB_OFFSET + EXT4_SB_SIZE)
		return 0;
	rc = vk_blockdev_read(dev, fs.sb, sizeof fs.sb, EXT4_SB_OFFSET);
	if (rc < 0)
		return rc;
	if (vk_le16(fs.sb + SB_MAGIC) != EXT4_SUPER_MAGIC)
		return 0;
	out->type = "ext4";
	if (vk_le32(fs.sb + SB_FEATURE_INCOMPAT) & EXT4_FEATURE_INCOMPAT_JOURNAL_DEV) {
		/* An external journal: blkid says "jbd", and nothing mounts it. */
		out->type = "jbd";
		out->kind = VK_FS_IGNORED;
		return 1;
	}
	rc = read_geometry(&fs);
	if (rc < 0)
		return rc;
	out->type = ext_type(&fs);
	if (fs.compat & EXT4_FEATURE_COMPAT_HAS_JOURNAL) {
		jino = vk_le32(fs.sb + SB_JOURNAL_INUM);
		if (jino != 0) {
			if (jino > (uint64_t)fs.groups * fs.inodes_per_group)
				return corrupt("journal inode number out of range");
			jgroup = (jino - 1) / fs.inodes_per_group;
		}
	}
	rc = sum_descriptors(&fs, &free_blocks, &free_inodes, &jitable, jgroup);
	if (rc < 0)
		return rc;
	if (jino != 0) {
		rc = journal_blocks(&fs, jino, jitable, &jblocks);
		if (rc < 0)
			return rc;
	}
	overhead = overhead_blocks(&fs) + jblocks;
	if (overhead > fs.blocks_count)
		return corrupt("metadata larger than the filesystem");
	if (free_blocks > fs.blocks_count - overhead)
		return corrupt("more free blocks than blocks");
	if (free_inodes > vk_le32(fs.sb + SB_INODES_COUNT))
		return corrupt("more free inodes than inodes");
	if (fs.incompat & EXT4_FEATURE_INCOMPAT_EXTENTS) {
		resv = fs.blocks_count / EXT4_RESV_DIVISOR;
		if (resv > EXT4_RESV_MAX)
			resv = EXT4_RESV_MAX;
	}
	out->kind = VK_FS_STAT;
	out->stat.bsize = fs.block_size;
	out->stat.blocks = fs.blocks_count - overhead;
	out->stat.bfree = free_blocks;
	out->stat.bavail = free_blocks > fs.r_blocks_count + resv ?
			   free_blocks - fs.r_blocks_count - resv : 0;
	out->stat.files = vk_le32(fs.sb + SB_INODES_COUNT);
	out->stat.ffree = free_inodes;
	return 1;
}
