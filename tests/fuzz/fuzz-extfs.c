/* fuzz-extfs.c - libFuzzer target: the direct ext2/3/4 reader (lookup, directories, file copy-out) on a hostile disk. */
#define _GNU_SOURCE
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/image/blockdev.h"
#include "common/fs/extfs.h"
#include "tests/fuzz/fuzz-disk.h"

/* Files copied out are capped, so one input stays fast. */
#define FUZZ_FILE_MAX (4u << 20)

struct visit {
	struct vk_extfs *fs;
	int out;
	int depth;
};

static int visit_entry(void *opaque, const char *name, uint32_t ino)
{
	struct visit *v = opaque;
	struct vk_extfs_stat st;

	if (!strcmp(name, ".") || !strcmp(name, "..") || vk_extfs_stat(v->fs, ino, &st) < 0)
		return 0;
	if (S_ISDIR(st.mode) && v->depth < 2) {
		struct visit sub = { v->fs, v->out, v->depth + 1 };

		vk_extfs_readdir(v->fs, ino, visit_entry, &sub);
	} else if (S_ISREG(st.mode) && ftruncate(v->out, 0) == 0) {
		vk_extfs_copy_out(v->fs, ino, v->out, FUZZ_FILE_MAX);
	}
	return 0;
}

/* The input is the start of the filesystem; the rest reads as zeros up
 * to a virtual size taken from its last bytes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int out = -1;
	struct fuzz_disk fd = { data, size };
	struct vk_blockdev disk = { .read = fuzz_read, .opaque = &fd };
	struct vk_extfs *fs = NULL;
	struct vk_extfs_stat st;
	struct visit v;
	char uuid[37];

	if (out < 0)
		out = memfd_create("fuzz-extfs", 0);
	disk.size = size;
	if (size >= 4)
		disk.size += (uint64_t)(data[size - 1] | data[size - 2] << 8) * 16384;
	if (vk_extfs_open(&disk, &fs) <= 0)
		return 0;
	vk_extfs_uuid(fs, uuid);
	vk_extfs_type(fs);
	vk_extfs_lookup(fs, "/boot/vmlinuz", &st);
	v = (struct visit){ fs, out, 0 };
	vk_extfs_readdir(fs, VK_EXTFS_ROOT_INO, visit_entry, &v);
	vk_extfs_close(fs);
	return 0;
}
