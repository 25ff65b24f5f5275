/* guestfs-dl.h - libguestfs, loaded on first use instead of linked in, and the backend vkit wants from it. */
#ifndef VK_GUESTFS_DL_H
#define VK_GUESTFS_DL_H

#include <guestfs.h>

/*
 * Linked in, libguestfs brings some sixty libraries (libvirt, glib, ICU,
 * ...) into every run of vinstall and vdf, costs their fast paths more
 * start-up time than all their reading, and into the nested sandbox's
 * initramfs.  So it is dlopen()ed only when a direct reader found nothing,
 * and the functions callers need are looked up into this table.
 */
struct vk_guestfs {
	__typeof__(guestfs_create) *create;
	__typeof__(guestfs_close) *close;
	__typeof__(guestfs_set_backend) *set_backend;
	__typeof__(guestfs_set_backend_settings) *set_backend_settings;
	__typeof__(guestfs_add_drive_opts_argv) *add_drive_opts_argv;
	__typeof__(guestfs_last_error) *last_error;
	__typeof__(guestfs_launch) *launch;
	__typeof__(guestfs_push_error_handler) *push_error_handler;
	__typeof__(guestfs_pop_error_handler) *pop_error_handler;
	__typeof__(guestfs_inspect_os) *inspect_os;
	__typeof__(guestfs_inspect_get_mountpoints) *inspect_get_mountpoints;
	__typeof__(guestfs_list_filesystems) *list_filesystems;
	__typeof__(guestfs_canonical_device_name) *canonical_device_name;
	__typeof__(guestfs_mount_ro) *mount_ro;
	__typeof__(guestfs_umount_all) *umount_all;
	__typeof__(guestfs_is_dir) *is_dir;
	__typeof__(guestfs_is_file) *is_file;
	__typeof__(guestfs_ls) *ls;
	__typeof__(guestfs_download) *download;
	__typeof__(guestfs_vfs_uuid) *vfs_uuid;
	__typeof__(guestfs_statvfs) *statvfs;
	__typeof__(guestfs_free_statvfs) *free_statvfs;
	/* what the identity reset writes (common/guest/identity.c) */
	__typeof__(guestfs_mount) *mount;
	__typeof__(guestfs_read_file) *read_file;
	__typeof__(guestfs_write) *write;
	__typeof__(guestfs_truncate) *truncate;
	__typeof__(guestfs_rm_f) *rm_f;
	__typeof__(guestfs_glob_expand) *glob_expand;
	__typeof__(guestfs_shutdown) *shutdown;
};

/*
 * Load libguestfs.so.0 once and fill *out with its functions.  -ENOENT
 * with a message naming the Debian package, followed by hint when not
 * NULL (what else the user can do, e.g. "or use --engine=fast").
 */
int vk_guestfs_load(const struct vk_guestfs **out, const char *hint);

/*
 * A handle with the backend vkit wants: "direct" (no libvirt daemon)
 * unless LIBGUESTFS_BACKEND says otherwise, and TCG for the appliance
 * where KVM cannot run it (no VT-x/AMD-V or no usable /dev/kvm) unless
 * LIBGUESTFS_BACKEND_SETTINGS says otherwise.  0, or -errno with a
 * message.
 */
int vk_guestfs_create(const struct vk_guestfs *gfs, guestfs_h **out);

#endif
