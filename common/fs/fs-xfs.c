/* fs-xfs.c - XFS superblock: statfs figures as fs/xfs computes them for a read-only mount. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/util/error.h"
#include "common/fs/fsprobe.h"

/* Superblock, big-endian (xfs_format.h, struct xfs_dsb). */
#define XFS_SB_MAGIC		0x58465342	/* "XFSB" */
#define XFS_SB_SIZE		512
#define SB_BLOCKSIZE		4
#define SB_DBLOCKS		8
#define SB_RBLOCKS		16
#define SB_LOGSTART		48
#define SB_AGBLOCKS		84
#define SB_AGCOUNT		88
#define SB_LOGBLOCKS		96
#define SB_VERSIONNUM		100
#define SB_INODESIZE		104
#define SB_INOPBLOCK		106
#define SB_BLOCKLOG		120
#define SB_INODELOG		122
#define SB_INOPBLOG		123
#define SB_INPROGRESS		126
#define SB_IMAX_PCT		127
#define SB_ICOUNT		128
#define SB_IFREE		136
#define SB_FDBLOCKS		144
#define SB_FEATURES_INCOMPAT	216

#define XFS_SB_VERSION_NUMBITS	0x000f
#define XFS_SB_VERSION_4	4
#define XFS_SB_VERSION_5	5
#define XFS_SB_FEAT_INCOMPAT_FTYPE	(1u << 0)
#define XFS_SB_FEAT_INCOMPAT_SPINODES	(1u << 1)
#define XFS_SB_FEAT_INCOMPAT_META_UUID	(1u << 2)
#define XFS_SB_FEAT_INCOMPAT_BIGTIME	(1u << 3)
#define XFS_SB_FEAT_INCOMPAT_NREXT64	(1u << 5)
/* What the 6.1 kernel mounts (NEEDSREPAIR makes it refuse). */
#define XFS_SB_FEAT_INCOMPAT_KNOWN (XFS_SB_FEAT_INCOMPAT_FTYPE | XFS_SB_FEAT_INCOMPAT_SPINODES | \
	XFS_SB_FEAT_INCOMPAT_META_UUID | XFS_SB_FEAT_INCOMPAT_BIGTIME | XFS_SB_FEAT_INCOMPAT_NREXT64)

#define XFS_MIN_BLOCKSIZE_LOG	9
#define XFS_MAX_BLOCKSIZE_LOG	16
#define XFS_INODES_PER_CHUNK	64
/* xfs_alloc_set_aside(): blocks per AG kept back for AGFL refills and
 * btree splits, never shown as free (XFS_ALLOCBT_AGFL_RESERVE + 4). */
#define XFS_ALLOC_SET_ASIDE_PER_AG	8
#define XFS_MAXINUMBER		((1ULL << 56) - 1)

static int corrupt(const char *what)
{
	return vk_errorx(EUCLEAN, "xfs filesystem: %s; the filesystem needs xfs_repair", what);
}

static int disagree(const char *what, uint64_t count, uint64_t total, const char *total_is)
{
	return vk_errorx(EUCLEAN, "xfs superblock counters disagree (%s %" PRIu64 " > %s %" PRIu64 "); "
			 "the filesystem needs xfs_repair", what, count, total_is, total);
}

int vk_fs_xfs_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out)
{
	uint8_t sb[XFS_SB_SIZE];
	uint64_t dblocks, logblocks, agcount, icount, ifree, fdblocks, set_aside, bfree;
	uint64_t files, maxicount, ialloc_blks, fakeinos, used_inodes;
	unsigned blocklog, inopblog, version;
	int rc;

	if (dev->size < XFS_SB_SIZE)
		return 0;
	rc = vk_blockdev_read(dev, sb, sizeof sb, 0);
	if (rc < 0)
		return rc;
	if (vk_be32(sb) != XFS_SB_MAGIC)
		return 0;
	out->type = "xfs";
	version = vk_be16(sb + SB_VERSIONNUM) & XFS_SB_VERSION_NUMBITS;
	if (version != XFS_SB_VERSION_4 && version != XFS_SB_VERSION_5)
		return vk_errorx(EOPNOTSUPP, "xfs filesystem: version %u", version);
	if (version == XFS_SB_VERSION_5 &&
	    (vk_be32(sb + SB_FEATURES_INCOMPAT) & ~XFS_SB_FEAT_INCOMPAT_KNOWN))
		return vk_errorx(EOPNOTSUPP, "xfs filesystem: incompatible features");
	if (sb[SB_INPROGRESS])
		return corrupt("mkfs did not finish");
	if (vk_be64(sb + SB_RBLOCKS) != 0)
		return vk_errorx(EOPNOTSUPP, "xfs filesystem: realtime section");
	blocklog = sb[SB_BLOCKLOG];
	inopblog = sb[SB_INOPBLOG];
	if (blocklog < XFS_MIN_BLOCKSIZE_LOG || blocklog > XFS_MAX_BLOCKSIZE_LOG ||
	    vk_be32(sb + SB_BLOCKSIZE) != 1u << blocklog)
		return corrupt("bad block size");
	if (sb[SB_INODELOG] + inopblog != blocklog ||
	    vk_be16(sb + SB_INODESIZE) != 1u << sb[SB_INODELOG] ||
	    vk_be16(sb + SB_INOPBLOCK) != 1u << inopblog)
		return corrupt("bad inode size");
	dblocks = vk_be64(sb + SB_DBLOCKS);
	agcount = vk_be32(sb + SB_AGCOUNT);
	logblocks = vk_be64(sb + SB_LOGSTART) ? vk_be32(sb + SB_LOGBLOCKS) : 0;
	if (dblocks == 0 || dblocks > dev->size >> blocklog)
		return corrupt("data blocks exceed the size of the device");
	if (agcount == 0 || vk_be32(sb + SB_AGBLOCKS) == 0 ||
	    agcount > dblocks / vk_be32(sb + SB_AGBLOCKS) + 1)
		return corrupt("bad allocation group geometry");
	if (logblocks >= dblocks)
		return corrupt("log larger than the filesystem");
	icount = vk_be64(sb + SB_ICOUNT);
	ifree = vk_be64(sb + SB_IFREE);
	fdblocks = vk_be64(sb + SB_FDBLOCKS);
	/* The free data blocks never include the log's, which statfs leaves
	 * out of the total: more would print a negative Used. */
	if (fdblocks > dblocks - logblocks)
		return disagree("free blocks", fdblocks, dblocks - logblocks,
				logblocks ? "total (data blocks less the log)" : "total");
	if (ifree > icount)
		return disagree("free inodes", ifree, icount, "allocated inodes");
	if (icount > XFS_MAXINUMBER)
		return disagree("allocated inodes", icount, XFS_MAXINUMBER, "the most XFS numbers");

	/* xfs_fs_statfs(): the log is not part of f_blocks; the set-aside is
	 * never free; bavail equals bfree (no root reserve). */
	set_aside = agcount * XFS_ALLOC_SET_ASIDE_PER_AG;
	bfree = fdblocks > set_aside ? fdblocks - set_aside : 0;
	/* f_files: inodes that exist plus those the free space could hold,
	 * capped by imax_pct (m_maxicount, in whole inode chunks). */
	fakeinos = bfree << inopblog;
	files = icount + fakeinos;
	if (files > XFS_MAXINUMBER)
		files = XFS_MAXINUMBER;
	if (sb[SB_IMAX_PCT]) {
		ialloc_blks = (XFS_INODES_PER_CHUNK > (1u << inopblog) ?
			       XFS_INODES_PER_CHUNK : (1u << inopblog)) >> inopblog;
		maxicount = dblocks * sb[SB_IMAX_PCT] / 100;
		maxicount = maxicount / ialloc_blks * ialloc_blks;
		maxicount <<= inopblog;
		if (files > maxicount)
			files = maxicount;
	}
	if (files < icount)
		files = icount;
	used_inodes = icount - ifree;

	out->kind = VK_FS_STAT;
	out->stat.bsize = 1u << blocklog;
	out->stat.blocks = dblocks - logblocks;
	out->stat.bfree = bfree;
	out->stat.bavail = bfree;
	out->stat.files = files;
	out->stat.ffree = files > used_inodes ? files - used_inodes : 0;
	return 1;
}
