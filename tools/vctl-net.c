/* vctl-net.c - vctl's network commands, with virsh's output: net-*, domiflist, domifaddr, iface-bridge, iface-unbridge. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/net/dhcp.h"
#include "common/net/ifbridge.h"
#include "common/net/netdef.h"
#include "common/net/network.h"
#include "common/net/nicspec.h"
#include "common/util/options.h"
#include "common/vm/statedir.h"
#include "common/vm/vmdef.h"
#include "common/vm/vmstats.h"
#include "tools/vctl.h"

/* A network definition is a few KiB (common/net/netdef.c reads at most 1 MiB). */
#define NETDEF_INPUT_MAX (1024 * 1024)

/* A table being built: rows of cols malloc'd cells, row 0 the header. */
struct table {
	char **cells;
	size_t rows, cols;
	bool failed;
};

static void table_row(struct table *t, ...)
{
	char **bigger = realloc(t->cells, (t->rows + 1) * t->cols * sizeof(*bigger));
	va_list ap;

	if (!bigger) {
		t->failed = true;
		return;
	}
	t->cells = bigger;
	va_start(ap, t);
	for (size_t j = 0; j < t->cols; j++) {
		const char *s = va_arg(ap, const char *);

		if (!(t->cells[t->rows * t->cols + j] = strdup(s ? s : "-")))
			t->failed = true;
	}
	va_end(ap);
	t->rows++;
}

static int table_print(struct table *t)
{
	int rc = 0;

	if (t->failed)
		rc = vk_error(ENOMEM, "table");
	else
		vctl_print_table(t->cells, t->rows, t->cols);
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	return rc;
}

static void ip_text(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { .s_addr = htonl(a) };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

/* ---- net-list, net-info ---- */

int vctl_net_list(char **args)
{
	struct table t = { .cols = 4 };
	struct vk_net_status st;
	struct vk_netdef *def;
	char **names = NULL;
	size_t n = 0, i;
	int rc = vk_net_list(&names, &n);

	(void)args;
	if (rc < 0)
		return rc;
	table_row(&t, "Name", "State", "Autostart", "Persistent");
	for (i = 0; i < n; i++) {
		if (vk_net_lookup(names[i], &def) < 0 || vk_net_status_get(def, &st) < 0) {
			/* One broken definition does not hide the others. */
			vk_report_object(names[i]);
			if (def)
				vk_netdef_free(def);
			def = NULL;
			continue;
		}
		if (st.problem[0])
			fprintf(stderr, "vctl: network %s: warning: %s; vctl net-start %s restores it\n", def->name,
				st.problem, def->name);
		if (st.active || opt.all) {
			if (opt.names)
				printf("%s\n", def->name);
			else
				table_row(&t, def->name, st.active ? "active" : "inactive", def->autostart ? "yes" : "no",
					  "yes");
		}
		vk_netdef_free(def);
		def = NULL;
	}
	if (!opt.names)
		rc = table_print(&t);
	else
		free(t.cells);
	printf("\n");
	vk_strv_free(names);
	return rc;
}

int vctl_net_info(char **args)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct vk_netdef *def = NULL;
	struct vk_net_status st;
	int rc = vk_net_lookup(args[0], &def);

	if (rc == 0)
		rc = vk_net_status_get(def, &st);
	if (rc < 0)
		goto out;
	printf("%-15s %s\n", "Name:", def->name);
	printf("%-15s %s\n", "UUID:", def->uuid);
	printf("%-15s %s\n", "Active:", st.active ? "yes" : "no");
	printf("%-15s %s\n", "Persistent:", "yes");
	printf("%-15s %s\n", "Autostart:", def->autostart ? "yes" : "no");
	printf("%-15s %s\n", "Bridge:", def->bridge);
	printf("%-15s %s\n", "Forward:", def->forward == VK_NET_NAT ? "nat" : "bridge (the host's LAN)");
	if (def->forward == VK_NET_NAT) {
		ip_text(def->address, a);
		printf("%-15s %s/%u\n", "IPv4:", a, def->prefix);
		if (def->dhcp) {
			ip_text(def->dhcp_start, a);
			ip_text(def->dhcp_end, b);
			printf("%-15s %s - %s\n", "DHCP range:", a, b);
		}
		if (st.active && st.dnsmasq_running)
			printf("%-15s running (pid %d)\n", "DHCP/DNS:", (int)st.dnsmasq);
		else if (st.active && def->dhcp)
			printf("%-15s not running (dnsmasq pid %d is gone); vctl net-start %s starts it again\n",
			       "DHCP/DNS:", (int)st.dnsmasq, def->name);
	}
	if (st.problem[0])
		printf("%-15s %s\n", "Problem:", st.problem);
	printf("\n");
out:
	vk_netdef_free(def);
	return rc;
}

/* ---- net-define, net-undefine, net-autostart ---- */

int vctl_net_define(char **args)
{
	struct vk_netdef *def = NULL;
	char *text = NULL;
	bool updated = false;
	int rc = vk_read_file(args[0], NETDEF_INPUT_MAX, &text, NULL);

	if (rc == 0 && (rc = vk_netdef_from_json(text, &def)) < 0)
		vk_error_prefix(rc, "%s", args[0]);
	if (rc == 0)
		rc = vk_net_define(def, &updated);
	if (rc == 0) {
		printf("Network %s defined from %s\n", def->name, args[0]);
		if (updated && vk_net_is_active(def->name) && !vk_quiet)
			printf("(it is active: the new definition takes effect when it is started again)\n");
	}
	vk_netdef_free(def);
	free(text);
	return rc;
}

/* The defined VMs with a NIC on network name. */
static char *vms_on_network(const char *name)
{
	char **names = NULL, *list = NULL, *grown;
	struct vk_vm *vm;
	size_t n = 0, i, j, len = 0;

	if (vk_vm_list(&names, &n) < 0)
		n = 0;
	for (i = 0; i < n; i++) {
		if (vk_vm_lookup(names[i], &vm) < 0)
			continue;
		for (j = 0; j < vm->n_nics; j++)
			if (vm->nics[j].kind == VK_NIC_NETWORK && !strcmp(vm->nics[j].source, name))
				break;
		if (j < vm->n_nics && (grown = realloc(list, len + strlen(vm->name) + 3))) {
			list = grown;
			len += (size_t)sprintf(list + len, "%s%s", len ? ", " : "", vm->name);
		}
		vk_vm_free(vm);
	}
	vk_error_clear();
	vk_strv_free(names);
	return list;
}

int vctl_net_undefine(char **args)
{
	struct vk_netdef *def = NULL;
	char *users = NULL;
	int rc = vk_net_lookup(args[0], &def);

	vk_netdef_free(def);
	if (rc < 0 && rc != -ENOENT && vk_net_exists(args[0]))
		rc = 0;	/* a definition that does not parse can still go */
	if (rc < 0)
		return rc;
	vk_error_clear();
	if (vk_net_is_active(args[0]))
		return vk_errorx(EBUSY, "network is active; stop it first with vctl net-destroy %s", args[0]);
	rc = vk_net_undefine(args[0]);
	if (rc < 0)
		return rc;
	printf("Network %s has been undefined\n", args[0]);
	users = vms_on_network(args[0]);
	if (users)
		fprintf(stderr, "vctl: %s: warning: VMs with a NIC on it (%s) will not start until a network of "
			"that name is defined again\n", args[0], users);
	free(users);
	return 0;
}

static int set_net_autostart(struct vk_netdef *def, void *arg)
{
	def->autostart = *(bool *)arg;
	return 0;
}

int vctl_net_autostart(char **args)
{
	bool on = !opt.disable;
	int rc = vk_net_edit(args[0], set_net_autostart, &on);

	if (rc == 0)
		printf("Network %s %s as autostarted\n", args[0], on ? "marked" : "unmarked");
	return rc;
}

/* ---- net-start, net-destroy ---- */

int vctl_net_start(char **args)
{
	char *warning = NULL;
	bool repaired = false;
	int rc = vk_net_start(args[0], &repaired, &warning);

	if (rc == 0 && repaired)
		printf("Network %s was active but incomplete; what it lacked is back\n", args[0]);
	else if (rc == 0)
		printf("Network %s started\n", args[0]);
	if (warning) {
		fflush(stdout);
		fprintf(stderr, "vctl: %s: warning: %s\n", args[0], warning);
	}
	free(warning);
	return rc;
}

int vctl_net_destroy(char **args)
{
	char **names = NULL, *users = NULL;
	int rc = vk_net_destroy(args[0]);
	size_t n = 0;

	if (rc < 0)
		return rc;
	printf("Network %s destroyed\n", args[0]);
	/* Running VMs keep their taps; the bridge they were on is gone. */
	users = vms_on_network(args[0]);
	if (users && vk_vm_list(&names, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (vk_vm_running_pid(names[i]) > 0 && strstr(users, names[i])) {
				fflush(stdout);
				fprintf(stderr, "vctl: %s: warning: running VMs lost their NIC's network (%s); restart "
					"them after vctl net-start %s\n", args[0], users, args[0]);
				break;
			}
	}
	vk_error_clear();
	vk_strv_free(names);
	free(users);
	return 0;
}

/* ---- leases, domifaddr, domiflist ---- */

static int network_leases(const char *name, struct vk_lease **leases, size_t *n)
{
	struct vk_dnsmasq_files f;
	int rc = vk_net_dnsmasq_files(name, &f);

	if (rc == 0)
		rc = vk_leases_read(f.leases, leases, n);
	vk_dnsmasq_files_free(&f);
	return rc;
}

int vctl_net_dhcp_leases(char **args)
{
	char mac[VK_MAC_LEN + 1] = "", expiry[32], addr[INET_ADDRSTRLEN + 4], a[INET_ADDRSTRLEN];
	struct table t = { .cols = 6 };
	struct vk_netdef *def = NULL;
	struct vk_lease *leases = NULL;
	size_t n = 0, i;
	struct tm tm;
	int rc = vk_net_lookup(args[0], &def);

	if (rc == 0 && def->forward != VK_NET_NAT)
		rc = vk_errorx(ENOTSUP, "a bridge network has no DHCP of vkit's: the host's LAN gives the addresses");
	if (rc == 0 && opt.mac && (rc = vk_mac_parse(opt.mac, mac)) < 0)
		vk_error_prefix(rc, "--mac");
	if (rc == 0)
		rc = network_leases(args[0], &leases, &n);
	if (rc < 0)
		goto out;
	table_row(&t, "Expiry Time", "MAC address", "Protocol", "IP address", "Hostname", "Client ID or DUID");
	for (i = 0; i < n; i++) {
		if (mac[0] && strcmp(mac, leases[i].mac))
			continue;
		if (leases[i].expiry == 0)
			snprintf(expiry, sizeof(expiry), "never");
		else if (!localtime_r(&leases[i].expiry, &tm) ||
			 !strftime(expiry, sizeof(expiry), "%Y-%m-%d %H:%M:%S", &tm))
			snprintf(expiry, sizeof(expiry), "?");
		ip_text(leases[i].ip, a);
		snprintf(addr, sizeof(addr), "%s/%u", a, def->prefix);
		table_row(&t, expiry, leases[i].mac, "ipv4", addr, leases[i].hostname[0] ? leases[i].hostname : "-",
			  leases[i].client_id[0] ? leases[i].client_id : "-");
	}
	rc = table_print(&t);
	printf("\n");
out:
	free(leases);
	vk_netdef_free(def);
	return rc;
}

/* The host's names of a running VM's NICs (vrun's stats), by position;
 * "-" for a VM that does not run or does not say. */
static void nic_ifnames(const char *name, char (*ifnames)[VK_VMSTATS_IFNAME_MAX], size_t n)
{
	size_t got = 0;

	if (vk_vm_running_pid(name) <= 0 || vk_vm_nic_ifnames_get(name, ifnames, n, &got) < 0) {
		vk_debug("%s: %s", name, vk_last_error());
		vk_error_clear();
		got = 0;
	}
	for (size_t i = got; i < n; i++)
		snprintf(ifnames[i], VK_VMSTATS_IFNAME_MAX, "-");
}

static const char *nic_type(const struct vk_nic *nic)
{
	switch (nic->kind) {
	case VK_NIC_NETWORK: return "network";
	case VK_NIC_BRIDGE: return "bridge";
	case VK_NIC_TAP: return "ethernet";	/* libvirt's word for a tap of one's own */
	default: return "user";
	}
}

int vctl_domiflist(char **args)
{
	struct table t = { .cols = 5 };
	struct vk_vm *vm = NULL;
	char (*ifnames)[VK_VMSTATS_IFNAME_MAX] = NULL;
	int rc = vk_vm_lookup(args[0], &vm);

	if (rc < 0)
		return rc;
	ifnames = calloc(vm->n_nics + 1, sizeof(*ifnames));
	if (!ifnames) {
		vk_vm_free(vm);
		return vk_error(ENOMEM, "domiflist");
	}
	nic_ifnames(args[0], ifnames, vm->n_nics);
	table_row(&t, "Interface", "Type", "Source", "Model", "MAC");
	for (size_t i = 0; i < vm->n_nics; i++)
		table_row(&t, ifnames[i], nic_type(&vm->nics[i]), vm->nics[i].source, vm->nics[i].model,
			  vm->nics[i].mac);
	rc = table_print(&t);
	printf("\n");
	free(ifnames);
	vk_vm_free(vm);
	return rc;
}

int vctl_domifaddr(char **args)
{
	char (*ifnames)[VK_VMSTATS_IFNAME_MAX] = NULL, a[INET_ADDRSTRLEN];
	struct vk_lease *leases = NULL;
	struct vk_netdef *def = NULL;
	struct vk_vm *vm = NULL;
	size_t n = 0, i, k;
	int rc = vctl_need_running(args[0], NULL);

	if (rc == 0)
		rc = vk_vm_lookup(args[0], &vm);
	if (rc < 0)
		return rc;
	ifnames = calloc(vm->n_nics + 1, sizeof(*ifnames));
	if (!ifnames) {
		rc = vk_error(ENOMEM, "domifaddr");
		goto out;
	}
	nic_ifnames(args[0], ifnames, vm->n_nics);
	/* virsh's layout for this one, not its table's */
	if (!vk_quiet)
		printf(" %-10s %-20s %-12s %s\n%s\n", "Name", "MAC address", "Protocol", "Address",
		       "-------------------------------------------------------------------------------");
	for (i = 0; i < vm->n_nics; i++) {
		/* Addresses come from vkit's own DHCP: NICs on NAT networks. */
		if (vm->nics[i].kind != VK_NIC_NETWORK || vk_net_lookup(vm->nics[i].source, &def) < 0 ||
		    def->forward != VK_NET_NAT || network_leases(def->name, &leases, &n) < 0) {
			vk_error_clear();
			vk_netdef_free(def);
			def = NULL;
			continue;
		}
		for (k = 0; k < n; k++)
			if (!strcmp(leases[k].mac, vm->nics[i].mac)) {
				ip_text(leases[k].ip, a);
				printf(" %-10s %-20s %-12s %s/%u\n", ifnames[i], vm->nics[i].mac, "ipv4", a, def->prefix);
			}
		free(leases);
		leases = NULL;
		vk_netdef_free(def);
		def = NULL;
	}
	printf("\n");
out:
	free(ifnames);
	vk_vm_free(vm);
	return rc;
}

/* ---- attach-interface, detach-interface ---- */

/* virsh's TYPE words for a NIC's kind; ethernet is a tap of its own. */
static int nic_kind_of(const char *type, enum vk_nic_kind *kind)
{
	if (!strcmp(type, "network"))
		*kind = VK_NIC_NETWORK;
	else if (!strcmp(type, "bridge"))
		*kind = VK_NIC_BRIDGE;
	else if (!strcmp(type, "ethernet"))
		*kind = VK_NIC_TAP;
	else
		return vk_errorx(ENOTSUP, "interface type '%s': vrun's NICs are on a network, a bridge or a tap "
				 "(network, bridge, ethernet)", type);
	return 0;
}

static int add_nic_edit(struct vk_vm *vm, void *arg)
{
	return vk_vm_add_nic(vm, arg);
}

int vctl_attach_interface(char **args)
{
	const char *name = args[0], *type = args[1], *source = args[2];
	struct vk_netdef *def = NULL;
	struct vk_nicspec spec = { 0 };
	enum vk_nic_kind kind;
	struct vk_vm *vm = NULL;
	char *text = NULL;
	int rc = vk_vm_lookup(name, &vm);

	vk_vm_free(vm);
	if (rc == 0)
		rc = vctl_need_config(name, "attach-interface");
	if (rc == 0)
		rc = nic_kind_of(type, &kind);
	if (rc < 0)
		return rc;
	/* The same reading as vinstall --network. */
	if (asprintf(&text, "%s=%s%s%s%s%s", kind == VK_NIC_TAP ? "tap" : type, source, opt.mac ? ",mac=" : "",
		     opt.mac ? opt.mac : "", opt.model ? ",model=" : "", opt.model ? opt.model : "") < 0)
		return vk_error(ENOMEM, "attach-interface");
	rc = vk_nicspec_parse(text, &spec);
	free(text);
	if (rc < 0)
		return rc;
	if (spec.nic.model && strcmp(spec.nic.model, "virtio"))
		rc = vk_errorx(ENOTSUP, "--model %s: vrun emulates virtio-net only; give --model virtio or leave it out",
			       spec.nic.model);
	else if (!spec.nic.model && !(spec.nic.model = strdup("virtio")))
		rc = vk_error(ENOMEM, "attach-interface");
	/* A network is defined to be used (default on first use, as vinstall). */
	if (rc == 0 && kind == VK_NIC_NETWORK)
		rc = vk_net_lookup_for_vm(source, true, &def, NULL);
	if (rc == 0)
		rc = vk_vm_edit(name, add_nic_edit, &spec.nic);
	if (rc == 0) {
		printf("Interface attached successfully\n");
		if (vk_vm_running_pid(name) > 0 && !vk_quiet)
			printf("(%s runs: the guest sees the NIC from its next start)\n", name);
	}
	vk_netdef_free(def);
	vk_nicspec_clear(&spec);
	return rc;
}

struct nic_detach {
	enum vk_nic_kind kind;
	const char *type;
	char mac[VK_MAC_LEN + 1];	/* "" when not given */
};

static int detach_nic_edit(struct vk_vm *vm, void *arg)
{
	struct nic_detach *d = arg;
	size_t i, found = 0, at = 0;

	for (i = 0; i < vm->n_nics; i++)
		if (vm->nics[i].kind == d->kind && (!d->mac[0] || !strcmp(vm->nics[i].mac, d->mac))) {
			found++;
			at = i;
		}
	if (!found)
		return d->mac[0] ? vk_errorx(ENOENT, "no interface of type %s with MAC %s", d->type, d->mac)
				 : vk_errorx(ENOENT, "no interface of type %s", d->type);
	if (found > 1)
		return vk_errorx(EINVAL, "it has %zu interfaces of type %s; say which with --mac (vctl domiflist %s "
				 "lists them)", found, d->type, vm->name);
	free(vm->nics[at].source);
	free(vm->nics[at].model);
	memmove(&vm->nics[at], &vm->nics[at + 1], (vm->n_nics - at - 1) * sizeof(vm->nics[0]));
	vm->n_nics--;
	return 0;
}

int vctl_detach_interface(char **args)
{
	struct nic_detach d = { .type = args[1] };
	struct vk_vm *vm = NULL;
	int rc = vk_vm_lookup(args[0], &vm);

	vk_vm_free(vm);
	if (rc == 0)
		rc = vctl_need_config(args[0], "detach-interface");
	if (rc == 0)
		rc = nic_kind_of(args[1], &d.kind);
	if (rc == 0 && opt.mac && (rc = vk_mac_parse(opt.mac, d.mac)) < 0)
		vk_error_prefix(rc, "--mac");
	if (rc == 0)
		rc = vk_vm_edit(args[0], detach_nic_edit, &d);
	if (rc == 0)
		printf("Interface detached successfully\n");
	return rc;
}

static void report_network(const char *name, const char *msg)
{
	fprintf(stderr, "vctl: network %s: %s\n", name, msg);
}

size_t vctl_start_autostarted_networks(void)
{
	size_t failed = 0;

	if (vk_net_start_autostarted(report_network, &failed) < 0) {
		vk_report(NULL);
		failed++;
	}
	return failed;
}

/* ---- iface-bridge, iface-unbridge ---- */

/* The files that keep the bridge over a reboot, shown before they are
 * written (or, with --dry-run, instead). */
static void show_conf(const struct vk_netconf *c, bool dry)
{
	if (!c->system) {
		if (c->note)
			printf("%s\n", c->note);
		return;
	}
	printf("Persistent through %s: %s\n", c->system, dry ? "would change" : "changing");
	for (size_t i = 0; i < c->n_files; i++) {
		if (!c->files[i].text) {
			printf("  remove %s\n", c->files[i].path);
			continue;
		}
		printf("  write %s:\n", c->files[i].path);
		for (const char *line = c->files[i].text, *end; *line; line = *end ? end + 1 : end) {
			end = strchr(line, '\n');
			if (!end)
				end = line + strlen(line);
			printf("    | %.*s\n", (int)(end - line), line);
		}
	}
	if (c->note)
		printf("Note: %s\n", c->note);
	fflush(stdout);
}

static void show_steps(const struct vk_ifbridge *b)
{
	printf("Would %s:\n", b->unbridge ? "take the bridge apart" : "bridge the interface");
	for (size_t i = 0; i < b->n_steps; i++)
		printf("  %zu. %s\n", i + 1, b->steps[i]);
}

/* A planned move: shown (--dry-run), or made, said as virsh says it, and
 * made persistent; frees the plan. */
static int carry_out(struct vk_ifbridge *b)
{
	int rc = 0;

	if (opt.dry_run) {
		show_steps(b);
		show_conf(&b->conf, true);
		goto out;
	}
	rc = vk_ifbridge_apply(b);
	if (rc < 0)
		goto out;
	if (b->unbridge)
		printf("Device %s un-attached from bridge %s\nInterface %s started\n", b->iface, b->bridge, b->iface);
	else
		printf("Created bridge %s with attached device %s\nBridge interface %s started\n", b->bridge, b->iface,
		       b->bridge);
	show_conf(&b->conf, false);
	rc = vk_netconf_apply(&b->conf);
	if (rc < 0)
		vk_error_prefix(rc, "%s is %s now, but the host's configuration could not be changed (it will not "
				"last a reboot)", b->iface, b->unbridge ? "back in place" : "on the bridge");
out:
	vk_ifbridge_free(b);
	return rc;
}

int vctl_iface_bridge(char **args)
{
	struct vk_ifbridge b;
	unsigned long delay = 0;
	char *end;
	int rc;

	if (opt.delay) {
		errno = 0;
		delay = strtoul(opt.delay, &end, 10);
		if (errno || end == opt.delay || *end || opt.delay[0] == '-' || delay > VK_BRIDGE_DELAY_MAX)
			return vk_errorx(EINVAL, "--delay %s: give the forward delay in whole seconds, 0 to %d",
					 opt.delay, VK_BRIDGE_DELAY_MAX);
	}
	rc = vk_ifbridge_plan(args[0], args[1], !opt.no_stp, (unsigned)delay, &b);
	return rc < 0 ? rc : carry_out(&b);
}

int vctl_iface_unbridge(char **args)
{
	struct vk_ifbridge b;
	int rc = vk_ifunbridge_plan(args[0], &b);

	return rc < 0 ? rc : carry_out(&b);
}
