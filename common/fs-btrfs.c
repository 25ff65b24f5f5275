/* fs-btrfs.c - Btrfs: recognised here, figures left to libguestfs (see docs/vdf.md). */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/error.h"
#include "common/fsprobe.h"

#define BTRFS_SUPER_INFO_OFFSET	65536
#define BTRFS_MAGIC_OFFSET	64
#define BTRFS_MAGIC		"_BHRfS_M"

int vk_fs_btrfs_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out)
{
	uint8_t magic[8];
	int rc;

	if (dev->size < BTRFS_SUPER_INFO_OFFSET + BTRFS_MAGIC_OFFSET + sizeof magic)
		return 0;
	rc = vk_blockdev_read(dev, magic, sizeof magic, BTRFS_SUPER_INFO_OFFSET + BTRFS_MAGIC_OFFSET);
	if (rc < 0)
		return rc;
	if (memcmp(magic, BTRFS_MAGIC, sizeof magic) != 0)
		return 0;
	/* statfs on Btrfs depends on the in-memory global block reserve,
	 * sized from several trees at mount: libguestfs computes it. */
	out->kind = VK_FS_FOREIGN;
	out->type = "btrfs";
	return 1;
}
