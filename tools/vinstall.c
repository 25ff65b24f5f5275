/* vinstall.c - create a VM and run its OS installer, with virt-install's options and spellings. */
#include "config.h"

#include <errno.h>
#include <popt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/media/osvariant.h"
#include "common/util/error.h"
#include "common/util/options.h"
#include "common/vm/install.h"
#include "common/vm/vmdef.h"

/* What the command line asked for, as typed. */
static struct {
	char *name, *ram, *memory, *vcpus, *os_type, *os_variant, *location, *cdrom, *boot;
	char *graphics, *vncport, *vnclisten, *console, *wait, *uuid;
	char **disks, **extra_args, **networks, **bridges, **injects, **checks;
	int import, vnc, nographics, autostart, noautoconsole, noreboot, dry_run, print_config;
	int force, accelerate, hvm, nodisks;
	char *install, *autoconsole, *arch, *machine, *virt_type, *cpu;
	/* older spellings virt-install still takes (converted below) */
	char **files, **file_sizes, **macs, *keymap;
	int nonsparse, nonetworks, paravirt, container, sdl;
} opt;

/* --disk and --network after the old spellings were converted. */
static char **converted_disks, **converted_networks;

static struct poptOption vinstall_options[] = {
	{ "name", 'n', POPT_ARG_STRING, &opt.name, 0, "name of the new VM", "NAME" },
	{ "ram", 'r', POPT_ARG_STRING, &opt.ram, 0, "memory in MiB (old spelling of --memory)", "MIB" },
	{ "memory", '\0', POPT_ARG_STRING, &opt.memory, 0, "memory in MiB", "MIB[,maxmemory=MIB]" },
	{ "vcpus", '\0', POPT_ARG_STRING, &opt.vcpus, 0, "virtual CPUs (topology recorded, not yet shown to the guest)",
	  "N[,maxvcpus=M,sockets=S,cores=C,threads=T]" },
	{ "os-type", '\0', POPT_ARG_STRING, &opt.os_type, 0, "linux or windows", "TYPE" },
	{ "os-variant", '\0', POPT_ARG_STRING, &opt.os_variant, 0, "OS variant template ('list' shows them)", "VARIANT" },
	{ "osinfo", '\0', POPT_ARG_STRING, &opt.os_variant, 0, "same as --os-variant", "VARIANT" },
	{ "location", 'l', POPT_ARG_STRING, &opt.location, 0, "install media: ISO, directory or URL tree",
	  "LOCATION[,kernel=PATH,initrd=PATH]" },
	{ "cdrom", 'c', POPT_ARG_STRING, &opt.cdrom, 0,
	  "install from this ISO (or CD device): its own boot loader on a CD-ROM, through the firmware", "ISO" },
	{ "import", '\0', POPT_ARG_NONE, &opt.import, 0, "boot an existing disk, skip the install", NULL },
	{ "boot", '\0', POPT_ARG_STRING, &opt.boot, 0, "direct kernel boot", "kernel=PATH,initrd=PATH,kernel_args=STR" },
	{ "disk", '\0', POPT_ARG_ARGV, &opt.disks, 0, "a disk (repeatable)",
	  "path=PATH,size=GIB,format=raw|qcow2,bus=virtio,cache=MODE,device=disk|cdrom,readonly=on,sparse=yes,backing_store=PATH,backing_format=raw|qcow2,serial=ID" },
	{ "network", 'w', POPT_ARG_ARGV, &opt.networks, 0, "a NIC (repeatable)", "bridge=BR|tap=NAME|none[,mac=MAC,model=virtio]" },
	{ "bridge", 'b', POPT_ARG_ARGV, &opt.bridges, 0, "a NIC on bridge BR (old spelling)", "BR" },
	{ "graphics", '\0', POPT_ARG_STRING, &opt.graphics, 0, "only 'none' (serial console)", "none" },
	{ "nographics", '\0', POPT_ARG_NONE, &opt.nographics, 0, "same as --graphics none", NULL },
	{ "vnc", '\0', POPT_ARG_NONE, &opt.vnc, 0, "VNC graphics (refused: no graphics in vrun)", NULL },
	{ "vncport", '\0', POPT_ARG_STRING, &opt.vncport, 0, "VNC port (refused)", "PORT" },
	{ "vnclisten", '\0', POPT_ARG_STRING, &opt.vnclisten, 0, "VNC address (refused)", "ADDR" },
	{ "console", '\0', POPT_ARG_STRING, &opt.console, 0, "serial console", "pty|file,path=PATH|none[,target_type=serial]" },
	{ "extra-args", 'x', POPT_ARG_ARGV, &opt.extra_args, 0, "more installer kernel arguments (repeats are joined)", "ARGS" },
	{ "initrd-inject", '\0', POPT_ARG_ARGV, &opt.injects, 0, "add FILE to the installer's initrd root", "FILE" },
	{ "autostart", '\0', POPT_ARG_NONE, &opt.autostart, 0, "start the VM when the host boots", NULL },
	{ "noautoconsole", '\0', POPT_ARG_NONE, &opt.noautoconsole, 0, "do not attach the console; return at once", NULL },
	{ "wait", '\0', POPT_ARG_STRING, &opt.wait, 0, "minutes to wait for the install (none or -1: forever)", "[MINUTES]" },
	{ "noreboot", '\0', POPT_ARG_NONE, &opt.noreboot, 0, "do not boot the installed system", NULL },
	{ "dry-run", '\0', POPT_ARG_NONE, &opt.dry_run, 0, "check everything and show the plan; create nothing", NULL },
	{ "print-config", '\0', POPT_ARG_NONE, &opt.print_config, 0, "print the VM definition (JSON) and stop", NULL },
	{ "print-xml", '\0', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &opt.print_config, 0, "same as --print-config", NULL },
	{ "uuid", 'u', POPT_ARG_STRING, &opt.uuid, 0, "UUID of the new VM", "UUID" },
	{ "force", '\0', POPT_ARG_NONE, &opt.force, 0, "answer yes to every question (implies --check all=off)", NULL },
	{ "check", '\0', POPT_ARG_ARGV, &opt.checks, 0, "turn a safety check on or off (repeatable)",
	  "path_in_use=off|path_exists=off|disk_size=off|mac_in_use=off|all=off" },
	{ "install", '\0', POPT_ARG_STRING, &opt.install, 0, "installer kernel, or no installer",
	  "kernel=PATH,initrd=PATH,kernel_args=ARGS,kernel_args_overwrite=on|no_install=yes" },
	{ "autoconsole", '\0', POPT_ARG_STRING, &opt.autoconsole, 0, "text: the serial console (default); none: "
	  "as --noautoconsole", "text|none" },
	{ "nodisks", '\0', POPT_ARG_NONE, &opt.nodisks, 0, "a VM with no disk", NULL },
	{ "arch", '\0', POPT_ARG_STRING, &opt.arch, 0, "accepted: x86_64 (others refused)", "x86_64" },
	{ "machine", '\0', POPT_ARG_STRING, &opt.machine, 0, "accepted: pc, pc-i440fx-* (others refused)", "pc" },
	{ "virt-type", '\0', POPT_ARG_STRING, &opt.virt_type, 0, "accepted: kvm (others refused)", "kvm" },
	{ "cpu", '\0', POPT_ARG_STRING, &opt.cpu, 0, "accepted: the host's CPU (named models refused)",
	  "host-passthrough|host-model|host" },
	{ "accelerate", '\0', POPT_ARG_NONE, &opt.accelerate, 0, "accepted; KVM is always used", NULL },
	{ "hvm", '\0', POPT_ARG_NONE, &opt.hvm, 0, "accepted; guests are always fully virtualized", NULL },
	{ "file", 'f', POPT_ARG_ARGV, &opt.files, 0, "old spelling of --disk path=PATH", "PATH" },
	{ "file-size", 's', POPT_ARG_ARGV, &opt.file_sizes, 0, "old spelling of --disk size=GIB", "GIB" },
	{ "nonsparse", '\0', POPT_ARG_NONE, &opt.nonsparse, 0, "old spelling of --disk sparse=no", NULL },
	{ "mac", 'm', POPT_ARG_ARGV, &opt.macs, 0, "old spelling of --network mac=MAC", "MAC" },
	{ "nonetworks", '\0', POPT_ARG_NONE, &opt.nonetworks, 0, "old spelling of --network none", NULL },
	{ "paravirt", 'p', POPT_ARG_NONE, &opt.paravirt, 0, "Xen paravirtualization (refused)", NULL },
	{ "container", '\0', POPT_ARG_NONE, &opt.container, 0, "container guest (refused)", NULL },
	{ "sdl", '\0', POPT_ARG_NONE, &opt.sdl, 0, "SDL graphics (refused)", NULL },
	{ "keymap", 'k', POPT_ARG_STRING, &opt.keymap, 0, "graphics keymap (refused)", "KEYMAP" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_connect_long_options, 0, NULL, NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_help_short_options, 0, NULL, NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, vk_common_options, 0, "Common options:", NULL },
	POPT_AUTOHELP
	POPT_TABLEEND
};
static int list_variants(void)
{
	struct vk_osvariant **list = NULL;
	size_t n = 0, i;
	int rc = vk_osvariant_list(&list, &n);

	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		printf("%-16s %s%s\n", list[i]->name, list[i]->description,
		       list[i]->supported ? "" : " (not supported by vrun)");
	vk_osvariant_list_free(list, n);
	return 0;
}

/* Whether text is a whole number, perhaps negative ("-1"). */
static bool is_integer(const char *text)
{
	if (*text == '-')
		text++;
	if (!*text)
		return false;
	for (; *text; text++)
		if (*text < '0' || *text > '9')
			return false;
	return true;
}

/*
 * virt-install's --wait takes its value optionally (argparse nargs="?"):
 * "--wait" alone waits forever, "--wait 10" and "--wait -1" take the number.
 * popt cannot say that, so a bare --wait is spelled --wait=-1 in a copy of
 * argv before parsing.
 */
static const char **spell_bare_wait(int argc, const char **argv)
{
	const char **copy = calloc((size_t)argc + 1, sizeof(*copy));
	int i;

	if (!copy)
		return NULL;
	for (i = 0; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;

		copy[i] = argv[i];
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--wait") && (!next || (next[0] == '-' && !is_integer(next))))
			copy[i] = "--wait=-1";
	}
	for (; i < argc; i++)
		copy[i] = argv[i];
	return copy;
}

/* "--disk=?" or "--disk help" lists the sub-options, as virt-install does;
 * true when any option asked for that. */
static bool print_suboption_help(void)
{
	const struct {
		const char *option;
		const char *value;
		char **values;
	} asked[] = {
		{ "--boot", opt.boot, NULL }, { "--check", NULL, opt.checks }, { "--console", opt.console, NULL },
		{ "--disk", NULL, opt.disks }, { "--graphics", opt.graphics, NULL },
		{ "--location", opt.location, NULL }, { "--memory", opt.memory, NULL },
		{ "--network", NULL, opt.networks }, { "--osinfo", opt.os_variant, NULL },
		{ "--vcpus", opt.vcpus, NULL },
	};
	bool any = false;

	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
		bool wanted = asked[i].value && (!strcmp(asked[i].value, "?") || !strcmp(asked[i].value, "help"));

		for (size_t j = 0; asked[i].values && asked[i].values[j]; j++)
			wanted |= !strcmp(asked[i].values[j], "?") || !strcmp(asked[i].values[j], "help");
		if (wanted && vk_install_print_suboptions(stdout, asked[i].option) == 0)
			any = true;
	}
	return any;
}

/* --extra-args given more than once: joined with spaces, as virt-install does. */
static char *joined_extra_args(void)
{
	size_t len = 1, i;
	char *out;

	if (!opt.extra_args)
		return NULL;
	for (i = 0; opt.extra_args[i]; i++)
		len += strlen(opt.extra_args[i]) + 1;
	out = calloc(1, len);
	for (i = 0; out && opt.extra_args[i]; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, opt.extra_args[i]);
	}
	return out;
}

/* A value put inside a sub-option list as it is: commas, quotes and
 * backslashes escaped (common/util/subopt.h reads backslash escapes). */
static char *escaped_value(const char *text)
{
	char *out = malloc(2 * strlen(text) + 1), *o = out;

	for (; out && *text; text++) {
		if (strchr(",'\"\\", *text))
			*o++ = '\\';
		*o++ = *text;
	}
	if (out)
		*o = '\0';
	return out;
}

/* Append "FMT" to a NULL-terminated list. */
static int list_add(char ***list, size_t *n, char *item)
{
	char **bigger;

	if (!item)
		return -ENOMEM;
	bigger = realloc(*list, (*n + 2) * sizeof(*bigger));
	if (!bigger) {
		free(item);
		return -ENOMEM;
	}
	*list = bigger;
	bigger[(*n)++] = item;
	bigger[*n] = NULL;
	return 0;
}

/*
 * virt-install's older spellings, converted as its convert_old_disks() and
 * convert_old_networks() do: --file/--file-size/--nonsparse become --disk
 * path=,size=,sparse=no (paired in order), --nonetworks --network none,
 * each --mac the mac= of the NIC in its place (a NIC on the default
 * network when there are more MACs than NICs).  Options for what vrun does
 * not have are refused by name.  0, or -EINVAL after a message.
 */
static int convert_old_spellings(void)
{
	size_t n_files = 0, n_sizes = 0, n_macs = 0, n_nets = 0, n = 0, i;
	const char *refused = opt.paravirt ? "--paravirt: Xen paravirtualized guests do not run under vrun (KVM, "
		"fully virtualized); drop it" : opt.container ? "--container: vrun runs virtual machines, not "
		"containers" : opt.sdl ? "--sdl: vrun has no graphical display; use --graphics none and the serial "
		"console" : opt.keymap ? "--keymap: is for a graphical display, which vrun does not have; drop it" : NULL;
	int rc = 0;

	if (refused) {
		fprintf(stderr, "vinstall: %s\n", refused);
		return -EINVAL;
	}
	while (opt.files && opt.files[n_files])
		n_files++;
	while (opt.file_sizes && opt.file_sizes[n_sizes])
		n_sizes++;
	while (opt.macs && opt.macs[n_macs])
		n_macs++;
	if (opt.nodisks && (n_files || n_sizes)) {
		fprintf(stderr, "vinstall: --nodisks and --file/--file-size both given; drop one\n");
		return -EINVAL;
	}
	if ((n_files || n_sizes || opt.nonsparse) && opt.disks) {
		fprintf(stderr, "vinstall: --file, --file-size and --nonsparse are the old spelling of --disk; "
			"use --disk PATH[,size=GIB][,sparse=yes|no] alone\n");
		return -EINVAL;
	}
	if (opt.nonetworks && (opt.networks || opt.bridges || n_macs)) {
		fprintf(stderr, "vinstall: --nonetworks and --network/--bridge/--mac both given; drop one\n");
		return -EINVAL;
	}
	for (i = 0; rc == 0 && i < (n_files > n_sizes ? n_files : n_sizes); i++) {
		char *path = i < n_files ? escaped_value(opt.files[i]) : NULL, *item = NULL;

		if ((i >= n_files || path) &&
		    asprintf(&item, "%s%s%s%s%s%s", path ? "path=" : "", path ? path : "",
			     path && i < n_sizes ? "," : "", i < n_sizes ? "size=" : "",
			     i < n_sizes ? opt.file_sizes[i] : "", opt.nonsparse ? ",sparse=no" : "") < 0)
			item = NULL;
		free(path);
		rc = list_add(&converted_disks, &n, item);
	}
	if (opt.nonetworks)
		rc = rc ? rc : list_add(&converted_networks, &n_nets, strdup("none"));
	if (n_macs) {
		/* the NICs in order (--network, else --bridge), then the default network */
		char **nics = opt.networks ? opt.networks : opt.bridges;
		size_t n_nics = 0;

		while (nics && nics[n_nics])
			n_nics++;
		for (i = 0; rc == 0 && (i < n_macs || i < n_nics); i++) {
			char *item = NULL;

			if (asprintf(&item, "%s%s%s%s", i < n_nics && nics == opt.bridges ? "bridge=" : "",
				     i < n_nics ? nics[i] : "default", i < n_macs ? ",mac=" : "",
				     i < n_macs ? opt.macs[i] : "") < 0)
				item = NULL;
			rc = list_add(&converted_networks, &n_nets, item);
		}
	}
	if (rc < 0)
		fprintf(stderr, "vinstall: out of memory\n");
	return rc;
}

/* The command line as the library's request (common/vm/install.h). */
static void request_from_options(struct vk_install_request *r, const char *extra_args)
{
	*r = (struct vk_install_request){
		.name = opt.name, .ram = opt.ram, .memory = opt.memory, .vcpus = opt.vcpus,
		.os_type = opt.os_type, .os_variant = opt.os_variant, .location = opt.location,
		.cdrom = opt.cdrom, .boot = opt.boot, .graphics = opt.graphics, .vncport = opt.vncport,
		.vnclisten = opt.vnclisten, .console = opt.console, .extra_args = extra_args,
		.wait = opt.wait, .uuid = opt.uuid, .disks = converted_disks ? converted_disks : opt.disks,
		.networks = converted_networks ? converted_networks : opt.networks,
		.bridges = converted_networks && opt.macs ? NULL : opt.bridges, .injects = opt.injects, .checks = opt.checks,
		.import = opt.import, .vnc = opt.vnc, .nographics = opt.nographics,
		.autostart = opt.autostart, .noautoconsole = opt.noautoconsole, .noreboot = opt.noreboot,
		.force = opt.force, .install = opt.install, .autoconsole = opt.autoconsole, .arch = opt.arch,
		.machine = opt.machine, .virt_type = opt.virt_type, .cpu = opt.cpu, .nodisks = opt.nodisks,
	};
}

/* What vrun cannot do matters more than a missing file: said first, all of it. */
static void report_refusals(const struct vk_install_plan *p)
{
	fprintf(stderr, "vinstall: %s: refused before anything was created; vrun cannot do this:\n",
		p->vm ? p->vm->name : "the VM");
	for (size_t i = 0; i < p->n_refusals; i++)
		fprintf(stderr, "  - %s\n", p->refusals[i]);
	if (*vk_last_error())
		fprintf(stderr, "  and also: %s\n", vk_last_error());
}

static int print_definition(const struct vk_vm *vm)
{
	char *json = vk_vm_to_json(vm);

	if (!json)
		return -ENOMEM;
	fputs(json, stdout);
	if (!*json || json[strlen(json) - 1] != '\n')
		putchar('\n');
	free(json);
	return 0;
}

int main(int argc, char **argv)
{
	struct vk_install_plan *p = NULL;
	struct vk_install_request req;
	const char **spelled = NULL, **args = NULL, **rest;
	char *extra_args = NULL;
	poptContext ctx = NULL;
	int rc;

	/* virt-install is argparse: "--noauto" is --noautoconsole. */
	rc = vk_options_expand_abbrev(argc, (const char **)argv, vinstall_options, &spelled);
	if (rc < 0) {
		vk_report(NULL);
		return 1;
	}
	args = spell_bare_wait(argc, spelled);
	if (!args) {
		vk_options_argv_free(spelled, argc, (const char *const *)argv);
		return 1;
	}
	rc = vk_options_parse(argc, args, vinstall_options, "[OPTION...]", &ctx);
	if (rc != 0) {
		free(args);
		vk_options_argv_free(spelled, argc, (const char *const *)argv);
		return rc > 0 ? 0 : 1;
	}
	rest = poptGetArgs(ctx);
	if (rest && rest[0]) {
		fprintf(stderr, "vinstall: unexpected argument '%s'; see vinstall --help\n", rest[0]);
		rc = -EINVAL;
	} else if (print_suboption_help()) {
		rc = 0;
	} else if (opt.os_variant && !strcmp(opt.os_variant, "list")) {
		rc = list_variants();
	} else if ((rc = convert_old_spellings()) < 0) {
		;
	} else if (opt.extra_args && !(extra_args = joined_extra_args())) {
		rc = -ENOMEM;
		fprintf(stderr, "vinstall: --extra-args: out of memory\n");
	} else {
		request_from_options(&req, extra_args);
		rc = vk_install_plan_build(&req, stdout, stderr, &p);
		if (rc == 0 && !opt.name && !opt.print_config)
			printf("Using default --name %s\n", p->vm->name);
		if (p && p->n_refusals)
			report_refusals(p);
		else if (rc == 0 && opt.print_config)
			rc = print_definition(p->vm);
		else if (rc == 0 && opt.dry_run && (rc = vk_install_check_host(p)) == 0)
			vk_install_describe(p);
		else if (rc == 0 && !opt.dry_run)
			rc = vk_install_run(p);
		if (rc < 0 && !(p && p->n_refusals))
			vk_report(NULL);
	}
	vk_install_plan_free(p);
	poptFreeContext(ctx);
	free(extra_args);
	free(args);
	vk_options_argv_free(spelled, argc, (const char *const *)argv);
	for (size_t i = 0; converted_disks && converted_disks[i]; i++)
		free(converted_disks[i]);
	for (size_t i = 0; converted_networks && converted_networks[i]; i++)
		free(converted_networks[i]);
	free(converted_disks);
	free(converted_networks);
	return rc < 0 ? 1 : 0;
}
