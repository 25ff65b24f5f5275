/* netdef.c - virtual network definitions: check them, read and write them as JSON, plan the default network. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/util/jsonfield.h"
#include "common/net/netdef.h"
#include "common/vm/statedir.h"

#define VK_NETDEF_VERSION 1
/* A definition is a few KiB; anything this large is not one. */
#define VK_NETDEF_FILE_MAX (1024 * 1024)
#define VK_JSON_DEPTH 8
/* Bounds on what a definition may list: far above any real network, low
 * enough that a hostile file cannot make dnsmasq's configuration huge. */
#define VK_NET_HOSTS_MAX 4096
#define VK_NET_NAMES_MAX 16
/* A DNS label (RFC 1035 2.3.4). */
#define VK_DNS_LABEL_MAX 63
/* The kernel's bridge forward delay is at most 30 s (BR_MAX_FORWARD_DELAY). */
#define VK_BRIDGE_DELAY_MAX 30
/* libvirt's default network, and the /24s tried after it. */
#define DEFAULT_SUBNET_FIRST 122
#define DEFAULT_SUBNET_LAST 254
#define DEFAULT_BRIDGE_PREFIX "vkbr"
#define DEFAULT_BRIDGES_MAX 1000

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const forward_names[] = { "nat", "bridge" };

void vk_netdef_free(struct vk_netdef *def)
{
	size_t i, j;

	if (!def)
		return;
	for (i = 0; i < def->n_hosts; i++)
		free(def->hosts[i].name);
	free(def->hosts);
	for (i = 0; i < def->n_dns_hosts; i++) {
		for (j = 0; j < def->dns_hosts[i].n_names; j++)
			free(def->dns_hosts[i].names[j]);
		free(def->dns_hosts[i].names);
	}
	free(def->dns_hosts);
	free(def->domain);
	free(def);
}

static void ip_text(uint32_t ip, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(ip) };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

struct vk_ip4_prefix vk_netdef_subnet(const struct vk_netdef *def)
{
	struct vk_ip4_prefix p = { def->address & vk_ip4_mask(def->prefix), def->prefix };

	return p;
}

/* ---- checks ---- */

/* Interface names go to the kernel and into dnsmasq's and nft's input:
 * letters, digits and "_.-" only, so none can carry a space, a newline or
 * a quote into either. */
static int ifname_check(const char *name, const char *field)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > VK_IFNAME_MAX)
		return vk_errorx(EINVAL, "%s '%s' is %zu characters; Linux allows interface names of 1 to %d",
				 field, name, len, VK_IFNAME_MAX);
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_' || name[i] == '-' ||
		      (name[i] == '.' && i > 0)))
			return vk_errorx(EINVAL, "%s '%s' has a character other than letters, digits and _.- "
					 "at position %zu", field, name, i + 1);
	if (!strcmp(name, "all") || !strcmp(name, "default"))
		return vk_errorx(EINVAL, "%s '%s' is a name the kernel keeps for itself; pick another", field,
				 name);
	return 0;
}

/* A DNS name: dot-separated labels of letters, digits and '-' (not at a
 * label's ends).  What goes into dnsmasq's configuration is only this. */
static int dns_name_check(const char *name, const char *field)
{
	size_t len = strlen(name), label = 0, i;

	if (len == 0 || len > VK_DNS_NAME_MAX)
		return vk_errorx(EINVAL, "%s '%.*s' is not a DNS name (1 to %d characters)", field, 64, name,
				 VK_DNS_NAME_MAX);
	for (i = 0; i <= len; i++) {
		char c = name[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || name[i - 1] == '-')
				return vk_errorx(EINVAL, "%s '%s': each dot-separated part must be 1 to %d letters, "
						 "digits or '-', not starting or ending with '-'", field, name,
						 VK_DNS_LABEL_MAX);
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c == '-' && label > 0)) || ++label > VK_DNS_LABEL_MAX)
			return vk_errorx(EINVAL, "%s '%s': each dot-separated part must be 1 to %d letters, "
					 "digits or '-', not starting or ending with '-'", field, name,
					 VK_DNS_LABEL_MAX);
	}
	return 0;
}

/* ip lies in the subnet and is not its network or broadcast address. */
static int host_in_subnet(const struct vk_netdef *def, uint32_t ip, const char *field)
{
	uint32_t mask = vk_ip4_mask(def->prefix), net = def->address & mask;
	char a[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];

	ip_text(ip, a);
	ip_text(net, n);
	if ((ip & mask) != net)
		return vk_errorx(EINVAL, "%s %s is outside the network's subnet %s/%u", field, a, n,
				 def->prefix);
	if (ip == net || ip == (net | ~mask))
		return vk_errorx(EINVAL, "%s %s is the subnet's %s address; give a host address", field, a,
				 ip == net ? "network" : "broadcast");
	return 0;
}

static int check_dhcp(const struct vk_netdef *def)
{
	char s[INET_ADDRSTRLEN], e[INET_ADDRSTRLEN], a[INET_ADDRSTRLEN], field[48];
	size_t i, j;
	int rc;

	ip_text(def->dhcp_start, s);
	ip_text(def->dhcp_end, e);
	ip_text(def->address, a);
	if ((rc = host_in_subnet(def, def->dhcp_start, "ip.dhcp.start")) < 0 ||
	    (rc = host_in_subnet(def, def->dhcp_end, "ip.dhcp.end")) < 0)
		return rc;
	if (def->dhcp_start > def->dhcp_end)
		return vk_errorx(EINVAL, "ip.dhcp: the range starts at %s, after its end %s; swap them", s, e);
	if (def->address >= def->dhcp_start && def->address <= def->dhcp_end)
		return vk_errorx(EINVAL, "ip.dhcp: the range %s-%s holds the network's own address %s; "
				 "start it above or end it below that address", s, e, a);
	for (i = 0; i < def->n_hosts; i++) {
		const struct vk_net_dhcp_host *h = &def->hosts[i];

		snprintf(field, sizeof(field), "ip.dhcp.hosts[%zu].ip", i);
		if ((rc = host_in_subnet(def, h->ip, field)) < 0)
			return rc;
		if (h->ip == def->address)
			return vk_errorx(EINVAL, "%s %s is the network's own address; give another", field, a);
		snprintf(field, sizeof(field), "ip.dhcp.hosts[%zu].name", i);
		if (h->name && (rc = dns_name_check(h->name, field)) < 0)
			return rc;
		for (j = 0; j < i; j++) {
			if (!strcmp(def->hosts[j].mac, h->mac))
				return vk_errorx(EINVAL, "ip.dhcp.hosts[%zu] and [%zu] both have MAC %s", j, i,
						 h->mac);
			if (def->hosts[j].ip == h->ip) {
				ip_text(h->ip, a);
				return vk_errorx(EINVAL, "ip.dhcp.hosts[%zu] and [%zu] both have address %s", j,
						 i, a);
			}
		}
	}
	return 0;
}

static int check_nat(const struct vk_netdef *def)
{
	char field[48];
	size_t i, j;
	int rc;

	if (def->prefix < 8 || def->prefix > 30)
		return vk_errorx(EINVAL, "ip.prefix %u: a NAT network's subnet is /8 to /30 (a /24 holds 253 "
				 "guests)", def->prefix);
	if ((rc = host_in_subnet(def, def->address, "ip.address")) < 0)
		return rc;
	if (def->delay > VK_BRIDGE_DELAY_MAX)
		return vk_errorx(EINVAL, "bridge.delay %u: the kernel allows 0 to %d seconds", def->delay,
				 VK_BRIDGE_DELAY_MAX);
	if (!def->dhcp && def->n_hosts)
		return vk_errorx(EINVAL, "ip.dhcp.hosts needs ip.dhcp.start and ip.dhcp.end");
	if (def->dhcp && (rc = check_dhcp(def)) < 0)
		return rc;
	if (def->domain && (rc = dns_name_check(def->domain, "dns.domain")) < 0)
		return rc;
	for (i = 0; i < def->n_dns_hosts; i++) {
		if (!def->dns_hosts[i].n_names)
			return vk_errorx(EINVAL, "dns.hosts[%zu].names is empty; give at least one name", i);
		for (j = 0; j < def->dns_hosts[i].n_names; j++) {
			snprintf(field, sizeof(field), "dns.hosts[%zu].names[%zu]", i, j);
			if ((rc = dns_name_check(def->dns_hosts[i].names[j], field)) < 0)
				return rc;
		}
	}
	return 0;
}

int vk_netdef_validate(const struct vk_netdef *def)
{
	int rc = vk_name_check_as(def->name, "network name");

	if (rc < 0)
		return rc;
	if (!vk_uuid_valid(def->uuid))
		return vk_errorx(EINVAL, "uuid '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
				 def->uuid);
	if ((unsigned)def->forward >= N_ELEMS(forward_names))
		return vk_errorx(EINVAL, "forward %d is not known", (int)def->forward);
	rc = ifname_check(def->bridge, "bridge.name");
	if (rc < 0)
		return rc;
	if (def->forward == VK_NET_NAT)
		return check_nat(def);
	if (def->address || def->dhcp || def->n_hosts || def->domain || def->n_dns_hosts)
		return vk_errorx(EINVAL, "a bridge network has no ip or dns of its own (the host's LAN gives "
				 "guests their addresses); remove them, or use forward nat");
	if (def->stp || def->delay)
		return vk_errorx(EINVAL, "bridge.stp and bridge.delay are set on the host's bridge %s itself, "
				 "not by vkit; remove them (vctl iface-bridge --no-stp --delay sets them on a "
				 "new bridge)", def->bridge);
	return 0;
}

/* ---- JSON ---- */

static const char *const top_keys[] = { "version", "name", "uuid", "forward", "bridge", "ip", "dns",
					"autostart", NULL };
static const char *const bridge_keys[] = { "name", "stp", "delay", NULL };
static const char *const ip_keys[] = { "address", "prefix", "dhcp", NULL };
static const char *const dhcp_keys[] = { "start", "end", "hosts", NULL };
static const char *const dhcp_host_keys[] = { "mac", "ip", "name", NULL };
static const char *const dns_keys[] = { "domain", "hosts", NULL };
static const char *const dns_host_keys[] = { "ip", "names", NULL };

static int get_ip(struct json_object *o, const char *where, const char *key, bool required, uint32_t *out,
		  bool *given)
{
	struct in_addr in;
	char *s = NULL;
	int rc = vk_json_get_string(o, where, key, required, &s);

	if (given)
		*given = s != NULL;
	if (rc < 0 || !s)
		return rc;
	if (inet_pton(AF_INET, s, &in) != 1)
		rc = vk_errorx(EINVAL, "%s%s%s '%s' is not an IPv4 address (A.B.C.D)", where, *where ? "." : "",
			       key, s);
	else
		*out = ntohl(in.s_addr);
	free(s);
	return rc;
}

/* An array member of at most max elements, NULL when absent. */
static int get_array(struct json_object *o, const char *where, const char *key, size_t max,
		     struct json_object **out)
{
	int rc = vk_json_get_container(o, where, key, json_type_array, out);

	if (rc == 0 && *out && json_object_array_length(*out) > max)
		rc = vk_errorx(E2BIG, "%s.%s has %zu entries; at most %zu are taken", where, key,
			       json_object_array_length(*out), max);
	return rc;
}

static int dhcp_host_from_json(struct json_object *o, const char *where, struct vk_net_dhcp_host *h)
{
	char *mac = NULL;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return vk_errorx(EINVAL, "%s must be an object", where);
	if ((rc = vk_json_check_keys(o, where, dhcp_host_keys)) < 0 ||
	    (rc = vk_json_get_string(o, where, "mac", true, &mac)) < 0 ||
	    (rc = get_ip(o, where, "ip", true, &h->ip, NULL)) < 0 ||
	    (rc = vk_json_get_string(o, where, "name", false, &h->name)) < 0)
		goto out;
	rc = vk_mac_parse(mac, h->mac);
	if (rc < 0)
		vk_error_prefix(rc, "%s.mac", where);
out:
	free(mac);
	return rc;
}

static int dhcp_from_json(struct json_object *o, struct vk_netdef *def)
{
	struct json_object *hosts;
	char where[48];
	size_t i;
	int rc;

	if ((rc = vk_json_check_keys(o, "ip.dhcp", dhcp_keys)) < 0 ||
	    (rc = get_ip(o, "ip.dhcp", "start", true, &def->dhcp_start, NULL)) < 0 ||
	    (rc = get_ip(o, "ip.dhcp", "end", true, &def->dhcp_end, NULL)) < 0 ||
	    (rc = get_array(o, "ip.dhcp", "hosts", VK_NET_HOSTS_MAX, &hosts)) < 0)
		return rc;
	def->dhcp = true;
	if (!hosts || !json_object_array_length(hosts))
		return 0;
	def->hosts = calloc(json_object_array_length(hosts), sizeof(*def->hosts));
	if (!def->hosts)
		return vk_error(ENOMEM, "ip.dhcp.hosts");
	for (i = 0; i < json_object_array_length(hosts); i++) {
		snprintf(where, sizeof(where), "ip.dhcp.hosts[%zu]", i);
		def->n_hosts++;
		rc = dhcp_host_from_json(json_object_array_get_idx(hosts, i), where, &def->hosts[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int ip_from_json(struct json_object *o, struct vk_netdef *def)
{
	struct json_object *dhcp;
	uint64_t prefix = 0;
	int rc;

	if ((rc = vk_json_check_keys(o, "ip", ip_keys)) < 0 ||
	    (rc = get_ip(o, "ip", "address", true, &def->address, NULL)) < 0 ||
	    (rc = vk_json_get_uint(o, "ip", "prefix", true, 32, &prefix)) < 0 ||
	    (rc = vk_json_get_container(o, "ip", "dhcp", json_type_object, &dhcp)) < 0)
		return rc;
	def->prefix = (unsigned)prefix;
	return dhcp ? dhcp_from_json(dhcp, def) : 0;
}

static int dns_host_from_json(struct json_object *o, const char *where, struct vk_net_dns_host *h)
{
	struct json_object *names, *v;
	char field[64];
	size_t i;
	int rc;

	if (!json_object_is_type(o, json_type_object))
		return vk_errorx(EINVAL, "%s must be an object", where);
	if ((rc = vk_json_check_keys(o, where, dns_host_keys)) < 0 ||
	    (rc = get_ip(o, where, "ip", true, &h->ip, NULL)) < 0 ||
	    (rc = get_array(o, where, "names", VK_NET_NAMES_MAX, &names)) < 0)
		return rc;
	if (!names)
		return vk_errorx(EINVAL, "%s.names is missing", where);
	h->names = calloc(json_object_array_length(names) + 1, sizeof(*h->names));
	if (!h->names)
		return vk_error(ENOMEM, "%s", where);
	for (i = 0; i < json_object_array_length(names); i++) {
		v = json_object_array_get_idx(names, i);
		snprintf(field, sizeof(field), "%s.names[%zu]", where, i);
		if (!json_object_is_type(v, json_type_string) ||
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			return vk_errorx(EINVAL, "%s must be a name (a string without NUL)", field);
		if (!(h->names[i] = strdup(json_object_get_string(v))))
			return vk_error(ENOMEM, "%s", field);
		h->n_names++;
	}
	return 0;
}

static int dns_from_json(struct json_object *o, struct vk_netdef *def)
{
	struct json_object *hosts;
	char where[48];
	size_t i;
	int rc;

	if ((rc = vk_json_check_keys(o, "dns", dns_keys)) < 0 ||
	    (rc = vk_json_get_string(o, "dns", "domain", false, &def->domain)) < 0 ||
	    (rc = get_array(o, "dns", "hosts", VK_NET_HOSTS_MAX, &hosts)) < 0)
		return rc;
	if (!hosts || !json_object_array_length(hosts))
		return 0;
	def->dns_hosts = calloc(json_object_array_length(hosts), sizeof(*def->dns_hosts));
	if (!def->dns_hosts)
		return vk_error(ENOMEM, "dns.hosts");
	for (i = 0; i < json_object_array_length(hosts); i++) {
		snprintf(where, sizeof(where), "dns.hosts[%zu]", i);
		def->n_dns_hosts++;
		rc = dns_host_from_json(json_object_array_get_idx(hosts, i), where, &def->dns_hosts[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int bridge_from_json(struct json_object *o, struct vk_netdef *def)
{
	uint64_t delay = 0;
	char *name = NULL;
	int rc;

	if ((rc = vk_json_check_keys(o, "bridge", bridge_keys)) < 0 ||
	    (rc = vk_json_get_string(o, "bridge", "name", false, &name)) < 0 ||
	    (rc = vk_json_get_bool(o, "bridge", "stp", &def->stp)) < 0 ||
	    (rc = vk_json_get_uint(o, "bridge", "delay", false, UINT32_MAX, &delay)) < 0)
		goto out;
	def->delay = delay > UINT32_MAX ? UINT32_MAX : (unsigned)delay;
	if (name && (rc = ifname_check(name, "bridge.name")) == 0)
		snprintf(def->bridge, sizeof(def->bridge), "%s", name);
out:
	free(name);
	return rc;
}

static int choose_bridge(const char *self, char out[VK_IFNAME_MAX + 1]);

static int netdef_fields_from_json(struct json_object *top, struct vk_netdef *def)
{
	struct json_object *o;
	uint64_t version = 0;
	int forward = VK_NET_NAT, rc;
	char *s = NULL;

	if ((rc = vk_json_check_keys(top, "", top_keys)) < 0 ||
	    (rc = vk_json_get_uint(top, "", "version", false, UINT32_MAX, &version)) < 0)
		return rc;
	/* A hand-written definition may leave the version out; a later
	 * format is refused rather than half read. */
	if (version > VK_NETDEF_VERSION)
		return vk_errorx(EINVAL, "network definition version %llu is not supported; this vkit reads "
				 "version %d", (unsigned long long)version, VK_NETDEF_VERSION);
	if ((rc = vk_json_get_string(top, "", "name", true, &s)) < 0)
		return rc;
	rc = vk_name_check_as(s, "network name");
	if (rc == 0)
		snprintf(def->name, sizeof(def->name), "%s", s);
	free(s);
	if (rc < 0 || (rc = vk_json_get_string(top, "", "uuid", false, &s)) < 0)
		return rc;
	if (s && !vk_uuid_valid(s))
		rc = vk_errorx(EINVAL, "uuid '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s);
	else if (s)
		snprintf(def->uuid, sizeof(def->uuid), "%s", s);
	else
		rc = vk_uuid_generate(def->uuid);
	free(s);
	if (rc < 0 ||
	    (rc = vk_json_get_enum(top, "", "forward", true, forward_names, N_ELEMS(forward_names),
				   &forward)) < 0)
		return rc;
	def->forward = (enum vk_net_forward)forward;
	if ((rc = vk_json_get_container(top, "", "bridge", json_type_object, &o)) < 0 ||
	    (o && (rc = bridge_from_json(o, def)) < 0))
		return rc;
	if ((rc = vk_json_get_container(top, "", "ip", json_type_object, &o)) < 0 ||
	    (o && (rc = ip_from_json(o, def)) < 0))
		return rc;
	if (!o && def->forward == VK_NET_NAT)
		return vk_errorx(EINVAL, "ip is missing: a NAT network needs the host's address on it, e.g. "
				 "\"ip\": { \"address\": \"192.168.100.1\", \"prefix\": 24, \"dhcp\": { \"start\": "
				 "\"192.168.100.2\", \"end\": \"192.168.100.254\" } }");
	if ((rc = vk_json_get_container(top, "", "dns", json_type_object, &o)) < 0 ||
	    (o && (rc = dns_from_json(o, def)) < 0))
		return rc;
	if ((rc = vk_json_get_bool(top, "", "autostart", &def->autostart)) < 0)
		return rc;
	if (!def->bridge[0] && def->forward == VK_NET_BRIDGE)
		return vk_errorx(EINVAL, "bridge.name is missing: a bridge network names the host's bridge "
				 "(e.g. br0; vctl iface-bridge makes one)");
	/* As libvirt: a NAT network without a bridge name gets a free one. */
	if (!def->bridge[0] && (rc = choose_bridge(def->name, def->bridge)) < 0)
		return rc;
	return vk_netdef_validate(def);
}

int vk_netdef_from_json(const char *text, struct vk_netdef **out)
{
	struct json_object *top = NULL;
	struct vk_netdef *def = calloc(1, sizeof(*def));
	int rc;

	*out = NULL;
	if (!def)
		return vk_error(ENOMEM, "network definition");
	rc = vk_json_parse_object(text, VK_JSON_DEPTH, "a network definition", &top);
	if (rc == 0)
		rc = netdef_fields_from_json(top, def);
	json_object_put(top);
	if (rc < 0) {
		vk_netdef_free(def);
		return rc;
	}
	*out = def;
	return 0;
}

static void add_ip(struct json_object *o, const char *key, uint32_t ip)
{
	char a[INET_ADDRSTRLEN];

	ip_text(ip, a);
	vk_json_add_string(o, key, a);
}

static struct json_object *nat_ip_to_json(const struct vk_netdef *def)
{
	struct json_object *ip = json_object_new_object(), *dhcp, *hosts, *h;
	size_t i;

	add_ip(ip, "address", def->address);
	json_object_object_add(ip, "prefix", json_object_new_int((int)def->prefix));
	if (!def->dhcp)
		return ip;
	dhcp = json_object_new_object();
	add_ip(dhcp, "start", def->dhcp_start);
	add_ip(dhcp, "end", def->dhcp_end);
	if (def->n_hosts) {
		hosts = json_object_new_array();
		for (i = 0; i < def->n_hosts; i++) {
			h = json_object_new_object();
			vk_json_add_string(h, "mac", def->hosts[i].mac);
			add_ip(h, "ip", def->hosts[i].ip);
			vk_json_add_string(h, "name", def->hosts[i].name);
			json_object_array_add(hosts, h);
		}
		json_object_object_add(dhcp, "hosts", hosts);
	}
	json_object_object_add(ip, "dhcp", dhcp);
	return ip;
}

static struct json_object *dns_to_json(const struct vk_netdef *def)
{
	struct json_object *dns = json_object_new_object(), *hosts, *h, *names;
	size_t i, j;

	vk_json_add_string(dns, "domain", def->domain);
	if (!def->n_dns_hosts)
		return dns;
	hosts = json_object_new_array();
	for (i = 0; i < def->n_dns_hosts; i++) {
		h = json_object_new_object();
		add_ip(h, "ip", def->dns_hosts[i].ip);
		names = json_object_new_array();
		for (j = 0; j < def->dns_hosts[i].n_names; j++)
			json_object_array_add(names, json_object_new_string(def->dns_hosts[i].names[j]));
		json_object_object_add(h, "names", names);
		json_object_array_add(hosts, h);
	}
	json_object_object_add(dns, "hosts", hosts);
	return dns;
}

char *vk_netdef_to_json(const struct vk_netdef *def)
{
	struct json_object *top = json_object_new_object(), *bridge;
	char *text = NULL;

	if (!top)
		goto out;
	json_object_object_add(top, "version", json_object_new_int(VK_NETDEF_VERSION));
	vk_json_add_string(top, "name", def->name);
	vk_json_add_string(top, "uuid", def->uuid);
	vk_json_add_string(top, "forward", vk_enum_name(forward_names, N_ELEMS(forward_names),
							 (int)def->forward));
	bridge = json_object_new_object();
	vk_json_add_string(bridge, "name", def->bridge);
	if (def->forward == VK_NET_NAT) {
		json_object_object_add(bridge, "stp", json_object_new_boolean(def->stp));
		json_object_object_add(bridge, "delay", json_object_new_int((int)def->delay));
	}
	json_object_object_add(top, "bridge", bridge);
	if (def->forward == VK_NET_NAT) {
		json_object_object_add(top, "ip", nat_ip_to_json(def));
		if (def->domain || def->n_dns_hosts)
			json_object_object_add(top, "dns", dns_to_json(def));
	}
	json_object_object_add(top, "autostart", json_object_new_boolean(def->autostart));
	text = vk_json_to_text(top);
out:
	json_object_put(top);
	if (!text) {
		vk_error(ENOMEM, "network %s: definition", def->name);
		errno = ENOMEM;
	}
	return text;
}

/* ---- the state directory ---- */

/* networks/NAME.json; create: make the directory (for a write). */
static int def_path(const char *name, bool create, char **out)
{
	char file[VK_NAME_MAX + 8];
	int rc = vk_name_check_as(name, "network name");

	*out = NULL;
	if (rc < 0)
		return rc;
	snprintf(file, sizeof(file), "%s.json", name);
	return create ? vk_state_path(out, "networks", file) : vk_state_path_peek(out, "networks", file);
}

int vk_net_def_path(char **out, const char *name)
{
	return def_path(name, true, out);
}

bool vk_net_exists(const char *name)
{
	struct stat st;
	char *path;
	bool found;

	if (def_path(name, false, &path) < 0) {
		vk_error_clear();
		return false;
	}
	found = lstat(path, &st) == 0;
	free(path);
	return found;
}

static int load_path(const char *path, struct vk_netdef **out)
{
	char *text = NULL;
	int rc = vk_read_file(path, VK_NETDEF_FILE_MAX, &text, NULL);

	if (rc == 0)
		rc = vk_netdef_from_json(text, out);
	free(text);
	return rc < 0 ? vk_error_prefix(rc, "%s", path) : 0;
}

int vk_net_lookup(const char *name, struct vk_netdef **out)
{
	struct stat st;
	char *path = NULL;
	int rc;

	*out = NULL;
	rc = def_path(name, false, &path);
	if (rc == 0 && lstat(path, &st) < 0 && errno == ENOENT)
		rc = vk_errorx(ENOENT, "network '%s' not found; vctl net-list --all lists them", name);
	else if (rc == 0)
		rc = load_path(path, out);
	/* The file's name is the network's: a copy with another name inside
	 * would be two networks sharing one bridge and one state. */
	if (rc == 0 && strcmp((*out)->name, name)) {
		rc = vk_errorx(EINVAL, "%s: the definition inside is named '%s'; a network's file is its name",
			       path, (*out)->name);
		vk_netdef_free(*out);
		*out = NULL;
	}
	free(path);
	return rc;
}

int vk_net_list(char ***names, size_t *count)
{
	return vk_state_names("networks", names, count);
}

/* The other networks that loaded, for checks across definitions (one that
 * does not parse is not ours to judge here: net-list reports it). */
static int other_networks(const char *self, struct vk_netdef ***out, size_t *n_out)
{
	struct vk_netdef **v = NULL, *def;
	char **names = NULL;
	size_t n = 0, i, k = 0;
	int rc = vk_net_list(&names, &n);

	*out = NULL;
	*n_out = 0;
	if (rc < 0)
		return rc;
	v = calloc(n + 1, sizeof(*v));
	if (!v) {
		vk_strv_free(names);
		return vk_error(ENOMEM, "networks");
	}
	for (i = 0; i < n; i++) {
		if (self && !strcmp(names[i], self))
			continue;
		if (vk_net_lookup(names[i], &def) < 0) {
			vk_error_clear();
			continue;
		}
		v[k++] = def;
	}
	vk_strv_free(names);
	*out = v;
	*n_out = k;
	return 0;
}

static void free_networks(struct vk_netdef **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vk_netdef_free(v[i]);
	free(v);
}

/* A bridge name or a subnet another network has already. */
static int check_against_others(const struct vk_netdef *def)
{
	struct vk_netdef **others = NULL;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	size_t n = 0, i;
	int rc = other_networks(def->name, &others, &n);

	for (i = 0; rc == 0 && i < n; i++) {
		const struct vk_netdef *o = others[i];

		if (!strcmp(o->bridge, def->bridge) && (def->forward == VK_NET_NAT || o->forward == VK_NET_NAT))
			rc = vk_errorx(EEXIST, "bridge %s is network '%s''s already; give bridge.name another "
				       "name (or leave it out to get a free one)", def->bridge, o->name);
		else if (def->forward == VK_NET_NAT && o->forward == VK_NET_NAT &&
			 vk_ip4_prefixes_overlap(vk_netdef_subnet(def), vk_netdef_subnet(o))) {
			ip_text(vk_netdef_subnet(def).addr, a);
			ip_text(vk_netdef_subnet(o).addr, b);
			rc = vk_errorx(EEXIST, "subnet %s/%u overlaps network '%s''s %s/%u; give ip.address a "
				       "range of its own", a, def->prefix, o->name, b, o->prefix);
		}
	}
	free_networks(others, n);
	return rc;
}

static int save_unlocked(const struct vk_netdef *def, const char *path)
{
	char *text = vk_netdef_to_json(def);
	int rc;

	if (!text)
		return -ENOMEM;
	rc = vk_write_file_atomic(path, text, strlen(text), VK_MODE_PRIVATE_FILE);
	free(text);
	return rc;
}

int vk_net_define(const struct vk_netdef *def, bool *updated)
{
	struct vk_netdef *old = NULL;
	char *path = NULL;
	struct stat st;
	int fd = -1, rc;

	if (updated)
		*updated = false;
	rc = vk_netdef_validate(def);
	if (rc == 0)
		rc = vk_net_def_path(&path, def->name);
	if (rc == 0)
		rc = vk_lock_dir_of(path, &fd);
	if (rc < 0)
		goto out;
	if (lstat(path, &st) == 0) {
		rc = load_path(path, &old);
		if (rc < 0) {
			rc = vk_error_prefix(rc, "network '%s' exists already and its definition does not parse; "
					     "remove it first (vctl net-undefine %s)", def->name, def->name);
			goto out;
		}
		if (strcmp(old->uuid, def->uuid)) {
			rc = vk_errorx(EEXIST, "network '%s' exists already (uuid %s); undefine it first (vctl "
				       "net-undefine %s), pick another name, or give its uuid to change it",
				       def->name, old->uuid, def->name);
			goto out;
		}
		if (updated)
			*updated = true;
	}
	rc = check_against_others(def);
	if (rc == 0)
		rc = save_unlocked(def, path);
out:
	if (fd >= 0)
		close(fd);
	vk_netdef_free(old);
	free(path);
	return rc;
}

int vk_net_undefine(const char *name)
{
	char *path = NULL;
	int fd = -1, rc = vk_net_def_path(&path, name);

	if (rc == 0)
		rc = vk_lock_dir_of(path, &fd);
	if (rc == 0 && unlink(path) < 0)
		rc = errno == ENOENT ? vk_errorx(ENOENT, "network '%s' not found", name)
				     : vk_error(errno, "%s", path);
	if (rc == 0)
		vk_fsync_parent(path);
	if (fd >= 0)
		close(fd);
	free(path);
	return rc;
}

int vk_net_edit(const char *name, int (*edit)(struct vk_netdef *def, void *arg), void *arg)
{
	struct vk_netdef *def = NULL;
	char *path = NULL;
	int fd = -1, rc = vk_net_def_path(&path, name);

	if (rc == 0)
		rc = vk_lock_dir_of(path, &fd);
	if (rc == 0)
		rc = vk_net_lookup(name, &def);
	if (rc == 0)
		rc = edit(def, arg);
	if (rc == 0)
		rc = vk_netdef_validate(def);
	if (rc == 0)
		rc = save_unlocked(def, path);
	if (fd >= 0)
		close(fd);
	vk_netdef_free(def);
	free(path);
	return rc;
}

/* ---- the default network ---- */

const char *vk_net_sysfs(void)
{
	const char *env = getenv("VKIT_SYSFS_NET");

	return env && *env ? env : "/sys/class/net";
}

/* The first vkbrN that is neither an interface of the host nor the
 * bridge of another network (self: the network being defined). */
static int choose_bridge(const char *self, char out[VK_IFNAME_MAX + 1])
{
	struct vk_netdef **others = NULL;
	char path[4096];
	struct stat st;
	size_t n = 0, i;
	bool taken;
	int rc = other_networks(self, &others, &n), k;

	for (k = 0; rc == 0 && k < DEFAULT_BRIDGES_MAX; k++) {
		snprintf(out, VK_IFNAME_MAX + 1, DEFAULT_BRIDGE_PREFIX "%d", k);
		snprintf(path, sizeof(path), "%s/%s", vk_net_sysfs(), out);
		taken = lstat(path, &st) == 0;
		for (i = 0; !taken && i < n; i++)
			taken = !strcmp(others[i]->bridge, out);
		if (!taken)
			break;
	}
	if (rc == 0 && k == DEFAULT_BRIDGES_MAX)
		rc = vk_errorx(ENOSPC, "no free bridge name " DEFAULT_BRIDGE_PREFIX "0 to " DEFAULT_BRIDGE_PREFIX
			       "%d; give bridge.name", DEFAULT_BRIDGES_MAX - 1);
	free_networks(others, n);
	return rc;
}

/* The first 192.168.N.0/24 from 122 up that overlaps neither a prefix of
 * the host nor another network's subnet. */
static int choose_subnet(uint32_t *net)
{
	struct vk_ip4_prefix *host = NULL, cand = { 0, 24 };
	struct vk_netdef **others = NULL;
	size_t n_host = 0, n = 0, i;
	bool taken;
	int rc, k;

	rc = vk_nl_host_prefixes(&host, &n_host);
	if (rc == 0)
		rc = other_networks(VK_NET_DEFAULT, &others, &n);
	for (k = DEFAULT_SUBNET_FIRST; rc == 0 && k <= DEFAULT_SUBNET_LAST; k++) {
		cand.addr = (192u << 24) | (168u << 16) | ((uint32_t)k << 8);
		taken = false;
		for (i = 0; !taken && i < n_host; i++)
			taken = vk_ip4_prefixes_overlap(cand, host[i]);
		for (i = 0; !taken && i < n; i++)
			taken = others[i]->forward == VK_NET_NAT &&
				vk_ip4_prefixes_overlap(cand, vk_netdef_subnet(others[i]));
		if (!taken)
			break;
	}
	if (rc == 0 && k > DEFAULT_SUBNET_LAST)
		rc = vk_errorx(EADDRINUSE, "the host or its networks use every range from 192.168.%d.0/24 to "
			       "192.168.%d.0/24; define the default network yourself (vctl net-define)",
			       DEFAULT_SUBNET_FIRST, DEFAULT_SUBNET_LAST);
	if (rc == 0)
		*net = cand.addr;
	free(host);
	free_networks(others, n);
	return rc;
}

int vk_net_plan_default(struct vk_netdef **out)
{
	struct vk_netdef *def = calloc(1, sizeof(*def));
	uint32_t net = 0;
	int rc;

	*out = NULL;
	if (!def)
		return vk_error(ENOMEM, "the default network");
	snprintf(def->name, sizeof(def->name), VK_NET_DEFAULT);
	def->forward = VK_NET_NAT;
	def->autostart = true;
	def->dhcp = true;
	def->prefix = 24;
	rc = vk_uuid_generate(def->uuid);
	if (rc == 0)
		rc = choose_bridge(def->name, def->bridge);
	if (rc == 0)
		rc = choose_subnet(&net);
	if (rc == 0) {
		def->address = net | 1;
		def->dhcp_start = net | 2;
		def->dhcp_end = net | 254;
		rc = vk_netdef_validate(def);
	}
	if (rc < 0) {
		vk_netdef_free(def);
		return vk_error_prefix(rc, "the default network");
	}
	*out = def;
	return 0;
}

int vk_net_lookup_for_vm(const char *name, bool define, struct vk_netdef **out, bool *created)
{
	int rc;

	if (created)
		*created = false;
	rc = vk_net_lookup(name, out);
	if (rc != -ENOENT || strcmp(name, VK_NET_DEFAULT))
		return rc;
	vk_error_clear();
	rc = vk_net_plan_default(out);
	if (rc == 0 && define) {
		rc = vk_net_define(*out, NULL);
		if (rc == 0 && created)
			*created = true;
		if (rc < 0) {
			vk_netdef_free(*out);
			*out = NULL;
		}
	}
	return rc;
}
