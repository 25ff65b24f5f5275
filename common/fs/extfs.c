/* extfs.c - ext2/3/4 path lookup, directory listing and file copy-out, read from the disk itself. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/fs/extfs.h"
#include "common/fs/fs-ext-layout.h"

/* Inode (Documentation/filesystems/ext4/inodes.rst). */
#define I_MODE				0x00
#define I_SIZE_LO			0x04
#define I_FLAGS				0x20
#define I_BLOCK				0x28
#define I_SIZE_HIGH			0x6c
#define EXT4_N_BLOCKS			15
#define EXT4_NDIR_BLOCKS		12
#define EXT4_IND_BLOCK			12
#define EXT4_DIND_BLOCK			13
#define EXT4_TIND_BLOCK			14
#define EXT4_ENCRYPT_FL			0x00000800
#define EXT4_EXTENTS_FL			0x00080000
#define EXT4_INLINE_DATA_FL		0x10000000
#define EXT4_LOGICAL_BLOCKS		(1ull << 32)	/* logical block numbers are 32-bit */

/* Extent tree (Documentation/filesystems/ext4/ifork.rst). */
#define EXT4_EXT_MAGIC			0xf30a
#define EXT4_EXT_NODE_HEADER		12
#define EXT4_EXT_ENTRY			12
#define EXT4_MAX_EXTENT_DEPTH		5
#define EXT_INIT_MAX_LEN		32768	/* longer ee_len: unwritten extent */
#define EH_MAGIC			0x00
#define EH_ENTRIES			0x02
#define EH_MAX				0x04
#define EH_DEPTH			0x06
#define EE_BLOCK			0x00
#define EE_LEN				0x04
#define EE_START_HI			0x06
#define EE_START_LO			0x08
#define EI_BLOCK			0x00
#define EI_LEAF_LO			0x04
#define EI_LEAF_HI			0x08

/* Linear directory entries (Documentation/filesystems/ext4/directory.rst);
 * hash-tree directories keep their index in entries with inode 0, so a
 * linear walk of every block sees every name. */
#define DIRENT_INODE			0x00
#define DIRENT_REC_LEN			0x04
#define DIRENT_NAME_LEN			0x06
#define DIRENT_HEADER			8
#define DIRENT_MIN_REC_LEN		12	/* EXT4_DIR_REC_LEN(1) */
#define DIRENT_ALIGN			4
#define EXT4_NAME_LEN			255
#define EXT4_MAX_REC_LEN		65535

#define LOOKUP_MAX_COMPONENTS		64
#define COPY_CHUNK			(1u << 20)

struct vk_extfs {
	struct ext_fs fs;
	struct vk_blockdev dev;		/* fs.dev points here */
};

struct ext_inode {
	uint32_t ino;
	uint16_t mode;
	uint32_t flags;
	uint64_t size;
	uint8_t block[EXT4_N_BLOCKS * 4];
};

/* Where the blocks of a file go: file offset, bytes. */
typedef int (*sink_fn)(void *opaque, uint64_t off, const void *buf, size_t len);

struct file_walk {
	struct vk_extfs *x;
	uint64_t size, nblocks;
	sink_fn sink;
	void *opaque;
	uint8_t *chunk;
	uint64_t run_lblk, run_pblk, run_len;	/* contiguous blocks not read yet */
};

static int corrupt(const char *what)
{
	return vk_errorx(EUCLEAN, "ext filesystem: %s", what);
}

static int unsupported(const char *what)
{
	return vk_errorx(EOPNOTSUPP, "ext filesystem: %s", what);
}

int vk_extfs_open(const struct vk_blockdev *dev, struct vk_extfs **out)
{
	struct vk_extfs *x;
	int rc;

	*out = NULL;
	if (dev->size < EXT4_SB_OFFSET + EXT4_SB_SIZE)
		return 0;
	x = calloc(1, sizeof *x);
	if (!x)
		return vk_error(ENOMEM, "ext filesystem");
	x->dev = *dev;
	x->fs.dev = &x->dev;
	rc = vk_blockdev_read(dev, x->fs.sb, sizeof x->fs.sb, EXT4_SB_OFFSET);
	if (rc < 0)
		goto out;
	/* An external journal holds no files. */
	if (vk_le16(x->fs.sb + SB_MAGIC) != EXT4_SUPER_MAGIC ||
	    (vk_le32(x->fs.sb + SB_FEATURE_INCOMPAT) & EXT4_FEATURE_INCOMPAT_JOURNAL_DEV)) {
		rc = 0;
		goto out;
	}
	rc = vk_ext_read_geometry(&x->fs);
	if (rc < 0)
		goto out;
	*out = x;
	x = NULL;
	rc = 1;
out:
	free(x);
	return rc;
}

void vk_extfs_close(struct vk_extfs *x)
{
	free(x);
}

const char *vk_extfs_type(const struct vk_extfs *x)
{
	return vk_ext_type(&x->fs);
}

void vk_extfs_uuid(const struct vk_extfs *x, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *u = x->fs.sb + SB_UUID;
	size_t i, o = 0;
	bool zero = true;

	for (i = 0; i < 16; i++) {
		if (u[i])
			zero = false;
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	out[zero ? 0 : o] = '\0';
}

/* A block run that lies inside the filesystem and not on its first
 * (superblock) block: anything else is a corrupt pointer. */
static bool blocks_valid(const struct ext_fs *fs, uint64_t pblk, uint64_t len)
{
	return pblk > fs->first_data_block && pblk < fs->blocks_count && len <= fs->blocks_count - pblk;
}

static int read_inode(struct vk_extfs *x, uint32_t ino, struct ext_inode *out)
{
	const struct ext_fs *fs = &x->fs;
	uint8_t gd[EXT4_DESC_SIZE_64BIT_MIN], raw[EXT4_GOOD_OLD_INODE_SIZE];
	uint64_t group, index, dblock, itable;
	size_t gd_len = fs->desc_size >= EXT4_DESC_SIZE_64BIT_MIN ? EXT4_DESC_SIZE_64BIT_MIN : EXT4_DESC_SIZE_MIN;
	int rc;

	if (ino == 0 || ino > fs->groups * fs->inodes_per_group)
		return corrupt("inode number out of range");
	group = (ino - 1) / fs->inodes_per_group;
	index = (ino - 1) % fs->inodes_per_group;
	dblock = vk_ext_descriptor_block(fs, group / fs->descs_per_block);
	if (dblock >= fs->blocks_count)
		return corrupt("group descriptors beyond the filesystem");
	rc = vk_blockdev_read(fs->dev, gd, gd_len,
			      dblock * fs->block_size + (group % fs->descs_per_block) * fs->desc_size);
	if (rc < 0)
		return rc;
	itable = vk_le32(gd + BG_INODE_TABLE_LO);
	if (gd_len >= EXT4_DESC_SIZE_64BIT_MIN)
		itable |= (uint64_t)vk_le32(gd + BG_INODE_TABLE_HI) << 32;
	if (!blocks_valid(fs, itable, fs->itb_per_group))
		return corrupt("inode table beyond the filesystem");
	rc = vk_blockdev_read(fs->dev, raw, sizeof raw, itable * fs->block_size + index * fs->inode_size);
	if (rc < 0)
		return rc;
	out->ino = ino;
	out->mode = vk_le16(raw + I_MODE);
	out->flags = vk_le32(raw + I_FLAGS);
	out->size = vk_le32(raw + I_SIZE_LO);
	/* i_size_high is i_dir_acl for directories before largedir. */
	if (S_ISREG(out->mode) || (S_ISDIR(out->mode) && (fs->incompat & EXT4_FEATURE_INCOMPAT_LARGEDIR)))
		out->size |= (uint64_t)vk_le32(raw + I_SIZE_HIGH) << 32;
	memcpy(out->block, raw + I_BLOCK, sizeof out->block);
	return 0;
}

static int flush_run(struct file_walk *w)
{
	const struct ext_fs *fs = &w->x->fs;
	uint64_t per_chunk = COPY_CHUNK / fs->block_size;
	int rc;

	while (w->run_len) {
		uint64_t n = w->run_len < per_chunk ? w->run_len : per_chunk;
		uint64_t off = w->run_lblk * fs->block_size;
		size_t len = (size_t)(n * fs->block_size);

		rc = vk_blockdev_read(fs->dev, w->chunk, len, w->run_pblk * fs->block_size);
		if (rc < 0)
			return rc;
		/* The last block is only partly the file's. */
		if (len > w->size - off)
			len = (size_t)(w->size - off);
		rc = w->sink(w->opaque, off, w->chunk, len);
		if (rc < 0)
			return rc;
		w->run_lblk += n;
		w->run_pblk += n;
		w->run_len -= n;
	}
	return 0;
}

/* Blocks lblk.. of the file are at pblk..; what lies past the end of the
 * file is ignored. */
static int map_blocks(struct file_walk *w, uint64_t lblk, uint64_t pblk, uint64_t len)
{
	int rc;

	if (!blocks_valid(&w->x->fs, pblk, len))
		return corrupt("file block beyond the filesystem");
	if (lblk >= w->nblocks)
		return 0;
	if (len > w->nblocks - lblk)
		len = w->nblocks - lblk;
	if (w->run_len && w->run_lblk + w->run_len == lblk && w->run_pblk + w->run_len == pblk) {
		w->run_len += len;
		return 0;
	}
	rc = flush_run(w);
	w->run_lblk = lblk;
	w->run_pblk = pblk;
	w->run_len = len;
	return rc;
}

/*
 * One node of an extent tree, covering logical blocks [lo, hi).  Entries
 * must be sorted and inside the node's range, so the children visited have
 * disjoint, non-empty ranges that start inside the file: a hostile tree
 * costs at most one block read per file block and level.
 */
static int walk_extent_node(struct file_walk *w, const uint8_t *node, size_t node_len, int want_depth,
			    uint64_t lo, uint64_t hi)
{
	const struct ext_fs *fs = &w->x->fs;
	unsigned entries, max, depth, i;
	uint64_t next = lo;
	uint8_t *child = NULL;
	int rc = 0;

	if (node_len < EXT4_EXT_NODE_HEADER || vk_le16(node + EH_MAGIC) != EXT4_EXT_MAGIC)
		return corrupt("bad extent header");
	entries = vk_le16(node + EH_ENTRIES);
	max = vk_le16(node + EH_MAX);
	depth = vk_le16(node + EH_DEPTH);
	if (entries > max || EXT4_EXT_NODE_HEADER + (size_t)max * EXT4_EXT_ENTRY > node_len)
		return corrupt("extent node entries do not fit");
	if (depth > EXT4_MAX_EXTENT_DEPTH || (want_depth >= 0 && depth != (unsigned)want_depth))
		return corrupt("bad extent tree depth");
	for (i = 0; i < entries; i++) {
		const uint8_t *e = node + EXT4_EXT_NODE_HEADER + (size_t)i * EXT4_EXT_ENTRY;
		uint64_t first = vk_le32(e + EE_BLOCK);

		if (depth == 0) {
			uint64_t len = vk_le16(e + EE_LEN);
			uint64_t start = vk_le32(e + EE_START_LO) | (uint64_t)vk_le16(e + EE_START_HI) << 32;
			bool unwritten = len > EXT_INIT_MAX_LEN;

			if (unwritten)
				len -= EXT_INIT_MAX_LEN;
			if (len == 0 || first < next || first >= hi || len > hi - first)
				return corrupt("extents overlap or leave their index range");
			next = first + len;
			/* Unwritten extents read as zeros: a hole. */
			if (!unwritten) {
				rc = map_blocks(w, first, start, len);
				if (rc < 0)
					return rc;
			}
		} else {
			uint64_t end = i + 1 < entries ? vk_le32(e + EXT4_EXT_ENTRY + EI_BLOCK) : hi;
			uint64_t leaf = vk_le32(e + EI_LEAF_LO) | (uint64_t)vk_le16(e + EI_LEAF_HI) << 32;

			if (first < next || end <= first || end > hi)
				return corrupt("extent index entries out of order");
			next = end;
			if (first >= w->nblocks)
				break;
			if (!blocks_valid(fs, leaf, 1))
				return corrupt("extent node beyond the filesystem");
			if (!child) {
				child = malloc(fs->block_size);
				if (!child)
					return vk_error(ENOMEM, "ext extent tree");
			}
			rc = vk_blockdev_read(fs->dev, child, fs->block_size, leaf * fs->block_size);
			if (rc == 0)
				rc = walk_extent_node(w, child, fs->block_size, (int)depth - 1, first, end);
			if (rc < 0)
				break;
		}
	}
	free(child);
	return rc;
}

/* An ext2/3 indirect block of the given level (1: it lists data blocks),
 * whose first entry maps logical block lbase. */
static int walk_indirect(struct file_walk *w, uint64_t pblk, unsigned level, uint64_t lbase)
{
	const struct ext_fs *fs = &w->x->fs;
	uint64_t per = fs->block_size / 4, span = 1, j;
	uint8_t *buf;
	unsigned l;
	int rc;

	if (lbase >= w->nblocks)
		return 0;
	if (!blocks_valid(fs, pblk, 1))
		return corrupt("indirect block beyond the filesystem");
	for (l = 1; l < level; l++)
		span *= per;
	buf = malloc(fs->block_size);
	if (!buf)
		return vk_error(ENOMEM, "ext block map");
	rc = vk_blockdev_read(fs->dev, buf, fs->block_size, pblk * fs->block_size);
	for (j = 0; rc == 0 && j < per && lbase + j * span < w->nblocks; j++) {
		uint64_t b = vk_le32(buf + j * 4);

		if (b == 0)
			continue;	/* a hole */
		if (level == 1)
			rc = map_blocks(w, lbase + j, b, 1);
		else
			rc = walk_indirect(w, b, level - 1, lbase + j * span);
	}
	free(buf);
	return rc;
}

static int walk_file(struct vk_extfs *x, const struct ext_inode *ino, sink_fn sink, void *opaque)
{
	const struct ext_fs *fs = &x->fs;
	struct file_walk w = { .x = x, .size = ino->size, .sink = sink, .opaque = opaque };
	uint64_t per = fs->block_size / 4;
	unsigned i;
	int rc;

	if (ino->flags & EXT4_INLINE_DATA_FL)
		return unsupported("inline data");
	if (ino->flags & EXT4_ENCRYPT_FL)
		return unsupported("encrypted file");
	w.nblocks = ino->size / fs->block_size + (ino->size % fs->block_size != 0);
	if (w.nblocks > EXT4_LOGICAL_BLOCKS)
		return corrupt("file larger than its block numbers reach");
	w.chunk = malloc(COPY_CHUNK);
	if (!w.chunk)
		return vk_error(ENOMEM, "ext file");
	if (ino->flags & EXT4_EXTENTS_FL) {
		rc = walk_extent_node(&w, ino->block, sizeof ino->block, -1, 0, EXT4_LOGICAL_BLOCKS);
	} else {
		rc = 0;
		for (i = 0; rc == 0 && i < EXT4_NDIR_BLOCKS && i < w.nblocks; i++) {
			uint64_t b = vk_le32(ino->block + i * 4);

			if (b)
				rc = map_blocks(&w, i, b, 1);
		}
		if (rc == 0 && vk_le32(ino->block + EXT4_IND_BLOCK * 4))
			rc = walk_indirect(&w, vk_le32(ino->block + EXT4_IND_BLOCK * 4), 1, EXT4_NDIR_BLOCKS);
		if (rc == 0 && vk_le32(ino->block + EXT4_DIND_BLOCK * 4))
			rc = walk_indirect(&w, vk_le32(ino->block + EXT4_DIND_BLOCK * 4), 2,
					   EXT4_NDIR_BLOCKS + per);
		if (rc == 0 && vk_le32(ino->block + EXT4_TIND_BLOCK * 4))
			rc = walk_indirect(&w, vk_le32(ino->block + EXT4_TIND_BLOCK * 4), 3,
					   EXT4_NDIR_BLOCKS + per + per * per);
	}
	if (rc == 0)
		rc = flush_run(&w);
	free(w.chunk);
	return rc;
}

int vk_extfs_stat(struct vk_extfs *x, uint32_t ino, struct vk_extfs_stat *st)
{
	struct ext_inode inode;
	int rc = read_inode(x, ino, &inode);

	if (rc < 0)
		return rc;
	st->ino = ino;
	st->mode = inode.mode;
	st->size = inode.size;
	return 0;
}

static int sink_memory(void *opaque, uint64_t off, const void *buf, size_t len)
{
	memcpy((uint8_t *)opaque + off, buf, len);
	return 0;
}

/* ext4_rec_len_from_disk(): 64 KiB blocks store 65536 as 65535 or 0. */
static size_t rec_len_from_disk(uint16_t dlen, uint64_t block_size)
{
	if (block_size < 65536)
		return dlen;
	if (dlen == EXT4_MAX_REC_LEN || dlen == 0)
		return 65536;
	return (dlen & 65532u) | (size_t)(dlen & 3u) << 16;
}

static int parse_dir_block(struct vk_extfs *x, const uint8_t *blk, size_t len, vk_extfs_dirent_fn fn,
			   void *opaque)
{
	char name[EXT4_NAME_LEN + 1];
	size_t off = 0;
	int rc;

	while (off < len) {
		const uint8_t *d = blk + off;
		size_t rec_len, name_len;
		uint32_t ino;

		if (len - off < DIRENT_HEADER)
			return corrupt("directory entry crosses its block");
		rec_len = rec_len_from_disk(vk_le16(d + DIRENT_REC_LEN), x->fs.block_size);
		/* Without the filetype feature the name length is 16 bits. */
		name_len = (x->fs.incompat & EXT4_FEATURE_INCOMPAT_FILETYPE) ? d[DIRENT_NAME_LEN] :
			   vk_le16(d + DIRENT_NAME_LEN);
		ino = vk_le32(d + DIRENT_INODE);
		if (rec_len < DIRENT_MIN_REC_LEN || rec_len % DIRENT_ALIGN || rec_len > len - off)
			return corrupt("bad directory record length");
		if (name_len > EXT4_NAME_LEN || DIRENT_HEADER + name_len > rec_len)
			return corrupt("directory entry name longer than its record");
		if (ino != 0 && name_len != 0) {
			memcpy(name, d + DIRENT_HEADER, name_len);
			name[name_len] = '\0';
			/* A NUL inside the name is corrupt; it would cut the name short. */
			if (strlen(name) != name_len)
				return corrupt("NUL inside a directory entry name");
			rc = fn(opaque, name, ino);
			if (rc)
				return rc;
		}
		off += rec_len;
	}
	return 0;
}

int vk_extfs_readdir(struct vk_extfs *x, uint32_t ino, vk_extfs_dirent_fn fn, void *opaque)
{
	struct ext_inode dir;
	uint8_t *buf = NULL;
	uint64_t off;
	int rc;

	rc = read_inode(x, ino, &dir);
	if (rc < 0)
		return rc;
	if (!S_ISDIR(dir.mode))
		return vk_errorx(ENOTDIR, "ext filesystem: inode %u is not a directory", ino);
	if (dir.size > VK_EXTFS_DIR_MAX)
		return vk_errorx(EFBIG, "ext filesystem: directory inode %u is larger than %u MiB", ino,
				 VK_EXTFS_DIR_MAX >> 20);
	/* Holes read as zeros, which no directory block may be. */
	buf = calloc(1, dir.size ? (size_t)dir.size : 1);
	if (!buf)
		return vk_error(ENOMEM, "ext directory");
	rc = walk_file(x, &dir, sink_memory, buf);
	for (off = 0; rc == 0 && off < dir.size; off += x->fs.block_size) {
		size_t len = dir.size - off < x->fs.block_size ? (size_t)(dir.size - off) : (size_t)x->fs.block_size;

		rc = parse_dir_block(x, buf + off, len, fn, opaque);
	}
	free(buf);
	return rc;
}

struct find_name {
	const char *name;
	size_t len;
	uint32_t ino;
};

static int match_name(void *opaque, const char *name, uint32_t ino)
{
	struct find_name *f = opaque;

	if (strlen(name) != f->len || memcmp(name, f->name, f->len))
		return 0;
	f->ino = ino;
	return 1;
}

int vk_extfs_lookup(struct vk_extfs *x, const char *path, struct vk_extfs_stat *st)
{
	struct find_name f;
	const char *p = path, *slash;
	unsigned depth = 0;
	int rc;

	if (*p != '/')
		return vk_errorx(EINVAL, "%s: not an absolute path", path);
	rc = vk_extfs_stat(x, VK_EXTFS_ROOT_INO, st);
	while (rc == 0) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		slash = strchr(p, '/');
		f.name = p;
		f.len = slash ? (size_t)(slash - p) : strlen(p);
		f.ino = 0;
		p += f.len;
		if (f.len > EXT4_NAME_LEN || ++depth > LOOKUP_MAX_COMPONENTS)
			return vk_errorx(ENAMETOOLONG, "%s: path too long", path);
		if (S_ISLNK(st->mode))
			return vk_errorx(ELOOP, "%s: a symbolic link in the path (not followed)", path);
		if (!S_ISDIR(st->mode))
			return vk_errorx(ENOTDIR, "%s: not a directory on the way", path);
		rc = vk_extfs_readdir(x, st->ino, match_name, &f);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return vk_errorx(ENOENT, "%s: no such file in the ext filesystem", path);
		rc = vk_extfs_stat(x, f.ino, st);
	}
	return rc;
}

struct fd_sink {
	int fd;
};

static int sink_fd(void *opaque, uint64_t off, const void *buf, size_t len)
{
	const struct fd_sink *s = opaque;
	const uint8_t *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(s->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vk_error(errno, "writing a file copied out of an ext filesystem");
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int vk_extfs_copy_out(struct vk_extfs *x, uint32_t ino, int fd, uint64_t max_size)
{
	struct fd_sink s = { fd };
	struct ext_inode file;
	int rc;

	rc = read_inode(x, ino, &file);
	if (rc < 0)
		return rc;
	if (!S_ISREG(file.mode))
		return vk_errorx(EINVAL, "ext filesystem: inode %u is not a regular file", ino);
	if (file.size > max_size)
		return vk_errorx(EFBIG, "ext filesystem: inode %u is larger than %llu bytes", ino,
				 (unsigned long long)max_size);
	rc = walk_file(x, &file, sink_fd, &s);
	/* Holes at the end are only in i_size. */
	if (rc == 0 && ftruncate(fd, (off_t)file.size) < 0)
		rc = vk_error(errno, "writing a file copied out of an ext filesystem");
	return rc;
}
