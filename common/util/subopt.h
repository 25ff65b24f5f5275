/* subopt.h - virt-install style sub-option lists: "path=/x,size=30,format=qcow2". */
#ifndef VK_SUBOPT_H
#define VK_SUBOPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vk_subopt {
	char *key;
	char *value;		/* "" for a key given without "=" */
};

struct vk_subopts {
	struct vk_subopt *items;
	size_t n;
};

/* Split text at commas into key=value items.  keys is a NULL-terminated list
 * of accepted keys; anything else is rejected by name ("--disk: unknown
 * option 'sise'; known options: path, size, ...").  A first item without
 * "=" is taken as the value of first_key when first_key is not NULL (as
 * virt-install takes "--disk /x.img,size=3" or "--console pty,...").
 * Values may be quoted with ' or " to hold commas.  Repeated keys are an
 * error.  what names the option in messages ("--disk"). */
int vk_subopts_parse(const char *text, const char *const *keys, const char *first_key,
		     const char *what, struct vk_subopts *out);
void vk_subopts_free(struct vk_subopts *so);

/* Value of key, or NULL when absent. */
const char *vk_subopts_get(const struct vk_subopts *so, const char *key);
/* Typed getters: absent keys leave *out alone and return 0. */
int vk_subopts_get_bool(const struct vk_subopts *so, const char *key, const char *what, bool *out);
int vk_subopts_get_uint(const struct vk_subopts *so, const char *key, const char *what, unsigned long *out);

#endif
