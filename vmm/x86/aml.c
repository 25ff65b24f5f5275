/* x86/aml.c - emit the AML terms vrun's DSDT is made of: names, integers, strings, buffers, packages, scopes, devices. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "vmm/x86/aml.h"

#define AML_NAME_SEG_LEN	4
#define PKGLENGTH_1_MAX		0x3f		/* one byte: 6 bits */
#define PKGLENGTH_MAX		0x0fffffff	/* four bytes: 4 + 3 * 8 bits */

void vk_aml_init(struct vk_aml *a, uint8_t *buf, size_t size)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->size = size;
}

int vk_aml_finish(struct vk_aml *a)
{
	if (a->depth)
		a->failed = true;
	if (a->failed)
		return a->len >= a->size ? -E2BIG : -EINVAL;
	return (int)a->len;
}

void vk_aml_bytes(struct vk_aml *a, const void *data, size_t len)
{
	if (a->failed)
		return;
	if (len > a->size - a->len) {
		a->failed = true;
		a->len = a->size;	/* finish() tells overflow from bad input */
		return;
	}
	memcpy(a->buf + a->len, data, len);
	a->len += len;
}

static void put_byte(struct vk_aml *a, uint8_t b)
{
	vk_aml_bytes(a, &b, 1);
}

static void put_le(struct vk_aml *a, uint64_t v, unsigned n)
{
	uint8_t b[8];

	for (unsigned i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	vk_aml_bytes(a, b, n);
}

static bool name_char_ok(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || c == '_' || (!first && c >= '0' && c <= '9');
}

void vk_aml_name_string(struct vk_aml *a, const char *path)
{
	char segs[VK_AML_MAX_SEGS][AML_NAME_SEG_LEN];
	unsigned n = 0;
	const char *p = path;

	if (a->failed)
		return;
	if (*p == '\\') {
		put_byte(a, AML_ROOT_CHAR);
		p++;
	} else {
		while (*p == '^') {
			put_byte(a, AML_PARENT_PREFIX);
			p++;
		}
	}
	while (*p) {
		size_t len = strcspn(p, ".");

		if (len == 0 || len > AML_NAME_SEG_LEN || n == VK_AML_MAX_SEGS) {
			a->failed = true;
			return;
		}
		for (size_t i = 0; i < AML_NAME_SEG_LEN; i++) {
			if (i < len && !name_char_ok(p[i], i == 0)) {
				a->failed = true;
				return;
			}
			segs[n][i] = i < len ? p[i] : '_';
		}
		n++;
		p += len;
		if (*p == '.' && *++p == '\0') {
			a->failed = true;	/* trailing dot */
			return;
		}
	}
	if (n == 0) {
		put_byte(a, AML_ZERO_OP);	/* NullName */
		return;
	}
	if (n == 2) {
		put_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (n > 2) {
		put_byte(a, AML_MULTI_NAME_PREFIX);
		put_byte(a, (uint8_t)n);
	}
	vk_aml_bytes(a, segs, n * AML_NAME_SEG_LEN);
}

void vk_aml_integer(struct vk_aml *a, uint64_t v)
{
	if (v == 0) {
		put_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		put_byte(a, AML_ONE_OP);
	} else if (v <= UINT8_MAX) {
		put_byte(a, AML_BYTE_PREFIX);
		put_le(a, v, 1);
	} else if (v <= UINT16_MAX) {
		put_byte(a, AML_WORD_PREFIX);
		put_le(a, v, 2);
	} else if (v <= UINT32_MAX) {
		put_byte(a, AML_DWORD_PREFIX);
		put_le(a, v, 4);
	} else {
		put_byte(a, AML_QWORD_PREFIX);
		put_le(a, v, 8);
	}
}

void vk_aml_string(struct vk_aml *a, const char *s)
{
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c < 0x01 || (unsigned char)*c > 0x7f)
			a->failed = true;	/* AsciiCharList: 0x01-0x7F */
	put_byte(a, AML_STRING_PREFIX);
	vk_aml_bytes(a, s, strlen(s) + 1);
}

/* "PNP0A03": three letters of 5 bits each, then four hex digits, stored
 * big-endian (so the bytes read 41 D0 0A 03). */
uint32_t vk_aml_eisaid_value(const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return 0;
		v = v << 5 | (uint32_t)(id[i] - '@');
	}
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return 0;
		v = v << 4 | d;
	}
	/* v is now 0 LLLLL LLLLL LLLLL HHHH HHHH HHHH HHHH: bytes big-endian. */
	return (v >> 24 & 0xff) | (v >> 8 & 0xff00) | (v << 8 & 0xff0000) | (v << 24);
}

void vk_aml_eisaid(struct vk_aml *a, const char *id)
{
	uint32_t v = vk_aml_eisaid_value(id);

	if (!v)
		a->failed = true;
	put_byte(a, AML_DWORD_PREFIX);
	put_le(a, v, 4);
}

unsigned vk_aml_pkglength(size_t len, uint8_t out[4])
{
	unsigned n;

	if (len <= PKGLENGTH_1_MAX) {
		out[0] = (uint8_t)len;
		return 1;
	}
	if (len > PKGLENGTH_MAX)
		return 0;
	n = len < (1u << 12) ? 2 : len < (1u << 20) ? 3 : 4;
	out[0] = (uint8_t)((n - 1) << 6 | (len & 0xf));
	for (unsigned i = 1; i < n; i++)
		out[i] = (uint8_t)(len >> (4 + 8 * (i - 1)));
	return n;
}

static void open_pkg(struct vk_aml *a)
{
	if (a->failed)
		return;
	if (a->depth == VK_AML_MAX_DEPTH) {
		a->failed = true;
		return;
	}
	a->open[a->depth++] = a->len;
}

void vk_aml_close(struct vk_aml *a)
{
	uint8_t enc[4];
	size_t start, body;
	unsigned n;

	if (a->failed)
		return;
	if (a->depth == 0) {
		a->failed = true;
		return;
	}
	start = a->open[--a->depth];
	body = a->len - start;
	/* The length counts its own encoding: try each size in turn. */
	for (n = 1; n <= 4; n++)
		if (vk_aml_pkglength(body + n, enc) == n)
			break;
	if (n > 4) {
		a->failed = true;
		return;
	}
	if (n > a->size - a->len) {
		a->failed = true;
		a->len = a->size;
		return;
	}
	memmove(a->buf + start + n, a->buf + start, body);
	memcpy(a->buf + start, enc, n);
	a->len += n;
}

void vk_aml_buffer(struct vk_aml *a, const void *data, size_t len)
{
	put_byte(a, AML_BUFFER_OP);
	open_pkg(a);
	vk_aml_integer(a, len);
	vk_aml_bytes(a, data, len);
	vk_aml_close(a);
}

void vk_aml_name(struct vk_aml *a, const char *path)
{
	put_byte(a, AML_NAME_OP);
	vk_aml_name_string(a, path);
}

void vk_aml_scope_open(struct vk_aml *a, const char *path)
{
	put_byte(a, AML_SCOPE_OP);
	open_pkg(a);
	vk_aml_name_string(a, path);
}

void vk_aml_device_open(struct vk_aml *a, const char *path)
{
	put_byte(a, AML_EXT_OP_PREFIX);
	put_byte(a, AML_EXT_DEVICE_OP);
	open_pkg(a);
	vk_aml_name_string(a, path);
}

void vk_aml_package_open(struct vk_aml *a, uint8_t n_elements)
{
	put_byte(a, AML_PACKAGE_OP);
	open_pkg(a);
	put_byte(a, n_elements);
}
