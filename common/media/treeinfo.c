/* treeinfo.c - reads the [images-x86_64] kernel and initrd of a .treeinfo file (install trees). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/util/error.h"
#include "common/media/media.h"

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

int vk_treeinfo_parse(const char *text, char **kernel, char **initrd)
{
	char *copy = strdup(text), *line, *save = NULL, *eq;
	bool in_section = false;
	int rc = 0;

	*kernel = *initrd = NULL;
	if (!copy)
		return vk_error(ENOMEM, "treeinfo");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line = trim(line);
		if (*line == '[') {
			in_section = !strcmp(line, "[images-x86_64]");
			continue;
		}
		eq = strchr(line, '=');
		if (!in_section || !eq || *line == '#' || *line == ';')
			continue;
		*eq = '\0';
		if (!strcmp(trim(line), "kernel") && !*kernel)
			*kernel = strdup(trim(eq + 1));
		else if (!strcmp(trim(line), "initrd") && !*initrd)
			*initrd = strdup(trim(eq + 1));
	}
	if (!*kernel || !*initrd || !**kernel || !**initrd) {
		free(*kernel);
		free(*initrd);
		*kernel = *initrd = NULL;
		rc = vk_errorx(ENOENT, "treeinfo has no [images-x86_64] kernel and initrd");
	}
	free(copy);
	return rc;
}
