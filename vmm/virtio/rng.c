/* rng.c - virtio-rng (virtio 1.x section 5.4): fills the guest's buffers from getrandom(). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "common/util/error.h"
#include "vmm/virtio/virtio.h"

#define RNG_QUEUE_SIZE		64
/* Per request: a guest asking for megabytes must not stall its queue
 * (the driver asks again for the rest). */
#define RNG_MAX_PER_REQUEST	4096

struct vk_virtio_rng {
	struct vk_virtio_dev vdev;
	struct vk_virtq_chain chain;
};

static uint32_t rng_fill(const struct vk_virtq_chain *c)
{
	uint8_t buf[RNG_MAX_PER_REQUEST];
	size_t want = c->in_len < sizeof(buf) ? c->in_len : sizeof(buf);
	ssize_t got;

	do
		got = getrandom(buf, want, 0);
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return 0;
	return vk_virtq_chain_write(c, 0, buf, got);
}

static void rng_process(struct vk_virtio_dev *vdev, unsigned q)
{
	struct vk_virtio_rng *rng = (struct vk_virtio_rng *)vdev;
	struct vk_virtq *vq = &vdev->vq[0];
	int rc;

	if (q != 0)
		return;
	while ((rc = vk_virtq_pop(vq, &rng->chain)) > 0)
		vk_virtq_push(vq, rng->chain.head, rng_fill(&rng->chain));
	if (rc < 0)
		vk_virtio_set_needs_reset(vdev);
	vk_virtio_notify_queue(vdev, 0);
}

static void rng_destroy(struct vk_virtio_dev *vdev)
{
	free(vdev);
}

static const struct vk_virtio_ops rng_ops = {
	.device_id = VIRTIO_ID_RNG,
	.class_code = 0x00ff00,		/* unclassified */
	.n_queues = 1,
	.queue_size = RNG_QUEUE_SIZE,
	.process = rng_process,
	.destroy = rng_destroy,
};

int vk_virtio_rng_create(const struct vk_guest_memory *mem, const char *name,
			 struct vk_virtio_dev **out)
{
	struct vk_virtio_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return vk_error(ENOMEM, "%s", name);
	vk_virtio_init(&rng->vdev, &rng_ops, name, mem, 0, 0);
	*out = &rng->vdev;
	return 0;
}
