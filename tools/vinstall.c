/* vinstall.c - create a VM and run its OS installer, with virt-install's options and spellings. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <popt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "common/guest/bootinspect.h"
#include "common/vm/bootorder.h"
#include "common/media/download.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/image/image.h"
#include "common/media/media.h"
#include "common/util/options.h"
#include "common/media/osvariant.h"
#include "common/util/size.h"
#include "common/vm/statedir.h"
#include "common/util/subopt.h"
#include "common/vm/undo.h"
#include "common/vm/vmdef.h"
#include "common/vm/vmlaunch.h"
#include "common/vm/console-relay.h"

#define MAX_REFUSALS 16

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

enum install_kind { INSTALL_NONE = 0, INSTALL_LOCATION, INSTALL_KERNEL, INSTALL_IMPORT, INSTALL_CDROM };

/* The installer's boot from --cdrom: the CD first, then the disk. */
#define CDROM_INSTALL_ORDER "cdrom,hd"

/* virt-install's --check names: each guards against a mistake that loses or
 * leaks data, and each can be turned off when the user means it. */
static struct {
	bool path_in_use;	/* a disk another defined VM uses */
	bool path_exists;	/* size= given for a path that exists: not a new disk */
	bool disk_size;		/* not enough free space for the new disks */
	bool mac_in_use;	/* a MAC another defined VM has: two NICs on one bridge */
} checks = { true, true, true, true };

/* One disk of the plan: what exists, what this run creates. */
struct planned_disk {
	struct vk_disk disk;
	bool create;
	uint64_t size;
	bool sparse;
	char *backing;
	enum vk_image_format backing_format;
	bool size_from_variant;
	bool installer_medium;	/* the --location or --cdrom ISO, detached after the install */
};

struct plan {
	struct vk_vm *vm;
	struct vk_osvariant *variant;
	bool variant_defaulted;
	enum install_kind kind;
	struct vk_media *media;
	char *media_kernel, *media_initrd;	/* paths on the medium */
	char *kernel_src, *initrd_src;		/* --boot files on the host */
	char *boot_dir;
	char *cmdline;
	char *final_cmdline;			/* --boot kernel_args for the installed system */
	char *boot_order;			/* --boot hd,cdrom,...: the firmware's order */
	bool firmware_boot;			/* --import of a disk that boots itself */
	char boot_loader[32];			/* what its first sector holds ("GRUB") */
	struct planned_disk *disks;
	size_t n_disks;
	int wait_minutes;			/* -1 forever */
	char *refusals[MAX_REFUSALS];
	size_t n_refusals;
};

static void refuse(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct plan *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->n_refusals == MAX_REFUSALS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) >= 0)
		p->refusals[p->n_refusals++] = msg;
	va_end(ap);
}

static void plan_free(struct plan *p)
{
	size_t i;

	vk_vm_free(p->vm);
	vk_osvariant_free(p->variant);
	vk_media_close(p->media);
	free(p->media_kernel);
	free(p->media_initrd);
	free(p->kernel_src);
	free(p->initrd_src);
	free(p->boot_dir);
	free(p->cmdline);
	free(p->final_cmdline);
	free(p->boot_order);
	for (i = 0; i < p->n_disks; i++) {
		free(p->disks[i].disk.path);
		free(p->disks[i].backing);
	}
	free(p->disks);
	for (i = 0; i < p->n_refusals; i++)
		free(p->refusals[i]);
}

static const char *const memory_keys[] = { "memory", "maxmemory", "currentMemory", NULL };
static const char *const vcpus_keys[] = { "vcpus", "maxvcpus", "sockets", "cores", "threads", NULL };
static const char *const location_keys[] = { "location", "kernel", "initrd", NULL };
static const char *const boot_keys[] = { "kernel", "initrd", "kernel_args", "cmdline", "hd", "cdrom", "network",
					 "menu", "uefi", "loader", NULL };
static const char *const disk_keys[] = { "path", "size", "format", "bus", "cache", "device", "readonly",
					 "sparse", "backing_store", "backing_format", "serial", "shareable", "pool", "vol", NULL };
static const char *const network_keys[] = { "bridge", "tap", "network", "type", "mac", "model", "none", NULL };
static const char *const console_keys[] = { "type", "path", "target_type", NULL };
static const char *const graphics_keys[] = { "type", "port", "listen", "password", "keymap", NULL };

/* Definitions hold absolute paths: the VM may be started from anywhere. */
static char *absolute(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/' || vk_url_is_remote(path))
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", cwd, path[0] == '.' && path[1] == '/' ? path + 2 : path) < 0)
		return NULL;
	return out;
}

/* $VKIT_DIR/SUB/NAME, creating nothing: a dry run must leave no trace, and
 * the real run makes the directories (vk_state_dir) when it starts creating. */
static int state_file(const char *sub, const char *name, char **out)
{
	char dir[PATH_MAX];
	int rc = vk_state_dir_resolve(geteuid(), dir, sizeof(dir));

	*out = NULL;
	if (rc < 0)
		return rc;
	if (asprintf(out, "%s/%s/%s", dir, sub, name) < 0) {
		*out = NULL;
		return vk_error(ENOMEM, "%s", dir);
	}
	return 0;
}

static int parse_mib(const char *text, const char *what, uint64_t *out)
{
	uint64_t bytes;
	int rc = vk_size_parse(text, VK_MiB, what, &bytes);

	if (rc < 0)
		return rc;
	if (bytes < VK_MiB)
		return vk_errorx(EINVAL, "%s: '%s' is less than 1 MiB", what, text);
	*out = bytes / VK_MiB;
	return 0;
}

static int plan_memory(struct plan *p)
{
	struct vk_subopts so = { 0 };
	const char *v;
	int rc = 0;

	p->vm->memory_mib = p->variant->memory_mib;
	p->vm->max_memory_mib = 0;
	if (opt.ram && opt.memory)
		return vk_errorx(EINVAL, "--ram and --memory both given; use one (--memory MIB)");
	if (opt.ram)
		rc = parse_mib(opt.ram, "--ram", &p->vm->memory_mib);
	if (opt.memory) {
		rc = vk_subopts_parse(opt.memory, memory_keys, "memory", "--memory", &so);
		if (rc < 0)
			return rc;
		if ((v = vk_subopts_get(&so, "memory")) || (v = vk_subopts_get(&so, "currentMemory")))
			rc = parse_mib(v, "--memory", &p->vm->memory_mib);
		if (rc == 0 && (v = vk_subopts_get(&so, "maxmemory")))
			rc = parse_mib(v, "--memory maxmemory", &p->vm->max_memory_mib);
		vk_subopts_free(&so);
	}
	if (rc < 0)
		return rc;
	if (!p->vm->max_memory_mib)
		p->vm->max_memory_mib = p->vm->memory_mib;
	if (p->vm->max_memory_mib < p->vm->memory_mib)
		return vk_errorx(EINVAL, "--memory: maxmemory=%" PRIu64 " is below memory=%" PRIu64 " MiB",
				 p->vm->max_memory_mib, p->vm->memory_mib);
	return 0;
}

static int parse_count(const char *text, const char *what, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < 1 || v > 255)
		return vk_errorx(EINVAL, "%s: '%s' is not a number of CPUs (1-255)", what, text);
	*out = (unsigned)v;
	return 0;
}

static int plan_vcpus(struct plan *p)
{
	struct vk_subopts so = { 0 };
	unsigned topo = 1, n;
	const char *v;
	size_t i;
	int rc = 0;

	p->vm->vcpus = p->variant->vcpus;
	p->vm->max_vcpus = 0;
	if (opt.vcpus) {
		rc = vk_subopts_parse(opt.vcpus, vcpus_keys, "vcpus", "--vcpus", &so);
		if (rc < 0)
			return rc;
		if ((v = vk_subopts_get(&so, "vcpus")))
			rc = parse_count(v, "--vcpus", &p->vm->vcpus);
		if (rc == 0 && (v = vk_subopts_get(&so, "maxvcpus")))
			rc = parse_count(v, "--vcpus maxvcpus", &p->vm->max_vcpus);
		for (i = 2; rc == 0 && vcpus_keys[i]; i++) {
			if ((v = vk_subopts_get(&so, vcpus_keys[i]))) {
				rc = parse_count(v, "--vcpus", &n);
				topo *= n;
			}
		}
		vk_subopts_free(&so);
	}
	if (rc < 0)
		return rc;
	if (!p->vm->max_vcpus)
		p->vm->max_vcpus = topo > p->vm->vcpus ? topo : p->vm->vcpus;
	if (p->vm->max_vcpus < p->vm->vcpus)
		return vk_errorx(EINVAL, "--vcpus: maxvcpus=%u is below vcpus=%u", p->vm->max_vcpus, p->vm->vcpus);
	if (topo > 1 && topo != p->vm->max_vcpus)
		return vk_errorx(EINVAL, "--vcpus: sockets*cores*threads=%u does not match maxvcpus=%u",
				 topo, p->vm->max_vcpus);
	return 0;
}

static int plan_variant(struct plan *p)
{
	const char *name = opt.os_variant;

	if (opt.os_type && strcasecmp(opt.os_type, "linux") && strcasecmp(opt.os_type, "windows") &&
	    strcasecmp(opt.os_type, "unix"))
		return vk_errorx(EINVAL, "--os-type: unknown type '%s'; use linux or windows", opt.os_type);
	if (name && (!strncmp(name, "detect=", 7) || !strcmp(name, "auto") || !strcmp(name, "generic")))
		name = NULL;
	if (name && !strncmp(name, "name=", 5))
		name += 5;
	else if (name && !strncmp(name, "short-id=", 9))
		name += 9;
	if (!name) {
		name = opt.os_type && !strcasecmp(opt.os_type, "windows") ? "windows" : "linux";
		p->variant_defaulted = true;
	}
	if (vk_osvariant_load(name, &p->variant) < 0)
		return -ENOENT;
	if (opt.os_type && !strcasecmp(opt.os_type, "windows") && strcmp(p->variant->family, "windows"))
		return vk_errorx(EINVAL, "--os-type windows does not match --os-variant %s (%s)", p->variant->name,
				 p->variant->description);
	if (!p->variant->supported)
		refuse(p, "%s (%s): %s", p->variant->name, p->variant->description, p->variant->unsupported_reason);
	return 0;
}

static int plan_graphics(struct plan *p)
{
	struct vk_subopts so = { 0 };
	const char *type = NULL;
	int rc;

	if (opt.vnc || opt.vncport || opt.vnclisten)
		type = "vnc";
	if (opt.graphics) {
		rc = vk_subopts_parse(opt.graphics, graphics_keys, "type", "--graphics", &so);
		if (rc < 0)
			return rc;
		type = vk_subopts_get(&so, "type");
		if (!type || !*type) {
			vk_subopts_free(&so);
			return vk_errorx(EINVAL, "--graphics: give a type: none");
		}
		if (strcmp(type, "none") && strcmp(type, "vnc") && strcmp(type, "spice")) {
			rc = vk_errorx(EINVAL, "--graphics: unknown type '%s'; vrun knows only 'none'", type);
			vk_subopts_free(&so);
			return rc;
		}
		if (!strcmp(type, "none") && (opt.vnc || opt.vncport || opt.vnclisten)) {
			vk_subopts_free(&so);
			return vk_errorx(EINVAL, "--graphics none conflicts with --vnc/--vncport/--vnclisten");
		}
	}
	if (type && strcmp(type, "none"))
		refuse(p, "%s graphics: vrun has no graphical display; use --graphics none and the serial "
			  "console (--console pty, with console=ttyS0 in --extra-args)", type);
	if (opt.vncport) {
		char *end;
		long port = strtol(opt.vncport, &end, 10);

		if (*end || end == opt.vncport || port < -1 || port > 65535) {
			vk_subopts_free(&so);
			return vk_errorx(EINVAL, "--vncport: '%s' is not a port number", opt.vncport);
		}
	}
	vk_subopts_free(&so);
	return 0;
}

static int plan_console(struct plan *p)
{
	struct vk_subopts so = { 0 };
	const char *type, *target, *path;
	int rc;

	p->vm->console.kind = VK_CONSOLE_PTY;
	if (!opt.console)
		return 0;
	rc = vk_subopts_parse(opt.console, console_keys, "type", "--console", &so);
	if (rc < 0)
		return rc;
	type = vk_subopts_get(&so, "type");
	target = vk_subopts_get(&so, "target_type");
	path = vk_subopts_get(&so, "path");
	if (!type || !strcmp(type, "pty")) {
		p->vm->console.kind = VK_CONSOLE_PTY;
	} else if (!strcmp(type, "file")) {
		if (!path || !*path) {
			rc = vk_errorx(EINVAL, "--console file needs path=FILE");
			goto out;
		}
		p->vm->console.kind = VK_CONSOLE_FILE;
		p->vm->console.path = absolute(path);
	} else if (!strcmp(type, "none")) {
		p->vm->console.kind = VK_CONSOLE_NONE;
	} else if (!strcmp(type, "stdio")) {
		p->vm->console.kind = VK_CONSOLE_STDIO;
	} else {
		rc = vk_errorx(EINVAL, "--console: unknown type '%s'; use pty, file,path=FILE or none", type);
		goto out;
	}
	if (path && p->vm->console.kind != VK_CONSOLE_FILE) {
		rc = vk_errorx(EINVAL, "--console: path= only goes with the file type");
		goto out;
	}
	if (target && strcmp(target, "serial"))
		refuse(p, "--console target_type=%s: vrun has a serial console only; use target_type=serial", target);
out:
	vk_subopts_free(&so);
	return rc;
}

static int add_nic(struct plan *p, enum vk_nic_kind kind, const char *source, const char *mac, const char *model)
{
	struct vk_nic nic = { .kind = kind, .source = (char *)source, .model = (char *)model };
	int rc;

	if (mac)
		rc = vk_mac_parse(mac, nic.mac);
	else
		rc = vk_mac_generate(nic.mac);
	if (rc < 0)
		return vk_error_prefix(rc, "--network mac");
	if (strcmp(model, "virtio") && p->variant->supported)
		refuse(p, "--network model=%s: vrun emulates virtio-net only; use model=virtio "
			  "(every current Linux installer has the driver)", model);
	return vk_vm_add_nic(p->vm, &nic);
}

static int plan_networks(struct plan *p)
{
	struct vk_subopts so = { 0 };
	const char *bridge, *tap, *mac, *model, *net, *type;
	size_t i;
	int rc = 0;

	for (i = 0; opt.bridges && opt.bridges[i]; i++) {
		if (!*opt.bridges[i])
			return vk_errorx(EINVAL, "--bridge: give a bridge name");
		rc = add_nic(p, VK_NIC_BRIDGE, opt.bridges[i], NULL, p->variant->nic_model);
		if (rc < 0)
			return rc;
	}
	for (i = 0; opt.networks && opt.networks[i]; i++) {
		if (!strcmp(opt.networks[i], "none")) {
			if (p->vm->n_nics || (opt.networks[1] && i == 0) || i > 0)
				return vk_errorx(EINVAL, "--network none cannot be combined with other NICs");
			continue;
		}
		rc = vk_subopts_parse(opt.networks[i], network_keys, NULL, "--network", &so);
		if (rc < 0)
			return rc;
		bridge = vk_subopts_get(&so, "bridge");
		tap = vk_subopts_get(&so, "tap");
		net = vk_subopts_get(&so, "network");
		type = vk_subopts_get(&so, "type");
		mac = vk_subopts_get(&so, "mac");
		model = vk_subopts_get(&so, "model");
		if (!model)
			model = p->variant->nic_model;
		if (type && strcmp(type, "bridge") && strcmp(type, "tap"))
			refuse(p, "--network type=%s: vrun connects NICs to a bridge or a tap only; "
				  "use --network bridge=BR", type);
		if (net || vk_subopts_get(&so, "none"))
			refuse(p, "--network network=%s: there are no libvirt networks here; create a bridge "
				  "(ip link add br0 type bridge) and use --network bridge=br0", net ? net : "");
		if (bridge && tap) {
			rc = vk_errorx(EINVAL, "--network: bridge= and tap= are exclusive");
		} else if (bridge || tap) {
			if (!*(bridge ? bridge : tap))
				rc = vk_errorx(EINVAL, "--network: %s= needs a name", bridge ? "bridge" : "tap");
			else
				rc = add_nic(p, bridge ? VK_NIC_BRIDGE : VK_NIC_TAP, bridge ? bridge : tap, mac, model);
		} else if (!net && !type) {
			rc = vk_errorx(EINVAL, "--network %s: say where the NIC goes: bridge=BR or tap=NAME",
				       opt.networks[i]);
		}
		vk_subopts_free(&so);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * The format of an image this run did not make (docs/images.md): what the
 * user stated, or raw.  The first bytes are only looked at to refuse: a raw
 * disk whose guest wrote a qcow2 header there could name any host file as
 * its backing, so a qcow2 magic without a stated format is an error, never
 * a reason to open the file as qcow2.
 */
/* vk_image_format_decide() with vinstall's words: "--disk X: ... state format=qcow2". */
static int image_format_of(const char *path, const char *what, const char *key, bool given,
			   enum vk_image_format *fmt)
{
	char option[32];
	const struct vk_format_rule rule = { .what = what, .option = option };

	snprintf(option, sizeof(option), "%s=", key);
	return vk_image_format_decide(path, &rule, given, fmt);
}

/* --check NAME=on|off,... (repeatable) and --force (all off), as virt-install. */
static int plan_checks(void)
{
	static const char *const keys[] = { "path_in_use", "path_exists", "disk_size", "mac_in_use", "all", NULL };
	bool *flags[] = { &checks.path_in_use, &checks.path_exists, &checks.disk_size, &checks.mac_in_use };
	size_t i, k;
	int rc = 0;

	if (opt.force && !opt.checks)
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			*flags[k] = false;
	for (i = 0; rc == 0 && opt.checks && opt.checks[i]; i++) {
		struct vk_subopts so = { 0 };
		bool all = true;

		rc = vk_subopts_parse(opt.checks[i], keys, NULL, "--check", &so);
		if (rc == 0 && vk_subopts_get(&so, "all") && (rc = vk_subopts_get_bool(&so, "all", "--check all", &all)) == 0)
			for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
				*flags[k] = all;
		for (k = 0; rc == 0 && k < sizeof(flags) / sizeof(flags[0]); k++)
			rc = vk_subopts_get_bool(&so, keys[k], "--check", flags[k]);
		vk_subopts_free(&so);
	}
	return rc;
}

/* A check that fails stops the run, with virt-install's way out. */
static int check_failed(const char *check, int err, const char *msg)
{
	return vk_errorx(err, "%s (use --check %s=off or --check all=off to override)", msg, check);
}

/* An existing disk this VM would use, against the other definitions. */
static int check_disk_in_use(const struct planned_disk *d)
{
	char **users = NULL, msg[VK_ERRMSG_MAX];
	size_t n = 0, i, len;
	int rc;

	rc = vk_vm_disk_users(d->disk.path, d->disk.shareable, d->disk.readonly, NULL, &users, &n);
	if (rc < 0 || n == 0)
		goto out;
	len = (size_t)snprintf(msg, sizeof(msg), "Disk %s is already in use by other guests [", d->disk.path);
	for (i = 0; i < n && len < sizeof(msg); i++)
		len += (size_t)snprintf(msg + len, sizeof(msg) - len, "%s'%s'", i ? ", " : "", users[i]);
	if (len < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, "]; give shareable=on on both to share it");
	if (checks.path_in_use)
		rc = check_failed("path_in_use", EBUSY, msg);
	else
		vk_warn("%s", msg);
out:
	vk_strv_free(users);
	return rc;
}

/* An existing image is opened (read-only, backing chain and all) at plan
 * time, so a damaged one is refused by --dry-run as by the real run. */
static int check_image_opens(const struct planned_disk *d)
{
	struct vk_image *img = NULL;
	int rc = vk_image_open(d->disk.path, d->disk.format, VK_IMAGE_RDONLY, &img);

	if (rc < 0)
		return vk_error_prefix(rc, "--disk");
	vk_image_close(img);
	return 0;
}

static int plan_add_disk(struct plan *p, const struct planned_disk *d)
{
	struct planned_disk *bigger = realloc(p->disks, (p->n_disks + 1) * sizeof(*bigger));

	if (!bigger)
		return vk_error(ENOMEM, "disk");
	p->disks = bigger;
	p->disks[p->n_disks++] = *d;
	return 0;
}

static int default_disk_path(struct plan *p, char **out)
{
	char name[VK_NAME_MAX + 16];

	if (p->n_disks)
		snprintf(name, sizeof(name), "%s-%zu.qcow2", p->vm->name, p->n_disks + 1);
	else
		snprintf(name, sizeof(name), "%s.qcow2", p->vm->name);
	return state_file("images", name, out);
}

static int plan_one_disk(struct plan *p, const char *text)
{
	struct planned_disk d = { .sparse = true };
	struct vk_subopts so = { 0 };
	const char *v, *path;
	bool fmt_given = false;
	struct stat st;
	int rc;

	rc = vk_subopts_parse(text, disk_keys, "path", "--disk", &so);
	if (rc < 0)
		return rc;
	if ((v = vk_subopts_get(&so, "pool")) || (v = vk_subopts_get(&so, "vol")))
		refuse(p, "--disk pool=/vol=: there are no storage pools here; give path=FILE");
	if ((v = vk_subopts_get(&so, "device"))) {
		if (!strcmp(v, "cdrom")) {
			d.disk.device = VK_DEVICE_CDROM;
			d.disk.readonly = true;
		} else if (strcmp(v, "disk")) {
			rc = vk_errorx(EINVAL, "--disk device=%s: use disk or cdrom", v);
			goto out;
		}
	}
	d.disk.bus = VK_BUS_VIRTIO;
	if (!(v = vk_subopts_get(&so, "bus")) && d.disk.device == VK_DEVICE_DISK)
		v = p->variant->supported ? NULL : p->variant->disk_bus;
	if (v && (rc = vk_disk_bus_parse(v, &d.disk.bus)) < 0)
		goto out;
	if (d.disk.bus != VK_BUS_VIRTIO && vk_subopts_get(&so, "bus") && d.disk.device == VK_DEVICE_DISK)
		refuse(p, "--disk bus=%s: vrun emulates virtio-blk only (and CD-ROMs on AHCI); use bus=virtio", v);
	/* vrun's CD-ROMs are ATAPI drives on its AHCI controller. */
	d.disk.bus = d.disk.device == VK_DEVICE_CDROM ? VK_BUS_SATA : VK_BUS_VIRTIO;
	if ((v = vk_subopts_get(&so, "cache")) && (rc = vk_disk_cache_parse(v, &d.disk.cache)) < 0)
		goto out;
	if ((v = vk_subopts_get(&so, "format"))) {
		rc = vk_image_format_parse(v, &d.disk.format);
		if (rc < 0)
			goto out;
		fmt_given = true;
	}
	rc = vk_subopts_get_bool(&so, "readonly", "--disk readonly", &d.disk.readonly);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "sparse", "--disk sparse", &d.sparse);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "shareable", "--disk shareable", &d.disk.shareable);
	if (rc < 0)
		goto out;
	if (d.disk.device == VK_DEVICE_CDROM)
		d.disk.readonly = true;
	if ((v = vk_subopts_get(&so, "serial")) && !(d.disk.serial = strdup(v))) {
		rc = vk_error(ENOMEM, "--disk");
		goto out;
	}
	if ((v = vk_subopts_get(&so, "size"))) {
		rc = vk_size_parse(v, VK_GiB, "--disk size", &d.size);
		if (rc < 0)
			goto out;
		if (d.size < VK_MiB) {
			rc = vk_errorx(EINVAL, "--disk size=%s: too small (sizes are in GiB; 1M is the least)", v);
			goto out;
		}
	}
	path = vk_subopts_get(&so, "path");
	if (path && !*path) {
		rc = vk_errorx(EINVAL, "--disk: path= is empty");
		goto out;
	}
	if (path)
		d.disk.path = absolute(path);
	else if ((rc = default_disk_path(p, &d.disk.path)) < 0)
		goto out;
	if (!d.disk.path) {
		rc = vk_error(ENOMEM, "--disk");
		goto out;
	}
	if ((v = vk_subopts_get(&so, "backing_format")) && !vk_subopts_get(&so, "backing_store")) {
		rc = vk_errorx(EINVAL, "--disk backing_format= goes with backing_store=");
		goto out;
	}
	if ((v = vk_subopts_get(&so, "backing_store"))) {
		const char *bf = vk_subopts_get(&so, "backing_format");

		if (fmt_given && d.disk.format != VK_IMAGE_QCOW2) {
			rc = vk_errorx(EINVAL, "--disk backing_store= needs format=qcow2");
			goto out;
		}
		d.disk.format = VK_IMAGE_QCOW2;
		fmt_given = true;
		d.backing = absolute(v);
		if (!d.backing) {
			rc = vk_error(ENOMEM, "--disk");
			goto out;
		}
		if (access(v, R_OK) < 0) {
			rc = vk_error(errno, "--disk backing_store=%s", v);
			goto out;
		}
		if (bf && (rc = vk_image_format_parse(bf, &d.backing_format)) < 0)
			goto out;
		/* The format goes into the new overlay's header, where every
		 * later open trusts it: it is stated or raw, never guessed. */
		rc = image_format_of(d.backing, "--disk backing_store", "backing_format", bf != NULL,
				     &d.backing_format);
		if (rc < 0)
			goto out;
	}
	if (lstat(d.disk.path, &st) == 0 && S_ISLNK(st.st_mode) && stat(d.disk.path, &st) < 0) {
		rc = vk_errorx(EEXIST, "--disk %s: is a symbolic link to a file that does not exist; a new disk "
			       "is never created through a symlink: remove it or give another path", d.disk.path);
		goto out;
	}
	if (stat(d.disk.path, &st) == 0) {
		if (d.backing) {
			rc = vk_errorx(EEXIST, "--disk %s: exists; backing_store= creates a new overlay", d.disk.path);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			rc = vk_errorx(EISDIR, "--disk %s: is a directory; name an image file", d.disk.path);
			goto out;
		}
		rc = vk_check_input(d.disk.path, VK_INPUT_REGULAR | VK_INPUT_BLOCK, "--disk");
		if (rc < 0)
			goto out;
		if (vk_subopts_get(&so, "size") && checks.path_exists) {
			/* size= asks for a new disk: silently writing into one that
			 * is there (another VM's, or a device) would destroy it. */
			rc = vk_errorx(EEXIST, "--disk %s: exists already, and size= asks for a new disk; drop "
				       "size= to use the existing one as it is, or remove it first (use --check "
				       "path_exists=off or --check all=off to override)", d.disk.path);
			goto out;
		}
		if (access(d.disk.path, d.disk.readonly ? R_OK : R_OK | W_OK) < 0) {
			rc = vk_error(errno, "--disk %s", d.disk.path);
			goto out;
		}
		/* An existing image is used as it is, in the format stated
		 * (or raw); that is what the definition records. */
		rc = image_format_of(d.disk.path, "--disk", "format", fmt_given, &d.disk.format);
		if (rc == 0)
			rc = check_image_opens(&d);
		if (rc == 0)
			rc = check_disk_in_use(&d);
		if (rc < 0)
			goto out;
	} else if (errno != ENOENT) {
		rc = vk_error(errno, "--disk %s", d.disk.path);
		goto out;
	} else {
		if (d.disk.device == VK_DEVICE_CDROM || d.disk.readonly) {
			rc = vk_errorx(ENOENT, "--disk %s: does not exist (a cdrom or read-only disk must)", d.disk.path);
			goto out;
		}
		d.create = true;
		if (!fmt_given && !path)
			d.disk.format = VK_IMAGE_QCOW2;
		if (!d.size && !d.backing) {
			d.size = p->variant->disk_size_gib * VK_GiB;
			d.size_from_variant = true;
		}
	}
	if (!vk_subopts_get(&so, "path") && !vk_subopts_get(&so, "size") && !d.create) {
		rc = vk_errorx(EINVAL, "--disk %s: give path= and/or size=", text);
		goto out;
	}
	rc = plan_add_disk(p, &d);
	if (rc == 0)
		memset(&d, 0, sizeof(d));
out:
	free(d.disk.path);
	free(d.disk.serial);
	free(d.backing);
	vk_subopts_free(&so);
	return rc;
}

static int plan_disks(struct plan *p)
{
	size_t i, j;
	int rc;

	for (i = 0; opt.disks && opt.disks[i]; i++) {
		if (!strcmp(opt.disks[i], "none"))
			continue;
		rc = plan_one_disk(p, opt.disks[i]);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < p->n_disks; i++)
		for (j = i + 1; j < p->n_disks; j++)
			if (!strcmp(p->disks[i].disk.path, p->disks[j].disk.path))
				return vk_errorx(EINVAL, "--disk %s: given twice", p->disks[i].disk.path);
	return 0;
}

/* The firmware's part of --boot ("hd,cdrom,menu=on" among kernel= and the
 * rest), checked and kept in the spelling the definition stores. */
static int plan_boot_order(struct plan *p, const struct vk_subopts *so)
{
	static const char *const order_keys[] = { "hd", "cdrom", "network", "menu", NULL };
	struct vk_boot_order order;
	char text[128] = "", normal[128];
	size_t len = 0;
	int rc;

	for (size_t i = 0; i < so->n; i++)
		for (size_t k = 0; order_keys[k]; k++)
			if (strcmp(so->items[i].key, order_keys[k]) == 0)
				len += (size_t)snprintf(text + len, len < sizeof(text) ? sizeof(text) - len : 0,
							"%s%s%s%s", len ? "," : "", so->items[i].key,
							*so->items[i].value ? "=" : "", so->items[i].value);
	if (!len)
		return 0;
	if (len >= sizeof(text))
		return vk_errorx(EINVAL, "--boot: the boot order is too long");
	rc = vk_boot_order_parse(text, "--boot", &order);
	if (rc == 0)
		rc = vk_boot_order_format(&order, normal, sizeof(normal));
	if (rc < 0)
		return rc;
	p->boot_order = strdup(normal);
	return p->boot_order ? 0 : vk_error(ENOMEM, "--boot");
}

static int plan_boot_option(struct plan *p)
{
	struct vk_subopts so = { 0 };
	const char *k, *r, *args;
	int rc;

	if (!opt.boot)
		return 0;
	rc = vk_subopts_parse(opt.boot, boot_keys, NULL, "--boot", &so);
	if (rc < 0)
		return rc;
	if (vk_subopts_get(&so, "uefi") || vk_subopts_get(&so, "loader"))
		refuse(p, "--boot uefi/loader: vrun's firmware is SeaBIOS (a PC BIOS), there is no UEFI; "
			  "drop it to boot the disk through the BIOS, or use --boot kernel=,initrd=");
	rc = plan_boot_order(p, &so);
	if (rc < 0)
		goto out;
	k = vk_subopts_get(&so, "kernel");
	r = vk_subopts_get(&so, "initrd");
	args = vk_subopts_get(&so, "kernel_args");
	if (!args)
		args = vk_subopts_get(&so, "cmdline");
	if ((r || args) && !k) {
		rc = vk_errorx(EINVAL, "--boot: initrd= and kernel_args= need kernel=");
		goto out;
	}
	if (k && p->boot_order) {
		rc = vk_errorx(EINVAL, "--boot: kernel= boots without firmware, and %s is the firmware's "
			       "boot order; give one or the other", p->boot_order);
		goto out;
	}
	if (k) {
		if (access(k, R_OK) < 0 || (r && access(r, R_OK) < 0)) {
			rc = vk_error(errno, "--boot %s", access(k, R_OK) < 0 ? k : r);
			goto out;
		}
		rc = vk_check_input(k, VK_INPUT_REGULAR, "--boot kernel");
		if (rc == 0 && r)
			rc = vk_check_input(r, VK_INPUT_REGULAR, "--boot initrd");
		if (rc < 0)
			goto out;
		p->kernel_src = absolute(k);
		p->initrd_src = r ? absolute(r) : NULL;
	}
	if (args)
		p->final_cmdline = strdup(args);
out:
	vk_subopts_free(&so);
	return rc;
}

/* Substitute %L (volume label, blanks escaped) and %U (tree URL). */
static char *expand_repo_arg(const char *pattern, const struct vk_media *m)
{
	size_t cap = strlen(pattern) + 4 * strlen(vk_media_location(m)) + 4 * 64 + 1, n = 0;
	char *out = malloc(cap);
	const char *s, *sub;

	if (!out)
		return NULL;
	for (; *pattern; pattern++) {
		if (pattern[0] == '%' && (pattern[1] == 'L' || pattern[1] == 'U')) {
			sub = pattern[1] == 'L' ? vk_media_volume_id(m) : vk_media_location(m);
			for (s = sub; *s && n + 5 < cap; s++) {
				if (*s == ' ' && pattern[1] == 'L')
					n += (size_t)snprintf(out + n, cap - n, "\\x20");
				else
					out[n++] = *s;
			}
			pattern++;
		} else if (n + 1 < cap) {
			out[n++] = *pattern;
		}
	}
	out[n] = '\0';
	return out;
}

/* Variant arguments first, then the repository argument, then --extra-args,
 * leaving out variant words the user already gave. */
static int build_cmdline(struct plan *p)
{
	const char *repo_pattern = "";
	char *repo = NULL, *copy = NULL, *word, *save = NULL;
	size_t cap;
	int rc = 0;

	if (p->kind == INSTALL_LOCATION) {
		if (vk_media_kind(p->media) == VK_MEDIA_ISO)
			repo_pattern = p->variant->repo_arg_cdrom;
		else if (vk_media_kind(p->media) == VK_MEDIA_URL)
			repo_pattern = p->variant->repo_arg_url;
		repo = expand_repo_arg(repo_pattern, p->media);
	} else {
		repo = strdup("");
	}
	copy = strdup(p->variant->kernel_args);
	cap = strlen(p->variant->kernel_args) + (repo ? strlen(repo) : 0) +
	      (opt.extra_args ? strlen(opt.extra_args) : 0) + 4;
	p->cmdline = calloc(1, cap);
	if (!repo || !copy || !p->cmdline) {
		rc = vk_error(ENOMEM, "kernel command line");
		goto out;
	}
	for (word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		const char *extra = opt.extra_args ? strstr(opt.extra_args, word) : NULL;
		size_t wl = strlen(word);

		if (extra && (extra == opt.extra_args || extra[-1] == ' ') && (extra[wl] == ' ' || !extra[wl]))
			continue;
		if (*p->cmdline)
			strcat(p->cmdline, " ");
		strcat(p->cmdline, word);
	}
	if (*repo) {
		if (*p->cmdline)
			strcat(p->cmdline, " ");
		strcat(p->cmdline, repo);
	}
	if (opt.extra_args && *opt.extra_args) {
		if (*p->cmdline)
			strcat(p->cmdline, " ");
		strcat(p->cmdline, opt.extra_args);
	}
out:
	free(repo);
	free(copy);
	return rc;
}

/* --cdrom: the ISO on a CD-ROM, booted by its own boot loader through the
 * firmware (El Torito); when the installer reboots, the disk boots. */
static int plan_cdrom(struct plan *p)
{
	struct planned_disk d = { .installer_medium = true };
	int rc;

	if (p->kernel_src)
		return vk_errorx(EINVAL, "--cdrom boots the CD's own boot loader, --boot kernel= a kernel of "
				 "yours: give one of them");
	if (opt.extra_args || opt.injects)
		return vk_errorx(EINVAL, "--%s: the CD's boot loader starts its kernel, with its own "
				 "arguments; use --location %s to boot the CD's kernel with yours",
				 opt.extra_args ? "extra-args" : "initrd-inject", opt.cdrom);
	if (strstr(opt.cdrom, "://"))
		return vk_errorx(EINVAL, "--cdrom %s: give a local ISO file or CD device (to install from a "
				 "URL, use --location URL)", opt.cdrom);
	p->kind = INSTALL_CDROM;
	if (!p->variant->supported)
		return 0;	/* refused already */
	rc = vk_check_input(opt.cdrom, VK_INPUT_REGULAR | VK_INPUT_BLOCK, "--cdrom");
	if (rc < 0)
		return rc;	/* the message names --cdrom */
	rc = vk_media_open(opt.cdrom, &p->media);
	if (rc == 0 && vk_media_kind(p->media) != VK_MEDIA_ISO)
		rc = vk_errorx(EINVAL, "%s: not an ISO image or CD device", opt.cdrom);
	if (rc == 0 && (rc = vk_media_iso_bootable(p->media)) == 0)
		rc = vk_errorx(EINVAL, "%s: the ISO has no El Torito boot record, so it cannot boot from a "
			       "CD-ROM; use --location %s to boot the installer kernel on it directly",
			       opt.cdrom, opt.cdrom);
	if (rc < 0)
		return vk_error_prefix(rc, "--cdrom");
	d.disk.path = absolute(opt.cdrom);
	d.disk.device = VK_DEVICE_CDROM;
	d.disk.bus = VK_BUS_SATA;
	d.disk.readonly = true;
	d.disk.format = VK_IMAGE_RAW;
	if (!d.disk.path)
		return vk_error(ENOMEM, "--cdrom");
	rc = plan_add_disk(p, &d);
	/* The first CD-ROM, before any --disk device=cdrom (a drivers CD):
	 * the firmware tries CD-ROMs in that order. */
	for (size_t i = 0; rc == 0 && i + 1 < p->n_disks; i++) {
		if (p->disks[i].disk.device == VK_DEVICE_CDROM) {
			memmove(&p->disks[i + 1], &p->disks[i], (p->n_disks - 1 - i) * sizeof(p->disks[0]));
			p->disks[i] = d;
			break;
		}
	}
	return rc;
}

static int plan_install(struct plan *p)
{
	struct vk_subopts so = { 0 };
	const char *loc, *k, *r;
	int methods = !!opt.location + !!opt.cdrom + !!opt.import;
	int rc;

	if (methods > 1)
		return vk_errorx(EINVAL, "--location, --cdrom and --import are exclusive; give one");
	if (p->boot_order && !opt.import && !opt.cdrom)
		refuse(p, "--boot %s: the install boots the installer's kernel directly; a firmware boot "
			  "order is for --import (or --cdrom)", p->boot_order);
	if (opt.cdrom)
		return plan_cdrom(p);
	if (opt.extra_args && !opt.location && !p->kernel_src)
		return vk_errorx(EINVAL, "--extra-args only works with --location or --boot kernel=");
	if (opt.injects && !opt.location && !p->kernel_src)
		return vk_errorx(EINVAL, "--initrd-inject only works with --location or --boot kernel=,initrd=");
	if (opt.import) {
		p->kind = INSTALL_IMPORT;
		if (!p->n_disks || p->disks[0].create)
			return vk_errorx(EINVAL, "--import needs an existing disk: --disk path=FILE");
		if (p->kernel_src)
			return 0;
		/* A disk with a boot loader boots itself, through the firmware, so
		 * the kernels its system installs later are the ones that boot. */
		rc = vk_disk_boot_code(p->disks[0].disk.path, p->disks[0].disk.format, p->boot_loader,
				       sizeof(p->boot_loader));
		if (rc < 0)
			return vk_error_prefix(rc, "--import");
		p->firmware_boot = rc == 1 || p->boot_order;
		return 0;
	}
	if (!opt.location) {
		if (p->kernel_src) {
			p->kind = INSTALL_KERNEL;
			return build_cmdline(p);
		}
		return vk_errorx(EINVAL, "an install method is needed: --location MEDIA, --cdrom ISO, --import, "
				 "or --boot kernel=PATH");
	}
	p->kind = INSTALL_LOCATION;
	rc = vk_subopts_parse(opt.location, location_keys, "location", "--location", &so);
	if (rc < 0)
		return rc;
	loc = vk_subopts_get(&so, "location");
	k = vk_subopts_get(&so, "kernel");
	r = vk_subopts_get(&so, "initrd");
	if (!loc || !*loc) {
		rc = vk_errorx(EINVAL, "--location: give the ISO, directory or URL");
		goto out;
	}
	if (!p->variant->supported)
		goto out;	/* refused already; do not touch the medium */
	rc = vk_media_open(loc, &p->media);
	if (rc < 0) {
		vk_error_prefix(rc, "--location");
		goto out;
	}
	rc = vk_media_find_boot(p->media, k, r, p->variant->layouts, p->variant->n_layouts,
				&p->media_kernel, &p->media_initrd);
	if (rc == -ENOENT && !k && !r && p->variant->n_layouts) {
		/* The variant's layouts may be wrong for this medium (--os-variant
		 * rhel6 with a Debian ISO): the generic list knows them all. */
		struct vk_osvariant *generic = NULL;
		char saved[VK_ERRMSG_MAX];

		snprintf(saved, sizeof(saved), "%s", vk_last_error());
		if (strcmp(p->variant->name, "linux") && vk_osvariant_load("linux", &generic) == 0) {
			rc = vk_media_find_boot(p->media, NULL, NULL, generic->layouts, generic->n_layouts,
						&p->media_kernel, &p->media_initrd);
			vk_osvariant_free(generic);
		}
		if (rc < 0)
			vk_errorx(ENOENT, "%s", saved);
	}
	if (rc < 0) {
		vk_error_prefix(rc, "--location");
		goto out;
	}
	if (vk_media_kind(p->media) == VK_MEDIA_ISO) {
		struct planned_disk d = { .installer_medium = true };

		d.disk.path = absolute(loc);
		d.disk.device = VK_DEVICE_CDROM;
		d.disk.bus = VK_BUS_SATA;
		d.disk.readonly = true;
		d.disk.format = VK_IMAGE_RAW;
		rc = d.disk.path ? plan_add_disk(p, &d) : vk_error(ENOMEM, "--location");
		if (rc < 0)
			goto out;
	}
	rc = build_cmdline(p);
out:
	vk_subopts_free(&so);
	return rc;
}

static int plan_wait(struct plan *p)
{
	char *end;
	long v;

	p->wait_minutes = -1;
	if (!opt.wait)
		return 0;
	errno = 0;
	v = strtol(opt.wait, &end, 10);
	if (errno || end == opt.wait || *end || v < -1 || v > 100000)
		return vk_errorx(EINVAL, "--wait: '%s' is not a number of minutes (-1 waits forever)", opt.wait);
	p->wait_minutes = (int)v;
	return 0;
}

static const char *net_sysfs(void)
{
	const char *env = getenv("VKIT_SYSFS_NET");

	return env && *env ? env : "/sys/class/net";
}

/* The directory a new file goes in, or the nearest one above it that exists
 * (the state directory's images/ appears only when the real run starts). */
static void existing_dir_of(const char *file, char *out, size_t len)
{
	char *copy = strdup(file);
	struct stat st;

	snprintf(out, len, "%s", copy ? dirname(copy) : "/");
	free(copy);
	while (stat(out, &st) < 0 && errno == ENOENT && strcmp(out, "/") && strcmp(out, ".")) {
		copy = strdup(out);
		snprintf(out, len, "%s", copy ? dirname(copy) : "/");
		free(copy);
	}
}

/* Disk i's filesystem must hold every new non-sparse disk of this run that
 * lands on it, not each alone: two 30 GiB disks need 60 GiB there. */
static int check_space_with_others(const struct plan *p, size_t i, const char *dir)
{
	char other_dir[PATH_MAX];
	struct stat here, there;
	uint64_t need = 0;
	size_t j;
	int rc;

	if (!checks.disk_size)
		return 0;
	if (stat(dir, &here) < 0)
		return vk_error(errno, "%s", dir);
	for (j = 0; j < p->n_disks; j++) {
		const struct planned_disk *o = &p->disks[j];

		if (!o->create || o->sparse)
			continue;
		existing_dir_of(o->disk.path, other_dir, sizeof(other_dir));
		if (j < i && stat(other_dir, &there) == 0 && there.st_dev == here.st_dev)
			return 0;	/* checked with the first disk on this filesystem */
		if (stat(other_dir, &there) == 0 && there.st_dev == here.st_dev)
			need += o->size;
	}
	rc = vk_image_check_space(dir, need);
	if (rc < 0) {
		char why[VK_ERRMSG_MAX];

		snprintf(why, sizeof(why), "--disk %s: %s", p->disks[i].disk.path, vk_last_error());
		rc = check_failed("disk_size", ENOSPC, why);
	}
	return rc;
}

/* A MAC given with mac= that another definition has already. */
static int check_macs(const struct plan *p)
{
	char **names = NULL, msg[VK_ERRMSG_MAX];
	size_t n = 0, i, j, k;
	int rc;

	if (!checks.mac_in_use || !p->vm->n_nics)
		return 0;
	rc = vk_vm_list(&names, &n);
	for (i = 0; rc == 0 && i < n; i++) {
		struct vk_vm *other = NULL;

		if (vk_vm_lookup(names[i], &other) < 0)
			continue;
		for (j = 0; rc == 0 && j < p->vm->n_nics; j++)
			for (k = 0; rc == 0 && k < other->n_nics; k++)
				if (!strcasecmp(p->vm->nics[j].mac, other->nics[k].mac)) {
					snprintf(msg, sizeof(msg), "The MAC address '%s' is in use by another "
						 "virtual machine ('%s')", other->nics[k].mac, other->name);
					rc = check_failed("mac_in_use", EADDRINUSE, msg);
				}
		vk_vm_free(other);
	}
	if (rc == 0)
		vk_error_clear();	/* definitions that did not parse are not ours to judge */
	vk_strv_free(names);
	return rc;
}

/* Step 1 of the flow: everything is checked before anything is created. */
static int plan_check_host(struct plan *p)
{
	char path[PATH_MAX], file[VK_NAME_MAX + 8], *def = NULL;
	struct stat st;
	size_t i;
	int rc;

	snprintf(file, sizeof(file), "%s.json", p->vm->name);
	rc = state_file("vms", file, &def);
	if (rc < 0)
		return rc;
	rc = stat(def, &st) == 0 ? vk_errorx(EEXIST, "%s: a VM of that name exists already; pick another --name "
					     "(or, if it is not running, remove its definition: rm %s)",
					     p->vm->name, def) : 0;
	free(def);
	if (rc < 0)
		return rc;
	rc = check_macs(p);
	if (rc < 0)
		return rc;
	for (i = 0; i < p->vm->n_nics; i++) {
		const struct vk_nic *nic = &p->vm->nics[i];

		if (nic->kind != VK_NIC_BRIDGE)
			continue;
		snprintf(path, sizeof(path), "%s/%s/bridge", net_sysfs(), nic->source);
		if (access(path, F_OK) < 0)
			return vk_errorx(ENODEV, "bridge %s: no such bridge on this host; create it "
					 "(ip link add %s type bridge; ip link set %s up) or name another",
					 nic->source, nic->source, nic->source);
	}
	for (i = 0; i < p->n_disks; i++) {
		const struct planned_disk *d = &p->disks[i];

		if (!d->create)
			continue;
		existing_dir_of(d->disk.path, path, sizeof(path));
		if (access(path, W_OK | X_OK) < 0)
			return vk_error(errno, "--disk %s: cannot create it in %s", d->disk.path, path);
		rc = check_space_with_others(p, i, path);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int plan_build(struct plan *p)
{
	int rc;

	if (!opt.name)
		return vk_errorx(EINVAL, "--name is required");
	rc = plan_checks();
	if (rc < 0)
		return rc;
	rc = vk_name_check(opt.name);
	if (rc < 0)
		return vk_error_prefix(rc, "--name");
	p->vm = vk_vm_new(opt.name);
	if (!p->vm)
		return vk_error(errno ? errno : ENOMEM, "%s", opt.name);
	if (opt.uuid) {
		if (!vk_uuid_valid(opt.uuid))
			return vk_errorx(EINVAL, "--uuid: '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", opt.uuid);
		snprintf(p->vm->uuid, sizeof(p->vm->uuid), "%s", opt.uuid);
	}
	p->vm->autostart = opt.autostart;
	if ((rc = plan_variant(p)) < 0 || (rc = plan_memory(p)) < 0 || (rc = plan_vcpus(p)) < 0 ||
	    (rc = plan_graphics(p)) < 0 || (rc = plan_console(p)) < 0 || (rc = plan_networks(p)) < 0 ||
	    (rc = plan_boot_option(p)) < 0 || (rc = plan_disks(p)) < 0 || (rc = plan_wait(p)) < 0 ||
	    (rc = plan_install(p)) < 0)
		return rc;
	p->vm->os_variant = strdup(p->variant->name);
	return state_file("boot", p->vm->name, &p->boot_dir);
}

static int boot_file(const struct plan *p, const char *name, char **out)
{
	if (asprintf(out, "%s/%s", p->boot_dir, name) < 0) {
		*out = NULL;
		return vk_error(ENOMEM, "%s", name);
	}
	return 0;
}

/* The definition as it is saved for the install: the installer's kernel. */
static int plan_definition(struct plan *p)
{
	struct vk_boot *b = &p->vm->boot;
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n_disks; i++) {
		rc = vk_vm_add_disk(p->vm, &p->disks[i].disk);
		if (rc < 0)
			return rc;
	}
	if (p->kind == INSTALL_IMPORT && !p->kernel_src) {
		b->kind = VK_BOOT_DISK;
		if (p->boot_order && !(b->order = strdup(p->boot_order)))
			return vk_error(ENOMEM, "--boot");
		return 0;
	}
	if (p->kind == INSTALL_CDROM) {
		/* Until the installer reboots; --boot's order is the installed system's. */
		b->kind = VK_BOOT_DISK;
		b->order = strdup(CDROM_INSTALL_ORDER);
		return b->order ? 0 : vk_error(ENOMEM, "--cdrom");
	}
	b->kind = VK_BOOT_KERNEL;
	if ((rc = boot_file(p, p->kind == INSTALL_IMPORT ? "kernel" : "installer-kernel", &b->kernel)) < 0)
		return rc;
	if ((p->media_initrd || p->initrd_src) &&
	    (rc = boot_file(p, p->kind == INSTALL_IMPORT ? "initrd" : "installer-initrd", &b->initrd)) < 0)
		return rc;
	if (p->kind == INSTALL_IMPORT)
		b->cmdline = strdup(p->final_cmdline ? p->final_cmdline : p->variant->kernel_args);
	else
		b->cmdline = strdup(p->cmdline);
	return b->cmdline ? 0 : vk_error(ENOMEM, "cmdline");
}

static char *shell_quote(const char *s)
{
	size_t n = 3;
	const char *c;
	char *out, *o;

	if (*s && !strpbrk(s, " \t\n'\"\\$`*?[]{}()<>|;&#~"))
		return strdup(s);
	for (c = s; *c; c++)
		n += *c == '\'' ? 4 : 1;
	o = out = malloc(n);
	if (!out)
		return NULL;
	*o++ = '\'';
	for (c = s; *c; c++) {
		if (*c == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *c;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* vrun's command line for the definition.  The installer's run ends at
 * its reboot (vrun --no-reboot exits 2), so that vinstall can detach the
 * install medium and boot the installed system; a system's run reboots in
 * place. */
static int vrun_argv(const struct vk_vm *vm, const char *vrun, const char *console, bool installer,
		     struct vk_argv *a)
{
	int rc = vk_vrun_argv(vm, vrun, console, a);

	if (rc == 0 && installer && (rc = vk_argv_add(a, "--no-reboot")) < 0)
		vk_argv_free(a);
	return rc;
}

/* vrun's command line for the definition, quoted for a shell. */
static void print_vrun_argv(const struct vk_vm *vm, const char *vrun, const char *console, bool installer)
{
	struct vk_argv a = { 0 };
	size_t i;
	char *q;

	if (vrun_argv(vm, vrun, console, installer, &a) < 0) {
		/* --import before the kernel is found on the disk */
		printf("    %s --name %s --kernel (the kernel found on the disk) ...\n", vrun, vm->name);
		vk_error_clear();
		return;
	}
	for (i = 0; i < a.n; i++) {
		q = shell_quote(a.v[i]);
		printf("%s%s", i ? " " : "    ", q ? q : "?");
		free(q);
	}
	printf("\n");
	vk_argv_free(&a);
}

/* Whether vinstall shows the console on the user's terminal. */
static bool console_attached(const struct plan *p)
{
	enum vk_console_kind k = p->vm->console.kind;

	return !opt.noautoconsole && (k == VK_CONSOLE_PTY || k == VK_CONSOLE_STDIO);
}

/* The disk the installed system lives on: the first that is not the installer medium. */
static const struct planned_disk *target_disk(const struct plan *p)
{
	size_t i;

	for (i = 0; i < p->n_disks; i++)
		if (!p->disks[i].installer_medium && p->disks[i].disk.device == VK_DEVICE_DISK)
			return &p->disks[i];
	return NULL;
}

static void print_plan(const struct plan *p)
{
	const struct vk_vm *vm = p->vm;
	char sz[32], *console = NULL;
	size_t i, step = 1;

	vk_vrun_console_spec(vm, &console);

	printf("Name:        %s\n", vm->name);
	printf("UUID:        %s\n", vm->uuid);
	printf("OS variant:  %s (%s)%s\n", p->variant->name, p->variant->description,
	       p->variant_defaulted ? ", the default; name one with --os-variant" : "");
	printf("Memory:      %" PRIu64 " MiB (maximum %" PRIu64 " MiB)\n", vm->memory_mib, vm->max_memory_mib);
	printf("vCPUs:       %u (maximum %u)\n", vm->vcpus, vm->max_vcpus);
	switch (p->kind) {
	case INSTALL_LOCATION:
		printf("Install:     %s (%s", vk_media_location(p->media), vk_media_kind_name(vk_media_kind(p->media)));
		if (*vk_media_volume_id(p->media))
			printf(", volume '%s'", vk_media_volume_id(p->media));
		printf(")\nInstaller:   %s, %s\n", p->media_kernel, p->media_initrd);
		break;
	case INSTALL_KERNEL:
		printf("Install:     kernel %s%s%s\n", p->kernel_src, p->initrd_src ? ", initrd " : "",
		       p->initrd_src ? p->initrd_src : "");
		break;
	case INSTALL_IMPORT:
		printf("Install:     none (--import)\n");
		if (p->firmware_boot)
			printf("Boot:        through the firmware (SeaBIOS): %s\n", *p->boot_loader ?
			       p->boot_loader : "no boot code found, as --boot asks");
		break;
	case INSTALL_CDROM:
		printf("Install:     %s (ISO", vk_media_location(p->media));
		if (*vk_media_volume_id(p->media))
			printf(", volume '%s'", vk_media_volume_id(p->media));
		printf(")\nInstaller:   the CD's own boot loader, through the firmware (SeaBIOS, El Torito)\n");
		break;
	case INSTALL_NONE:
		break;
	}
	if (p->kind != INSTALL_IMPORT && p->kind != INSTALL_CDROM)
		printf("Cmdline:     %s\n", p->cmdline);
	for (i = 0; i < p->n_disks; i++) {
		const struct planned_disk *d = &p->disks[i];

		printf("Disk %zu:      %s, %s, %s", i + 1, d->disk.path, vk_image_format_name(d->disk.format),
		       vk_disk_bus_name(d->disk.bus));
		if (d->installer_medium)
			printf(", installer medium, read-only, detached after the install");
		else if (d->disk.device == VK_DEVICE_CDROM)
			printf(", cdrom, read-only");
		else if (d->disk.readonly)
			printf(", read-only");
		if (d->create)
			printf(", new: %s%s%s", d->size ? vk_size_format(d->size, sz, sizeof(sz)) : "size of the backing file",
			       d->size_from_variant ? " (size from the OS variant)" : "",
			       d->sparse ? ", sparse" : ", fully allocated");
		if (d->create && d->backing)
			printf(", backing %s (%s)", d->backing, vk_image_format_name(d->backing_format));
		else if (!d->create && !d->installer_medium)
			printf(", existing");
		printf("\n");
	}
	if (!p->n_disks)
		printf("Disks:       none\n");
	for (i = 0; i < vm->n_nics; i++)
		printf("NIC %zu:       %s %s, mac %s, %s\n", i + 1, vm->nics[i].kind == VK_NIC_TAP ? "tap" : "bridge",
		       vm->nics[i].source, vm->nics[i].mac, vm->nics[i].model);
	if (!vm->n_nics)
		printf("NICs:        none\n");
	if (console_attached(p))
		printf("Console:     serial, attached (Ctrl-] d detaches, Ctrl-] q stops the guest)\n");
	else if (vm->console.kind == VK_CONSOLE_FILE)
		printf("Console:     serial, written to %s\n", vm->console.path);
	else if (vm->console.kind == VK_CONSOLE_NONE)
		printf("Console:     serial, not shown (--console none; vrun writes it to the log named below)\n");
	else
		printf("Console:     serial, not attached (--noautoconsole)\n");
	printf("Autostart:   %s\n", vm->autostart ? "yes" : "no");
	printf("Steps:\n");
	for (i = 0; i < p->n_disks; i++)
		if (p->disks[i].create)
			printf("  %zu. create %s\n", step++, p->disks[i].disk.path);
	if (p->kind == INSTALL_LOCATION || p->kernel_src)
		printf("  %zu. copy the %skernel%s into %s/\n", step++,
		       p->kind == INSTALL_IMPORT ? "" : "installer ", p->media_initrd || p->initrd_src ? " and initrd" : "", p->boot_dir);
	if (opt.injects)
		printf("  %zu. add %s%s to the installer initrd\n", step++, opt.injects[0], opt.injects[1] ? ", ..." : "");
	printf("  %zu. define %s\n", step++, vm->name);
	if (p->kind == INSTALL_IMPORT) {
		if (!p->kernel_src && !p->firmware_boot)
			printf("  %zu. find the kernel, initrd and root on %s (libguestfs inspection)\n", step++,
			       p->disks[0].disk.path);
		printf("  %zu. boot it:\n", step++);
		print_vrun_argv(vm, "vrun", console ? console : "?", false);
	} else {
		printf("  %zu. run the installer:\n", step++);
		print_vrun_argv(vm, "vrun", console ? console : "?", true);
		if (opt.noreboot)
			printf("  %zu. when it reboots: record the installed system's boot, leave %s stopped (--noreboot)\n",
			       step++, vm->name);
		else if (!target_disk(p))
			printf("  %zu. when it reboots: nothing to boot (no disk); %s stays defined and stopped\n",
			       step++, vm->name);
		else
			printf("  %zu. when it reboots: %sboot the installed system from %s (%s)\n", step++,
			       p->kind == INSTALL_LOCATION || p->kind == INSTALL_CDROM ? "detach the install medium, " : "",
			       target_disk(p)->disk.path,
			       p->kind == INSTALL_KERNEL && p->final_cmdline ? "same kernel, --boot kernel_args"
			       : "through its boot loader when the installer put one on it, else the kernel found "
				 "by inspection");
	}
	printf("Dry run: nothing was created.\n");
	free(console);
}

/* --- the real run --------------------------------------------------- */

/* Ends the run's undo journal: what it created is kept (the guest ran, or
 * there was nothing to undo) or removed again. */
static void journal_end(struct vk_undo **undo, bool keep)
{
	if (!*undo)
		return;
	if (keep)
		vk_undo_commit(*undo);
	else
		vk_undo_rollback(*undo);
	*undo = NULL;
}

/* Ctrl-C, SIGTERM or SIGHUP before the guest starts: the journal undoes
 * this run, then vinstall dies of the signal (after, it only dies). */
static void die_undone_on(int sig)
{
	struct sigaction sa = { .sa_handler = vk_undo_die_of_signal };

	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGINT);
	sigaddset(&sa.sa_mask, SIGTERM);
	sigaddset(&sa.sa_mask, SIGHUP);
	sigaction(sig, &sa, NULL);
}

/* Each disk is built under a name of this run's own and then named,
 * never over a file that appeared meanwhile. */
static int create_disks(const struct plan *p, struct vk_undo *undo)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n_disks && rc == 0; i++) {
		const struct planned_disk *d = &p->disks[i];
		struct vk_image_create_opts co = {
			.format = d->disk.format, .size = d->size,
			.prealloc = d->sparse ? VK_PREALLOC_OFF : VK_PREALLOC_FULL,
		};
		char *stage = NULL;

		if (!d->create)
			continue;
		if (d->backing) {
			co.backing_file = d->backing;
			co.backing_format = d->backing_format;
		}
		rc = vk_undo_stage(undo, d->disk.path, &stage);
		if (rc == 0) {
			co.path = stage;
			rc = vk_image_create(&co);
		}
		if (rc == 0)
			rc = vk_undo_publish(undo, stage, d->disk.path);
		free(stage);
		if (rc < 0)
			return vk_error_prefix(rc, "creating disk %s", d->disk.path);
	}
	return rc;
}

/*
 * boot/NAME/, made by this run, goes at a rollback with everything in it.
 * One left by an earlier VM of this name (a definition removed by hand)
 * is not ours: only the files this run writes into it are recorded.
 */
static int journal_boot_dir(const struct plan *p, struct vk_undo *undo, const char *const *files)
{
	int rc = vk_undo_mkdir(undo, p->boot_dir, VK_MODE_PRIVATE_DIR);

	for (; rc == 0 && *files; files++)
		rc = vk_undo_prefix(undo, *files);
	return rc < 0 ? rc : 0;
}

static int copy_host_file(const char *src, const char *dest)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	/* Kernels and initrds fit in memory (max 2 GiB here). */
	rc = vk_read_file(src, (size_t)2 << 30, &buf, &len);
	if (rc == 0)
		rc = vk_write_file_atomic(dest, buf, len, VK_MODE_PRIVATE_FILE);
	free(buf);
	return rc;
}

static int fetch_installer(const struct plan *p, struct vk_undo *undo)
{
	const struct vk_boot *b = &p->vm->boot;
	const char *files[] = { b->kernel, b->initrd, NULL };
	int rc;

	rc = journal_boot_dir(p, undo, files);
	if (rc < 0)
		return rc;
	if (p->kind == INSTALL_LOCATION) {
		rc = vk_media_fetch(p->media, p->media_kernel, b->kernel, VK_DOWNLOAD_KERNEL, vk_quiet);
		if (rc == 0)
			rc = vk_media_fetch(p->media, p->media_initrd, b->initrd, VK_DOWNLOAD_INITRD, vk_quiet);
	} else {
		rc = copy_host_file(p->kernel_src, b->kernel);
		if (rc == 0 && b->initrd)
			rc = copy_host_file(p->initrd_src, b->initrd);
	}
	if (rc < 0)
		return rc;
	if (opt.injects) {
		size_t n = 0;

		while (opt.injects[n])
			n++;
		if (!b->initrd)
			return vk_errorx(EINVAL, "--initrd-inject needs an initrd");
		rc = vk_initrd_inject(b->initrd, opt.injects, n);
	}
	return rc;
}

/* How one vrun run went, as vinstall watched it. */
struct vrun_watch {
	pid_t pid;
	bool exited;		/* and then: */
	int status;		/* its exit status, or -1 when a signal ended it */
	int signal;
	bool started;		/* its control socket appeared: the guest ran */
	bool quit;		/* stopped from the console (Ctrl-] q) */
	bool detached;		/* Ctrl-] d */
	bool expired;		/* --wait ran out */
	char pty[128];		/* vrun's console, from its "console is" line */
	char *sock;		/* run/NAME.sock */
	char *msgs;		/* log/NAME.vrun.log: vrun's standard error */
};

#define WATCH_TICK_MS	100
/* vrun's setup (disks, taps, console) takes well under this; --wait 0
 * leaves once the guest started, or after this without a control socket. */
#define START_GRACE_MS	5000

static void vrun_watch_free(struct vrun_watch *w)
{
	free(w->sock);
	free(w->msgs);
	w->sock = w->msgs = NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A --wait minute; tests shorten it (VKIT_WAIT_MINUTE_MS). */
static int64_t minute_ms(void)
{
	const char *env = getenv("VKIT_WAIT_MINUTE_MS");
	char *end;
	long v;

	if (!env || !*env)
		return 60000;
	v = strtol(env, &end, 10);
	return *end || v < 1 ? 60000 : v;
}

/*
 * Run vrun for the definition and watch it until it exits, --wait runs out
 * or the user detaches; in the last two cases it is left running.  Returns
 * 0 with w filled in, or -errno when vrun could not be started.  The
 * installer runs under --no-reboot: its reboot ends vrun.  With an
 * undo journal (*undo), vrun is recorded so that a rollback stops it, and
 * the journal is committed once the guest has started: from then on
 * nothing of the VM is removed.
 */
static int run_vrun(const struct plan *p, const char *vrun, bool installer, struct vrun_watch *w,
		    struct vk_undo **undo)
{
	bool attach = console_attached(p), raw = false, had_sock;
	struct vk_console_relay r;
	struct vk_argv a = { 0 };
	struct stat before;
	char *console = NULL, file[VK_NAME_MAX + 16];
	int msg_fd = -1, status, rc;
	int64_t t0, deadline = -1;
	pid_t got;

	memset(w, 0, sizeof(*w));
	vk_relay_init(&r, attach ? STDIN_FILENO : -1, STDOUT_FILENO);
	rc = vk_vrun_console_spec(p->vm, &console);
	if (rc < 0)
		goto out;
	snprintf(file, sizeof(file), "%s.vrun.log", p->vm->name);
	if ((rc = state_file("log", file, &w->msgs)) < 0)
		goto out;
	snprintf(file, sizeof(file), "%s.sock", p->vm->name);
	if ((rc = state_file("run", file, &w->sock)) < 0)
		goto out;
	had_sock = stat(w->sock, &before) == 0;
	rc = vrun_argv(p->vm, vrun, console, installer, &a);
	if (rc == 0)
		rc = vk_vrun_spawn(&a, w->msgs, &w->pid, &msg_fd);
	if (rc < 0)
		goto out;
	if (*undo && (rc = vk_undo_process(*undo, w->pid)) < 0) {
		/* Unrecorded, it could outlive the rollback of its disks. */
		kill(w->pid, SIGKILL);
		waitpid(w->pid, NULL, 0);
		goto out;
	}
	t0 = now_ms();
	if (p->wait_minutes >= 0)
		deadline = t0 + p->wait_minutes * minute_ms();
	if (attach)
		raw = vk_relay_raw(&r);
	for (;;) {
		struct pollfd fds[2];
		int64_t now;

		vk_relay_pollfds(&r, fds);
		poll(fds, 2, WATCH_TICK_MS);
		vk_vrun_relay_messages(msg_fd, STDERR_FILENO, raw, w->pty, sizeof(w->pty));
		if (!w->started && (w->started = vk_vrun_socket_is_new(w->sock, &before, had_sock)))
			journal_end(undo, true);
		if (attach && r.con_fd == -1 && w->pty[0] && vk_relay_open(&r, w->pty) < 0)
			r.con_fd = -2;	/* as good as closed: the guest runs unseen */
		vk_relay_step(&r, fds);
		if (r.quit && !w->quit) {
			kill(w->pid, SIGTERM);
			w->quit = true;
		}
		w->detached = r.detach;
		got = waitpid(w->pid, &status, WNOHANG);
		if (got == w->pid) {
			vk_vrun_relay_messages(msg_fd, STDERR_FILENO, raw, w->pty, sizeof(w->pty));
			w->exited = true;
			w->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
			w->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
			break;
		}
		if (got < 0 && errno != EINTR) {
			rc = vk_error(errno, "waiting for vrun");
			break;
		}
		if (w->detached)
			break;
		now = now_ms();
		if (deadline >= 0 && now >= deadline && !w->quit && (w->started || now - t0 >= START_GRACE_MS)) {
			w->expired = true;
			break;
		}
	}
out:
	vk_relay_close(&r);
	if (msg_fd >= 0)
		close(msg_fd);
	vk_argv_free(&a);
	free(console);
	return rc;
}

/* After the install: the definition boots the installed system. */
static int switch_to_installed(struct plan *p, bool save)
{
	struct vk_installed_boot ib = { 0 };
	struct vk_vm *vm = p->vm;
	char *cmdline = NULL;
	size_t i, keep = 0;
	int rc = 0;

	if (p->kernel_src && p->kind != INSTALL_LOCATION &&
	    (p->final_cmdline || p->kind == INSTALL_IMPORT)) {
		/* --boot kernel= is the final boot as well. */
		free(vm->boot.cmdline);
		vm->boot.cmdline = strdup(p->final_cmdline);
	} else if (!p->final_cmdline && target_disk(p) &&
		   (rc = vk_disk_boot_code(target_disk(p)->disk.path, target_disk(p)->disk.format,
					   p->boot_loader, sizeof(p->boot_loader))) == 1) {
		/* The installer put a boot loader on the disk: it boots itself,
		 * and the kernels the system installs later are the ones that boot. */
		if (!vk_quiet)
			fprintf(stderr, "Installed system: %s boots itself through the firmware (%s in its "
				"first sector)\n", target_disk(p)->disk.path, p->boot_loader);
		free(vm->boot.kernel);
		free(vm->boot.initrd);
		free(vm->boot.cmdline);
		free(vm->boot.order);
		vm->boot.kernel = vm->boot.initrd = vm->boot.cmdline = NULL;
		/* The installer's "cdrom,hd" is over; --boot's order, if any, is the system's. */
		vm->boot.order = p->boot_order ? strdup(p->boot_order) : NULL;
		if (p->boot_order && !vm->boot.order)
			return vk_error(ENOMEM, "--boot");
		vm->boot.kind = VK_BOOT_DISK;
	} else {
		const struct planned_disk *t = target_disk(p);

		if (rc < 0)
			return rc;
		if (!t)
			return vk_errorx(ENOENT, "no disk to boot the installed system from");
		if (!vk_quiet)
			fprintf(stderr, "Installed system: no boot loader on %s; it boots the kernel found on it\n",
				t->disk.path);
		rc = vk_inspect_installed_boot(t->disk.path, t->disk.format, p->boot_dir, &ib);
		if (rc < 0)
			return rc;
		if (!vk_quiet)
			fprintf(stderr, "Installed system: %s, %s\n", ib.found_on, ib.root_arg);
		if (asprintf(&cmdline, "%s %s%s%s", ib.root_arg, p->variant->kernel_args,
			     p->final_cmdline ? " " : "", p->final_cmdline ? p->final_cmdline : "") < 0) {
			vk_installed_boot_free(&ib);
			return vk_error(ENOMEM, "cmdline");
		}
		free(vm->boot.kernel);
		free(vm->boot.initrd);
		free(vm->boot.cmdline);
		free(vm->boot.order);
		vm->boot.order = NULL;
		vm->boot.kind = VK_BOOT_KERNEL;
		vm->boot.kernel = ib.kernel;
		vm->boot.initrd = ib.initrd;
		vm->boot.cmdline = cmdline;
		ib.kernel = ib.initrd = NULL;
		vk_installed_boot_free(&ib);
	}
	/* The installer medium was only for the install. */
	for (i = 0; i < vm->n_disks; i++) {
		if (i < p->n_disks && p->disks[i].installer_medium) {
			free(vm->disks[i].path);
			free(vm->disks[i].serial);
			continue;
		}
		vm->disks[keep++] = vm->disks[i];
	}
	vm->n_disks = keep;
	rc = save ? vk_vm_define(vm, true) : 0;
	if (rc == 0 && p->kind == INSTALL_LOCATION) {
		char *k = NULL;

		/* The installer's files are no use any more. */
		if (asprintf(&k, "%s/installer-kernel", p->boot_dir) > 0)
			unlink(k);
		free(k);
		if (asprintf(&k, "%s/installer-initrd", p->boot_dir) > 0)
			unlink(k);
		free(k);
	}
	return rc;
}

/*
 * vrun still runs and vinstall is about to exit (--wait ran out, Ctrl-] d):
 * say where the VM is and what can be done with it.
 */
static void report_left_running(const struct plan *p, const struct vrun_watch *w, bool installing)
{
	const struct planned_disk *t = target_disk(p);
	const struct vk_vm *vm = p->vm;

	if (w->expired && p->wait_minutes > 0)
		printf("Domain %s: the --wait time (%d min) passed; ", vm->name, p->wait_minutes);
	else
		printf("Domain %s: ", vm->name);
	printf("%s still in progress. vrun keeps running after vinstall exits.\n",
	       installing ? "installation" : "first boot");
	printf("  vrun:        pid %d, control socket %s (docs/control.md)\n", (int)w->pid, w->sock);
	if (w->pty[0])
		printf("  console:     vctl console %s (its pty is %s)\n", vm->name, w->pty);
	else if (vm->console.kind == VK_CONSOLE_FILE)
		printf("  console:     written to %s\n", vm->console.path);
	printf("  messages:    %s\n", w->msgs);
	printf("  stop it:     vctl shutdown %s (the ACPI power button), vctl destroy %s (at once)\n",
	       vm->name, vm->name);
	if (!installing) {
		fflush(stdout);
		return;
	}
	printf("When the installer reboots the guest, vrun exits and %s stays defined and stopped, still "
	       "booting the installer: vinstall sets up the installed system's boot only when it watches "
	       "the install to its end.\n", vm->name);
	if (t)
		printf("Then boot the installed system with: vctl undefine %s && vinstall --name %s --import "
		       "--disk path=%s,format=%s (and this run's --memory, --vcpus and --network; undefine "
		       "keeps the disks)\n", vm->name, vm->name, t->disk.path, vk_image_format_name(t->disk.format));
	fflush(stdout);	/* before the error line on stderr */
}

/* How to start the stopped VM by hand: its vrun command line. */
static void print_start_command(const struct plan *p, const char *vrun)
{
	print_vrun_argv(p->vm, vrun, "stdio", false);
}

static int run_install(struct plan *p)
{
	struct vrun_watch w = { .pid = 0 };
	struct vk_undo *undo = NULL;
	char *vrun = NULL, *installed[3] = { NULL };
	const char *state;
	int rc;

	rc = plan_check_host(p);
	if (rc < 0)
		goto out;
	rc = vk_vrun_find("vinstall", &vrun);
	if (rc < 0)
		goto out;
	rc = vk_state_dir(&state);
	if (rc < 0)
		goto out;
	die_undone_on(SIGINT);
	die_undone_on(SIGTERM);
	die_undone_on(SIGHUP);
	/* Journaled from here: a failure, a signal or kill -9 until the guest
	 * starts removes what this run created.  The name is claimed first. */
	rc = vk_undo_begin(&undo);
	if (rc < 0)
		goto out;
	rc = vk_undo_claim(undo, p->vm->name);
	if (rc == 0)
		rc = create_disks(p, undo);
	if (rc == 0 && p->kind != INSTALL_CDROM && (p->kind != INSTALL_IMPORT || p->kernel_src))
		rc = fetch_installer(p, undo);
	if (rc == 0 && p->kind == INSTALL_IMPORT && !p->kernel_src && !p->firmware_boot) {
		/* Where the installed system's kernel and initrd are copied. */
		if (asprintf(&installed[0], "%s/kernel", p->boot_dir) < 0 ||
		    asprintf(&installed[1], "%s/initrd", p->boot_dir) < 0)
			rc = vk_error(ENOMEM, "%s", p->boot_dir);
		if (rc == 0)
			rc = journal_boot_dir(p, undo, (const char *const *)installed);
		if (rc == 0)
			rc = switch_to_installed(p, false);
	}
	if (rc == 0 && (rc = vk_undo_definition(undo, p->vm)) == 0)
		rc = vk_vm_define(p->vm, false);
	if (rc < 0)
		goto out;
	if (!vk_quiet)
		fprintf(stderr, "Starting install of %s...\n", p->vm->name);
	if (opt.noautoconsole && p->wait_minutes < 0 && !opt.wait) {
		/* virt-install returns at once here; we keep supervising the
		 * install in the background so the second phase still happens. */
		pid_t pid = fork();

		if (pid < 0) {
			rc = vk_error(errno, "fork");
			goto out;
		}
		if (pid > 0) {
			printf("Domain installation still in progress: vinstall (pid %d) watches it in the "
			       "background and boots the installed system when the installer reboots.\n"
			       "vrun's messages, with the name of its console's pty, go to %s/log/%s.vrun.log; "
			       "its control socket is %s/run/%s.sock (docs/control.md).\n",
			       (int)pid, state, p->vm->name, state, p->vm->name);
			/* The supervisor holds the journal now. */
			vk_undo_detach(undo);
			undo = NULL;
			goto out;
		}
		setsid();
	}
	rc = run_vrun(p, vrun, p->kind != INSTALL_IMPORT, &w, &undo);
	if (rc < 0)
		goto out;
	if (!w.exited) {
		/* The guest runs on; nothing of it may be removed now. */
		journal_end(&undo, true);
		report_left_running(p, &w, p->kind != INSTALL_IMPORT);
		if (w.expired && p->wait_minutes > 0)
			rc = vk_errorx(ETIMEDOUT, "%s: the install did not end within the --wait time (%d min); "
				       "it is still running (see above)", p->vm->name, p->wait_minutes);
		goto out;
	}
	if (w.quit) {
		journal_end(&undo, true);
		rc = vk_errorx(ECANCELED, "%s: stopped from the console (Ctrl-] q); it is defined and stopped, "
			       "its disks are kept%s", p->vm->name,
			       p->kind == INSTALL_IMPORT ? "" : " (it still boots the installer)");
		goto out;
	}
	if (w.status == VK_VRUN_EXIT_ERROR || w.status == 127 || w.status < 0) {
		if (w.started) {
			/* Whatever the guest wrote is the user's now (committed
			 * when it started). */
			rc = vk_errorx(EIO, "%s: vrun failed after the guest started (see its message above); "
				       "it is defined and stopped, its disks are kept", p->vm->name);
			goto out;
		}
		/* The guest never ran, so the new disks hold nothing. */
		if (w.status == 127)
			vk_errorx(ENOEXEC, "%s: %s could not be run; removed what this run created", p->vm->name, vrun);
		else if (w.status < 0)
			vk_errorx(EIO, "%s: vrun was killed by signal %d before the guest started; removed what "
				  "this run created", p->vm->name, w.signal);
		else
			vk_errorx(EIO, "%s: vrun failed (see its message above); removed what this run created",
				  p->vm->name);
		rc = -EIO;
		goto out;
	}
	journal_end(&undo, true);
	if (p->kind == INSTALL_IMPORT)
		goto out;
	if (w.status != VK_VRUN_EXIT_REBOOT && w.status != VK_VRUN_EXIT_POWEROFF) {
		rc = vk_errorx(EIO, "%s: vrun exited with status %d; the VM is defined and stopped", p->vm->name,
			       w.status);
		goto out;
	}
	if (w.status == VK_VRUN_EXIT_POWEROFF) {
		/* Only a reboot says the installer finished; a power-off may be
		 * a user or an installer giving up, so the boot is left alone. */
		printf("Domain %s powered off during the install; it is defined and stopped "
		       "(it still boots the installer)\n", p->vm->name);
		goto out;
	}
	rc = switch_to_installed(p, true);
	if (rc < 0) {
		vk_error_prefix(rc, "%s: installed, but its boot could not be set up; the VM still boots the installer",
				p->vm->name);
		goto out;
	}
	if (opt.noreboot) {
		printf("Domain %s is installed and stopped; start it with: vctl start %s\n"
		       "or run vrun by hand:\n", p->vm->name, p->vm->name);
		print_start_command(p, vrun);
		goto out;
	}
	if (!vk_quiet)
		fprintf(stderr, "Install finished; booting %s from its disk...\n", p->vm->name);
	vrun_watch_free(&w);
	rc = run_vrun(p, vrun, false, &w, &undo);
	if (rc < 0)
		goto out;
	if (!w.exited) {
		report_left_running(p, &w, false);
		if (w.expired && p->wait_minutes > 0)
			rc = vk_errorx(ETIMEDOUT, "%s: installed; its first boot did not end within the --wait time "
				       "(%d min) and is still running (see above)", p->vm->name, p->wait_minutes);
	} else if (w.quit) {
		printf("Domain %s is installed; stopped from the console (Ctrl-] q); start it again with:\n",
		       p->vm->name);
		print_start_command(p, vrun);
	} else if (w.status == VK_VRUN_EXIT_ERROR || w.status < 0 || w.status == 127) {
		rc = vk_errorx(EIO, "%s: the installed system did not run (vrun failed)", p->vm->name);
	}
out:
	/* Still open here only after a failure before the guest started. */
	journal_end(&undo, false);
	vrun_watch_free(&w);
	free(installed[0]);
	free(installed[1]);
	free(vrun);
	return rc;
}

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

int main(int argc, char **argv)
{
	struct plan p = { 0 };
	poptContext ctx = NULL;
	const char **rest;
	char *json;
	size_t i;
	int rc;

	rc = vk_options_parse(argc, (const char **)argv, vinstall_options, "[OPTION...]", &ctx);
	if (rc != 0) {
		poptFreeContext(ctx);
		return rc > 0 ? 0 : 1;
	}
	rest = poptGetArgs(ctx);
	if (rest && rest[0]) {
		fprintf(stderr, "vinstall: unexpected argument '%s'; see vinstall --help\n", rest[0]);
		rc = 1;
		goto out;
	}
	if (opt.os_variant && !strcmp(opt.os_variant, "list")) {
		rc = list_variants() < 0 ? 1 : 0;
		if (rc)
			vk_report(NULL);
		goto out;
	}
	rc = plan_build(&p);
	if (p.n_refusals) {
		/* What vrun cannot do matters more than a missing file. */
		fprintf(stderr, "vinstall: %s: refused before anything was created; vrun cannot do this:\n", opt.name);
		for (i = 0; i < p.n_refusals; i++)
			fprintf(stderr, "  - %s\n", p.refusals[i]);
		if (rc < 0)
			fprintf(stderr, "  and also: %s\n", vk_last_error());
		rc = 1;
		goto out;
	}
	if (rc < 0) {
		vk_report(NULL);
		rc = 1;
		goto out;
	}
	if (plan_definition(&p) < 0 || vk_vm_validate(p.vm) < 0) {
		vk_report(NULL);
		rc = 1;
		goto out;
	}
	if (opt.print_config) {
		json = vk_vm_to_json(p.vm);
		if (!json) {
			vk_report(NULL);
			rc = 1;
			goto out;
		}
		fputs(json, stdout);
		if (!*json || json[strlen(json) - 1] != '\n')
			putchar('\n');
		free(json);
		rc = 0;
		goto out;
	}
	if (opt.dry_run) {
		if (plan_check_host(&p) < 0) {
			vk_report(NULL);
			rc = 1;
			goto out;
		}
		print_plan(&p);
		rc = 0;
		goto out;
	}
	rc = run_install(&p) < 0 ? 1 : 0;
	if (rc)
		vk_report(NULL);
out:
	plan_free(&p);
	poptFreeContext(ctx);
	return rc;
}
