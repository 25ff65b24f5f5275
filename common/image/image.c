/* image.c - the format-independent face of disk images: dispatch, create, info, overlays. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/image/image-internal.h"
#include "common/image/qcow2.h"
#include "common/image/blockdev.h"

int vk_image_format_parse(const char *name, enum vk_image_format *out)
{
	if (name && strcmp(name, "raw") == 0)
		*out = VK_IMAGE_RAW;
	else if (name && strcmp(name, "qcow2") == 0)
		*out = VK_IMAGE_QCOW2;
	else
		return vk_errorx(EINVAL, "unknown image format '%s' (raw or qcow2)", name ? name : "");
	return 0;
}

bool vk_image_has_qcow2_magic(const char *path)
{
	uint8_t magic[4];
	bool yes;
	int fd;

	if (vk_open_input(path, O_RDONLY, VK_INPUT_REGULAR | VK_INPUT_BLOCK, NULL, &fd) < 0) {
		vk_error_clear();
		return false;
	}
	yes = read(fd, magic, sizeof(magic)) == sizeof(magic) &&
	      ((uint32_t)magic[0] << 24 | (uint32_t)magic[1] << 16 | (uint32_t)magic[2] << 8 | magic[3]) == QCOW2_MAGIC;
	close(fd);
	return yes;
}

/* rule->option with the format filled in: "format=qcow2". */
static void state_as(const struct vk_format_rule *rule, const char *fmt, char *out, size_t len)
{
	snprintf(out, len, "%s%s", rule->option, fmt);
}

int vk_image_format_decide(const char *path, const struct vk_format_rule *rule, bool given,
			   enum vk_image_format *fmt)
{
	bool magic = vk_image_has_qcow2_magic(path);
	char as_qcow2[64], as_raw[64];
	struct qcow2_header h;
	int rc;

	state_as(rule, "qcow2", as_qcow2, sizeof(as_qcow2));
	state_as(rule, "raw", as_raw, sizeof(as_raw));
	if (given) {
		if (*fmt == VK_IMAGE_QCOW2 && !magic)
			return vk_errorx(EINVAL, "%s %s: %s, but it is not a qcow2 image (no qcow2 magic); "
					 "state %s if it is a raw disk", rule->what, path, as_qcow2, as_raw);
		return 0;
	}
	*fmt = VK_IMAGE_RAW;
	if (!magic)
		return 0;
	if (rule->guess_without_backing) {
		rc = vk_qcow2_peek(path, &h);
		if (rc < 0)
			return rc;
		if (!h.backing_file[0]) {
			*fmt = VK_IMAGE_QCOW2;
			return 0;
		}
		return vk_errorx(EPERM, "%s %s: a qcow2 image naming a backing file (%s), and no format was "
				 "stated: a backing file named by an image whose format was guessed is not "
				 "followed; if the image is trusted, state %s", rule->what, path,
				 h.backing_file, as_qcow2);
	}
	return vk_errorx(EINVAL, "%s %s: starts like a qcow2 image, but no format was stated; formats are "
			 "never guessed (a raw disk whose guest wrote a qcow2 header could point at a host "
			 "file as its backing): state %s if it is a qcow2 image, %s if it is a raw disk",
			 rule->what, path, as_qcow2, as_raw);
}

const char *vk_image_format_name(enum vk_image_format fmt)
{
	return fmt == VK_IMAGE_QCOW2 ? "qcow2" : "raw";
}

int vk_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {	/* past the end of the file: zeros */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

int vk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

char *vk_image_resolve_backing(const char *image_path, const char *backing)
{
	const char *slash, *colon = strchr(backing, ':');
	char *out;

	/* qemu reads "proto:..." (nbd:, http:, json:) as a protocol, not a
	 * file; we follow plain files only and must not misread those. */
	if (colon && (!strchr(backing, '/') || colon < strchr(backing, '/'))) {
		vk_errorx(ENOTSUP, "%s: backing file '%s' names a protocol; only plain files are supported",
			  image_path, backing);
		errno = ENOTSUP;
		return NULL;
	}
	slash = strrchr(image_path, '/');
	if (backing[0] == '/' || !slash)
		out = strdup(backing);
	else if (asprintf(&out, "%.*s/%s", (int)(slash - image_path), image_path, backing) < 0)
		out = NULL;
	if (!out) {
		vk_error(ENOMEM, "%s", image_path);
		errno = ENOMEM;
	}
	return out;
}

int vk_image_open_depth(const char *path, enum vk_image_format fmt, unsigned flags,
			int depth, struct vk_image **out)
{
	struct vk_image *img;
	int rc;

	*out = NULL;
	if (depth >= VK_IMAGE_MAX_CHAIN)
		return vk_errorx(ELOOP, "%s: backing chain deeper than %d images (a loop?)",
				 path, VK_IMAGE_MAX_CHAIN);
	img = calloc(1, sizeof(*img));
	if (!img)
		return vk_error(ENOMEM, "%s", path);
	img->fd = -1;
	img->format = fmt;
	img->flags = flags;
	img->path = strdup(path);
	if (!img->path) {
		rc = vk_error(ENOMEM, "%s", path);
		goto out;
	}
	/* A FIFO given as a disk or named as a backing file would block the
	 * open or the first read forever; only files and block devices hold
	 * images. */
	rc = vk_open_input(path, ((flags & VK_IMAGE_RDONLY) ? O_RDONLY : O_RDWR) |
				 ((flags & VK_IMAGE_NOFOLLOW) ? O_NOFOLLOW : 0),
			   VK_INPUT_REGULAR | VK_INPUT_BLOCK, NULL, &img->fd);
	if (rc < 0)
		goto out;
	if (fmt == VK_IMAGE_RAW)
		rc = vk_raw_open(img);
	else if (fmt == VK_IMAGE_QCOW2)
		rc = vk_qcow2_open(img, depth);
	else
		rc = vk_errorx(EINVAL, "%s: unknown image format %d", path, (int)fmt);
out:
	if (rc < 0) {
		if (img->fd >= 0)
			close(img->fd);
		free(img->path);
		free(img);
		return rc;
	}
	*out = img;
	return 0;
}

int vk_image_open(const char *path, enum vk_image_format fmt, unsigned flags,
		  struct vk_image **out)
{
	return vk_image_open_depth(path, fmt, flags, 0, out);
}

void vk_image_close(struct vk_image *img)
{
	if (!img)
		return;
	if (img->ops && !(img->flags & VK_IMAGE_RDONLY))
		img->ops->flush(img);
	if (img->ops)
		img->ops->close(img);
	if (img->fd >= 0)
		close(img->fd);
	free(img->path);
	free(img);
}

static int check_range(const struct vk_image *img, uint64_t len, uint64_t off)
{
	if (off > img->size || len > img->size - off)
		return vk_errorx(EINVAL, "%s: request [%llu, +%llu) beyond the disk size %llu",
				 img->path, (unsigned long long)off, (unsigned long long)len,
				 (unsigned long long)img->size);
	return 0;
}

static int check_writable(const struct vk_image *img)
{
	return (img->flags & VK_IMAGE_RDONLY) ?
		vk_errorx(EROFS, "%s: image is open read-only", img->path) : 0;
}

int vk_image_read(struct vk_image *img, void *buf, size_t len, uint64_t offset)
{
	int rc = check_range(img, len, offset);

	return rc < 0 ? rc : img->ops->read(img, buf, len, offset);
}

int vk_image_write(struct vk_image *img, const void *buf, size_t len, uint64_t offset)
{
	int rc = check_range(img, len, offset);

	if (rc == 0)
		rc = check_writable(img);
	return rc < 0 ? rc : img->ops->write(img, buf, len, offset);
}

int vk_image_discard(struct vk_image *img, uint64_t offset, uint64_t len)
{
	int rc = check_range(img, len, offset);

	if (rc == 0)
		rc = check_writable(img);
	return rc < 0 || len == 0 ? rc : img->ops->discard(img, offset, len);
}

int vk_image_flush(struct vk_image *img)
{
	return (img->flags & VK_IMAGE_RDONLY) ? 0 : img->ops->flush(img);
}

int vk_image_block_status(struct vk_image *img, uint64_t off, uint64_t len,
			  enum vk_block_status *st, uint64_t *pnum)
{
	int rc = check_range(img, len, off);

	if (rc == 0 && len == 0)
		return vk_errorx(EINVAL, "%s: empty block status query", img->path);
	return rc < 0 ? rc : img->ops->block_status(img, off, len, st, pnum);
}

uint64_t vk_image_virtual_size(const struct vk_image *img)
{
	return img->size;
}

enum vk_image_format vk_image_format_of(const struct vk_image *img)
{
	return img->format;
}

bool vk_image_readonly(const struct vk_image *img)
{
	return (img->flags & VK_IMAGE_RDONLY) != 0;
}

const char *vk_image_path(const struct vk_image *img)
{
	return img->path;
}

int vk_image_create_at(const struct vk_image_create_opts *opts, const char *path)
{
	struct vk_image_create_opts o = *opts;
	struct vk_image *backing = NULL;
	char *bpath;
	int rc;

	if (o.backing_file && o.format != VK_IMAGE_QCOW2)
		return vk_errorx(EINVAL, "%s: only qcow2 images can have a backing file", o.path);
	if (o.backing_file && o.size == 0) {
		bpath = vk_image_resolve_backing(o.path, o.backing_file);
		if (!bpath)
			return -errno;
		rc = vk_image_open(bpath, o.backing_format, VK_IMAGE_RDONLY, &backing);
		free(bpath);
		if (rc < 0)
			return vk_error_prefix(rc, "%s: backing file", o.path);
		o.size = backing->size;
		vk_image_close(backing);
	}
	if (o.format == VK_IMAGE_QCOW2)
		return vk_qcow2_create(&o, path);
	return vk_raw_create(&o, path);
}

int vk_image_publish(const char *tmp, const char *path)
{
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return vk_error(errno, "%s", path);
	if (link(tmp, path) < 0)
		return vk_error(errno, "%s", path);
	unlink(tmp);
	return 0;
}

int vk_image_temp_name(const char *path, char *buf, size_t len)
{
	static unsigned counter;

	if ((size_t)snprintf(buf, len, "%s.tmp.%d.%u", path, (int)getpid(), counter++) >= len)
		return vk_errorx(ENAMETOOLONG, "%s: path too long", path);
	return 0;
}

int vk_image_create(const struct vk_image_create_opts *opts)
{
	char tmp[PATH_MAX];
	struct stat st;
	int rc;

	if (!opts->path)
		return vk_errorx(EINVAL, "image create: no path");
	if (lstat(opts->path, &st) == 0)
		return vk_errorx(EEXIST, "%s: already exists; remove it or choose another name", opts->path);
	rc = vk_image_temp_name(opts->path, tmp, sizeof(tmp));
	if (rc < 0)
		return rc;
	rc = vk_image_create_at(opts, tmp);
	if (rc == 0)
		rc = vk_image_publish(tmp, opts->path);
	if (rc == 0)
		return 0;
	unlink(tmp);
	return rc;
}

int vk_image_create_overlay(const char *path, const char *backing,
			    enum vk_image_format backing_format)
{
	struct vk_image_create_opts o = {
		.path = path,
		.format = VK_IMAGE_QCOW2,
		.backing_file = backing,
		.backing_format = backing_format,
	};

	return vk_image_create(&o);
}

void vk_image_info_free(struct vk_image_info *info)
{
	while (info) {
		struct vk_image_info *next = info->backing;

		free(info->path);
		free(info->backing_file);
		free(info->backing_path);
		free(info);
		info = next;
	}
}

static int info_link(struct vk_image_info *info)
{
	struct qcow2_header h;
	struct stat st;
	int rc;

	if (stat(info->path, &st) < 0)
		return vk_error(errno, "%s", info->path);
	info->actual_size = (uint64_t)st.st_blocks * 512;
	if (info->format == VK_IMAGE_RAW) {
		struct vk_image *img;

		rc = vk_image_open(info->path, VK_IMAGE_RAW, VK_IMAGE_RDONLY, &img);
		if (rc < 0)
			return rc;
		info->virtual_size = img->size;
		vk_image_close(img);
		return 0;
	}
	rc = vk_qcow2_peek(info->path, &h);
	if (rc < 0)
		return rc;
	info->virtual_size = h.size;
	info->cluster_size = 1u << h.cluster_bits;
	if (!h.backing_file[0])
		return 0;
	info->backing_file = strdup(h.backing_file);
	info->backing_path = vk_image_resolve_backing(info->path, h.backing_file);
	if (!info->backing_file || !info->backing_path)
		return vk_error(ENOMEM, "%s", info->path);
	return vk_qcow2_backing_format(info->path, &h, info->backing_path, &info->backing_format);
}

int vk_image_info(const char *path, enum vk_image_format fmt, struct vk_image_info **out)
{
	struct vk_image_info *head = NULL, **tail = &head, *info;
	const char *cur = path;
	int rc = 0, depth;

	*out = NULL;
	for (depth = 0; cur; depth++) {
		if (depth >= VK_IMAGE_MAX_CHAIN) {
			rc = vk_errorx(ELOOP, "%s: backing chain deeper than %d images (a loop?)",
				       path, VK_IMAGE_MAX_CHAIN);
			break;
		}
		info = calloc(1, sizeof(*info));
		if (!info || !(info->path = strdup(cur))) {
			free(info);
			rc = vk_error(ENOMEM, "%s", path);
			break;
		}
		*tail = info;
		tail = &info->backing;
		info->format = fmt;
		rc = info_link(info);
		if (rc < 0)
			break;
		cur = info->backing_path;
		fmt = info->backing_format;
	}
	if (rc < 0) {
		vk_image_info_free(head);
		return rc;
	}
	*out = head;
	return 0;
}

int vk_image_check_space(const char *dir, uint64_t need)
{
	struct statvfs sv;
	uint64_t avail;

	if (statvfs(dir, &sv) < 0)
		return vk_error(errno, "%s", dir);
	avail = (uint64_t)sv.f_bavail * sv.f_frsize;
	if (avail < need)
		return vk_errorx(ENOSPC, "%s: not enough free space: %llu bytes needed, %llu available; free some space or choose another directory",
				 dir, (unsigned long long)need, (unsigned long long)avail);
	return 0;
}

static int read_image(void *opaque, void *buf, size_t len, uint64_t offset)
{
	return vk_image_read(opaque, buf, len, offset);
}

/* Here, not in blockdev.c: the filesystem readers and their fuzz targets
 * use block devices without linking the image layer. */
void vk_blockdev_from_image(struct vk_image *img, struct vk_blockdev *out)
{
	*out = (struct vk_blockdev){ .read = read_image, .opaque = img, .size = vk_image_virtual_size(img) };
}
