/* blk.c - virtio-blk (virtio 1.x section 5.2) on the image layer: read, write, flush, get-id, discard, write-zeroes. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/image/image.h"
#include "vmm/devices.h"
#include "vmm/virtio/virtio.h"

/* Feature bits, 5.2.3. */
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

/* Request types and status, 5.2.6. */
#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13
#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2
#define VIRTIO_BLK_ID_BYTES		20
#define VIRTIO_BLK_SECTOR_SIZE		512

/* struct virtio_blk_config offsets, 5.2.4. */
#define BLK_CFG_CAPACITY		0
#define BLK_CFG_SEG_MAX			12
#define BLK_CFG_BLK_SIZE		20
#define BLK_CFG_MAX_DISCARD_SECTORS	36
#define BLK_CFG_MAX_DISCARD_SEG		40
#define BLK_CFG_DISCARD_ALIGN		44
#define BLK_CFG_MAX_WZ_SECTORS		48
#define BLK_CFG_MAX_WZ_SEG		52
#define BLK_CFG_WZ_MAY_UNMAP		56
#define BLK_CFG_SIZE			60

#define BLK_HDR_SIZE			16	/* type, reserved, sector */
#define BLK_DISCARD_SEG_SIZE		16	/* sector, num_sectors, flags */
#define BLK_QUEUE_SIZE			256
#define BLK_MAX_DISCARD_SEG		32
#define BLK_MAX_DISCARD_SECTORS		(1u << 22)	/* 2 GiB per range */

struct vk_virtio_blk {
	struct vk_virtio_dev vdev;	/* first: container of vdev */
	struct vk_image *img;
	uint64_t capacity;		/* bytes, a multiple of the sector size */
	bool readonly;
	char serial[VIRTIO_BLK_ID_BYTES];
	struct vk_virtq_chain chain;	/* one request at a time per device */
};

static void put_le(uint8_t *p, uint64_t v, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get_le(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Is [sector, +bytes) a whole number of sectors inside the disk? */
static bool blk_range_ok(const struct vk_virtio_blk *blk, uint64_t sector, uint64_t bytes)
{
	return bytes % VIRTIO_BLK_SECTOR_SIZE == 0 &&
	       sector <= blk->capacity / VIRTIO_BLK_SECTOR_SIZE &&
	       bytes <= blk->capacity - sector * VIRTIO_BLK_SECTOR_SIZE;
}

/* Move data between the image at pos and the request's buffers: for reads
 * the writable buffers (all but the status byte), for writes the readable
 * ones after the header.  Each piece goes straight to guest RAM. */
static int blk_transfer(struct vk_virtio_blk *blk, const struct vk_virtq_chain *c,
			uint64_t pos, uint64_t len, bool to_guest)
{
	unsigned first = to_guest ? c->n_out : 0, end = to_guest ? c->n_out + c->n_in : c->n_out;
	uint64_t skip = to_guest ? 0 : BLK_HDR_SIZE;

	for (unsigned i = first; i < end && len; i++) {
		uint8_t *base = c->iov[i].iov_base;
		uint64_t n = c->iov[i].iov_len;
		int rc;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		base += skip;
		n -= skip;
		skip = 0;
		if (n > len)
			n = len;
		rc = to_guest ? vk_image_read(blk->img, base, n, pos)
			      : vk_image_write(blk->img, base, n, pos);
		if (rc < 0)
			return rc;
		pos += n;
		len -= n;
	}
	return len ? -EINVAL : 0;
}

static uint8_t blk_discard(struct vk_virtio_blk *blk, const struct vk_virtq_chain *c, uint64_t seg_bytes)
{
	uint8_t seg[BLK_DISCARD_SEG_SIZE];
	uint64_t n = seg_bytes / BLK_DISCARD_SEG_SIZE;

	if (blk->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (seg_bytes % BLK_DISCARD_SEG_SIZE || n == 0 || n > BLK_MAX_DISCARD_SEG)
		return VIRTIO_BLK_S_UNSUPP;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t sector, bytes;

		vk_virtq_chain_read(c, BLK_HDR_SIZE + i * BLK_DISCARD_SEG_SIZE, seg, sizeof(seg));
		sector = get_le(seg, 8);
		bytes = get_le(seg + 8, 4) * (uint64_t)VIRTIO_BLK_SECTOR_SIZE;
		if (get_le(seg + 8, 4) > BLK_MAX_DISCARD_SECTORS || get_le(seg + 12, 4) & ~1u ||
		    !blk_range_ok(blk, sector, bytes))
			return VIRTIO_BLK_S_IOERR;
		if (bytes && vk_image_discard(blk->img, sector * VIRTIO_BLK_SECTOR_SIZE, bytes) < 0)
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* Carry out one request; returns the status and sets *written (bytes put
 * into the guest's buffers, the status byte excluded). */
static uint8_t blk_execute(struct vk_virtio_blk *blk, const struct vk_virtq_chain *c,
			   uint32_t *written)
{
	uint8_t hdr[BLK_HDR_SIZE];
	uint64_t data_in = c->in_len - 1, data_out, sector;
	uint32_t type;

	*written = 0;
	if (c->out_len < BLK_HDR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	vk_virtq_chain_read(c, 0, hdr, sizeof(hdr));
	type = get_le(hdr, 4);
	sector = get_le(hdr + 8, 8);
	data_out = c->out_len - BLK_HDR_SIZE;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (!blk_range_ok(blk, sector, data_in) ||
		    blk_transfer(blk, c, sector * VIRTIO_BLK_SECTOR_SIZE, data_in, true) < 0)
			return VIRTIO_BLK_S_IOERR;
		*written = data_in;
		vk_virtio_stat_add(&blk->vdev, VK_BLK_STAT_READ_REQS, 1);
		vk_virtio_stat_add(&blk->vdev, VK_BLK_STAT_READ_BYTES, data_in);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (blk->readonly || !blk_range_ok(blk, sector, data_out) ||
		    blk_transfer(blk, c, sector * VIRTIO_BLK_SECTOR_SIZE, data_out, false) < 0)
			return VIRTIO_BLK_S_IOERR;
		vk_virtio_stat_add(&blk->vdev, VK_BLK_STAT_WRITE_REQS, 1);
		vk_virtio_stat_add(&blk->vdev, VK_BLK_STAT_WRITE_BYTES, data_out);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		vk_virtio_stat_add(&blk->vdev, VK_BLK_STAT_FLUSH_REQS, 1);
		return vk_image_flush(blk->img) < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		*written = vk_virtq_chain_write(c, 0, blk->serial,
						data_in < VIRTIO_BLK_ID_BYTES ? data_in : VIRTIO_BLK_ID_BYTES);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		/* The image layer's discard reads back as zeros, so one call serves both. */
		return blk_discard(blk, c, data_out);
	}
	return VIRTIO_BLK_S_UNSUPP;
}

static void blk_process(struct vk_virtio_dev *vdev, unsigned q)
{
	struct vk_virtio_blk *blk = (struct vk_virtio_blk *)vdev;
	struct vk_virtq *vq = &vdev->vq[0];
	struct vk_virtq_chain *c = &blk->chain;
	int rc;

	if (q != 0)
		return;
	while ((rc = vk_virtq_pop(vq, c)) > 0) {
		uint32_t written;
		uint8_t status;

		if (c->in_len == 0) {
			/* Nowhere to put the status: the driver broke 5.2.6. */
			vk_errorx(EINVAL, "%s: request without a status byte", vq->name);
			vq->broken = true;
			rc = -EINVAL;
			break;
		}
		status = blk_execute(blk, c, &written);
		if (status != VIRTIO_BLK_S_OK)
			vk_virtio_stat_add(vdev, VK_BLK_STAT_ERRORS, 1);
		vk_virtq_chain_write(c, c->in_len - 1, &status, 1);
		vk_virtq_push(vq, c->head, written + 1);
	}
	if (rc < 0)
		vk_virtio_set_needs_reset(vdev);
	vk_virtio_notify_queue(vdev, 0);
}

/* Paused: nothing new can arrive, so finishing the ring and flushing the
 * image (qcow2 metadata caches included) leaves the files complete. */
static int blk_quiesce(struct vk_virtio_dev *vdev)
{
	struct vk_virtio_blk *blk = (struct vk_virtio_blk *)vdev;

	if (vk_virtio_can_run(vdev))
		blk_process(vdev, 0);
	return vk_image_flush(blk->img);
}

static void blk_destroy(struct vk_virtio_dev *vdev)
{
	struct vk_virtio_blk *blk = (struct vk_virtio_blk *)vdev;

	vk_image_close(blk->img);
	free(blk);
}

static const struct vk_virtio_ops blk_ops = {
	.device_id = VIRTIO_ID_BLOCK,
	.class_code = 0x018000,		/* mass storage, other */
	.n_queues = 1,
	.queue_size = BLK_QUEUE_SIZE,
	.process = blk_process,
	.quiesce = blk_quiesce,
	.destroy = blk_destroy,
};

static void blk_fill_config(struct vk_virtio_blk *blk)
{
	uint8_t *cfg = blk->vdev.config;

	put_le(cfg + BLK_CFG_CAPACITY, blk->capacity / VIRTIO_BLK_SECTOR_SIZE, 8);
	/* Header and status take two of the chain's buffers. */
	put_le(cfg + BLK_CFG_SEG_MAX, VK_VIRTQ_MAX_SEGS - 2, 4);
	put_le(cfg + BLK_CFG_BLK_SIZE, VIRTIO_BLK_SECTOR_SIZE, 4);
	put_le(cfg + BLK_CFG_MAX_DISCARD_SECTORS, BLK_MAX_DISCARD_SECTORS, 4);
	put_le(cfg + BLK_CFG_MAX_DISCARD_SEG, BLK_MAX_DISCARD_SEG, 4);
	put_le(cfg + BLK_CFG_DISCARD_ALIGN, 1, 4);
	put_le(cfg + BLK_CFG_MAX_WZ_SECTORS, BLK_MAX_DISCARD_SECTORS, 4);
	put_le(cfg + BLK_CFG_MAX_WZ_SEG, BLK_MAX_DISCARD_SEG, 4);
	cfg[BLK_CFG_WZ_MAY_UNMAP] = 1;
}

int vk_virtio_blk_create(const struct vk_guest_memory *mem, const struct vk_blk_config *cfg,
			 const char *name, struct vk_virtio_dev **out)
{
	uint64_t features = 1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_BLK_SIZE |
			    1ull << VIRTIO_BLK_F_FLUSH;
	struct vk_virtio_blk *blk;
	int rc;

	if (cfg->serial && strlen(cfg->serial) > VIRTIO_BLK_ID_BYTES)
		return vk_errorx(EINVAL, "disk %s: serial '%s' is longer than %d bytes",
				 cfg->path, cfg->serial, VIRTIO_BLK_ID_BYTES);
	blk = calloc(1, sizeof(*blk));
	if (!blk)
		return vk_error(ENOMEM, "disk %s", cfg->path);
	rc = vk_image_open(cfg->path, cfg->format, cfg->readonly ? VK_IMAGE_RDONLY : 0, &blk->img);
	if (rc < 0) {
		free(blk);
		return vk_error_prefix(rc, "disk %s", cfg->path);
	}
	blk->readonly = cfg->readonly;
	/* A tail shorter than a sector cannot be addressed by the guest. */
	blk->capacity = vk_image_virtual_size(blk->img) / VIRTIO_BLK_SECTOR_SIZE * VIRTIO_BLK_SECTOR_SIZE;
	if (cfg->serial)
		memcpy(blk->serial, cfg->serial, strlen(cfg->serial));	/* NUL-padded, not terminated */
	features |= blk->readonly ? 1ull << VIRTIO_BLK_F_RO
				  : 1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES;
	vk_virtio_init(&blk->vdev, &blk_ops, name, mem, features, BLK_CFG_SIZE);
	blk_fill_config(blk);
	*out = &blk->vdev;
	return 0;
}
