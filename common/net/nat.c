/* nat.c - a NAT network's masquerading and forwarding rules in an nftables table of its own, through nft's JSON input. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/util/jsonfield.h"
#include "common/net/hostcmd.h"
#include "common/net/nat.h"
#include "common/vm/statedir.h"

/* nft's default source port range for masquerading is the kernel's; as
 * libvirt, TCP and UDP are kept above the privileged ports. */
#define MASQUERADE_PORT_MIN 1024
#define MASQUERADE_PORT_MAX 65535

void vk_nat_table_name(const char *network, char *buf, size_t len)
{
	snprintf(buf, len, VK_NAT_TABLE_PREFIX "%s", network);
}

int vk_nat_find_nft(char **out)
{
	return vk_hostcmd_find("nft", "nftables", "a NAT network's masquerading rules", out);
}

/* ---- building nft's JSON ---- */

static struct json_object *keyed(const char *key, struct json_object *value)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, key, value);
	return o;
}

static struct json_object *table_ref(const char *table)
{
	struct json_object *t = json_object_new_object();

	json_object_object_add(t, "family", json_object_new_string(VK_NAT_TABLE_FAMILY));
	json_object_object_add(t, "name", json_object_new_string(table));
	return t;
}

static struct json_object *base_chain(const char *table, const char *name, const char *type, const char *hook,
				      int prio)
{
	struct json_object *c = table_ref(table);

	json_object_object_del(c, "name");
	json_object_object_add(c, "table", json_object_new_string(table));
	json_object_object_add(c, "name", json_object_new_string(name));
	json_object_object_add(c, "type", json_object_new_string(type));
	json_object_object_add(c, "hook", json_object_new_string(hook));
	json_object_object_add(c, "prio", json_object_new_int(prio));
	json_object_object_add(c, "policy", json_object_new_string("accept"));
	return keyed("add", keyed("chain", c));
}

/* A match: left op right. */
static struct json_object *match(struct json_object *left, const char *op, struct json_object *right)
{
	struct json_object *m = json_object_new_object();

	json_object_object_add(m, "op", json_object_new_string(op));
	json_object_object_add(m, "left", left);
	json_object_object_add(m, "right", right);
	return keyed("match", m);
}

static struct json_object *meta(const char *key)
{
	return keyed("meta", keyed("key", json_object_new_string(key)));
}

static struct json_object *ip_field(const char *field)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "protocol", json_object_new_string("ip"));
	json_object_object_add(p, "field", json_object_new_string(field));
	return keyed("payload", p);
}

static struct json_object *prefix(uint32_t addr, unsigned len)
{
	struct in_addr in = { .s_addr = htonl(addr) };
	struct json_object *p = json_object_new_object();
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &in, a, sizeof(a));
	json_object_object_add(p, "addr", json_object_new_string(a));
	json_object_object_add(p, "len", json_object_new_int((int)len));
	return keyed("prefix", p);
}

static struct json_object *verdict(const char *v)
{
	return keyed(v, NULL);
}

/* Adds a rule of the given expressions (a NULL-terminated list) to chain. */
static void add_rule(struct json_object *cmds, const char *table, const char *chain, ...)
{
	struct json_object *r = json_object_new_object(), *exprs = json_object_new_array(), *e;
	va_list ap;

	json_object_object_add(r, "family", json_object_new_string(VK_NAT_TABLE_FAMILY));
	json_object_object_add(r, "table", json_object_new_string(table));
	json_object_object_add(r, "chain", json_object_new_string(chain));
	va_start(ap, chain);
	while ((e = va_arg(ap, struct json_object *)))
		json_object_array_add(exprs, e);
	va_end(ap);
	json_object_object_add(r, "expr", exprs);
	json_object_array_add(cmds, keyed("add", keyed("rule", r)));
}

static struct json_object *string_set(const char *a, const char *b)
{
	struct json_object *s = json_object_new_array();

	json_object_array_add(s, json_object_new_string(a));
	json_object_array_add(s, json_object_new_string(b));
	return s;
}

/* The forward chain: what may cross the bridge (libvirt's NAT rules). */
static void forward_rules(struct json_object *cmds, const char *t, const struct vk_netdef *def)
{
	struct vk_ip4_prefix net = vk_netdef_subnet(def);
	const char *br = def->bridge;

	add_rule(cmds, t, "forward", match(meta("iifname"), "==", json_object_new_string(br)),
		 match(meta("oifname"), "==", json_object_new_string(br)), verdict("accept"), NULL);
	add_rule(cmds, t, "forward", match(meta("iifname"), "==", json_object_new_string(br)),
		 match(ip_field("saddr"), "==", prefix(net.addr, net.len)), verdict("accept"), NULL);
	add_rule(cmds, t, "forward", match(meta("oifname"), "==", json_object_new_string(br)),
		 match(ip_field("daddr"), "==", prefix(net.addr, net.len)),
		 match(keyed("ct", keyed("key", json_object_new_string("state"))), "in",
		       string_set("established", "related")),
		 verdict("accept"), NULL);
	add_rule(cmds, t, "forward", match(meta("iifname"), "==", json_object_new_string(br)), verdict("reject"),
		 NULL);
	add_rule(cmds, t, "forward", match(meta("oifname"), "==", json_object_new_string(br)), verdict("reject"),
		 NULL);
}

/* The postrouting chain: the subnet's traffic leaves with the host's
 * address, except to the subnet itself, local multicast and broadcast. */
static void masquerade_rules(struct json_object *cmds, const char *t, const struct vk_netdef *def)
{
	struct vk_ip4_prefix net = vk_netdef_subnet(def);
	struct json_object *ports = json_object_new_array();

	add_rule(cmds, t, "postrouting", match(ip_field("saddr"), "==", prefix(net.addr, net.len)),
		 match(ip_field("daddr"), "==", prefix(0xe0000000u, 24)), verdict("return"), NULL);
	add_rule(cmds, t, "postrouting", match(ip_field("saddr"), "==", prefix(net.addr, net.len)),
		 match(ip_field("daddr"), "==", json_object_new_string("255.255.255.255")), verdict("return"),
		 NULL);
	json_object_array_add(ports, json_object_new_int(MASQUERADE_PORT_MIN));
	json_object_array_add(ports, json_object_new_int(MASQUERADE_PORT_MAX));
	add_rule(cmds, t, "postrouting", match(ip_field("saddr"), "==", prefix(net.addr, net.len)),
		 match(ip_field("daddr"), "!=", prefix(net.addr, net.len)),
		 match(meta("l4proto"), "==", keyed("set", string_set("tcp", "udp"))),
		 keyed("masquerade", keyed("port", keyed("range", ports))), NULL);
	add_rule(cmds, t, "postrouting", match(ip_field("saddr"), "==", prefix(net.addr, net.len)),
		 match(ip_field("daddr"), "!=", prefix(net.addr, net.len)), verdict("masquerade"), NULL);
}

char *vk_nat_ruleset(const struct vk_netdef *def)
{
	struct json_object *top = json_object_new_object(), *cmds = json_object_new_array();
	char table[VK_NAME_MAX + 8], *text;

	vk_nat_table_name(def->name, table, sizeof(table));
	/* add + delete + add: one transaction that replaces a table left
	 * over (a crash, a host that kept its rules) or makes a new one. */
	json_object_array_add(cmds, keyed("add", keyed("table", table_ref(table))));
	json_object_array_add(cmds, keyed("delete", keyed("table", table_ref(table))));
	json_object_array_add(cmds, keyed("add", keyed("table", table_ref(table))));
	json_object_array_add(cmds, base_chain(table, "forward", "filter", "forward", 0));
	json_object_array_add(cmds, base_chain(table, "postrouting", "nat", "postrouting", 100));
	forward_rules(cmds, table, def);
	masquerade_rules(cmds, table, def);
	json_object_object_add(top, "nftables", cmds);
	text = vk_json_to_text(top);
	json_object_put(top);
	if (!text)
		vk_error(ENOMEM, "network %s: its rules", def->name);
	return text;
}

/* ---- running nft ---- */

/*
 * nft -j ARG: with -j, nft reads a command line that is JSON as its JSON
 * input (libnftables tries JSON first), so a ruleset goes as one argument:
 * no file to write, and no /dev/stdin, which a minimal system may lack.
 * *status is nft's exit status (output: what it printed, may be NULL);
 * returns -errno only when nft could not be run at all.
 */
static int nft_run(const char *arg, int *status, char **output)
{
	char *path = NULL, *out = NULL;
	int rc = vk_nat_find_nft(&path);

	if (rc < 0)
		return rc;
	{
		char *argv[] = { path, (char *)"-j", (char *)arg, NULL };

		rc = vk_hostcmd_run(argv, NULL, &out);
	}
	if (rc < 0) {
		vk_error_prefix(rc, "cannot run %s", path);
	} else {
		*status = rc;
		rc = 0;
		if (output) {
			*output = out;
			out = NULL;
		}
	}
	free(out);
	free(path);
	return rc;
}

/* The same, where anything but success is an error naming nft's words. */
static int nft(const char *arg, char **output)
{
	char *out = NULL;
	int status = 0, rc = nft_run(arg, &status, &out);

	if (rc == 0 && status)
		rc = vk_errorx(EIO, "nft failed: %s", out && *out ? vk_hostcmd_last_line(out) : "(no message)");
	if (rc == 0 && output) {
		*output = out;
		out = NULL;
	}
	free(out);
	return rc;
}

int vk_nat_add(const struct vk_netdef *def)
{
	char *rules = vk_nat_ruleset(def);
	int rc;

	if (!rules)
		return -ENOMEM;
	rc = nft(rules, NULL);
	free(rules);
	return rc;
}

/* {"nftables":[{"delete"|"list":{"table":{...}}}]} for one table. */
static char *table_command(const char *cmd, const char *network)
{
	struct json_object *top = json_object_new_object(), *cmds = json_object_new_array();
	char table[VK_NAME_MAX + 8], *text;

	vk_nat_table_name(network, table, sizeof(table));
	json_object_array_add(cmds, keyed(cmd, keyed("table", table_ref(table))));
	json_object_object_add(top, "nftables", cmds);
	text = vk_json_to_text(top);
	json_object_put(top);
	if (!text)
		vk_error(ENOMEM, "network %s: its rules", network);
	return text;
}

/* Whether the network's table is there (1) or not (0), and how many rules
 * it holds.  Asked through nft's JSON input, so no name is ever parsed by
 * nft's command line (which takes no '+'). */
static int table_rules(const char *network, size_t *n_rules)
{
	char *cmd = table_command("list", network), *out = NULL;
	struct json_object *top = NULL, *list, *o;
	int rc, status = 0;
	size_t i;

	*n_rules = 0;
	if (!cmd)
		return -ENOMEM;
	rc = nft_run(cmd, &status, &out);
	if (rc == 0 && status) {
		/* "No such file or directory": no such table */
		rc = out && strstr(out, "No such file or directory") ? 0
		     : vk_errorx(EIO, "nft cannot list table %s%s: %s", VK_NAT_TABLE_PREFIX, network,
				 vk_hostcmd_last_line(out));
		goto out;
	}
	if (rc < 0)
		goto out;
	rc = vk_json_parse_object(out, 64, "nft's listing of a table", &top);
	if (rc < 0)
		goto out;
	if (json_object_object_get_ex(top, "nftables", &list) && json_object_is_type(list, json_type_array))
		for (i = 0; i < json_object_array_length(list); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(list, i), "rule", &o))
				(*n_rules)++;
	rc = 1;
out:
	json_object_put(top);
	free(out);
	free(cmd);
	return rc;
}

int vk_nat_state(const struct vk_netdef *def)
{
	struct json_object *top = NULL, *cmds, *v;
	char *rules = vk_nat_ruleset(def);
	size_t want = 0, have = 0, i;
	int rc;

	if (!rules)
		return -ENOMEM;
	rc = vk_json_parse_object(rules, 64, "rules", &top);
	if (rc == 0 && json_object_object_get_ex(top, "nftables", &cmds))
		for (i = 0; i < json_object_array_length(cmds); i++)
			if (json_object_object_get_ex(json_object_array_get_idx(cmds, i), "add", &v) &&
			    json_object_object_get_ex(v, "rule", &v))
				want++;
	json_object_put(top);
	free(rules);
	if (rc == 0)
		rc = table_rules(def->name, &have);
	return rc <= 0 ? rc : have == want ? 1 : 2;
}

int vk_nat_remove(const char *network)
{
	char *cmd;
	size_t n;
	int rc = table_rules(network, &n);

	if (rc <= 0)
		return rc;
	cmd = table_command("delete", network);
	if (!cmd)
		return -ENOMEM;
	rc = nft(cmd, NULL);
	free(cmd);
	return rc;
}

int vk_nat_host_forward_drops(char ***names)
{
	struct json_object *top = NULL, *list, *c;
	char **v = NULL, **bigger, *out = NULL;
	const char *family, *table, *name, *hook, *policy;
	size_t n = 0, i;
	int rc;

	*names = NULL;
	rc = nft("list chains", &out);
	if (rc == 0)
		rc = vk_json_parse_object(out, 64, "nft's list of chains", &top);
	if (rc < 0 || !json_object_object_get_ex(top, "nftables", &list) ||
	    !json_object_is_type(list, json_type_array))
		goto out;
	for (i = 0; i < json_object_array_length(list); i++) {
		if (!json_object_object_get_ex(json_object_array_get_idx(list, i), "chain", &c))
			continue;
		family = json_object_get_string(json_object_object_get(c, "family"));
		table = json_object_get_string(json_object_object_get(c, "table"));
		name = json_object_get_string(json_object_object_get(c, "name"));
		hook = json_object_get_string(json_object_object_get(c, "hook"));
		policy = json_object_get_string(json_object_object_get(c, "policy"));
		if (!family || !table || !name || !hook || !policy || strcmp(hook, "forward") ||
		    strcmp(policy, "drop") || !strncmp(table, VK_NAT_TABLE_PREFIX, strlen(VK_NAT_TABLE_PREFIX)) ||
		    (strcmp(family, "ip") && strcmp(family, "inet")))
			continue;
		bigger = realloc(v, (n + 2) * sizeof(*v));
		if (!bigger)
			break;
		v = bigger;
		if (asprintf(&v[n], "%s %s %s", family, table, name) < 0) {
			v[n] = NULL;
			break;
		}
		v[++n] = NULL;
	}
out:
	/* Only a warning rides on this: nft that cannot list is no error. */
	vk_error_clear();
	json_object_put(top);
	free(out);
	*names = v;
	return (int)n;
}
