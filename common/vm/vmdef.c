/* vmdef.c - VM definitions: build, check, and read/write them as JSON. */
#include "config.h"
#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/util/ids.h"
#include "common/util/jsonfield.h"
#include "common/vm/bootorder.h"
#include "common/vm/vmdef.h"

#define VK_VMDEF_VERSION 1
/* 16 TiB: far above any host we run on, and memory_mib << 20 cannot wrap. */
#define VK_MEMORY_MAX_MIB (UINT64_C(16) << 20)
/* x86 xAPIC IDs are 8 bits, 0xff being broadcast: 255 vCPUs at most. */
#define VK_VCPUS_MAX 255
/* virtio spec 5.2.6: VIRTIO_BLK_T_GET_ID returns at most 20 bytes. */
#define VIRTIO_BLK_ID_BYTES 20
/* Linux IFNAMSIZ is 16 including the NUL. */
#define VK_IFNAME_MAX 15
/* A definition is a few KiB; anything this large is not one. */
#define VK_VMDEF_FILE_MAX (1024 * 1024)
#define VK_JSON_DEPTH 8

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const bus_names[] = { "virtio", "sata", "scsi", "ide", "usb" };
static const char *const device_names[] = { "disk", "cdrom" };
static const char *const cache_names[] = {
	"default", "none", "writethrough", "writeback", "directsync", "unsafe",
};
static const char *const format_names[] = { "raw", "qcow2" };
static const char *const nic_names[] = { "bridge", "tap", "user", "network" };
static const char *const boot_names[] = { "kernel", "disk" };
static const char *const console_names[] = { "pty", "stdio", "file", "none" };

void vk_disk_target_name(const char *prefix, size_t index, char *out, size_t len)
{
	char letters[16];
	size_t k = sizeof(letters) - 1;

	/* Bijective base 26: after z comes aa, as the kernel names sd/vd. */
	letters[k] = '\0';
	do {
		letters[--k] = (char)('a' + index % 26);
		index /= 26;
	} while (index-- > 0 && k > 0);
	snprintf(out, len, "%s%s", prefix, letters + k);
}

long vk_disk_target_index(const char *prefix, const char *target)
{
	size_t plen = strlen(prefix);
	long i = 0;
	const char *c;

	if (strncmp(target, prefix, plen) || !target[plen] || strlen(target + plen) > 3)
		return -1;
	for (c = target + plen; *c; c++) {
		if (*c < 'a' || *c > 'z')
			return -1;
		i = i * 26 + (*c - 'a' + 1);
	}
	return i - 1;
}

const char *vk_disk_bus_name(enum vk_disk_bus bus)
{
	return vk_enum_name(bus_names, N_ELEMS(bus_names), (int)bus);
}

int vk_disk_bus_parse(const char *s, enum vk_disk_bus *out)
{
	int v, rc = vk_enum_parse(bus_names, N_ELEMS(bus_names), s, "disk bus", &v);

	if (rc == 0)
		*out = (enum vk_disk_bus)v;
	return rc;
}

const char *vk_disk_cache_name(enum vk_disk_cache c)
{
	return vk_enum_name(cache_names, N_ELEMS(cache_names), (int)c);
}

int vk_disk_cache_parse(const char *s, enum vk_disk_cache *out)
{
	int v, rc = vk_enum_parse(cache_names, N_ELEMS(cache_names), s, "disk cache mode", &v);

	if (rc == 0)
		*out = (enum vk_disk_cache)v;
	return rc;
}

/* ---- building and freeing ---- */

static void disk_clear(struct vk_disk *d)
{
	free(d->path);
	free(d->serial);
}

static void nic_clear(struct vk_nic *n)
{
	free(n->source);
	free(n->model);
}

static int strdup_or_null(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return -ENOMEM;
	return 0;
}

static int disk_copy(struct vk_disk *dst, const struct vk_disk *src)
{
	*dst = *src;
	dst->path = dst->serial = NULL;
	if (strdup_or_null(src->path, &dst->path) < 0 ||
	    strdup_or_null(src->serial, &dst->serial) < 0) {
		disk_clear(dst);
		return -ENOMEM;
	}
	/* A CD-ROM cannot be written, whatever the caller said. */
	if (dst->device == VK_DEVICE_CDROM)
		dst->readonly = true;
	return 0;
}

static int nic_copy(struct vk_nic *dst, const struct vk_nic *src)
{
	*dst = *src;
	dst->source = dst->model = NULL;
	if (strdup_or_null(src->source, &dst->source) < 0 ||
	    strdup_or_null(src->model, &dst->model) < 0) {
		nic_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

struct vk_vm *vk_vm_new(const char *name)
{
	struct vk_vm *vm;

	if (vk_name_check(name) < 0) {
		errno = EINVAL;
		return NULL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		vk_error(ENOMEM, "%s", name);
		return NULL;
	}
	snprintf(vm->name, sizeof(vm->name), "%s", name);
	if (vk_uuid_generate(vm->uuid) < 0) {
		free(vm);
		errno = EIO;
		return NULL;
	}
	vm->memory_mib = vm->max_memory_mib = 1024;
	vm->vcpus = vm->max_vcpus = 1;
	vm->boot.kind = VK_BOOT_DISK;
	vm->console.kind = VK_CONSOLE_PTY;
	return vm;
}

void vk_vm_free(struct vk_vm *vm)
{
	size_t i;

	if (!vm)
		return;
	free(vm->os_variant);
	free(vm->boot.kernel);
	free(vm->boot.initrd);
	free(vm->boot.cmdline);
	free(vm->boot.order);
	for (i = 0; i < vm->n_disks; i++)
		disk_clear(&vm->disks[i]);
	free(vm->disks);
	for (i = 0; i < vm->n_nics; i++)
		nic_clear(&vm->nics[i]);
	free(vm->nics);
	free(vm->console.path);
	free(vm);
}

int vk_vm_add_disk(struct vk_vm *vm, const struct vk_disk *disk)
{
	struct vk_disk *disks = realloc(vm->disks, (vm->n_disks + 1) * sizeof(*disks));

	if (!disks)
		return vk_error(ENOMEM, "%s: disk", vm->name);
	vm->disks = disks;
	if (disk_copy(&vm->disks[vm->n_disks], disk) < 0)
		return vk_error(ENOMEM, "%s: disk", vm->name);
	vm->n_disks++;
	return 0;
}

int vk_vm_add_nic(struct vk_vm *vm, const struct vk_nic *nic)
{
	struct vk_nic *nics = realloc(vm->nics, (vm->n_nics + 1) * sizeof(*nics));
	int rc;

	if (!nics)
		return vk_error(ENOMEM, "%s: network interface", vm->name);
	vm->nics = nics;
	if (nic_copy(&vm->nics[vm->n_nics], nic) < 0)
		return vk_error(ENOMEM, "%s: network interface", vm->name);
	/* An empty MAC means "pick one", as virt-install does. */
	if (vm->nics[vm->n_nics].mac[0] == '\0') {
		rc = vk_mac_generate(vm->nics[vm->n_nics].mac);
		if (rc < 0) {
			nic_clear(&vm->nics[vm->n_nics]);
			return rc;
		}
	}
	vm->n_nics++;
	return 0;
}

struct vk_vm *vk_vm_dup(const struct vk_vm *vm)
{
	struct vk_vm *copy = calloc(1, sizeof(*copy));
	size_t i;

	if (!copy)
		goto fail;
	*copy = *vm;
	copy->os_variant = copy->boot.kernel = copy->boot.initrd = copy->boot.cmdline = NULL;
	copy->boot.order = NULL;
	copy->console.path = NULL;
	copy->disks = NULL;
	copy->nics = NULL;
	copy->n_disks = copy->n_nics = 0;
	if (strdup_or_null(vm->os_variant, &copy->os_variant) < 0 ||
	    strdup_or_null(vm->boot.kernel, &copy->boot.kernel) < 0 ||
	    strdup_or_null(vm->boot.initrd, &copy->boot.initrd) < 0 ||
	    strdup_or_null(vm->boot.cmdline, &copy->boot.cmdline) < 0 ||
	    strdup_or_null(vm->boot.order, &copy->boot.order) < 0 ||
	    strdup_or_null(vm->console.path, &copy->console.path) < 0)
		goto fail;
	for (i = 0; i < vm->n_disks; i++)
		if (vk_vm_add_disk(copy, &vm->disks[i]) < 0)
			goto fail;
	for (i = 0; i < vm->n_nics; i++)
		if (vk_vm_add_nic(copy, &vm->nics[i]) < 0)
			goto fail;
	return copy;
fail:
	vk_vm_free(copy);
	vk_error(ENOMEM, "%s", vm->name);
	errno = ENOMEM;
	return NULL;
}

/* ---- validation ---- */

static int check_absolute(const char *field, const char *path)
{
	if (path && path[0] != '/')
		return vk_errorx(EINVAL, "%s '%s' must be an absolute path", field, path);
	return 0;
}

static int check_template_name(const char *os_variant)
{
	size_t i;

	/* It names a file under the template directory: no '/', no "..". */
	if (!os_variant)
		return 0;
	for (i = 0; os_variant[i]; i++) {
		char c = os_variant[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '+' || c == '-' || (c == '.' && i > 0)))
			break;
	}
	if (i == 0 || os_variant[i] != '\0')
		return vk_errorx(EINVAL, "os_variant '%s' is not a template name (letters, digits, _.+-)",
				 os_variant);
	return 0;
}

static int check_memory(const struct vk_vm *vm)
{
	if (vm->memory_mib == 0)
		return vk_errorx(EINVAL, "memory must be at least 1 MiB");
	if (vm->memory_mib > VK_MEMORY_MAX_MIB)
		return vk_errorx(EINVAL, "memory %llu MiB is more than the %llu MiB vkit supports",
				 (unsigned long long)vm->memory_mib,
				 (unsigned long long)VK_MEMORY_MAX_MIB);
	if (vm->max_memory_mib > VK_MEMORY_MAX_MIB)
		return vk_errorx(EINVAL, "max_memory %llu MiB is more than the %llu MiB vkit supports",
				 (unsigned long long)vm->max_memory_mib,
				 (unsigned long long)VK_MEMORY_MAX_MIB);
	if (vm->memory_mib > vm->max_memory_mib)
		return vk_errorx(EINVAL, "memory (%llu MiB) is more than max_memory (%llu MiB)",
				 (unsigned long long)vm->memory_mib,
				 (unsigned long long)vm->max_memory_mib);
	return 0;
}

/* As libvirt, the topology describes every possible vCPU: its product is max_vcpus. */
static int check_topology(const struct vk_vm *vm)
{
	const struct vk_cpu_topology *t = &vm->topology;

	if (!t->sockets && !t->cores && !t->threads)
		return 0;
	if (!t->sockets || !t->cores || !t->threads)
		return vk_errorx(EINVAL, "topology needs sockets, cores and threads, each at least 1");
	if ((unsigned long long)t->sockets * t->cores * t->threads != vm->max_vcpus)
		return vk_errorx(EINVAL, "topology sockets=%u * cores=%u * threads=%u is not max_vcpus (%u): "
				 "make the product equal max_vcpus", t->sockets, t->cores, t->threads, vm->max_vcpus);
	return 0;
}

static int check_vcpus(const struct vk_vm *vm)
{
	if (vm->vcpus == 0)
		return vk_errorx(EINVAL, "vcpus must be at least 1");
	if (vm->vcpus > VK_VCPUS_MAX)
		return vk_errorx(EINVAL, "vcpus %u is more than %d, the most vrun supports",
				 vm->vcpus, VK_VCPUS_MAX);
	if (vm->max_vcpus > VK_VCPUS_MAX)
		return vk_errorx(EINVAL, "max_vcpus %u is more than %d, the most vrun supports",
				 vm->max_vcpus, VK_VCPUS_MAX);
	if (vm->vcpus > vm->max_vcpus)
		return vk_errorx(EINVAL, "vcpus (%u) is more than max_vcpus (%u)",
				 vm->vcpus, vm->max_vcpus);
	return check_topology(vm);
}

static int check_boot(const struct vk_boot *boot)
{
	int rc;

	if ((unsigned)boot->kind >= N_ELEMS(boot_names))
		return vk_errorx(EINVAL, "boot.kind %d is not known", (int)boot->kind);
	if (boot->kind == VK_BOOT_KERNEL && (!boot->kernel || !boot->kernel[0]))
		return vk_errorx(EINVAL, "boot from a kernel needs boot.kernel (the kernel's path)");
	rc = check_absolute("boot.kernel", boot->kernel);
	if (rc == 0)
		rc = check_absolute("boot.initrd", boot->initrd);
	if (rc == 0 && boot->order) {
		struct vk_boot_order order;

		if (boot->kind != VK_BOOT_DISK)
			return vk_errorx(EINVAL, "boot.order is the firmware's boot order: it goes with "
					 "boot.kind disk, not with a kernel");
		rc = vk_boot_order_parse(boot->order, "boot.order", &order);
	}
	return rc;
}

static int check_serial(size_t i, const char *serial)
{
	size_t k;

	if (!serial)
		return 0;
	if (strlen(serial) > VIRTIO_BLK_ID_BYTES)
		return vk_errorx(EINVAL, "disks[%zu].serial '%s' is longer than %d bytes "
				 "(VIRTIO_BLK_ID_BYTES)", i, serial, VIRTIO_BLK_ID_BYTES);
	for (k = 0; serial[k]; k++)
		if (serial[k] < 0x21 || serial[k] > 0x7e)
			return vk_errorx(EINVAL, "disks[%zu].serial '%s' must be printable ASCII "
					 "without spaces", i, serial);
	return 0;
}

/* The path with its directory resolved (symlinks, "//", "/./", ".."): the
 * file itself need not exist yet.  Falls back to the text. */
static void canonical_path(const char *path, char out[PATH_MAX])
{
	char *dir = strdup(path), *slash = dir ? strrchr(dir, '/') : NULL, real[PATH_MAX];

	if (realpath(path, out))
		goto out;
	snprintf(out, PATH_MAX, "%s", path);
	if (!slash)
		goto out;
	*slash = '\0';
	if (realpath(*dir ? dir : "/", real) && strlen(real) + strlen(slash + 1) + 2 <= PATH_MAX)
		snprintf(out, PATH_MAX, "%s/%s", strcmp(real, "/") == 0 ? "" : real, slash + 1);
out:
	free(dir);
}

/* Two spellings of one disk (a symlink, "//", a hard link) would attach one
 * file twice, read-write both times. */
void vk_file_id_get(const char *path, struct vk_file_id *id)
{
	struct stat st;

	id->path = path;
	id->exists = stat(path, &st) == 0;
	id->dev = id->exists ? st.st_dev : 0;
	id->ino = id->exists ? st.st_ino : 0;
	id->canon[0] = '\0';
}

static const char *file_id_canon(struct vk_file_id *id)
{
	if (!id->canon[0])
		canonical_path(id->path, id->canon);
	return id->canon;
}

bool vk_file_id_same(struct vk_file_id *a, struct vk_file_id *b)
{
	if (strcmp(a->path, b->path) == 0)
		return true;
	if (a->exists && b->exists)
		return a->dev == b->dev && a->ino == b->ino;
	if (a->exists != b->exists)
		return false;	/* what is there is not what is not */
	return strcmp(file_id_canon(a), file_id_canon(b)) == 0;
}

bool vk_same_file(const char *a, const char *b)
{
	struct vk_file_id ia, ib;

	if (strcmp(a, b) == 0)
		return true;
	vk_file_id_get(a, &ia);
	vk_file_id_get(b, &ib);
	return vk_file_id_same(&ia, &ib);
}

static int check_disks(const struct vk_vm *vm)
{
	size_t i, j;
	char field[48];
	int rc;

	for (i = 0; i < vm->n_disks; i++) {
		const struct vk_disk *d = &vm->disks[i];

		if (!d->path || !d->path[0])
			return vk_errorx(EINVAL, "disks[%zu].path is missing", i);
		snprintf(field, sizeof(field), "disks[%zu].path", i);
		rc = check_absolute(field, d->path);
		if (rc < 0)
			return rc;
		if ((unsigned)d->format >= N_ELEMS(format_names) ||
		    (unsigned)d->bus >= N_ELEMS(bus_names) ||
		    (unsigned)d->device >= N_ELEMS(device_names) ||
		    (unsigned)d->cache >= N_ELEMS(cache_names))
			return vk_errorx(EINVAL, "disks[%zu] has an unknown format, bus, device or cache", i);
		rc = check_serial(i, d->serial);
		if (rc < 0)
			return rc;
		for (j = 0; j < i; j++)
			if (vk_same_file(vm->disks[j].path, d->path))
				return vk_errorx(EINVAL, "disks[%zu] (%s) and disks[%zu] (%s) are the same file; "
						 "a disk can be attached once", j, vm->disks[j].path, i, d->path);
	}
	return 0;
}

static bool ifname_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > VK_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '/' || s[i] == ':' || s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

static int check_nics(const struct vk_vm *vm)
{
	char canon[VK_MAC_LEN + 1], other[VK_MAC_LEN + 1];
	size_t i, j;
	int rc;

	for (i = 0; i < vm->n_nics; i++) {
		const struct vk_nic *n = &vm->nics[i];

		if ((unsigned)n->kind >= N_ELEMS(nic_names))
			return vk_errorx(EINVAL, "nics[%zu] has an unknown type", i);
		rc = vk_mac_parse(n->mac, canon);
		if (rc < 0)
			return vk_error_prefix(rc, "nics[%zu].mac", i);
		if (n->kind != VK_NIC_USER && !n->source)
			return vk_errorx(EINVAL, "nics[%zu] of type %s needs a source (the %s's name)",
					 i, nic_names[n->kind], nic_names[n->kind]);
		if (n->kind == VK_NIC_NETWORK && (rc = vk_name_check_as(n->source, "network name")) < 0)
			return vk_error_prefix(rc, "nics[%zu].source", i);
		if (n->source && n->kind != VK_NIC_NETWORK && !ifname_ok(n->source))
			return vk_errorx(EINVAL, "nics[%zu].source '%s' is not an interface name "
					 "(1-%d characters, no '/', ':' or spaces)", i, n->source,
					 VK_IFNAME_MAX);
		for (j = 0; j < i; j++) {
			if (vk_mac_parse(vm->nics[j].mac, other) == 0 && strcmp(other, canon) == 0)
				return vk_errorx(EINVAL, "nics[%zu] and nics[%zu] both use MAC %s",
						 j, i, canon);
		}
	}
	return 0;
}

static int check_console(const struct vk_console *c)
{
	if ((unsigned)c->kind >= N_ELEMS(console_names))
		return vk_errorx(EINVAL, "console.type %d is not known", (int)c->kind);
	if (c->kind == VK_CONSOLE_FILE && (!c->path || !c->path[0]))
		return vk_errorx(EINVAL, "console of type file needs console.path");
	return check_absolute("console.path", c->path);
}

int vk_vm_validate(const struct vk_vm *vm)
{
	int rc;

	rc = vk_name_check(vm->name);
	if (rc < 0)
		return rc;
	if (!vk_uuid_valid(vm->uuid))
		return vk_errorx(EINVAL, "uuid '%s' is not a UUID "
				 "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", vm->uuid);
	if ((rc = check_memory(vm)) < 0 || (rc = check_vcpus(vm)) < 0 ||
	    (rc = check_template_name(vm->os_variant)) < 0 || (rc = check_boot(&vm->boot)) < 0 ||
	    (rc = check_disks(vm)) < 0 || (rc = check_nics(vm)) < 0 ||
	    (rc = check_console(&vm->console)) < 0)
		return rc;
	return 0;
}

/* ---- JSON ---- */

static const char *const top_keys[] = {
	"version", "name", "uuid", "memory", "max_memory", "vcpus", "max_vcpus",
	"topology", "os_variant", "boot", "disks", "nics", "console", "autostart", NULL,
};
static const char *const boot_keys[] = { "kind", "kernel", "initrd", "cmdline", "order", NULL };
static const char *const disk_keys[] = {
	"path", "format", "bus", "device", "cache", "readonly", "shareable", "serial", NULL,
};
static const char *const nic_keys[] = { "type", "source", "mac", "model", NULL };
static const char *const console_keys[] = { "type", "path", NULL };
static const char *const topology_keys[] = { "sockets", "cores", "threads", NULL };

static int boot_from_json(struct json_object *o, struct vk_boot *boot)
{
	int kind = VK_BOOT_DISK, rc;

	if ((rc = vk_json_check_keys(o, "boot", boot_keys)) < 0 ||
	    (rc = vk_json_get_enum(o, "boot", "kind", true, boot_names, N_ELEMS(boot_names), &kind)) < 0 ||
	    (rc = vk_json_get_string(o, "boot", "kernel", false, &boot->kernel)) < 0 ||
	    (rc = vk_json_get_string(o, "boot", "initrd", false, &boot->initrd)) < 0 ||
	    (rc = vk_json_get_string(o, "boot", "cmdline", false, &boot->cmdline)) < 0 ||
	    (rc = vk_json_get_string(o, "boot", "order", false, &boot->order)) < 0)
		return rc;
	boot->kind = (enum vk_boot_kind)kind;
	return 0;
}

static int disk_from_json(struct json_object *o, size_t i, struct vk_vm *vm)
{
	struct vk_disk d = { 0 };
	int format = 0, bus = 0, device = 0, cache = 0, rc;
	char where[32];

	snprintf(where, sizeof(where), "disks[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		return vk_errorx(EINVAL, "%s must be an object", where);
	if ((rc = vk_json_check_keys(o, where, disk_keys)) < 0 ||
	    (rc = vk_json_get_string(o, where, "path", true, &d.path)) < 0 ||
	    (rc = vk_json_get_enum(o, where, "format", true, format_names, N_ELEMS(format_names),
			   &format)) < 0 ||
	    (rc = vk_json_get_enum(o, where, "bus", false, bus_names, N_ELEMS(bus_names), &bus)) < 0 ||
	    (rc = vk_json_get_enum(o, where, "device", false, device_names, N_ELEMS(device_names),
			   &device)) < 0 ||
	    (rc = vk_json_get_enum(o, where, "cache", false, cache_names, N_ELEMS(cache_names),
			   &cache)) < 0 ||
	    (rc = vk_json_get_bool(o, where, "readonly", &d.readonly)) < 0 ||
	    (rc = vk_json_get_bool(o, where, "shareable", &d.shareable)) < 0 ||
	    (rc = vk_json_get_string(o, where, "serial", false, &d.serial)) < 0)
		goto out;
	d.format = (enum vk_image_format)format;
	d.bus = (enum vk_disk_bus)bus;
	d.device = (enum vk_disk_device)device;
	d.cache = (enum vk_disk_cache)cache;
	rc = vk_vm_add_disk(vm, &d);
out:
	disk_clear(&d);
	return rc;
}

static int nic_from_json(struct json_object *o, size_t i, struct vk_vm *vm)
{
	struct vk_nic n = { 0 };
	char where[32], field[48], *mac = NULL;
	int kind = 0, rc;

	snprintf(where, sizeof(where), "nics[%zu]", i);
	if (!json_object_is_type(o, json_type_object))
		return vk_errorx(EINVAL, "%s must be an object", where);
	if ((rc = vk_json_check_keys(o, where, nic_keys)) < 0 ||
	    (rc = vk_json_get_enum(o, where, "type", true, nic_names, N_ELEMS(nic_names), &kind)) < 0 ||
	    (rc = vk_json_get_string(o, where, "source", false, &n.source)) < 0 ||
	    (rc = vk_json_get_string(o, where, "mac", true, &mac)) < 0 ||
	    (rc = vk_json_get_string(o, where, "model", false, &n.model)) < 0)
		goto out;
	n.kind = (enum vk_nic_kind)kind;
	snprintf(field, sizeof(field), "%s.mac", where);
	rc = vk_mac_parse(mac, n.mac);
	if (rc < 0) {
		vk_error_prefix(rc, "%s", field);
		goto out;
	}
	rc = vk_vm_add_nic(vm, &n);
out:
	free(mac);
	nic_clear(&n);
	return rc;
}

static int console_from_json(struct json_object *o, struct vk_console *c)
{
	int kind = 0, rc;

	if ((rc = vk_json_check_keys(o, "console", console_keys)) < 0 ||
	    (rc = vk_json_get_enum(o, "console", "type", true, console_names, N_ELEMS(console_names),
			   &kind)) < 0 ||
	    (rc = vk_json_get_string(o, "console", "path", false, &c->path)) < 0)
		return rc;
	c->kind = (enum vk_console_kind)kind;
	return 0;
}

static int identity_from_json(struct json_object *top, struct vk_vm *vm)
{
	uint64_t version = 0;
	char *s = NULL;
	int rc;

	if ((rc = vk_json_get_uint(top, "", "version", true, UINT32_MAX, &version)) < 0)
		return rc;
	if (version != VK_VMDEF_VERSION)
		return vk_errorx(EINVAL, "definition version %llu is not supported; this vkit reads "
				 "version %d", (unsigned long long)version, VK_VMDEF_VERSION);
	if ((rc = vk_json_get_string(top, "", "name", true, &s)) < 0)
		return rc;
	rc = vk_name_check(s);
	if (rc == 0)
		snprintf(vm->name, sizeof(vm->name), "%s", s);
	free(s);
	if (rc < 0 || (rc = vk_json_get_string(top, "", "uuid", true, &s)) < 0)
		return rc;
	if (!vk_uuid_valid(s))
		rc = vk_errorx(EINVAL, "uuid '%s' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			       s);
	else
		snprintf(vm->uuid, sizeof(vm->uuid), "%s", s);
	free(s);
	return rc;
}

static int topology_from_json(struct json_object *top, struct vk_cpu_topology *t)
{
	uint64_t sockets, cores, threads;
	struct json_object *o;
	int rc;

	if ((rc = vk_json_get_container(top, "", "topology", json_type_object, &o)) < 0 || !o)
		return rc;
	if ((rc = vk_json_check_keys(o, "topology", topology_keys)) < 0 ||
	    (rc = vk_json_get_uint(o, "topology", "sockets", true, VK_VCPUS_MAX, &sockets)) < 0 ||
	    (rc = vk_json_get_uint(o, "topology", "cores", true, VK_VCPUS_MAX, &cores)) < 0 ||
	    (rc = vk_json_get_uint(o, "topology", "threads", true, VK_VCPUS_MAX, &threads)) < 0)
		return rc;
	t->sockets = (unsigned)sockets;
	t->cores = (unsigned)cores;
	t->threads = (unsigned)threads;
	return 0;
}

static int sizing_from_json(struct json_object *top, struct vk_vm *vm)
{
	uint64_t vcpus = 0, max_vcpus = UINT64_MAX;
	int rc;

	vm->max_memory_mib = UINT64_MAX;
	if ((rc = vk_json_get_uint(top, "", "memory", true, UINT64_C(1) << 52, &vm->memory_mib)) < 0 ||
	    (rc = vk_json_get_uint(top, "", "max_memory", false, UINT64_C(1) << 52,
			   &vm->max_memory_mib)) < 0 ||
	    (rc = vk_json_get_uint(top, "", "vcpus", true, UINT32_MAX, &vcpus)) < 0 ||
	    (rc = vk_json_get_uint(top, "", "max_vcpus", false, UINT32_MAX, &max_vcpus)) < 0)
		return rc;
	/* Absent maximums mean "no room to grow": the maximum is the current size. */
	if (vm->max_memory_mib == UINT64_MAX)
		vm->max_memory_mib = vm->memory_mib;
	vm->vcpus = (unsigned)vcpus;
	vm->max_vcpus = max_vcpus == UINT64_MAX ? vm->vcpus : (unsigned)max_vcpus;
	return topology_from_json(top, &vm->topology);
}

static int devices_from_json(struct json_object *top, struct vk_vm *vm)
{
	struct json_object *o;
	size_t i;
	int rc;

	if ((rc = vk_json_get_container(top, "", "boot", json_type_object, &o)) < 0)
		return rc;
	if (o && (rc = boot_from_json(o, &vm->boot)) < 0)
		return rc;
	if ((rc = vk_json_get_container(top, "", "disks", json_type_array, &o)) < 0)
		return rc;
	for (i = 0; o && i < json_object_array_length(o); i++)
		if ((rc = disk_from_json(json_object_array_get_idx(o, i), i, vm)) < 0)
			return rc;
	if ((rc = vk_json_get_container(top, "", "nics", json_type_array, &o)) < 0)
		return rc;
	for (i = 0; o && i < json_object_array_length(o); i++)
		if ((rc = nic_from_json(json_object_array_get_idx(o, i), i, vm)) < 0)
			return rc;
	if ((rc = vk_json_get_container(top, "", "console", json_type_object, &o)) < 0)
		return rc;
	if (o && (rc = console_from_json(o, &vm->console)) < 0)
		return rc;
	return 0;
}

int vk_vm_from_json(const char *text, struct vk_vm **out)
{
	struct json_object *top = NULL;
	struct vk_vm *vm = calloc(1, sizeof(*vm));
	int rc;

	if (!vm)
		return vk_error(ENOMEM, "definition");
	vm->boot.kind = VK_BOOT_DISK;
	if ((rc = vk_json_parse_object(text, VK_JSON_DEPTH, "a definition", &top)) < 0 ||
	    (rc = vk_json_check_keys(top, "", top_keys)) < 0 || (rc = identity_from_json(top, vm)) < 0 ||
	    (rc = sizing_from_json(top, vm)) < 0 ||
	    (rc = vk_json_get_string(top, "", "os_variant", false, &vm->os_variant)) < 0 ||
	    (rc = devices_from_json(top, vm)) < 0 ||
	    (rc = vk_json_get_bool(top, "", "autostart", &vm->autostart)) < 0 ||
	    (rc = vk_vm_validate(vm)) < 0)
		goto out;
	*out = vm;
	vm = NULL;
out:
	vk_vm_free(vm);
	json_object_put(top);
	return rc;
}

static struct json_object *disk_to_json(const struct vk_disk *d)
{
	struct json_object *o = json_object_new_object();

	vk_json_add_string(o, "path", d->path);
	vk_json_add_string(o, "format", vk_enum_name(format_names, N_ELEMS(format_names), (int)d->format));
	vk_json_add_string(o, "bus", vk_disk_bus_name(d->bus));
	vk_json_add_string(o, "device", vk_enum_name(device_names, N_ELEMS(device_names), (int)d->device));
	vk_json_add_string(o, "cache", vk_disk_cache_name(d->cache));
	json_object_object_add(o, "readonly",
			       json_object_new_boolean(d->readonly || d->device == VK_DEVICE_CDROM));
	json_object_object_add(o, "shareable", json_object_new_boolean(d->shareable));
	vk_json_add_string(o, "serial", d->serial);
	return o;
}

static struct json_object *nic_to_json(const struct vk_nic *n)
{
	struct json_object *o = json_object_new_object();

	vk_json_add_string(o, "type", vk_enum_name(nic_names, N_ELEMS(nic_names), (int)n->kind));
	vk_json_add_string(o, "source", n->source);
	vk_json_add_string(o, "mac", n->mac);
	vk_json_add_string(o, "model", n->model);
	return o;
}

char *vk_vm_to_json(const struct vk_vm *vm)
{
	struct json_object *top = json_object_new_object(), *boot, *console, *arr;
	char *text = NULL;
	size_t i;

	if (!top)
		goto out;
	json_object_object_add(top, "version", json_object_new_int(VK_VMDEF_VERSION));
	vk_json_add_string(top, "name", vm->name);
	vk_json_add_string(top, "uuid", vm->uuid);
	json_object_object_add(top, "memory", json_object_new_int64((int64_t)vm->memory_mib));
	json_object_object_add(top, "max_memory", json_object_new_int64((int64_t)vm->max_memory_mib));
	json_object_object_add(top, "vcpus", json_object_new_int64(vm->vcpus));
	json_object_object_add(top, "max_vcpus", json_object_new_int64(vm->max_vcpus));
	if (vm->topology.sockets) {
		struct json_object *topology = json_object_new_object();

		json_object_object_add(topology, "sockets", json_object_new_int64(vm->topology.sockets));
		json_object_object_add(topology, "cores", json_object_new_int64(vm->topology.cores));
		json_object_object_add(topology, "threads", json_object_new_int64(vm->topology.threads));
		json_object_object_add(top, "topology", topology);
	}
	vk_json_add_string(top, "os_variant", vm->os_variant);
	boot = json_object_new_object();
	vk_json_add_string(boot, "kind", vk_enum_name(boot_names, N_ELEMS(boot_names), (int)vm->boot.kind));
	vk_json_add_string(boot, "kernel", vm->boot.kernel);
	vk_json_add_string(boot, "initrd", vm->boot.initrd);
	vk_json_add_string(boot, "cmdline", vm->boot.cmdline);
	vk_json_add_string(boot, "order", vm->boot.order);
	json_object_object_add(top, "boot", boot);
	arr = json_object_new_array();
	for (i = 0; i < vm->n_disks; i++)
		json_object_array_add(arr, disk_to_json(&vm->disks[i]));
	json_object_object_add(top, "disks", arr);
	arr = json_object_new_array();
	for (i = 0; i < vm->n_nics; i++)
		json_object_array_add(arr, nic_to_json(&vm->nics[i]));
	json_object_object_add(top, "nics", arr);
	console = json_object_new_object();
	vk_json_add_string(console, "type",
		   vk_enum_name(console_names, N_ELEMS(console_names), (int)vm->console.kind));
	vk_json_add_string(console, "path", vm->console.path);
	json_object_object_add(top, "console", console);
	json_object_object_add(top, "autostart", json_object_new_boolean(vm->autostart));
	text = vk_json_to_text(top);
out:
	json_object_put(top);
	if (!text) {
		vk_error(ENOMEM, "%s: definition", vm->name);
		errno = ENOMEM;
	}
	return text;
}

int vk_vm_load(const char *path, struct vk_vm **out)
{
	char *text = NULL;
	int rc;

	rc = vk_read_file(path, VK_VMDEF_FILE_MAX, &text, NULL);
	if (rc < 0)
		return rc;
	rc = vk_vm_from_json(text, out);
	free(text);
	if (rc < 0)
		vk_error_prefix(rc, "%s", path);
	return rc;
}

int vk_vm_save_unlocked(const struct vk_vm *vm, const char *path)
{
	char *text;
	int rc;

	rc = vk_vm_validate(vm);
	if (rc < 0)
		return vk_error_prefix(rc, "%s", vm->name);
	text = vk_vm_to_json(vm);
	if (!text)
		return -ENOMEM;
	rc = vk_write_file_atomic(path, text, strlen(text), VK_MODE_PRIVATE_FILE);
	free(text);
	return rc;
}

int vk_lock_dir_of(const char *path, int *fd_out)
{
	char *copy = strdup(path), *lock = NULL;
	int rc;

	if (!copy)
		return vk_error(ENOMEM, "%s", path);
	if (asprintf(&lock, "%s/.lock", dirname(copy)) < 0) {
		lock = NULL;
		rc = vk_error(ENOMEM, "%s", path);
		goto out;
	}
	rc = vk_lock_path(lock, fd_out);
out:
	free(lock);
	free(copy);
	return rc;
}

int vk_vm_save(const struct vk_vm *vm, const char *path)
{
	int fd, rc;

	rc = vk_vm_validate(vm);
	if (rc < 0)
		return vk_error_prefix(rc, "%s", vm->name);
	rc = vk_lock_dir_of(path, &fd);
	if (rc < 0)
		return rc;
	rc = vk_vm_save_unlocked(vm, path);
	close(fd);
	return rc;
}
