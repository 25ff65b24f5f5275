/* shellvars.c - drop or set assignments in a shell-variable file, for vclone --reset-identity. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/guest/shellvars.h"

/* LINE (LEN bytes) assigns KEY: "KEY=" at its start. */
static bool assigns(const char *line, size_t len, const char *key)
{
	size_t k = strlen(key);

	return len > k && strncmp(line, key, k) == 0 && line[k] == '=';
}

static size_t put_assignment(char *out, const char *key, const char *value)
{
	size_t k = strlen(key), v = strlen(value);

	memcpy(out, key, k);
	out[k] = '=';
	memcpy(out + k + 1, value, v);
	out[k + 1 + v] = '\n';
	return k + v + 2;
}

int vk_shellvars_edit(const char *text, size_t size, const char *const *drop, const char *set_key,
		      const char *set_value, char **out, size_t *out_size, bool *changed)
{
	size_t n = 0, extra = 0;
	bool set = false;
	char *buf;

	*out = NULL;
	*out_size = 0;
	*changed = false;
	if (set_key && (!set_value || !*set_key || strchr(set_value, '\n')))
		return -EINVAL;
	/* Room for the text, one new line and a newline ending the last line. */
	if (set_key)
		extra = strlen(set_key) + strlen(set_value) + 3;
	buf = malloc(size + extra + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t off = 0; off < size;) {
		const char *line = text + off, *nl = memchr(line, '\n', size - off);
		size_t len = nl ? (size_t)(nl - line) + 1 : size - off, skip = 0;
		bool gone = false;

		off += len;
		while (skip < len && (line[skip] == ' ' || line[skip] == '\t'))
			skip++;
		for (size_t i = 0; drop && drop[i] && !gone; i++)
			gone = assigns(line + skip, len - skip, drop[i]);
		if (gone) {
			*changed = true;
			continue;
		}
		if (set_key && assigns(line + skip, len - skip, set_key)) {
			/* Once: buf has room for one new line only. */
			if (!set)
				n += put_assignment(buf + n, set_key, set_value);
			set = *changed = true;
			continue;
		}
		memcpy(buf + n, line, len);
		n += len;
	}
	if (set_key && !set) {
		if (n && buf[n - 1] != '\n')
			buf[n++] = '\n';
		n += put_assignment(buf + n, set_key, set_value);
		*changed = true;
	}
	*out = buf;
	*out_size = n;
	return 0;
}
