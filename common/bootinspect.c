/* bootinspect.c - boot files of an installed guest (libguestfs), and initrd injection (cpio newc). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <guestfs.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/bootinspect.h"
#include "common/error.h"

/* cpio "newc" (SVR4 without CRC), the format the kernel's initramfs reads. */
#define CPIO_NEWC_MAGIC "070701"
#define CPIO_TRAILER "TRAILER!!!"
#define CPIO_ALIGN 4
#define CPIO_MODE_REG 0100644
#define INJECT_MAX_FILE (1u << 30)

void vk_installed_boot_free(struct vk_installed_boot *b)
{
	if (!b)
		return;
	free(b->kernel);
	free(b->initrd);
	free(b->root_arg);
	b->kernel = b->initrd = b->root_arg = NULL;
}

static bool host_has_hw_virt(void)
{
	char line[4096];
	bool found = false;
	FILE *f = fopen("/proc/cpuinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5) && (strstr(line, " vmx") || strstr(line, " svm")))
			found = true;
	fclose(f);
	return found && access("/dev/kvm", R_OK | W_OK) == 0;
}

/* Newest of /boot/vmlinuz-*: version strings compared as strverscmp does. */
static char *newest_kernel(guestfs_h *g)
{
	char **names = guestfs_ls(g, "/boot"), *best = NULL;
	size_t i;

	if (!names)
		return NULL;
	for (i = 0; names[i]; i++) {
		if (strncmp(names[i], "vmlinuz-", 8) || strstr(names[i], "rescue"))
			continue;
		if (!best || strverscmp(names[i], best) > 0)
			best = names[i];
	}
	best = best ? strdup(best) : NULL;
	for (i = 0; names[i]; i++)
		free(names[i]);
	free(names);
	return best;
}

static char *initrd_for(guestfs_h *g, const char *version)
{
	/* Debian/Ubuntu, Fedora/RHEL, SUSE, Alpine-style names. */
	static const char *const prefixes[] = { "/boot/initrd.img-", "/boot/initramfs-", "/boot/initrd-",
						"/boot/initramfs-" };
	static const char *const suffixes[] = { "", ".img", "", "" };
	char path[512];
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s%s", prefixes[i], version, suffixes[i]);
		if (guestfs_is_file(g, path) > 0)
			return strdup(path);
	}
	return NULL;
}

static int download(guestfs_h *g, const char *src, const char *dest_dir, const char *name, char **out)
{
	char *dest = NULL, *tmp = NULL;
	int rc = 0;

	if (asprintf(&dest, "%s/%s", dest_dir, name) < 0 || asprintf(&tmp, "%s/.%s.tmp", dest_dir, name) < 0) {
		free(dest);
		return vk_error(ENOMEM, "%s", name);
	}
	if (guestfs_download(g, src, tmp) < 0) {
		rc = vk_errorx(EIO, "copying %s out of the guest: %s", src, guestfs_last_error(g));
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
	char **mps = guestfs_inspect_get_mountpoints(g, root);
	size_t i, j, n = 0;

	if (!mps)
		return;
	while (mps[n])
		n += 2;
	/* Shorter mount points first so /boot lands on top of /. */
	for (j = 1; j <= 64; j++)
		for (i = 0; i < n; i += 2)
			if (strlen(mps[i]) == j)
				guestfs_mount_ro(g, mps[i + 1], mps[i]);
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
	else if (guestfs_mount_ro(g, root, "/") < 0)
		return 0;
	if (guestfs_is_dir(g, "/boot") <= 0 || !(kname = newest_kernel(g)))
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
	uuid = guestfs_vfs_uuid(g, root);
	if (uuid && *uuid)
		rc = asprintf(&out->root_arg, "root=UUID=%s", uuid);
	else
		rc = asprintf(&out->root_arg, "root=%s", root);	/* /dev/sda1 in the appliance */
	if (rc < 0) {
		out->root_arg = NULL;
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
	guestfs_umount_all(g);
	free(kname);
	free(kpath);
	free(initrd);
	free(uuid);
	return rc;
}

int vk_inspect_installed_boot(const char *disk, enum vk_image_format fmt, const char *dest_dir,
			      struct vk_installed_boot *out)
{
	char **roots = NULL, **fss = NULL;
	guestfs_h *g;
	size_t i;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	g = guestfs_create();
	if (!g)
		return vk_error(errno ? errno : ENOMEM, "libguestfs");
	if (!getenv("LIBGUESTFS_BACKEND"))
		guestfs_set_backend(g, "direct");
	if (!host_has_hw_virt() && !getenv("LIBGUESTFS_BACKEND_SETTINGS")) {
		char *settings[] = { (char *)"force_tcg", NULL };

		guestfs_set_backend_settings(g, settings);
	}
	if (guestfs_add_drive_opts(g, disk, GUESTFS_ADD_DRIVE_OPTS_READONLY, 1,
				   GUESTFS_ADD_DRIVE_OPTS_FORMAT, vk_image_format_name(fmt), -1) < 0 ||
	    guestfs_launch(g) < 0) {
		rc = vk_errorx(EIO, "%s: libguestfs: %s", disk, guestfs_last_error(g));
		goto out;
	}
	roots = guestfs_inspect_os(g);
	for (i = 0; roots && roots[i] && rc == 0; i++)
		rc = try_root(g, roots[i], true, dest_dir, out);
	if (rc == 0) {
		fss = guestfs_list_filesystems(g);
		for (i = 0; fss && fss[i] && rc == 0; i += 2)
			rc = try_root(g, fss[i], false, dest_dir, out);
	}
	if (rc == 0)
		rc = vk_errorx(ENOENT, "%s: no installed Linux with /boot/vmlinuz-* found; "
			       "give the kernel with --boot kernel=,initrd=,kernel_args=", disk);
out:
	if (rc > 0)
		rc = 0;
	if (rc < 0)
		vk_installed_boot_free(out);
	for (i = 0; roots && roots[i]; i++)
		free(roots[i]);
	free(roots);
	for (i = 0; fss && fss[i]; i++)
		free(fss[i]);
	free(fss);
	guestfs_close(g);
	return rc;
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
		in = open(files[i], O_RDONLY | O_CLOEXEC);
		if (in < 0 || fstat(in, &st) < 0) {
			rc = vk_error(errno, "--initrd-inject %s", files[i]);
			goto out;
		}
		if (!S_ISREG(st.st_mode) || st.st_size > (off_t)INJECT_MAX_FILE) {
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
		rc = cpio_entry(fd, basename(copy), (unsigned)(i + 1), CPIO_MODE_REG, data, (size_t)n, initrd);
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
