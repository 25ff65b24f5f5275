/* fsprobe.c - which filesystem a device holds: our parsers first, then signatures of the rest. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/util/error.h"
#include "common/fs/fsprobe.h"

/*
 * Signatures of what we leave to libguestfs: when one of these is found the
 * whole guest goes through the appliance, which knows how to assemble and
 * mount it.  Offsets and magics are the ones blkid (libblkid/src/superblocks)
 * looks for; a device matching none of them and none of our parsers is
 * treated as blank, as blkid would.
 */
struct foreign_sig {
	const char *type;
	uint64_t offset;	/* from the start of the device */
	size_t len;
	const char *magic;
};

static const struct foreign_sig foreign_sigs[] = {
	{ "LVM2_member", 512 + 24, 8, "LVM2 001" },
	{ "LVM2_member", 24, 8, "LVM2 001" },
	{ "LVM2_member", 1024 + 24, 8, "LVM2 001" },
	{ "LVM2_member", 1536 + 24, 8, "LVM2 001" },
	{ "ntfs", 3, 8, "NTFS    " },
	{ "exfat", 3, 8, "EXFAT   " },
	{ "crypto_LUKS", 0, 6, "LUKS\xba\xbe" },
	{ "crypto_LUKS", 0, 6, "SKUL\xba\xbe" },
	{ "linux_raid_member", 0, 4, "\xfc\x4e\x2b\xa9" },	/* md 1.1 */
	{ "linux_raid_member", 4096, 4, "\xfc\x4e\x2b\xa9" },	/* md 1.2 */
	{ "udf", 32769, 5, "BEA01" },	/* pure UDF; ISO 9660 bridges: fs-iso9660.c */
	{ "squashfs", 0, 4, "hsqs" },
	{ "f2fs", 1024, 4, "\x10\x20\xf5\xf2" },
	{ "jfs", 32768, 4, "JFS1" },
	{ "reiserfs", 65536 + 52, 8, "ReIsErFs" },
	{ "reiserfs", 65536 + 52, 9, "ReIsEr2Fs" },
	{ "reiserfs", 65536 + 52, 9, "ReIsEr3Fs" },
	{ "hfsplus", 1024, 2, "H+" },
	{ "hfsplus", 1024, 2, "HX" },
	{ "nilfs2", 1024 + 6, 2, "\x34\x34" },
	{ "erofs", 1024, 4, "\xe2\xe1\xf5\xe0" },
	{ "gfs2", 65536, 4, "\x01\x16\x19\x70" },
	{ "bcache", 4096 + 24, 16, "\xc6\x85\x73\xf6\x4e\x1a\x45\xca\x82\x65\xf5\x7f\x48\xba\x6d\x81" },
	{ "zfs_member", 8192, 8, "\x0c\xb1\xba\x00\x00\x00\x00\x00" },
	{ "ufs", 8192 + 1372, 4, "\x54\x19\x01\x00" },
	{ "ufs", 65536 + 1372, 4, "\x19\x01\x54\x19" },
};

/* Swap: "SWAPSPACE2" / "SWAP-SPACE" ending the first page, any page size. */
static const uint64_t swap_page_sizes[] = { 4096, 8192, 16384, 65536 };
#define SWAP_MAGIC_LEN 10

static int match_at(const struct vk_blockdev *dev, uint64_t off, const void *magic, size_t len)
{
	uint8_t buf[16];
	int rc;

	if (len > sizeof buf || off > dev->size || len > dev->size - off)
		return 0;
	rc = vk_blockdev_read(dev, buf, len, off);
	if (rc < 0)
		return rc;
	return memcmp(buf, magic, len) == 0;
}

static int is_swap(const struct vk_blockdev *dev)
{
	size_t i;
	int rc;

	for (i = 0; i < sizeof swap_page_sizes / sizeof swap_page_sizes[0]; i++) {
		uint64_t off = swap_page_sizes[i] - SWAP_MAGIC_LEN;

		rc = match_at(dev, off, "SWAPSPACE2", SWAP_MAGIC_LEN);
		if (rc == 0)
			rc = match_at(dev, off, "SWAP-SPACE", SWAP_MAGIC_LEN);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* md 0.90 keeps its superblock in the last 64 KiB-aligned 64 KiB. */
#define MD_RESERVED_BYTES 65536
static int is_md090(const struct vk_blockdev *dev)
{
	uint64_t off;

	if (dev->size < 2 * MD_RESERVED_BYTES)
		return 0;
	off = (dev->size & ~(uint64_t)(MD_RESERVED_BYTES - 1)) - MD_RESERVED_BYTES;
	return match_at(dev, off, "\xfc\x4e\x2b\xa9", 4);
}

typedef int (*fs_probe_fn)(const struct vk_blockdev *dev, struct vk_fs_probe *out);

/* The parsers that compute figures themselves, most common first. */
static const fs_probe_fn parsers[] = {
	vk_fs_ext_probe,
	vk_fs_xfs_probe,
	vk_fs_vfat_probe,
	vk_fs_btrfs_probe,
	vk_fs_iso9660_probe,
};

int vk_fsprobe(const struct vk_blockdev *dev, struct vk_fs_probe *out)
{
	size_t i;
	int rc;

	memset(out, 0, sizeof *out);
	/* Foreign signatures first: an LVM PV or RAID member can carry a stale
	 * filesystem superblock further in, which blkid would not report. */
	for (i = 0; i < sizeof foreign_sigs / sizeof foreign_sigs[0]; i++) {
		const struct foreign_sig *s = &foreign_sigs[i];

		rc = match_at(dev, s->offset, s->magic, s->len);
		if (rc < 0)
			return rc;
		if (rc) {
			out->kind = VK_FS_FOREIGN;
			out->type = s->type;
			return 0;
		}
	}
	rc = is_md090(dev);
	if (rc < 0)
		return rc;
	if (rc) {
		out->kind = VK_FS_FOREIGN;
		out->type = "linux_raid_member";
		return 0;
	}
	rc = is_swap(dev);
	if (rc < 0)
		return rc;
	if (rc) {
		out->kind = VK_FS_IGNORED;
		out->type = "swap";
		return 0;
	}
	for (i = 0; i < sizeof parsers / sizeof parsers[0]; i++) {
		rc = parsers[i](dev, out);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return out->kind == VK_FS_STAT ? vk_fs_stat_check(out->type, &out->stat) : 0;
		memset(out, 0, sizeof *out);
	}
	return 0;
}

/* Each type's repair tool, for the message that says it is needed. */
static const struct {
	const char *type, *tool;
} repair_tools[] = {
	{ "ext2", "e2fsck" }, { "ext3", "e2fsck" }, { "ext4", "e2fsck" },
	{ "xfs", "xfs_repair" }, { "vfat", "fsck.vfat" }, { "btrfs", "btrfs check" },
};

const char *vk_fs_repair_tool(const char *type)
{
	for (size_t i = 0; type && i < sizeof repair_tools / sizeof repair_tools[0]; i++)
		if (!strcmp(type, repair_tools[i].type))
			return repair_tools[i].tool;
	return "its fsck";
}

static int disagree(const char *type, const char *why, uint64_t a, uint64_t b)
{
	return vk_errorx(EUCLEAN, "%s counters disagree (%s %" PRIu64 " > total %" PRIu64 "); "
			 "the filesystem needs %s", type ? type : "filesystem", why, a, b, vk_fs_repair_tool(type));
}

/* The last line of defence for every reader (and for libguestfs's
 * statvfs, in vdf): figures a df prints must not wrap or go negative. */
int vk_fs_stat_check(const char *type, const struct vk_fs_stat *st)
{
	if (st->bsize == 0 || (st->bsize & (st->bsize - 1)))
		return vk_errorx(EUCLEAN, "%s counters disagree (block size %" PRIu64 " is not a power of two); "
				 "the filesystem needs %s", type ? type : "filesystem", st->bsize,
				 vk_fs_repair_tool(type));
	if (st->blocks > UINT64_MAX / st->bsize)
		return vk_errorx(EUCLEAN, "%s counters disagree (%" PRIu64 " blocks of %" PRIu64 " bytes is more "
				 "than 16 EiB); the filesystem needs %s", type ? type : "filesystem", st->blocks,
				 st->bsize, vk_fs_repair_tool(type));
	if (st->bfree > st->blocks)
		return disagree(type, "free blocks", st->bfree, st->blocks);
	if (st->bavail > st->blocks)
		return disagree(type, "available blocks", st->bavail, st->blocks);
	if (st->ffree > st->files)
		return disagree(type, "free inodes", st->ffree, st->files);
	return 0;
}
