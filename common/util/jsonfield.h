/* jsonfield.h - reading and writing the JSON documents vkit keeps (VM and network definitions): checked fields, named errors. */
#ifndef VK_JSONFIELD_H
#define VK_JSONFIELD_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Every getter names the field in its message ("disks[0].format is
 * missing", "ip.prefix must be a whole number"): where is "" for the top
 * level, else the path to the object ("disks[0]", "ip.dhcp").  Optional
 * fields that are absent leave *out alone (strings: NULL) and return 0.
 */

/* A whole document: one JSON object, nested at most depth deep, nothing
 * after it.  what names the document in messages ("a definition"). */
int vk_json_parse_object(const char *text, int depth, const char *what, struct json_object **out);
/* The document as vkit writes it: pretty, spaced, "/" unescaped, ending in
 * a newline (malloc'd; NULL with errno ENOMEM). */
char *vk_json_to_text(struct json_object *top);

/* Keys of obj that are not in known (NULL-terminated) are refused by name. */
int vk_json_check_keys(struct json_object *obj, const char *where, const char *const *known);
/* A string without NUL characters (JSON's "\u0000" would cut it), malloc'd. */
int vk_json_get_string(struct json_object *obj, const char *where, const char *key, bool required,
		       char **out);
/* A string that must be one of names (n of them); *out is its index. */
int vk_json_get_enum(struct json_object *obj, const char *where, const char *key, bool required,
		     const char *const *names, size_t n, int *out);
int vk_json_get_uint(struct json_object *obj, const char *where, const char *key, bool required,
		     uint64_t max, uint64_t *out);
int vk_json_get_bool(struct json_object *obj, const char *where, const char *key, bool *out);
/* A member that must be an object or an array (type), NULL when absent. */
int vk_json_get_container(struct json_object *obj, const char *where, const char *key,
			  enum json_type type, struct json_object **out);
/* Adds key: s, unless s is NULL. */
void vk_json_add_string(struct json_object *obj, const char *key, const char *s);

/* Enumerations kept as names: names[v], or "?" out of range; parse finds
 * s in names, or says which names there are (field names it). */
const char *vk_enum_name(const char *const *names, size_t n, int v);
int vk_enum_parse(const char *const *names, size_t n, const char *s, const char *field, int *out);

#endif
