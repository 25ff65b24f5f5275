/* blockdev.h - a bounds-checked window on a disk, as the filesystem probes read it. */
#ifndef VK_BLOCKDEV_H
#define VK_BLOCKDEV_H

#include <stddef.h>
#include <stdint.h>

/* Reads len bytes at offset of the whole disk; 0 or -errno. */
typedef int (*vk_blockdev_read_fn)(void *opaque, void *buf, size_t len, uint64_t offset);

/*
 * A disk, or a partition of one: [start, start + size) of what read sees.
 * Every read is checked against the window, so a corrupt superblock can
 * never make a probe read outside its partition.
 */
struct vk_blockdev {
	vk_blockdev_read_fn read;
	void *opaque;
	uint64_t start;
	uint64_t size;
};

struct vk_image;
/* The whole of an open image (its virtual size) as a block device: what
 * the filesystem readers get from vdf and from the boot-file inspector. */
void vk_blockdev_from_image(struct vk_image *img, struct vk_blockdev *out);

/* Read len bytes at off inside the window; -EIO with a message when the
 * range does not fit (the filesystem claims more than its partition). */
int vk_blockdev_read(const struct vk_blockdev *dev, void *buf, size_t len, uint64_t off);

/* A window on part of dev: -EINVAL when it does not fit inside dev. */
int vk_blockdev_sub(const struct vk_blockdev *dev, uint64_t start, uint64_t size,
		    struct vk_blockdev *out);

/* Little- and big-endian fields of on-disk structures (any alignment). */
static inline uint16_t vk_le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t vk_le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t vk_le64(const void *p)
{
	return vk_le32(p) | (uint64_t)vk_le32((const uint8_t *)p + 4) << 32;
}
static inline uint16_t vk_be16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] << 8 | b[1]);
}
static inline uint32_t vk_be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
}
static inline uint64_t vk_be64(const void *p)
{
	return (uint64_t)vk_be32(p) << 32 | vk_be32((const uint8_t *)p + 4);
}

#endif
