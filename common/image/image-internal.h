/* image-internal.h - what the format drivers behind common/image/image.h share with each other. */
#ifndef VK_IMAGE_INTERNAL_H
#define VK_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/image/image.h"

/* Deepest backing chain we follow (qemu has no fixed limit; loops and
 * hostile chains must end somewhere). */
#define VK_IMAGE_MAX_CHAIN	16

/* What a range of the virtual disk holds, for copies that keep holes. */
enum vk_block_status {
	VK_BLOCK_DATA = 0,	/* may hold non-zero data */
	VK_BLOCK_ZERO,		/* reads as zeros */
};

struct vk_image_ops {
	int (*read)(struct vk_image *img, void *buf, size_t len, uint64_t off);
	int (*write)(struct vk_image *img, const void *buf, size_t len, uint64_t off);
	int (*discard)(struct vk_image *img, uint64_t off, uint64_t len);
	int (*flush)(struct vk_image *img);
	/* Status of [off, off+len): returns the status of the first byte and
	 * sets *pnum to how many bytes from off share it (>= 1). */
	int (*block_status)(struct vk_image *img, uint64_t off, uint64_t len,
			    enum vk_block_status *st, uint64_t *pnum);
	void (*close)(struct vk_image *img);
};

struct vk_image {
	const struct vk_image_ops *ops;
	char *path;
	int fd;
	enum vk_image_format format;
	unsigned flags;
	uint64_t size;		/* virtual size */
	void *priv;		/* format driver state */
};

int vk_raw_open(struct vk_image *img);
int vk_raw_create(const struct vk_image_create_opts *opts, const char *path);
int vk_qcow2_open(struct vk_image *img, int depth);
int vk_qcow2_create(const struct vk_image_create_opts *opts, const char *path);

/* Open at a chain depth (backing files count up to VK_IMAGE_MAX_CHAIN). */
int vk_image_open_depth(const char *path, enum vk_image_format fmt, unsigned flags,
			int depth, struct vk_image **out);
/* Create at exactly path (no temporary name); the caller cleans up. */
int vk_image_create_at(const struct vk_image_create_opts *opts, const char *path);
int vk_image_block_status(struct vk_image *img, uint64_t off, uint64_t len,
			  enum vk_block_status *st, uint64_t *pnum);

/* "dir of image" + backing, as qemu resolves a relative backing name;
 * malloc'd, or NULL with errno. */
char *vk_image_resolve_backing(const char *image_path, const char *backing);

/* Move tmp to path unless path exists (renameat2 NOREPLACE, else link). */
int vk_image_publish(const char *tmp, const char *path);
/* A temporary name next to path ("path.tmp.PID.N"). */
int vk_image_temp_name(const char *path, char *buf, size_t len);

/* pread/pwrite of the whole range, retrying short transfers and EINTR.
 * pread_full zero-fills past end of file (as qemu reads holes beyond EOF). */
int vk_pread_full(int fd, void *buf, size_t len, uint64_t off);
int vk_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);

#endif
