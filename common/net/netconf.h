/* netconf.h - making a bridge survive a reboot through the host's own network configuration (systemd-networkd or ifupdown). */
#ifndef VK_NET_NETCONF_H
#define VK_NET_NETCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/net/netlink.h"

/* One file to write whole (text) or to remove (text NULL). */
struct vk_netconf_file {
	char *path;
	char *text;
	mode_t mode;
};

struct vk_netconf {
	const char *system;		/* "systemd-networkd", "ifupdown", or NULL: not persistent */
	struct vk_netconf_file *files;
	size_t n_files;
	char *note;			/* why it is not persistent, or what it needs */
};

/*
 * The files that make IFACE a port of BRIDGE at the next boot, with the
 * settings IFACE's own configuration gave it (its addresses, DHCP) moved
 * to the bridge.  systemd-networkd: new files 00-vkit-*.netdev/.network in
 * /etc/systemd/network beside the user's, which stays as it is (ours sort
 * first).  ifupdown: the stanza for IFACE in its file is commented out
 * with a marker and our stanzas go right after it.  Neither found: no
 * files, and note says the bridge is not persistent.  Configuration is
 * read under $VKIT_NETCONF_ROOT (tests) or /.
 */
int vk_netconf_plan_bridge(const char *iface, const char *bridge, bool stp, unsigned delay,
			   const unsigned char mac[VK_ETH_ALEN], struct vk_netconf *c);
/* The reverse: what vk_netconf_plan_bridge wrote, taken out again. */
int vk_netconf_plan_unbridge(const char *iface, const char *bridge, struct vk_netconf *c);
/* Writes (atomically, with the mode each file had or 0644: they are the
 * host's configuration, read by its network service) and removes. */
int vk_netconf_apply(const struct vk_netconf *c);
void vk_netconf_free(struct vk_netconf *c);

#endif
