/* install-plan.c - virt-install's options turned into a plan: the definition, the disks to create, the medium and the boot steps; and the plan described. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/guest/bootinspect.h"
#include "common/image/image.h"
#include "common/media/download.h"
#include "common/media/media.h"
#include "common/media/osvariant.h"
#include "common/net/netdef.h"
#include "common/net/network.h"
#include "common/net/nicspec.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/util/options.h"
#include "common/util/size.h"
#include "common/util/subopt.h"
#include "common/vm/bootorder.h"
#include "common/vm/console-relay.h"
#include "common/vm/install.h"
#include "common/vm/install-internal.h"
#include "common/vm/statedir.h"
#include "common/vm/undo.h"
#include "common/vm/vmdef.h"
#include "common/vm/vmlaunch.h"

static void refuse(struct vk_install_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refuse(struct vk_install_plan *p, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (p->n_refusals == VK_INSTALL_MAX_REFUSALS)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) >= 0)
		p->refusals[p->n_refusals++] = msg;
	va_end(ap);
}

static void plan_free(struct vk_install_plan *p)
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
	free(p->install_args);
	free(p->boot_order);
	free(p->osinfo_name);
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
static const char *const boot_keys[] = { "kernel", "initrd", "kernel_args", "cmdline", "extra_args", "hd", "cdrom",
					 "network", "menu", "uefi", "loader", NULL };
/* The values virt-install lets keep their commas (its can_comma). */
static const char *const boot_comma_keys[] = { "kernel_args", "cmdline", "extra_args", NULL };
static const char *const location_comma_keys[] = { "location", "kernel", "initrd", NULL };
static const char *const disk_keys[] = { "path", "size", "format", "bus", "cache", "device", "readonly",
					 "sparse", "backing_store", "backing_format", "serial", "shareable", "pool", "vol", NULL };
static const char *const console_keys[] = { "type", "path", "target_type", NULL };
static const char *const graphics_keys[] = { "type", "port", "listen", "password", "keymap", NULL };

static const char *const check_keys[] = { "path_in_use", "path_exists", "disk_size", "mac_in_use", "all", NULL };
static const char *const osinfo_keys[] = { "name", "short-id", "id", "detect", "require", NULL };

int vk_install_print_suboptions(FILE *out, const char *option)
{
	static const struct {
		const char *option;
		const char *const *keys;
	} lists[] = {
		{ "--boot", boot_keys }, { "--check", check_keys }, { "--console", console_keys },
		{ "--disk", disk_keys }, { "--graphics", graphics_keys }, { "--location", location_keys },
		{ "--memory", memory_keys }, { "--network", vk_nicspec_keys }, { "--osinfo", osinfo_keys },
		{ "--os-variant", osinfo_keys }, { "--vcpus", vcpus_keys },
	};

	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (!strcmp(lists[i].option, option))
			return vk_subopts_print_keys(out, option, lists[i].keys);
	return vk_errorx(ENOENT, "%s takes no sub-options", option);
}

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
int vk_install_state_file(const char *sub, const char *name, char **out)
{
	return vk_state_path_peek(out, sub, name);
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

static int plan_memory(struct vk_install_plan *p)
{
	struct vk_subopts so = { 0 };
	const char *v;
	int rc = 0;

	p->vm->memory_mib = p->variant->memory_mib;
	p->vm->max_memory_mib = 0;
	if (p->req->ram && p->req->memory)
		return vk_errorx(EINVAL, "--ram and --memory both given; use one (--memory MIB)");
	if (p->req->ram)
		rc = parse_mib(p->req->ram, "--ram", &p->vm->memory_mib);
	if (p->req->memory) {
		rc = vk_subopts_parse(p->req->memory, memory_keys, "memory", "--memory", &so);
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

/* The most vCPUs a definition may hold (8-bit xAPIC IDs, as vmdef checks). */
#define VK_INSTALL_VCPUS_MAX 255

/* A topology's vCPU count, an unset (0) level counting as 1 as virtinst does. */
static unsigned topology_product(const struct vk_cpu_topology *t)
{
	return (t->sockets ? t->sockets : 1) * (t->cores ? t->cores : 1) * (t->threads ? t->threads : 1);
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

/*
 * virt-install's topology filling (virtinst's set_defaults_from_vcpus): the
 * missing ones of cores, sockets, threads, in that order, take what is left of
 * the vCPU count after the others (integer division, so it may be 0), and the
 * product must then equal the count, with virt-install's message if not.
 */
static int fill_topology(struct vk_cpu_topology *t, unsigned count)
{
	unsigned *const order[] = { &t->cores, &t->sockets, &t->threads };
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!*order[i])
			*order[i] = count / topology_product(t);
	if (topology_product(t) != count)
		return vk_errorx(EINVAL, "--vcpus: Total CPUs implied by topology (sockets=%u * dies=1 * "
				 "cores=%u * threads=%u == %u) does not match vCPU count %u; "
				 "give sockets*cores*threads equal to maxvcpus (or to N without maxvcpus)",
				 t->sockets, t->cores, t->threads, topology_product(t), count);
	return 0;
}

/*
 * --vcpus N,maxvcpus=M,sockets=S,cores=C,threads=T as virt-install reads it:
 * M alone means M vCPUs online; with neither N nor M the topology's product
 * is the count; the topology describes all M possible vCPUs.
 */
static int plan_vcpus(struct vk_install_plan *p)
{
	struct vk_subopts so = { 0 };
	struct vk_cpu_topology *t = &p->vm->topology;
	unsigned *const topo_fields[] = { &t->sockets, &t->cores, &t->threads };
	unsigned count = 0, current = 0;
	const char *v;
	size_t i;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	p->vm->vcpus = p->variant->vcpus;
	p->vm->max_vcpus = p->vm->vcpus;
	if (!p->req->vcpus)
		return 0;
	rc = vk_subopts_parse(p->req->vcpus, vcpus_keys, "vcpus", "--vcpus", &so);
	if (rc < 0)
		return rc;
	if ((v = vk_subopts_get(&so, "vcpus")))
		rc = parse_count(v, "--vcpus", &current);
	if (rc == 0 && (v = vk_subopts_get(&so, "maxvcpus")))
		rc = parse_count(v, "--vcpus maxvcpus", &count);
	/* vcpus_keys[2..] are sockets, cores, threads, in topo_fields' order */
	for (i = 0; rc == 0 && i < sizeof(topo_fields) / sizeof(topo_fields[0]); i++)
		if ((v = vk_subopts_get(&so, vcpus_keys[i + 2])))
			rc = parse_count(v, "--vcpus", topo_fields[i]);
	vk_subopts_free(&so);
	if (rc < 0)
		return rc;
	if (!count)
		count = current;
	if (!count && t->sockets + t->cores + t->threads)
		count = topology_product(t);
	if (count > VK_INSTALL_VCPUS_MAX)
		return vk_errorx(EINVAL, "--vcpus: %u vCPUs is more than the %d vrun supports; give fewer",
				 count, VK_INSTALL_VCPUS_MAX);
	if (!count)
		count = p->vm->vcpus;
	if (!current)
		current = count;
	if (count < current)
		return vk_errorx(EINVAL, "--vcpus: maxvcpus=%u is below vcpus=%u", count, current);
	p->vm->vcpus = current;
	p->vm->max_vcpus = count;
	if (t->sockets + t->cores + t->threads)
		return fill_topology(t, count);
	return 0;
}

/*
 * --osinfo with sub-options, as virt-install reads them: name= (short-id=)
 * names the variant; detect=on,require=on asks that it be found on the
 * media, which vinstall does not do yet, so that is refused rather than
 * answered with a guess; detect=on alone (or with require=off) falls back
 * to name= or the default, as virt-install does when detection fails.
 */
static int osinfo_name(struct vk_install_plan *p, const char *text, const char **name)
{
	const char *const *keys = osinfo_keys;
	struct vk_subopts so = { 0 };
	bool detect = false, require = false;
	const char *v;
	int rc;

	*name = NULL;
	rc = vk_subopts_parse(text, keys, NULL, "--osinfo", &so);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "detect", "--osinfo", &detect);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "require", "--osinfo", &require);
	if (rc < 0)
		goto out;
	if (vk_subopts_get(&so, "id")) {
		rc = vk_errorx(EINVAL, "--osinfo id=%s: give the short name instead (--osinfo name=debian12; "
			       "--osinfo list shows them)", vk_subopts_get(&so, "id"));
		goto out;
	}
	if (detect && require) {
		rc = vk_errorx(ENOTSUP, "--osinfo detect=on,require=on: vinstall does not detect the OS from the "
			       "media; name it (--osinfo name=debian12, --osinfo list shows them) or use require=off");
		goto out;
	}
	v = vk_subopts_get(&so, "name");
	if (!v)
		v = vk_subopts_get(&so, "short-id");
	if (v && *v && !(p->osinfo_name = strdup(v)))
		rc = vk_error(ENOMEM, "--osinfo");
	*name = p->osinfo_name;
out:
	vk_subopts_free(&so);
	return rc;
}

static int plan_variant(struct vk_install_plan *p)
{
	const char *name = p->req->os_variant, *named = NULL;
	int rc;

	if (p->req->os_type && strcasecmp(p->req->os_type, "linux") && strcasecmp(p->req->os_type, "windows") &&
	    strcasecmp(p->req->os_type, "unix"))
		return vk_errorx(EINVAL, "--os-type: unknown type '%s'; use linux or windows", p->req->os_type);
	if (name && strchr(name, '=')) {
		rc = osinfo_name(p, name, &named);
		if (rc < 0)
			return rc;
		name = named;
	} else if (name && (!strcmp(name, "auto") || !strcmp(name, "generic") || !strcmp(name, "none"))) {
		name = NULL;
	}
	if (!name) {
		name = p->req->os_type && !strcasecmp(p->req->os_type, "windows") ? "windows" : "linux";
		p->variant_defaulted = true;
	}
	if (vk_osvariant_load(name, &p->variant) < 0)
		return vk_error_prefix(-ENOENT, "--osinfo");
	if (p->req->os_type && !strcasecmp(p->req->os_type, "windows") && strcmp(p->variant->family, "windows"))
		return vk_errorx(EINVAL, "--os-type windows does not match --os-variant %s (%s)", p->variant->name,
				 p->variant->description);
	if (!p->variant->supported)
		refuse(p, "--osinfo %s (%s): %s", p->variant->name, p->variant->description, p->variant->unsupported_reason);
	return 0;
}

static int plan_graphics(struct vk_install_plan *p)
{
	struct vk_subopts so = { 0 };
	const char *type = NULL;
	int rc;

	if (p->req->vnc || p->req->vncport || p->req->vnclisten)
		type = "vnc";
	if (p->req->graphics) {
		rc = vk_subopts_parse(p->req->graphics, graphics_keys, "type", "--graphics", &so);
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
		if (!strcmp(type, "none") && (p->req->vnc || p->req->vncport || p->req->vnclisten)) {
			vk_subopts_free(&so);
			return vk_errorx(EINVAL, "--graphics none conflicts with --vnc/--vncport/--vnclisten");
		}
	}
	if (type && strcmp(type, "none"))
		refuse(p, "%s graphics: vrun has no graphical display; use --graphics none and the serial "
			  "console (--console pty, with console=ttyS0 in --extra-args)", type);
	if (p->req->vncport) {
		char *end;
		long port = strtol(p->req->vncport, &end, 10);

		if (*end || end == p->req->vncport || port < -1 || port > 65535) {
			vk_subopts_free(&so);
			return vk_errorx(EINVAL, "--vncport: '%s' is not a port number", p->req->vncport);
		}
	}
	vk_subopts_free(&so);
	return 0;
}

static int plan_console(struct vk_install_plan *p)
{
	struct vk_subopts so = { 0 };
	const char *type, *target, *path;
	int rc;

	p->vm->console.kind = VK_CONSOLE_PTY;
	if (!p->req->console)
		return 0;
	rc = vk_subopts_parse(p->req->console, console_keys, "type", "--console", &so);
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

static int add_nic(struct vk_install_plan *p, enum vk_nic_kind kind, const char *source, const char *mac, const char *model)
{
	struct vk_nic nic = { .kind = kind, .source = (char *)source, .model = (char *)model };
	int rc;

	if (mac && *mac)
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

/* --network (virt-install's spellings, common/net/nicspec.h) and --bridge;
 * neither: a NIC on the default network, as virt-install does. */
static int plan_networks(struct vk_install_plan *p)
{
	struct vk_nicspec spec;
	bool none = false;
	size_t i;
	int rc = 0;

	for (i = 0; p->req->bridges && p->req->bridges[i]; i++) {
		if (!*p->req->bridges[i])
			return vk_errorx(EINVAL, "--bridge: give a bridge name");
		rc = add_nic(p, VK_NIC_BRIDGE, p->req->bridges[i], NULL, p->variant->nic_model);
		if (rc < 0)
			return rc;
	}
	for (i = 0; p->req->networks && p->req->networks[i]; i++) {
		rc = vk_nicspec_parse(p->req->networks[i], &spec);
		if (rc == -ENOTSUP) {
			/* What vrun cannot do is a refusal, listed with the others. */
			refuse(p, "%s", vk_last_error());
			vk_error_clear();
			continue;
		}
		if (rc < 0)
			return rc;
		none |= spec.none;
		if (!spec.none)
			rc = add_nic(p, spec.nic.kind, spec.nic.source, spec.nic.mac,
				     spec.nic.model ? spec.nic.model : p->variant->nic_model);
		vk_nicspec_clear(&spec);
		if (rc < 0)
			return rc;
	}
	if (none && (p->vm->n_nics || i > 1))
		return vk_errorx(EINVAL, "--network none cannot be combined with other NICs");
	if (!none && !p->vm->n_nics && !p->n_refusals)
		rc = add_nic(p, VK_NIC_NETWORK, VK_NET_DEFAULT, NULL, p->variant->nic_model);
	return rc;
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
static int plan_checks(struct vk_install_plan *p)
{
	const char *const *keys = check_keys;
	bool *flags[] = { &p->checks.path_in_use, &p->checks.path_exists, &p->checks.disk_size, &p->checks.mac_in_use };
	size_t i, k;
	int rc = 0;

	if (p->req->force && !p->req->checks)
		for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			*flags[k] = false;
	for (i = 0; rc == 0 && p->req->checks && p->req->checks[i]; i++) {
		struct vk_subopts so = { 0 };
		bool all = true;

		rc = vk_subopts_parse(p->req->checks[i], keys, NULL, "--check", &so);
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
static int check_disk_in_use(const struct vk_install_plan *p, const struct vk_planned_disk *d)
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
	if (p->checks.path_in_use)
		rc = check_failed("path_in_use", EBUSY, msg);
	else
		vk_warn("%s", msg);
out:
	vk_strv_free(users);
	return rc;
}

/* An existing image is opened (read-only, backing chain and all) at plan
 * time, so a damaged one is refused by --dry-run as by the real run. */
static int check_image_opens(const struct vk_planned_disk *d)
{
	struct vk_image *img = NULL;
	int rc = vk_image_open(d->disk.path, d->disk.format, VK_IMAGE_RDONLY, &img);

	if (rc < 0)
		return vk_error_prefix(rc, "--disk");
	vk_image_close(img);
	return 0;
}

static int plan_add_disk(struct vk_install_plan *p, const struct vk_planned_disk *d)
{
	struct vk_planned_disk *bigger = realloc(p->disks, (p->n_disks + 1) * sizeof(*bigger));

	if (!bigger)
		return vk_error(ENOMEM, "disk");
	p->disks = bigger;
	p->disks[p->n_disks++] = *d;
	return 0;
}

static int default_disk_path(struct vk_install_plan *p, char **out)
{
	char name[VK_NAME_MAX + 16];

	if (p->n_disks)
		snprintf(name, sizeof(name), "%s-%zu.qcow2", p->vm->name, p->n_disks + 1);
	else
		snprintf(name, sizeof(name), "%s.qcow2", p->vm->name);
	return vk_install_state_file("images", name, out);
}

static int plan_one_disk(struct vk_install_plan *p, const char *text)
{
	struct vk_planned_disk d = { .sparse = true };
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
		if (vk_subopts_get(&so, "size") && p->checks.path_exists) {
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
			rc = check_disk_in_use(p, &d);
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

static int plan_disks(struct vk_install_plan *p)
{
	size_t i, j;
	int rc;

	for (i = 0; p->req->disks && p->req->disks[i]; i++) {
		if (!strcmp(p->req->disks[i], "none"))
			continue;
		if (p->req->nodisks)
			return vk_errorx(EINVAL, "--nodisks and --disk %s both given; drop one", p->req->disks[i]);
		rc = plan_one_disk(p, p->req->disks[i]);
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
static int plan_boot_order(struct vk_install_plan *p, const struct vk_subopts *so)
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

/* kernel= and initrd= of --boot or --install: host files, read now. */
static int take_kernel_files(struct vk_install_plan *p, const char *k, const char *r, const char *what)
{
	char key[32];
	int rc;

	if (access(k, R_OK) < 0 || (r && access(r, R_OK) < 0))
		return vk_error(errno, "%s %s", what, access(k, R_OK) < 0 ? k : r);
	snprintf(key, sizeof(key), "%s kernel", what);
	rc = vk_check_input(k, VK_INPUT_REGULAR, key);
	snprintf(key, sizeof(key), "%s initrd", what);
	if (rc == 0 && r)
		rc = vk_check_input(r, VK_INPUT_REGULAR, key);
	if (rc < 0)
		return rc;
	p->kernel_src = absolute(k);
	p->initrd_src = r ? absolute(r) : NULL;
	return p->kernel_src && (!r || p->initrd_src) ? 0 : vk_error(ENOMEM, "%s", what);
}

static int plan_boot_option(struct vk_install_plan *p)
{
	struct vk_subopts so = { 0 };
	const char *k, *r, *args;
	int rc;

	if (!p->req->boot)
		return 0;
	rc = vk_subopts_parse_grammar(p->req->boot, &(const struct vk_subopt_grammar){ .keys = boot_keys,
				      .comma_keys = boot_comma_keys }, "--boot", &so);
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
	if (!args)
		args = vk_subopts_get(&so, "extra_args");
	if ((r || args) && !k) {
		rc = vk_errorx(EINVAL, "--boot: initrd= and kernel_args= need kernel=");
		goto out;
	}
	if (k && p->boot_order) {
		rc = vk_errorx(EINVAL, "--boot: kernel= boots without firmware, and %s is the firmware's "
			       "boot order; give one or the other", p->boot_order);
		goto out;
	}
	if (k && (rc = take_kernel_files(p, k, r, "--boot")) < 0)
		goto out;
	if (args)
		p->final_cmdline = strdup(args);
out:
	vk_subopts_free(&so);
	return rc;
}

/*
 * --install, virt-install's fine-grained install options: kernel= and
 * initrd= are the installer (booted once, the installed system found
 * afterwards, as with --boot kernel=), kernel_args= its arguments after
 * the variant's (kernel_args_overwrite=on: instead of them), no_install=yes
 * defines and boots the VM with no installer.  os= (an OS fetched by name)
 * and bootdev= (an install booted from a device) are refused with what
 * works instead.
 */
static int plan_install_option(struct vk_install_plan *p)
{
	static const char *const keys[] = { "os", "kernel", "initrd", "kernel_args", "kernel_args_overwrite",
					    "bootdev", "no_install", NULL };
	static const char *const comma_keys[] = { "bootdev", "kernel", "initrd", "kernel_args", NULL };
	const struct vk_subopt_grammar g = { .keys = keys, .leading = (const char *const[]){ "os", NULL },
					     .comma_keys = comma_keys };
	struct vk_subopts so = { 0 };
	const char *k, *r, *args, *v;
	int rc;

	if (!p->req->install)
		return 0;
	rc = vk_subopts_parse_grammar(p->req->install, &g, "--install", &so);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "no_install", "--install", &p->no_install);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "kernel_args_overwrite", "--install", &p->install_args_only);
	if (rc < 0)
		goto out;
	if ((v = vk_subopts_get(&so, "os")))
		refuse(p, "--install %s: vinstall does not fetch an OS by its name; give its install tree or ISO "
			  "with --location (and --osinfo %s)", v, v);
	if ((v = vk_subopts_get(&so, "bootdev")))
		refuse(p, "--install bootdev=%s: vinstall does not run an install booted from a device; use "
			  "--location MEDIA", v);
	k = vk_subopts_get(&so, "kernel");
	r = vk_subopts_get(&so, "initrd");
	args = vk_subopts_get(&so, "kernel_args");
	if (r && !k) {
		rc = vk_errorx(EINVAL, "--install initrd= needs kernel=");
		goto out;
	}
	if (k && (p->kernel_src || p->req->location || p->req->import)) {
		rc = vk_errorx(EINVAL, "--install kernel= is the installer; it goes without --boot kernel=, "
			       "--location and --import");
		goto out;
	}
	if (p->no_install && (k || args || p->req->location || p->req->import || p->req->extra_args)) {
		rc = vk_errorx(EINVAL, "--install no_install=yes runs no installer: drop the installer's kernel, "
			       "arguments and media (or no_install)");
		goto out;
	}
	if (k && (rc = take_kernel_files(p, k, r, "--install")) < 0)
		goto out;
	if (args && !k && !p->req->location) {
		rc = vk_errorx(EINVAL, "--install kernel_args= only works with --location or --install kernel=");
		goto out;
	}
	if (args && !(p->install_args = strdup(args)))
		rc = vk_error(ENOMEM, "--install");
out:
	vk_subopts_free(&so);
	return rc;
}

/* --arch, --machine, --virt-type and --cpu: what vrun is -- an x86_64 PC
 * (QEMU's "pc", the i440FX chipset) under KVM, with the host's CPU -- is
 * accepted in virt-install's spellings; anything else is refused. */
static int plan_platform(struct vk_install_plan *p)
{
	static const char *const cpu_keys[] = { "model", "mode", "migratable", NULL };
	const struct vk_install_request *r = p->req;
	struct vk_subopts so = { 0 };
	const char *model, *mode;
	bool migratable = false;
	int rc = 0;

	if (r->arch && strcmp(r->arch, "x86_64") && strcmp(r->arch, "amd64"))
		refuse(p, "--arch %s: vrun runs x86_64 guests only (32-bit x86 systems run on it too); drop "
			  "--arch or give x86_64", r->arch);
	if (r->machine && strcmp(r->machine, "pc") && strncmp(r->machine, "pc-i440fx-", 10))
		refuse(p, "--machine %s: vrun is a PC with the i440FX chipset (QEMU's pc; no Q35, no other "
			  "boards); drop --machine or give pc", r->machine);
	if (r->virt_type && strcmp(r->virt_type, "kvm"))
		refuse(p, "--virt-type %s: vrun runs guests under KVM only; drop --virt-type or give kvm",
		       r->virt_type);
	if (!r->cpu)
		return 0;
	rc = vk_subopts_parse(r->cpu, cpu_keys, "model", "--cpu", &so);
	if (rc == 0)
		rc = vk_subopts_get_bool(&so, "migratable", "--cpu", &migratable);
	if (rc < 0)
		goto out;
	model = vk_subopts_get(&so, "model");
	mode = vk_subopts_get(&so, "mode");
	if (model && (!strcmp(model, "host-passthrough") || !strcmp(model, "host-model") || !strcmp(model, "host")))
		mode = mode ? mode : model, model = NULL;
	if (model || (mode && strcmp(mode, "host-passthrough") && strcmp(mode, "host-model") && strcmp(mode, "host")))
		refuse(p, "--cpu %s: vrun gives the guest the host's CPU (what KVM supports of it); named models "
			  "and modes are not emulated: drop --cpu or give host-passthrough", r->cpu);
out:
	vk_subopts_free(&so);
	return rc;
}

/* --noautoconsole, or virt-install's newer --autoconsole none|text|graphical. */
static int plan_autoconsole(struct vk_install_plan *p)
{
	const char *a = p->req->autoconsole;

	p->detached = p->req->noautoconsole;
	if (!a || !strcmp(a, "text") || !strcmp(a, "default"))
		return 0;
	if (!strcmp(a, "none")) {
		p->detached = true;
		return 0;
	}
	if (!strcmp(a, "graphical")) {
		refuse(p, "--autoconsole graphical: vrun has no graphical display; use --autoconsole text (the "
			  "serial console) or none");
		return 0;
	}
	return vk_errorx(EINVAL, "--autoconsole: unknown type '%s'; use text, none or graphical", a);
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
static int build_cmdline(struct vk_install_plan *p)
{
	const char *repo_pattern = "", *extra = p->req->extra_args;
	char *repo = NULL, *copy = NULL, *word, *save = NULL, *both = NULL;
	size_t cap;
	int rc = 0;

	if (p->install_args && extra) {
		if (asprintf(&both, "%s %s", p->install_args, extra) < 0)
			return vk_error(ENOMEM, "kernel command line");
		extra = both;
	} else if (p->install_args) {
		extra = p->install_args;
	}

	if (p->kind == VK_INSTALL_LOCATION) {
		if (vk_media_kind(p->media) == VK_MEDIA_ISO)
			repo_pattern = p->variant->repo_arg_cdrom;
		else if (vk_media_kind(p->media) == VK_MEDIA_URL)
			repo_pattern = p->variant->repo_arg_url;
		repo = expand_repo_arg(repo_pattern, p->media);
	} else {
		repo = strdup("");
	}
	copy = strdup(p->install_args_only ? "" : p->variant->kernel_args);
	cap = strlen(p->variant->kernel_args) + (repo ? strlen(repo) : 0) + (extra ? strlen(extra) : 0) + 4;
	p->cmdline = calloc(1, cap);
	if (!repo || !copy || !p->cmdline) {
		rc = vk_error(ENOMEM, "kernel command line");
		goto out;
	}
	for (word = strtok_r(copy, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		const char *given = extra ? strstr(extra, word) : NULL;
		size_t wl = strlen(word);

		if (given && (given == extra || given[-1] == ' ') && (given[wl] == ' ' || !given[wl]))
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
	if (extra && *extra) {
		if (*p->cmdline)
			strcat(p->cmdline, " ");
		strcat(p->cmdline, extra);
	}
out:
	free(repo);
	free(copy);
	free(both);
	return rc;
}

/* The installer's boot from --cdrom: the CD first, then the disk. */
#define CDROM_INSTALL_ORDER "cdrom,hd"

/* --cdrom: the ISO on a CD-ROM, booted by its own boot loader through the
 * firmware (El Torito); when the installer reboots, the disk boots. */
static int plan_cdrom(struct vk_install_plan *p)
{
	struct vk_planned_disk d = { .installer_medium = true };
	const char *cdrom = p->req->cdrom;
	int rc;

	if (p->kernel_src)
		return vk_errorx(EINVAL, "--cdrom boots the CD's own boot loader, --boot kernel= a kernel of "
				 "yours: give one of them");
	if (p->req->extra_args || p->req->injects)
		return vk_errorx(EINVAL, "--%s: the CD's boot loader starts its kernel, with its own "
				 "arguments; use --location %s to boot the CD's kernel with yours",
				 p->req->extra_args ? "extra-args" : "initrd-inject", cdrom);
	if (strstr(cdrom, "://"))
		return vk_errorx(EINVAL, "--cdrom %s: give a local ISO file or CD device (to install from a "
				 "URL, use --location URL)", cdrom);
	p->kind = VK_INSTALL_CDROM;
	if (!p->variant->supported)
		return 0;	/* refused already */
	rc = vk_check_input(cdrom, VK_INPUT_REGULAR | VK_INPUT_BLOCK, "--cdrom");
	if (rc < 0)
		return rc;	/* the message names --cdrom */
	rc = vk_media_open(cdrom, &p->media);
	if (rc == 0 && vk_media_kind(p->media) != VK_MEDIA_ISO)
		rc = vk_errorx(EINVAL, "%s: not an ISO image or CD device", cdrom);
	if (rc == 0 && (rc = vk_media_iso_bootable(p->media)) == 0)
		rc = vk_errorx(EINVAL, "%s: the ISO has no El Torito boot record, so it cannot boot from a "
			       "CD-ROM; use --location %s to boot the installer kernel on it directly", cdrom, cdrom);
	if (rc < 0)
		return vk_error_prefix(rc, "--cdrom");
	d.disk.path = absolute(cdrom);
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

static int plan_install(struct vk_install_plan *p)
{
	struct vk_subopts so = { 0 };
	const char *loc, *k, *r;
	int methods = !!p->req->location + !!p->req->cdrom + !!p->req->import;
	int rc;

	if (methods > 1)
		return vk_errorx(EINVAL, "--location, --cdrom and --import are exclusive; give one");
	if (p->boot_order && !p->req->import && !p->req->cdrom && !p->no_install)
		refuse(p, "--boot %s: the install boots the installer's kernel directly; a firmware boot "
			  "order is for --import (or --cdrom)", p->boot_order);
	if (p->req->cdrom)
		return plan_cdrom(p);
	if (p->req->extra_args && !p->req->location && !p->kernel_src)
		return vk_errorx(EINVAL, "--extra-args only works with --location or --boot kernel=");
	if (p->req->injects && !p->req->location && !p->kernel_src)
		return vk_errorx(EINVAL, "--initrd-inject only works with --location or --boot kernel=,initrd=");
	if (p->no_install) {
		/* defined and booted as it is: through the firmware */
		p->kind = VK_INSTALL_IMPORT;
		p->firmware_boot = true;
		return 0;
	}
	if (p->req->import) {
		p->kind = VK_INSTALL_IMPORT;
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
	if (!p->req->location) {
		if (p->kernel_src) {
			p->kind = VK_INSTALL_KERNEL;
			return build_cmdline(p);
		}
		if (p->n_refusals)
			return 0;	/* refused already: --install os= or bootdev= */
		return vk_errorx(EINVAL, "an install method is needed: --location MEDIA, --cdrom ISO, --import, "
				 "or --boot kernel=PATH");
	}
	p->kind = VK_INSTALL_LOCATION;
	rc = vk_subopts_parse_grammar(p->req->location, &(const struct vk_subopt_grammar){ .keys = location_keys,
				      .leading = (const char *const[]){ "location", NULL }, .comma_keys = location_comma_keys },
				      "--location", &so);
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
		struct vk_planned_disk d = { .installer_medium = true };

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

static int plan_wait(struct vk_install_plan *p)
{
	char *end;
	long v;

	p->wait_minutes = -1;
	if (!p->req->wait)
		return 0;
	errno = 0;
	v = strtol(p->req->wait, &end, 10);
	if (errno || end == p->req->wait || *end || v < -1 || v > 100000)
		return vk_errorx(EINVAL, "--wait: '%s' is not a number of minutes (-1 waits forever)", p->req->wait);
	p->wait_minutes = (int)v;
	return 0;
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
static int check_space_with_others(const struct vk_install_plan *p, size_t i, const char *dir)
{
	char other_dir[PATH_MAX];
	struct stat here, there;
	uint64_t need = 0;
	size_t j;
	int rc;

	if (!p->checks.disk_size)
		return 0;
	if (stat(dir, &here) < 0)
		return vk_error(errno, "%s", dir);
	for (j = 0; j < p->n_disks; j++) {
		const struct vk_planned_disk *o = &p->disks[j];

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
static int check_macs(const struct vk_install_plan *p)
{
	char **names = NULL, msg[VK_ERRMSG_MAX];
	size_t n = 0, i, j, k;
	int rc;

	if (!p->checks.mac_in_use || !p->vm->n_nics)
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

/* A NIC's bridge is on this host; a network is defined (or is the default
 * one, defined on first use), and its bridge there when it is the host's. */
static int check_nic(const struct vk_nic *nic)
{
	struct vk_netdef *def = NULL;
	char path[PATH_MAX];
	const char *bridge = nic->source;
	int rc = 0;

	if (nic->kind == VK_NIC_NETWORK) {
		rc = vk_net_lookup_for_vm(nic->source, false, &def, NULL);
		if (rc == -ENOENT)
			rc = vk_errorx(ENOENT, "--network network=%s: no such network; define it (vctl net-define "
				       "FILE, docs/networks.md) or use the default one (network=default)", nic->source);
		if (rc < 0 || def->forward == VK_NET_NAT)
			goto out;
		bridge = def->bridge;
	} else if (nic->kind != VK_NIC_BRIDGE) {
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s/bridge", vk_net_sysfs(), bridge);
	if (access(path, F_OK) < 0)
		rc = vk_errorx(ENODEV, "bridge %s%s%s%s: no such bridge on this host; make one from the host's "
			       "interface (vctl iface-bridge eth0 %s) or name another", bridge,
			       def ? " (network " : "", def ? def->name : "", def ? ")" : "", bridge);
out:
	vk_netdef_free(def);
	return rc;
}

/* Step 1 of the flow: everything is checked before anything is created. */
int vk_install_check_host(struct vk_install_plan *p)
{
	char path[PATH_MAX], file[VK_NAME_MAX + 8], *def = NULL;
	struct stat st;
	size_t i;
	int rc;

	snprintf(file, sizeof(file), "%s.json", p->vm->name);
	rc = vk_install_state_file("vms", file, &def);
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
		rc = check_nic(&p->vm->nics[i]);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < p->n_disks; i++) {
		const struct vk_planned_disk *d = &p->disks[i];

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

/* Whether NAME is defined, or being created (its claim), in the state
 * directory; looked at without creating anything. */
static bool name_taken(const char *name)
{
	static const char *const suffixes[] = { ".json", ".claim" };
	char file[VK_NAME_MAX + 8], *path = NULL;
	bool taken = false;
	struct stat st;

	for (size_t i = 0; !taken && i < 2; i++) {
		snprintf(file, sizeof(file), "%s%s", name, suffixes[i]);
		if (vk_install_state_file("vms", file, &path) < 0) {
			vk_error_clear();
			continue;
		}
		taken = lstat(path, &st) == 0;
		free(path);
	}
	return taken;
}

/*
 * No --name: one made as virt-install makes it (virtinst/guest.py,
 * generate_name()): the OS variant's name as given (debian12), then
 * debian12-2, debian12-3, ... until one is free; with no variant named,
 * vm1, vm2, ...
 */
static int plan_generated_name(struct vk_install_plan *p)
{
	const char *base = p->osinfo_name ? p->osinfo_name : p->req->os_variant;
	char name[VK_NAME_MAX + 1];
	bool numbered;

	if (p->variant_defaulted || !base || strchr(base, '=') || vk_name_check(base) < 0 ||
	    strlen(base) > VK_NAME_MAX - 7) {
		vk_error_clear();
		base = "vm";
	}
	numbered = !strcmp(base, "vm");
	for (unsigned n = numbered ? 1 : 2; n < 100000; n++) {
		if (!numbered && n == 2 && !name_taken(base)) {
			snprintf(name, sizeof(name), "%s", base);
		} else {
			snprintf(name, sizeof(name), numbered ? "%s%u" : "%s-%u", base, n);
			if (name_taken(name))
				continue;
		}
		snprintf(p->vm->name, sizeof(p->vm->name), "%s", name);
		return 0;
	}
	return vk_errorx(EEXIST, "no free name from '%s'; give one with --name", base);
}

static int plan_build(struct vk_install_plan *p)
{
	int rc;

	rc = plan_checks(p);
	if (rc < 0)
		return rc;
	rc = p->req->name ? vk_name_check(p->req->name) : 0;
	if (rc < 0)
		return vk_error_prefix(rc, "--name");
	p->vm = vk_vm_new(p->req->name ? p->req->name : "vm");
	if (!p->vm)
		return vk_error(errno ? errno : ENOMEM, "%s", p->req->name ? p->req->name : "the VM");
	if (p->req->uuid) {
		if (!vk_uuid_valid(p->req->uuid))
			return vk_errorx(EINVAL, "--uuid: '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", p->req->uuid);
		snprintf(p->vm->uuid, sizeof(p->vm->uuid), "%s", p->req->uuid);
	}
	p->vm->autostart = p->req->autostart;
	if ((rc = plan_variant(p)) < 0 || (!p->req->name && (rc = plan_generated_name(p)) < 0) ||
	    (rc = plan_memory(p)) < 0 || (rc = plan_vcpus(p)) < 0 ||
	    (rc = plan_graphics(p)) < 0 || (rc = plan_console(p)) < 0 || (rc = plan_networks(p)) < 0 ||
	    (rc = plan_boot_option(p)) < 0 || (rc = plan_install_option(p)) < 0 || (rc = plan_platform(p)) < 0 ||
	    (rc = plan_autoconsole(p)) < 0 || (rc = plan_disks(p)) < 0 || (rc = plan_wait(p)) < 0 ||
	    (rc = plan_install(p)) < 0)
		return rc;
	p->vm->os_variant = strdup(p->variant->name);
	return vk_install_state_file("boot", p->vm->name, &p->boot_dir);
}

static int boot_file(const struct vk_install_plan *p, const char *name, char **out)
{
	if (asprintf(out, "%s/%s", p->boot_dir, name) < 0) {
		*out = NULL;
		return vk_error(ENOMEM, "%s", name);
	}
	return 0;
}

/* The definition as it is saved for the install: the installer's kernel. */
static int plan_definition(struct vk_install_plan *p)
{
	struct vk_boot *b = &p->vm->boot;
	size_t i;
	int rc = 0;

	for (i = 0; i < p->n_disks; i++) {
		rc = vk_vm_add_disk(p->vm, &p->disks[i].disk);
		if (rc < 0)
			return rc;
	}
	if (p->kind == VK_INSTALL_IMPORT && !p->kernel_src) {
		b->kind = VK_BOOT_DISK;
		if (p->boot_order && !(b->order = strdup(p->boot_order)))
			return vk_error(ENOMEM, "--boot");
		return 0;
	}
	if (p->kind == VK_INSTALL_CDROM) {
		/* Until the installer reboots; --boot's order is the installed system's. */
		b->kind = VK_BOOT_DISK;
		b->order = strdup(CDROM_INSTALL_ORDER);
		return b->order ? 0 : vk_error(ENOMEM, "--cdrom");
	}
	b->kind = VK_BOOT_KERNEL;
	if ((rc = boot_file(p, p->kind == VK_INSTALL_IMPORT ? "kernel" : "installer-kernel", &b->kernel)) < 0)
		return rc;
	if ((p->media_initrd || p->initrd_src) &&
	    (rc = boot_file(p, p->kind == VK_INSTALL_IMPORT ? "initrd" : "installer-initrd", &b->initrd)) < 0)
		return rc;
	if (p->kind == VK_INSTALL_IMPORT)
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

/* The default network, when a NIC needs it and it is not defined yet. */
static void print_new_default_network(FILE *out, const struct vk_vm *vm)
{
	char a[INET_ADDRSTRLEN];
	struct vk_netdef *def = NULL;
	struct in_addr in;
	size_t i;

	for (i = 0; i < vm->n_nics; i++)
		if (vm->nics[i].kind == VK_NIC_NETWORK && !strcmp(vm->nics[i].source, VK_NET_DEFAULT))
			break;
	if (i == vm->n_nics || vk_net_exists(VK_NET_DEFAULT))
		return;
	if (vk_net_plan_default(&def) < 0) {
		vk_error_clear();
		return;
	}
	in.s_addr = htonl(def->address & vk_ip4_mask(def->prefix));
	inet_ntop(AF_INET, &in, a, sizeof(a));
	fprintf(out, "Network:     default is defined on first use: NAT, %s/%u on bridge %s, DHCP and DNS, "
	       "started with the VM\n", a, def->prefix, def->bridge);
	vk_netdef_free(def);
}

/* vrun's command line for the definition, quoted for a shell; the
 * installer's ends with --no-reboot (vk_install_vrun_extra()). */
void vk_install_print_vrun_argv(FILE *out, const struct vk_vm *vm, const char *vrun, const char *console,
				bool installer)
{
	const char *const *extra = vk_install_vrun_extra(installer);
	struct vk_argv a = { 0 };
	size_t i;
	char *q;
	int rc = vk_vrun_argv(vm, vrun, console, &a);

	for (i = 0; rc == 0 && extra && extra[i]; i++)
		rc = vk_argv_add(&a, "%s", extra[i]);
	if (rc < 0) {
		vk_argv_free(&a);
		/* --import before the kernel is found on the disk */
		fprintf(out, "    %s --name %s --kernel (the kernel found on the disk) ...\n", vrun, vm->name);
		vk_error_clear();
		return;
	}
	for (i = 0; i < a.n; i++) {
		q = shell_quote(a.v[i]);
		fprintf(out, "%s%s", i ? " " : "    ", q ? q : "?");
		free(q);
	}
	fprintf(out, "\n");
	vk_argv_free(&a);
}

const char *const *vk_install_vrun_extra(bool installer)
{
	static const char *const no_reboot[] = { "--no-reboot", NULL };

	return installer ? no_reboot : NULL;
}

/* Whether vinstall shows the console on the user's terminal. */
bool vk_install_console_attached(const struct vk_install_plan *p)
{
	enum vk_console_kind k = p->vm->console.kind;

	return !p->detached && (k == VK_CONSOLE_PTY || k == VK_CONSOLE_STDIO);
}

/* The disk the installed system lives on: the first that is not the installer medium. */
const struct vk_planned_disk *vk_install_target_disk(const struct vk_install_plan *p)
{
	size_t i;

	for (i = 0; i < p->n_disks; i++)
		if (!p->disks[i].installer_medium && p->disks[i].disk.device == VK_DEVICE_DISK)
			return &p->disks[i];
	return NULL;
}

void vk_install_describe(struct vk_install_plan *p)
{
	const struct vk_vm *vm = p->vm;
	char sz[32], *console = NULL;
	size_t i, step = 1;

	vk_vrun_console_spec(vm, &console);

	fprintf(p->out, "Name:        %s\n", vm->name);
	fprintf(p->out, "UUID:        %s\n", vm->uuid);
	fprintf(p->out, "OS variant:  %s (%s)%s\n", p->variant->name, p->variant->description,
	       p->variant_defaulted ? ", the default; name one with --os-variant" : "");
	fprintf(p->out, "Memory:      %" PRIu64 " MiB (maximum %" PRIu64 " MiB)\n", vm->memory_mib, vm->max_memory_mib);
	fprintf(p->out, "vCPUs:       %u (maximum %u)\n", vm->vcpus, vm->max_vcpus);
	if (vm->topology.sockets)
		fprintf(p->out, "Topology:    sockets=%u, cores=%u, threads=%u (not yet shown to the guest)\n",
			vm->topology.sockets, vm->topology.cores, vm->topology.threads);
	switch (p->kind) {
	case VK_INSTALL_LOCATION:
		fprintf(p->out, "Install:     %s (%s", vk_media_location(p->media), vk_media_kind_name(vk_media_kind(p->media)));
		if (*vk_media_volume_id(p->media))
			fprintf(p->out, ", volume '%s'", vk_media_volume_id(p->media));
		fprintf(p->out, ")\nInstaller:   %s, %s\n", p->media_kernel, p->media_initrd);
		break;
	case VK_INSTALL_KERNEL:
		fprintf(p->out, "Install:     kernel %s%s%s\n", p->kernel_src, p->initrd_src ? ", initrd " : "",
		       p->initrd_src ? p->initrd_src : "");
		break;
	case VK_INSTALL_IMPORT:
		fprintf(p->out, "Install:     none (%s)\n", p->no_install ? "--install no_install=yes" : "--import");
		if (p->firmware_boot)
			fprintf(p->out, "Boot:        through the firmware (SeaBIOS): %s\n", *p->boot_loader ?
			       p->boot_loader : "no boot code found, as --boot asks");
		break;
	case VK_INSTALL_CDROM:
		fprintf(p->out, "Install:     %s (ISO", vk_media_location(p->media));
		if (*vk_media_volume_id(p->media))
			fprintf(p->out, ", volume '%s'", vk_media_volume_id(p->media));
		fprintf(p->out, ")\nInstaller:   the CD's own boot loader, through the firmware (SeaBIOS, El Torito)\n");
		break;
	case VK_INSTALL_NONE:
		break;
	}
	if (p->kind != VK_INSTALL_IMPORT && p->kind != VK_INSTALL_CDROM)
		fprintf(p->out, "Cmdline:     %s\n", p->cmdline);
	for (i = 0; i < p->n_disks; i++) {
		const struct vk_planned_disk *d = &p->disks[i];

		fprintf(p->out, "Disk %zu:      %s, %s, %s", i + 1, d->disk.path, vk_image_format_name(d->disk.format),
		       vk_disk_bus_name(d->disk.bus));
		if (d->installer_medium)
			fprintf(p->out, ", installer medium, read-only, detached after the install");
		else if (d->disk.device == VK_DEVICE_CDROM)
			fprintf(p->out, ", cdrom, read-only");
		else if (d->disk.readonly)
			fprintf(p->out, ", read-only");
		if (d->create)
			fprintf(p->out, ", new: %s%s%s", d->size ? vk_size_format(d->size, sz, sizeof(sz)) : "size of the backing file",
			       d->size_from_variant ? " (size from the OS variant)" : "",
			       d->sparse ? ", sparse" : ", fully allocated");
		if (d->create && d->backing)
			fprintf(p->out, ", backing %s (%s)", d->backing, vk_image_format_name(d->backing_format));
		else if (!d->create && !d->installer_medium)
			fprintf(p->out, ", existing");
		fprintf(p->out, "\n");
	}
	if (!p->n_disks)
		fprintf(p->out, "Disks:       none\n");
	for (i = 0; i < vm->n_nics; i++)
		fprintf(p->out, "NIC %zu:       %s %s, mac %s, %s\n", i + 1, vm->nics[i].kind == VK_NIC_TAP ? "tap"
		       : vm->nics[i].kind == VK_NIC_NETWORK ? "network" : "bridge", vm->nics[i].source,
		       vm->nics[i].mac, vm->nics[i].model);
	if (!vm->n_nics)
		fprintf(p->out, "NICs:        none\n");
	print_new_default_network(p->out, vm);
	if (vk_install_console_attached(p))
		fprintf(p->out, "Console:     serial, attached (Ctrl-] d detaches, Ctrl-] q stops the guest)\n");
	else if (vm->console.kind == VK_CONSOLE_FILE)
		fprintf(p->out, "Console:     serial, written to %s\n", vm->console.path);
	else if (vm->console.kind == VK_CONSOLE_NONE)
		fprintf(p->out, "Console:     serial, not shown (--console none; vrun writes it to the log named below)\n");
	else
		fprintf(p->out, "Console:     serial, not attached (--noautoconsole)\n");
	fprintf(p->out, "Autostart:   %s\n", vm->autostart ? "yes" : "no");
	fprintf(p->out, "Steps:\n");
	for (i = 0; i < p->n_disks; i++)
		if (p->disks[i].create)
			fprintf(p->out, "  %zu. create %s\n", step++, p->disks[i].disk.path);
	if (p->kind == VK_INSTALL_LOCATION || p->kernel_src)
		fprintf(p->out, "  %zu. copy the %skernel%s into %s/\n", step++,
		       p->kind == VK_INSTALL_IMPORT ? "" : "installer ", p->media_initrd || p->initrd_src ? " and initrd" : "", p->boot_dir);
	if (p->req->injects)
		fprintf(p->out, "  %zu. add %s%s to the installer initrd\n", step++, p->req->injects[0], p->req->injects[1] ? ", ..." : "");
	fprintf(p->out, "  %zu. define %s\n", step++, vm->name);
	if (p->kind == VK_INSTALL_IMPORT) {
		if (!p->kernel_src && !p->firmware_boot)
			fprintf(p->out, "  %zu. find the kernel, initrd and root on %s (libguestfs inspection)\n", step++,
			       p->disks[0].disk.path);
		fprintf(p->out, "  %zu. boot it:\n", step++);
		vk_install_print_vrun_argv(p->out, vm, "vrun", console ? console : "?", false);
	} else {
		fprintf(p->out, "  %zu. run the installer:\n", step++);
		vk_install_print_vrun_argv(p->out, vm, "vrun", console ? console : "?", true);
		if (p->req->noreboot)
			fprintf(p->out, "  %zu. when it reboots: record the installed system's boot, leave %s stopped (--noreboot)\n",
			       step++, vm->name);
		else if (!vk_install_target_disk(p))
			fprintf(p->out, "  %zu. when it reboots: nothing to boot (no disk); %s stays defined and stopped\n",
			       step++, vm->name);
		else
			fprintf(p->out, "  %zu. when it reboots: %sboot the installed system from %s (%s)\n", step++,
			       p->kind == VK_INSTALL_LOCATION || p->kind == VK_INSTALL_CDROM ?
			       "detach the install medium, " : "", vk_install_target_disk(p)->disk.path,
			       p->kind == VK_INSTALL_KERNEL && p->final_cmdline ? "same kernel, --boot kernel_args"
			       : "through its boot loader when the installer put one on it, else the kernel found "
				 "by inspection");
	}
	fprintf(p->out, "Dry run: nothing was created.\n");
	free(console);
}

int vk_install_plan_build(const struct vk_install_request *req, FILE *out, FILE *err,
			  struct vk_install_plan **plan)
{
	struct vk_install_plan *p = calloc(1, sizeof(*p));
	int rc;

	*plan = p;
	if (!p)
		return vk_error(ENOMEM, "the install plan");
	p->req = req;
	p->out = out;
	p->err = err;
	p->checks = (struct vk_install_checks){ true, true, true, true };
	rc = plan_build(p);
	if (p->n_refusals) {
		/* Only refusals: no other message is owed. */
		if (rc == 0)
			vk_error_clear();
		return rc < 0 ? rc : -ENOTSUP;
	}
	if (rc == 0)
		rc = plan_definition(p);
	if (rc == 0)
		rc = vk_vm_validate(p->vm);
	return rc;
}

void vk_install_plan_free(struct vk_install_plan *p)
{
	if (!p)
		return;
	plan_free(p);
	free(p);
}
