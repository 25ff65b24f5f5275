/* qcow2-cache.c - a small LRU of metadata clusters (L2 tables, refcount blocks), allocated once at open. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/image/qcow2.h"

int vk_qcow2_cache_init(struct qcow2_cache *c, unsigned n, uint32_t cluster_size)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->slots = calloc(n, sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	c->n = n;
	for (i = 0; i < n; i++) {
		if (posix_memalign((void **)&c->slots[i].data, 4096, cluster_size)) {
			vk_qcow2_cache_free(c);
			return -ENOMEM;
		}
	}
	return 0;
}

void vk_qcow2_cache_free(struct qcow2_cache *c)
{
	unsigned i;

	for (i = 0; c->slots && i < c->n; i++)
		free(c->slots[i].data);
	free(c->slots);
	memset(c, 0, sizeof(*c));
}

int vk_qcow2_cache_find(struct qcow2_cache *c, uint64_t offset)
{
	unsigned i;

	for (i = 0; i < c->n; i++) {
		if (c->slots[i].offset == offset) {
			c->slots[i].last_use = ++c->clock;
			return (int)i;
		}
	}
	return -1;
}
