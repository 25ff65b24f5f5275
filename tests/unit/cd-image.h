/* cd-image.h - a test CD image whose every byte is known: the pattern, and a file filled with it. */
#ifndef VK_TEST_CD_IMAGE_H
#define VK_TEST_CD_IMAGE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Byte i of a test image: differs from sector to sector. */
static inline uint8_t cd_pattern(uint64_t i)
{
	return (uint8_t)(i * 7 + i / 2048 * 13 + 1);
}

/* Write size bytes of the pattern to path; 0 or -1. */
static inline int cd_write_image(const char *path, uint64_t size)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	for (uint64_t i = 0; i < size; i++)
		fputc(cd_pattern(i), f);
	return fclose(f) == 0 ? 0 : -1;
}

#endif
