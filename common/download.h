/* download.h - HTTP/HTTPS/FTP fetches with timeouts, retries, resume and a validated cache. */
#ifndef VK_DOWNLOAD_H
#define VK_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Tunables from the environment (so tests can be fast):
 *   VKIT_HTTP_TIMEOUT  seconds without progress before a transfer fails (30)
 *   VKIT_HTTP_RETRIES  extra attempts after a transient failure (3)
 *   VKIT_CACHE_DIR     cache directory (default $VKIT_DIR/cache)
 * Errors name their kind: "HTTP 404 Not Found", "DNS lookup failed",
 * "TLS failure", "timed out".
 */

bool vk_url_is_remote(const char *location);	/* http://, https://, ftp:// */

/* 1 if url exists (HEAD, or a 0-byte ranged GET for FTP), 0 if the server
 * says it does not (404/410/FTP 550), -errno for every other failure. */
int vk_url_exists(const char *url);

/* Whole small document into *buf (NUL-terminated); -ENOENT when absent. */
int vk_url_get_small(const char *url, size_t max, char **buf, size_t *len);

/* Download url into the cache (or find it there) and return the cached
 * file's path (malloc'd).  The cache key is the URL plus the server's
 * validators (ETag, Last-Modified, length): a changed file is downloaded
 * again.  Partial data lives in KEY.URLTAG.part, which is never served as
 * an entry; after a failure it is kept only when the server's answers let
 * the next run resume it safely (length, Accept-Ranges, a validator for
 * If-Range), and removed otherwise (docs/vinstall.md). */
int vk_download_cached(const char *url, bool quiet, char **path_out);

#endif
