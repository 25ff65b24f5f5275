/* error.h - how the vkit library reports failure: 0/-errno plus one message per thread. */
#ifndef VK_ERROR_H
#define VK_ERROR_H

#include <stdarg.h>

/*
 * Library functions return 0 (or a count) on success and -errno on failure,
 * or NULL with errno set.  Before returning an error they record a message
 * that names the object and the problem ("/data/x.img: not a qcow2 image"),
 * and the tool's main() prints it as "PROG: message" and decides to exit.
 * Nothing in common/ or vmm/ device code calls exit().
 */

#define VK_ERRMSG_MAX 1024

/* Record a message built from fmt and, when errnum != 0, ": strerror(errnum)".
 * Returns -errnum (-EINVAL when errnum is 0) so callers can write
 * "return vk_error(errno, "%s", path);". */
int vk_error(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Same, without the strerror() suffix: for problems with the input itself. */
int vk_errorx(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefix the recorded message with more context: "ctx: old message".
 * Returns rc unchanged, so "return vk_error_prefix(rc, "disk %s", p);" works. */
int vk_error_prefix(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message recorded by this thread, or "" when there is none. */
const char *vk_last_error(void);
void vk_error_clear(void);

/* A warning the user should see even though the command goes on:
 * "PROG: warning: message" on stderr.  For library code that changes
 * something the user did not ask for (a mode tightened, a default taken). */
void vk_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Debug messages for -v/--debug; printed to stderr when enabled. */
extern int vk_debug_level;
void vk_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
