/* size.h - sizes as people write them on command lines. */
#ifndef VK_SIZE_H
#define VK_SIZE_H

#include <stddef.h>
#include <stdint.h>

#define VK_KiB (UINT64_C(1) << 10)
#define VK_MiB (UINT64_C(1) << 20)
#define VK_GiB (UINT64_C(1) << 30)
#define VK_TiB (UINT64_C(1) << 40)

/* Parse "2048", "512M", "2G", "1.5G", "10GiB", "4096K", "123B".  A bare number
 * is in default_unit bytes (VK_MiB for --memory, VK_GiB for disk size=).
 * Suffixes are binary (K=1024) like virt-install and qemu-img.  Fractions
 * are allowed; the result is rounded down to whole bytes.  Overflow, empty,
 * negative or trailing garbage -> -EINVAL/-ERANGE with a message naming what. */
int vk_size_parse(const char *text, uint64_t default_unit, const char *what, uint64_t *out);
/* "1.5 GiB" style, into buf. */
char *vk_size_format(uint64_t bytes, char *buf, size_t len);

#endif
