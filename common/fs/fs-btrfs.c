/* fs-btrfs.c - single-device Btrfs: chunk map, root and extent trees, statfs as fs/btrfs computes it. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/fs/fsprobe.h"

/* Superblock (btrfs on-disk format, struct btrfs_super_block). */
#define BTRFS_SUPER_INFO_OFFSET		65536
#define BTRFS_SUPER_INFO_SIZE		4096
#define BTRFS_MAGIC			"_BHRfS_M"
#define SB_MAGIC			64
#define SB_ROOT				80
#define SB_CHUNK_ROOT			88
#define SB_LOG_ROOT			96
#define SB_TOTAL_BYTES			112
#define SB_NUM_DEVICES			136
#define SB_SECTORSIZE			144
#define SB_NODESIZE			148
#define SB_SYS_CHUNK_ARRAY_SIZE		160
#define SB_COMPAT_RO_FLAGS		180
#define SB_INCOMPAT_FLAGS		188
#define SB_ROOT_LEVEL			198
#define SB_CHUNK_ROOT_LEVEL		199
#define SB_DEV_ITEM			201
#define SB_SYS_CHUNK_ARRAY		811
#define BTRFS_SYSTEM_CHUNK_ARRAY_SIZE	2048
#define DEV_ITEM_TOTAL_BYTES		8
#define DEV_ITEM_BYTES_USED		16

/* Tree blocks. */
#define HDR_BYTENR			48
#define HDR_NRITEMS			96
#define HDR_LEVEL			100
#define HDR_SIZE			101
#define KEY_SIZE			17
#define ITEM_SIZE			(KEY_SIZE + 8)	/* key, data offset, data size */
#define KEY_PTR_SIZE			(KEY_SIZE + 16)	/* key, block pointer, generation */
#define BTRFS_MAX_LEVEL			8

/* Key types and tree ids. */
#define BTRFS_ROOT_ITEM_KEY		132
#define BTRFS_BLOCK_GROUP_ITEM_KEY	192
#define BTRFS_CHUNK_ITEM_KEY		228
#define BTRFS_EXTENT_TREE_OBJECTID	2
#define BTRFS_CSUM_TREE_OBJECTID	7
#define BTRFS_FREE_SPACE_TREE_OBJECTID	10
#define BTRFS_BLOCK_GROUP_TREE_OBJECTID	11
#define ROOT_ITEM_BYTENR		176
#define ROOT_ITEM_BYTES_USED		192
#define ROOT_ITEM_LEVEL			238
#define ROOT_ITEM_MIN_SIZE		239

/* Chunks. */
#define CHUNK_LENGTH			0
#define CHUNK_TYPE			24
#define CHUNK_NUM_STRIPES		44
#define CHUNK_FIXED_SIZE		48
#define STRIPE_OFFSET			8
#define STRIPE_SIZE			32

/* Block group flags. */
#define BTRFS_BLOCK_GROUP_DATA		(1ULL << 0)
#define BTRFS_BLOCK_GROUP_SYSTEM	(1ULL << 1)
#define BTRFS_BLOCK_GROUP_METADATA	(1ULL << 2)
#define BTRFS_BLOCK_GROUP_DUP		(1ULL << 5)
#define BTRFS_BLOCK_GROUP_TYPE_MASK	(BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_SYSTEM | \
					 BTRFS_BLOCK_GROUP_METADATA)
#define BTRFS_BLOCK_GROUP_PROFILE_MASK	(0x7f8ULL)
#define BG_ITEM_USED			0
#define BG_ITEM_FLAGS			16
#define BG_ITEM_SIZE			24

#define BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE	(1ULL << 0)
#define BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE	(1ULL << 3)
#define BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2		(1ULL << 13)

/* Kernel constants of btrfs_statfs() and the global block reserve. */
#define BTRFS_STRIPE_LEN		65536
#define BTRFS_DEVICE_RANGE_RESERVED	(1024 * 1024)
#define GLOBAL_RSV_MAX			(512ULL * 1024 * 1024)
/* BTRFS_UNLINK_METADATA_UNITS: items an unlink touches, reserved once as
 * insertions and once as delayed refs (twice with the free space tree). */
#define BTRFS_UNLINK_METADATA_UNITS	6

#define MAX_CHUNKS			4096

struct chunk {
	uint64_t logical, length, physical, type;
};

struct space {
	uint64_t flags;		/* DATA / METADATA / SYSTEM bits */
	uint64_t disk_total, disk_used;
};

struct btrfs {
	const struct vk_blockdev *dev;
	uint8_t sb[BTRFS_SUPER_INFO_SIZE];
	uint32_t nodesize, sectorsize;
	struct chunk *chunks;
	size_t n_chunks;
	uint64_t visits_left;	/* bounds the work a looping tree can cause */
	uint64_t dev_total;	/* the device's bytes, which every chunk is allocated from */
	uint64_t allocated;	/* bytes of it the block groups take (DUP twice) */
	struct space spaces[8];
	size_t n_spaces;
	uint64_t root_used, global_roots;
	uint64_t extent_root, extent_level, bg_root, bg_level;
	int have_extent_root, have_bg_root;
};

typedef int (*leaf_fn)(struct btrfs *fs, const uint8_t *key, const uint8_t *data, uint32_t size);

static int corrupt(const char *what)
{
	return vk_errorx(EUCLEAN, "btrfs filesystem: %s; the filesystem needs btrfs check", what);
}

static int disagree(const char *what, uint64_t count, const char *than, uint64_t total)
{
	return vk_errorx(EUCLEAN, "btrfs counters disagree (%s %" PRIu64 " %s %" PRIu64 "); "
			 "the filesystem needs btrfs check", what, count, than, total);
}

static int unsupported(const char *what)
{
	return vk_errorx(EOPNOTSUPP, "btrfs filesystem: %s", what);
}

static int add_chunk(struct btrfs *fs, uint64_t logical, const uint8_t *c, size_t avail)
{
	uint16_t stripes;
	uint64_t type;
	size_t i;

	if (avail < CHUNK_FIXED_SIZE)
		return corrupt("truncated chunk item");
	stripes = vk_le16(c + CHUNK_NUM_STRIPES);
	if (stripes == 0 || avail < CHUNK_FIXED_SIZE + (size_t)stripes * STRIPE_SIZE)
		return corrupt("bad chunk stripes");
	type = vk_le64(c + CHUNK_TYPE);
	if (type & BTRFS_BLOCK_GROUP_PROFILE_MASK & ~BTRFS_BLOCK_GROUP_DUP)
		return unsupported("RAID profiles");
	for (i = 0; i < fs->n_chunks; i++)
		if (fs->chunks[i].logical == logical)
			return 0;	/* the bootstrap array repeats in the chunk tree */
	if (fs->n_chunks >= MAX_CHUNKS)
		return unsupported("too many chunks");
	if (!fs->chunks) {
		fs->chunks = calloc(MAX_CHUNKS, sizeof *fs->chunks);
		if (!fs->chunks)
			return vk_error(ENOMEM, "btrfs chunks");
	}
	fs->chunks[fs->n_chunks].logical = logical;
	fs->chunks[fs->n_chunks].length = vk_le64(c + CHUNK_LENGTH);
	fs->chunks[fs->n_chunks].physical = vk_le64(c + CHUNK_FIXED_SIZE + STRIPE_OFFSET);
	fs->chunks[fs->n_chunks].type = type;
	fs->n_chunks++;
	return 0;
}

/* Single and DUP keep a whole copy at the first stripe's offset. */
static int map_logical(const struct btrfs *fs, uint64_t logical, uint64_t len, uint64_t *phys)
{
	size_t i;

	for (i = 0; i < fs->n_chunks; i++) {
		const struct chunk *c = &fs->chunks[i];

		if (logical >= c->logical && logical - c->logical < c->length &&
		    len <= c->length - (logical - c->logical)) {
			*phys = c->physical + (logical - c->logical);
			return 0;
		}
	}
	return corrupt("tree block outside every chunk");
}

static int read_sys_chunks(struct btrfs *fs)
{
	uint32_t size = vk_le32(fs->sb + SB_SYS_CHUNK_ARRAY_SIZE), pos = 0;
	const uint8_t *a = fs->sb + SB_SYS_CHUNK_ARRAY;
	int rc;

	if (size > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE)
		return corrupt("system chunk array too large");
	while (pos < size) {
		uint16_t stripes;

		if (size - pos < KEY_SIZE + CHUNK_FIXED_SIZE)
			return corrupt("truncated system chunk array");
		if (a[pos + 8] != BTRFS_CHUNK_ITEM_KEY)
			return corrupt("system chunk array holds something else");
		stripes = vk_le16(a + pos + KEY_SIZE + CHUNK_NUM_STRIPES);
		rc = add_chunk(fs, vk_le64(a + pos + 9), a + pos + KEY_SIZE, size - pos - KEY_SIZE);
		if (rc < 0)
			return rc;
		pos += KEY_SIZE + CHUNK_FIXED_SIZE + (uint32_t)stripes * STRIPE_SIZE;
	}
	return 0;
}

/* Visit every leaf item of the tree rooted at logical address root. */
static int walk_tree(struct btrfs *fs, uint64_t root, unsigned level, leaf_fn fn)
{
	uint8_t *node = NULL;
	uint64_t phys = 0;
	uint32_t n, i;
	int rc;

	if (level >= BTRFS_MAX_LEVEL)
		return corrupt("tree too deep");
	if (fs->visits_left-- == 0)
		return corrupt("tree has more blocks than the filesystem");
	rc = map_logical(fs, root, fs->nodesize, &phys);
	if (rc < 0)
		return rc;
	node = malloc(fs->nodesize);
	if (!node)
		return vk_error(ENOMEM, "btrfs tree block");
	rc = vk_blockdev_read(fs->dev, node, fs->nodesize, phys);
	if (rc < 0)
		goto out;
	if (vk_le64(node + HDR_BYTENR) != root || node[HDR_LEVEL] != level) {
		rc = corrupt("tree block header does not match its pointer");
		goto out;
	}
	n = vk_le32(node + HDR_NRITEMS);
	if (n > (fs->nodesize - HDR_SIZE) / (level ? KEY_PTR_SIZE : ITEM_SIZE)) {
		rc = corrupt("too many items in a tree block");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (level) {
			const uint8_t *p = node + HDR_SIZE + (size_t)i * KEY_PTR_SIZE;

			rc = walk_tree(fs, vk_le64(p + KEY_SIZE), level - 1, fn);
		} else {
			const uint8_t *it = node + HDR_SIZE + (size_t)i * ITEM_SIZE;
			uint32_t off = vk_le32(it + KEY_SIZE), size = vk_le32(it + KEY_SIZE + 4);

			if (off > fs->nodesize - HDR_SIZE || size > fs->nodesize - HDR_SIZE - off) {
				rc = corrupt("leaf item outside its block");
				goto out;
			}
			rc = fn(fs, it, node + HDR_SIZE + off, size);
		}
		if (rc < 0)
			goto out;
	}
out:
	free(node);
	return rc;
}

static int on_chunk_item(struct btrfs *fs, const uint8_t *key, const uint8_t *data, uint32_t size)
{
	if (key[8] != BTRFS_CHUNK_ITEM_KEY)
		return 0;
	return add_chunk(fs, vk_le64(key + 9), data, size);
}

static int on_root_item(struct btrfs *fs, const uint8_t *key, const uint8_t *data, uint32_t size)
{
	uint64_t objectid = vk_le64(key);

	if (key[8] != BTRFS_ROOT_ITEM_KEY || vk_le64(key + 9) != 0)
		return 0;
	if (objectid != BTRFS_EXTENT_TREE_OBJECTID && objectid != BTRFS_CSUM_TREE_OBJECTID &&
	    objectid != BTRFS_FREE_SPACE_TREE_OBJECTID && objectid != BTRFS_BLOCK_GROUP_TREE_OBJECTID)
		return 0;
	if (size < ROOT_ITEM_MIN_SIZE)
		return corrupt("truncated root item");
	if (objectid == BTRFS_BLOCK_GROUP_TREE_OBJECTID) {
		fs->bg_root = vk_le64(data + ROOT_ITEM_BYTENR);
		fs->bg_level = data[ROOT_ITEM_LEVEL];
		fs->have_bg_root = 1;
		return 0;
	}
	/* btrfs_update_global_block_rsv() sizes the reserve from these. */
	fs->root_used += vk_le64(data + ROOT_ITEM_BYTES_USED);
	fs->global_roots++;
	if (objectid == BTRFS_EXTENT_TREE_OBJECTID) {
		fs->extent_root = vk_le64(data + ROOT_ITEM_BYTENR);
		fs->extent_level = data[ROOT_ITEM_LEVEL];
		fs->have_extent_root = 1;
	}
	return 0;
}

static unsigned profile_factor(uint64_t flags)
{
	return (flags & BTRFS_BLOCK_GROUP_DUP) ? 2 : 1;
}

static int on_block_group(struct btrfs *fs, const uint8_t *key, const uint8_t *data, uint32_t size)
{
	uint64_t flags, length = vk_le64(key + 9), used;
	unsigned factor;
	size_t i;

	if (key[8] != BTRFS_BLOCK_GROUP_ITEM_KEY)
		return 0;
	if (size < BG_ITEM_SIZE)
		return corrupt("truncated block group item");
	flags = vk_le64(data + BG_ITEM_FLAGS);
	used = vk_le64(data + BG_ITEM_USED);
	if (flags & BTRFS_BLOCK_GROUP_PROFILE_MASK & ~BTRFS_BLOCK_GROUP_DUP)
		return unsupported("RAID profiles");
	if (used > length)
		return corrupt("block group more than full");
	factor = profile_factor(flags);
	/* On one device the block groups fit in it: checked before the sums,
	 * which then cannot wrap. */
	if (length > (fs->dev_total - fs->allocated) / factor)
		return vk_errorx(EUCLEAN, "btrfs counters disagree (a block group of %" PRIu64 " bytes%s > the %"
				 PRIu64 " bytes its device has left); the filesystem needs btrfs check", length,
				 factor > 1 ? ", stored twice," : "", fs->dev_total - fs->allocated);
	fs->allocated += length * factor;
	for (i = 0; i < fs->n_spaces; i++)
		if (fs->spaces[i].flags == (flags & BTRFS_BLOCK_GROUP_TYPE_MASK))
			break;
	if (i == fs->n_spaces) {
		if (i == sizeof fs->spaces / sizeof fs->spaces[0])
			return corrupt("too many block group types");
		fs->spaces[i].flags = flags & BTRFS_BLOCK_GROUP_TYPE_MASK;
		fs->n_spaces++;
	}
	if (fs->spaces[i].flags & BTRFS_BLOCK_GROUP_DATA) {
		/* btrfs_statfs() divides everything by the data profile's factor. */
		if (factor != 1)
			return unsupported("DUP data");
	}
	fs->spaces[i].disk_total += length * factor;
	fs->spaces[i].disk_used += used * factor;
	return 0;
}

static int read_super(struct btrfs *fs)
{
	int rc;

	if (fs->dev->size < BTRFS_SUPER_INFO_OFFSET + BTRFS_SUPER_INFO_SIZE)
		return 0;
	rc = vk_blockdev_read(fs->dev, fs->sb, sizeof fs->sb, BTRFS_SUPER_INFO_OFFSET);
	if (rc < 0)
		return rc;
	if (memcmp(fs->sb + SB_MAGIC, BTRFS_MAGIC, 8) != 0)
		return 0;
	fs->nodesize = vk_le32(fs->sb + SB_NODESIZE);
	fs->sectorsize = vk_le32(fs->sb + SB_SECTORSIZE);
	if (fs->sectorsize < 4096 || fs->sectorsize > 65536 || (fs->sectorsize & (fs->sectorsize - 1)))
		return corrupt("bad sector size");
	if (fs->nodesize < fs->sectorsize || fs->nodesize > 65536 || (fs->nodesize & (fs->nodesize - 1)))
		return corrupt("bad node size");
	return 1;
}

int vk_fs_btrfs_probe(const struct vk_blockdev *dev, struct vk_fs_probe *out)
{
	struct btrfs fs = { .dev = dev };
	uint64_t total_bytes, dev_total, dev_used, total_used = 0, free_data = 0, rsv, min_rsv;
	uint64_t avail, bits_div, insert_items, ref_items;
	size_t i;
	int rc;

	rc = read_super(&fs);
	if (rc <= 0)
		return rc;
	out->type = "btrfs";
	if (vk_le64(fs.sb + SB_NUM_DEVICES) != 1) {
		rc = unsupported("more than one device");
		goto out;
	}
	if (vk_le64(fs.sb + SB_LOG_ROOT) != 0) {
		rc = unsupported("log tree would be replayed at mount");
		goto out;
	}
	if (vk_le64(fs.sb + SB_INCOMPAT_FLAGS) & BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2) {
		rc = unsupported("extent tree v2");
		goto out;
	}
	total_bytes = vk_le64(fs.sb + SB_TOTAL_BYTES);
	dev_total = vk_le64(fs.sb + SB_DEV_ITEM + DEV_ITEM_TOTAL_BYTES);
	dev_used = vk_le64(fs.sb + SB_DEV_ITEM + DEV_ITEM_BYTES_USED);
	if (total_bytes > dev->size || dev_total > dev->size || dev_used > dev_total) {
		rc = corrupt("sizes exceed the device");
		goto out;
	}
	/* The kernel refuses this mount too (super_total_bytes mismatch). */
	if (total_bytes < dev_total) {
		rc = disagree("total bytes", total_bytes, "< the device's", dev_total);
		goto out;
	}
	fs.dev_total = dev_total;
	fs.visits_left = dev->size / fs.nodesize;
	rc = read_sys_chunks(&fs);
	if (rc < 0)
		goto out;
	rc = walk_tree(&fs, vk_le64(fs.sb + SB_CHUNK_ROOT), fs.sb[SB_CHUNK_ROOT_LEVEL], on_chunk_item);
	if (rc < 0)
		goto out;
	rc = walk_tree(&fs, vk_le64(fs.sb + SB_ROOT), fs.sb[SB_ROOT_LEVEL], on_root_item);
	if (rc < 0)
		goto out;
	if (vk_le64(fs.sb + SB_COMPAT_RO_FLAGS) & BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE) {
		if (!fs.have_bg_root) {
			rc = corrupt("no block group tree");
			goto out;
		}
		rc = walk_tree(&fs, fs.bg_root, (unsigned)fs.bg_level, on_block_group);
	} else {
		if (!fs.have_extent_root) {
			rc = corrupt("no extent tree");
			goto out;
		}
		rc = walk_tree(&fs, fs.extent_root, (unsigned)fs.extent_level, on_block_group);
	}
	if (rc < 0)
		goto out;

	for (i = 0; i < fs.n_spaces; i++) {
		if (fs.spaces[i].flags == (BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_METADATA)) {
			rc = unsupported("mixed block groups");
			goto out;
		}
		if (fs.spaces[i].flags & BTRFS_BLOCK_GROUP_DATA)
			free_data += fs.spaces[i].disk_total - fs.spaces[i].disk_used;
		total_used += fs.spaces[i].disk_used;
	}
	/* The global block reserve (btrfs_update_global_block_rsv()): the used
	 * bytes of the extent, csum and free-space trees, but at least room to
	 * insert 1 + those trees + the unlink items at full tree height, plus
	 * the unlink's delayed refs; at most 512 MiB. */
	insert_items = 1 + fs.global_roots + BTRFS_UNLINK_METADATA_UNITS;
	ref_items = BTRFS_UNLINK_METADATA_UNITS;
	if (vk_le64(fs.sb + SB_COMPAT_RO_FLAGS) & BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE)
		ref_items *= 2;
	min_rsv = (uint64_t)fs.nodesize * BTRFS_MAX_LEVEL * 2 * (insert_items + ref_items);
	rsv = fs.root_used > min_rsv ? fs.root_used : min_rsv;
	if (rsv > GLOBAL_RSV_MAX)
		rsv = GLOBAL_RSV_MAX;
	/* btrfs_calc_avail_data_space() for one device and the single profile:
	 * unallocated bytes in whole stripes, less the first MiB. */
	avail = (dev_total - dev_used) / BTRFS_STRIPE_LEN * BTRFS_STRIPE_LEN;
	avail = avail >= BTRFS_DEVICE_RANGE_RESERVED ? avail - BTRFS_DEVICE_RANGE_RESERVED : 0;
	if (avail < BTRFS_STRIPE_LEN)
		avail = 0;

	bits_div = fs.sectorsize;
	out->kind = VK_FS_STAT;
	out->stat.bsize = fs.sectorsize;
	out->stat.blocks = total_bytes / bits_div;
	out->stat.bfree = out->stat.blocks > total_used / bits_div ?
			  out->stat.blocks - total_used / bits_div : 0;
	out->stat.bfree = out->stat.bfree >= rsv / bits_div ? out->stat.bfree - rsv / bits_div : 0;
	out->stat.bavail = (free_data + avail) / bits_div;
	out->stat.files = 0;
	out->stat.ffree = 0;
	rc = 1;
out:
	free(fs.chunks);
	return rc;
}
