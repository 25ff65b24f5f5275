/* net.c - virtio-net (virtio 1.x section 5.1) on a tap device: one receive and one transmit queue, no offloads. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/ids.h"
#include "vmm/devices.h"
#include "vmm/tap.h"
#include "vmm/virtio/virtio.h"

#define VIRTIO_NET_F_MAC	5	/* 5.1.3 */
#define NET_RX_QUEUE		0
#define NET_TX_QUEUE		1
#define NET_QUEUE_SIZE		256
#define NET_BACKEND_TAG		VK_VIRTIO_MAX_QUEUES
#define NET_CFG_SIZE		6	/* struct virtio_net_config: mac */
#define NET_HDR_NUM_BUFFERS	10	/* offset in the 12-byte header */
/* Largest frame without offloads (64 KiB covers any MTU a tap allows),
 * plus the header. */
#define NET_MAX_PACKET		(65536 + VK_VNET_HDR_LEN)
/* Frames per wake-up before the other queue gets a turn. */
#define NET_BATCH		64

struct vk_virtio_net {
	struct vk_virtio_dev vdev;
	int fd;
	bool vnet_hdr;			/* the fd speaks the 12-byte header (a tap) */
	bool rx_paused;			/* backend not watched: no receive buffers */
	char ifname[IFNAMSIZ];
	struct vk_virtq_chain chain;
	uint8_t buf[NET_MAX_PACKET];
};

static void net_pause_rx(struct vk_virtio_net *net, bool paused)
{
	if (net->rx_paused == paused)
		return;
	if (vk_iothread_pause(&net->vdev.io, net->fd, NET_BACKEND_TAG, paused) == 0)
		net->rx_paused = paused;
}

/* Read one frame from the backend into buf as header + frame; 0 when none. */
static ssize_t net_read_frame(struct vk_virtio_net *net)
{
	ssize_t n;

	if (net->vnet_hdr) {
		n = read(net->fd, net->buf, sizeof(net->buf));
		if (n >= 0 && n < VK_VNET_HDR_LEN)
			return 0;	/* not a frame: ignore */
	} else {
		memset(net->buf, 0, VK_VNET_HDR_LEN);
		n = recv(net->fd, net->buf + VK_VNET_HDR_LEN, sizeof(net->buf) - VK_VNET_HDR_LEN, MSG_DONTWAIT);
		if (n >= 0)
			n += VK_VNET_HDR_LEN;
	}
	if (n < 0)
		return 0;	/* EAGAIN, or a backend error we cannot fix from here */
	/* Without VIRTIO_NET_F_MRG_RXBUF every frame fits in one chain (5.1.6.3). */
	net->buf[NET_HDR_NUM_BUFFERS] = 1;
	net->buf[NET_HDR_NUM_BUFFERS + 1] = 0;
	return n;
}

static void net_rx(struct vk_virtio_net *net)
{
	struct vk_virtq *vq = &net->vdev.vq[NET_RX_QUEUE];
	unsigned done = 0;

	while (done < NET_BATCH) {
		ssize_t n;
		int rc;

		if (!vk_virtq_has_work(vq)) {
			/* Leave frames in the backend until the driver posts buffers
			 * (it kicks the receive queue then). */
			net_pause_rx(net, true);
			break;
		}
		n = net_read_frame(net);
		if (n == 0)
			break;
		rc = vk_virtq_pop(vq, &net->chain);
		if (rc < 0)
			vk_virtio_set_needs_reset(&net->vdev);
		if (rc <= 0)
			break;
		/* A frame longer than the buffers is cut, as a NIC would drop it. */
		vk_virtq_push(vq, net->chain.head, vk_virtq_chain_write(&net->chain, 0, net->buf, n));
		vk_virtio_stat_add(&net->vdev, VK_NET_STAT_RX_PACKETS, 1);
		vk_virtio_stat_add(&net->vdev, VK_NET_STAT_RX_BYTES, (uint64_t)n - VK_VNET_HDR_LEN);
		done++;
	}
	vk_virtio_notify_queue(&net->vdev, NET_RX_QUEUE);
}

static void net_tx(struct vk_virtio_net *net)
{
	struct vk_virtq *vq = &net->vdev.vq[NET_TX_QUEUE];
	int rc;

	while ((rc = vk_virtq_pop(vq, &net->chain)) > 0) {
		size_t len = vk_virtq_chain_read(&net->chain, 0, net->buf, sizeof(net->buf));

		/* Short or oversized frames are dropped, the buffer returned. */
		if (len > VK_VNET_HDR_LEN && net->chain.out_len <= sizeof(net->buf)) {
			ssize_t w = net->vnet_hdr ? write(net->fd, net->buf, len)
						  : send(net->fd, net->buf + VK_VNET_HDR_LEN,
							 len - VK_VNET_HDR_LEN, MSG_DONTWAIT);
			/* A full backend drops the frame, like a wire. */
			if (w < 0) {
				vk_virtio_stat_add(&net->vdev, VK_NET_STAT_TX_DROPPED, 1);
			} else {
				vk_virtio_stat_add(&net->vdev, VK_NET_STAT_TX_PACKETS, 1);
				vk_virtio_stat_add(&net->vdev, VK_NET_STAT_TX_BYTES, len - VK_VNET_HDR_LEN);
			}
		} else {
			vk_virtio_stat_add(&net->vdev, VK_NET_STAT_TX_DROPPED, 1);
		}
		vk_virtq_push(vq, net->chain.head, 0);
	}
	if (rc < 0)
		vk_virtio_set_needs_reset(&net->vdev);
	vk_virtio_notify_queue(&net->vdev, NET_TX_QUEUE);
}

static void net_process(struct vk_virtio_dev *vdev, unsigned q)
{
	struct vk_virtio_net *net = (struct vk_virtio_net *)vdev;

	if (q == NET_TX_QUEUE) {
		net_tx(net);
		return;
	}
	if (q == NET_RX_QUEUE)
		net_pause_rx(net, false);	/* new buffers: watch the backend again */
	net_rx(net);
}

static void net_stall(struct vk_virtio_dev *vdev, unsigned tag)
{
	net_pause_rx((struct vk_virtio_net *)vdev, true);
}

static void net_driver_ok(struct vk_virtio_dev *vdev)
{
	net_pause_rx((struct vk_virtio_net *)vdev, false);
}

static void net_reset(struct vk_virtio_dev *vdev)
{
	net_pause_rx((struct vk_virtio_net *)vdev, true);
}

static int net_realize(struct vk_virtio_dev *vdev);

static void net_destroy(struct vk_virtio_dev *vdev)
{
	struct vk_virtio_net *net = (struct vk_virtio_net *)vdev;

	if (net->fd >= 0)
		close(net->fd);
	free(net);
}

static const struct vk_virtio_ops net_ops = {
	.device_id = VIRTIO_ID_NET,
	.class_code = 0x020000,		/* Ethernet controller */
	.n_queues = 2,
	.queue_size = NET_QUEUE_SIZE,
	.process = net_process,
	.driver_ok = net_driver_ok,
	.reset = net_reset,
	.realize = net_realize,
	.backend_stalled = net_stall,
	.destroy = net_destroy,
};

static int net_open_backend(struct vk_virtio_net *net, const struct vk_net_config *cfg)
{
	int rc;

	switch (cfg->backend) {
	case VK_NET_FD:
		net->fd = cfg->fd;
		net->vnet_hdr = false;
		return 0;
	case VK_NET_TAP:
	case VK_NET_BRIDGE:
		rc = vk_tap_open(cfg->backend == VK_NET_TAP ? cfg->source : NULL, net->ifname, &net->fd);
		if (rc < 0)
			return rc;
		net->vnet_hdr = true;
		rc = vk_tap_up(net->ifname);
		if (rc == 0 && cfg->backend == VK_NET_BRIDGE)
			rc = vk_tap_attach_bridge(net->ifname, cfg->source);
		return rc;
	}
	return vk_errorx(EINVAL, "network: unknown backend %d", (int)cfg->backend);
}

static int net_set_mac(struct vk_virtio_net *net, const char *mac)
{
	char canon[VK_MAC_LEN + 1];
	unsigned b[6];
	int rc = mac ? vk_mac_parse(mac, canon) : vk_mac_generate(canon);

	if (rc < 0)
		return rc;
	if (sscanf(canon, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return vk_errorx(EINVAL, "MAC address %s", canon);
	for (unsigned i = 0; i < 6; i++)
		net->vdev.config[i] = b[i];
	return 0;
}

int vk_virtio_net_create(const struct vk_guest_memory *mem, const struct vk_net_config *cfg,
			 const char *name, struct vk_virtio_dev **out)
{
	struct vk_virtio_net *net = calloc(1, sizeof(*net));
	int rc;

	if (!net)
		return vk_error(ENOMEM, "%s", name);
	vk_virtio_init(&net->vdev, &net_ops, name, mem, 1ull << VIRTIO_NET_F_MAC, NET_CFG_SIZE);
	net->fd = -1;
	rc = net_set_mac(net, cfg->mac);
	if (rc == 0)
		rc = net_open_backend(net, cfg);
	if (rc < 0) {
		if (cfg->backend == VK_NET_FD)
			net->fd = cfg->fd;	/* ownership was passed: close it */
		net_destroy(&net->vdev);
		return vk_error_prefix(rc, "%s", name);
	}
	*out = &net->vdev;
	return 0;
}

const char *vk_virtio_net_ifname(const struct vk_virtio_dev *vdev)
{
	return ((const struct vk_virtio_net *)vdev)->ifname;
}

/* The backend is watched from DRIVER_OK on: paused until then. */
static int net_realize(struct vk_virtio_dev *vdev)
{
	struct vk_virtio_net *net = (struct vk_virtio_net *)vdev;
	int rc = vk_iothread_watch(&vdev->io, net->fd, NET_BACKEND_TAG);

	if (rc == 0) {
		net->rx_paused = false;
		net_pause_rx(net, true);
	}
	return rc;
}
