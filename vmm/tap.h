/* tap.h - host tap devices for virtio-net: open (with the virtio net header), bring up, attach to a bridge. */
#ifndef VK_TAP_H
#define VK_TAP_H

#include <net/if.h>
#include <stdbool.h>

/* Size of struct virtio_net_hdr with num_buffers (virtio 1.x 5.1.6): the
 * header the tap prepends/expects with IFF_VNET_HDR. */
#define VK_VNET_HDR_LEN 12

/* Open (or create) the tap named name ("" or NULL: the kernel picks
 * "vk%d"), non-blocking, with IFF_VNET_HDR of VK_VNET_HDR_LEN bytes and all
 * offloads off.  ifname gets the actual name.  Needs CAP_NET_ADMIN unless
 * the tap exists and belongs to the caller. */
int vk_tap_open(const char *name, char ifname[IFNAMSIZ], int *fd_out);
/* Set the interface up. */
int vk_tap_up(const char *ifname);
/* Add ifname to bridge (SIOCBRADDIF). */
int vk_tap_attach_bridge(const char *ifname, const char *bridge);

#endif
