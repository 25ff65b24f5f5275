/* subopt.c - split "path=/x,size=30,format=qcow2" into checked key/value pairs. */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util/error.h"
#include "common/util/subopt.h"

static bool key_known(const char *const *keys, const char *key)
{
	for (; *keys; keys++)
		if (strcmp(*keys, key) == 0)
			return true;
	return false;
}

static int unknown_key(const char *const *keys, const char *key, const char *what)
{
	char known[512] = "";
	size_t used = 0;

	for (; *keys && used < sizeof(known); keys++) {
		int n = snprintf(known + used, sizeof(known) - used, "%s%s",
				 used ? ", " : "", *keys);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return vk_errorx(EINVAL, "%s: unknown option '%s'; known options: %s", what, key, known);
}

/* Copy one item (up to an unquoted comma) into a fresh string, dropping the
 * quote characters; *end is left on the comma or the NUL. */
static int take_item(const char *start, const char **end, const char *what, char **item)
{
	size_t len = strlen(start);
	char *buf = malloc(len + 1), *o = buf;
	const char *p = start;
	char quote = 0;

	if (!buf)
		return vk_error(ENOMEM, "%s", what);
	for (; *p && (quote || *p != ','); p++) {
		if (quote && *p == quote)
			quote = 0;
		else if (!quote && (*p == '\'' || *p == '"'))
			quote = *p;
		else
			*o++ = *p;
	}
	*o = '\0';
	if (quote) {
		free(buf);
		return vk_errorx(EINVAL, "%s: unterminated %c quote in '%s'", what, quote, start);
	}
	*end = p;
	*item = buf;
	return 0;
}

static int add_item(struct vk_subopts *so, char *key, char *value, const char *what)
{
	struct vk_subopt *items;

	if (vk_subopts_get(so, key)) {
		vk_errorx(EINVAL, "%s: option '%s' given more than once", what, key);
		goto fail;
	}
	items = realloc(so->items, (so->n + 1) * sizeof(*items));
	if (!items) {
		vk_error(ENOMEM, "%s", what);
		goto fail;
	}
	so->items = items;
	so->items[so->n].key = key;
	so->items[so->n].value = value;
	so->n++;
	return 0;
fail:
	free(key);
	free(value);
	return -EINVAL;
}


/* Split one item at its first '=' (quotes are gone by now; keys never hold
 * quotes or '=', so the first one ends the key). */
static int split_item(const char *item, bool first, const char *const *keys,
		      const char *first_key, const char *what, char **key, char **value)
{
	const char *eq = strchr(item, '=');
	int rc;

	if (!eq && first && first_key) {
		*key = strdup(first_key);
		*value = strdup(item);
	} else if (!eq) {
		*key = strdup(item);
		*value = strdup("");
	} else {
		*key = strndup(item, (size_t)(eq - item));
		*value = strdup(eq + 1);
	}
	if (!*key || !*value) {
		rc = vk_error(ENOMEM, "%s", what);
		goto fail;
	}
	if (**key == '\0') {
		rc = vk_errorx(EINVAL, "%s: option with an empty name ('=%s')", what, *value);
		goto fail;
	}
	if (!key_known(keys, *key)) {
		rc = unknown_key(keys, *key, what);
		goto fail;
	}
	return 0;
fail:
	free(*key);
	free(*value);
	*key = *value = NULL;
	return rc;
}

int vk_subopts_parse(const char *text, const char *const *keys, const char *first_key,
		     const char *what, struct vk_subopts *out)
{
	struct vk_subopts so = { NULL, 0 };
	const char *p = text, *end = NULL;
	char *item = NULL, *key, *value;
	int rc;

	if (!what)
		what = "option";
	if (!text)
		return vk_errorx(EINVAL, "%s: missing value", what);
	while (*p) {
		rc = take_item(p, &end, what, &item);
		if (rc < 0)
			goto fail;
		if (item[0] == '\0' && end == p) {
			free(item);
			rc = vk_errorx(EINVAL, "%s: empty item in '%s' (two commas, or a comma at an end)",
				       what, text);
			goto fail;
		}
		rc = split_item(item, p == text, keys, first_key, what, &key, &value);
		free(item);
		if (rc < 0)
			goto fail;
		rc = add_item(&so, key, value, what);
		if (rc < 0)
			goto fail;
		p = end;
		if (*p == ',') {
			p++;
			if (*p == '\0') {
				rc = vk_errorx(EINVAL, "%s: empty item in '%s' (two commas, or a comma at an end)",
					       what, text);
				goto fail;
			}
		}
	}
	*out = so;
	return 0;
fail:
	vk_subopts_free(&so);
	return rc;
}

void vk_subopts_free(struct vk_subopts *so)
{
	size_t i;

	if (!so)
		return;
	for (i = 0; i < so->n; i++) {
		free(so->items[i].key);
		free(so->items[i].value);
	}
	free(so->items);
	so->items = NULL;
	so->n = 0;
}

const char *vk_subopts_get(const struct vk_subopts *so, const char *key)
{
	size_t i;

	for (i = 0; i < so->n; i++)
		if (strcmp(so->items[i].key, key) == 0)
			return so->items[i].value;
	return NULL;
}

int vk_subopts_get_bool(const struct vk_subopts *so, const char *key, const char *what, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "1", "", NULL };
	static const char *const no[] = { "off", "no", "false", "0", NULL };
	const char *v = vk_subopts_get(so, key);
	size_t i;

	if (!v)
		return 0;
	for (i = 0; yes[i]; i++)
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (i = 0; no[i]; i++)
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	return vk_errorx(EINVAL, "%s: %s='%s' is not a boolean; use on/off, yes/no, true/false or 1/0",
			 what ? what : "option", key, v);
}

int vk_subopts_get_uint(const struct vk_subopts *so, const char *key, const char *what,
			unsigned long *out)
{
	const char *v = vk_subopts_get(so, key);
	unsigned long n;
	char *end;

	if (!v)
		return 0;
	if (!what)
		what = "option";
	if (*v < '0' || *v > '9')
		return vk_errorx(EINVAL, "%s: %s='%s' is not a non-negative whole number", what, key, v);
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno == ERANGE)
		return vk_errorx(ERANGE, "%s: %s='%s' is too large", what, key, v);
	if (*end != '\0')
		return vk_errorx(EINVAL, "%s: %s='%s' is not a non-negative whole number", what, key, v);
	*out = n;
	return 0;
}
