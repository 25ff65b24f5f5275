/* netlink.h - the kernel's interfaces, addresses and routes over rtnetlink (libmnl): bridges, ports, the host's prefixes. */
#ifndef VK_NET_NETLINK_H
#define VK_NET_NETLINK_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Linux's limit on interface names, without the NUL (IFNAMSIZ - 1). */
#define VK_IFNAME_MAX (IFNAMSIZ - 1)
#define VK_ETH_ALEN 6
/* An address lifetime of "forever" (the kernel's INFINITY_LIFE_TIME). */
#define VK_LIFETIME_FOREVER 0xffffffffu

struct vk_nl;

struct vk_link {
	int index;
	char name[IFNAMSIZ];
	unsigned flags;			/* IFF_UP, IFF_LOOPBACK, ... */
	int master;			/* the bridge it is a port of, 0: none */
	char kind[16];			/* IFLA_INFO_KIND: "bridge", "veth", "tun", "" */
	unsigned mtu;
	unsigned char mac[VK_ETH_ALEN];
	bool has_mac;
};

/* One address (IPv4 or IPv6) on one interface. */
struct vk_addr {
	int family;			/* AF_INET, AF_INET6 */
	int index;
	unsigned char addr[16];		/* IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6 */
	unsigned char peer[16];		/* IFA_ADDRESS of a point-to-point IPv4 address */
	bool has_peer;
	unsigned char broadcast[4];
	bool has_broadcast;
	unsigned prefix;
	unsigned scope;			/* RT_SCOPE_* */
	uint32_t flags;			/* IFA_F_* */
	uint32_t valid, preferred;	/* lifetimes in s; VK_LIFETIME_FOREVER: forever */
	char label[IFNAMSIZ];		/* IPv4 alias labels ("eth0:1"), or "" */
};

/* One route of the main table. */
struct vk_route {
	int family;
	int oif;			/* 0: none (a blackhole, a multipath route) */
	unsigned char dst[16];
	unsigned dst_len;
	unsigned char gateway[16];
	bool has_gateway;
	unsigned char prefsrc[16];
	bool has_prefsrc;
	uint32_t priority;		/* the metric */
	bool has_priority;
	unsigned char protocol;		/* RTPROT_KERNEL, RTPROT_BOOT, RTPROT_DHCP, RTPROT_RA, ... */
	unsigned char scope, type;
	uint32_t flags;			/* RTNH_F_ONLINK, ... */
};

/* An IPv4 prefix: addr is the first address of it (host byte order). */
struct vk_ip4_prefix {
	uint32_t addr;
	unsigned len;
};

/* A route socket; every call below takes one.  vk_nl_open fails without
 * the kernel's rtnetlink (never on Linux) or without memory. */
int vk_nl_open(struct vk_nl **out);
void vk_nl_close(struct vk_nl *nl);

/* Interfaces.  vk_nl_link_get: -ENODEV (with a message naming it) when
 * there is no interface of that name. */
int vk_nl_link_get(struct vk_nl *nl, const char *name, struct vk_link *out);
int vk_nl_link_list(struct vk_nl *nl, struct vk_link **out, size_t *n);
/* A new bridge: STP on or off, forward delay in seconds (the kernel makes
 * it at least 2 s while STP is on), the MAC it keeps (NULL: the kernel's
 * choice, which follows its ports), mtu 0: the default.  It stays down. */
int vk_nl_bridge_add(struct vk_nl *nl, const char *name, bool stp, unsigned delay_s,
		     const unsigned char *mac, unsigned mtu);
int vk_nl_link_del(struct vk_nl *nl, int index);
int vk_nl_link_set_up(struct vk_nl *nl, int index, bool up);
/* Makes index a port of the bridge master (0: of none). */
int vk_nl_link_set_master(struct vk_nl *nl, int index, int master);

/* Addresses of one family (AF_UNSPEC: both) on interface index (0: all). */
int vk_nl_addr_list(struct vk_nl *nl, int family, int index, struct vk_addr **out, size_t *n);
int vk_nl_addr_add(struct vk_nl *nl, const struct vk_addr *a);
int vk_nl_addr_del(struct vk_nl *nl, const struct vk_addr *a);

/* Routes of the main table, of one family (AF_UNSPEC: both). */
int vk_nl_route_list(struct vk_nl *nl, int family, struct vk_route **out, size_t *n);
/* Adds r, or replaces the route with its destination and metric. */
int vk_nl_route_replace(struct vk_nl *nl, const struct vk_route *r);
int vk_nl_route_del(struct vk_nl *nl, const struct vk_route *r);

/* The IPv4 prefixes the host uses: those of its addresses and of its
 * routes (the default route aside), for choosing a free one.  A test
 * names a file of "A.B.C.D/LEN" lines in VKIT_NET_HOST_ROUTES to stand in
 * for the host's. */
int vk_nl_host_prefixes(struct vk_ip4_prefix **out, size_t *n);

/* Text forms: "192.168.122.1/24", "fe80::1/64", for messages. */
void vk_addr_text(int family, const unsigned char *addr, unsigned prefix, char *buf, size_t len);
/* "A.B.C.D/LEN" into a prefix (addr masked to the prefix); -EINVAL with a
 * message naming what (an option, a file) when it is not one. */
int vk_ip4_prefix_parse(const char *s, const char *what, struct vk_ip4_prefix *out);
bool vk_ip4_prefixes_overlap(struct vk_ip4_prefix a, struct vk_ip4_prefix b);
uint32_t vk_ip4_mask(unsigned len);

#endif
