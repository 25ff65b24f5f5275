/* vmdef.h - VM definitions: the JSON documents under $VKIT_DIR/vms/. */
#ifndef VK_VMDEF_H
#define VK_VMDEF_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "common/image/image.h"

#define VK_NAME_MAX 64
#define VK_UUID_LEN 36		/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
#define VK_MAC_LEN 17		/* "52:54:00:xx:xx:xx" */

enum vk_disk_bus { VK_BUS_VIRTIO = 0, VK_BUS_SATA, VK_BUS_SCSI, VK_BUS_IDE, VK_BUS_USB };
enum vk_disk_device { VK_DEVICE_DISK = 0, VK_DEVICE_CDROM };
enum vk_disk_cache {
	VK_CACHE_DEFAULT = 0, VK_CACHE_NONE, VK_CACHE_WRITETHROUGH,
	VK_CACHE_WRITEBACK, VK_CACHE_DIRECTSYNC, VK_CACHE_UNSAFE,
};

struct vk_disk {
	char *path;
	enum vk_image_format format;
	enum vk_disk_bus bus;
	enum vk_disk_device device;
	enum vk_disk_cache cache;
	bool readonly;			/* always true for cdrom */
	bool shareable;
	char *serial;			/* virtio-blk serial, or NULL */
};

enum vk_nic_kind { VK_NIC_BRIDGE = 0, VK_NIC_TAP, VK_NIC_USER, VK_NIC_NETWORK };
struct vk_nic {
	enum vk_nic_kind kind;
	char *source;			/* bridge, tap or network name (common/net/netdef.h) */
	char mac[VK_MAC_LEN + 1];
	char *model;			/* "virtio" */
};

enum vk_boot_kind { VK_BOOT_KERNEL = 0, VK_BOOT_DISK };
struct vk_boot {
	enum vk_boot_kind kind;
	char *kernel, *initrd, *cmdline;	/* VK_BOOT_KERNEL */
	char *order;		/* VK_BOOT_DISK: the firmware's boot order ("hd,cdrom,menu=on",
				 * common/vm/bootorder.h); NULL: its default */
};

enum vk_console_kind { VK_CONSOLE_PTY = 0, VK_CONSOLE_STDIO, VK_CONSOLE_FILE, VK_CONSOLE_NONE };
struct vk_console {
	enum vk_console_kind kind;
	char *path;			/* VK_CONSOLE_FILE */
};

/* The CPU topology the guest is meant to see; all zero when none was asked for. */
struct vk_cpu_topology {
	unsigned sockets, cores, threads;
};

struct vk_vm {
	char name[VK_NAME_MAX + 1];
	char uuid[VK_UUID_LEN + 1];
	uint64_t memory_mib, max_memory_mib;
	unsigned vcpus, max_vcpus;
	struct vk_cpu_topology topology;
	char *os_variant;		/* template name, or NULL */
	struct vk_boot boot;
	struct vk_disk *disks;
	size_t n_disks;
	struct vk_nic *nics;
	size_t n_nics;
	struct vk_console console;
	bool autostart;
};

/* A new definition with defaults filled in (uuid generated, 1 vCPU, 1024 MiB). */
struct vk_vm *vk_vm_new(const char *name);
void vk_vm_free(struct vk_vm *vm);
/* Deep copy; NULL with errno on allocation failure. */
struct vk_vm *vk_vm_dup(const struct vk_vm *vm);

/* Append copies of a disk / NIC (strings are duplicated). */
int vk_vm_add_disk(struct vk_vm *vm, const struct vk_disk *disk);
int vk_vm_add_nic(struct vk_vm *vm, const struct vk_nic *nic);

/* Every rule a definition must satisfy: valid name, UUID and MACs, memory
 * and vCPU limits, no duplicate disk paths or MACs, boot complete. */
int vk_vm_validate(const struct vk_vm *vm);
/* Do a and b name one file (a symlink, "//", a hard link, or the same
 * path for a file that does not exist yet)? */
bool vk_same_file(const char *a, const char *b);
/* The same question asked of one path against many: its identity is
 * looked up once (stat now, the resolved path only if a comparison
 * needs it). */
struct vk_file_id {
	const char *path;		/* borrowed */
	bool exists;
	dev_t dev;
	ino_t ino;
	char canon[PATH_MAX];		/* "" until needed */
};
void vk_file_id_get(const char *path, struct vk_file_id *id);
bool vk_file_id_same(struct vk_file_id *a, struct vk_file_id *b);

/* JSON round trip.  Parsing validates; unknown keys are rejected by name. */
int vk_vm_from_json(const char *text, struct vk_vm **out);
char *vk_vm_to_json(const struct vk_vm *vm);	/* pretty, NUL-terminated, malloc'd */

/* Files: load validates; save writes a temp file, fsyncs, renames, under an
 * exclusive lock on path's directory lock file. */
int vk_vm_load(const char *path, struct vk_vm **out);
int vk_vm_save(const struct vk_vm *vm, const char *path);
/* The same for a caller that already holds the lock (vk_vm_define). */
int vk_vm_save_unlocked(const struct vk_vm *vm, const char *path);
/* Exclusive flock on "dirname(path)/.lock"; close the fd to release it. */
int vk_lock_dir_of(const char *path, int *fd_out);

/* libvirt's (and Linux's) target name of the index-th disk on a bus with
 * that prefix: vda .. vdz, vdaa .. vdaz, vdba ... */
void vk_disk_target_name(const char *prefix, size_t index, char *out, size_t len);
/* The index a target of that prefix names ("vdb": 1, "vdaa": 26), or -1. */
long vk_disk_target_index(const char *prefix, const char *target);
const char *vk_disk_bus_name(enum vk_disk_bus bus);
int vk_disk_bus_parse(const char *s, enum vk_disk_bus *out);
const char *vk_disk_cache_name(enum vk_disk_cache c);
int vk_disk_cache_parse(const char *s, enum vk_disk_cache *out);

#endif
