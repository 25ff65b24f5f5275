/* fuzz-fsprobe.c - libFuzzer target: partition tables and filesystem superblocks of a hostile disk. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/blockdev.h"
#include "common/fsprobe.h"
#include "common/partition.h"
#include "tests/fuzz/fuzz-disk.h"

/*
 * The input is the start of a disk; the rest reads as zeros up to a
 * virtual size taken from the first bytes, so that offsets far beyond the
 * input (GPT backup header, Btrfs superblock at 64 KiB, md at the end) are
 * reachable without huge inputs.
 */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_disk fd = { data, size };
	static struct vk_ptable pt;
	struct vk_blockdev disk = { .read = fuzz_read, .opaque = &fd };
	struct vk_fs_probe probe;
	size_t i;

	/* Virtual size: between the input size and 1 GiB, sector aligned. */
	disk.size = size;
	if (size >= 4)
		disk.size += (uint64_t)(data[size - 1] | data[size - 2] << 8) * 16384;
	disk.size &= ~(uint64_t)511;

	vk_fsprobe(&disk, &probe);
	if (vk_ptable_read(&disk, &pt) < 0)
		return 0;
	for (i = 0; i < pt.count; i++) {
		struct vk_blockdev part;

		if (vk_blockdev_sub(&disk, pt.parts[i].start, pt.parts[i].size, &part) == 0)
			vk_fsprobe(&part, &probe);
	}
	return 0;
}
