/* qcow2.h - the qcow2 driver's state, shared by its files (header, tables, refcounts, I/O). */
#ifndef VK_QCOW2_H
#define VK_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "common/image/image-internal.h"
#include "common/image/qcow2-format.h"

/* The header as validated by vk_qcow2_parse_header(). */
struct qcow2_header {
	uint32_t version;
	uint64_t backing_file_offset;
	uint32_t backing_file_size;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t l1_size;
	uint64_t l1_table_offset;
	uint64_t refcount_table_offset;
	uint32_t refcount_table_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompatible_features;
	uint64_t compatible_features;
	uint64_t autoclear_features;
	uint32_t refcount_order;
	uint32_t header_length;
	char backing_file[QCOW2_MAX_BACKING_FILE_SIZE + 1];	/* "" if none */
	char backing_format[32];				/* "" if not recorded */
};

/* Validate a header cluster buf[0..len) of an image file of file_size
 * bytes.  Returns 0 or -errno with a message naming the problem
 * (-ENOTSUP for features we refuse, -EINVAL for a corrupt header). */
int vk_qcow2_parse_header(const uint8_t *buf, size_t len, uint64_t file_size,
			  struct qcow2_header *h);

/* A cached metadata table (one cluster): an L2 table or a refcount block. */
struct qcow2_cached {
	uint64_t offset;	/* host offset; 0 = slot empty */
	uint64_t *data;		/* cluster_size bytes, big-endian on disk form */
	uint64_t last_use;
	uint64_t index;		/* L1 index (L2 tables) */
	bool dirty;
};

struct qcow2_cache {
	struct qcow2_cached *slots;
	unsigned n;
	uint64_t clock;
};

struct qcow2_free_range {
	uint64_t offset;
	uint64_t len;
};

struct qcow2 {
	struct qcow2_header h;
	uint32_t cluster_size;
	uint32_t l2_bits;		/* log2 of entries per L2 table */
	uint32_t rb_bits;		/* log2 of entries per refcount block */
	uint32_t refcount_bits;
	uint64_t refcount_max;
	uint32_t csize_shift;		/* compressed descriptor: where the sector count starts */
	uint64_t csize_mask;
	uint64_t coffset_mask;

	uint64_t *l1;			/* in host byte order */
	uint32_t l1_size;
	bool l1_dirty;
	int *l1_slot;			/* L1 index -> L2 cache slot, or -1 */

	uint64_t *reftable;		/* in host byte order */
	uint64_t reftable_entries;
	bool reftable_dirty;
	bool reftable_moved;		/* new location not yet in the header */
	uint64_t old_reftable_offset;	/* to free once the header points away */
	uint32_t old_reftable_clusters;

	struct qcow2_cache l2_cache;
	struct qcow2_cache rb_cache;

	uint64_t file_end;		/* first byte past the last cluster we know of */
	uint64_t phys_size;		/* bytes the host file holds */
	uint64_t free_hint;		/* no free cluster below this host offset */
	bool unsynced;			/* written since the last fdatasync */

	/* Clusters whose last reference is gone from an L2 table in memory:
	 * their refcounts drop only after that table is on disk. */
	struct qcow2_free_range *pending;
	unsigned n_pending, max_pending;

	uint8_t *bounce;		/* one cluster, for copy-on-write */
	uint8_t *zeros;			/* one cluster of zeros, to write as data */
	uint8_t *cbuf;			/* compressed input (2 clusters) */
	uint8_t *zbuf;			/* last inflated cluster */
	uint64_t zbuf_desc;		/* its L2 descriptor, 0 = none */
	z_stream zs;
	bool zs_ready;

	struct vk_image *backing;
};

static inline struct qcow2 *qcow2_of(struct vk_image *img)
{
	return img->priv;
}

/* qcow2-cache.c */
int vk_qcow2_cache_init(struct qcow2_cache *c, unsigned n, uint32_t cluster_size);
void vk_qcow2_cache_free(struct qcow2_cache *c);
/* The slot holding offset, or -1. */
int vk_qcow2_cache_find(struct qcow2_cache *c, uint64_t offset);

/* qcow2-refcount.c */
int vk_qcow2_refcount_load(struct vk_image *img);
int vk_qcow2_refcount_get(struct vk_image *img, uint64_t host_off, uint64_t *rc);
/* Find n contiguous free clusters, mark them used; *host_off = first. */
int vk_qcow2_alloc_clusters(struct vk_image *img, uint64_t n, uint64_t *host_off);
/* Drop a reference to every cluster touched by [off, off+len) once the
 * tables that referenced it are on disk. */
int vk_qcow2_free_later(struct vk_image *img, uint64_t off, uint64_t len);
/* Write dirty refcount blocks and the refcount table (and the header if
 * the table moved), each pointer only after what it points at is durable. */
int vk_qcow2_refcount_writeback(struct vk_image *img);
/* Count [off, off + n clusters) as used (image creation). */
int vk_qcow2_claim(struct vk_image *img, uint64_t off, uint64_t n);
/* Apply the pending frees (after the L2/L1 writeback). */
int vk_qcow2_apply_frees(struct vk_image *img);

/* qcow2-cluster.c */
int vk_qcow2_read(struct vk_image *img, void *buf, size_t len, uint64_t off);
int vk_qcow2_write(struct vk_image *img, const void *buf, size_t len, uint64_t off);
int vk_qcow2_discard(struct vk_image *img, uint64_t off, uint64_t len);
int vk_qcow2_block_status(struct vk_image *img, uint64_t off, uint64_t len,
			  enum vk_block_status *st, uint64_t *pnum);
/* Write every dirty L2 table and then the L1 table. */
int vk_qcow2_l2_writeback(struct vk_image *img);
/* Map every cluster of the disk to a (sparse) host cluster. */
int vk_qcow2_preallocate(struct vk_image *img);

/* qcow2.c */
/* Read and validate the header of the qcow2 file at path. */
int vk_qcow2_peek(const char *path, struct qcow2_header *h);
/* The format of h's backing file (resolved to path): the recorded one, or
 * raw when none is recorded and the file carries no known format's magic
 * (qcow, qcow2, QED, VMDK, VDI, VHDX, VPC, LUKS, Parallels, Bochs);
 * refused, naming the format seen, when it does. */
int vk_qcow2_backing_format(const char *image, const struct qcow2_header *h,
			    const char *path, enum vk_image_format *fmt);
/* Refuse to write what a corrupt table points at over our own metadata. */
int vk_qcow2_check_overlap(struct vk_image *img, uint64_t off, uint64_t len, const char *what);
/* pwrite that keeps phys_size current and notes that a sync is owed. */
int vk_qcow2_pwrite(struct vk_image *img, const void *buf, size_t len, uint64_t off);
/* Make everything written so far durable before a write that points at it
 * (an L1 or refcount table entry, an L2 entry, the header): fdatasync if
 * anything was written since the last one.  Whatever path wrote a table
 * (eviction, writeback), the pointer to it cannot reach the disk first. */
int vk_qcow2_barrier(struct vk_image *img);
int vk_qcow2_flush(struct vk_image *img);
int vk_qcow2_write_header_field(struct vk_image *img, unsigned off, const void *be, size_t len);
int vk_qcow2_corrupt(struct vk_image *img, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline uint64_t qcow2_align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

#endif
