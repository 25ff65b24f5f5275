/* clock.h - monotonic time and timeouts that tests may shorten, the same in every tool. */
#ifndef VK_CLOCK_H
#define VK_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC: for intervals and deadlines, never for dates. */
int64_t vk_now_ms(void);
uint64_t vk_now_ns(void);

/* A duration in milliseconds from the environment variable name (a
 * positive integer), else dflt: how tests shorten a tool's timeouts
 * (VKIT_START_TIMEOUT_MS, VKIT_WAIT_MINUTE_MS) without a code path of
 * their own.  Garbage in the variable is ignored, not an error. */
int64_t vk_env_ms(const char *name, int64_t dflt);

#endif
