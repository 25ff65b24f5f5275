/* fileutil.h - files written whole or not at all, locks, directories. */
#ifndef VK_FILEUTIL_H
#define VK_FILEUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Write data to path through "path.tmp.XXXXXX", fsync, rename, fsync dir.
 * On failure the temp file is removed and path is untouched. */
int vk_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read a whole file (at most max bytes, else -EFBIG); *buf is NUL-terminated. */
int vk_read_file(const char *path, size_t max, char **buf, size_t *len);
/* Exclusive flock on path (created if missing); returns the fd to close. */
int vk_lock_path(const char *path, int *fd_out);
int vk_mkdir_p(const char *path, mode_t mode);
/* fsync the directory that holds path. */
int vk_fsync_parent(const char *path);

#endif
