/* ids.c - check VM names and make or check UUIDs and MAC addresses. */
#include "config.h"
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "common/util/error.h"
#include "common/util/ids.h"

/* Locally administered OUI that QEMU/KVM use for guest NICs. */
#define KVM_MAC_PREFIX "52:54:00"
#define MAC_OCTETS 6
#define MAC_MULTICAST_BIT 0x01	/* I/G bit of the first octet (IEEE 802) */

static bool name_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '+' || c == '-';
}

int vk_name_check_as(const char *name, const char *what)
{
	size_t i, len;

	if (!name || !*name)
		return vk_errorx(EINVAL, "empty %s; use letters, digits and _.+-", what);
	len = strlen(name);
	if (len > VK_NAME_MAX)
		return vk_errorx(EINVAL, "%s '%.*s...' is longer than %d characters",
				 what, 16, name, VK_NAME_MAX);
	if (name[0] == '.' || name[0] == '-')
		return vk_errorx(EINVAL, "%s '%s' must not start with '%c'", what, name, name[0]);
	for (i = 0; i < len; i++)
		if (!name_char_ok(name[i]))
			return vk_errorx(EINVAL, "%s '%s' has a character other than letters, "
					 "digits and _.+- at position %zu", what, name, i + 1);
	return 0;
}

int vk_name_check(const char *name)
{
	return vk_name_check_as(name, "VM name");
}

static int random_bytes(unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = getrandom(buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vk_error(errno, "getrandom");
		got += (size_t)n;
	}
	return 0;
}

int vk_uuid_generate(char out[VK_UUID_LEN + 1])
{
	unsigned char b[16];
	int rc = random_bytes(b, sizeof(b));

	if (rc < 0)
		return rc;
	/* RFC 9562 section 5.4: version 4 in the high nibble of octet 6,
	 * variant 10xx in the high bits of octet 8. */
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, VK_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
		 b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

bool vk_uuid_valid(const char *s)
{
	size_t i;

	if (!s || strlen(s) != VK_UUID_LEN)
		return false;
	for (i = 0; i < VK_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

int vk_mac_generate(char out[VK_MAC_LEN + 1])
{
	unsigned char b[3];
	int rc = random_bytes(b, sizeof(b));

	if (rc < 0)
		return rc;
	snprintf(out, VK_MAC_LEN + 1, KVM_MAC_PREFIX ":%02x:%02x:%02x", b[0], b[1], b[2]);
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int vk_mac_parse(const char *s, char out[VK_MAC_LEN + 1])
{
	unsigned char b[MAC_OCTETS];
	char sep;
	int i, hi, lo;

	if (!s || strlen(s) != VK_MAC_LEN)
		goto bad;
	sep = s[2];
	if (sep != ':' && sep != '-')
		goto bad;
	for (i = 0; i < MAC_OCTETS; i++) {
		const char *o = s + i * 3;

		hi = hex_value(o[0]);
		lo = hex_value(o[1]);
		if (hi < 0 || lo < 0 || (i < MAC_OCTETS - 1 && o[2] != sep))
			goto bad;
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	if (b[0] & MAC_MULTICAST_BIT)
		return vk_errorx(EINVAL, "MAC address '%s' is a multicast address; a NIC needs a unicast one "
				 "(first octet even)", s);
	if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
		return vk_errorx(EINVAL, "MAC address '%s' is all zeros", s);
	snprintf(out, VK_MAC_LEN + 1, "%02x:%02x:%02x:%02x:%02x:%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5]);
	return 0;
bad:
	return vk_errorx(EINVAL, "'%s' is not a MAC address; write it as 52:54:00:12:34:56",
			 s ? s : "");
}
