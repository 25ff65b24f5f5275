/* partition.h - MBR and GPT partition tables, numbered the way Linux numbers them. */
#ifndef VK_PARTITION_H
#define VK_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "common/image/blockdev.h"

#define VK_SECTOR_SIZE 512u
/* Linux's limit on partitions per disk (DISK_MAX_PARTS). */
#define VK_PARTITIONS_MAX 256u

enum vk_ptable_kind {
	VK_PTABLE_NONE = 0,	/* the disk holds one filesystem, or nothing */
	VK_PTABLE_MBR,
	VK_PTABLE_GPT,
};

struct vk_partition {
	unsigned number;	/* /dev/sdaN: 1-4 primary, 5.. logical, GPT slot + 1 */
	uint64_t start;		/* bytes from the start of the disk */
	uint64_t size;		/* bytes */
};

struct vk_ptable {
	enum vk_ptable_kind kind;
	size_t count;
	struct vk_partition parts[VK_PARTITIONS_MAX];
};

/*
 * Read the partition table of disk into *out, in /dev/sdaN order.  The
 * rules are the kernel's (block/partitions/msdos.c, efi.c): GPT wins when
 * the MBR is protective and a header with valid CRCs is found (primary,
 * else backup); extended partitions are followed as a chain of EBRs, at
 * most VK_PARTITIONS_MAX links; MBR container partitions themselves are
 * not listed, since they hold no filesystem.  Partitions that stick out
 * of the disk are dropped, as the kernel does.  0 or -errno.
 */
int vk_ptable_read(const struct vk_blockdev *disk, struct vk_ptable *out);

/* "mbr", "gpt", "none" */
const char *vk_ptable_kind_name(enum vk_ptable_kind kind);

#endif
