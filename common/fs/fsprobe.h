/* fsprobe.h - filesystem identification and free-space figures read from the image itself. */
#ifndef VK_FSPROBE_H
#define VK_FSPROBE_H

#include <stdint.h>

#include "common/image/blockdev.h"

/*
 * What statvfs(2) would say inside a guest that mounted the filesystem
 * read-only, computed from on-disk counters the way the Linux driver does
 * at mount time (docs/vdf.md lists each rule and where a live guest can
 * differ).
 */
struct vk_fs_stat {
	uint64_t bsize;		/* f_bsize */
	uint64_t blocks;	/* f_blocks, in bsize units */
	uint64_t bfree;		/* f_bfree */
	uint64_t bavail;	/* f_bavail */
	uint64_t files;		/* f_files */
	uint64_t ffree;		/* f_ffree */
};

enum vk_fs_kind {
	VK_FS_NONE = 0,		/* no signature we know: blkid would find nothing */
	VK_FS_STAT,		/* read here; stat is filled in */
	VK_FS_IGNORED,		/* swap: virt-df shows nothing for it */
	VK_FS_FOREIGN,		/* LVM, NTFS, RAID, ...: only libguestfs can say */
};

struct vk_fs_probe {
	enum vk_fs_kind kind;
	const char *type;	/* "ext4", "xfs", "vfat", "btrfs", "swap", "LVM2_member", ... */
	struct vk_fs_stat stat;
};

/*
 * Identify the filesystem on dev and, for the types read here, compute its
 * figures.  0 with *out filled in, or -errno when a recognised filesystem
 * is corrupt (every on-disk field is checked before it is used).
 */
int vk_fsprobe(const struct vk_blockdev *dev, struct vk_fs_probe *out);

/* The tool that repairs a filesystem of this type ("xfs_repair"). */
const char *vk_fs_repair_tool(const char *type);

/* 0 when st holds figures a df can print without wrapping: a power-of-two
 * block size, a size in bytes that fits 64 bits, free and available blocks
 * at most the total, free inodes at most the inodes.  Else -EUCLEAN with
 * "TYPE counters disagree (free blocks 1234 > total 1000); the filesystem
 * needs TOOL".  vk_fsprobe() checks every reader's figures with it; vdf
 * checks libguestfs's. */
int vk_fs_stat_check(const char *type, const struct vk_fs_stat *st);

/* One parser per filesystem: 1 = recognised (stat filled in), 0 = not this
 * type, -errno = this type but corrupt or unsupported. */
int vk_fs_ext_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out);
int vk_fs_xfs_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out);
int vk_fs_vfat_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out);
int vk_fs_btrfs_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out);
int vk_fs_iso9660_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out);

#endif
