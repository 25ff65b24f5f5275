/* x86/bzimage.c - parse and check a bzImage setup header; every field is hostile input. */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/util/error.h"
#include "vmm/x86/boot.h"

#define SETUP_HEADER_OFFSET	0x1f1
#define BOOT_FLAG		0xAA55
#define HDRS_MAGIC		0x53726448	/* "HdrS" */
#define SECTOR			512
#define DEFAULT_SETUP_SECTS	4
#define HEADER_JUMP_END		0x202		/* setup_header.header: lengths count from here */

int vk_bzimage_parse(const uint8_t *img, size_t len, struct vk_bzimage *out)
{
	struct setup_header h;
	size_t sects;

	memset(out, 0, sizeof(*out));
	if (len < SETUP_HEADER_OFFSET + sizeof(h))
		return vk_errorx(EINVAL, "too small to be a Linux kernel (%zu bytes)", len);
	memcpy(&h, img + SETUP_HEADER_OFFSET, sizeof(h));
	if (h.boot_flag != BOOT_FLAG || h.header != HDRS_MAGIC)
		return vk_errorx(EINVAL, "not a Linux bzImage (no boot signature and \"HdrS\" header); "
				 "vrun boots x86 bzImage kernels, not vmlinux or compressed files");
	out->protocol = h.version;
	if (h.version < VK_BOOT_PROTOCOL_MIN)
		return vk_errorx(EINVAL, "boot protocol %u.%02u is too old; vrun needs %u.%02u (Linux 3.8 or later)",
				 h.version >> 8, h.version & 0xff,
				 VK_BOOT_PROTOCOL_MIN >> 8, VK_BOOT_PROTOCOL_MIN & 0xff);
	if (!(h.loadflags & LOADED_HIGH))
		return vk_errorx(EINVAL, "a zImage (loaded low) is not supported; use a bzImage");
	if (!(h.xloadflags & XLF_KERNEL_64))
		return vk_errorx(EINVAL, "kernel has no 64-bit entry point (a 32-bit kernel?)");
	sects = h.setup_sects ? h.setup_sects : DEFAULT_SETUP_SECTS;
	out->setup_size = (sects + 1) * SECTOR;
	if (out->setup_size >= len)
		return vk_errorx(EINVAL, "setup size %zu is past the end of the file (%zu bytes)",
				 out->setup_size, len);
	out->header_end = HEADER_JUMP_END + img[HEADER_JUMP_END - 1];
	if (out->header_end > SETUP_HEADER_OFFSET + sizeof(h))
		out->header_end = SETUP_HEADER_OFFSET + sizeof(h);	/* newer than our header */
	if (out->header_end < SETUP_HEADER_OFFSET + offsetof(struct setup_header, init_size) + 4)
		return vk_errorx(EINVAL, "setup header is too short (%zu bytes) for protocol %u.%02u",
				 out->header_end, h.version >> 8, h.version & 0xff);
	out->kernel_offset = out->setup_size;
	out->kernel_size = len - out->setup_size;
	out->initrd_addr_max = h.initrd_addr_max;
	out->cmdline_size = h.cmdline_size;
	out->kernel_alignment = h.kernel_alignment;
	out->init_size = h.init_size;
	out->pref_address = h.pref_address;
	out->xloadflags = h.xloadflags;
	out->relocatable = h.relocatable_kernel;
	out->loadflags = h.loadflags;
	if (out->init_size < out->kernel_size)
		out->init_size = (uint32_t)(out->kernel_size > UINT32_MAX ? UINT32_MAX : out->kernel_size);
	return 0;
}
