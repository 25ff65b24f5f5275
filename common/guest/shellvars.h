/* shellvars.h - edit a file of shell variable assignments (ifcfg-*, /etc/sysconfig/network) as text. */
#ifndef VKIT_SHELLVARS_H
#define VKIT_SHELLVARS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * TEXT (SIZE bytes, any content: it comes from a guest's disk) with every
 * line that assigns a key in DROP (NULL-terminated) removed, and, when
 * SET_KEY is given, its first assignment replaced by SET_KEY=SET_VALUE (later
 * ones removed, since the last would win in the shell) or the line appended.
 * Leading blanks before a key are allowed, as the shell allows them.
 * *OUT (malloc'd, not NUL-terminated) and *OUT_SIZE are the result; *CHANGED
 * says whether it differs.  0, or -errno (only -ENOMEM / -EINVAL).
 */
int vk_shellvars_edit(const char *text, size_t size, const char *const *drop, const char *set_key,
		      const char *set_value, char **out, size_t *out_size, bool *changed);

#endif
