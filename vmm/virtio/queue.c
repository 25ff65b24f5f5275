/* queue.c - split virtqueues: ring access and the one validation of guest descriptor chains. */
#include "config.h"

#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/util/error.h"
#include "vmm/virtio/queue.h"

/*
 * The guest owns the rings and may change them while we read: every field
 * is read once into a local copy and validated there (no double fetch), and
 * the ring indices are loaded/stored with acquire/release ordering so the
 * entries they publish are seen complete.
 */

#define AVAIL_FLAGS	0
#define AVAIL_IDX	1
#define AVAIL_RING	2		/* in uint16_t units */
#define USED_IDX_OFF	2		/* bytes */
#define USED_RING_OFF	4
#define USED_ELEM_SIZE	8

static uint64_t avail_bytes(uint16_t size) { return 6 + 2ull * size; }
static uint64_t used_bytes(uint16_t size) { return 6 + 8ull * size; }

static int queue_broken(struct vk_virtq *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int queue_broken(struct vk_virtq *q, const char *fmt, ...)
{
	char why[160];
	va_list ap;

	q->broken = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return vk_errorx(EINVAL, "%s: %s: the driver broke the virtqueue rules, device needs reset",
			 q->name ? q->name : "virtqueue", why);
}

int vk_virtq_enable(struct vk_virtq *q, const struct vk_guest_memory *mem)
{
	const char *name = q->name ? q->name : "virtqueue";

	q->mem = mem;
	q->ready = false;
	if (q->size == 0 || q->size > VK_VIRTQ_MAX_SIZE || (q->size & (q->size - 1)))
		return vk_errorx(EINVAL, "%s: queue size %u is not a power of two up to %u",
				 name, q->size, VK_VIRTQ_MAX_SIZE);
	if (q->desc_gpa % VIRTQ_DESC_ALIGN || q->avail_gpa % VIRTQ_AVAIL_ALIGN ||
	    q->used_gpa % VIRTQ_USED_ALIGN)
		return vk_errorx(EINVAL, "%s: misaligned ring address", name);
	q->desc = vk_gpa_to_host(mem, q->desc_gpa, 16ull * q->size);
	q->avail = vk_gpa_to_host(mem, q->avail_gpa, avail_bytes(q->size));
	q->used = vk_gpa_to_host(mem, q->used_gpa, used_bytes(q->size));
	if (!q->desc || !q->avail || !q->used) {
		q->desc = NULL;
		q->avail = NULL;
		q->used = NULL;
		return vk_errorx(EINVAL, "%s: ring outside guest RAM", name);
	}
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->broken = false;
	q->ready = true;
	return 0;
}

void vk_virtq_reset(struct vk_virtq *q)
{
	const char *name = q->name;
	const struct vk_guest_memory *mem = q->mem;

	memset(q, 0, sizeof(*q));
	q->name = name;
	q->mem = mem;
}

static uint16_t avail_idx(const struct vk_virtq *q)
{
	return le16toh(__atomic_load_n(&q->avail[AVAIL_IDX], __ATOMIC_ACQUIRE));
}

bool vk_virtq_has_work(const struct vk_virtq *q)
{
	return q->ready && !q->broken && avail_idx(q) != q->last_avail;
}

static void set_avail_event(struct vk_virtq *q)
{
	uint16_t *ev = (uint16_t *)(q->used + USED_RING_OFF + USED_ELEM_SIZE * q->size);

	__atomic_store_n(ev, htole16(q->last_avail), __ATOMIC_RELEASE);
}

static int add_segment(struct vk_virtq *q, struct vk_virtq_chain *c,
		       const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	void *host;

	if (!writable && c->n_in)
		return queue_broken(q, "readable descriptor after a writable one");
	if (writable ? c->in_len + d->len > UINT32_MAX : c->out_len + d->len > UINT32_MAX)
		return queue_broken(q, "request longer than 4 GiB");
	if (d->len == 0)
		return 0;	/* nothing to read or write, no address to trust */
	if (c->n_out + c->n_in >= VK_VIRTQ_MAX_SEGS)
		return queue_broken(q, "more than %u buffers in one request", VK_VIRTQ_MAX_SEGS);
	host = vk_gpa_to_host(q->mem, d->addr, d->len);
	if (!host)
		return queue_broken(q, "buffer of %u bytes outside guest RAM", d->len);
	c->iov[c->n_out + c->n_in].iov_base = host;
	c->iov[c->n_out + c->n_in].iov_len = d->len;
	if (writable) {
		c->n_in++;
		c->in_len += d->len;
	} else {
		c->n_out++;
		c->out_len += d->len;
	}
	return 0;
}

static void read_desc(const uint8_t *table, unsigned idx, struct virtq_desc *d)
{
	memcpy(d, table + 16ull * idx, sizeof(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

static int walk_indirect(struct vk_virtq *q, struct vk_virtq_chain *c, const struct virtq_desc *ind);

/* Walk a descriptor table from idx.  n bounds both the indices and the
 * number of steps, so a loop ends as "too long" instead of spinning. */
static int walk_table(struct vk_virtq *q, struct vk_virtq_chain *c, const uint8_t *table,
		      unsigned n, unsigned idx, bool indirect_table)
{
	struct virtq_desc d;
	unsigned steps = 0;
	int rc;

	for (;;) {
		if (idx >= n)
			return queue_broken(q, "descriptor index %u beyond table of %u", idx, n);
		if (++steps > n)
			return queue_broken(q, "descriptor chain longer than its table (%u): a loop", n);
		c->n_desc++;
		read_desc(table, idx, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect_table)
				return queue_broken(q, "indirect descriptor inside an indirect table");
			return walk_indirect(q, c, &d);
		}
		rc = add_segment(q, c, &d);
		if (rc < 0)
			return rc;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

static int walk_indirect(struct vk_virtq *q, struct vk_virtq_chain *c, const struct virtq_desc *ind)
{
	const uint8_t *table;

	if (!q->indirect)
		return queue_broken(q, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
	if (ind->flags & VIRTQ_DESC_F_NEXT)
		return queue_broken(q, "indirect descriptor with NEXT set");
	if (ind->len == 0 || ind->len % sizeof(struct virtq_desc))
		return queue_broken(q, "indirect table length %u not a multiple of 16", ind->len);
	if (ind->len / sizeof(struct virtq_desc) > VK_VIRTQ_MAX_SEGS)
		return queue_broken(q, "indirect table of %u descriptors (at most %u)",
				    (unsigned)(ind->len / 16), VK_VIRTQ_MAX_SEGS);
	table = vk_gpa_to_host(q->mem, ind->addr, ind->len);
	if (!table)
		return queue_broken(q, "indirect table outside guest RAM");
	return walk_table(q, c, table, ind->len / sizeof(struct virtq_desc), 0, true);
}

int vk_virtq_pop(struct vk_virtq *q, struct vk_virtq_chain *c)
{
	uint16_t pending, head;
	int rc;

	if (!q->ready || q->broken)
		return 0;
	pending = (uint16_t)(avail_idx(q) - q->last_avail);
	if (pending == 0 && q->event_idx) {
		/* Ask for a kick at the next buffer, then look again: the driver
		 * may have added one before it could see our avail_event. */
		set_avail_event(q);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		pending = (uint16_t)(avail_idx(q) - q->last_avail);
	}
	if (pending == 0)
		return 0;
	if (pending > q->size)
		return queue_broken(q, "avail index %u entries ahead of the device (queue size %u)",
				    pending, q->size);
	head = le16toh(__atomic_load_n(&q->avail[AVAIL_RING + q->last_avail % q->size],
				       __ATOMIC_RELAXED));
	memset(c, 0, offsetof(struct vk_virtq_chain, iov));
	c->head = head;
	rc = walk_table(q, c, q->desc, q->size, head, false);
	if (rc < 0)
		return rc;
	q->last_avail++;
	if (q->event_idx)
		set_avail_event(q);
	return 1;
}

void vk_virtq_push(struct vk_virtq *q, uint16_t head, uint32_t written)
{
	uint8_t *elem;
	uint32_t v;

	if (!q->ready)
		return;
	elem = q->used + USED_RING_OFF + USED_ELEM_SIZE * (q->used_idx % q->size);
	v = htole32(head);
	memcpy(elem, &v, 4);
	v = htole32(written);
	memcpy(elem + 4, &v, 4);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(q->used + USED_IDX_OFF), htole16(q->used_idx), __ATOMIC_RELEASE);
}

bool vk_virtq_need_interrupt(struct vk_virtq *q)
{
	uint16_t old = q->signalled_used, new = q->used_idx, event;

	if (!q->ready)
		return false;
	/* The used index store must be visible before we read the driver's
	 * suppression state, or both sides may wait for each other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	q->signalled_used = new;
	if (!q->event_idx)
		return !(le16toh(__atomic_load_n(&q->avail[AVAIL_FLAGS], __ATOMIC_RELAXED)) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	event = le16toh(__atomic_load_n(&q->avail[AVAIL_RING + q->size], __ATOMIC_RELAXED));
	/* vring_need_event(): did new pass event since old? (2.6.7.2) */
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

size_t vk_virtq_chain_read(const struct vk_virtq_chain *c, uint64_t off, void *dst, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < c->n_out && done < len; i++) {
		size_t seg = c->iov[i].iov_len, n;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = seg - off < len - done ? seg - off : len - done;
		memcpy((uint8_t *)dst + done, (uint8_t *)c->iov[i].iov_base + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t vk_virtq_chain_write(const struct vk_virtq_chain *c, uint64_t off, const void *src, size_t len)
{
	size_t done = 0;

	for (unsigned i = c->n_out; i < c->n_out + c->n_in && done < len; i++) {
		size_t seg = c->iov[i].iov_len, n;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		n = seg - off < len - done ? seg - off : len - done;
		memcpy((uint8_t *)c->iov[i].iov_base + off, (const uint8_t *)src + done, n);
		done += n;
		off = 0;
	}
	return done;
}
