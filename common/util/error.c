/* error.c - the per-thread error message behind vk_error(). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util/error.h"

static __thread char last_error[VK_ERRMSG_MAX];
int vk_debug_level;

static int record(int errnum, int with_strerror, const char *fmt, va_list ap)
{
	char msg[VK_ERRMSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_strerror && errnum != 0)
		snprintf(last_error, sizeof(last_error), "%s: %s", msg, strerror(errnum));
	else
		snprintf(last_error, sizeof(last_error), "%s", msg);
	return errnum > 0 ? -errnum : (errnum < 0 ? errnum : -EINVAL);
}

int vk_error(int errnum, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (errnum < 0)
		errnum = -errnum;
	va_start(ap, fmt);
	rc = record(errnum, 1, fmt, ap);
	va_end(ap);
	return rc;
}

int vk_errorx(int errnum, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (errnum < 0)
		errnum = -errnum;
	va_start(ap, fmt);
	rc = record(errnum, 0, fmt, ap);
	va_end(ap);
	return rc;
}

int vk_error_prefix(int rc, const char *fmt, ...)
{
	char ctx[VK_ERRMSG_MAX], old[VK_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	snprintf(old, sizeof(old), "%s", last_error);
	if (old[0])
		snprintf(last_error, sizeof(last_error), "%s: %s", ctx, old);
	else
		snprintf(last_error, sizeof(last_error), "%s: %s", ctx, strerror(rc < 0 ? -rc : rc));
	return rc;
}

const char *vk_last_error(void)
{
	return last_error;
}

void vk_error_clear(void)
{
	last_error[0] = '\0';
}

void vk_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: warning: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void vk_debug(const char *fmt, ...)
{
	va_list ap;

	if (vk_debug_level <= 0)
		return;
	va_start(ap, fmt);
	fputs("debug: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
