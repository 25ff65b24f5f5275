/* fake-image.c - common/image/image.h for raw files only (pread/pwrite), so device tests and the virtqueue fuzzer isolate device bugs from image-layer bugs. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/image/image.h"

struct vk_image {
	int fd;
	uint64_t size;
	bool readonly;
};

int vk_image_open(const char *path, enum vk_image_format fmt, unsigned flags, struct vk_image **out)
{
	struct vk_image *img;
	struct stat st;
	int fd;

	if (fmt != VK_IMAGE_RAW)
		return -ENOTSUP;
	fd = open(path, (flags & VK_IMAGE_RDONLY) ? O_RDONLY : O_RDWR);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !(img = calloc(1, sizeof(*img)))) {
		close(fd);
		return -ENOMEM;
	}
	img->fd = fd;
	img->size = st.st_size;
	img->readonly = flags & VK_IMAGE_RDONLY;
	*out = img;
	return 0;
}

void vk_image_close(struct vk_image *img)
{
	if (!img)
		return;
	close(img->fd);
	free(img);
}

static int in_range(struct vk_image *img, size_t len, uint64_t off)
{
	return off <= img->size && len <= img->size - off;
}

int vk_image_read(struct vk_image *img, void *buf, size_t len, uint64_t offset)
{
	if (!in_range(img, len, offset))
		return -EINVAL;
	return pread(img->fd, buf, len, offset) == (ssize_t)len ? 0 : -EIO;
}

int vk_image_write(struct vk_image *img, const void *buf, size_t len, uint64_t offset)
{
	if (img->readonly)
		return -EROFS;
	if (!in_range(img, len, offset))
		return -EINVAL;
	return pwrite(img->fd, buf, len, offset) == (ssize_t)len ? 0 : -EIO;
}

int vk_image_discard(struct vk_image *img, uint64_t offset, uint64_t len)
{
	if (img->readonly)
		return -EROFS;
	if (!in_range(img, len, offset))
		return -EINVAL;
	return fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, len) < 0 ? -errno : 0;
}

int vk_image_flush(struct vk_image *img)
{
	return fsync(img->fd) < 0 ? -errno : 0;
}

uint64_t vk_image_virtual_size(const struct vk_image *img)
{
	return img->size;
}
