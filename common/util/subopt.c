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

/* The next item as Python's shlex splits it in posix mode with ',' as the
 * only separator (virtinst/cli.py, parse_optstr_tuples): quotes group and
 * are dropped, a backslash outside quotes takes the next character as it
 * is, inside double quotes only before '"' or '\'; separators in a row
 * make no empty item.  *p is moved past the item; *item is NULL at the
 * end of the text. */
static int next_item(const char **p, const char *text, const char *what, char **item)
{
	const char *s = *p;
	char *buf, *o, quote = 0;

	*item = NULL;
	while (*s == ',')
		s++;
	if (!*s) {
		*p = s;
		return 0;
	}
	buf = o = malloc(strlen(s) + 1);
	if (!buf)
		return vk_error(ENOMEM, "%s", what);
	for (; *s && (quote || *s != ','); s++) {
		if (quote && *s == quote)
			quote = 0;
		else if (!quote && (*s == '\'' || *s == '"'))
			quote = *s;
		else if (*s == '\\' && s[1] && (!quote || (quote == '"' && (s[1] == '"' || s[1] == '\\'))))
			*o++ = *++s;
		else if (*s == '\\' && !s[1] && quote != '\'')
			break;	/* shlex: no character after the escape */
		else
			*o++ = *s;
	}
	*o = '\0';
	if (quote || *s == '\\') {
		free(buf);
		if (*s == '\\')
			return vk_errorx(EINVAL, "%s: '%s' ends in a lone backslash", what, text);
		return vk_errorx(EINVAL, "%s: unterminated %c quote in '%s'", what, quote, text);
	}
	*p = s;
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

static bool in_list(const char *const *list, const char *name)
{
	return list && key_known(list, name);
}

/* One item split at its first '=' ("" for a bare key); a leading bare item
 * takes the next of the grammar's leading names. */
static int split_item(const char *item, const char *const **leading, const char *what,
		      char **key, char **value)
{
	const char *eq = strchr(item, '=');

	if (!eq && *leading && **leading) {
		*key = strdup(**leading);
		*value = strdup(item);
		(*leading)++;
	} else if (!eq) {
		*key = strdup(item);
		*value = strdup("");
		*leading = NULL;
	} else {
		*key = strndup(item, (size_t)(eq - item));
		*value = strdup(eq + 1);
		*leading = NULL;
	}
	if (!*key || !*value) {
		free(*key);
		free(*value);
		*key = *value = NULL;
		return vk_error(ENOMEM, "%s", what);
	}
	return 0;
}

/* A value that keeps its commas (virt-install's can_comma) runs on over the
 * following items up to the next one that starts with a known key; an
 * item "k=" comes back as "k", as virt-install joins it. */
static int join_comma_value(const struct vk_subopt_grammar *g, const char **p, const char *text,
			    const char *what, char **value)
{
	const char *look = *p;
	char *item = NULL, *joined, *eq;
	int rc;

	for (;;) {
		rc = next_item(&look, text, what, &item);
		if (rc < 0 || !item)
			return rc;
		eq = strchr(item, '=');
		if (eq)
			*eq = '\0';
		if (key_known(g->keys, item)) {
			free(item);
			return 0;
		}
		if (asprintf(&joined, "%s,%s%s%s", *value, item, eq && eq[1] ? "=" : "", eq && eq[1] ? eq + 1 : "") < 0) {
			free(item);
			return vk_error(ENOMEM, "%s", what);
		}
		free(item);
		free(*value);
		*value = joined;
		*p = look;
	}
}

int vk_subopts_parse_grammar(const char *text, const struct vk_subopt_grammar *g, const char *what,
			     struct vk_subopts *out)
{
	struct vk_subopts so = { NULL, 0 };
	const char *const *leading = g->leading;
	const char *p = text;
	char *item = NULL, *key = NULL, *value = NULL;
	int rc;

	if (!what)
		what = "option";
	if (!text)
		return vk_errorx(EINVAL, "%s: missing value", what);
	for (;;) {
		rc = next_item(&p, text, what, &item);
		if (rc < 0 || !item)
			break;
		rc = split_item(item, &leading, what, &key, &value);
		free(item);
		if (rc < 0)
			break;
		if (*key == '\0')
			rc = vk_errorx(EINVAL, "%s: option with an empty name ('=%s')", what, value);
		else if (!key_known(g->keys, key))
			rc = unknown_key(g->keys, key, what);
		else if (in_list(g->comma_keys, key))
			rc = join_comma_value(g, &p, text, what, &value);
		if (rc < 0) {
			free(key);
			free(value);
			break;
		}
		rc = add_item(&so, key, value, what);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		vk_subopts_free(&so);
		return rc;
	}
	*out = so;
	return 0;
}

int vk_subopts_parse(const char *text, const char *const *keys, const char *first_key,
		     const char *what, struct vk_subopts *out)
{
	const char *const leading[] = { first_key, NULL };
	const struct vk_subopt_grammar g = { .keys = keys, .leading = leading };

	return vk_subopts_parse_grammar(text, &g, what, out);
}

int vk_subopts_print_keys(FILE *out, const char *what, const char *const *keys)
{
	const char *sorted[128];
	size_t n = 0, i, j;

	for (; *keys && n < sizeof(sorted) / sizeof(sorted[0]); keys++)
		sorted[n++] = *keys;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(sorted[j - 1], sorted[j]) > 0; j--) {
			const char *t = sorted[j];

			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	fprintf(out, "%s options:\n", what);
	for (i = 0; i < n; i++)
		fprintf(out, "  %s\n", sorted[i]);
	fprintf(out, "\n");
	return 0;
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
