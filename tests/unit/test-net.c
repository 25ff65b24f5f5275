/* test-net.c - virtual networks without touching the host: definitions and every rule, the default's choices, --network spellings, dnsmasq's and nft's input, leases, persistence files. */
#include "config.h"
#include <errno.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/jsonfield.h"
#include "common/net/dhcp.h"
#include "common/net/hostcmd.h"
#include "common/net/nat.h"
#include "common/net/netconf.h"
#include "common/net/netdef.h"
#include "common/net/nicspec.h"

#define UUID "6f9619ff-8b86-4011-b42d-00c04fc964ff"
#define UUID2 "0b1e3c1a-5d2e-4f6a-8b9c-0d1e2f3a4b5c"

static char tmp[] = "/tmp/vkit-test-net.XXXXXX";

/* A fresh state directory, fake sysfs and host routes for each test. */
static int setup(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/state %s/sys %s/root && mkdir -p %s/sys %s/root", tmp, tmp, tmp, tmp,
		 tmp);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/state", tmp);
	setenv("VKIT_DIR", cmd, 1);
	snprintf(cmd, sizeof(cmd), "%s/sys", tmp);
	setenv("VKIT_SYSFS_NET", cmd, 1);
	snprintf(cmd, sizeof(cmd), "%s/routes", tmp);
	setenv("VKIT_NET_HOST_ROUTES", cmd, 1);
	assert_int_equal(vk_write_file_atomic(cmd, "", 0, 0600), 0);
	snprintf(cmd, sizeof(cmd), "%s/root", tmp);
	setenv("VKIT_NETCONF_ROOT", cmd, 1);
	vk_error_clear();
	return 0;
}

static void write_at(const char *rel, const char *text)
{
	char path[512], dir[512];

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(vk_mkdir_p(dir, 0755), 0);
	assert_int_equal(vk_write_file_atomic(path, text, strlen(text), 0644), 0);
}

static char *read_at(const char *rel)
{
	char path[512], *text = NULL;

	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	if (vk_read_file(path, 1 << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

static const char *const full_json =
	"{ \"version\": 1, \"name\": \"lab\", \"uuid\": \"" UUID "\", \"forward\": \"nat\",\n"
	"  \"bridge\": { \"name\": \"vklab\", \"stp\": true, \"delay\": 2 },\n"
	"  \"ip\": { \"address\": \"192.168.100.1\", \"prefix\": 24,\n"
	"          \"dhcp\": { \"start\": \"192.168.100.100\", \"end\": \"192.168.100.199\",\n"
	"                    \"hosts\": [ { \"mac\": \"52:54:00:AA:00:01\", \"ip\": \"192.168.100.10\", \"name\": \"web01\" } ] } },\n"
	"  \"dns\": { \"domain\": \"lab.example\", \"hosts\": [ { \"ip\": \"10.0.0.1\", \"names\": [ \"gw\", \"gw.lab\" ] } ] },\n"
	"  \"autostart\": true }\n";

static struct vk_netdef *parse_ok(const char *text)
{
	struct vk_netdef *def = NULL;
	int rc = vk_netdef_from_json(text, &def);

	if (rc < 0)
		fail_msg("%s: %s", text, vk_last_error());
	return def;
}

static void round_trip(void **state)
{
	struct vk_netdef *a = parse_ok(full_json), *b;
	char *text = vk_netdef_to_json(a);

	assert_non_null(text);
	b = parse_ok(text);
	assert_string_equal(b->name, "lab");
	assert_string_equal(b->uuid, UUID);
	assert_int_equal(b->forward, VK_NET_NAT);
	assert_string_equal(b->bridge, "vklab");
	assert_true(b->stp);
	assert_int_equal(b->delay, 2);
	assert_int_equal(b->address, 0xc0a86401);
	assert_int_equal(b->prefix, 24);
	assert_true(b->dhcp);
	assert_int_equal(b->dhcp_start, 0xc0a86464);
	assert_int_equal(b->dhcp_end, 0xc0a864c7);
	assert_int_equal(b->n_hosts, 1);
	assert_string_equal(b->hosts[0].mac, "52:54:00:aa:00:01");
	assert_string_equal(b->hosts[0].name, "web01");
	assert_string_equal(b->domain, "lab.example");
	assert_int_equal(b->n_dns_hosts, 1);
	assert_int_equal(b->dns_hosts[0].n_names, 2);
	assert_string_equal(b->dns_hosts[0].names[1], "gw.lab");
	assert_true(b->autostart);
	free(text);
	vk_netdef_free(a);
	vk_netdef_free(b);
}

static void minimal_gets_defaults(void **state)
{
	struct vk_netdef *d = parse_ok("{\"name\":\"n1\",\"forward\":\"nat\",\"ip\":{\"address\":\"10.9.0.1\",\"prefix\":16}}");

	assert_true(strlen(d->uuid) == 36);	/* generated */
	assert_string_equal(d->bridge, "vkbr0");	/* the first free one */
	assert_false(d->dhcp);
	assert_false(d->autostart);
	vk_netdef_free(d);
	d = parse_ok("{\"name\":\"lan\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"br0\"}}");
	assert_int_equal(d->forward, VK_NET_BRIDGE);
	vk_netdef_free(d);
}

/* A definition that is refused, and the words that say why. */
static void refused(const char *text, const char *msg)
{
	struct vk_netdef *def = NULL;
	int rc = vk_netdef_from_json(text, &def);

	if (rc >= 0)
		fail_msg("accepted: %s", text);
	assert_null(def);
	if (!strstr(vk_last_error(), msg))
		fail_msg("message '%s' lacks '%s'", vk_last_error(), msg);
}

#define NAT(ip) "{\"name\":\"n\",\"forward\":\"nat\",\"ip\":" ip "}"
#define RANGE(s, e) NAT("{\"address\":\"192.168.100.1\",\"prefix\":24,\"dhcp\":{\"start\":\"" s "\",\"end\":\"" e "\"}}")

static void bad_ranges(void **state)
{
	refused(RANGE("192.168.100.200", "192.168.100.100"), "the range starts at 192.168.100.200, after its end");
	refused(RANGE("192.168.100.1", "192.168.100.254"), "holds the network's own address 192.168.100.1");
	refused(RANGE("192.168.100.2", "192.168.101.9"), "ip.dhcp.end 192.168.101.9 is outside the network's subnet");
	refused(RANGE("192.168.100.0", "192.168.100.9"), "ip.dhcp.start 192.168.100.0 is the subnet's network address");
	refused(RANGE("192.168.100.2", "192.168.100.255"), "is the subnet's broadcast address");
	refused(NAT("{\"address\":\"192.168.100.0\",\"prefix\":24}"), "ip.address 192.168.100.0 is the subnet's network");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":31}"), "ip.prefix 31");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":33}"), "ip.prefix must be between 0 and 32");
	refused(NAT("{\"address\":\"300.1.1.1\",\"prefix\":24}"), "ip.address '300.1.1.1' is not an IPv4 address");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":24,\"dhcp\":{\"start\":\"192.168.100.2\","
		    "\"end\":\"192.168.100.9\",\"hosts\":[{\"mac\":\"52:54:00:00:00:01\",\"ip\":\"192.168.100.5\"},"
		    "{\"mac\":\"52:54:00:00:00:01\",\"ip\":\"192.168.100.6\"}]}}"),
		"ip.dhcp.hosts[0] and [1] both have MAC 52:54:00:00:00:01");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":24,\"dhcp\":{\"start\":\"192.168.100.2\","
		    "\"end\":\"192.168.100.9\",\"hosts\":[{\"mac\":\"52:54:00:00:00:01\",\"ip\":\"192.168.100.5\"},"
		    "{\"mac\":\"52:54:00:00:00:02\",\"ip\":\"192.168.100.5\"}]}}"),
		"both have address 192.168.100.5");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":24,\"dhcp\":{\"start\":\"192.168.100.2\","
		    "\"end\":\"192.168.100.9\",\"hosts\":[{\"mac\":\"52:54:00:00:00:01\",\"ip\":\"10.0.0.5\"}]}}"),
		"ip.dhcp.hosts[0].ip 10.0.0.5 is outside the network's subnet");
}

static void bad_names(void **state)
{
	refused("{\"name\":\"../x\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"br0\"}}",
		"network name '../x' must not start with '.'");
	refused("{\"name\":\"n\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"a-very-long-bridge\"}}",
		"bridge.name 'a-very-long-bridge' is 18 characters; Linux allows interface names of 1 to 15");
	refused("{\"name\":\"n\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"b\\nr0\"}}",
		"has a character other than letters, digits and _.-");
	refused("{\"name\":\"n\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"br\\u00000\"}}", "holds a NUL character");
	refused("{\"name\":\"n\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"all\"}}", "a name the kernel keeps");
	/* Nothing that is not a name reaches dnsmasq's configuration. */
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":24},\"dns\":{\"domain\":\"a\\nserver=6.6.6.6\"}"),
		"dns.domain 'a\nserver=6.6.6.6': each dot-separated part");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":24},\"dns\":{\"domain\":\"a..b\"}"), "dns.domain 'a..b'");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":24},\"dns\":{\"hosts\":[{\"ip\":\"10.0.0.1\","
		    "\"names\":[\"ok\",\"-bad\"]}]}"), "dns.hosts[0].names[1] '-bad'");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":24},\"dns\":{\"hosts\":[{\"ip\":\"10.0.0.1\","
		    "\"names\":[]}]}"), "dns.hosts[0].names is empty");
}

static void bad_documents(void **state)
{
	struct json_object *top, *ip, *dhcp, *hosts, *h;
	const char *text;
	char mac[32];

	refused("{\"name\":\"n\",\"forward\":\"nat\"}", "ip is missing: a NAT network needs");
	refused("{\"name\":\"n\",\"forward\":\"bridge\"}", "bridge.name is missing");
	refused("{\"name\":\"n\",\"forward\":\"routed\",\"bridge\":{\"name\":\"br0\"}}", "forward 'routed' is not known");
	refused("{\"name\":\"n\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"br0\"},\"ip\":{\"address\":\"10.0.0.1\","
		"\"prefix\":24}}", "a bridge network has no ip or dns of its own");
	refused("{\"name\":\"n\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"br0\",\"stp\":true}}",
		"bridge.stp and bridge.delay are set on the host's bridge");
	refused("{\"name\":\"n\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"br0\"},\"colour\":1}",
		"unknown key 'colour' in the definition");
	refused("{\"version\":2,\"name\":\"n\",\"forward\":\"bridge\",\"bridge\":{\"name\":\"br0\"}}",
		"network definition version 2 is not supported");
	refused("[1,2]", "a network definition must be a JSON object");
	refused("{\"name\":\"n\"", "not valid JSON");
	refused(NAT("{\"address\":\"192.168.100.1\",\"prefix\":24,\"delay\":1}"), "unknown key 'delay' in ip");
	refused("{\"name\":\"n\",\"forward\":\"nat\",\"bridge\":{\"delay\":99},\"ip\":{\"address\":\"10.0.0.1\",\"prefix\":24}}",
		"bridge.delay 99: the kernel allows 0 to 30 seconds");
	/* A hostile file cannot make dnsmasq's configuration huge. */
	top = json_tokener_parse(RANGE("192.168.100.2", "192.168.100.254"));
	assert_non_null(top);
	json_object_object_get_ex(top, "ip", &ip);
	json_object_object_get_ex(ip, "dhcp", &dhcp);
	hosts = json_object_new_array();
	for (int i = 0; i < 5000; i++) {
		h = json_object_new_object();
		snprintf(mac, sizeof(mac), "52:54:00:00:%02x:%02x", i >> 8, i & 0xff);
		json_object_object_add(h, "mac", json_object_new_string(mac));
		json_object_object_add(h, "ip", json_object_new_string("192.168.100.3"));
		json_object_array_add(hosts, h);
	}
	json_object_object_add(dhcp, "hosts", hosts);
	text = json_object_to_json_string(top);
	refused(text, "ip.dhcp.hosts has 5000 entries; at most 4096 are taken");
	json_object_put(top);
}

/* ---- the state directory: define, the default ---- */

static struct vk_netdef *nat(const char *name, const char *uuid, const char *bridge, uint32_t net)
{
	char text[512];

	snprintf(text, sizeof(text), "{\"name\":\"%s\",\"uuid\":\"%s\",\"forward\":\"nat\",\"bridge\":{\"name\":\"%s\"},"
		 "\"ip\":{\"address\":\"%u.%u.%u.1\",\"prefix\":24}}", name, uuid, bridge, net >> 24, (net >> 16) & 0xff,
		 (net >> 8) & 0xff);
	return parse_ok(text);
}

static void define_rules(void **state)
{
	struct vk_netdef *a = nat("a", UUID, "vka", 0xc0a86400), *b;
	bool updated = true;
	char *path;
	struct stat st;

	assert_int_equal(vk_net_define(a, &updated), 0);
	assert_false(updated);
	assert_int_equal(vk_net_def_path(&path, "a"), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(path);
	/* the same uuid changes it, as virsh net-define */
	a->autostart = true;
	assert_int_equal(vk_net_define(a, &updated), 0);
	assert_true(updated);
	/* a name that is taken by another network */
	b = nat("a", UUID2, "vkb", 0xc0a86500);
	assert_int_equal(vk_net_define(b, NULL), -EEXIST);
	assert_non_null(strstr(vk_last_error(), "network 'a' exists already (uuid " UUID ")"));
	vk_netdef_free(b);
	/* a range that overlaps another network's */
	b = nat("b", UUID2, "vkb", 0xc0a86400);
	assert_int_equal(vk_net_define(b, NULL), -EEXIST);
	assert_non_null(strstr(vk_last_error(), "subnet 192.168.100.0/24 overlaps network 'a''s 192.168.100.0/24"));
	vk_netdef_free(b);
	/* a bridge another network has */
	b = nat("b", UUID2, "vka", 0xc0a86500);
	assert_int_equal(vk_net_define(b, NULL), -EEXIST);
	assert_non_null(strstr(vk_last_error(), "bridge vka is network 'a''s already"));
	vk_netdef_free(b);
	assert_int_equal(vk_net_undefine("a"), 0);
	assert_int_equal(vk_net_undefine("a"), -ENOENT);
	assert_int_equal(vk_net_lookup("a", &b), -ENOENT);
	assert_non_null(strstr(vk_last_error(), "network 'a' not found"));
	vk_netdef_free(a);
}

static void default_choices(void **state)
{
	struct vk_netdef *d = NULL, *other;
	char routes[512], *stdir;
	bool created = true;
	struct stat st;

	/* nothing taken: libvirt's range, vkbr0, and nothing written */
	assert_int_equal(vk_net_lookup_for_vm(VK_NET_DEFAULT, false, &d, &created), 0);
	assert_false(created);
	assert_int_equal(d->address, 0xc0a87a01);
	assert_int_equal(d->dhcp_start, 0xc0a87a02);
	assert_int_equal(d->dhcp_end, 0xc0a87afe);
	assert_string_equal(d->bridge, "vkbr0");
	assert_true(d->autostart);
	vk_netdef_free(d);
	stdir = getenv("VKIT_DIR");
	assert_int_equal(stat(stdir, &st), -1);	/* a plan creates no state directory */
	/* the host uses 122 (and part of 123), another network 124, vkbr0 is an interface */
	snprintf(routes, sizeof(routes), "%s/routes", tmp);
	assert_int_equal(vk_write_file_atomic(routes, "# the host's\n192.168.122.0/24\n 192.168.123.128/25\n", 50, 0600), 0);
	other = nat("other", UUID2, "vkbr1", 0xc0a87c00);
	assert_int_equal(vk_net_define(other, NULL), 0);
	vk_netdef_free(other);
	write_at("sys/vkbr0/address", "x");
	assert_int_equal(vk_net_plan_default(&d), 0);
	assert_int_equal(d->address, 0xc0a87d01);	/* 192.168.125.1 */
	assert_string_equal(d->bridge, "vkbr2");
	vk_netdef_free(d);
	/* defined on first use, once */
	assert_int_equal(vk_net_lookup_for_vm(VK_NET_DEFAULT, true, &d, &created), 0);
	assert_true(created);
	vk_netdef_free(d);
	assert_true(vk_net_exists(VK_NET_DEFAULT));
	assert_int_equal(vk_net_lookup_for_vm(VK_NET_DEFAULT, true, &d, &created), 0);
	assert_false(created);
	vk_netdef_free(d);
	/* only "default" is made on first use */
	assert_int_equal(vk_net_lookup_for_vm("lab", true, &d, &created), -ENOENT);
	/* a host file that is not a list of prefixes */
	assert_int_equal(vk_write_file_atomic(routes, "192.168.122.0\n", 14, 0600), 0);
	assert_int_equal(vk_net_plan_default(&d), -EINVAL);
	assert_non_null(strstr(vk_last_error(), "'192.168.122.0' is not an IPv4 prefix"));
}

/* ---- --network spellings ---- */

static void spelled(const char *text, enum vk_nic_kind kind, const char *source, const char *mac, const char *model)
{
	struct vk_nicspec s;

	if (vk_nicspec_parse(text, &s) < 0)
		fail_msg("%s: %s", text, vk_last_error());
	assert_false(s.none);
	assert_int_equal(s.nic.kind, kind);
	assert_string_equal(s.nic.source, source);
	assert_string_equal(s.nic.mac, mac);
	if (model)
		assert_string_equal(s.nic.model, model);
	else
		assert_null(s.nic.model);
	vk_nicspec_clear(&s);
}

static void misspelled(const char *text, int err, const char *msg)
{
	struct vk_nicspec s;

	assert_int_equal(vk_nicspec_parse(text, &s), -err);
	if (!strstr(vk_last_error(), msg))
		fail_msg("%s: message '%s' lacks '%s'", text, vk_last_error(), msg);
}

static void nic_spellings(void **state)
{
	struct vk_nicspec s;

	spelled("default", VK_NIC_NETWORK, "default", "", NULL);
	spelled("network=default", VK_NIC_NETWORK, "default", "", NULL);
	spelled("network:lab,mac=52:54:00:AB:CD:EF", VK_NIC_NETWORK, "lab", "52:54:00:ab:cd:ef", NULL);
	spelled("bridge:br0", VK_NIC_BRIDGE, "br0", "", NULL);
	spelled("bridge=br0,model=virtio", VK_NIC_BRIDGE, "br0", "", "virtio");
	spelled("type=bridge,source=br1,model.type=e1000", VK_NIC_BRIDGE, "br1", "", "e1000");
	spelled("type=network", VK_NIC_NETWORK, "default", "", NULL);
	spelled("type=network,source=lab,mac.address=52:54:00:00:00:01", VK_NIC_NETWORK, "lab", "52:54:00:00:00:01", NULL);
	spelled("tap=tap0", VK_NIC_TAP, "tap0", "", NULL);
	spelled("default,mac=52:54:00:00:00:02", VK_NIC_NETWORK, "default", "52:54:00:00:00:02", NULL);
	assert_int_equal(vk_nicspec_parse("none", &s), 0);
	assert_true(s.none);
	misspelled("user", ENOTSUP, "no user-mode (SLIRP) networking");
	misspelled("type=user", ENOTSUP, "no user-mode (SLIRP) networking");
	misspelled("type=direct,source=eth0", ENOTSUP, "type=direct: vrun puts NICs on a bridge or a network only");
	misspelled("bridge=br0,tap=tap0", EINVAL, "give one of network=, bridge= and tap=");
	misspelled("mac=52:54:00:00:00:01", EINVAL, "say where the NIC goes");
	misspelled("direct:eth0", EINVAL, "the old form is bridge:BR or network:NAME");
	misspelled("network=../etc", EINVAL, "network name '../etc'");
	misspelled("bridge=br0,mac=01:00:5e:00:00:01", EINVAL, "multicast");
	misspelled("bridge=br0,colour=red", EINVAL, "unknown option 'colour'");
	misspelled("type=bridge", EINVAL, "name the bridge");
	misspelled("type=network,bridge=br0", EINVAL, "type=network does not go with bridge=");
}

/* ---- what dnsmasq and nft are given ---- */

static void dnsmasq_configuration(void **state)
{
	struct vk_dnsmasq_files f = { (char *)"/s/lab.conf", (char *)"/s/lab.pid", (char *)"/s/lab.leases",
				      (char *)"/s/lab.log" };
	static const char *const keys[] = { "strict-order", "except-interface=", "bind-dynamic", "interface=",
					    "pid-file=", "dhcp-leasefile=", "log-facility=", "user=", "dhcp-range=",
					    "dhcp-no-override", "dhcp-authoritative", "dhcp-lease-max=", "dhcp-host=",
					    "domain=", "local=", "expand-hosts", "host-record=", NULL };
	struct vk_netdef *d = parse_ok(full_json);
	char *conf = vk_dnsmasq_conf(d, &f, "dnsmasq"), *line, *save = NULL;

	assert_non_null(conf);
	assert_non_null(strstr(conf, "\ninterface=vklab\n"));
	assert_non_null(strstr(conf, "\nbind-dynamic\n"));
	assert_non_null(strstr(conf, "\ndhcp-range=192.168.100.100,192.168.100.199,255.255.255.0\n"));
	assert_non_null(strstr(conf, "\ndhcp-lease-max=100\n"));
	assert_non_null(strstr(conf, "\ndhcp-host=52:54:00:aa:00:01,192.168.100.10,web01\n"));
	assert_non_null(strstr(conf, "\ndomain=lab.example\nlocal=/lab.example/\n"));
	assert_non_null(strstr(conf, "\nhost-record=gw,gw.lab,10.0.0.1\n"));
	assert_non_null(strstr(conf, "\ndhcp-leasefile=/s/lab.leases\n"));
	assert_non_null(strstr(conf, "\nuser=dnsmasq\n"));
	/* every line is one of the options we write: nothing else got in */
	for (line = strtok_r(conf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int k;

		if (line[0] == '#')
			continue;
		for (k = 0; keys[k] && strncmp(line, keys[k], strlen(keys[k])); k++)
			;
		if (!keys[k])
			fail_msg("unexpected line in dnsmasq's configuration: %s", line);
	}
	free(conf);
	vk_netdef_free(d);
}

static void nft_ruleset(void **state)
{
	struct vk_netdef *d = parse_ok("{\"name\":\"a+b.c\",\"forward\":\"nat\",\"bridge\":{\"name\":\"vkbr3\"},"
				       "\"ip\":{\"address\":\"10.20.30.1\",\"prefix\":24}}");
	struct json_object *top, *cmds, *c, *v;
	char *text = vk_nat_ruleset(d);
	size_t i, tables = 0, chains = 0, rules = 0, masq = 0;

	assert_non_null(text);
	/* A name nft's own syntax could not take ('+') goes through its JSON. */
	assert_int_equal(vk_json_parse_object(text, 64, "rules", &top), 0);
	assert_true(json_object_object_get_ex(top, "nftables", &cmds));
	for (i = 0; i < json_object_array_length(cmds); i++) {
		c = json_object_array_get_idx(cmds, i);
		if (json_object_object_get_ex(c, "add", &v) && json_object_object_get_ex(v, "table", &v)) {
			assert_string_equal(json_object_get_string(json_object_object_get(v, "name")), "vkit-a+b.c");
			assert_string_equal(json_object_get_string(json_object_object_get(v, "family")), "inet");
			tables++;
		}
		if (json_object_object_get_ex(c, "add", &v) && json_object_object_get_ex(v, "chain", &v))
			chains++;
		if (json_object_object_get_ex(c, "add", &v) && json_object_object_get_ex(v, "rule", &v)) {
			rules++;
			assert_string_equal(json_object_get_string(json_object_object_get(v, "table")), "vkit-a+b.c");
			masq += strstr(json_object_to_json_string(v), "masquerade") != NULL;
		}
	}
	assert_int_equal(tables, 2);	/* add, (delete,) add: a leftover table is replaced */
	assert_int_equal(chains, 2);
	assert_int_equal(rules, 9);
	assert_int_equal(masq, 2);
	assert_non_null(strstr(text, "\"addr\": \"10.20.30.0\""));
	assert_non_null(strstr(text, "\"vkbr3\""));
	json_object_put(top);
	free(text);
	vk_netdef_free(d);
}

static void missing_program(void **state)
{
	char *path = NULL, *saved = strdup(getenv("PATH") ? getenv("PATH") : "");

	setenv("PATH", tmp, 1);
	assert_int_equal(vk_nat_find_nft(&path), -ENOENT);
	assert_string_equal(vk_last_error(), "nft not found in PATH: a NAT network's masquerading rules needs it; "
			    "install the Debian package nftables (apt-get install nftables)");
	assert_null(path);
	setenv("PATH", saved, 1);
	free(saved);
}

/* ---- leases (the guest wrote part of them) ---- */

static void leases(void **state)
{
	struct vk_lease *l = NULL;
	char path[512];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/none.leases", tmp);
	assert_int_equal(vk_leases_read(path, &l, &n), 0);
	assert_int_equal(n, 0);
	write_at("lab.leases",
		 "1700000000 52:54:00:12:34:56 192.168.100.150 web01 01:52:54:00:12:34:56\n"
		 "0 52:54:00:12:34:57 192.168.100.151 * *\n"
		 "1700000000 52:54:00:12:34:58 192.168.100.152 evil\033[31mname *\n"
		 "1700000000 52:54:00:12:34:59 192.168.100.153 ../../etc x'; rm -rf /\n"
		 "garbage\n"
		 "-5 52:54:00:12:34:60 192.168.100.154 a *\n"
		 "1700000000 zz:54:00:12:34:61 192.168.100.155 a *\n"
		 "duid 00:01:00:01:2c:aa:bb:cc:52:54:00:12:34:56\n"
		 "1700000000 1234 fd00::5 host 00:01\n");
	snprintf(path, sizeof(path), "%s/lab.leases", tmp);
	assert_int_equal(vk_leases_read(path, &l, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(l[0].mac, "52:54:00:12:34:56");
	assert_int_equal(l[0].ip, 0xc0a86496);
	assert_string_equal(l[0].hostname, "web01");
	assert_string_equal(l[0].client_id, "01:52:54:00:12:34:56");
	assert_int_equal(l[1].expiry, 0);
	assert_string_equal(l[1].hostname, "");
	assert_string_equal(l[2].hostname, "-");	/* an escape sequence is not printed */
	assert_string_equal(l[3].hostname, "-");	/* nor a path */
	assert_string_equal(l[3].client_id, "-");
	free(l);
}

/* ---- persistence: the host's network configuration ---- */

static const unsigned char mac[VK_ETH_ALEN] = { 0x52, 0x54, 0x00, 0x01, 0x02, 0x03 };

static void networkd_files(void **state)
{
	struct vk_netconf c;
	char *text;

	write_at("root/etc/systemd/network/20-wired.network",
		 "[Match]\nName=en* eth0\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nUseDomains=yes\n");
	write_at("root/usr/lib/systemd/network/99-default.network", "[Match]\nName=*\n\n[Network]\nDHCP=yes\n");
	assert_int_equal(vk_netconf_plan_bridge("eth0", "br0", false, 0, mac, &c), 0);
	assert_string_equal(c.system, "systemd-networkd");
	assert_int_equal(c.n_files, 3);
	assert_non_null(strstr(c.files[0].path, "/etc/systemd/network/00-vkit-br0.netdev"));
	assert_non_null(strstr(c.files[0].text, "[NetDev]\nName=br0\nKind=bridge\nMACAddress=52:54:00:01:02:03\n"));
	assert_non_null(strstr(c.files[0].text, "STP=no\nForwardDelaySec=0\n"));
	assert_non_null(strstr(c.files[1].path, "/00-vkit-eth0-port.network"));
	assert_non_null(strstr(c.files[1].text, "[Match]\nName=eth0\n\n[Network]\nBridge=br0\n"));
	assert_non_null(strstr(c.files[2].text, "[Match]\nName=br0\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nUseDomains=yes\n"));
	assert_null(strstr(c.files[2].text, "en* eth0"));
	assert_int_equal(vk_netconf_apply(&c), 0);
	vk_netconf_free(&c);
	/* the user's file is as it was; iface-unbridge takes ours away */
	text = read_at("root/etc/systemd/network/20-wired.network");
	assert_string_equal(text, "[Match]\nName=en* eth0\n\n[Network]\nDHCP=yes\n\n[DHCPv4]\nUseDomains=yes\n");
	free(text);
	assert_int_equal(vk_netconf_plan_unbridge("eth0", "br0", &c), 0);
	assert_int_equal(c.n_files, 3);
	assert_null(c.files[0].text);
	assert_int_equal(vk_netconf_apply(&c), 0);
	vk_netconf_free(&c);
	assert_null(read_at("root/etc/systemd/network/00-vkit-br0.netdev"));
	/* a user's file that would win over ours is said, not fought */
	write_at("root/etc/systemd/network/00-eth0.network", "[Match]\nName=eth0\n[Network]\nDHCP=yes\n");
	assert_int_equal(vk_netconf_plan_bridge("eth0", "br0", true, 0, mac, &c), 0);
	assert_null(c.system);
	assert_non_null(strstr(c.note, "sorts before the 00-vkit-* files"));
	vk_netconf_free(&c);
}

static void ifupdown_files(void **state)
{
	static const char eth0[] = "allow-hotplug eth0\niface eth0 inet static\n    address 10.7.0.2/24\n"
				   "    gateway 10.7.0.1\n# a comment\n\niface eth0 inet6 auto\n";
	struct vk_netconf c;
	char *text;

	assert_int_equal(vk_netconf_plan_bridge("eth0", "br0", true, 0, mac, &c), 0);
	assert_null(c.system);
	assert_non_null(strstr(c.note, "not persistent: neither systemd-networkd"));
	vk_netconf_free(&c);
	write_at("root/etc/network/interfaces", "source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n");
	write_at("root/etc/network/interfaces.d/eth0", eth0);
	assert_int_equal(vk_netconf_plan_bridge("eth0", "br0", true, 2, mac, &c), 0);
	assert_string_equal(c.system, "ifupdown");
	assert_int_equal(c.n_files, 1);
	assert_non_null(strstr(c.note, "bridge-utils"));
	text = c.files[0].text;
	assert_non_null(strstr(text, "#vkit-iface-bridge br0: iface eth0 inet static\n"
				     "#vkit-iface-bridge br0:     address 10.7.0.2/24\n"));
	assert_non_null(strstr(text, "iface eth0 inet manual\n\nauto br0\niface br0 inet static\n\tbridge_ports eth0\n"
				     "\tbridge_stp on\n\tbridge_fd 2\n\tbridge_hw 52:54:00:01:02:03\n"
				     "\taddress 10.7.0.2/24\n\tgateway 10.7.0.1\niface br0 inet6 auto\n"));
	assert_non_null(strstr(text, "\n\n#vkit-iface-bridge br0: iface eth0 inet6 auto\n"));
	assert_int_equal(vk_netconf_apply(&c), 0);
	vk_netconf_free(&c);
	assert_int_equal(vk_netconf_plan_unbridge("eth0", "br0", &c), 0);
	assert_int_equal(vk_netconf_apply(&c), 0);
	vk_netconf_free(&c);
	text = read_at("root/etc/network/interfaces.d/eth0");
	assert_string_equal(text, eth0);	/* put back as it was, byte for byte */
	free(text);
}

static int cleanup(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(round_trip, setup),
		cmocka_unit_test_setup(minimal_gets_defaults, setup),
		cmocka_unit_test_setup(bad_ranges, setup),
		cmocka_unit_test_setup(bad_names, setup),
		cmocka_unit_test_setup(bad_documents, setup),
		cmocka_unit_test_setup(define_rules, setup),
		cmocka_unit_test_setup(default_choices, setup),
		cmocka_unit_test_setup(nic_spellings, setup),
		cmocka_unit_test_setup(dnsmasq_configuration, setup),
		cmocka_unit_test_setup(nft_ruleset, setup),
		cmocka_unit_test_setup(missing_program, setup),
		cmocka_unit_test_setup(leases, setup),
		cmocka_unit_test_setup(networkd_files, setup),
		cmocka_unit_test_setup(ifupdown_files, setup),
	};
	int rc;

	if (!mkdtemp(tmp))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, cleanup);
	return rc;
}
