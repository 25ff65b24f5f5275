/* blockdev.c - bounds-checked reads inside a disk or partition window. */
#include "config.h"

#include <errno.h>

#include "common/image/blockdev.h"
#include "common/util/error.h"

int vk_blockdev_read(const struct vk_blockdev *dev, void *buf, size_t len, uint64_t off)
{
	if (off > dev->size || len > dev->size - off)
		return vk_errorx(EIO, "read of %zu bytes at %llu is beyond the end of a %llu-byte device "
				 "(corrupt filesystem or partition table)",
				 len, (unsigned long long)off, (unsigned long long)dev->size);
	return dev->read(dev->opaque, buf, len, dev->start + off);
}

int vk_blockdev_sub(const struct vk_blockdev *dev, uint64_t start, uint64_t size,
		    struct vk_blockdev *out)
{
	if (start > dev->size || size > dev->size - start)
		return vk_errorx(EINVAL, "partition at byte %llu, %llu bytes long, lies beyond the "
				 "end of the %llu-byte disk", (unsigned long long)start,
				 (unsigned long long)size, (unsigned long long)dev->size);
	*out = *dev;
	out->start = dev->start + start;
	out->size = size;
	return 0;
}
