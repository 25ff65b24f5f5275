/* strbuf.c - text that grows a printf at a time. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/util/strbuf.h"

void vk_strbuf_printf(struct vk_strbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *more, *bigger;
	int n;

	if (b->failed)
		return;
	va_start(ap, fmt);
	n = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (n >= 0) {
		bigger = realloc(b->s, b->len + (size_t)n + 1);
		if (bigger) {
			memcpy(bigger + b->len, more, (size_t)n + 1);
			b->s = bigger;
			b->len += (size_t)n;
		}
		free(more);
		if (bigger)
			return;
	}
	vk_strbuf_free(b);
	b->failed = true;
}

char *vk_strbuf_take(struct vk_strbuf *b, const char *what)
{
	char *s = b->s;

	if (b->failed) {
		vk_error(ENOMEM, "%s", what);
		return NULL;
	}
	if (!s && !(s = strdup("")))
		vk_error(ENOMEM, "%s", what);
	b->s = NULL;
	b->len = 0;
	return s;
}

void vk_strbuf_free(struct vk_strbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = 0;
}
