/* netdef.h - virtual network definitions: the JSON documents under $VKIT_DIR/networks/, and the default network. */
#ifndef VK_NET_NETDEF_H
#define VK_NET_NETDEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/net/netlink.h"
#include "common/vm/vmdef.h"

#define VK_NET_DEFAULT "default"
/* A DNS name (RFC 1035 2.3.4: 255 octets in all, 63 a label). */
#define VK_DNS_NAME_MAX 253

enum vk_net_forward {
	VK_NET_NAT = 0,		/* a bridge of its own, DHCP and DNS, masquerading out */
	VK_NET_BRIDGE,		/* a bridge of the host's (br0), on the host's LAN */
};

/* A fixed address for one guest (dnsmasq's dhcp-host). */
struct vk_net_dhcp_host {
	char mac[VK_MAC_LEN + 1];
	uint32_t ip;			/* host byte order */
	char *name;			/* or NULL */
};

/* A name dnsmasq answers for guests (dnsmasq's host-record). */
struct vk_net_dns_host {
	uint32_t ip;
	char **names;
	size_t n_names;
};

struct vk_netdef {
	char name[VK_NAME_MAX + 1];
	char uuid[VK_UUID_LEN + 1];
	enum vk_net_forward forward;
	char bridge[VK_IFNAME_MAX + 1];
	bool stp;			/* nat: STP on its bridge */
	unsigned delay;			/* nat: forward delay, seconds */
	/* nat only: */
	uint32_t address;		/* the host's address on the bridge, the guests' gateway */
	unsigned prefix;
	bool dhcp;
	uint32_t dhcp_start, dhcp_end;
	struct vk_net_dhcp_host *hosts;
	size_t n_hosts;
	char *domain;			/* guests' DNS domain, or NULL */
	struct vk_net_dns_host *dns_hosts;
	size_t n_dns_hosts;
	bool autostart;
};

void vk_netdef_free(struct vk_netdef *def);
/* Every rule a definition must satisfy (docs/networks.md): names, a subnet
 * that holds the address and the DHCP range (which leaves the address
 * out), fixed hosts inside the subnet with distinct MACs and addresses,
 * DNS names that are names; nothing that a bridge network cannot use. */
int vk_netdef_validate(const struct vk_netdef *def);
/* JSON round trip; parsing validates, unknown keys are refused by name.
 * A definition without a uuid gets a new one. */
int vk_netdef_from_json(const char *text, struct vk_netdef **out);
char *vk_netdef_to_json(const struct vk_netdef *def);
/* The network's subnet as a prefix. */
struct vk_ip4_prefix vk_netdef_subnet(const struct vk_netdef *def);

/* Definitions in the state directory. */
int vk_net_def_path(char **out, const char *name);
bool vk_net_exists(const char *name);
int vk_net_lookup(const char *name, struct vk_netdef **out);	/* -ENOENT: "network 'x' not found" */
/*
 * Write a definition, under the networks' lock.  Refused: a name taken by
 * a network with another uuid (the same uuid updates it, as virsh
 * net-define does), a bridge another network names, or a subnet that
 * overlaps another network's.  *updated says which it was (may be NULL).
 */
int vk_net_define(const struct vk_netdef *def, bool *updated);
int vk_net_undefine(const char *name);
/* Change a definition in place (as vk_vm_edit). */
int vk_net_edit(const char *name, int (*edit)(struct vk_netdef *def, void *arg), void *arg);
/* Sorted names of the defined networks; free with vk_strv_free(). */
int vk_net_list(char ***names, size_t *count);

/*
 * The network named "default" as libvirt has it, for a host that has none
 * yet: NAT, 192.168.122.0/24 unless the host or another network uses that
 * range (then the next free /24 up to 192.168.254.0/24), DHCP for .2 to
 * .254, on the first bridge vkbrN that is free, marked autostart.  Only
 * planned: nothing is written.
 */
int vk_net_plan_default(struct vk_netdef **out);
/*
 * The definition of network name as a VM on it needs it: the defined one,
 * or for "default", which is made on first use as libvirt does, the
 * planned one, which define (false: a dry run) writes.  *created says
 * whether it was written now (may be NULL).
 */
int vk_net_lookup_for_vm(const char *name, bool define, struct vk_netdef **out, bool *created);

/* Where the host's interfaces are listed: $VKIT_SYSFS_NET (tests) or /sys/class/net. */
const char *vk_net_sysfs(void);

#endif
