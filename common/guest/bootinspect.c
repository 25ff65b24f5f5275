/* bootinspect.c - boot files of an installed guest (ext read directly, else libguestfs), and initrd injection (cpio newc). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/image/blockdev.h"
#include "common/guest/bootinspect.h"
#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/fs/extfs.h"
#include "common/fs/guestfs-dl.h"
#include "common/fs/partition.h"

/* cpio "newc" (SVR4 without CRC), the format the kernel's initramfs reads. */
#define CPIO_NEWC_MAGIC "070701"
#define CPIO_TRAILER "TRAILER!!!"
#define CPIO_ALIGN 4
#define CPIO_MODE_REG 0100644
#define INJECT_MAX_FILE (1u << 30)
/* The largest kernel or initrd copied out of an installed system. */
#define VK_BOOT_FILE_MAX (1ull << 30)

void vk_installed_boot_free(struct vk_installed_boot *b)
{
	if (!b)
		return;
	free(b->kernel);
	free(b->initrd);
	free(b->root_arg);
	free(b->found_on);
	b->kernel = b->initrd = b->root_arg = b->found_on = NULL;
}

/* Debian/Ubuntu, Fedora/RHEL, SUSE, Alpine names of a kernel's initrd. */
static const char *const initrd_prefixes[] = { "initrd.img-", "initramfs-", "initrd-", "initramfs-" };
static const char *const initrd_suffixes[] = { "", ".img", "", "" };
#define N_INITRD_NAMES (sizeof(initrd_prefixes) / sizeof(initrd_prefixes[0]))

/* Is name a kernel newer than best (NULL or "": none yet)?  Versions are
 * compared as strverscmp does; rescue kernels and names with control
 * characters never win. */
static bool newer_kernel(const char *name, const char *best)
{
	const char *p;

	if (strncmp(name, "vmlinuz-", 8) || strstr(name, "rescue"))
		return false;
	/* The name reaches messages and initrd paths: printable, one component. */
	for (p = name; *p; p++)
		if (*p == '/' || !isprint((unsigned char)*p))
			return false;
	return !best || !*best || strverscmp(name, best) > 0;
}

static int boot_file_paths(const char *dest_dir, const char *name, char **dest, char **tmp)
{
	*dest = *tmp = NULL;
	if (asprintf(dest, "%s/%s", dest_dir, name) < 0 || asprintf(tmp, "%s/.%s.tmp", dest_dir, name) < 0) {
		free(*dest);
		*dest = NULL;
		return vk_error(ENOMEM, "%s", name);
	}
	return 0;
}

/* --- The direct path: ext2/3/4 read straight from the image ----------- */

struct kernel_pick {
	struct vk_extfs *fs;
	char name[256];
	uint32_t ino;
};

static int pick_kernel(void *opaque, const char *name, uint32_t ino)
{
	struct kernel_pick *k = opaque;
	struct vk_extfs_stat st;
	int rc;

	if (!newer_kernel(name, k->name))
		return 0;
	rc = vk_extfs_stat(k->fs, ino, &st);
	if (rc < 0)
		return rc;
	if (S_ISREG(st.mode)) {
		snprintf(k->name, sizeof k->name, "%s", name);
		k->ino = ino;
	}
	return 0;
}

/* Copy inode ino out as dest_dir/name: temp name, fsync, rename. */
static int extfs_copy(struct vk_extfs *fs, uint32_t ino, const char *dest_dir, const char *name, char **out)
{
	char *dest = NULL, *tmp = NULL;
	int fd = -1, rc;

	rc = boot_file_paths(dest_dir, name, &dest, &tmp);
	if (rc < 0)
		return rc;
	unlink(tmp);
	rc = vk_create_private(tmp, O_WRONLY, &fd);
	if (rc < 0)
		goto out;
	rc = vk_extfs_copy_out(fs, ino, fd, VK_BOOT_FILE_MAX);
	if (rc == 0 && fsync(fd) < 0)
		rc = vk_error(errno, "%s", tmp);
	if (rc == 0 && rename(tmp, dest) < 0)
		rc = vk_error(errno, "%s", dest);
	if (rc == 0) {
		*out = dest;
		dest = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	free(dest);
	free(tmp);
	return rc;
}

/* 1: fs holds /boot/vmlinuz-*, copied out with its initrd; 0: it does not. */
static int extfs_boot(struct vk_extfs *fs, unsigned partno, const char *dest_dir, struct vk_installed_boot *out)
{
	struct kernel_pick k = { .fs = fs };
	struct vk_extfs_stat st;
	char uuid[37], path[512], dev[16];
	size_t i;
	int rc;

	if (partno)
		snprintf(dev, sizeof dev, "vda%u", partno);
	else
		snprintf(dev, sizeof dev, "vda");
	/* What we cannot read here is left to libguestfs, which may. */
	rc = vk_extfs_lookup(fs, "/boot", &st);
	if (rc == 0 && S_ISDIR(st.mode))
		rc = vk_extfs_readdir(fs, st.ino, pick_kernel, &k);
	if (rc < 0)
		vk_debug("%s: /boot: %s", dev, vk_last_error());
	if (rc < 0 || !k.name[0])
		return 0;
	rc = extfs_copy(fs, k.ino, dest_dir, "kernel", &out->kernel);
	for (i = 0; rc == 0 && i < N_INITRD_NAMES && !out->initrd; i++) {
		snprintf(path, sizeof path, "/boot/%s%s%s", initrd_prefixes[i], k.name + strlen("vmlinuz-"),
			 initrd_suffixes[i]);
		if (vk_extfs_lookup(fs, path, &st) < 0 || !S_ISREG(st.mode))
			continue;
		rc = extfs_copy(fs, st.ino, dest_dir, "initrd", &out->initrd);
	}
	if (rc == -EUCLEAN || rc == -EOPNOTSUPP || rc == -EFBIG) {
		/* A kernel or initrd we cannot read: libguestfs may. */
		vk_debug("%s: %s", dev, vk_last_error());
		if (out->kernel)
			unlink(out->kernel);
		vk_installed_boot_free(out);
		return 0;
	}
	if (rc < 0)
		return rc;
	/* vinstall boots the first disk, which the guest sees as vda. */
	vk_extfs_uuid(fs, uuid);
	if (uuid[0])
		rc = asprintf(&out->root_arg, "root=UUID=%s", uuid);
	else if (partno)
		rc = asprintf(&out->root_arg, "root=/dev/vda%u", partno);
	else
		rc = asprintf(&out->root_arg, "root=/dev/vda");
	if (rc < 0 || asprintf(&out->found_on, "/boot/%s on %s (%s, read directly)", k.name, dev,
			       vk_extfs_type(fs)) < 0) {
		out->found_on = NULL;
		return vk_error(ENOMEM, "root");
	}
	return 1;
}

int vk_find_installed_boot_direct(const char *disk, enum vk_image_format fmt, const char *dest_dir,
				  struct vk_installed_boot *out)
{
	struct vk_image *img = NULL;
	struct vk_ptable *pt = NULL;
	struct vk_blockdev dev, part;
	struct vk_extfs *fs = NULL;
	size_t i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vk_image_open(disk, fmt, VK_IMAGE_RDONLY, &img);
	if (rc < 0)
		return rc;
	pt = calloc(1, sizeof *pt);
	if (!pt) {
		rc = vk_error(ENOMEM, "%s", disk);
		goto out;
	}
	vk_blockdev_from_image(img, &dev);
	rc = vk_ptable_read(&dev, pt);
	if (rc < 0) {
		/* libguestfs may still make sense of it. */
		vk_debug("%s: partition table: %s", disk, vk_last_error());
		rc = 0;
		goto out;
	}
	/* The whole disk when it has no partition table, else each partition
	 * in order: the first filesystem with /boot/vmlinuz-* is the root. */
	n = pt->count ? pt->count : 1;
	for (i = 0; i < n && rc == 0; i++) {
		unsigned partno = pt->count ? pt->parts[i].number : 0;

		part = dev;
		if (pt->count && vk_blockdev_sub(&dev, pt->parts[i].start, pt->parts[i].size, &part) < 0)
			continue;
		rc = vk_extfs_open(&part, &fs);
		if (rc <= 0) {
			if (rc < 0)
				vk_debug("%s: partition %u: %s", disk, partno, vk_last_error());
			rc = 0;
			continue;
		}
		rc = extfs_boot(fs, partno, dest_dir, out);
		if (rc < 0)
			rc = vk_error_prefix(rc, "%s: partition %u", disk, partno);
		vk_extfs_close(fs);
		fs = NULL;
	}
out:
	if (rc <= 0)
		vk_installed_boot_free(out);
	free(pt);
	vk_image_close(img);
	return rc;
}

/* --- The general path: libguestfs inspection ------------------------- */

static const struct vk_guestfs *gfs;	/* set by inspect_guestfs() */

/* Newest of /boot/vmlinuz-*. */
static char *newest_kernel(guestfs_h *g)
{
	char **names = gfs->ls(g, "/boot"), *best = NULL;
	size_t i;

	if (!names)
		return NULL;
	for (i = 0; names[i]; i++)
		if (newer_kernel(names[i], best))
			best = names[i];
	best = best ? strdup(best) : NULL;
	for (i = 0; names[i]; i++)
		free(names[i]);
	free(names);
	return best;
}

static char *initrd_for(guestfs_h *g, const char *version)
{
	char path[512];
	size_t i;

	for (i = 0; i < N_INITRD_NAMES; i++) {
		snprintf(path, sizeof(path), "/boot/%s%s%s", initrd_prefixes[i], version, initrd_suffixes[i]);
		if (gfs->is_file(g, path) > 0)
			return strdup(path);
	}
	return NULL;
}

static int download(guestfs_h *g, const char *src, const char *dest_dir, const char *name, char **out)
{
	char *dest = NULL, *tmp = NULL;
	int rc;

	rc = boot_file_paths(dest_dir, name, &dest, &tmp);
	if (rc < 0)
		return rc;
	if (gfs->download(g, src, tmp) < 0) {
		rc = vk_errorx(EIO, "copying %s out of the guest: %s", src, gfs->last_error(g));
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, dest) < 0) {
		rc = vk_error(errno, "%s", dest);
		unlink(tmp);
		goto out;
	}
	*out = dest;
	dest = NULL;
out:
	free(dest);
	free(tmp);
	return rc;
}

/* Mount root's filesystems the way inspection says the guest does. */
static void mount_inspected(guestfs_h *g, const char *root)
{
	char **mps = gfs->inspect_get_mountpoints(g, root);
	size_t i, j, n = 0;

	if (!mps)
		return;
	while (mps[n])
		n += 2;
	/* Shorter mount points first so /boot lands on top of /. */
	for (j = 1; j <= 64; j++)
		for (i = 0; i < n; i += 2)
			if (strlen(mps[i]) == j)
				gfs->mount_ro(g, mps[i + 1], mps[i]);
	for (i = 0; i < n; i++)
		free(mps[i]);
	free(mps);
}

static int try_root(guestfs_h *g, const char *root, bool inspected, const char *dest_dir,
		    struct vk_installed_boot *out)
{
	char *kname = NULL, *kpath = NULL, *initrd = NULL, *uuid = NULL;
	int rc = 0;

	if (inspected)
		mount_inspected(g, root);
	else if (gfs->mount_ro(g, root, "/") < 0)
		return 0;
	if (gfs->is_dir(g, "/boot") <= 0 || !(kname = newest_kernel(g)))
		goto none;
	if (asprintf(&kpath, "/boot/%s", kname) < 0) {
		kpath = NULL;
		rc = vk_error(ENOMEM, "kernel");
		goto out;
	}
	initrd = initrd_for(g, kname + strlen("vmlinuz-"));
	rc = download(g, kpath, dest_dir, "kernel", &out->kernel);
	if (rc == 0 && initrd)
		rc = download(g, initrd, dest_dir, "initrd", &out->initrd);
	if (rc < 0)
		goto out;
	uuid = gfs->vfs_uuid(g, root);
	if (uuid && *uuid)
		rc = asprintf(&out->root_arg, "root=UUID=%s", uuid);
	else
		rc = asprintf(&out->root_arg, "root=%s", root);	/* /dev/sda1 in the appliance */
	if (rc < 0 || asprintf(&out->found_on, "%s on %s, libguestfs %s", kpath, root,
			       inspected ? "inspection" : "filesystem search") < 0) {
		out->root_arg = out->found_on = NULL;
		rc = vk_error(ENOMEM, "root");
		goto out;
	}
	/* The appliance names disks sdX; the guest sees virtio vdX. */
	if (!strncmp(out->root_arg, "root=/dev/sd", 12))
		out->root_arg[10] = 'v';
	rc = 1;
	goto out;
none:
	rc = 0;
out:
	gfs->umount_all(g);
	free(kname);
	free(kpath);
	free(initrd);
	free(uuid);
	return rc;
}

static int inspect_guestfs(const char *disk, enum vk_image_format fmt, const char *dest_dir,
			   struct vk_installed_boot *out)
{
	struct guestfs_add_drive_opts_argv opts = {
		.bitmask = GUESTFS_ADD_DRIVE_OPTS_READONLY_BITMASK | GUESTFS_ADD_DRIVE_OPTS_FORMAT_BITMASK,
		.readonly = 1,
		.format = vk_image_format_name(fmt),
	};
	char **roots = NULL, **fss = NULL;
	guestfs_h *g;
	size_t i;
	int rc;

	rc = vk_guestfs_load(&gfs, NULL);
	if (rc < 0)
		return rc;
	rc = vk_guestfs_create(gfs, &g);
	if (rc < 0)
		return rc;
	if (gfs->add_drive_opts_argv(g, disk, &opts) < 0 || gfs->launch(g) < 0) {
		rc = vk_errorx(EIO, "%s: libguestfs: %s", disk, gfs->last_error(g));
		goto out;
	}
	roots = gfs->inspect_os(g);
	for (i = 0; roots && roots[i] && rc == 0; i++)
		rc = try_root(g, roots[i], true, dest_dir, out);
	if (rc == 0) {
		fss = gfs->list_filesystems(g);
		for (i = 0; fss && fss[i] && rc == 0; i += 2)
			rc = try_root(g, fss[i], false, dest_dir, out);
	}
out:
	for (i = 0; roots && roots[i]; i++)
		free(roots[i]);
	free(roots);
	for (i = 0; fss && fss[i]; i++)
		free(fss[i]);
	free(fss);
	gfs->close(g);
	return rc;
}

int vk_inspect_installed_boot(const char *disk, enum vk_image_format fmt, const char *dest_dir,
			      struct vk_installed_boot *out)
{
	int rc;

	rc = vk_find_installed_boot_direct(disk, fmt, dest_dir, out);
	if (rc == 0)
		rc = inspect_guestfs(disk, fmt, dest_dir, out);
	if (rc == 0)
		rc = vk_errorx(ENOENT, "%s: no installed Linux with /boot/vmlinuz-* found; "
			       "give the kernel with --boot kernel=,initrd=,kernel_args=", disk);
	if (rc < 0)
		vk_installed_boot_free(out);
	return rc < 0 ? rc : 0;
}

static int write_all(int fd, const void *buf, size_t len, const char *what)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vk_error(errno, "%s", what);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int cpio_pad(int fd, size_t written, const char *what)
{
	static const char zeros[CPIO_ALIGN];
	size_t pad = (CPIO_ALIGN - written % CPIO_ALIGN) % CPIO_ALIGN;

	return write_all(fd, zeros, pad, what);
}

static int cpio_entry(int fd, const char *name, unsigned ino, unsigned mode, const void *data, size_t size,
		      const char *what)
{
	char hdr[111];
	size_t namesize = strlen(name) + 1;
	int rc;

	snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
		 CPIO_NEWC_MAGIC, ino, mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, namesize, 0u);
	rc = write_all(fd, hdr, 110, what);
	if (rc == 0)
		rc = write_all(fd, name, namesize, what);
	if (rc == 0)
		rc = cpio_pad(fd, 110 + namesize, what);
	if (rc == 0 && size)
		rc = write_all(fd, data, size, what);
	if (rc == 0)
		rc = cpio_pad(fd, size, what);
	return rc;
}

int vk_initrd_inject(const char *initrd, char *const *files, size_t n_files)
{
	char *data = NULL, *copy = NULL;
	struct stat st;
	size_t i;
	int fd, in = -1, rc = 0;
	ssize_t n;

	fd = open(initrd, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return vk_error(errno, "%s", initrd);
	/* The kernel wants each archive to start 4-aligned after the last. */
	if (fstat(fd, &st) < 0) {
		rc = vk_error(errno, "%s", initrd);
		goto out;
	}
	rc = cpio_pad(fd, (size_t)st.st_size, initrd);
	for (i = 0; i < n_files && rc == 0; i++) {
		rc = vk_open_input(files[i], O_RDONLY, VK_INPUT_REGULAR, "--initrd-inject", &in);
		if (rc < 0)
			goto out;
		if (fstat(in, &st) < 0) {
			rc = vk_error(errno, "--initrd-inject %s", files[i]);
			goto out;
		}
		if (st.st_size > (off_t)INJECT_MAX_FILE) {
			rc = vk_errorx(EINVAL, "--initrd-inject %s: must be a regular file under 1 GiB", files[i]);
			goto out;
		}
		data = malloc((size_t)st.st_size + 1);
		if (!data) {
			rc = vk_error(ENOMEM, "%s", files[i]);
			goto out;
		}
		n = read(in, data, (size_t)st.st_size);
		if (n != st.st_size) {
			rc = vk_error(n < 0 ? errno : EIO, "--initrd-inject %s", files[i]);
			goto out;
		}
		copy = strdup(files[i]);
		if (!copy) {
			rc = vk_error(ENOMEM, "%s", files[i]);
			goto out;
		}
		/* Inside the guest the file keeps no wider a mode than it has
		 * here: a kickstart with passwords stays 0600. */
		rc = cpio_entry(fd, basename(copy), (unsigned)(i + 1),
				CPIO_MODE_REG & ~(0777 & ~st.st_mode), data, (size_t)n, initrd);
		free(copy);
		copy = NULL;
		free(data);
		data = NULL;
		close(in);
		in = -1;
	}
	if (rc == 0)
		rc = cpio_entry(fd, CPIO_TRAILER, 0, 0, NULL, 0, initrd);
	if (rc == 0 && fsync(fd) < 0)
		rc = vk_error(errno, "%s", initrd);
out:
	free(data);
	free(copy);
	if (in >= 0)
		close(in);
	close(fd);
	return rc;
}

#define MBR_CODE_SIZE		440	/* boot code, before the disk signature and partition table */
#define MBR_SIGNATURE_OFF	510

/* A loader names itself in its first sector: GRUB's boot.img prints
 * "GRUB " messages, SYSLINUX's mbr.bin and Windows' say who they are. */
static const char *mbr_loader_name(const uint8_t *mbr)
{
	static const struct { const char *mark, *name; } loaders[] = {
		{ "GRUB", "GRUB" }, { "LILO", "LILO" }, { "Missing operating system", "an MS-DOS/Windows MBR" },
		{ "Invalid partition table", "an MS-DOS/Windows MBR" }, { "SYSLINUX", "SYSLINUX" },
		{ "Boot error", "SYSLINUX" },
	};

	for (size_t i = 0; i < sizeof(loaders) / sizeof(loaders[0]); i++)
		if (memmem(mbr, MBR_CODE_SIZE, loaders[i].mark, strlen(loaders[i].mark)))
			return loaders[i].name;
	return "boot code";
}

int vk_disk_boot_code(const char *disk, enum vk_image_format fmt, char *what, size_t size)
{
	struct vk_image *img = NULL;
	uint8_t mbr[512];
	bool code = false;
	int rc;

	if (size)
		what[0] = '\0';
	rc = vk_image_open(disk, fmt, VK_IMAGE_RDONLY, &img);
	if (rc < 0)
		return rc;
	if (vk_image_virtual_size(img) < sizeof(mbr)) {
		rc = 0;
		goto out;
	}
	rc = vk_image_read(img, mbr, sizeof(mbr), 0);
	if (rc < 0) {
		rc = vk_error_prefix(rc, "%s: its first sector", disk);
		goto out;
	}
	for (size_t i = 0; i < MBR_CODE_SIZE && !code; i++)
		code = mbr[i] != 0;
	rc = code && mbr[MBR_SIGNATURE_OFF] == 0x55 && mbr[MBR_SIGNATURE_OFF + 1] == 0xaa;
	if (rc && size)
		snprintf(what, size, "%s", mbr_loader_name(mbr));
out:
	vk_image_close(img);
	return rc;
}
