/* network.c - starting and stopping virtual networks, and what a VM needs of them. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/jsonfield.h"
#include "common/net/hostcmd.h"
#include "common/net/nat.h"
#include "common/net/netlink.h"
#include "common/net/network.h"
#include "common/vm/statedir.h"

#define RUN_SUBDIR "run/net"
#define STATE_FILE_MAX (64 * 1024)
#define IP_FORWARD "/proc/sys/net/ipv4/ip_forward"

/* What net-start added, as run/net/NAME.json keeps it. */
struct net_state {
	char boot_id[64];
	char netns[64];
	char bridge[VK_IFNAME_MAX + 1];
	bool bridge_created;
	bool rules;
	pid_t dnsmasq;
	bool ip_forward_changed;
};

/* run/net/NAME.EXT; create: make the directory (for a write). */
static int state_path(const char *name, const char *ext, bool create, char **out)
{
	char file[VK_NAME_MAX + 16];

	snprintf(file, sizeof(file), "%s.%s", name, ext);
	return create ? vk_state_path(out, RUN_SUBDIR, file) : vk_state_path_peek(out, RUN_SUBDIR, file);
}

/* This boot and this network namespace, as the kernel names them. */
static void where_we_run(char boot_id[64], char netns[64])
{
	char *text = NULL;
	ssize_t n;

	boot_id[0] = netns[0] = '\0';
	if (vk_read_file("/proc/sys/kernel/random/boot_id", 64, &text, NULL) == 0) {
		snprintf(boot_id, 64, "%.*s", (int)strcspn(text, "\n"), text);
		free(text);
	}
	vk_error_clear();
	n = readlink("/proc/self/ns/net", netns, 63);
	netns[n > 0 ? n : 0] = '\0';
}

/* 0 with *found set, or -errno for a state file that exists but does not read. */
static int state_load(const char *name, struct net_state *s, bool *found)
{
	struct json_object *top = NULL, *v;
	char *path = NULL, *text = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	*found = false;
	rc = state_path(name, "json", false, &path);
	if (rc == 0 && access(path, F_OK) < 0 && errno == ENOENT)
		goto out;
	if (rc == 0)
		rc = vk_read_file(path, STATE_FILE_MAX, &text, NULL);
	if (rc == 0)
		rc = vk_json_parse_object(text, 4, "a network's run state", &top);
	if (rc < 0) {
		vk_error_prefix(rc, "%s", path);
		goto out;
	}
	*found = true;
	snprintf(s->boot_id, sizeof(s->boot_id), "%s", json_object_get_string(json_object_object_get(top, "boot_id")) ?: "");
	snprintf(s->netns, sizeof(s->netns), "%s", json_object_get_string(json_object_object_get(top, "netns")) ?: "");
	snprintf(s->bridge, sizeof(s->bridge), "%s", json_object_get_string(json_object_object_get(top, "bridge")) ?: "");
	s->bridge_created = json_object_get_boolean(json_object_object_get(top, "bridge_created"));
	s->rules = json_object_get_boolean(json_object_object_get(top, "rules"));
	s->ip_forward_changed = json_object_get_boolean(json_object_object_get(top, "ip_forward_changed"));
	if (json_object_object_get_ex(top, "dnsmasq_pid", &v) && json_object_is_type(v, json_type_int))
		s->dnsmasq = (pid_t)json_object_get_int(v);
out:
	json_object_put(top);
	free(text);
	free(path);
	return rc;
}

static int state_save(const char *name, const struct net_state *s)
{
	struct json_object *top = json_object_new_object();
	char *path = NULL, *text;
	int rc;

	vk_json_add_string(top, "boot_id", s->boot_id);
	vk_json_add_string(top, "netns", s->netns);
	vk_json_add_string(top, "bridge", s->bridge);
	json_object_object_add(top, "bridge_created", json_object_new_boolean(s->bridge_created));
	json_object_object_add(top, "rules", json_object_new_boolean(s->rules));
	json_object_object_add(top, "dnsmasq_pid", json_object_new_int(s->dnsmasq));
	json_object_object_add(top, "ip_forward_changed", json_object_new_boolean(s->ip_forward_changed));
	text = vk_json_to_text(top);
	json_object_put(top);
	if (!text)
		return vk_error(ENOMEM, "network %s: its run state", name);
	rc = state_path(name, "json", true, &path);
	if (rc == 0)
		rc = vk_write_file_atomic(path, text, strlen(text), VK_MODE_PRIVATE_FILE);
	free(path);
	free(text);
	return rc;
}

static void state_remove(const char *name)
{
	char *path = NULL;

	if (state_path(name, "json", false, &path) == 0)
		unlink(path);
	vk_error_clear();
	free(path);
}

/* The state of this boot and namespace, or none.  A state of another
 * namespace in this boot is refused: its network is there, not here. */
static int state_current(const char *name, struct net_state *s, bool *active)
{
	char boot_id[64], netns[64];
	bool found;
	int rc = state_load(name, s, &found);

	*active = false;
	if (rc < 0 || !found)
		return rc;
	where_we_run(boot_id, netns);
	if (strcmp(s->boot_id, boot_id))
		return 0;	/* from before the last reboot: nothing of it is left */
	if (strcmp(s->netns, netns))
		return vk_errorx(EBUSY, "network '%s' was started in another network namespace (%s; this is %s); "
				 "run vctl there", name, s->netns, netns);
	*active = true;
	return 0;
}

static int lock_network(const char *name, int *fd)
{
	char *path = NULL;
	int rc = state_path(name, "lock", true, &path);

	if (rc == 0)
		rc = vk_lock_path(path, fd);
	free(path);
	return rc;
}

int vk_net_dnsmasq_files(const char *name, struct vk_dnsmasq_files *f)
{
	return vk_dnsmasq_files_get(name, f);
}

/* ---- status ---- */

static int bridge_present(const char *bridge, bool *present)
{
	struct vk_nl *nl = NULL;
	struct vk_link l;
	int rc = vk_nl_open(&nl);

	*present = false;
	if (rc == 0) {
		rc = vk_nl_link_get(nl, bridge, &l);
		if (rc == 0)
			*present = !strcmp(l.kind, "bridge");
		if (rc == -ENODEV) {
			vk_error_clear();
			rc = 0;
		}
	}
	vk_nl_close(nl);
	return rc;
}

static int status_of(const struct vk_netdef *def, const struct net_state *s, struct vk_net_status *st)
{
	struct vk_dnsmasq_files f;
	int rc, rules;

	st->active = true;
	rc = bridge_present(def->bridge, &st->bridge_present);
	if (rc < 0)
		return rc;
	if (!st->bridge_present) {
		snprintf(st->problem, sizeof(st->problem), "its bridge %s is gone", def->bridge);
		return 0;
	}
	if (def->forward != VK_NET_NAT)
		return 0;
	rules = vk_nat_state(def);
	if (rules < 0)
		return rules;
	st->rules_present = rules == 1;
	rc = vk_dnsmasq_files_get(def->name, &f);
	if (rc < 0)
		return rc;
	st->dnsmasq = s->dnsmasq;
	st->dnsmasq_running = vk_dnsmasq_is_ours(s->dnsmasq, f.conf);
	vk_dnsmasq_files_free(&f);
	if (!st->rules_present)
		snprintf(st->problem, sizeof(st->problem), "its nftables table %s%s %s", VK_NAT_TABLE_PREFIX,
			 def->name, rules == 0 ? "is gone" : "lacks some of its rules (flushed?)");
	else if (def->dhcp && !st->dnsmasq_running)
		snprintf(st->problem, sizeof(st->problem), "its dnsmasq (pid %d) is not running", (int)s->dnsmasq);
	return 0;
}

int vk_net_status_get(const struct vk_netdef *def, struct vk_net_status *st)
{
	struct net_state s;
	bool active;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = state_current(def->name, &s, &active);
	if (rc < 0 || !active)
		return rc;
	return status_of(def, &s, st);
}

int vk_net_is_active(const char *name)
{
	struct net_state s;
	bool active;

	if (state_current(name, &s, &active) < 0) {
		vk_error_clear();
		return 0;
	}
	return active;
}

/* ---- start ---- */

static int ip_forward_get(bool *on)
{
	char *text = NULL;
	int rc = vk_read_file(IP_FORWARD, 16, &text, NULL);

	if (rc == 0)
		*on = text[0] == '1';
	free(text);
	return rc;
}

static int ip_forward_set(bool on)
{
	int fd = open(IP_FORWARD, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return vk_error(errno, "%s", IP_FORWARD);
	if (write(fd, on ? "1\n" : "0\n", 2) != 2)
		rc = vk_error(errno, "%s: cannot turn IPv4 forwarding %s", IP_FORWARD, on ? "on" : "off");
	close(fd);
	return rc;
}

/* The host's interface or route that already uses the network's subnet. */
static int check_subnet_free(struct vk_nl *nl, const struct vk_netdef *def)
{
	struct vk_ip4_prefix net = vk_netdef_subnet(def), p;
	struct vk_route *routes = NULL;
	struct vk_addr *addrs = NULL;
	size_t n_routes = 0, n_addrs = 0, i;
	char text[64], dev[IF_NAMESIZE] = "?";
	uint32_t a;
	int rc;

	rc = vk_nl_addr_list(nl, AF_INET, 0, &addrs, &n_addrs);
	if (rc == 0)
		rc = vk_nl_route_list(nl, AF_INET, &routes, &n_routes);
	for (i = 0; rc == 0 && i < n_addrs; i++) {
		memcpy(&a, addrs[i].addr, 4);
		p.addr = ntohl(a) & vk_ip4_mask(addrs[i].prefix);
		p.len = addrs[i].prefix;
		if (!vk_ip4_prefixes_overlap(net, p))
			continue;
		if_indextoname((unsigned)addrs[i].index, dev);
		vk_addr_text(AF_INET, addrs[i].addr, addrs[i].prefix, text, sizeof(text));
		rc = vk_errorx(EADDRINUSE, "its subnet is in use on this host (%s on %s); give the network another "
			       "range (vctl net-define) or remove that address", text, dev);
	}
	for (i = 0; rc == 0 && i < n_routes; i++) {
		if (!routes[i].dst_len || routes[i].type != RTN_UNICAST)
			continue;
		memcpy(&a, routes[i].dst, 4);
		p.addr = ntohl(a) & vk_ip4_mask(routes[i].dst_len);
		p.len = routes[i].dst_len;
		if (!vk_ip4_prefixes_overlap(net, p))
			continue;
		if (!routes[i].oif || !if_indextoname((unsigned)routes[i].oif, dev))
			snprintf(dev, sizeof(dev), "?");
		vk_addr_text(AF_INET, routes[i].dst, routes[i].dst_len, text, sizeof(text));
		rc = vk_errorx(EADDRINUSE, "the host routes %s (dev %s), which overlaps its subnet; give the network "
			       "another range (vctl net-define)", text, dev);
	}
	free(addrs);
	free(routes);
	return rc;
}

/* Removes what s says was added, last first; failures are reported and
 * the rest still goes.  Returns the first failure. */
static int undo(const struct vk_netdef *def, struct net_state *s, bool keep_forwarding)
{
	struct vk_dnsmasq_files f = { 0 };
	struct vk_nl *nl = NULL;
	struct vk_link l;
	int rc = 0, r;

	if (s->dnsmasq && (r = vk_dnsmasq_files_get(def->name, &f)) == 0) {
		r = vk_dnsmasq_stop(s->dnsmasq, &f);
		vk_dnsmasq_files_free(&f);
	}
	if (s->dnsmasq && r < 0 && !rc)
		rc = r;
	s->dnsmasq = 0;
	if (s->ip_forward_changed && !keep_forwarding && (r = ip_forward_set(false)) < 0 && !rc)
		rc = r;
	s->ip_forward_changed = false;
	if (s->rules && (r = vk_nat_remove(def->name)) < 0 && !rc)
		rc = r;
	s->rules = false;
	if (s->bridge_created) {
		r = vk_nl_open(&nl);
		if (r == 0) {
			r = vk_nl_link_get(nl, s->bridge, &l);
			if (r == -ENODEV) {
				vk_error_clear();
				r = 0;
			} else if (r == 0 && !strcmp(l.kind, "bridge")) {
				r = vk_nl_link_del(nl, l.index);
			}
		}
		vk_nl_close(nl);
		if (r < 0 && !rc)
			rc = r;
	}
	s->bridge_created = false;
	return rc;
}

static int add_bridge(struct vk_nl *nl, const struct vk_netdef *def, struct net_state *s)
{
	struct vk_addr a = { .family = AF_INET, .prefix = def->prefix, .scope = 0, .has_broadcast = true,
			     .valid = VK_LIFETIME_FOREVER, .preferred = VK_LIFETIME_FOREVER };
	uint32_t addr = htonl(def->address), bcast = htonl(def->address | ~vk_ip4_mask(def->prefix));
	struct vk_link l;
	int rc;

	rc = vk_nl_bridge_add(nl, def->bridge, def->stp, def->delay, NULL, 0);
	if (rc < 0)
		return rc;
	s->bridge_created = true;
	rc = vk_nl_link_get(nl, def->bridge, &l);
	if (rc < 0)
		return rc;
	a.index = l.index;
	memcpy(a.addr, &addr, 4);
	memcpy(a.broadcast, &bcast, 4);
	rc = vk_nl_addr_add(nl, &a);
	if (rc == 0)
		rc = vk_nl_link_set_up(nl, l.index, true);
	return rc < 0 ? vk_error_prefix(rc, "bridge %s", def->bridge) : 0;
}

/* What the host's firewall will do to the guests' traffic. */
static char *forward_warning(void)
{
	char **drops = NULL, *msg = NULL;
	int n = vk_nat_host_forward_drops(&drops);

	if (n > 0 && asprintf(&msg, "the host's firewall drops forwarded packets by default (chain %s%s), "
			      "so guests may not reach past the host; let the subnet through there (vkit does "
			      "not change the host's own rules)", drops[0],
			      n > 1 ? " and others" : "") < 0)
		msg = NULL;
	vk_strv_free(drops);
	return msg;
}

static int start_nat(struct vk_nl *nl, const struct vk_netdef *def, struct net_state *s)
{
	struct vk_dnsmasq_files f = { 0 };
	char *nft = NULL, *dnsmasq = NULL;
	bool forwarding = false;
	int rc;

	/* Everything that can be checked is, before the first change. */
	if ((rc = vk_nat_find_nft(&nft)) < 0 ||
	    (def->dhcp && (rc = vk_hostcmd_find("dnsmasq", "dnsmasq-base", "a NAT network's DHCP and DNS",
						&dnsmasq)) < 0))
		goto out;
	rc = vk_dnsmasq_files_get(def->name, &f);
	if (rc == 0)
		rc = ip_forward_get(&forwarding);
	if (rc == 0)
		rc = check_subnet_free(nl, def);
	if (rc == 0)
		rc = add_bridge(nl, def, s);
	if (rc == 0) {
		rc = vk_nat_add(def);
		s->rules = rc == 0;
	}
	if (rc == 0 && !forwarding) {
		rc = ip_forward_set(true);
		s->ip_forward_changed = rc == 0;
	}
	if (rc == 0 && def->dhcp)
		rc = vk_dnsmasq_start(def, &f, &s->dnsmasq);
out:
	vk_dnsmasq_files_free(&f);
	free(dnsmasq);
	free(nft);
	return rc;
}

/* An active network that lost its rules or its dnsmasq gets them back. */
static int repair(const struct vk_netdef *def, struct net_state *s, const struct vk_net_status *st)
{
	struct vk_dnsmasq_files f = { 0 };
	int rc = 0;

	if (!st->rules_present) {
		rc = vk_nat_add(def);
		s->rules = rc == 0;
	}
	if (rc == 0 && def->dhcp && !st->dnsmasq_running) {
		rc = vk_dnsmasq_files_get(def->name, &f);
		if (rc == 0)
			rc = vk_dnsmasq_start(def, &f, &s->dnsmasq);
		vk_dnsmasq_files_free(&f);
	}
	if (rc == 0)
		rc = state_save(def->name, s);
	return rc;
}

static int start_locked(const struct vk_netdef *def, bool *repaired, char **warning)
{
	struct vk_net_status st = { 0 };
	struct vk_nl *nl = NULL;
	struct net_state s;
	struct vk_link l;
	bool active;
	int rc;

	rc = state_current(def->name, &s, &active);
	if (rc == 0 && active)
		rc = status_of(def, &s, &st);
	if (rc < 0)
		return rc;
	if (active && st.bridge_present && !st.problem[0])
		return vk_errorx(EEXIST, "network is already active");
	if (active && st.bridge_present) {
		*repaired = true;
		return repair(def, &s, &st);
	}
	/* Not active, or its bridge went (and every tap with it): afresh. */
	if (active)
		undo(def, &s, false);
	vk_error_clear();
	state_remove(def->name);
	memset(&s, 0, sizeof(s));
	where_we_run(s.boot_id, s.netns);
	snprintf(s.bridge, sizeof(s.bridge), "%s", def->bridge);
	rc = vk_nl_open(&nl);
	if (rc < 0)
		return rc;
	rc = vk_nl_link_get(nl, def->bridge, &l);
	if (def->forward == VK_NET_BRIDGE) {
		if (rc == -ENODEV)
			rc = vk_errorx(ENODEV, "bridge %s is not on this host; create it (vctl iface-bridge IFACE %s) "
				       "or point the network at another", def->bridge, def->bridge);
		else if (rc == 0 && strcmp(l.kind, "bridge"))
			rc = vk_errorx(EINVAL, "%s is a %s interface, not a bridge",
				       def->bridge, l.kind[0] ? l.kind : "plain");
	} else if (rc == 0) {
		rc = vk_errorx(EEXIST, "an interface named %s exists already on this host and is not this "
			       "network's; give the network another bridge name (vctl net-define)", def->bridge);
	} else if (rc == -ENODEV) {
		vk_error_clear();
		rc = start_nat(nl, def, &s);
		if (rc == 0 && warning)
			*warning = forward_warning();
	}
	if (rc == 0)
		rc = state_save(def->name, &s);
	if (rc < 0 && def->forward == VK_NET_NAT) {
		char why[VK_ERRMSG_MAX];

		/* The first failure is the one to tell; undo's own go after. */
		snprintf(why, sizeof(why), "%s", vk_last_error());
		undo(def, &s, false);
		vk_errorx(-rc, "%s", why);
	}
	vk_nl_close(nl);
	return rc;
}

int vk_net_start(const char *name, bool *repaired, char **warning)
{
	struct vk_netdef *def = NULL;
	bool fixed = false;
	int fd = -1, rc;

	if (warning)
		*warning = NULL;
	rc = vk_net_lookup(name, &def);
	if (rc == 0)
		rc = lock_network(name, &fd);
	if (rc == 0)
		rc = start_locked(def, &fixed, warning);
	if (repaired)
		*repaired = fixed;
	if (fd >= 0)
		close(fd);
	vk_netdef_free(def);
	return rc;
}

/* Another NAT network of this boot and namespace still relies on forwarding. */
static bool other_nat_active(const char *self)
{
	struct vk_netdef *def;
	char **names = NULL;
	size_t n = 0, i;
	bool found = false;

	if (vk_net_list(&names, &n) < 0)
		n = 0;
	for (i = 0; !found && i < n; i++) {
		if (!strcmp(names[i], self) || !vk_net_is_active(names[i]) || vk_net_lookup(names[i], &def) < 0)
			continue;
		found = def->forward == VK_NET_NAT;
		vk_netdef_free(def);
	}
	vk_error_clear();
	vk_strv_free(names);
	return found;
}

int vk_net_destroy(const char *name)
{
	struct vk_netdef *def = NULL;
	struct net_state s;
	bool active = false;
	int fd = -1, rc;

	rc = vk_net_lookup(name, &def);
	if (rc == 0)
		rc = lock_network(name, &fd);
	if (rc == 0)
		rc = state_current(name, &s, &active);
	if (rc == 0 && !active)
		rc = vk_errorx(ESRCH, "network is not active");
	if (rc == 0) {
		/* The definition may have changed since the start: what was
		 * started is what the state says. */
		snprintf(def->bridge, sizeof(def->bridge), "%s", s.bridge);
		rc = undo(def, &s, other_nat_active(name));
		if (rc == 0)
			state_remove(name);
	}
	if (fd >= 0)
		close(fd);
	vk_netdef_free(def);
	return rc;
}

/* ---- for VMs ---- */

int vk_nic_bridge(const struct vk_nic *nic, char bridge[VK_IFNAME_MAX + 1])
{
	struct vk_netdef *def = NULL;
	int rc;

	if (nic->kind != VK_NIC_NETWORK) {
		snprintf(bridge, VK_IFNAME_MAX + 1, "%s", nic->source ? nic->source : "");
		return 0;
	}
	rc = vk_net_lookup_for_vm(nic->source, false, &def, NULL);
	if (rc == 0)
		snprintf(bridge, VK_IFNAME_MAX + 1, "%s", def->bridge);
	vk_netdef_free(def);
	return rc;
}

static void say(void (*note)(const char *), const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(void (*note)(const char *), const char *fmt, ...)
{
	char line[VK_ERRMSG_MAX];
	va_list ap;

	if (!note)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	note(line);
}

static int network_up(const char *name, void (*note)(const char *))
{
	struct vk_netdef *def = NULL;
	struct vk_net_status st;
	char *warning = NULL;
	bool created = false, repaired = false;
	int rc;

	rc = vk_net_lookup_for_vm(name, true, &def, &created);
	if (rc < 0)
		return rc;
	if (created)
		say(note, "network %s defined (NAT, %s, on bridge %s), as libvirt's default network", name,
		    "DHCP and DNS", def->bridge);
	rc = vk_net_status_get(def, &st);
	if (rc == 0 && st.active && !st.problem[0])
		goto out;
	if (rc == 0 && !st.active && !def->autostart) {
		rc = vk_errorx(ENETDOWN, "network '%s' is not active; start it with: vctl net-start %s (or mark "
			       "it to start when needed: vctl net-autostart %s)", name, name, name);
		goto out;
	}
	if (rc == 0)
		rc = vk_net_start(name, &repaired, &warning);
	if (rc == -EEXIST) {	/* another tool started it meanwhile */
		vk_error_clear();
		rc = 0;
	} else if (rc == 0 && repaired) {
		say(note, "network %s: %s; restored", name, st.problem);
	} else if (rc == 0) {
		say(note, "network %s started", name);
	}
	if (warning)
		say(note, "network %s: warning: %s", name, warning);
	if (rc < 0)
		vk_error_prefix(rc, "network %s", name);
out:
	free(warning);
	vk_netdef_free(def);
	return rc;
}

int vk_vm_networks_up(const struct vk_vm *vm, void (*note)(const char *line))
{
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < vm->n_nics; i++) {
		if (vm->nics[i].kind != VK_NIC_NETWORK)
			continue;
		for (j = 0; j < i; j++)
			if (vm->nics[j].kind == VK_NIC_NETWORK && !strcmp(vm->nics[j].source, vm->nics[i].source))
				break;
		if (j == i)
			rc = network_up(vm->nics[i].source, note);
	}
	return rc;
}

int vk_net_start_autostarted(void (*report)(const char *name, const char *msg), size_t *failed)
{
	struct vk_netdef *def;
	char **names = NULL, *warning = NULL;
	size_t n = 0, i;
	int rc = vk_net_list(&names, &n);

	*failed = 0;
	for (i = 0; rc == 0 && i < n; i++) {
		if (vk_net_lookup(names[i], &def) < 0) {
			report(names[i], vk_last_error());
			(*failed)++;
			continue;
		}
		if (def->autostart && !vk_net_is_active(names[i])) {
			if (vk_net_start(names[i], NULL, &warning) < 0) {
				report(names[i], vk_last_error());
				(*failed)++;
			} else if (warning) {
				report(names[i], warning);
			}
			free(warning);
			warning = NULL;
		}
		vk_netdef_free(def);
	}
	vk_error_clear();
	vk_strv_free(names);
	return rc;
}
