/* jsonfield.c - checked reads and plain writes of the fields of vkit's JSON documents. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/util/jsonfield.h"

int vk_json_parse_object(const char *text, int depth, const char *what, struct json_object **out)
{
	struct json_tokener *tok = json_tokener_new_ex(depth);
	struct json_object *top = NULL;
	enum json_tokener_error jerr;
	size_t end;
	int rc = 0;

	*out = NULL;
	if (!tok)
		return vk_error(ENOMEM, "%s", what);
	top = json_tokener_parse_ex(tok, text, (int)strlen(text));
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (!top || jerr != json_tokener_success || text[end + strspn(text + end, " \t\r\n")] != '\0')
		rc = vk_errorx(EINVAL, "not valid JSON: %s",
			       jerr == json_tokener_success ? "text after the end of the document"
			       : jerr == json_tokener_continue ? "the text ends too early"
			       : json_tokener_error_desc(jerr));
	else if (!json_object_is_type(top, json_type_object))
		rc = vk_errorx(EINVAL, "%s must be a JSON object", what);
	json_tokener_free(tok);
	if (rc < 0) {
		json_object_put(top);
		return rc;
	}
	*out = top;
	return 0;
}

char *vk_json_to_text(struct json_object *top)
{
	char *text;

	if (!top || asprintf(&text, "%s\n", json_object_to_json_string_ext(top,
			JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			JSON_C_TO_STRING_NOSLASHESCAPE)) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return text;
}

/* where.key, or key at the top level. */
static void field_name(char *buf, size_t len, const char *where, const char *key)
{
	if (where[0])
		snprintf(buf, len, "%s.%s", where, key);
	else
		snprintf(buf, len, "%s", key);
}

int vk_json_check_keys(struct json_object *obj, const char *where, const char *const *known)
{
	char list[256];
	size_t used = 0;
	const char *const *k;

	json_object_object_foreach(obj, key, val) {
		(void)val;
		for (k = known; *k; k++)
			if (strcmp(*k, key) == 0)
				break;
		if (*k)
			continue;
		list[0] = '\0';
		for (k = known; *k && used < sizeof(list); k++)
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 used ? ", " : "", *k);
		return vk_errorx(EINVAL, "unknown key '%s' in %s; known keys: %s", key,
				 where[0] ? where : "the definition", list);
	}
	return 0;
}

int vk_json_get_string(struct json_object *obj, const char *where, const char *key, bool required,
		       char **out)
{
	struct json_object *v;
	char field[64];

	field_name(field, sizeof(field), where, key);
	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v) || json_object_is_type(v, json_type_null)) {
		if (required)
			return vk_errorx(EINVAL, "%s is missing", field);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return vk_errorx(EINVAL, "%s must be a string", field);
	/* JSON can carry "\u0000"; as a C string the value would be cut
	 * there, and a name or a path silently become another one. */
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return vk_errorx(EINVAL, "%s holds a NUL character (\\u0000); remove it", field);
	*out = strdup(json_object_get_string(v));
	if (!*out)
		return vk_error(ENOMEM, "%s", field);
	return 0;
}

int vk_json_get_enum(struct json_object *obj, const char *where, const char *key, bool required,
		     const char *const *names, size_t n, int *out)
{
	char field[64], *s;
	int rc;

	rc = vk_json_get_string(obj, where, key, required, &s);
	if (rc < 0 || !s)
		return rc;
	field_name(field, sizeof(field), where, key);
	rc = vk_enum_parse(names, n, s, field, out);
	free(s);
	return rc;
}

int vk_json_get_uint(struct json_object *obj, const char *where, const char *key, bool required,
		     uint64_t max, uint64_t *out)
{
	struct json_object *v;
	char field[64];
	int64_t n;

	field_name(field, sizeof(field), where, key);
	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			return vk_errorx(EINVAL, "%s is missing", field);
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return vk_errorx(EINVAL, "%s must be a whole number", field);
	n = json_object_get_int64(v);
	if (n < 0 || (uint64_t)n > max)
		return vk_errorx(EINVAL, "%s must be between 0 and %llu", field,
				 (unsigned long long)max);
	*out = (uint64_t)n;
	return 0;
}

int vk_json_get_bool(struct json_object *obj, const char *where, const char *key, bool *out)
{
	struct json_object *v;
	char field[64];

	if (!json_object_object_get_ex(obj, key, &v))
		return 0;
	field_name(field, sizeof(field), where, key);
	if (!json_object_is_type(v, json_type_boolean))
		return vk_errorx(EINVAL, "%s must be true or false", field);
	*out = json_object_get_boolean(v);
	return 0;
}

int vk_json_get_container(struct json_object *obj, const char *where, const char *key,
			  enum json_type type, struct json_object **out)
{
	char field[64];

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, out))
		return 0;
	field_name(field, sizeof(field), where, key);
	if (!json_object_is_type(*out, type))
		return vk_errorx(EINVAL, "%s must be %s", field,
				 type == json_type_array ? "an array" : "an object");
	return 0;
}

void vk_json_add_string(struct json_object *obj, const char *key, const char *s)
{
	if (s)
		json_object_object_add(obj, key, json_object_new_string(s));
}

const char *vk_enum_name(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "?";
}

int vk_enum_parse(const char *const *names, size_t n, const char *s, const char *field, int *out)
{
	char list[256] = "";
	size_t i, used = 0;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0) {
			*out = (int)i;
			return 0;
		}
	for (i = 0; i < n && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
					 i ? ", " : "", names[i]);
	return vk_errorx(EINVAL, "%s '%s' is not known; use one of: %s", field, s, list);
}
