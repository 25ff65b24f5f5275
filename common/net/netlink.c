/* netlink.c - interfaces, addresses and routes over rtnetlink with libmnl. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/net/netlink.h"

/* A host's list of prefixes is a few KiB; a larger file is not one. */
#define HOST_ROUTES_FILE_MAX (256 * 1024)
/* Room for a dump's batch of messages (libmnl's own suggestion is at
 * least a page, at most 8 KiB per message). */
#define NL_BUFFER_SIZE (32 * 1024)

struct vk_nl {
	struct mnl_socket *sock;
	unsigned portid, seq;
	char buf[NL_BUFFER_SIZE];
};

int vk_nl_open(struct vk_nl **out)
{
	struct vk_nl *nl = calloc(1, sizeof(*nl));
	int rc;

	*out = NULL;
	if (!nl)
		return vk_error(ENOMEM, "netlink");
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (!nl->sock) {
		rc = vk_error(errno, "cannot open a route netlink socket");
		free(nl);
		return rc;
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = vk_error(errno, "cannot bind a route netlink socket");
		vk_nl_close(nl);
		return rc;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	*out = nl;
	return 0;
}

void vk_nl_close(struct vk_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sock);
	free(nl);
}

/* Sends the request in nl->buf and reads replies until the dump ends or
 * the kernel acknowledges; cb (may be NULL) sees each message.  Returns 0
 * or -errno (the kernel's answer); no message is recorded here. */
static int nl_talk(struct vk_nl *nl, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	unsigned seq = ++nl->seq;
	ssize_t n;
	int rc;

	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return -errno;
		rc = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
	} while (rc > 0);
	return rc < 0 ? -errno : 0;
}

static struct nlmsghdr *nl_request(struct vk_nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(nl->buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	return h;
}

/* v with room for element n (of size bytes), the capacity doubling; NULL
 * when memory ran out (v is left as it was). */
static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t more;
	void *bigger;

	if (n < *cap)
		return v;
	more = *cap ? *cap * 2 : 16;
	bigger = realloc(v, more * size);
	if (bigger)
		*cap = more;
	return bigger;
}

/* ---- interfaces ---- */

struct link_list {
	struct vk_link *v;
	size_t n, cap;
	int err;
};

static int link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, IFLA_MAX) > 0)
		tb[type] = a;
	return MNL_CB_OK;
}

static int info_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFLA_INFO_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/* The kernel's data, checked for size before use. */
static int link_from_msg(const struct nlmsghdr *h, struct vk_link *l)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct ifinfomsg *ifi;

	if (mnl_nlmsg_get_payload_len(h) < sizeof(*ifi))
		return -EINVAL;
	ifi = mnl_nlmsg_get_payload(h);
	memset(l, 0, sizeof(*l));
	l->index = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	if (mnl_attr_parse(h, sizeof(*ifi), link_attr, tb) < 0)
		return -EINVAL;
	if (!tb[IFLA_IFNAME] || mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) < 0)
		return -EINVAL;
	snprintf(l->name, sizeof(l->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MASTER] && mnl_attr_validate(tb[IFLA_MASTER], MNL_TYPE_U32) == 0)
		l->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) == 0)
		l->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == VK_ETH_ALEN) {
		memcpy(l->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), VK_ETH_ALEN);
		l->has_mac = true;
	}
	if (tb[IFLA_LINKINFO] && mnl_attr_validate(tb[IFLA_LINKINFO], MNL_TYPE_NESTED) == 0 &&
	    mnl_attr_parse_nested(tb[IFLA_LINKINFO], info_attr, info) >= 0 && info[IFLA_INFO_KIND] &&
	    mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_STRING) == 0) {
		size_t len = mnl_attr_get_payload_len(info[IFLA_INFO_KIND]);

		if (len >= sizeof(l->kind))
			len = sizeof(l->kind) - 1;
		memcpy(l->kind, mnl_attr_get_payload(info[IFLA_INFO_KIND]), len);
		l->kind[len] = '\0';
	}
	return 0;
}

static int link_cb(const struct nlmsghdr *h, void *data)
{
	struct link_list *ll = data;
	struct vk_link l, *v;

	if (h->nlmsg_type != RTM_NEWLINK || link_from_msg(h, &l) < 0)
		return MNL_CB_OK;
	v = grow(ll->v, &ll->cap, ll->n, sizeof(*v));
	if (!v) {
		ll->err = ENOMEM;
		return MNL_CB_ERROR;
	}
	ll->v = v;
	ll->v[ll->n++] = l;
	return MNL_CB_OK;
}

int vk_nl_link_list(struct vk_nl *nl, struct vk_link **out, size_t *n)
{
	struct nlmsghdr *h = nl_request(nl, RTM_GETLINK, NLM_F_DUMP);
	struct link_list ll = { 0 };
	int rc;

	mnl_nlmsg_put_extra_header(h, sizeof(struct ifinfomsg));
	rc = nl_talk(nl, h, link_cb, &ll);
	if (rc < 0 || ll.err) {
		free(ll.v);
		return vk_error(ll.err ? ll.err : -rc, "listing the host's interfaces");
	}
	*out = ll.v;
	*n = ll.n;
	return 0;
}

int vk_nl_link_get(struct vk_nl *nl, const char *name, struct vk_link *out)
{
	struct nlmsghdr *h;
	struct link_list ll = { 0 };
	int rc;

	if (!*name || strlen(name) > VK_IFNAME_MAX)
		return vk_errorx(EINVAL, "'%s' is not an interface name (1 to %d characters)", name,
				 VK_IFNAME_MAX);
	/* The acknowledgement after the reply ends the exchange. */
	h = nl_request(nl, RTM_GETLINK, NLM_F_ACK);
	mnl_nlmsg_put_extra_header(h, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	rc = nl_talk(nl, h, link_cb, &ll);
	if (rc == 0 && !ll.n)
		rc = -ENODEV;
	if (rc == 0)
		*out = ll.v[0];
	free(ll.v);
	if (rc == -ENODEV)
		return vk_errorx(ENODEV, "no interface %s on this host", name);
	return rc < 0 ? vk_error(-rc, "interface %s", name) : 0;
}

int vk_nl_bridge_add(struct vk_nl *nl, const char *name, bool stp, unsigned delay_s,
		     const unsigned char *mac, unsigned mtu)
{
	struct nlmsghdr *h = nl_request(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
	struct nlattr *linkinfo, *data;
	int rc;

	if (!*name || strlen(name) > VK_IFNAME_MAX)
		return vk_errorx(EINVAL, "bridge name '%s' is %zu characters; Linux allows 1 to %d", name,
				 strlen(name), VK_IFNAME_MAX);
	mnl_nlmsg_put_extra_header(h, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	if (mac)
		mnl_attr_put(h, IFLA_ADDRESS, VK_ETH_ALEN, mac);
	if (mtu)
		mnl_attr_put_u32(h, IFLA_MTU, mtu);
	linkinfo = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
	/* The delay goes first: with STP off any value is taken, and turning
	 * STP on then raises it to the kernel's minimum of 2 s. */
	mnl_attr_put_u32(h, IFLA_BR_FORWARD_DELAY, delay_s * 100);	/* in USER_HZ */
	mnl_attr_put_u32(h, IFLA_BR_STP_STATE, stp ? 1 : 0);
	mnl_attr_nest_end(h, data);
	mnl_attr_nest_end(h, linkinfo);
	rc = nl_talk(nl, h, NULL, NULL);
	if (rc == -EEXIST)
		return vk_errorx(EEXIST, "an interface named %s exists already on this host", name);
	if (rc == -EOPNOTSUPP)
		return vk_errorx(EOPNOTSUPP, "bridge %s: this kernel has no bridge support (modprobe bridge)", name);
	return rc < 0 ? vk_error(-rc, "cannot create bridge %s", name) : 0;
}

int vk_nl_link_del(struct vk_nl *nl, int index)
{
	struct nlmsghdr *h = nl_request(nl, RTM_DELLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	int rc;

	ifi->ifi_index = index;
	rc = nl_talk(nl, h, NULL, NULL);
	return rc < 0 ? vk_error(-rc, "cannot delete interface %d", index) : 0;
}

int vk_nl_link_set_up(struct vk_nl *nl, int index, bool up)
{
	struct nlmsghdr *h = nl_request(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	int rc;

	ifi->ifi_index = index;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	rc = nl_talk(nl, h, NULL, NULL);
	return rc < 0 ? vk_error(-rc, "cannot set interface %d %s", index, up ? "up" : "down") : 0;
}

int vk_nl_link_set_master(struct vk_nl *nl, int index, int master)
{
	struct nlmsghdr *h = nl_request(nl, RTM_NEWLINK, NLM_F_ACK);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	int rc;

	ifi->ifi_index = index;
	mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)master);
	rc = nl_talk(nl, h, NULL, NULL);
	if (rc < 0 && master)
		return vk_error(-rc, "cannot make interface %d a port of bridge %d", index, master);
	return rc < 0 ? vk_error(-rc, "cannot release interface %d from its bridge", index) : 0;
}

/* ---- addresses ---- */

struct addr_list {
	struct vk_addr *v;
	size_t n, cap;
	int index, err;
};

static int addr_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, IFA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static size_t family_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static bool attr_addr(const struct nlattr *a, int family, unsigned char *out)
{
	if (!a || mnl_attr_get_payload_len(a) != family_len(family))
		return false;
	memcpy(out, mnl_attr_get_payload(a), family_len(family));
	return true;
}

static int addr_cb(const struct nlmsghdr *h, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct addr_list *al = data;
	const struct ifaddrmsg *ifa;
	struct vk_addr a = { 0 }, *v;

	if (h->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(h) < sizeof(*ifa))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(h);
	if ((al->index && (int)ifa->ifa_index != al->index) || !family_len(ifa->ifa_family) ||
	    mnl_attr_parse(h, sizeof(*ifa), addr_attr, tb) < 0)
		return MNL_CB_OK;
	a.family = ifa->ifa_family;
	a.index = (int)ifa->ifa_index;
	a.prefix = ifa->ifa_prefixlen;
	a.scope = ifa->ifa_scope;
	a.flags = ifa->ifa_flags;
	if (tb[IFA_FLAGS] && mnl_attr_validate(tb[IFA_FLAGS], MNL_TYPE_U32) == 0)
		a.flags = mnl_attr_get_u32(tb[IFA_FLAGS]);
	/* IPv4: IFA_LOCAL is the address, IFA_ADDRESS the peer of a
	 * point-to-point link (else the same); IPv6 has IFA_ADDRESS only. */
	if (!attr_addr(tb[IFA_LOCAL], a.family, a.addr) && !attr_addr(tb[IFA_ADDRESS], a.family, a.addr))
		return MNL_CB_OK;
	if (a.family == AF_INET && tb[IFA_LOCAL] && attr_addr(tb[IFA_ADDRESS], a.family, a.peer) &&
	    memcmp(a.peer, a.addr, 4))
		a.has_peer = true;
	a.has_broadcast = attr_addr(tb[IFA_BROADCAST], AF_INET, a.broadcast) && a.family == AF_INET;
	a.valid = a.preferred = VK_LIFETIME_FOREVER;
	if (tb[IFA_CACHEINFO] && mnl_attr_get_payload_len(tb[IFA_CACHEINFO]) >= sizeof(struct ifa_cacheinfo)) {
		const struct ifa_cacheinfo *ci = mnl_attr_get_payload(tb[IFA_CACHEINFO]);

		a.valid = ci->ifa_valid;
		a.preferred = ci->ifa_prefered;
	}
	if (tb[IFA_LABEL] && mnl_attr_validate(tb[IFA_LABEL], MNL_TYPE_NUL_STRING) == 0)
		snprintf(a.label, sizeof(a.label), "%s", mnl_attr_get_str(tb[IFA_LABEL]));
	v = grow(al->v, &al->cap, al->n, sizeof(*v));
	if (!v) {
		al->err = ENOMEM;
		return MNL_CB_ERROR;
	}
	al->v = v;
	al->v[al->n++] = a;
	return MNL_CB_OK;
}

int vk_nl_addr_list(struct vk_nl *nl, int family, int index, struct vk_addr **out, size_t *n)
{
	struct nlmsghdr *h = nl_request(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	struct addr_list al = { .index = index };
	int rc;

	ifa->ifa_family = (unsigned char)family;
	rc = nl_talk(nl, h, addr_cb, &al);
	if (rc < 0 || al.err) {
		free(al.v);
		return vk_error(al.err ? al.err : -rc, "listing the host's addresses");
	}
	*out = al.v;
	*n = al.n;
	return 0;
}

static int addr_change(struct vk_nl *nl, const struct vk_addr *a, bool add)
{
	struct nlmsghdr *h = nl_request(nl, add ? RTM_NEWADDR : RTM_DELADDR,
					NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0));
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	size_t len = family_len(a->family);
	char text[INET6_ADDRSTRLEN + 8];
	int rc;

	if (!len)
		return vk_errorx(EAFNOSUPPORT, "address family %d", a->family);
	ifa->ifa_family = (unsigned char)a->family;
	ifa->ifa_prefixlen = (unsigned char)a->prefix;
	ifa->ifa_index = (unsigned)a->index;
	ifa->ifa_scope = (unsigned char)a->scope;
	ifa->ifa_flags = (unsigned char)(a->flags & 0xff);
	if (a->family == AF_INET) {
		mnl_attr_put(h, IFA_LOCAL, len, a->addr);
		mnl_attr_put(h, IFA_ADDRESS, len, a->has_peer ? a->peer : a->addr);
		if (a->has_broadcast)
			mnl_attr_put(h, IFA_BROADCAST, len, a->broadcast);
		if (add && a->label[0])
			mnl_attr_put_strz(h, IFA_LABEL, a->label);
	} else {
		mnl_attr_put(h, IFA_ADDRESS, len, a->addr);
	}
	if (add) {
		/* Only what a user may set: not the kernel's own state bits. */
		uint32_t keep = IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE |
				IFA_F_MANAGETEMPADDR | IFA_F_MCAUTOJOIN;

		mnl_attr_put_u32(h, IFA_FLAGS, a->flags & keep);
		if (a->valid != VK_LIFETIME_FOREVER || a->preferred != VK_LIFETIME_FOREVER) {
			struct ifa_cacheinfo ci = { .ifa_prefered = a->preferred, .ifa_valid = a->valid };

			mnl_attr_put(h, IFA_CACHEINFO, sizeof(ci), &ci);
		}
	}
	rc = nl_talk(nl, h, NULL, NULL);
	if (rc < 0) {
		vk_addr_text(a->family, a->addr, a->prefix, text, sizeof(text));
		return vk_error(-rc, "cannot %s address %s %s interface %d", add ? "add" : "remove", text,
				add ? "to" : "from", a->index);
	}
	return 0;
}

int vk_nl_addr_add(struct vk_nl *nl, const struct vk_addr *a)
{
	return addr_change(nl, a, true);
}

int vk_nl_addr_del(struct vk_nl *nl, const struct vk_addr *a)
{
	return addr_change(nl, a, false);
}

/* ---- routes ---- */

struct route_list {
	struct vk_route *v;
	size_t n, cap;
	int err;
};

static int route_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(a, RTA_MAX) > 0)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int route_cb(const struct nlmsghdr *h, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { 0 };
	struct route_list *rl = data;
	const struct rtmsg *rtm;
	struct vk_route r = { 0 }, *v;
	uint32_t table;

	if (h->nlmsg_type != RTM_NEWROUTE || mnl_nlmsg_get_payload_len(h) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(h);
	if (!family_len(rtm->rtm_family) || mnl_attr_parse(h, sizeof(*rtm), route_attr, tb) < 0)
		return MNL_CB_OK;
	table = rtm->rtm_table;
	if (tb[RTA_TABLE] && mnl_attr_validate(tb[RTA_TABLE], MNL_TYPE_U32) == 0)
		table = mnl_attr_get_u32(tb[RTA_TABLE]);
	if (table != RT_TABLE_MAIN)
		return MNL_CB_OK;
	r.family = rtm->rtm_family;
	r.dst_len = rtm->rtm_dst_len;
	r.protocol = rtm->rtm_protocol;
	r.scope = rtm->rtm_scope;
	r.type = rtm->rtm_type;
	r.flags = rtm->rtm_flags;
	attr_addr(tb[RTA_DST], r.family, r.dst);
	r.has_gateway = attr_addr(tb[RTA_GATEWAY], r.family, r.gateway);
	r.has_prefsrc = attr_addr(tb[RTA_PREFSRC], r.family, r.prefsrc);
	if (tb[RTA_OIF] && mnl_attr_validate(tb[RTA_OIF], MNL_TYPE_U32) == 0)
		r.oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	if (tb[RTA_PRIORITY] && mnl_attr_validate(tb[RTA_PRIORITY], MNL_TYPE_U32) == 0) {
		r.priority = mnl_attr_get_u32(tb[RTA_PRIORITY]);
		r.has_priority = true;
	}
	v = grow(rl->v, &rl->cap, rl->n, sizeof(*v));
	if (!v) {
		rl->err = ENOMEM;
		return MNL_CB_ERROR;
	}
	rl->v = v;
	rl->v[rl->n++] = r;
	return MNL_CB_OK;
}

int vk_nl_route_list(struct vk_nl *nl, int family, struct vk_route **out, size_t *n)
{
	struct nlmsghdr *h = nl_request(nl, RTM_GETROUTE, NLM_F_DUMP);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	struct route_list rl = { 0 };
	int rc;

	rtm->rtm_family = (unsigned char)family;
	rc = nl_talk(nl, h, route_cb, &rl);
	if (rc < 0 || rl.err) {
		free(rl.v);
		return vk_error(rl.err ? rl.err : -rc, "listing the host's routes");
	}
	*out = rl.v;
	*n = rl.n;
	return 0;
}

static int route_change(struct vk_nl *nl, const struct vk_route *r, bool add)
{
	struct nlmsghdr *h = nl_request(nl, add ? RTM_NEWROUTE : RTM_DELROUTE,
					NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0));
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(h, sizeof(*rtm));
	size_t len = family_len(r->family);
	char text[INET6_ADDRSTRLEN + 8];
	int rc;

	if (!len)
		return vk_errorx(EAFNOSUPPORT, "address family %d", r->family);
	rtm->rtm_family = (unsigned char)r->family;
	rtm->rtm_dst_len = (unsigned char)r->dst_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = r->protocol ? r->protocol : RTPROT_BOOT;
	rtm->rtm_scope = r->scope;
	rtm->rtm_type = r->type ? r->type : RTN_UNICAST;
	rtm->rtm_flags = r->flags & RTNH_F_ONLINK;
	if (r->dst_len)
		mnl_attr_put(h, RTA_DST, len, r->dst);
	if (r->has_gateway)
		mnl_attr_put(h, RTA_GATEWAY, len, r->gateway);
	if (r->has_prefsrc)
		mnl_attr_put(h, RTA_PREFSRC, len, r->prefsrc);
	if (r->oif)
		mnl_attr_put_u32(h, RTA_OIF, (uint32_t)r->oif);
	if (r->has_priority)
		mnl_attr_put_u32(h, RTA_PRIORITY, r->priority);
	rc = nl_talk(nl, h, NULL, NULL);
	if (rc < 0) {
		vk_addr_text(r->family, r->dst, r->dst_len, text, sizeof(text));
		return vk_error(-rc, "cannot %s the route to %s", add ? "add" : "remove",
				r->dst_len ? text : "default");
	}
	return 0;
}

int vk_nl_route_replace(struct vk_nl *nl, const struct vk_route *r)
{
	return route_change(nl, r, true);
}

int vk_nl_route_del(struct vk_nl *nl, const struct vk_route *r)
{
	return route_change(nl, r, false);
}

/* ---- prefixes ---- */

uint32_t vk_ip4_mask(unsigned len)
{
	return len == 0 ? 0 : len >= 32 ? UINT32_MAX : ~(UINT32_MAX >> len);
}

bool vk_ip4_prefixes_overlap(struct vk_ip4_prefix a, struct vk_ip4_prefix b)
{
	uint32_t mask = vk_ip4_mask(a.len < b.len ? a.len : b.len);

	return (a.addr & mask) == (b.addr & mask);
}

int vk_ip4_prefix_parse(const char *s, const char *what, struct vk_ip4_prefix *out)
{
	char addr[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	struct in_addr in;
	unsigned long len;

	if (!slash || (size_t)(slash - s) >= sizeof(addr))
		goto bad;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	errno = 0;
	len = strtoul(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &in) != 1 || !slash[1] || *end || errno || len > 32)
		goto bad;
	out->len = (unsigned)len;
	out->addr = ntohl(in.s_addr) & vk_ip4_mask(out->len);
	return 0;
bad:
	return vk_errorx(EINVAL, "%s: '%s' is not an IPv4 prefix (A.B.C.D/LEN)", what, s);
}

static int prefix_add(struct vk_ip4_prefix **v, size_t *n, uint32_t addr, unsigned len)
{
	struct vk_ip4_prefix *bigger = realloc(*v, (*n + 1) * sizeof(**v));

	if (!bigger)
		return vk_error(ENOMEM, "the host's prefixes");
	*v = bigger;
	bigger[*n].len = len;
	bigger[*n].addr = addr & vk_ip4_mask(len);
	(*n)++;
	return 0;
}

/* The test stand-in: one prefix a line, '#' comments. */
static int host_prefixes_from_file(const char *path, struct vk_ip4_prefix **out, size_t *n)
{
	char *text = NULL, *line, *save = NULL;
	struct vk_ip4_prefix p;
	int rc;

	rc = vk_read_file(path, HOST_ROUTES_FILE_MAX, &text, NULL);
	for (line = rc == 0 ? strtok_r(text, "\n", &save) : NULL; line && rc == 0;
	     line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (!*line || *line == '#')
			continue;
		rc = vk_ip4_prefix_parse(line, path, &p);
		if (rc == 0)
			rc = prefix_add(out, n, p.addr, p.len);
	}
	free(text);
	return rc;
}

int vk_nl_host_prefixes(struct vk_ip4_prefix **out, size_t *n)
{
	const char *fake = getenv("VKIT_NET_HOST_ROUTES");
	struct vk_route *routes = NULL;
	struct vk_addr *addrs = NULL;
	size_t n_routes = 0, n_addrs = 0, i;
	struct vk_nl *nl = NULL;
	uint32_t a;
	int rc;

	*out = NULL;
	*n = 0;
	if (fake && *fake)
		return host_prefixes_from_file(fake, out, n);
	rc = vk_nl_open(&nl);
	if (rc == 0)
		rc = vk_nl_addr_list(nl, AF_INET, 0, &addrs, &n_addrs);
	if (rc == 0)
		rc = vk_nl_route_list(nl, AF_INET, &routes, &n_routes);
	for (i = 0; rc == 0 && i < n_addrs; i++) {
		memcpy(&a, addrs[i].addr, 4);
		rc = prefix_add(out, n, ntohl(a), addrs[i].prefix);
	}
	for (i = 0; rc == 0 && i < n_routes; i++) {
		/* The default route leads everywhere; only what it does not
		 * cover says a range is taken. */
		if (!routes[i].dst_len || routes[i].type != RTN_UNICAST)
			continue;
		memcpy(&a, routes[i].dst, 4);
		rc = prefix_add(out, n, ntohl(a), routes[i].dst_len);
	}
	if (rc < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	free(addrs);
	free(routes);
	vk_nl_close(nl);
	return rc;
}

void vk_addr_text(int family, const unsigned char *addr, unsigned prefix, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family, addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, prefix);
}
