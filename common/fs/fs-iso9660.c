/* fs-iso9660.c - ISO 9660 (install media): statfs figures as fs/isofs gives them. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/util/error.h"
#include "common/fs/fsprobe.h"

/* Volume descriptors (ECMA-119, 8.1): 2048-byte sectors from sector 16. */
#define ISO_SECTOR_SIZE		2048
#define ISO_VD_FIRST_SECTOR	16
#define ISO_VD_MAX		32	/* look no further for the terminator */
#define ISO_VD_TYPE		0
#define ISO_VD_ID		1
#define ISO_VD_ID_LEN		5
#define ISO_VD_PRIMARY		1
#define ISO_VD_TERMINATOR	255
#define PVD_VOLUME_SPACE_SIZE	80	/* both-endian 32-bit: LE first */
#define PVD_LOGICAL_BLOCK_SIZE	128	/* both-endian 16-bit: LE first */

static int corrupt(const char *what)
{
	return vk_errorx(EUCLEAN, "iso9660 filesystem: %s", what);
}

int vk_fs_iso9660_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out)
{
	uint8_t vd[ISO_SECTOR_SIZE];
	uint64_t zones = 0, zone_size = 0;
	unsigned i;
	int rc, have_pvd = 0;

	if (dev->size < (ISO_VD_FIRST_SECTOR + 1) * ISO_SECTOR_SIZE)
		return 0;
	rc = vk_blockdev_read(dev, vd, sizeof vd, ISO_VD_FIRST_SECTOR * ISO_SECTOR_SIZE);
	if (rc < 0)
		return rc;
	if (memcmp(vd + ISO_VD_ID, "CD001", ISO_VD_ID_LEN) != 0)
		return 0;
	out->type = "iso9660";
	for (i = 0; i < ISO_VD_MAX; i++) {
		uint64_t off = (uint64_t)(ISO_VD_FIRST_SECTOR + i) * ISO_SECTOR_SIZE;

		if (off + ISO_SECTOR_SIZE > dev->size)
			break;
		rc = vk_blockdev_read(dev, vd, sizeof vd, off);
		if (rc < 0)
			return rc;
		/* A UDF bridge disc: blkid calls it udf, and UDF's statfs is
		 * another story: leave it to libguestfs. */
		if (memcmp(vd + ISO_VD_ID, "NSR02", ISO_VD_ID_LEN) == 0 ||
		    memcmp(vd + ISO_VD_ID, "NSR03", ISO_VD_ID_LEN) == 0) {
			out->type = "udf";
			out->kind = VK_FS_FOREIGN;
			return 1;
		}
		if (memcmp(vd + ISO_VD_ID, "CD001", ISO_VD_ID_LEN) == 0 &&
		    vd[ISO_VD_TYPE] == ISO_VD_PRIMARY && !have_pvd) {
			zones = vk_le32(vd + PVD_VOLUME_SPACE_SIZE);
			zone_size = vk_le16(vd + PVD_LOGICAL_BLOCK_SIZE);
			have_pvd = 1;
		}
		if (vd[ISO_VD_TYPE] == ISO_VD_TERMINATOR &&
		    memcmp(vd + ISO_VD_ID, "CD001", ISO_VD_ID_LEN) == 0)
			break;
	}
	if (!have_pvd)
		return corrupt("no primary volume descriptor");
	/* isofs accepts 512, 1024 and 2048-byte logical blocks and then uses
	 * that size as its block size. */
	if (zone_size != 512 && zone_size != 1024 && zone_size != 2048)
		return corrupt("bad logical block size");
	out->kind = VK_FS_STAT;
	out->stat.bsize = zone_size;
	out->stat.blocks = zones;	/* read-only media: nothing is free */
	out->stat.bfree = 0;
	out->stat.bavail = 0;
	out->stat.files = 0;		/* isofs does not count inodes */
	out->stat.ffree = 0;
	return 1;
}
