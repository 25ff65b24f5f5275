/* fuzz-osvariant.c - libFuzzer target: template documents, parsed and validated without crashing. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/media/osvariant.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vk_osvariant *v = NULL;
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (vk_osvariant_parse(text, "fuzz", &v) == 0) {
		/* What the parser promises the callers. */
		if (!v->name || !v->kernel_args || !v->repo_arg_url || (!v->supported && !v->unsupported_reason))
			abort();
		vk_osvariant_free(v);
	}
	free(text);
	return 0;
}
