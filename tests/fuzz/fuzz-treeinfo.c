/* fuzz-treeinfo.c - libFuzzer target: .treeinfo files come from install trees, i.e. from anyone. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/media/media.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *kernel = NULL, *initrd = NULL;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (vk_treeinfo_parse(text, &kernel, &initrd) == 0 && (!kernel || !initrd))
		abort();	/* success promises both paths */
	free(kernel);
	free(initrd);
	free(text);
	return 0;
}
