/* image-raw.c - raw images: the file is the disk; holes are punched for discard. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/util/fileutil.h"
#include "common/image/image-internal.h"

static int raw_read(struct vk_image *img, void *buf, size_t len, uint64_t off)
{
	int rc = vk_pread_full(img->fd, buf, len, off);

	return rc < 0 ? vk_error(-rc, "%s: read", img->path) : 0;
}

static int raw_write(struct vk_image *img, const void *buf, size_t len, uint64_t off)
{
	int rc = vk_pwrite_full(img->fd, buf, len, off);

	return rc < 0 ? vk_error(-rc, "%s: write", img->path) : 0;
}

static int raw_discard(struct vk_image *img, uint64_t off, uint64_t len)
{
	if (fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP)
		return vk_error(errno, "%s: discard", img->path);
	/* No hole punching here: the contract is that reads give zeros. */
	if (fallocate(img->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	return vk_error(errno, "%s: discard", img->path);
}

static int raw_flush(struct vk_image *img)
{
	return fdatasync(img->fd) < 0 ? vk_error(errno, "%s: sync", img->path) : 0;
}

static int raw_block_status(struct vk_image *img, uint64_t off, uint64_t len,
			    enum vk_block_status *st, uint64_t *pnum)
{
	off_t data = lseek(img->fd, (off_t)off, SEEK_DATA), hole;

	if (data < 0 && errno == ENXIO) {	/* a hole up to the end */
		*st = VK_BLOCK_ZERO;
		*pnum = len;
		return 0;
	}
	if (data < 0) {	/* no SEEK_DATA: everything may be data */
		*st = VK_BLOCK_DATA;
		*pnum = len;
		return 0;
	}
	if ((uint64_t)data > off) {
		*st = VK_BLOCK_ZERO;
		*pnum = (uint64_t)data - off < len ? (uint64_t)data - off : len;
		return 0;
	}
	hole = lseek(img->fd, (off_t)off, SEEK_HOLE);
	*st = VK_BLOCK_DATA;
	*pnum = hole > (off_t)off && (uint64_t)hole - off < len ? (uint64_t)hole - off : len;
	return 0;
}

static void raw_close(struct vk_image *img)
{
	(void)img;
}

static const struct vk_image_ops raw_ops = {
	.read = raw_read,
	.write = raw_write,
	.discard = raw_discard,
	.flush = raw_flush,
	.block_status = raw_block_status,
	.close = raw_close,
};

int vk_raw_open(struct vk_image *img)
{
	struct stat st;

	if (fstat(img->fd, &st) < 0)
		return vk_error(errno, "%s", img->path);
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(img->fd, 0, SEEK_END);

		if (end < 0)
			return vk_error(errno, "%s", img->path);
		img->size = (uint64_t)end;
	} else {
		img->size = (uint64_t)st.st_size;
	}
	img->ops = &raw_ops;
	return 0;
}

int vk_raw_create(const struct vk_image_create_opts *o, const char *path)
{
	int fd, rc = 0;

	if (o->backing_file)
		return vk_errorx(EINVAL, "%s: raw images cannot have a backing file", o->path);
	if (o->prealloc == VK_PREALLOC_METADATA)
		return vk_errorx(EINVAL, "%s: preallocation=metadata needs qcow2 (raw has no metadata)", o->path);
	rc = vk_create_private(path, O_RDWR, &fd);
	if (rc < 0)
		return rc;
	if (ftruncate(fd, (off_t)o->size) < 0)
		rc = vk_error(errno, "%s", o->path);
	if (rc == 0 && o->prealloc == VK_PREALLOC_FULL && o->size &&
	    (rc = posix_fallocate(fd, 0, (off_t)o->size)) != 0)
		rc = vk_error(rc, "%s: allocating %llu bytes", o->path, (unsigned long long)o->size);
	if (rc == 0 && fsync(fd) < 0)
		rc = vk_error(errno, "%s", o->path);
	close(fd);
	return rc;
}
