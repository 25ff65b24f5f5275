/* fuzz-virtio-blk.c - libFuzzer target: batches of virtio-blk requests built from the input, run against the real image layer and checked against a model. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/image/image.h"
#include "tests/unit/fake-driver.h"
#include "tests/unit/fake-machine.h"
#include "vmm/devices.h"
#include "vmm/virtio/virtio.h"

/*
 * Where fuzz-virtqueue throws raw bytes at the rings, this target writes
 * well-formed chains (as a driver would), varies what a driver controls
 * (request type, sector, buffer count and lengths, header split, status
 * byte merged into a data buffer, indirect tables, discard segments) and
 * now and then breaks one chain on purpose.  Every request before the
 * first broken one is checked against a model of virtio-blk: the status,
 * the used length, the data read back (sectors whose content the model
 * knows), the serial.  Disks: a raw image on a memfd, the same read-only,
 * a qcow2 with 4 KiB clusters, all through common/image/image.c.
 *
 * Input: byte 0 device (bits 0-1), INDIRECT_DESC (bit 2), EVENT_IDX (bit 3);
 * byte 1 log2 queue size; then requests, each starting with a chaos byte
 * (>= CHAOS_FIRST: this chain is broken), type, layout, segment count,
 * sector, segment lengths and data.
 */
#define RAM_SIZE	(1024 * 1024)
#define QUEUE_BASE	0x10000		/* fake_driver_start(): desc, avail +0x1000, used +0x2000 */
#define IND_BASE	0x13000		/* indirect tables */
#define IND_END		0x20000
#define DATA_BASE	0x20000
#define SECTOR		512
#define RAW_SIZE	(64 * 1024 + 300)	/* a tail shorter than a sector */
#define QCOW2_SIZE	(128 * 1024)
#define MAX_SEGS	4
#define CHAOS_FIRST	240
#define SERIAL		"vkit-fuzz-serial-123"	/* 20 bytes: fills the id */

#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8
#define T_DISCARD	11
#define T_WRITE_ZEROES	13
#define S_OK		0
#define S_IOERR		1
#define S_UNSUPP	2
#define MAX_DISCARD_SEG		32
#define MAX_DISCARD_SECTORS	(1u << 22)

enum { DEV_RAW, DEV_RAW_RO, DEV_QCOW2, N_DEVS };

struct disk {
	struct vk_virtio_dev *vdev;
	uint64_t capacity;		/* as the device sees it: whole sectors */
	bool readonly;
};

struct input {
	const uint8_t *p;
	size_t n;
};

struct buf {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

struct request {
	uint16_t head;
	uint32_t type;
	uint64_t sector;
	struct buf bufs[MAX_SEGS + 3];
	unsigned n_bufs;
	uint64_t data_in;		/* writable bytes before the status byte */
	uint64_t status_gpa;
};

static struct vk_guest_memory *mem;
static struct vk_pci_bus pci;
static struct disk disks[N_DEVS];
static int raw_fd = -1;
/* What the model knows of the disk in use: content and which sectors. */
static uint8_t shadow[QCOW2_SIZE];
static bool known[QCOW2_SIZE / SECTOR];

static uint8_t get8(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t get_n(struct input *in, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)get8(in) << (8 * i);
	return v;
}

static void add_disk(int dev, const char *path, enum vk_image_format fmt, bool readonly)
{
	struct vk_blk_config cfg = { .path = path, .format = fmt, .readonly = readonly, .serial = SERIAL };
	struct vk_virtio_dev *vdev;

	if (vk_virtio_blk_create(mem, &cfg, "fuzzblk", &vdev) < 0 ||
	    vk_pci_bus_add(&pci, &vdev->pci) < 0 || vk_virtio_realize(vdev) < 0) {
		fprintf(stderr, "fuzz-virtio-blk: %s\n", vk_last_error());
		abort();
	}
	disks[dev].vdev = vdev;
	disks[dev].readonly = readonly;
}

static void setup_once(void)
{
	char dir[] = "/tmp/vkit-fuzz-blk.XXXXXX", path[64], qpath[96];
	struct vk_image_create_opts q = { .format = VK_IMAGE_QCOW2, .size = QCOW2_SIZE,
					  .cluster_size = 4096 };

	mem = fake_mem_new(RAM_SIZE);
	pci.m = FAKE_MACHINE;
	pci.next_bar = VK_PCI_MMIO_BASE;
	pci.n_devs = 1;
	raw_fd = memfd_create("fuzz-raw", 0);
	if (raw_fd < 0 || ftruncate(raw_fd, RAW_SIZE) < 0 || !mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", raw_fd);
	add_disk(DEV_RAW, path, VK_IMAGE_RAW, false);
	add_disk(DEV_RAW_RO, path, VK_IMAGE_RAW, true);
	snprintf(qpath, sizeof(qpath), "%s/disk.qcow2", dir);
	q.path = qpath;
	if (vk_image_create(&q) < 0) {
		fprintf(stderr, "fuzz-virtio-blk: %s\n", vk_last_error());
		abort();
	}
	add_disk(DEV_QCOW2, qpath, VK_IMAGE_QCOW2, false);
	/* Scratch disks of this process only. */
	unlink(qpath);
	rmdir(dir);
	disks[DEV_RAW].capacity = disks[DEV_RAW_RO].capacity = RAW_SIZE / SECTOR * SECTOR;
	disks[DEV_QCOW2].capacity = QCOW2_SIZE;
}

/* The raw disk's content is readable beside the device; the qcow2's is
 * known only where this input wrote it. */
static void model_reset(int dev)
{
	memset(known, 0, sizeof(known));
	if (dev == DEV_QCOW2)
		return;
	if (pread(raw_fd, shadow, disks[dev].capacity, 0) != (ssize_t)disks[dev].capacity)
		abort();
	memset(known, 1, disks[dev].capacity / SECTOR);
}

static bool range_ok(const struct disk *d, uint64_t sector, uint64_t bytes)
{
	return bytes % SECTOR == 0 && sector <= d->capacity / SECTOR &&
	       bytes <= d->capacity - sector * SECTOR;
}

static void model_store(uint64_t sector, const uint8_t *data, uint64_t bytes)
{
	if (data)
		memcpy(shadow + sector * SECTOR, data, bytes);
	else
		memset(shadow + sector * SECTOR, 0, bytes);
	for (uint64_t s = 0; s < bytes / SECTOR; s++)
		known[sector + s] = true;
}

static uint64_t pick_sector(struct input *in, const struct disk *d, uint8_t layout)
{
	uint64_t cap = d->capacity / SECTOR;

	switch (layout >> 6) {
	case 0:
		return get8(in) % (cap + 4);
	case 1:
		return cap - get8(in) % 4;
	case 2:
		return get_n(in, 8);
	default:
		return (get8(in) & 1 ? UINT64_MAX : 1ull << 55) - get8(in);
	}
}

/* Copy the readable part of a request (header, then data) into a flat buffer. */
static uint64_t gather_out(const struct request *r, uint8_t *dst, uint64_t max)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < r->n_bufs && !r->bufs[i].writable; i++) {
		uint32_t len = r->bufs[i].len;

		if (n + len > max)
			len = (uint32_t)(max - n);
		memcpy(dst + n, fake_host(mem, r->bufs[i].gpa), len);
		n += len;
	}
	return n;
}

/* Byte off of the writable part (data then status). */
static uint8_t in_byte(const struct request *r, uint64_t off)
{
	for (unsigned i = 0; i < r->n_bufs; i++) {
		if (!r->bufs[i].writable)
			continue;
		if (off < r->bufs[i].len)
			return *(uint8_t *)fake_host(mem, r->bufs[i].gpa + off);
		off -= r->bufs[i].len;
	}
	abort();
}

static uint8_t model_discard(const struct disk *d, const uint8_t *segs, uint64_t bytes)
{
	uint64_t n = bytes / 16;

	if (d->readonly)
		return S_IOERR;
	if (bytes % 16 || n == 0 || n > MAX_DISCARD_SEG)
		return S_UNSUPP;
	for (uint64_t i = 0; i < n; i++) {
		const uint8_t *s = segs + 16 * i;
		uint64_t sector = 0;
		uint32_t num = 0, flags = 0;

		memcpy(&sector, s, 8);
		memcpy(&num, s + 8, 4);
		memcpy(&flags, s + 12, 4);
		if (num > MAX_DISCARD_SECTORS || (flags & ~1u) || !range_ok(d, sector, (uint64_t)num * SECTOR))
			return S_IOERR;
		model_store(sector, NULL, (uint64_t)num * SECTOR);
	}
	return S_OK;
}

/* Check one completed request against the model; abort() on a mismatch. */
static void check_request(const struct disk *d, const struct request *r, uint32_t used_len)
{
	static uint8_t out[MAX_SEGS * 65536 + 64];
	uint64_t out_len = gather_out(r, out, sizeof(out)), data_out = out_len - 16;
	uint8_t status = in_byte(r, r->data_in), want = S_UNSUPP;
	uint32_t want_len = 1;

	switch (r->type) {
	case T_IN:
		want = range_ok(d, r->sector, r->data_in) ? S_OK : S_IOERR;
		if (want == S_OK) {
			want_len = (uint32_t)r->data_in + 1;
			for (uint64_t i = 0; i < r->data_in; i++) {
				uint64_t pos = r->sector * SECTOR + i;

				if (known[pos / SECTOR] && in_byte(r, i) != shadow[pos]) {
					fprintf(stderr, "read of sector %llu: byte %llu differs from what was written\n",
						(unsigned long long)r->sector, (unsigned long long)i);
					abort();
				}
			}
		}
		break;
	case T_OUT:
		want = !d->readonly && range_ok(d, r->sector, data_out) ? S_OK : S_IOERR;
		if (want == S_OK)
			model_store(r->sector, out + 16, data_out);
		break;
	case T_FLUSH:
		want = S_OK;
		break;
	case T_GET_ID:
		want = S_OK;
		want_len = (uint32_t)(r->data_in < 20 ? r->data_in : 20) + 1;
		for (uint32_t i = 0; i + 1 < want_len; i++)
			if (in_byte(r, i) != (uint8_t)SERIAL[i])
				abort();
		break;
	case T_DISCARD:
	case T_WRITE_ZEROES:
		want = model_discard(d, out + 16, data_out);
		break;
	}
	if (status != want || used_len != want_len) {
		fprintf(stderr, "request type %u sector %llu in %llu out %llu: status %u used %u, "
			"model says status %u used %u\n", r->type, (unsigned long long)r->sector,
			(unsigned long long)r->data_in, (unsigned long long)data_out,
			status, used_len, want, want_len);
		abort();
	}
}

struct batch {
	struct fake_ring ring;
	uint16_t next_desc;		/* direct descriptors used so far */
	uint64_t data_next, ind_next;
	bool indirect_ok;
};

static uint64_t alloc_data(struct batch *b, uint64_t len)
{
	uint64_t gpa = b->data_next;

	if (len > RAM_SIZE - b->data_next)
		return 0;
	b->data_next += (len + 15) & ~15ull;
	return gpa;
}

/* Lay the buffers out as a chain (direct or through an indirect table);
 * chaos breaks it in one of four ways.  False when the queue or RAM is
 * full.  Publishing is left to the caller. */
static bool publish(struct batch *b, struct request *r, bool use_indirect, uint8_t chaos, struct input *in)
{
	unsigned n = r->n_bufs;
	uint16_t flags_last = 0;

	if (chaos >= CHAOS_FIRST && chaos < CHAOS_FIRST + 4 && n > 1) {
		/* a readable buffer after a writable one */
		struct buf t = r->bufs[0];

		memmove(r->bufs, r->bufs + 1, (n - 1) * sizeof(t));
		r->bufs[n - 1] = t;
	} else if (chaos >= CHAOS_FIRST + 4 && chaos < CHAOS_FIRST + 8) {
		r->bufs[n - 1].gpa = get_n(in, 4) | (uint64_t)(chaos & 1) << 32;	/* anywhere, maybe not RAM */
	}
	if (use_indirect) {
		uint64_t table = b->ind_next;

		if (b->next_desc >= b->ring.size || table + 16ull * n > IND_END)
			return false;
		for (unsigned i = 0; i < n; i++)
			fake_write_desc(mem, table, i, r->bufs[i].gpa, r->bufs[i].len,
					(r->bufs[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
					(i + 1 < n ? VIRTQ_DESC_F_NEXT : 0),
					(uint16_t)(chaos >= CHAOS_FIRST + 8 && i + 1 == n ? i : i + 1));
		if (chaos >= CHAOS_FIRST + 8)
			fake_write_desc(mem, table, n - 1, r->bufs[n - 1].gpa, r->bufs[n - 1].len,
					VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
					chaos >= CHAOS_FIRST + 12 ? (uint16_t)get_n(in, 2) : (uint16_t)(n - 1));
		b->ind_next += 16ull * n;
		r->head = b->next_desc++;
		fake_ring_set_desc(&b->ring, r->head, table, 16 * n, VIRTQ_DESC_F_INDIRECT, 0);
		return true;
	}
	if (b->next_desc + n > b->ring.size)
		return false;
	r->head = b->next_desc;
	for (unsigned i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)(b->next_desc + i), next = (uint16_t)(idx + 1);

		if (i + 1 == n && chaos >= CHAOS_FIRST + 8) {
			/* a loop back into the chain, or a next index from the input */
			flags_last = VIRTQ_DESC_F_NEXT;
			next = chaos >= CHAOS_FIRST + 12 ? (uint16_t)get_n(in, 2) : r->head;
		}
		fake_ring_set_desc(&b->ring, idx, r->bufs[i].gpa, r->bufs[i].len,
				   (r->bufs[i].writable ? VIRTQ_DESC_F_WRITE : 0) |
				   (i + 1 < n ? VIRTQ_DESC_F_NEXT : flags_last), next);
	}
	b->next_desc += n;
	return true;
}

static const uint32_t types[8] = { T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WRITE_ZEROES, 0, T_IN };

/* Build one request from the input; false when the batch is full. */
static bool build_request(struct batch *b, const struct disk *d, struct input *in,
			  struct request *r, bool *chaotic)
{
	uint8_t chaos = get8(in), type_sel = get8(in), layout = get8(in), nseg = get8(in) % (MAX_SEGS + 1);
	bool data_writable, merged;
	uint64_t hdr, seg_len[MAX_SEGS];
	uint8_t *h;

	memset(r, 0, sizeof(*r));
	r->type = (type_sel & 7) == 6 ? (uint32_t)get_n(in, 4) : types[type_sel & 7];
	r->sector = pick_sector(in, d, layout);
	data_writable = r->type == T_IN || r->type == T_GET_ID || (type_sel & 0x80);
	merged = (layout & 2) && data_writable && nseg > 0;
	for (unsigned i = 0; i < nseg; i++) {
		uint64_t l = get_n(in, 2);

		seg_len[i] = (layout & 8) ? l % 5000 : (l % 9) * SECTOR;
	}
	if (r->type == T_DISCARD || r->type == T_WRITE_ZEROES) {
		/* nseg discard segments in one buffer, a stray byte with layout bit 4 */
		seg_len[0] = 16ull * nseg + ((layout & 0x10) ? 1 : 0);
		nseg = seg_len[0] ? 1 : 0;
		data_writable = false;
		merged = false;
	}
	/* header, split in two with layout bit 0 */
	hdr = alloc_data(b, 16);
	if (!hdr)
		return false;
	h = fake_host(mem, hdr);
	memcpy(h, &r->type, 4);
	memset(h + 4, 0, 4);
	memcpy(h + 8, &r->sector, 8);
	if (layout & 1) {
		r->bufs[r->n_bufs++] = (struct buf){ hdr, 8, false };
		r->bufs[r->n_bufs++] = (struct buf){ hdr + 8, 8, false };
	} else {
		r->bufs[r->n_bufs++] = (struct buf){ hdr, 16, false };
	}
	for (unsigned i = 0; i < nseg; i++) {
		uint64_t len = seg_len[i] + (merged && i + 1 == nseg ? 1 : 0);
		uint64_t gpa = alloc_data(b, len ? len : 1);
		uint8_t *p;

		if (!gpa)
			return false;
		p = fake_host(mem, gpa);
		if (data_writable) {
			memset(p, 0xa5, len);	/* the device must overwrite what it reports */
			r->data_in += seg_len[i];
		} else {
			for (uint64_t k = 0; k < len; k++)
				p[k] = (r->type == T_DISCARD || r->type == T_WRITE_ZEROES) ? get8(in)
											 : (uint8_t)(gpa + k * 13);
		}
		r->bufs[r->n_bufs++] = (struct buf){ gpa, (uint32_t)len, data_writable };
	}
	if (merged) {
		r->status_gpa = r->bufs[r->n_bufs - 1].gpa + seg_len[nseg - 1];
	} else {
		r->status_gpa = alloc_data(b, 1);
		if (!r->status_gpa)
			return false;
		r->bufs[r->n_bufs++] = (struct buf){ r->status_gpa, 1, true };
	}
	*(uint8_t *)fake_host(mem, r->status_gpa) = 0xff;
	*chaotic = chaos >= CHAOS_FIRST || ((layout & 4) && !b->indirect_ok);
	return publish(b, r, (layout & 4) != 0, chaos, in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct request reqs[256];
	struct input in = { data, size };
	struct batch b = { .data_next = DATA_BASE, .ind_next = IND_BASE };
	uint8_t opts, status;
	unsigned n = 0, clean = 0;
	bool chaotic = false;
	const struct disk *d;
	uint16_t qsize;

	if (!mem)
		setup_once();
	opts = get8(&in);
	d = &disks[(opts & 3) % N_DEVS];
	qsize = (uint16_t)(1u << (get8(&in) % 9));
	b.indirect_ok = opts & 4;
	status = fake_driver_start(d->vdev, &b.ring, 1,
				   (opts & 4 ? 1ull << VIRTIO_F_INDIRECT_DESC : 0) |
				   (opts & 8 ? 1ull << VIRTIO_F_EVENT_IDX : 0), qsize);
	if (!(status & VIRTIO_CONFIG_S_DRIVER_OK))
		abort();	/* the test driver's bring-up is not under test here */
	memset(fake_host(mem, IND_BASE), 0, IND_END - IND_BASE);
	model_reset((int)(d - disks));
	while (in.n && n < qsize) {
		bool this_chaotic = false;

		if (!build_request(&b, d, &in, &reqs[n], &this_chaotic))
			break;
		if (this_chaotic)
			chaotic = true;
		if (!chaotic)
			clean++;	/* requests before the first broken one */
		n++;
	}
	/* The well-formed requests first, checked before a broken chain can
	 * scribble over their buffers (its status may land anywhere). */
	for (unsigned i = 0; i < clean; i++)
		fake_ring_publish(&b.ring, reqs[i].head);
	vk_virtio_kick(d->vdev, 0);
	if (fake_ring_used_idx(&b.ring) != clean)
		abort();
	for (unsigned i = 0; i < clean; i++) {
		uint32_t id, len;

		fake_ring_used(&b.ring, i, &id, &len);
		if (id != reqs[i].head)
			abort();
		check_request(d, &reqs[i], len);
	}
	if (fake_bar_read(d->vdev, VK_VIRTIO_BAR_COMMON + VIRTIO_PCI_COMMON_STATUS, 1) &
	    VIRTIO_CONFIG_S_NEEDS_RESET)
		abort();	/* well-formed requests never break the device */
	for (unsigned i = clean; i < n; i++)
		fake_ring_publish(&b.ring, reqs[i].head);
	vk_virtio_kick(d->vdev, 0);
	return 0;
}
