/* fs-ext.c - ext2/3/4 superblock and group descriptors: statfs figures as fs/ext4 computes them. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/fs/fs-ext-layout.h"
#include "common/fs/fsprobe.h"

/* The inode fields the journal length needs. */
#define I_SIZE_LO			0x04
#define I_SIZE_HIGH			0x6c
/* ext4_calculate_resv_clusters(): 2% of the filesystem, at most 4096. */
#define EXT4_RESV_DIVISOR		50
#define EXT4_RESV_MAX			4096

static int corrupt(const char *what)
{
	return vk_errorx(EUCLEAN, "ext filesystem: %s; the filesystem needs e2fsck", what);
}

static int disagree(const char *type, const char *where, const char *what, uint64_t count, uint64_t total,
		    const char *total_is)
{
	return vk_errorx(EUCLEAN, "%s %s disagree (%s %" PRIu64 " > %s %" PRIu64 "); the filesystem needs e2fsck",
			 type, where, what, count, total_is, total);
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

uint64_t vk_ext_descriptor_block(const struct ext_fs *fs, uint64_t i)
{
	uint64_t group;

	if (!(fs->incompat & EXT4_FEATURE_INCOMPAT_META_BG) || i < fs->first_meta_bg)
		return fs->first_data_block + 1 + i;
	group = i * fs->descs_per_block;
	return group * fs->blocks_per_group + fs->first_data_block + (uint64_t)has_super(fs, group);
}

int vk_ext_read_geometry(struct ext_fs *fs)
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
		uint64_t block = vk_ext_descriptor_block(fs, i), d;

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
			/* A group cannot have more free than it has: checked here,
			 * the sums cannot wrap either. */
			if (fb > fs->blocks_per_group) {
				rc = disagree(vk_ext_type(fs), "group descriptors", "free blocks in a group", fb,
					      fs->blocks_per_group, "blocks per group");
				goto out;
			}
			if (fi > fs->inodes_per_group) {
				rc = disagree(vk_ext_type(fs), "group descriptors", "free inodes in a group", fi,
					      fs->inodes_per_group, "inodes per group");
				goto out;
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

const char *vk_ext_type(const struct ext_fs *fs)
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
	rc = vk_ext_read_geometry(&fs);
	if (rc < 0)
		return rc;
	if (vk_le32(fs.sb + SB_LAST_ORPHAN) != 0)
		return unsupported("orphan inodes would be released at mount");
	out->type = vk_ext_type(&fs);
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
		return disagree(out->type, "counters", "free blocks", free_blocks, fs.blocks_count - overhead,
				"total (blocks less metadata)");
	if (free_inodes > vk_le32(fs.sb + SB_INODES_COUNT))
		return disagree(out->type, "counters", "free inodes", free_inodes, vk_le32(fs.sb + SB_INODES_COUNT),
				"total");
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
