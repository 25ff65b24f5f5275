/* fuzz-disk.h - a fuzz input as a block device: the input's bytes, then zeros. */
#ifndef VK_FUZZ_DISK_H
#define VK_FUZZ_DISK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fuzz_disk {
	const uint8_t *data;
	size_t len;
};

/* A vk_blockdev read callback: reads past the input see zeros, so
 * structures far into a disk stay reachable from short inputs. */
static inline int fuzz_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	const struct fuzz_disk *d = opaque;

	memset(buf, 0, len);
	if (off < d->len) {
		size_t n = d->len - off < len ? (size_t)(d->len - off) : len;

		memcpy(buf, d->data + off, n);
	}
	return 0;
}

#endif
