/* image.h - disk images (raw, qcow2) as the runner and the tools see them. */
#ifndef VK_IMAGE_H
#define VK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The format of an image is always stated by the caller (definitions record
 * it): it is never guessed from the contents, because a raw guest disk whose
 * first sector looks like a qcow2 header could otherwise name a host file as
 * its "backing file".  See docs/images.md.
 */
enum vk_image_format {
	VK_IMAGE_RAW = 0,
	VK_IMAGE_QCOW2 = 1,
};

/* "raw" / "qcow2" <-> enum; parse returns 0 or -EINVAL with a message. */
int vk_image_format_parse(const char *name, enum vk_image_format *out);
const char *vk_image_format_name(enum vk_image_format fmt);
/* Does the file start with qcow2's magic?  Only for checking a format the
 * user stated, never for choosing one (docs/images.md). */
bool vk_image_has_qcow2_magic(const char *path);

/* How a tool says the format of an existing image it was given. */
struct vk_format_rule {
	const char *what;	/* the image's role in messages: "--disk", "disk" */
	const char *option;	/* how the user states a format, before its name:
				 * "format=", "--subdriver ", "--format=" */
	/* For a read-only look (vdf): an unstated image with qcow2's magic
	 * that names no backing file is read as qcow2, as virt-df would. */
	bool guess_without_backing;
};

/*
 * The one policy for the format of an existing image (docs/images.md):
 * formats are stated, never guessed.  given: *fmt holds the user's format,
 * which is checked (qcow2 must carry the magic).  Not given: raw, unless
 * the file starts with qcow2's magic -- then refused, since a raw disk
 * whose guest wrote a qcow2 header naming a host file as its backing would
 * make us open that file (qemu's CVE-2008-2004); with guess_without_backing
 * such a header naming no backing file is taken as qcow2.  0, or -errno
 * with a message saying how to state the format.
 */
int vk_image_format_decide(const char *path, const struct vk_format_rule *rule, bool given,
			   enum vk_image_format *fmt);

#define VK_IMAGE_RDONLY 0x1u	/* open read-only (and refuse writes) */
/* Refuse a symbolic link as the path's last component (a CD-ROM's medium);
 * every image must be a regular file or a block device anyway. */
#define VK_IMAGE_NOFOLLOW 0x2u

struct vk_image;

/* Open an image of the stated format.  qcow2 headers are validated in full;
 * unsupported features are refused with a message naming them. */
int vk_image_open(const char *path, enum vk_image_format fmt, unsigned flags,
		  struct vk_image **out);
void vk_image_close(struct vk_image *img);

/* Byte-granular I/O on the virtual disk.  Reads of unallocated ranges give
 * zeros (or the backing file's data).  Requests beyond the virtual size fail
 * with -EINVAL.  Safe to call from one thread at a time per image. */
int vk_image_read(struct vk_image *img, void *buf, size_t len, uint64_t offset);
int vk_image_write(struct vk_image *img, const void *buf, size_t len, uint64_t offset);
/* Deallocate (punch holes / zero clusters); reads then return zeros. */
int vk_image_discard(struct vk_image *img, uint64_t offset, uint64_t len);
/* Make everything written so far durable, metadata in a crash-safe order. */
int vk_image_flush(struct vk_image *img);

uint64_t vk_image_virtual_size(const struct vk_image *img);
enum vk_image_format vk_image_format_of(const struct vk_image *img);
bool vk_image_readonly(const struct vk_image *img);
const char *vk_image_path(const struct vk_image *img);

enum vk_prealloc {
	VK_PREALLOC_OFF = 0,
	VK_PREALLOC_METADATA,	/* qcow2 only: L2 tables and refcounts laid out */
	VK_PREALLOC_FULL,	/* every byte allocated on the host */
};

struct vk_image_create_opts {
	const char *path;
	enum vk_image_format format;
	uint64_t size;			/* bytes; 0 with a backing file = its size */
	const char *backing_file;	/* qcow2 only; as written into the header */
	enum vk_image_format backing_format;
	uint32_t cluster_size;		/* qcow2; 0 = 64 KiB */
	enum vk_prealloc prealloc;
};

/* Create a new image; fails with -EEXIST if path exists.  On failure nothing
 * is left behind. */
int vk_image_create(const struct vk_image_create_opts *opts);

/* A linked clone: a new qcow2 at path whose backing file is backing. */
int vk_image_create_overlay(const char *path, const char *backing,
			    enum vk_image_format backing_format);

struct vk_image_info {
	char *path;
	enum vk_image_format format;
	uint64_t virtual_size;
	uint64_t actual_size;		/* bytes allocated on the host */
	uint32_t cluster_size;		/* qcow2 */
	char *backing_file;		/* as written in the image, or NULL */
	char *backing_path;		/* resolved the way qemu does, or NULL */
	enum vk_image_format backing_format;
	struct vk_image_info *backing;	/* next in the chain, or NULL */
};

int vk_image_info(const char *path, enum vk_image_format fmt, struct vk_image_info **out);
void vk_image_info_free(struct vk_image_info *info);

/* Progress callback: return non-zero to cancel (the copy then fails with
 * -ECANCELED and removes its partial target). */
typedef int (*vk_progress_fn)(void *opaque, uint64_t done, uint64_t total);

#define VK_COPY_REFLINK		0x1u	/* require a reflink; fail if impossible */
#define VK_COPY_NO_REFLINK	0x2u	/* never try FICLONE */
#define VK_COPY_NONSPARSE	0x4u	/* allocate every byte of the target */

struct vk_image_copy_opts {
	const char *src;
	enum vk_image_format src_format;
	const char *dst;		/* must not exist */
	enum vk_image_format dst_format;
	unsigned flags;
	vk_progress_fn progress;
	void *opaque;
};

/* Copy with the fastest correct method (reflink, then allocated data only),
 * into a temporary name, fsync, rename.  Checks free space first. */
int vk_image_copy(const struct vk_image_copy_opts *opts);

/* The free space vk_image_copy() asks for: the allocated bytes of the
 * source chain, at least the data it reads as (compressed clusters at
 * their inflated size) plus qcow2 metadata; the virtual size for
 * VK_COPY_NONSPARSE. */
int vk_image_copy_space_needed(struct vk_image *src, unsigned flags, uint64_t *need);

/* 0 if the filesystem holding dir has at least need bytes free, else
 * -ENOSPC with a message giving both figures. */
int vk_image_check_space(const char *dir, uint64_t need);

#endif
