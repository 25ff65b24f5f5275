/* fileutil.h - files written whole or not at all, locks, directories. */
#ifndef VK_FILEUTIL_H
#define VK_FILEUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Files we create and open (docs/HACKING.md, "Files we create and open"):
 * everything that holds guest data (disks, definitions, boot files, console
 * logs, caches) is private to its owner, is created under a new name that
 * cannot already be a symlink, and an existing file named by a user or a
 * definition is checked to be a regular file (or a block device where a disk
 * may be one) before anything reads it, so a FIFO cannot hang us.
 */
#define VK_MODE_PRIVATE_FILE	0600
#define VK_MODE_PRIVATE_DIR	0700

/* What an existing file given to vk_open_input() may be. */
#define VK_INPUT_REGULAR	0x1
#define VK_INPUT_BLOCK		0x2

/* Open an existing file for its data (flags: O_RDONLY or O_RDWR, plus
 * O_DIRECT/O_NOFOLLOW if wanted).  It is opened O_NONBLOCK, checked with
 * fstat() to be one of kinds, then made blocking: a FIFO, socket, character
 * device or directory is refused with a message naming what it is, and
 * nothing ever waits on a FIFO's writer.  what names the role ("disk",
 * "kernel") in messages. */
int vk_open_input(const char *path, int flags, unsigned kinds, const char *what, int *fd_out);
/* Is path (followed) one of kinds?  The stat-only check for code that hands
 * the path to a library (libarchive, libguestfs) instead of opening it. */
int vk_check_input(const char *path, unsigned kinds, const char *what);

/* Create a new file VK_MODE_PRIVATE_FILE (flags: O_WRONLY or O_RDWR): O_EXCL,
 * so an existing file or a symlink planted at path is refused, never followed. */
int vk_create_private(const char *path, int flags, int *fd_out);

/* Open path, creating it VK_MODE_PRIVATE_FILE when missing, where another
 * user may have put something first (a console log, a cache entry, a lock):
 * never through a symlink, and an existing file must be a regular file owned
 * by us with one link (else refused: it could be someone else's file, or a
 * hard link to one); one with a wider mode is narrowed to 0600.  flags:
 * O_RDONLY/O_WRONLY/O_RDWR plus O_APPEND; O_TRUNC is applied only after the
 * checks. */
int vk_open_private(const char *path, int flags, int *fd_out);

/* The checks of vk_open_private() on a file already open (by openat(), say):
 * a regular file owned by us with one link, a wider mode narrowed to 0600;
 * path names it in messages. */
int vk_check_private_fd(int fd, const char *path);

/* May files in dir be trusted to stay ours?  Refused when another user owns
 * it or can write in it without the sticky bit (then anyone could rename a
 * symlink over our file between two calls).  The message says how to fix it. */
int vk_check_private_dir(const char *dir);
/* The same for a directory already open (then reached with openat() & co,
 * it cannot be swapped under us either); dir names it in messages. */
int vk_check_private_dirfd(int dirfd, const char *dir);
/* The same for the directory that holds path. */
int vk_check_parent_dir(const char *path);

/* Write data to path through "path.tmp.XXXXXX", fsync, rename, fsync dir.
 * On failure the temp file is removed and path is untouched. */
int vk_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Read a whole file (at most max bytes, else -EFBIG); *buf is NUL-terminated.
 * Only a regular file is read (vk_open_input). */
int vk_read_file(const char *path, size_t max, char **buf, size_t *len);
/* The same from an open descriptor; what names it in messages. */
int vk_read_fd(int fd, const char *what, size_t max, char **buf, size_t *len);
/* Exclusive flock on path (created if missing); returns the fd to close. */
int vk_lock_path(const char *path, int *fd_out);
/* mkdir -p; directories it creates get mode (existing ones are left alone). */
int vk_mkdir_p(const char *path, mode_t mode);
/* fsync the directory that holds path. */
int vk_fsync_parent(const char *path);

#endif
