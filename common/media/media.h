/* media.h - install media: ISO images (libarchive), local trees and URL trees (libcurl). */
#ifndef VK_MEDIA_H
#define VK_MEDIA_H

#include <stdbool.h>
#include <stddef.h>

#include "common/media/download.h"
#include "common/media/osvariant.h"

enum vk_media_kind { VK_MEDIA_ISO = 0, VK_MEDIA_DIR, VK_MEDIA_URL };

struct vk_media;

/* location: an ISO file, a directory holding an install tree, or an
 * http/https/ftp URL of a tree.  Local media are checked to be readable. */
int vk_media_open(const char *location, struct vk_media **out);
void vk_media_close(struct vk_media *m);

enum vk_media_kind vk_media_kind(const struct vk_media *m);
const char *vk_media_kind_name(enum vk_media_kind kind);
const char *vk_media_location(const struct vk_media *m);
/* ISO 9660 volume identifier (trailing blanks removed), "" when none. */
const char *vk_media_volume_id(const struct vk_media *m);
/* 1 when the medium is an ISO with an El Torito boot record (it can boot
 * from a CD-ROM), 0 when not (or not an ISO), -errno when unreadable. */
int vk_media_iso_bootable(const struct vk_media *m);

/* 1 when relpath exists on the medium, 0 when not, -errno on failure. */
int vk_media_exists(struct vk_media *m, const char *relpath);
/* A small file (at most max bytes) into *buf; -ENOENT when absent. */
int vk_media_read_small(struct vk_media *m, const char *relpath, size_t max, char **buf, size_t *len);
/* Copy relpath into dest (atomically: temp name, fsync, rename); from a
 * URL tree it is downloaded as kind (its maximum size, common/media/download.h). */
int vk_media_fetch(struct vk_media *m, const char *relpath, const char *dest, enum vk_download_kind kind,
		   bool quiet);

/* Find the installer's kernel and initrd: explicit paths first (either may
 * be NULL), then .treeinfo/treeinfo [images-x86_64], then each layout in
 * order.  On failure the message lists every path that was looked for. */
int vk_media_find_boot(struct vk_media *m, const char *kernel_hint, const char *initrd_hint,
		       const struct vk_media_layout *layouts, size_t n_layouts,
		       char **kernel, char **initrd);

/* Parse a .treeinfo document's [images-ARCH] kernel/initrd (x86_64). */
int vk_treeinfo_parse(const char *text, char **kernel, char **initrd);

#endif
