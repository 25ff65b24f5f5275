/* clock.c - monotonic time and environment-overridable timeouts. */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "common/util/clock.h"

uint64_t vk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t vk_now_ms(void)
{
	return (int64_t)(vk_now_ns() / 1000000u);
}

int64_t vk_env_ms(const char *name, int64_t dflt)
{
	const char *env = getenv(name);
	char *end;
	long long v;

	if (!env || !*env)
		return dflt;
	v = strtoll(env, &end, 10);
	return *end || v < 1 ? dflt : (int64_t)v;
}
