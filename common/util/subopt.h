/* subopt.h - virt-install style sub-option lists: "path=/x,size=30,format=qcow2". */
#ifndef VK_SUBOPT_H
#define VK_SUBOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vk_subopt {
	char *key;
	char *value;		/* "" for a key given without "=" */
};

struct vk_subopts {
	struct vk_subopt *items;
	size_t n;
};

/*
 * How virt-install reads one option's list (virtinst/cli.py): items are
 * split at commas as Python's shlex does (quotes ' and " group and are
 * dropped, a backslash escapes, empty items vanish); leading items without
 * "=" are the values of the leading names, in order (its remove_first:
 * "--disk /x.img,size=3", "--network bridge:br0"); the value of a key in
 * comma_keys keeps its commas, running on over the following items up to
 * the next known key (its can_comma: "kernel_args=console=ttyS0,115200n8
 * root=/dev/vda1" as the shell hands it over).
 */
struct vk_subopt_grammar {
	const char *const *keys;	/* accepted keys, NULL-terminated */
	const char *const *leading;	/* names for leading bare items, NULL-terminated, or NULL */
	const char *const *comma_keys;	/* keys whose values keep commas, or NULL */
};

/* Parse text by the grammar.  An unknown key is rejected by name ("--disk:
 * unknown option 'sise'; known options: path, size, ..."); a key given
 * twice is an error (virt-install would keep the last one silently).  what
 * names the option in messages ("--disk"). */
int vk_subopts_parse_grammar(const char *text, const struct vk_subopt_grammar *g, const char *what,
			     struct vk_subopts *out);
/* The same with one leading name (first_key, or none when NULL) and no
 * comma_keys. */
int vk_subopts_parse(const char *text, const char *const *keys, const char *first_key,
		     const char *what, struct vk_subopts *out);
/* "--disk options:" and the keys, sorted, one a line: virt-install's
 * answer to "--disk=?" or "--disk help". */
int vk_subopts_print_keys(FILE *out, const char *what, const char *const *keys);
void vk_subopts_free(struct vk_subopts *so);

/* Value of key, or NULL when absent. */
const char *vk_subopts_get(const struct vk_subopts *so, const char *key);
/* Typed getters: absent keys leave *out alone and return 0. */
int vk_subopts_get_bool(const struct vk_subopts *so, const char *key, const char *what, bool *out);
int vk_subopts_get_uint(const struct vk_subopts *so, const char *key, const char *what, unsigned long *out);

#endif
