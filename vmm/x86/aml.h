/* x86/aml.h - a small emitter for the ACPI Machine Language vrun puts in its DSDT (ACPI 6.x section 20). */
#ifndef VK_X86_AML_H
#define VK_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Terms are appended to a caller's buffer.  Objects with a PkgLength
 * (Scope, Device, Package) are opened and closed; the length is written on
 * close with the shortest encoding, moving the body up.  Any overflow or
 * bad name marks the emitter failed and later calls do nothing, so callers
 * check once at the end (vk_aml_finish).
 */

/* AML opcodes and prefixes, ACPI 6.x 20.2. */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_STRING_PREFIX	0x0d
#define AML_QWORD_PREFIX	0x0e
#define AML_SCOPE_OP		0x10
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_DUAL_NAME_PREFIX	0x2e
#define AML_MULTI_NAME_PREFIX	0x2f
#define AML_EXT_OP_PREFIX	0x5b
#define AML_ROOT_CHAR		0x5c
#define AML_PARENT_PREFIX	0x5e
#define AML_EXT_DEVICE_OP	0x82
#define AML_ONES_OP		0xff

#define VK_AML_MAX_DEPTH	8
#define VK_AML_MAX_SEGS		8

struct vk_aml {
	uint8_t *buf;
	size_t size, len;
	size_t open[VK_AML_MAX_DEPTH];	/* where each open object's body starts */
	unsigned depth;
	bool failed;
};

void vk_aml_init(struct vk_aml *a, uint8_t *buf, size_t size);
/* Length emitted, or -E2BIG (overflow) / -EINVAL (bad name, unbalanced open/close). */
int vk_aml_finish(struct vk_aml *a);

void vk_aml_bytes(struct vk_aml *a, const void *data, size_t len);
/* "\_SB_.PCI0", "_HID", "^FOO": segments of 1-4 of [A-Z0-9_], padded with '_'. */
void vk_aml_name_string(struct vk_aml *a, const char *path);
/* The shortest of ZeroOp, OneOp, Byte/Word/DWord/QWordPrefix. */
void vk_aml_integer(struct vk_aml *a, uint64_t v);
void vk_aml_string(struct vk_aml *a, const char *s);
/* A compressed EISA id ("PNP0A03") as a DWord constant. */
void vk_aml_eisaid(struct vk_aml *a, const char *id);
/* Buffer(len){data}. */
void vk_aml_buffer(struct vk_aml *a, const void *data, size_t len);

/* Name(path, ...): the next term is the value. */
void vk_aml_name(struct vk_aml *a, const char *path);
void vk_aml_scope_open(struct vk_aml *a, const char *path);
void vk_aml_device_open(struct vk_aml *a, const char *path);
void vk_aml_package_open(struct vk_aml *a, uint8_t n_elements);
void vk_aml_close(struct vk_aml *a);

/* Encode a PkgLength of value len (which counts the encoding itself) into
 * out (4 bytes); returns its size, 0 when len cannot be encoded. */
unsigned vk_aml_pkglength(size_t len, uint8_t out[4]);
/* The 32-bit compressed form of an EISA id, 0 when id is malformed. */
uint32_t vk_aml_eisaid_value(const char *id);

#endif
