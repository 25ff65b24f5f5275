/* image-copy.c - copying and converting images: reflink, else allocated data only, into a temp name. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/image/image-internal.h"
#include "common/image/qcow2.h"

#define COPY_CHUNK	(1u << 20)

static int fsync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd, rc = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vk_error(errno, "%s", dir);
	if (fsync(fd) < 0)
		rc = vk_error(errno, "%s", dir);
	close(fd);
	return rc;
}

static int check_space_for(const char *dst, uint64_t need)
{
	const char *slash = strrchr(dst, '/');
	char dir[PATH_MAX];

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == dst ? 1 : (int)(slash - dst), dst);
	return vk_image_check_space(dir, need);
}

static bool has_backing(struct vk_image *img)
{
	return img->format == VK_IMAGE_QCOW2 && qcow2_of(img)->backing;
}

/* Bytes the source chain holds on the host: what a sparse copy needs. */
static uint64_t allocated_bytes(struct vk_image *img)
{
	uint64_t total = 0;
	struct stat st;

	for (; img; img = has_backing(img) ? qcow2_of(img)->backing : NULL)
		if (fstat(img->fd, &st) == 0)
			total += (uint64_t)st.st_blocks * 512;
	return total;
}

/* Bytes of the virtual disk that read as data through the whole chain:
 * what a copy through the image layer writes at most.  Compressed
 * clusters are counted at their inflated size, which the file's own
 * allocation understates. */
static int data_bytes(struct vk_image *img, uint64_t *out)
{
	enum vk_block_status st;
	uint64_t off = 0, pnum;
	int rc;

	*out = 0;
	while (off < img->size) {
		rc = vk_image_block_status(img, off, img->size - off, &st, &pnum);
		if (rc < 0)
			return rc;
		if (pnum == 0)
			return vk_errorx(EIO, "%s: block status made no progress at %llu",
					 img->path, (unsigned long long)off);
		if (st == VK_BLOCK_DATA)
			*out += pnum;
		off += pnum;
	}
	return 0;
}

int vk_image_copy_space_needed(struct vk_image *src, unsigned flags, uint64_t *need)
{
	uint64_t data;
	int rc;

	if (flags & VK_COPY_NONSPARSE) {
		*need = src->size + src->size / 64;	/* qcow2 metadata: about 1/64 at worst */
		return 0;
	}
	*need = allocated_bytes(src);
	if (src->format != VK_IMAGE_QCOW2)
		return 0;
	rc = data_bytes(src, &data);
	if (rc < 0)
		return rc;
	if (data + data / 64 > *need)
		*need = data + data / 64;
	return 0;
}

static int try_reflink(struct vk_image *src, const char *tmp)
{
	int fd, rc = vk_create_private(tmp, O_WRONLY, &fd);

	if (rc < 0)
		return rc;
	if (ioctl(fd, FICLONE, src->fd) < 0)
		rc = vk_error(errno, "%s: reflink", tmp);
	else if (fsync(fd) < 0)
		rc = vk_error(errno, "%s", tmp);
	close(fd);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int progress(const struct vk_image_copy_opts *o, uint64_t done, uint64_t total)
{
	if (o->progress && o->progress(o->opaque, done, total))
		return vk_errorx(ECANCELED, "%s: copy cancelled", o->dst);
	return 0;
}

static int copy_range_raw(int in, int out, uint64_t off, uint64_t len, uint8_t *buf)
{
	while (len) {
		loff_t ioff = (loff_t)off, ooff = (loff_t)off;
		ssize_t n = copy_file_range(in, &ioff, out, &ooff, len, 0);

		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			size_t chunk = len < COPY_CHUNK ? (size_t)len : COPY_CHUNK;
			int rc = vk_pread_full(in, buf, chunk, off);

			if (rc == 0)
				rc = vk_pwrite_full(out, buf, chunk, off);
			if (rc < 0)
				return rc;
			n = (ssize_t)chunk;
		} else if (n < 0) {
			return -errno;
		} else if (n == 0) {
			return -EIO;	/* source shrank under us */
		}
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* raw -> raw: SEEK_DATA/SEEK_HOLE walk, copy_file_range for the data. */
static int copy_raw(const struct vk_image_copy_opts *o, struct vk_image *src, const char *tmp,
		    uint8_t *buf)
{
	uint64_t off = 0, size = src->size, pnum;
	enum vk_block_status st;
	int fd, rc = 0;

	rc = vk_create_private(tmp, O_WRONLY, &fd);
	if (rc < 0)
		return rc;
	if (ftruncate(fd, (off_t)size) < 0)
		rc = vk_error(errno, "%s", tmp);
	if (rc == 0 && (o->flags & VK_COPY_NONSPARSE) && size &&
	    (rc = posix_fallocate(fd, 0, (off_t)size)) != 0)
		rc = vk_error(rc, "%s", tmp);
	while (rc == 0 && off < size) {
		rc = vk_image_block_status(src, off, size - off, &st, &pnum);
		if (rc == 0 && st == VK_BLOCK_DATA &&
		    (rc = copy_range_raw(src->fd, fd, off, pnum, buf)) < 0)
			rc = vk_error(-rc, "%s -> %s", o->src, o->dst);
		off += pnum;
		if (rc == 0)
			rc = progress(o, off, size);
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = vk_error(errno, "%s", tmp);
	close(fd);
	return rc;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0);
}

/* Anything else: through the image layer, skipping what reads as zeros. */
static int copy_generic(const struct vk_image_copy_opts *o, struct vk_image *src, const char *tmp,
			uint8_t *buf)
{
	struct vk_image_create_opts co = {
		.path = o->dst, .format = o->dst_format, .size = src->size,
		.prealloc = (o->flags & VK_COPY_NONSPARSE) ? VK_PREALLOC_FULL : VK_PREALLOC_OFF,
	};
	struct vk_image *dst = NULL;
	uint64_t off = 0, size = src->size, pnum;
	enum vk_block_status st;
	int rc;

	rc = vk_image_create_at(&co, tmp);
	if (rc == 0)
		rc = vk_image_open(tmp, o->dst_format, 0, &dst);
	while (rc == 0 && off < size) {
		uint64_t len = size - off < COPY_CHUNK ? size - off : COPY_CHUNK;

		rc = vk_image_block_status(src, off, len, &st, &pnum);
		if (rc < 0)
			break;
		if (st == VK_BLOCK_DATA) {
			rc = vk_image_read(src, buf, (size_t)pnum, off);
			if (rc == 0 && !all_zero(buf, (size_t)pnum))
				rc = vk_image_write(dst, buf, (size_t)pnum, off);
		}
		off += pnum;
		if (rc == 0)
			rc = progress(o, off, size);
	}
	if (rc == 0 && dst)
		rc = vk_image_flush(dst);
	if (rc == 0 && fsync(dst->fd) < 0)
		rc = vk_error(errno, "%s", tmp);
	vk_image_close(dst);
	return rc;
}

int vk_image_copy(const struct vk_image_copy_opts *o)
{
	bool same = o->src_format == o->dst_format;
	struct vk_image *src = NULL;
	char tmp[PATH_MAX];
	uint8_t *buf = NULL;
	struct stat st;
	uint64_t need;
	int rc;

	tmp[0] = '\0';
	if (lstat(o->dst, &st) == 0)
		return vk_errorx(EEXIST, "%s: already exists; remove it or choose another name", o->dst);
	rc = vk_image_open(o->src, o->src_format, VK_IMAGE_RDONLY, &src);
	if (rc < 0)
		return rc;
	rc = vk_image_temp_name(o->dst, tmp, sizeof(tmp));
	if (rc < 0)
		goto out;
	if (!(o->flags & (VK_COPY_NO_REFLINK | VK_COPY_NONSPARSE)) && same && !has_backing(src)) {
		rc = try_reflink(src, tmp);
		if (rc == 0) {
			rc = progress(o, src->size, src->size);
			goto publish;
		}
		if (o->flags & VK_COPY_REFLINK)
			goto out;
	} else if (o->flags & VK_COPY_REFLINK) {
		rc = vk_errorx(EINVAL, "%s: a reflink copy needs the same format, no backing file and sparse allocation",
			       o->dst);
		goto out;
	}
	tmp[0] = '\0';
	rc = vk_image_temp_name(o->dst, tmp, sizeof(tmp));
	if (rc == 0)
		rc = vk_image_copy_space_needed(src, o->flags, &need);
	if (rc == 0)
		rc = check_space_for(o->dst, need);
	buf = malloc(COPY_CHUNK);
	if (rc == 0 && !buf)
		rc = vk_error(ENOMEM, "%s", o->dst);
	if (rc == 0 && same && o->src_format == VK_IMAGE_RAW)
		rc = copy_raw(o, src, tmp, buf);
	else if (rc == 0)
		rc = copy_generic(o, src, tmp, buf);
publish:
	if (rc == 0)
		rc = vk_image_publish(tmp, o->dst);
	if (rc == 0)
		rc = fsync_dir_of(o->dst);
out:
	if (rc < 0 && tmp[0])
		unlink(tmp);
	free(buf);
	vk_image_close(src);
	return rc;
}
