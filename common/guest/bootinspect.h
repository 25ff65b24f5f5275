/* bootinspect.h - find the kernel, initrd and root of an installed system on a disk (libguestfs). */
#ifndef VK_BOOTINSPECT_H
#define VK_BOOTINSPECT_H

#include "common/image/image.h"

struct vk_installed_boot {
	char *kernel;		/* copied out of the guest into the boot directory */
	char *initrd;		/* NULL when the guest has none */
	char *root_arg;		/* "root=UUID=..." or "root=/dev/vda1" */
	char *found_on;		/* where and how they were found, for the user */
};

/*
 * Inspect disk (read-only), copy the newest /boot/vmlinuz-* and its initrd
 * into dest_dir as "kernel" and "initrd" (temp name, fsync, rename).
 * First the direct path below; when it finds nothing, libguestfs
 * inspection, and when that recognises no OS, any filesystem holding
 * /boot/vmlinuz-*.  libguestfs is loaded only then; on a host without
 * vmx/svm its appliance runs under TCG.
 */
int vk_inspect_installed_boot(const char *disk, enum vk_image_format fmt, const char *dest_dir,
			      struct vk_installed_boot *out);

/*
 * The direct path, without an appliance: the whole disk (no partition
 * table) or each MBR/GPT partition in order, read with common/fs/extfs.c;
 * the first ext2/3/4 filesystem holding /boot/vmlinuz-* is the root
 * (root=UUID= of that filesystem).  1 when found and copied, 0 when
 * libguestfs has to look (no ext filesystem with /boot/vmlinuz-*, or one
 * we do not read: LVM, a separate /boot, XFS, Btrfs, a journal to
 * replay...), -errno on failure.
 */
int vk_find_installed_boot_direct(const char *disk, enum vk_image_format fmt, const char *dest_dir,
				  struct vk_installed_boot *out);
void vk_installed_boot_free(struct vk_installed_boot *b);

/*
 * Whether firmware can boot disk by itself: sector 0 ends in 55 AA and
 * holds boot code (bytes before the partition table not all zero), as an
 * MBR with GRUB, SYSLINUX or Windows' loader does, or a GPT disk's
 * protective MBR made bootable for BIOS.  1 and the loader's name in what
 * ("GRUB", "SYSLINUX", or "boot code" when not recognised), 0 when not,
 * -errno when the image cannot be read.
 */
int vk_disk_boot_code(const char *disk, enum vk_image_format fmt, char *what, size_t size);

/* Append a cpio "newc" archive holding the given files (at the archive's
 * top, by base name) to initrd: Linux unpacks concatenated archives, so the
 * installer sees them in its root (virt-install's --initrd-inject). */
int vk_initrd_inject(const char *initrd, char *const *files, size_t n_files);

#endif
