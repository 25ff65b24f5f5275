/* extfs.h - read directories and files of an ext2/3/4 filesystem straight from a disk, without mounting it. */
#ifndef VK_EXTFS_H
#define VK_EXTFS_H

#include <stdint.h>

#include "common/image/blockdev.h"

/*
 * Read-only, and only what finding a kernel needs: path lookup, directory
 * listing, copying a regular file out.  Block maps (ext2/3) and extent
 * trees (ext4) are both read; inline data, encrypted inodes, journal
 * recovery, bigalloc and features Debian 12's kernel would not mount are
 * refused with -EOPNOTSUPP.  The disk is hostile: every block number,
 * length and directory record is checked before use (corruption gives
 * -EUCLEAN), and the work done is bounded by the size of what is read.
 * Checksums are not verified.
 */
struct vk_extfs;

#define VK_EXTFS_ROOT_INO 2		/* EXT4_ROOT_INO */
#define VK_EXTFS_DIR_MAX (16u << 20)	/* the largest directory listed */

/* 1 with *out open, 0 when dev holds no ext2/3/4 superblock, -errno when
 * it does but it is corrupt or uses what we do not read. */
int vk_extfs_open(const struct vk_blockdev *dev, struct vk_extfs **out);
void vk_extfs_close(struct vk_extfs *fs);

/* "ext2", "ext3" or "ext4", as blkid says. */
const char *vk_extfs_type(const struct vk_extfs *fs);

/* The filesystem UUID as root=UUID= wants it; "" when it is all zeros. */
void vk_extfs_uuid(const struct vk_extfs *fs, char out[37]);

struct vk_extfs_stat {
	uint32_t ino;
	uint16_t mode;		/* S_IFMT bits and permissions, as st_mode */
	uint64_t size;
};

/* Follow an absolute path from the root; symbolic links are not followed
 * (a link in the path is -ELOOP).  0, -ENOENT, -ENOTDIR or -errno. */
int vk_extfs_lookup(struct vk_extfs *fs, const char *path, struct vk_extfs_stat *st);

int vk_extfs_stat(struct vk_extfs *fs, uint32_t ino, struct vk_extfs_stat *st);

/* Call fn for each entry of directory ino, "." and ".." included; a
 * non-zero return from fn stops the walk and is returned. */
typedef int (*vk_extfs_dirent_fn)(void *opaque, const char *name, uint32_t ino);
int vk_extfs_readdir(struct vk_extfs *fs, uint32_t ino, vk_extfs_dirent_fn fn, void *opaque);

/* Write regular file ino into fd (from offset 0, holes left as holes);
 * -EFBIG when it is larger than max_size. */
int vk_extfs_copy_out(struct vk_extfs *fs, uint32_t ino, int fd, uint64_t max_size);

#endif
