/* strbuf.h - text that grows a printf at a time, for configuration files built line by line. */
#ifndef VK_STRBUF_H
#define VK_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

/* Start with { 0 }.  After a failed allocation the text is dropped and
 * further appends do nothing; vk_strbuf_take() then says so. */
struct vk_strbuf {
	char *s;
	size_t len;
	bool failed;
};

void vk_strbuf_printf(struct vk_strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (malloc'd, NUL-terminated, "" when nothing was added), handed
 * to the caller; NULL with a message naming what when memory ran out. */
char *vk_strbuf_take(struct vk_strbuf *b, const char *what);
void vk_strbuf_free(struct vk_strbuf *b);

#endif
