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
	char *graphics, *vncport, *vnclisten, *console, *extra_args, *wait, *uuid;
	char **disks, **networks, **bridges, **injects, **checks;
	int import, vnc, nographics, autostart, noautoconsole, noreboot, dry_run, print_config;
	int force, accelerate, hvm;
} opt;

static struct poptOption vinstall_options[] = {
	{ "name", 'n', POPT_ARG_STRING, &opt.name, 0, "name of the new VM", "NAME" },
	{ "ram", 'r', POPT_ARG_STRING, &opt.ram, 0, "memory in MiB (old spelling of --memory)", "MIB" },
	{ "memory", '\0', POPT_ARG_STRING, &opt.memory, 0, "memory in MiB", "MIB[,maxmemory=MIB]" },
	{ "vcpus", '\0', POPT_ARG_STRING, &opt.vcpus, 0, "virtual CPUs", "N[,maxvcpus=N]" },
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
	{ "extra-args", 'x', POPT_ARG_STRING, &opt.extra_args, 0, "more installer kernel arguments", "ARGS" },
	{ "initrd-inject", '\0', POPT_ARG_ARGV, &opt.injects, 0, "add FILE to the installer's initrd root", "FILE" },
	{ "autostart", '\0', POPT_ARG_NONE, &opt.autostart, 0, "start the VM when the host boots", NULL },
	{ "noautoconsole", '\0', POPT_ARG_NONE, &opt.noautoconsole, 0, "do not attach the console; return at once", NULL },
	{ "wait", '\0', POPT_ARG_STRING, &opt.wait, 0, "minutes to wait for the install (-1: forever)", "MINUTES" },
	{ "noreboot", '\0', POPT_ARG_NONE, &opt.noreboot, 0, "do not boot the installed system", NULL },
	{ "dry-run", '\0', POPT_ARG_NONE, &opt.dry_run, 0, "check everything and show the plan; create nothing", NULL },
	{ "print-config", '\0', POPT_ARG_NONE, &opt.print_config, 0, "print the VM definition (JSON) and stop", NULL },
	{ "print-xml", '\0', POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN, &opt.print_config, 0, "same as --print-config", NULL },
	{ "uuid", 'u', POPT_ARG_STRING, &opt.uuid, 0, "UUID of the new VM", "UUID" },
	{ "force", '\0', POPT_ARG_NONE, &opt.force, 0, "answer yes to every question (implies --check all=off)", NULL },
	{ "check", '\0', POPT_ARG_ARGV, &opt.checks, 0, "turn a safety check on or off (repeatable)",
	  "path_in_use=off|path_exists=off|disk_size=off|mac_in_use=off|all=off" },
	{ "accelerate", '\0', POPT_ARG_NONE, &opt.accelerate, 0, "accepted; KVM is always used", NULL },
	{ "hvm", '\0', POPT_ARG_NONE, &opt.hvm, 0, "accepted; guests are always fully virtualized", NULL },
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

/* The command line as the library's request (common/vm/install.h). */
static void request_from_options(struct vk_install_request *r)
{
	*r = (struct vk_install_request){
		.name = opt.name, .ram = opt.ram, .memory = opt.memory, .vcpus = opt.vcpus,
		.os_type = opt.os_type, .os_variant = opt.os_variant, .location = opt.location,
		.cdrom = opt.cdrom, .boot = opt.boot, .graphics = opt.graphics, .vncport = opt.vncport,
		.vnclisten = opt.vnclisten, .console = opt.console, .extra_args = opt.extra_args,
		.wait = opt.wait, .uuid = opt.uuid, .disks = opt.disks, .networks = opt.networks,
		.bridges = opt.bridges, .injects = opt.injects, .checks = opt.checks,
		.import = opt.import, .vnc = opt.vnc, .nographics = opt.nographics,
		.autostart = opt.autostart, .noautoconsole = opt.noautoconsole, .noreboot = opt.noreboot,
		.force = opt.force,
	};
}

/* What vrun cannot do matters more than a missing file: said first, all of it. */
static void report_refusals(const struct vk_install_plan *p)
{
	fprintf(stderr, "vinstall: %s: refused before anything was created; vrun cannot do this:\n", opt.name);
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
	poptContext ctx = NULL;
	const char **rest;
	int rc;

	rc = vk_options_parse(argc, (const char **)argv, vinstall_options, "[OPTION...]", &ctx);
	if (rc != 0) {
		poptFreeContext(ctx);
		return rc > 0 ? 0 : 1;
	}
	rest = poptGetArgs(ctx);
	if (rest && rest[0]) {
		fprintf(stderr, "vinstall: unexpected argument '%s'; see vinstall --help\n", rest[0]);
		rc = -EINVAL;
	} else if (opt.os_variant && !strcmp(opt.os_variant, "list")) {
		rc = list_variants();
	} else {
		request_from_options(&req);
		rc = vk_install_plan_build(&req, stdout, stderr, &p);
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
	return rc < 0 ? 1 : 0;
}
