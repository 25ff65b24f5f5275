/* qcow2-cluster.c - guest I/O through the L1/L2 tables: lookup, allocation, copy-on-write, compressed reads. */
#include "config.h"
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/image/qcow2.h"

static int l2_writeback_slot(struct vk_image *img, struct qcow2_cached *s)
{
	struct qcow2 *q = qcow2_of(img);
	int rc;

	/* Every cluster this table points at must be counted (and written)
	 * on disk first.  The table itself is durable only at the next
	 * barrier, which the L1 write that may point at it waits for. */
	rc = vk_qcow2_refcount_writeback(img);
	if (rc == 0)
		rc = vk_qcow2_barrier(img);
	if (rc < 0)
		return rc;
	rc = vk_qcow2_pwrite(img, s->data, q->cluster_size, s->offset);
	if (rc < 0)
		return vk_error(-rc, "%s: writing an L2 table", img->path);
	s->dirty = false;
	return 0;
}

static int l2_victim(struct vk_image *img, int *out)
{
	struct qcow2 *q = qcow2_of(img);
	struct qcow2_cache *c = &q->l2_cache;
	unsigned i, v = 0;
	int rc;

	for (i = 1; i < c->n; i++)
		if (c->slots[i].last_use < c->slots[v].last_use)
			v = i;
	if (c->slots[v].dirty) {
		rc = l2_writeback_slot(img, &c->slots[v]);
		if (rc < 0)
			return rc;
	}
	if (c->slots[v].offset)
		q->l1_slot[c->slots[v].index] = -1;
	c->slots[v].offset = 0;
	*out = (int)v;
	return 0;
}

/* The L2 table for L1 index l1i in the cache; NULL table (rc 0) when none
 * is allocated and alloc is false. */
static int l2_get(struct vk_image *img, uint32_t l1i, bool alloc, uint64_t **table)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t l1e = q->l1[l1i], off = l1e & QCOW2_L1E_OFFSET_MASK;
	struct qcow2_cached *s;
	int slot = q->l1_slot[l1i], rc;

	if (slot >= 0) {
		s = &q->l2_cache.slots[slot];
		s->last_use = ++q->l2_cache.clock;
		*table = s->data;
		return 0;
	}
	*table = NULL;
	if (l1e & QCOW2_L1E_RESERVED_MASK)
		return vk_qcow2_corrupt(img, "L1 entry %u has reserved bits set", l1i);
	if (off == 0 && !alloc)
		return 0;
	if (off && (off % q->cluster_size || off + q->cluster_size > q->phys_size))
		return vk_qcow2_corrupt(img, "L2 table offset 0x%llx (L1 entry %u) is invalid",
					(unsigned long long)off, l1i);
	if (off && !(img->flags & VK_IMAGE_RDONLY) &&
	    (rc = vk_qcow2_check_overlap(img, off, q->cluster_size, "L2 table")) < 0)
		return rc;
	if (off && alloc && !(l1e & QCOW2_OFLAG_COPIED))
		return vk_qcow2_corrupt(img, "L2 table of L1 entry %u is shared; writing needs snapshot support",
					l1i);
	rc = l2_victim(img, &slot);
	if (rc < 0)
		return rc;
	s = &q->l2_cache.slots[slot];
	if (off == 0) {
		rc = vk_qcow2_alloc_clusters(img, 1, &off);
		if (rc < 0)
			return rc;
		memset(s->data, 0, q->cluster_size);
		s->dirty = true;
		q->l1[l1i] = off | QCOW2_OFLAG_COPIED;
		q->l1_dirty = true;
	} else {
		rc = vk_pread_full(img->fd, s->data, q->cluster_size, off);
		if (rc < 0)
			return vk_error(-rc, "%s: reading an L2 table", img->path);
	}
	s->offset = off;
	s->index = l1i;
	s->last_use = ++q->l2_cache.clock;
	q->l1_slot[l1i] = slot;
	*table = s->data;
	return 0;
}

enum cluster_kind { CL_UNALLOC, CL_ZERO, CL_NORMAL, CL_COMPRESSED };

/* Decode and check one L2 entry. */
static int l2_decode(struct vk_image *img, uint64_t l2e, enum cluster_kind *kind, uint64_t *host)
{
	struct qcow2 *q = qcow2_of(img);

	*host = 0;
	if (l2e & QCOW2_OFLAG_COMPRESSED) {
		*kind = CL_COMPRESSED;
		*host = l2e & q->coffset_mask;
		return 0;
	}
	if (l2e & QCOW2_L2E_RESERVED_MASK)
		return vk_qcow2_corrupt(img, "L2 entry 0x%llx has reserved bits set",
					(unsigned long long)l2e);
	if ((l2e & QCOW2_OFLAG_ZERO) && q->h.version < 3)
		return vk_qcow2_corrupt(img, "zero cluster flag in a version 2 image");
	*host = l2e & QCOW2_L2E_OFFSET_MASK;
	if (*host % q->cluster_size)
		return vk_qcow2_corrupt(img, "data cluster offset 0x%llx is not cluster aligned",
					(unsigned long long)*host);
	if (l2e & QCOW2_OFLAG_ZERO)
		*kind = CL_ZERO;
	else
		*kind = *host ? CL_NORMAL : CL_UNALLOC;
	return 0;
}

/* Inflate a compressed cluster into q->zbuf (kept for the next read). */
static int read_compressed(struct vk_image *img, uint64_t l2e)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t host = l2e & q->coffset_mask;
	uint64_t sectors = ((l2e >> q->csize_shift) & q->csize_mask) + 1;
	uint64_t clen = sectors * QCOW2_COMPRESSED_SECTOR_SIZE - (host % QCOW2_COMPRESSED_SECTOR_SIZE);
	int rc, zrc;

	if (q->zbuf_desc == l2e)
		return 0;
	if (clen > 2ull * q->cluster_size)
		return vk_qcow2_corrupt(img, "compressed cluster is larger than two clusters");
	if (host + clen > q->phys_size)	/* the last sector may be short */
		clen = host < q->phys_size ? q->phys_size - host : 0;
	if (clen == 0)
		return vk_qcow2_corrupt(img, "compressed cluster at 0x%llx lies past the end of the file",
					(unsigned long long)host);
	rc = vk_pread_full(img->fd, q->cbuf, clen, host);
	if (rc < 0)
		return vk_error(-rc, "%s: reading a compressed cluster", img->path);
	inflateReset(&q->zs);
	q->zs.next_in = q->cbuf;
	q->zs.avail_in = (uInt)clen;
	q->zs.next_out = q->zbuf;
	q->zs.avail_out = q->cluster_size;
	zrc = inflate(&q->zs, Z_FINISH);
	if ((zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) || q->zs.avail_out != 0) {
		q->zbuf_desc = 0;
		return vk_qcow2_corrupt(img, "compressed cluster at 0x%llx does not inflate to a cluster",
					(unsigned long long)host);
	}
	q->zbuf_desc = l2e;
	return 0;
}

static int read_backing(struct vk_image *img, void *buf, size_t len, uint64_t off)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t bsize;
	size_t n = 0;

	if (q->backing) {
		bsize = q->backing->size;
		if (off < bsize) {
			n = bsize - off < len ? (size_t)(bsize - off) : len;
			int rc = vk_image_read(q->backing, buf, n, off);

			if (rc < 0)
				return rc;
		}
	}
	memset((uint8_t *)buf + n, 0, len - n);
	return 0;
}

/* The decoded L2 entry of the guest cluster holding off. */
static int lookup(struct vk_image *img, uint64_t off, enum cluster_kind *kind,
		  uint64_t *host, uint64_t *l2e)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t vcl = off >> q->h.cluster_bits;
	uint64_t *table;
	int rc;

	*l2e = 0;
	rc = l2_get(img, (uint32_t)(vcl >> q->l2_bits), false, &table);
	if (rc < 0)
		return rc;
	if (table)
		*l2e = be64toh(table[vcl & ((1u << q->l2_bits) - 1)]);
	return l2_decode(img, *l2e, kind, host);
}

/* Read up to len bytes at off, at least to the end of off's cluster and
 * further while the host clusters stay contiguous (one pread for a
 * sequential run).  Returns the bytes read or -errno. */
static int64_t read_run(struct vk_image *img, uint8_t *buf, size_t len, uint64_t off)
{
	struct qcow2 *q = qcow2_of(img);
	uint32_t in = (uint32_t)(off & (q->cluster_size - 1));
	size_t n = q->cluster_size - in, more;
	uint64_t l2e, host, next_host, next_l2e;
	enum cluster_kind kind, next_kind;
	int rc;

	if (n > len)
		n = len;
	rc = lookup(img, off, &kind, &host, &l2e);
	if (rc < 0)
		return rc;
	switch (kind) {
	case CL_UNALLOC:
		rc = read_backing(img, buf, n, off);
		return rc < 0 ? rc : (int64_t)n;
	case CL_ZERO:
		memset(buf, 0, n);
		return (int64_t)n;
	case CL_COMPRESSED:
		rc = read_compressed(img, l2e);
		if (rc < 0)
			return rc;
		memcpy(buf, q->zbuf + in, n);
		return (int64_t)n;
	default:
		break;
	}
	while (n < len) {
		rc = lookup(img, off + n, &next_kind, &next_host, &next_l2e);
		if (rc < 0)
			return rc;
		if (next_kind != CL_NORMAL || next_host != host + in + n)
			break;
		more = len - n < q->cluster_size ? len - n : q->cluster_size;
		n += more;
	}
	rc = vk_pread_full(img->fd, buf, n, host + in);
	return rc < 0 ? vk_error(-rc, "%s: read", img->path) : (int64_t)n;
}

int vk_qcow2_read(struct vk_image *img, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	int64_t n;

	while (len) {
		n = read_run(img, p, len, off);
		if (n < 0)
			return (int)n;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* What a cluster held before a partial write into a new host cluster. */
static int cow_source(struct vk_image *img, enum cluster_kind kind, uint64_t l2e,
		      uint64_t host, uint64_t cluster_off, uint8_t *dst, bool *zero)
{
	struct qcow2 *q = qcow2_of(img);
	int rc;

	*zero = false;
	switch (kind) {
	case CL_COMPRESSED:
		rc = read_compressed(img, l2e);
		if (rc < 0)
			return rc;
		memcpy(dst, q->zbuf, q->cluster_size);
		return 0;
	case CL_NORMAL:
		rc = vk_pread_full(img->fd, dst, q->cluster_size, host);
		return rc < 0 ? vk_error(-rc, "%s: read", img->path) : 0;
	case CL_UNALLOC:
		if (q->backing && cluster_off < q->backing->size) {
			uint64_t n = q->cluster_size;

			if (cluster_off + n > img->size)
				n = img->size - cluster_off;
			memset(dst + n, 0, q->cluster_size - n);
			return read_backing(img, dst, (size_t)n, cluster_off);
		}
		/* fall through */
	default:
		*zero = true;
		return 0;
	}
}

static int write_in_cluster(struct vk_image *img, const uint8_t *buf, size_t len, uint64_t off)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t vcl = off >> q->h.cluster_bits, l2e, host, newhost;
	uint64_t cluster_off = off & ~(uint64_t)(q->cluster_size - 1);
	uint32_t in = (uint32_t)(off - cluster_off);
	unsigned l2i = vcl & ((1u << q->l2_bits) - 1);
	enum cluster_kind kind;
	uint64_t *table;
	bool zero;
	int rc;

	rc = l2_get(img, (uint32_t)(vcl >> q->l2_bits), true, &table);
	if (rc < 0)
		return rc;
	l2e = be64toh(table[l2i]);
	rc = l2_decode(img, l2e, &kind, &host);
	if (rc < 0)
		return rc;
	if (kind == CL_NORMAL && (l2e & QCOW2_OFLAG_COPIED)) {
		rc = vk_qcow2_check_overlap(img, host, q->cluster_size, "data cluster");
		if (rc < 0)
			return rc;
		rc = vk_qcow2_pwrite(img, buf, len, host + in);
		return rc < 0 ? vk_error(-rc, "%s: write", img->path) : 0;
	}
	if (kind == CL_ZERO && host && (l2e & QCOW2_OFLAG_COPIED) &&
	    vk_qcow2_check_overlap(img, host, q->cluster_size, "zero cluster") == 0) {
		newhost = host;	/* a preallocated zero cluster: fill it in place */
		kind = CL_UNALLOC;
		zero = true;
	} else {
		rc = vk_qcow2_alloc_clusters(img, 1, &newhost);
		if (rc < 0)
			return rc;
		zero = true;
		if (len < q->cluster_size) {
			rc = cow_source(img, kind, l2e, host, cluster_off, q->bounce, &zero);
			if (rc < 0)
				return rc;
		}
	}
	if (len == q->cluster_size) {
		rc = vk_qcow2_pwrite(img, buf, len, newhost);
	} else if (zero && newhost >= q->phys_size) {
		/* Fresh space past the end of the file already reads as zeros. */
		rc = vk_qcow2_pwrite(img, buf, len, newhost + in);
		if (rc == 0 && ftruncate(img->fd, (off_t)(newhost + q->cluster_size)) < 0)
			rc = -errno;
		if (rc == 0)
			q->phys_size = newhost + q->cluster_size;
	} else {
		if (zero)
			memset(q->bounce, 0, q->cluster_size);
		memcpy(q->bounce + in, buf, len);
		rc = vk_qcow2_pwrite(img, q->bounce, q->cluster_size, newhost);
	}
	if (rc < 0)
		return vk_error(-rc, "%s: write", img->path);
	if (kind == CL_NORMAL && host != newhost)
		rc = vk_qcow2_free_later(img, host, q->cluster_size);
	else if (kind == CL_COMPRESSED) {
		uint64_t sectors = ((l2e >> q->csize_shift) & q->csize_mask) + 1;

		rc = vk_qcow2_free_later(img, host, sectors * QCOW2_COMPRESSED_SECTOR_SIZE -
					 (host % QCOW2_COMPRESSED_SECTOR_SIZE));
	} else if (kind == CL_ZERO && host && host != newhost)
		rc = vk_qcow2_free_later(img, host, q->cluster_size);
	if (rc < 0)
		return rc;
	/* Re-find the table: allocation may have recycled cache slots. */
	rc = l2_get(img, (uint32_t)(vcl >> q->l2_bits), true, &table);
	if (rc < 0)
		return rc;
	table[l2i] = htobe64(newhost | QCOW2_OFLAG_COPIED);
	q->l2_cache.slots[q->l1_slot[vcl >> q->l2_bits]].dirty = true;
	return 0;
}

int vk_qcow2_write(struct vk_image *img, const void *buf, size_t len, uint64_t off)
{
	struct qcow2 *q = qcow2_of(img);
	const uint8_t *p = buf;
	int rc;

	while (len) {
		size_t n = q->cluster_size - (off & (q->cluster_size - 1));

		if (n > len)
			n = len;
		rc = write_in_cluster(img, p, n, off);
		if (rc < 0)
			return rc;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Make one whole guest cluster read as zeros, freeing what it held. */
static int discard_cluster(struct vk_image *img, uint64_t vcl)
{
	struct qcow2 *q = qcow2_of(img);
	unsigned l2i = vcl & ((1u << q->l2_bits) - 1);
	uint64_t l2e, host, want;
	enum cluster_kind kind;
	uint64_t *table;
	int rc;

	if (q->backing && q->h.version < 3) {
		/* Version 2 cannot say "zeros over a backing file": write them. */
		return vk_qcow2_write(img, q->zeros, q->cluster_size, vcl << q->h.cluster_bits);
	}
	want = q->backing ? QCOW2_OFLAG_ZERO : 0;
	rc = l2_get(img, (uint32_t)(vcl >> q->l2_bits), want != 0, &table);
	if (rc < 0 || !table)
		return rc;
	l2e = be64toh(table[l2i]);
	rc = l2_decode(img, l2e, &kind, &host);
	if (rc < 0)
		return rc;
	if (kind == CL_COMPRESSED) {
		uint64_t sectors = ((l2e >> q->csize_shift) & q->csize_mask) + 1;

		rc = vk_qcow2_free_later(img, host, sectors * QCOW2_COMPRESSED_SECTOR_SIZE -
					 (host % QCOW2_COMPRESSED_SECTOR_SIZE));
	} else if (host) {
		rc = vk_qcow2_free_later(img, host, q->cluster_size);
	}
	if (rc < 0)
		return rc;
	if (l2e != want) {
		table[l2i] = htobe64(want);
		q->l2_cache.slots[q->l1_slot[vcl >> q->l2_bits]].dirty = true;
	}
	return 0;
}

int vk_qcow2_discard(struct vk_image *img, uint64_t off, uint64_t len)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t cs = q->cluster_size, end = off + len;
	int rc = 0;

	while (off < end && rc == 0) {
		uint64_t cl_end = (off | (cs - 1)) + 1;
		uint64_t n = (cl_end < end ? cl_end : end) - off;

		if (n == cs || (cl_end > img->size && off % cs == 0 && end == img->size)) {
			rc = discard_cluster(img, off >> q->h.cluster_bits);
		} else {
			/* Part of a cluster: zeros, through the write path. */
			enum vk_block_status st;
			uint64_t pnum;

			rc = vk_qcow2_block_status(img, off, n, &st, &pnum);
			if (rc == 0 && st == VK_BLOCK_DATA) {
				rc = vk_qcow2_write(img, q->zeros, n, off);
			}
		}
		off += n;
	}
	if (rc == 0 && q->n_pending > 1024)
		rc = vk_qcow2_flush(img);
	return rc;
}

int vk_qcow2_block_status(struct vk_image *img, uint64_t off, uint64_t len,
			  enum vk_block_status *st, uint64_t *pnum)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t vcl = off >> q->h.cluster_bits, l2e = 0, host;
	uint64_t n = q->cluster_size - (off & (q->cluster_size - 1));
	enum cluster_kind kind;
	uint64_t *table;
	int rc;

	if (n > len)
		n = len;
	rc = l2_get(img, (uint32_t)(vcl >> q->l2_bits), false, &table);
	if (rc < 0)
		return rc;
	if (table)
		l2e = be64toh(table[vcl & ((1u << q->l2_bits) - 1)]);
	rc = l2_decode(img, l2e, &kind, &host);
	if (rc < 0)
		return rc;
	*pnum = n;
	if (kind == CL_NORMAL || kind == CL_COMPRESSED) {
		*st = VK_BLOCK_DATA;
	} else if (kind == CL_UNALLOC && q->backing && off < q->backing->size) {
		if (n > q->backing->size - off)
			*pnum = n = q->backing->size - off;
		return vk_image_block_status(q->backing, off, n, st, pnum);
	} else {
		*st = VK_BLOCK_ZERO;
	}
	return 0;
}

int vk_qcow2_l2_writeback(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	unsigned i;
	int rc;

	/* The refcounts and data these tables point at are durable first. */
	rc = vk_qcow2_barrier(img);
	if (rc < 0)
		return rc;
	for (i = 0; i < q->l2_cache.n; i++) {
		struct qcow2_cached *s = &q->l2_cache.slots[i];

		if (!s->dirty)
			continue;
		rc = vk_qcow2_pwrite(img, s->data, q->cluster_size, s->offset);
		if (rc < 0)
			return vk_error(-rc, "%s: writing an L2 table", img->path);
		s->dirty = false;
	}
	if (q->l1_dirty) {
		uint64_t *be = (uint64_t *)q->bounce;
		uint32_t per = q->cluster_size / 8, i0, j;

		/* New L2 tables (written here or when evicted) reach the disk
		 * before the L1 entries naming them. */
		rc = vk_qcow2_barrier(img);
		if (rc < 0)
			return rc;
		for (i0 = 0; i0 < q->l1_size; i0 += per) {
			uint32_t n = q->l1_size - i0 < per ? q->l1_size - i0 : per;

			for (j = 0; j < n; j++)
				be[j] = htobe64(q->l1[i0 + j]);
			rc = vk_qcow2_pwrite(img, be, (size_t)n * 8, q->h.l1_table_offset + (uint64_t)i0 * 8);
			if (rc < 0)
				return vk_error(-rc, "%s: writing the L1 table", img->path);
		}
		q->l1_dirty = false;
	}
	return 0;
}

int vk_qcow2_preallocate(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t clusters = (img->size + q->cluster_size - 1) >> q->h.cluster_bits;
	uint64_t per = 1ull << q->l2_bits, vcl, host, i, n;
	uint64_t *table;
	int rc;

	for (vcl = 0; vcl < clusters; vcl += n) {
		n = clusters - vcl < per ? clusters - vcl : per;
		rc = l2_get(img, (uint32_t)(vcl >> q->l2_bits), true, &table);
		if (rc < 0)
			return rc;
		rc = vk_qcow2_alloc_clusters(img, n, &host);
		if (rc < 0)
			return rc;
		rc = l2_get(img, (uint32_t)(vcl >> q->l2_bits), true, &table);
		if (rc < 0)
			return rc;
		for (i = 0; i < n; i++)
			table[i] = htobe64((host + i * q->cluster_size) | QCOW2_OFLAG_COPIED);
		q->l2_cache.slots[q->l1_slot[vcl >> q->l2_bits]].dirty = true;
	}
	if (q->file_end > q->phys_size) {
		if (ftruncate(img->fd, (off_t)q->file_end) < 0)
			return vk_error(errno, "%s: extending the file", img->path);
		q->phys_size = q->file_end;
	}
	return 0;
}
