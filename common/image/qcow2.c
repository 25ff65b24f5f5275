/* qcow2.c - opening, flushing and closing qcow2 images; the metadata write order lives here. */
#include "config.h"
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/image/qcow2.h"

/* L2 cache budget: enough tables to map 32 GiB with 64 KiB clusters. */
#define QCOW2_L2_CACHE_BYTES	(4u << 20)
#define QCOW2_L2_CACHE_MIN	4
#define QCOW2_RB_CACHE_SLOTS	8

int vk_qcow2_corrupt(struct vk_image *img, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vk_errorx(EIO, "%s: corrupt qcow2 image: %s (qemu-img check can tell more)",
			 img->path, msg);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

int vk_qcow2_check_overlap(struct vk_image *img, uint64_t off, uint64_t len, const char *what)
{
	struct qcow2 *q = qcow2_of(img);

	if (overlaps(off, len, 0, q->cluster_size) ||
	    overlaps(off, len, q->h.l1_table_offset, (uint64_t)q->l1_size * 8) ||
	    overlaps(off, len, q->h.refcount_table_offset,
		     (uint64_t)q->h.refcount_table_clusters * q->cluster_size))
		return vk_qcow2_corrupt(img, "%s at 0x%llx overlaps the header, L1 or refcount table",
					what, (unsigned long long)off);
	return 0;
}

int vk_qcow2_pwrite(struct vk_image *img, const void *buf, size_t len, uint64_t off)
{
	struct qcow2 *q = qcow2_of(img);
	int rc = vk_pwrite_full(img->fd, buf, len, off);

	q->unsynced = true;	/* even a failed write may have reached the file */
	if (rc == 0 && off + len > q->phys_size)
		q->phys_size = off + len;
	return rc;
}

int vk_qcow2_barrier(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);

	if (!q->unsynced)
		return 0;
	if (fdatasync(img->fd) < 0)
		return vk_error(errno, "%s: sync", img->path);
	q->unsynced = false;
	return 0;
}

int vk_qcow2_write_header_field(struct vk_image *img, unsigned off, const void *be, size_t len)
{
	int rc = vk_qcow2_pwrite(img, be, len, off);

	return rc < 0 ? vk_error(-rc, "%s: writing the header", img->path) : 0;
}

int vk_qcow2_flush(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	int rc;

	/* refcounts (blocks, table, header) -> sync -> L2 -> sync -> L1 ->
	 * sync -> frees -> sync.  Each pointer write is preceded by a barrier
	 * (vk_qcow2_barrier), so a crash anywhere leaves every referenced
	 * cluster counted and every table written: at worst clusters leak. */
	rc = vk_qcow2_refcount_writeback(img);
	if (rc == 0)
		rc = vk_qcow2_l2_writeback(img);
	if (rc == 0)
		rc = vk_qcow2_barrier(img);
	if (rc == 0 && q->n_pending) {
		rc = vk_qcow2_apply_frees(img);
		if (rc == 0)
			rc = vk_qcow2_refcount_writeback(img);
		if (rc == 0)
			rc = vk_qcow2_barrier(img);
	}
	return rc;
}

static void qcow2_close(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);

	if (!q)
		return;
	vk_qcow2_cache_free(&q->l2_cache);
	vk_qcow2_cache_free(&q->rb_cache);
	if (q->zs_ready)
		inflateEnd(&q->zs);
	if (q->backing)
		vk_image_close(q->backing);
	free(q->l1);
	free(q->l1_slot);
	free(q->reftable);
	free(q->pending);
	free(q->bounce);
	free(q->zeros);
	free(q->cbuf);
	free(q->zbuf);
	free(q);
	img->priv = NULL;
}

static const struct vk_image_ops qcow2_ops = {
	.read = vk_qcow2_read,
	.write = vk_qcow2_write,
	.discard = vk_qcow2_discard,
	.flush = vk_qcow2_flush,
	.block_status = vk_qcow2_block_status,
	.close = qcow2_close,
};

static int load_l1(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	uint32_t i;
	int rc;

	q->l1_size = q->h.l1_size;
	q->l1 = calloc(q->l1_size ? q->l1_size : 1, sizeof(*q->l1));
	q->l1_slot = malloc((q->l1_size ? q->l1_size : 1) * sizeof(*q->l1_slot));
	if (!q->l1 || !q->l1_slot)
		return vk_error(ENOMEM, "%s: L1 table", img->path);
	if (q->l1_size) {
		rc = vk_pread_full(img->fd, q->l1, (size_t)q->l1_size * 8, q->h.l1_table_offset);
		if (rc < 0)
			return vk_error(-rc, "%s: reading the L1 table", img->path);
	}
	for (i = 0; i < q->l1_size; i++) {
		q->l1[i] = be64toh(q->l1[i]);
		q->l1_slot[i] = -1;
	}
	return 0;
}

static int check_writable(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);

	if (q->h.incompatible_features & QCOW2_INCOMPAT_CORRUPT)
		return vk_errorx(EROFS, "%s: image is marked corrupt; repair it with qemu-img check -r all or open it read-only",
				 img->path);
	if (q->h.incompatible_features & QCOW2_INCOMPAT_DIRTY)
		return vk_errorx(EROFS, "%s: image was not closed cleanly (lazy refcounts); repair it with qemu-img check -r all",
				 img->path);
	if (q->h.nb_snapshots)
		return vk_errorx(ENOTSUP, "%s: writing images with internal snapshots is not supported; delete them with qemu-img snapshot -d or open read-only",
				 img->path);
	if (q->h.autoclear_features) {
		/* We do not maintain bitmaps: clearing the bits tells qemu
		 * they are stale, as the spec requires of such writers. */
		uint64_t zero = 0;
		int rc = vk_qcow2_write_header_field(img, QCOW2_HDR_AUTOCLEAR_FEATURES, &zero, 8);

		if (rc == 0)
			rc = vk_qcow2_barrier(img);
		if (rc < 0)
			return rc;
		q->h.autoclear_features = 0;
	}
	return 0;
}

static int read_header(int fd, const char *path, struct qcow2_header *h)
{
	uint8_t *hdr = NULL;
	struct stat st;
	size_t hlen;
	int rc;

	if (fstat(fd, &st) < 0)
		return vk_error(errno, "%s", path);
	hlen = (uint64_t)st.st_size < (1u << QCOW2_MAX_CLUSTER_BITS) ? (size_t)st.st_size
								   : (1u << QCOW2_MAX_CLUSTER_BITS);
	hdr = malloc(hlen ? hlen : 1);
	if (!hdr)
		return vk_error(ENOMEM, "%s", path);
	rc = vk_pread_full(fd, hdr, hlen, 0);
	if (rc < 0)
		rc = vk_error(-rc, "%s", path);
	else if ((rc = vk_qcow2_parse_header(hdr, hlen, (uint64_t)st.st_size, h)) < 0)
		vk_error_prefix(rc, "%s", path);
	free(hdr);
	return rc;
}

int vk_qcow2_peek(const char *path, struct qcow2_header *h)
{
	int fd, rc = vk_open_input(path, O_RDONLY, VK_INPUT_REGULAR | VK_INPUT_BLOCK, NULL, &fd);

	if (rc < 0)
		return rc;
	rc = read_header(fd, path, h);
	close(fd);
	return rc;
}

/* What qemu's probe would find at the start of a backing file: the magic
 * numbers of the image formats qemu-img can open (block/ *.c probes). */
#define QCOW_MAGIC_BYTES	"QFI\xfb"	/* qcow and qcow2; the version tells them apart */
#define QED_MAGIC_BYTES		"QED\0"
#define VMDK4_MAGIC_BYTES	"KDMV"
#define VMDK3_MAGIC_BYTES	"COWD"
#define VMDK_DESCRIPTOR		"# Disk DescriptorFile"
#define VDI_SIGNATURE_OFFSET	64
#define VDI_SIGNATURE_BYTES	"\x7f\x10\xda\xbe"	/* 0xbeda107f, little-endian */
#define VHDX_FILE_ID		"vhdxfile"
#define VPC_COOKIE		"conectix"
#define LUKS_MAGIC_BYTES	"LUKS\xba\xbe"
#define PARALLELS_MAGIC		"WithoutFreeSpace"
#define PARALLELS_MAGIC_EXT	"WithouFreSpacExt"
#define BOCHS_MAGIC		"Bochs Virtual HD Image"
#define BACKING_PROBE_BYTES	512

static const struct {
	unsigned offset;
	const char *magic;
	size_t len;
	const char *format;	/* qemu's name, for qemu-img rebase -F */
} backing_magics[] = {
	{ 0, QED_MAGIC_BYTES, 4, "qed" },
	{ 0, VMDK4_MAGIC_BYTES, 4, "vmdk" },
	{ 0, VMDK3_MAGIC_BYTES, 4, "vmdk" },
	{ 0, VMDK_DESCRIPTOR, sizeof(VMDK_DESCRIPTOR) - 1, "vmdk" },
	{ VDI_SIGNATURE_OFFSET, VDI_SIGNATURE_BYTES, 4, "vdi" },
	{ 0, VHDX_FILE_ID, 8, "vhdx" },
	{ 0, VPC_COOKIE, 8, "vpc" },
	{ 0, LUKS_MAGIC_BYTES, 6, "luks" },
	{ 0, PARALLELS_MAGIC, 16, "parallels" },
	{ 0, PARALLELS_MAGIC_EXT, 16, "parallels" },
	{ 0, BOCHS_MAGIC, sizeof(BOCHS_MAGIC) - 1, "bochs" },
};

/* The format name qemu's probe would give the file starting with p, or
 * NULL where it would say raw (as far as magic numbers tell). */
static const char *probe_like_qemu(const uint8_t *p)
{
	uint32_t version;
	size_t i;

	if (memcmp(p, QCOW_MAGIC_BYTES, 4) == 0) {
		memcpy(&version, p + 4, 4);
		return be32toh(version) == 1 ? "qcow" : "qcow2";
	}
	for (i = 0; i < sizeof(backing_magics) / sizeof(backing_magics[0]); i++)
		if (memcmp(p + backing_magics[i].offset, backing_magics[i].magic,
			   backing_magics[i].len) == 0)
			return backing_magics[i].format;
	return NULL;
}

/* A backing file without a recorded format is raw only when it carries
 * no known format's magic: where qemu's probe would find another format
 * we refuse rather than read the chain differently (docs/images.md). */
int vk_qcow2_backing_format(const char *image, const struct qcow2_header *h,
			    const char *path, enum vk_image_format *fmt)
{
	uint8_t start[BACKING_PROBE_BYTES];
	const char *seen;
	int fd, rc;

	if (h->backing_format[0])
		return vk_image_format_parse(h->backing_format, fmt) < 0 ?
			vk_errorx(ENOTSUP, "%s: backing file format '%s' is not supported",
				  image, h->backing_format) : 0;
	rc = vk_open_input(path, O_RDONLY, VK_INPUT_REGULAR | VK_INPUT_BLOCK, NULL, &fd);
	if (rc < 0)
		return vk_error_prefix(rc, "%s: backing file", image);
	rc = vk_pread_full(fd, start, sizeof(start), 0);	/* short files read as zeros */
	close(fd);
	if (rc < 0)
		return vk_error(-rc, "%s: backing file %s", image, path);
	seen = probe_like_qemu(start);
	if (seen)
		return vk_errorx(EINVAL, "%s: backing file %s has no recorded format and looks like %s; record its format with qemu-img rebase -u -F %s -b %s %s",
				 image, path, seen, seen, h->backing_file, image);
	*fmt = VK_IMAGE_RAW;
	return 0;
}

static int open_backing(struct vk_image *img, int depth)
{
	struct qcow2 *q = qcow2_of(img);
	enum vk_image_format fmt;
	char *path;
	int rc;

	if (!q->h.backing_file[0])
		return 0;
	path = vk_image_resolve_backing(img->path, q->h.backing_file);
	if (!path)
		return -errno;
	rc = vk_qcow2_backing_format(img->path, &q->h, path, &fmt);
	if (rc == 0)
		rc = vk_image_open_depth(path, fmt, VK_IMAGE_RDONLY, depth + 1, &q->backing);
	free(path);
	if (rc < 0)
		return vk_error_prefix(rc, "%s: backing file", img->path);
	return 0;
}

static int setup(struct vk_image *img)
{
	struct qcow2 *q = qcow2_of(img);
	uint32_t cb = q->h.cluster_bits;
	unsigned n_l2;
	int rc;

	q->cluster_size = 1u << cb;
	q->l2_bits = cb - 3;
	q->refcount_bits = 1u << q->h.refcount_order;
	q->rb_bits = cb + 3 - q->h.refcount_order;
	q->refcount_max = q->refcount_bits == 64 ? UINT64_MAX : (1ull << q->refcount_bits) - 1;
	q->csize_shift = 62 - (cb - 8);
	q->csize_mask = (1ull << (cb - 8)) - 1;
	q->coffset_mask = (1ull << q->csize_shift) - 1;
	q->file_end = qcow2_align_up(q->phys_size, q->cluster_size);

	n_l2 = QCOW2_L2_CACHE_BYTES / q->cluster_size;
	if (n_l2 > q->h.l1_size)
		n_l2 = q->h.l1_size;
	if (n_l2 < QCOW2_L2_CACHE_MIN)
		n_l2 = QCOW2_L2_CACHE_MIN;
	rc = vk_qcow2_cache_init(&q->l2_cache, n_l2, q->cluster_size);
	if (rc == 0)
		rc = vk_qcow2_cache_init(&q->rb_cache, QCOW2_RB_CACHE_SLOTS, q->cluster_size);
	q->bounce = malloc(q->cluster_size);
	q->zeros = calloc(1, q->cluster_size);
	q->cbuf = malloc(2 * (size_t)q->cluster_size);
	q->zbuf = malloc(q->cluster_size);
	if (rc < 0 || !q->bounce || !q->zeros || !q->cbuf || !q->zbuf)
		return vk_error(ENOMEM, "%s: caches", img->path);
	if (inflateInit2(&q->zs, -12) != Z_OK)	/* raw deflate, 4 KiB window as qemu writes */
		return vk_errorx(ENOMEM, "%s: zlib init failed", img->path);
	q->zs_ready = true;
	return 0;
}

int vk_qcow2_open(struct vk_image *img, int depth)
{
	struct qcow2 *q;
	struct stat st;
	int rc;

	q = calloc(1, sizeof(*q));
	if (!q)
		return vk_error(ENOMEM, "%s", img->path);
	img->priv = q;
	if (fstat(img->fd, &st) < 0) {
		rc = vk_error(errno, "%s", img->path);
		goto out;
	}
	q->phys_size = (uint64_t)st.st_size;
	rc = read_header(img->fd, img->path, &q->h);
	if (rc < 0)
		goto out;
	img->size = q->h.size;
	img->ops = &qcow2_ops;
	rc = setup(img);
	if (rc == 0)
		rc = load_l1(img);
	if (rc == 0)
		rc = vk_qcow2_refcount_load(img);
	if (rc == 0 && !(img->flags & VK_IMAGE_RDONLY))
		rc = check_writable(img);
	if (rc == 0)
		rc = open_backing(img, depth);
out:
	if (rc < 0)
		qcow2_close(img);
	return rc;
}

/* The header of an empty version 3 image, with its extensions. */
static size_t build_header(uint8_t *buf, uint32_t cb, uint64_t size, uint32_t l1_size,
			   const char *backing, const char *backing_fmt)
{
	uint64_t cs = 1ull << cb, v64;
	uint32_t v32;
	size_t off = 112, blen;

#define PUT32(o, v) (v32 = htobe32(v), memcpy(buf + (o), &v32, 4))
#define PUT64(o, v) (v64 = htobe64(v), memcpy(buf + (o), &v64, 8))
	PUT32(QCOW2_HDR_MAGIC, QCOW2_MAGIC);
	PUT32(QCOW2_HDR_VERSION, 3);
	PUT32(QCOW2_HDR_CLUSTER_BITS, cb);
	PUT64(QCOW2_HDR_SIZE, size);
	PUT32(QCOW2_HDR_L1_SIZE, l1_size);
	PUT64(QCOW2_HDR_L1_TABLE_OFFSET, 3 * cs);
	PUT64(QCOW2_HDR_REFCOUNT_TABLE_OFFSET, cs);
	PUT32(QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS, 1);
	PUT32(QCOW2_HDR_REFCOUNT_ORDER, 4);
	PUT32(QCOW2_HDR_HEADER_LENGTH, 112);
	if (backing && backing_fmt) {
		blen = strlen(backing_fmt);
		PUT32(off, QCOW2_EXT_BACKING_FORMAT);
		PUT32(off + 4, (uint32_t)blen);
		memcpy(buf + off + 8, backing_fmt, blen);
		off += 8 + qcow2_align_up(blen, 8);
	}
	PUT32(off, QCOW2_EXT_END);
	PUT32(off + 4, 0);
	off += 8;
	if (backing) {
		blen = strlen(backing);
		PUT64(QCOW2_HDR_BACKING_FILE_OFFSET, off);
		PUT32(QCOW2_HDR_BACKING_FILE_SIZE, (uint32_t)blen);
		memcpy(buf + off, backing, blen);
		off += blen;
	}
#undef PUT32
#undef PUT64
	(void)cs;
	return off;
}

/* Header, refcount table and first refcount block (counting those three),
 * an empty L1 table; then our own allocator counts the L1 clusters, so
 * images of any size and cluster size share one code path. */
static int write_skeleton(int fd, const struct vk_image_create_opts *o, uint32_t cb,
			  uint64_t size, uint32_t l1_size)
{
	uint64_t cs = 1ull << cb, l1_clusters = qcow2_align_up((uint64_t)l1_size * 8, cs) / cs;
	uint8_t *buf = calloc(1, cs);
	uint64_t v64;
	uint16_t v16 = htobe16(1);
	size_t hlen;
	int rc = -ENOMEM;

	if (!buf)
		goto out;
	hlen = build_header(buf, cb, size, l1_size, o->backing_file,
			    o->backing_file ? vk_image_format_name(o->backing_format) : NULL);
	if (hlen > cs) {
		rc = vk_errorx(EINVAL, "%s: backing file name too long for %llu-byte clusters",
			       o->path, (unsigned long long)cs);
		goto out;
	}
	rc = vk_pwrite_full(fd, buf, cs, 0);
	memset(buf, 0, cs);
	v64 = htobe64(2 * cs);
	memcpy(buf, &v64, 8);
	if (rc == 0)
		rc = vk_pwrite_full(fd, buf, cs, cs);
	memset(buf, 0, cs);
	memcpy(buf, &v16, 2);
	memcpy(buf + 2, &v16, 2);
	memcpy(buf + 4, &v16, 2);
	if (rc == 0)
		rc = vk_pwrite_full(fd, buf, cs, 2 * cs);
	if (rc == 0 && ftruncate(fd, (off_t)((3 + l1_clusters) * cs)) < 0)
		rc = -errno;
	if (rc < 0)
		rc = vk_error(-rc, "%s", o->path);
out:
	free(buf);
	return rc;
}

int vk_qcow2_create(const struct vk_image_create_opts *o, const char *path)
{
	uint32_t cs = o->cluster_size ? o->cluster_size : 65536, cb = 0;
	uint64_t size = o->size, per_l1, l1_size;
	struct vk_image *img = NULL;
	struct qcow2 *q;
	int fd = -1, rc;

	while ((1u << cb) < cs)
		cb++;
	if ((1u << cb) != cs || cb < QCOW2_MIN_CLUSTER_BITS || cb > QCOW2_MAX_CLUSTER_BITS)
		return vk_errorx(EINVAL, "%s: cluster size %u must be a power of two from 512 to 2M",
				 o->path, cs);
	if (o->backing_file && strlen(o->backing_file) > QCOW2_MAX_BACKING_FILE_SIZE)
		return vk_errorx(EINVAL, "%s: backing file name is too long", o->path);
	per_l1 = (uint64_t)cs * (cs / 8);
	l1_size = (size + per_l1 - 1) / per_l1;
	if (l1_size == 0)
		l1_size = 1;
	if (l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return vk_errorx(EFBIG, "%s: size too large for %u-byte clusters", o->path, cs);
	rc = vk_create_private(path, O_RDWR, &fd);
	if (rc < 0)
		return rc;
	rc = write_skeleton(fd, o, cb, size, (uint32_t)l1_size);
	close(fd);
	if (rc < 0)
		return rc;
	rc = vk_image_open_depth(path, VK_IMAGE_QCOW2, 0, 0, &img);
	if (rc < 0)
		return rc;
	q = qcow2_of(img);
	rc = vk_qcow2_claim(img, q->h.l1_table_offset,
			    qcow2_align_up(l1_size * 8, cs) / cs);
	if (rc == 0 && o->prealloc != VK_PREALLOC_OFF)
		rc = vk_qcow2_preallocate(img);
	if (rc == 0 && o->prealloc == VK_PREALLOC_FULL &&
	    (rc = posix_fallocate(img->fd, 0, (off_t)q->file_end)) != 0)
		rc = vk_error(rc, "%s: allocating", o->path);
	if (rc == 0)
		rc = vk_image_flush(img);
	vk_image_close(img);
	return rc;
}
