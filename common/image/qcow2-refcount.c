/* qcow2-refcount.c - reference counts: lookup, cluster allocation, table growth, deferred frees. */
#include "config.h"
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/image/qcow2.h"

int vk_qcow2_refcount_load(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t i, bytes = (uint64_t)q->h.refcount_table_clusters * q->cluster_size;
	int rc;

	q->reftable_entries = bytes / 8;
	q->reftable = malloc(bytes);
	if (!q->reftable)
		return vk_error(ENOMEM, "%s: refcount table", img->path);
	rc = vk_pread_full(img->fd, q->reftable, bytes, q->h.refcount_table_offset);
	if (rc < 0)
		return vk_error(-rc, "%s: reading the refcount table", img->path);
	for (i = 0; i < q->reftable_entries; i++) {
		q->reftable[i] = be64toh(q->reftable[i]);
		if (q->reftable[i] & QCOW2_REFT_RESERVED_MASK)
			return vk_qcow2_corrupt(img, "refcount table entry %llu has reserved bits set",
						(unsigned long long)i);
		if (q->reftable[i] % q->cluster_size)
			return vk_qcow2_corrupt(img, "refcount block %llu is not cluster aligned",
						(unsigned long long)i);
		if (q->reftable[i] && !(img->flags & VK_IMAGE_RDONLY) &&
		    (rc = vk_qcow2_check_overlap(img, q->reftable[i], q->cluster_size, "refcount block")) < 0)
			return rc;
	}
	return 0;
}

/* Entry i of a refcount block, for every refcount width qemu can create. */
static uint64_t rb_entry_get(const uint8_t *p, uint32_t order, uint64_t i)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (order) {
	case 0: case 1: case 2: {
		unsigned bits = 1u << order;
		uint64_t bit = i * bits;

		return (p[bit / 8] >> (bit % 8)) & ((1u << bits) - 1);
	}
	case 3:
		return p[i];
	case 4:
		memcpy(&v16, p + i * 2, 2);
		return be16toh(v16);
	case 5:
		memcpy(&v32, p + i * 4, 4);
		return be32toh(v32);
	default:
		memcpy(&v64, p + i * 8, 8);
		return be64toh(v64);
	}
}

static void rb_entry_set(uint8_t *p, uint32_t order, uint64_t i, uint64_t v)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;

	switch (order) {
	case 0: case 1: case 2: {
		unsigned bits = 1u << order;
		uint64_t bit = i * bits;
		uint8_t mask = (uint8_t)(((1u << bits) - 1) << (bit % 8));

		p[bit / 8] = (uint8_t)((p[bit / 8] & ~mask) | ((v << (bit % 8)) & mask));
		break;
	}
	case 3:
		p[i] = (uint8_t)v;
		break;
	case 4:
		v16 = htobe16((uint16_t)v);
		memcpy(p + i * 2, &v16, 2);
		break;
	case 5:
		v32 = htobe32((uint32_t)v);
		memcpy(p + i * 4, &v32, 4);
		break;
	default:
		v64 = htobe64(v);
		memcpy(p + i * 8, &v64, 8);
		break;
	}
}

/* The cache slot of the refcount block at rb_off, loading it (or starting
 * it zeroed when fresh) and writing back whatever it displaces. */
static int rb_slot(struct vk_image *img, uint64_t rb_off, bool fresh, int *out)
{
	struct qcow2 *q = qcow2_of(img);
	struct qcow2_cache *c = &q->rb_cache;
	struct qcow2_cached *s;
	unsigned i, victim = 0;
	int rc, slot = vk_qcow2_cache_find(c, rb_off);

	if (slot >= 0) {
		*out = slot;
		return 0;
	}
	if (!fresh && rb_off + q->cluster_size > q->phys_size)
		return vk_qcow2_corrupt(img, "refcount block at 0x%llx lies past the end of the file",
					(unsigned long long)rb_off);
	for (i = 1; i < c->n; i++)
		if (c->slots[i].last_use < c->slots[victim].last_use)
			victim = i;
	s = &c->slots[victim];
	if (s->dirty) {
		/* Refcount blocks may reach the disk at any time: increases
		 * must precede the tables that use them (which sync first,
		 * vk_qcow2_barrier), and decreases only happen after those
		 * tables are on disk. */
		rc = vk_qcow2_pwrite(img, s->data, q->cluster_size, s->offset);
		if (rc < 0)
			return vk_error(-rc, "%s: writing a refcount block", img->path);
		s->dirty = false;
	}
	s->offset = 0;
	if (fresh) {
		memset(s->data, 0, q->cluster_size);
		s->dirty = true;
	} else {
		rc = vk_pread_full(img->fd, s->data, q->cluster_size, rb_off);
		if (rc < 0)
			return vk_error(-rc, "%s: reading a refcount block", img->path);
	}
	s->offset = rb_off;
	s->last_use = ++c->clock;
	*out = (int)victim;
	return 0;
}

int vk_qcow2_refcount_get(struct vk_image *img, uint64_t host_off, uint64_t *rc_out)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t cluster = host_off >> q->h.cluster_bits;
	uint64_t rti = cluster >> q->rb_bits;
	int slot, rc;

	*rc_out = 0;
	if (rti >= q->reftable_entries || q->reftable[rti] == 0)
		return 0;
	rc = rb_slot(img, q->reftable[rti], false, &slot);
	if (rc < 0)
		return rc;
	*rc_out = rb_entry_get((uint8_t *)q->rb_cache.slots[slot].data, q->h.refcount_order,
			       cluster & ((1ull << q->rb_bits) - 1));
	return 0;
}

static int refcount_set(struct vk_image *img, uint64_t host_off, uint64_t value, int depth);

/* A bigger refcount table at the end of the file; the header learns of it
 * at the next writeback, the old one is freed after that. */
static int reftable_grow(struct vk_image *img, uint64_t need_entries, int depth)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t per_cluster = q->cluster_size / 8;
	uint64_t clusters = (need_entries + per_cluster - 1) / per_cluster;
	uint64_t *t, off, i;
	int rc;

	clusters += clusters / 2 + 1;
	if (clusters * q->cluster_size > QCOW2_MAX_REFTABLE_BYTES)
		return vk_errorx(EFBIG, "%s: refcount table would exceed qemu's limit", img->path);
	t = realloc(q->reftable, clusters * q->cluster_size);
	if (!t)
		return vk_error(ENOMEM, "%s: refcount table", img->path);
	memset(t + q->reftable_entries, 0, (clusters * per_cluster - q->reftable_entries) * 8);
	q->reftable = t;
	rc = vk_qcow2_free_later(img, q->h.refcount_table_offset,
				 (uint64_t)q->h.refcount_table_clusters * q->cluster_size);
	if (rc < 0)
		return rc;
	q->reftable_entries = clusters * per_cluster;
	off = q->file_end;
	q->file_end += clusters * q->cluster_size;
	q->h.refcount_table_offset = off;
	q->h.refcount_table_clusters = (uint32_t)clusters;
	q->reftable_moved = true;
	q->reftable_dirty = true;
	for (i = 0; i < clusters; i++) {
		rc = refcount_set(img, off + i * q->cluster_size, 1, depth + 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int refcount_set(struct vk_image *img, uint64_t host_off, uint64_t value, int depth)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t cluster = host_off >> q->h.cluster_bits;
	uint64_t rti = cluster >> q->rb_bits;
	bool fresh = false;
	int slot, rc;

	if (depth > 8)
		return vk_qcow2_corrupt(img, "refcount structures do not converge");
	if (value > q->refcount_max)
		return vk_errorx(EOVERFLOW, "%s: refcount overflow at 0x%llx", img->path,
				 (unsigned long long)host_off);
	if (rti >= q->reftable_entries) {
		rc = reftable_grow(img, rti + 1, depth);
		if (rc < 0)
			return rc;
	}
	if (q->reftable[rti] == 0) {
		q->reftable[rti] = q->file_end;
		q->file_end += q->cluster_size;
		q->reftable_dirty = true;
		fresh = true;
	}
	rc = rb_slot(img, q->reftable[rti], fresh, &slot);
	if (rc < 0)
		return rc;
	rb_entry_set((uint8_t *)q->rb_cache.slots[slot].data, q->h.refcount_order,
		     cluster & ((1ull << q->rb_bits) - 1), value);
	q->rb_cache.slots[slot].dirty = true;
	if (fresh)	/* the new block counts itself (maybe in itself) */
		return refcount_set(img, q->reftable[rti], 1, depth + 1);
	return 0;
}

int vk_qcow2_alloc_clusters(struct vk_image *img, uint64_t n, uint64_t *host_off)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t cs = q->cluster_size, start, off, run = 0, refs, i;
	int rc;

	start = q->free_hint > cs ? q->free_hint : cs;
	for (off = start; off < q->file_end && run < n; off += cs) {
		rc = vk_qcow2_refcount_get(img, off, &refs);
		if (rc < 0)
			return rc;
		if (refs) {
			run = 0;
			start = off + cs;
		} else {
			run++;
		}
	}
	if (run < n) {	/* extend the file, reusing a free tail */
		if (start + n * cs > q->file_end)
			q->file_end = start + n * cs;
	}
	q->free_hint = start + n * cs;
	for (i = 0; i < n; i++) {
		rc = refcount_set(img, start + i * cs, 1, 0);
		if (rc < 0)
			return rc;
	}
	*host_off = start;
	return 0;
}

int vk_qcow2_free_later(struct vk_image *img, uint64_t off, uint64_t len)
{
	struct qcow2 *q = qcow2_of(img);
	struct qcow2_free_range *p;

	if (len == 0)
		return 0;
	if (q->n_pending && q->pending[q->n_pending - 1].offset +
			    q->pending[q->n_pending - 1].len == off) {
		q->pending[q->n_pending - 1].len += len;
		return 0;
	}
	if (q->n_pending == q->max_pending) {
		unsigned n = q->max_pending ? q->max_pending * 2 : 64;

		p = realloc(q->pending, n * sizeof(*p));
		if (!p)
			return vk_error(ENOMEM, "%s: free list", img->path);
		q->pending = p;
		q->max_pending = n;
	}
	q->pending[q->n_pending].offset = off;
	q->pending[q->n_pending].len = len;
	q->n_pending++;
	return 0;
}

int vk_qcow2_apply_frees(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t cs = q->cluster_size, c, end, refs;
	unsigned i;
	int rc;

	for (i = 0; i < q->n_pending; i++) {
		c = q->pending[i].offset & ~(uint64_t)(cs - 1);
		end = q->pending[i].offset + q->pending[i].len;
		for (; c < end; c += cs) {
			rc = vk_qcow2_refcount_get(img, c, &refs);
			if (rc < 0)
				return rc;
			if (refs == 0)
				continue;	/* already free: a leak beats a double free */
			rc = refcount_set(img, c, refs - 1, 0);
			if (rc < 0)
				return rc;
			if (refs == 1 && c < q->free_hint)
				q->free_hint = c;
		}
	}
	q->n_pending = 0;
	q->zbuf_desc = 0;
	return 0;
}

static int write_reftable(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t i, n = q->reftable_entries;
	uint64_t *be = malloc(n * 8);
	int rc;

	if (!be)
		return vk_error(ENOMEM, "%s: refcount table", img->path);
	for (i = 0; i < n; i++)
		be[i] = htobe64(q->reftable[i]);
	rc = vk_qcow2_pwrite(img, be, n * 8, q->h.refcount_table_offset);
	free(be);
	if (rc < 0)
		return vk_error(-rc, "%s: writing the refcount table", img->path);
	return 0;
}

int vk_qcow2_refcount_writeback(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	unsigned i;
	int rc;

	for (i = 0; i < q->rb_cache.n; i++) {
		struct qcow2_cached *s = &q->rb_cache.slots[i];

		if (!s->dirty)
			continue;
		rc = vk_qcow2_pwrite(img, s->data, q->cluster_size, s->offset);
		if (rc < 0)
			return vk_error(-rc, "%s: writing a refcount block", img->path);
		s->dirty = false;
	}
	if (q->reftable_dirty) {
		/* The blocks (these, or ones evicted earlier) first, then the
		 * table that points at them. */
		rc = vk_qcow2_barrier(img);
		if (rc == 0)
			rc = write_reftable(img);
		if (rc < 0)
			return rc;
		q->reftable_dirty = false;
	}
	if (q->reftable_moved) {
		uint64_t off = htobe64(q->h.refcount_table_offset);
		uint32_t clusters = htobe32(q->h.refcount_table_clusters);
		uint8_t field[12];

		rc = vk_qcow2_barrier(img);
		if (rc < 0)
			return rc;
		memcpy(field, &off, 8);
		memcpy(field + 8, &clusters, 4);
		rc = vk_qcow2_write_header_field(img, QCOW2_HDR_REFCOUNT_TABLE_OFFSET, field, 12);
		if (rc < 0)
			return rc;
		q->reftable_moved = false;
	}
	return 0;
}

int vk_qcow2_claim(struct vk_image *img, uint64_t off, uint64_t n)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = refcount_set(img, off + i * q->cluster_size, 1, 0);
		if (rc < 0)
			return rc;
	}
	return 0;
}
