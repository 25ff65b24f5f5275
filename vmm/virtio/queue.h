/* queue.h - split virtqueues (virtio 1.x, section 2.6): the one place guest descriptor chains are validated. */
#ifndef VK_VIRTIO_QUEUE_H
#define VK_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/guest-memory.h"

/* Descriptor and ring flags, virtio 1.x 2.6.5 and 2.6.6-2.6.8. */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_USED_F_NO_NOTIFY		1

/* Alignment of the three parts of a split queue (2.6, table "Virtqueue Part"). */
#define VIRTQ_DESC_ALIGN	16
#define VIRTQ_AVAIL_ALIGN	2
#define VIRTQ_USED_ALIGN	4

/* Largest queue we offer, and the most buffers one request may have
 * (direct plus indirect descriptors): bounds every loop over a chain. */
#define VK_VIRTQ_MAX_SIZE	256
#define VK_VIRTQ_MAX_SEGS	256

struct virtq_desc {
	uint64_t addr;		/* little-endian in guest memory */
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vk_virtq {
	const struct vk_guest_memory *mem;
	const char *name;		/* "blk0 queue 0", for messages */
	uint16_t size;
	bool ready;
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool broken;			/* a malformed chain was seen: needs reset */
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Host views of the rings, checked once by vk_virtq_enable(). */
	uint8_t *desc;
	uint16_t *avail;		/* flags, idx, ring[size], used_event */
	uint8_t *used;			/* flags, idx, ring[size] {id, len}, avail_event */
	uint16_t last_avail;		/* next avail entry the device takes */
	uint16_t used_idx;		/* next used entry the device fills */
	uint16_t signalled_used;	/* used_idx when we last decided on an interrupt */
};

/*
 * One request: its readable buffers iov[0..n_out) then its writable ones
 * iov[n_out..n_out+n_in), each a host pointer into guest RAM that
 * vk_gpa_to_host() accepted.  Devices write only through
 * vk_virtq_chain_write(), which cannot reach a readable buffer.
 */
struct vk_virtq_chain {
	uint16_t head;
	unsigned n_out, n_in;
	unsigned n_desc;		/* descriptors walked, for the length limit */
	uint64_t out_len, in_len;
	struct iovec iov[VK_VIRTQ_MAX_SEGS];
};

/* Check and map the rings the driver configured; -EINVAL with a message if
 * the size is not a power of two <= VK_VIRTQ_MAX_SIZE or a ring is
 * misaligned or not entirely in guest RAM. */
int vk_virtq_enable(struct vk_virtq *q, const struct vk_guest_memory *mem);
/* Back to the state after device reset (keeps name and mem). */
void vk_virtq_reset(struct vk_virtq *q);

/* Take the next available chain: 1 and *c filled, 0 when there is none,
 * -EINVAL when the driver broke the rules (q->broken is then set, a message
 * recorded, and the queue refuses work until reset). */
int vk_virtq_pop(struct vk_virtq *q, struct vk_virtq_chain *c);
/* Give a chain back with `written` bytes written into its writable part. */
void vk_virtq_push(struct vk_virtq *q, uint16_t head, uint32_t written);
/* After one or more pushes: does the driver want an interrupt now?
 * (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with VIRTIO_F_EVENT_IDX.) */
bool vk_virtq_need_interrupt(struct vk_virtq *q);
/* Does the driver have chains we have not taken? */
bool vk_virtq_has_work(const struct vk_virtq *q);

/* Copy between a chain and a flat buffer, starting `off` bytes into the
 * readable (read) or writable (write) part; return the bytes copied, which
 * is less than len when the chain is shorter. */
size_t vk_virtq_chain_read(const struct vk_virtq_chain *c, uint64_t off, void *dst, size_t len);
size_t vk_virtq_chain_write(const struct vk_virtq_chain *c, uint64_t off, const void *src, size_t len);

#endif
