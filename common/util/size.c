/* size.c - parse and print sizes the way people write them ("1.5G", "512M"). */
#include "config.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util/error.h"
#include "common/util/size.h"

/* At most this many fraction digits count; more would not change whole bytes
 * for any unit up to PiB and would overflow the 128-bit product. */
#define FRACTION_DIGITS_MAX 18

struct size_unit {
	char letter;
	uint64_t bytes;
};

static const struct size_unit units[] = {
	{ 'K', VK_KiB }, { 'M', VK_MiB }, { 'G', VK_GiB },
	{ 'T', VK_TiB }, { 'P', VK_TiB << 10 }, { 'E', VK_TiB << 20 },
};

/* Suffix after the number: "", "B", "K", "KB", "KiB" (any case). */
static int parse_suffix(const char *s, uint64_t default_unit, uint64_t *unit)
{
	size_t i;

	if (*s == '\0') {
		*unit = default_unit;
		return 0;
	}
	if (strcasecmp(s, "B") == 0) {
		*unit = 1;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if ((s[0] & ~0x20) != units[i].letter)
			continue;
		if (s[1] == '\0' || strcasecmp(s + 1, "B") == 0 || strcasecmp(s + 1, "iB") == 0) {
			*unit = units[i].bytes;
			return 0;
		}
	}
	return -EINVAL;
}

int vk_size_parse(const char *text, uint64_t default_unit, const char *what, uint64_t *out)
{
	unsigned __int128 whole = 0, frac = 0, frac_scale = 1, total;
	const char *p = text;
	uint64_t unit;
	int digits = 0, frac_digits = 0;

	if (!what)
		what = "size";
	if (!text || !*text)
		return vk_errorx(EINVAL, "%s: empty size; give a number like 2048, 512M or 2G", what);
	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > UINT64_MAX)
			return vk_errorx(ERANGE, "%s: size '%s' is too large", what, text);
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (frac_digits++ >= FRACTION_DIGITS_MAX)
				continue;
			frac = frac * 10 + (unsigned)(*p - '0');
			frac_scale *= 10;
		}
	}
	if (digits == 0)
		return vk_errorx(EINVAL, "%s: '%s' is not a size; give a number like 2048, 512M or 2G",
				 what, text);
	if (parse_suffix(p, default_unit, &unit) < 0)
		return vk_errorx(EINVAL, "%s: '%s' has an unknown unit '%s'; use B, K, M, G, T or P",
				 what, text, p);
	/* whole < 2^64 and unit <= 2^60: the 128-bit product cannot wrap. */
	total = whole * unit + frac * unit / frac_scale;
	if (total > UINT64_MAX)
		return vk_errorx(ERANGE, "%s: size '%s' is too large", what, text);
	*out = (uint64_t)total;
	return 0;
}

char *vk_size_format(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned __int128 tenths;
	uint64_t unit = 1;
	size_t i = 0;

	while (i + 1 < sizeof(names) / sizeof(names[0]) && bytes / unit >= 1024) {
		unit <<= 10;
		i++;
	}
	if (bytes % unit == 0) {
		snprintf(buf, len, "%llu %s", (unsigned long long)(bytes / unit), names[i]);
		return buf;
	}
	/* One decimal, rounded down, so "1.9 GiB" never claims more than there is. */
	tenths = (unsigned __int128)bytes * 10 / unit;
	snprintf(buf, len, "%llu.%u %s", (unsigned long long)(tenths / 10),
		 (unsigned)(tenths % 10), names[i]);
	return buf;
}
