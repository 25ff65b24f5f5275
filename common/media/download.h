/* download.h - HTTP/HTTPS/FTP fetches with timeouts, retries, resume and a validated cache. */
#ifndef VK_DOWNLOAD_H
#define VK_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Tunables from the environment (so tests can be fast):
 *   VKIT_HTTP_TIMEOUT  the connect timeout, and the window in which a
 *                      transfer must average VK_DOWNLOAD_MIN_RATE (30 s)
 *   VKIT_HTTP_RETRIES  extra attempts after a transient failure (3)
 *   VKIT_CACHE_DIR     cache directory (default $VKIT_DIR/cache)
 *   VKIT_DOWNLOAD_MAX_BYTES  for tests: lowers every kind's maximum
 * Errors name their kind: "HTTP 404 Not Found", "DNS lookup failed",
 * "TLS failure", "timed out".
 */

/* Slower than this (bytes/s, averaged over VKIT_HTTP_TIMEOUT) is a stalled
 * server: a 30 MiB initrd at this rate still arrives within 9 hours, and
 * a trickle of a few bytes a second cannot hold a run forever. */
#define VK_DOWNLOAD_MIN_RATE	1024

/* What is downloaded, and the most each may be when the server announces
 * no length (docs/vinstall.md): several times the largest known of each. */
enum vk_download_kind { VK_DOWNLOAD_KERNEL = 0, VK_DOWNLOAD_INITRD };
#define VK_DOWNLOAD_KERNEL_MAX	(UINT64_C(256) << 20)
#define VK_DOWNLOAD_INITRD_MAX	(UINT64_C(2) << 30)

bool vk_url_is_remote(const char *location);	/* http://, https://, ftp:// */

/* 1 if url exists (HEAD, or a 0-byte ranged GET for FTP), 0 if the server
 * says it does not (404/410/FTP 550), -errno for every other failure. */
int vk_url_exists(const char *url);

/* Whole small document into *buf (NUL-terminated); -ENOENT when absent. */
int vk_url_get_small(const char *url, size_t max, char **buf, size_t *len);

/* Download url into the cache (or find it there) and open the cached file:
 * *fd_out is read-only, at offset 0, the caller closes it; *path_out
 * (malloc'd) is for messages.  The cache key is the URL plus the server's
 * validators (ETag, Last-Modified, length): a changed file is downloaded
 * again.  Partial data lives in KEY.URLTAG.part, which is never served as
 * an entry; after a failure it is kept only when the server's answers let
 * the next run resume it safely (length, Accept-Ranges, a validator for
 * If-Range), and removed otherwise.  The body may not exceed the length
 * the server announced, nor kind's maximum; the cache directory must be
 * the user's own (or root's) and not writable by others unless sticky,
 * and every file in it is opened without following symlinks and used only
 * when it is a regular file of ours with one link (docs/vinstall.md). */
int vk_download_cached(const char *url, enum vk_download_kind kind, bool quiet, int *fd_out,
		       char **path_out);

#endif
