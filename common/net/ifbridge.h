/* ifbridge.h - virsh's iface-bridge and iface-unbridge: a host interface onto a new bridge and back, its addresses and routes moving with it. */
#ifndef VK_NET_IFBRIDGE_H
#define VK_NET_IFBRIDGE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/net/netconf.h"
#include "common/net/netlink.h"

/* The kernel keeps the forward delay within 0..30 s (BR_MAX_FORWARD_DELAY). */
#define VK_BRIDGE_DELAY_MAX 30

struct vk_ifbridge {
	bool unbridge;
	char iface[VK_IFNAME_MAX + 1];	/* the host's interface, the bridge's port */
	char bridge[VK_IFNAME_MAX + 1];
	bool stp;
	unsigned delay;
	struct vk_link port;		/* as found */
	struct vk_link br;		/* unbridge: as found */
	struct vk_addr *addrs;		/* what moves: IPv4, and IPv6 that is not link-local */
	size_t n_addrs;
	struct vk_route *routes;	/* what moves: the routes through it that are not the kernel's own */
	size_t n_routes;
	char **steps;			/* what apply does, in words, NULL-terminated */
	size_t n_steps;
	struct vk_netconf conf;		/* what keeps it across a reboot */
};

/*
 * Checks and plans iface-bridge: iface exists, is not a loopback, a
 * bridge, a bridge's port or a wireless station; bridge is a free name
 * within the kernel's limit.  Nothing changes.
 */
int vk_ifbridge_plan(const char *iface, const char *bridge, bool stp, unsigned delay, struct vk_ifbridge *b);
/* iface-unbridge: bridge exists, is a bridge, and has one port. */
int vk_ifunbridge_plan(const char *bridge, struct vk_ifbridge *b);
/*
 * The change, ordered so that the host stays reachable: the new bridge
 * takes the interface's MAC, comes up, takes the interface as its port,
 * then each address moves (added on one side, then removed on the other)
 * and each route is replaced by its copy on the other side.  On failure
 * what was done is undone.  The configuration files are not written
 * here (vk_netconf_apply, once the user has seen them).
 */
int vk_ifbridge_apply(struct vk_ifbridge *b);
void vk_ifbridge_free(struct vk_ifbridge *b);

#endif
