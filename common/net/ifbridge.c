/* ifbridge.c - moving a host interface onto a new bridge (and back) without cutting the host off. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/net/ifbridge.h"
#include "common/net/netdef.h"
#include "common/vm/statedir.h"

void vk_ifbridge_free(struct vk_ifbridge *b)
{
	free(b->addrs);
	free(b->routes);
	vk_strv_free(b->steps);
	vk_netconf_free(&b->conf);
	memset(b, 0, sizeof(*b));
}

static int step(struct vk_ifbridge *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int step(struct vk_ifbridge *b, const char *fmt, ...)
{
	char **bigger = realloc(b->steps, (b->n_steps + 2) * sizeof(*bigger));
	va_list ap;
	int n;

	if (!bigger)
		return vk_error(ENOMEM, "plan");
	b->steps = bigger;
	va_start(ap, fmt);
	n = vasprintf(&b->steps[b->n_steps], fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->steps[b->n_steps] = NULL;
		return vk_error(ENOMEM, "plan");
	}
	b->steps[++b->n_steps] = NULL;
	return 0;
}

static bool is_wireless(const char *iface)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s/wireless", vk_net_sysfs(), iface);
	if (lstat(path, &st) == 0)
		return true;
	snprintf(path, sizeof(path), "%s/%s/phy80211", vk_net_sysfs(), iface);
	return lstat(path, &st) == 0;
}

/* An address that moves: every IPv4 one, and IPv6 ones that are not
 * link-local (those the kernel makes on each interface itself). */
static bool moves_addr(const struct vk_addr *a)
{
	return a->family == AF_INET || (a->family == AF_INET6 && a->scope != RT_SCOPE_LINK);
}

/* A route that moves: through the interface, not one the kernel makes for
 * an address (those follow the address), not one a router advertised
 * (the bridge will hear the next advertisement itself). */
static bool moves_route(const struct vk_route *r, int index)
{
	static const unsigned char ll[2] = { 0xfe, 0x80 };

	if (r->oif != index || r->protocol == RTPROT_KERNEL || r->protocol == RTPROT_RA ||
	    r->type != RTN_UNICAST)
		return false;
	return !(r->family == AF_INET6 && r->dst_len >= 10 && !memcmp(r->dst, ll, 2));
}

/* The addresses and routes of from that move. */
static int collect(struct vk_nl *nl, struct vk_ifbridge *b, int from)
{
	struct vk_addr *addrs = NULL;
	struct vk_route *routes = NULL;
	size_t n_addrs = 0, n_routes = 0, i;
	int rc;

	rc = vk_nl_addr_list(nl, AF_UNSPEC, from, &addrs, &n_addrs);
	if (rc == 0)
		rc = vk_nl_route_list(nl, AF_UNSPEC, &routes, &n_routes);
	if (rc < 0)
		goto out;
	b->addrs = calloc(n_addrs + 1, sizeof(*b->addrs));
	b->routes = calloc(n_routes + 1, sizeof(*b->routes));
	if (!b->addrs || !b->routes) {
		rc = vk_error(ENOMEM, "plan");
		goto out;
	}
	for (i = 0; i < n_addrs; i++)
		if (moves_addr(&addrs[i]))
			b->addrs[b->n_addrs++] = addrs[i];
	for (i = 0; i < n_routes; i++)
		if (moves_route(&routes[i], from))
			b->routes[b->n_routes++] = routes[i];
out:
	free(addrs);
	free(routes);
	return rc;
}

static void route_text(const struct vk_route *r, char *buf, size_t len)
{
	char dst[INET6_ADDRSTRLEN + 8] = "default", gw[INET6_ADDRSTRLEN] = "";

	if (r->dst_len)
		vk_addr_text(r->family, r->dst, r->dst_len, dst, sizeof(dst));
	if (r->has_gateway)
		inet_ntop(r->family, r->gateway, gw, sizeof(gw));
	snprintf(buf, len, "%s%s%s", dst, gw[0] ? " via " : "", gw);
}

/* The words of the moves, from one side to the other. */
static int plan_moves(struct vk_ifbridge *b, const char *from, const char *to)
{
	char text[INET6_ADDRSTRLEN + 64];
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < b->n_addrs; i++) {
		vk_addr_text(b->addrs[i].family, b->addrs[i].addr, b->addrs[i].prefix, text, sizeof(text));
		rc = step(b, "move address %s from %s to %s%s", text, from, to,
			  b->addrs[i].valid != VK_LIFETIME_FOREVER ? " (with its lease's lifetime)" : "");
	}
	for (i = 0; rc == 0 && i < b->n_routes; i++) {
		route_text(&b->routes[i], text, sizeof(text));
		rc = step(b, "move route %s from %s to %s", text, from, to);
	}
	return rc;
}

int vk_ifbridge_plan(const char *iface, const char *bridge, bool stp, unsigned delay, struct vk_ifbridge *b)
{
	struct vk_nl *nl = NULL;
	struct vk_link other;
	int rc;

	memset(b, 0, sizeof(*b));
	if (!*bridge || strlen(bridge) > VK_IFNAME_MAX)
		return vk_errorx(EINVAL, "bridge name '%s' is %zu characters; Linux allows interface names of 1 "
				 "to %d", bridge, strlen(bridge), VK_IFNAME_MAX);
	if (delay > VK_BRIDGE_DELAY_MAX)
		return vk_errorx(EINVAL, "--delay %u: the kernel allows 0 to %d seconds", delay, VK_BRIDGE_DELAY_MAX);
	snprintf(b->iface, sizeof(b->iface), "%s", iface);
	snprintf(b->bridge, sizeof(b->bridge), "%s", bridge);
	b->stp = stp;
	b->delay = delay;
	rc = vk_nl_open(&nl);
	if (rc == 0)
		rc = vk_nl_link_get(nl, iface, &b->port);
	if (rc < 0)
		goto out;
	if (b->port.flags & IFF_LOOPBACK)
		rc = vk_errorx(EINVAL, "%s is the loopback interface; bridge a network interface (ip link lists them)",
			       iface);
	else if (!strcmp(b->port.kind, "bridge"))
		rc = vk_errorx(EINVAL, "%s is a bridge already; give the interface to put on a bridge", iface);
	else if (b->port.master && if_indextoname((unsigned)b->port.master, other.name))
		rc = vk_errorx(EBUSY, "%s is a port of %s already (vctl iface-unbridge %s takes it off)", iface,
			       other.name, other.name);
	else if (is_wireless(iface))
		rc = vk_errorx(EINVAL, "%s is a wireless interface: a Wi-Fi client may send only its own MAC, so "
			       "guests on a bridge over it get nothing back; use a NAT network (the default one)",
			       iface);
	else if (!b->port.has_mac)
		rc = vk_errorx(EINVAL, "%s has no Ethernet address, so it cannot be a bridge's port", iface);
	if (rc < 0)
		goto out;
	rc = vk_nl_link_get(nl, bridge, &other);
	if (rc == 0) {
		rc = vk_errorx(EEXIST, "an interface named %s exists already; give another bridge name", bridge);
		goto out;
	}
	if (rc != -ENODEV)
		goto out;
	vk_error_clear();
	rc = collect(nl, b, b->port.index);
	if (rc == 0)
		rc = step(b, "create bridge %s (STP %s, forward delay %u s) with %s's MAC "
			  "%02x:%02x:%02x:%02x:%02x:%02x and MTU %u, and bring it up", bridge, stp ? "on" : "off",
			  delay, iface, b->port.mac[0], b->port.mac[1], b->port.mac[2], b->port.mac[3],
			  b->port.mac[4], b->port.mac[5], b->port.mtu);
	if (rc == 0)
		rc = step(b, "make %s a port of %s", iface, bridge);
	if (rc == 0)
		rc = plan_moves(b, iface, bridge);
	if (rc == 0)
		rc = vk_netconf_plan_bridge(iface, bridge, stp, delay, b->port.mac, &b->conf);
out:
	vk_nl_close(nl);
	if (rc < 0)
		vk_ifbridge_free(b);
	return rc;
}

int vk_ifunbridge_plan(const char *bridge, struct vk_ifbridge *b)
{
	struct vk_link *links = NULL;
	struct vk_nl *nl = NULL;
	size_t n = 0, i, ports = 0;
	char list[256] = "";
	int rc;

	memset(b, 0, sizeof(*b));
	b->unbridge = true;
	snprintf(b->bridge, sizeof(b->bridge), "%s", bridge);
	rc = vk_nl_open(&nl);
	if (rc == 0)
		rc = vk_nl_link_get(nl, bridge, &b->br);
	if (rc == 0 && strcmp(b->br.kind, "bridge"))
		rc = vk_errorx(EINVAL, "%s is not a bridge", bridge);
	if (rc == 0)
		rc = vk_nl_link_list(nl, &links, &n);
	if (rc < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (links[i].master == b->br.index) {
			if (!ports++)
				b->port = links[i];
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", ports > 1 ? ", " : "",
				 links[i].name);
		}
	if (ports != 1) {
		rc = ports ? vk_errorx(EBUSY, "bridge %s has %zu ports (%s); iface-unbridge puts back a bridge of one "
				       "port: stop the VMs on it, or take the others off first", bridge, ports, list)
			   : vk_errorx(EINVAL, "bridge %s has no port to put its addresses back on", bridge);
		goto out;
	}
	snprintf(b->iface, sizeof(b->iface), "%s", b->port.name);
	rc = collect(nl, b, b->br.index);
	if (rc == 0)
		rc = plan_moves(b, bridge, b->iface);
	if (rc == 0)
		rc = step(b, "release %s from %s", b->iface, bridge);
	if (rc == 0)
		rc = step(b, "delete bridge %s", bridge);
	if (rc == 0)
		rc = vk_netconf_plan_unbridge(b->iface, bridge, &b->conf);
out:
	free(links);
	vk_nl_close(nl);
	if (rc < 0)
		vk_ifbridge_free(b);
	return rc;
}

/* An IPv4 label is the device's name, or the name and ":alias": on the
 * other device it is that device's name (and the same alias). */
static void relabel(struct vk_addr *a, const char *from, const char *to)
{
	size_t len = strlen(from);
	char alias[IFNAMSIZ];

	if (strncmp(a->label, from, len) || (a->label[len] && a->label[len] != ':')) {
		a->label[0] = '\0';
		return;
	}
	snprintf(alias, sizeof(alias), "%s", a->label + len);
	if (strlen(to) + strlen(alias) < sizeof(a->label))
		snprintf(a->label, sizeof(a->label), "%s%s", to, alias);
	else
		a->label[0] = '\0';	/* too long for the kernel: the plain name */
}

/* Moves the first *done addresses and routes from one interface to the
 * other; *done counts what has moved, for the way back. */
static int move_addrs(struct vk_nl *nl, struct vk_ifbridge *b, int from, int to, size_t *done)
{
	char from_name[IFNAMSIZ] = "", to_name[IFNAMSIZ] = "";
	struct vk_addr a;
	int rc = 0;

	if_indextoname((unsigned)from, from_name);
	if_indextoname((unsigned)to, to_name);
	for (*done = 0; rc == 0 && *done < b->n_addrs; (*done)++) {
		a = b->addrs[*done];
		a.index = to;
		relabel(&a, from_name, to_name);
		rc = vk_nl_addr_add(nl, &a);
		if (rc == 0) {
			a.index = from;
			rc = vk_nl_addr_del(nl, &a);
			if (rc == -EADDRNOTAVAIL) {
				vk_error_clear();
				rc = 0;
			}
		}
		if (rc < 0)
			break;
	}
	return rc;
}

static int move_routes(struct vk_nl *nl, struct vk_ifbridge *b, int from, int to, size_t *done)
{
	struct vk_route r;
	int rc = 0;

	for (*done = 0; rc == 0 && *done < b->n_routes; (*done)++) {
		r = b->routes[*done];
		r.oif = to;
		rc = vk_nl_route_replace(nl, &r);
		if (rc == 0) {
			/* Replacing took the old one's place unless it differed in
			 * more than the device; then the old one goes now. */
			r.oif = from;
			if (vk_nl_route_del(nl, &r) < 0)
				vk_error_clear();
		}
		if (rc < 0)
			break;
	}
	return rc;
}

/* The way back after a failure: each of the first n moved back. */
static void move_back(struct vk_nl *nl, struct vk_ifbridge *b, int from, int to, size_t n_addrs, size_t n_routes)
{
	struct vk_addr *addrs = b->addrs;
	struct vk_route *routes = b->routes;
	size_t a = b->n_addrs, r = b->n_routes, done;

	b->n_addrs = n_addrs;
	b->n_routes = n_routes;
	move_addrs(nl, b, to, from, &done);
	move_routes(nl, b, to, from, &done);
	b->addrs = addrs;
	b->routes = routes;
	b->n_addrs = a;
	b->n_routes = r;
	vk_error_clear();
}

static int bridge_apply(struct vk_nl *nl, struct vk_ifbridge *b)
{
	size_t addrs_done = 0, routes_done = 0;
	struct vk_link br;
	bool enslaved = false;
	char why[VK_ERRMSG_MAX];
	int rc;

	rc = vk_nl_bridge_add(nl, b->bridge, b->stp, b->delay, b->port.mac, b->port.mtu);
	if (rc < 0)
		return rc;
	rc = vk_nl_link_get(nl, b->bridge, &br);
	if (rc == 0)
		rc = vk_nl_link_set_up(nl, br.index, true);
	if (rc == 0)
		rc = vk_nl_link_set_master(nl, b->port.index, br.index);
	enslaved = rc == 0;
	if (rc == 0)
		rc = move_addrs(nl, b, b->port.index, br.index, &addrs_done);
	if (rc == 0)
		rc = move_routes(nl, b, b->port.index, br.index, &routes_done);
	if (rc == 0)
		return 0;
	snprintf(why, sizeof(why), "%s", vk_last_error());
	move_back(nl, b, b->port.index, br.index, addrs_done + (addrs_done < b->n_addrs), routes_done);
	if (enslaved)
		vk_nl_link_set_master(nl, b->port.index, 0);
	if (vk_nl_link_get(nl, b->bridge, &br) == 0)
		vk_nl_link_del(nl, br.index);
	return vk_errorx(-rc, "%s; everything done so far was undone", why);
}

static int unbridge_apply(struct vk_nl *nl, struct vk_ifbridge *b)
{
	size_t addrs_done = 0, routes_done = 0;
	char why[VK_ERRMSG_MAX];
	int rc;

	/* The port is up before anything lands on it. */
	rc = vk_nl_link_set_up(nl, b->port.index, true);
	if (rc == 0)
		rc = move_addrs(nl, b, b->br.index, b->port.index, &addrs_done);
	if (rc == 0)
		rc = move_routes(nl, b, b->br.index, b->port.index, &routes_done);
	if (rc == 0)
		rc = vk_nl_link_set_master(nl, b->port.index, 0);
	if (rc == 0)
		return vk_nl_link_del(nl, b->br.index);
	snprintf(why, sizeof(why), "%s", vk_last_error());
	move_back(nl, b, b->br.index, b->port.index, addrs_done + (addrs_done < b->n_addrs), routes_done);
	return vk_errorx(-rc, "%s; everything done so far was undone", why);
}

int vk_ifbridge_apply(struct vk_ifbridge *b)
{
	struct vk_nl *nl = NULL;
	int rc = vk_nl_open(&nl);

	if (rc == 0)
		rc = b->unbridge ? unbridge_apply(nl, b) : bridge_apply(nl, b);
	vk_nl_close(nl);
	return rc;
}
