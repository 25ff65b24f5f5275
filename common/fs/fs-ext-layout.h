/* fs-ext-layout.h - ext2/3/4 on-disk layout shared by the statfs probe (fs-ext.c) and the file reader (extfs.c). */
#ifndef VK_FS_EXT_LAYOUT_H
#define VK_FS_EXT_LAYOUT_H

#include <stdint.h>

#include "common/image/blockdev.h"

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
#define SB_UUID				0x68
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

struct ext_fs {
	const struct vk_blockdev *dev;
	uint8_t sb[EXT4_SB_SIZE];
	uint32_t compat, incompat, ro_compat;
	uint64_t block_size, blocks_count, r_blocks_count;
	uint32_t first_data_block, blocks_per_group, inodes_per_group, inode_size;
	uint32_t desc_size, descs_per_block, first_meta_bg;
	uint64_t groups, gdb_count, itb_per_group;
};

/*
 * Fill in fs's geometry from fs->sb (already read): refuses the features
 * the Debian 12 kernel does not mount, bigalloc, sparse_super2 and a journal
 * that needs recovery, and checks every count against the device the way
 * the kernel does at mount time.  0 or -errno with a message.
 */
int vk_ext_read_geometry(struct ext_fs *fs);

/* "ext2", "ext3" or "ext4", told apart by features as blkid does. */
const char *vk_ext_type(const struct ext_fs *fs);

/* Block number of group descriptor block i (ext4's descriptor_loc()). */
uint64_t vk_ext_descriptor_block(const struct ext_fs *fs, uint64_t i);

#endif
