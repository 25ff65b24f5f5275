/* fuzz-fsprobe.c - libFuzzer target: partition tables and filesystem superblocks of a hostile disk. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/image/blockdev.h"
#include "common/fs/df-format.h"
#include "common/fs/fsprobe.h"
#include "common/fs/partition.h"
#include "tests/fuzz/fuzz-disk.h"

/*
 * The input is the start of a disk; the rest reads as zeros up to a
 * virtual size taken from the first bytes, so that offsets far beyond the
 * input (GPT backup header, Btrfs superblock at 64 KiB, md at the end) are
 * reachable without huge inputs.
 */

/* What vk_fsprobe() promises for the figures it returns (fsprobe.h): a df
 * can print them, and what it prints is never negative or wrapped. */
static void check_figures(const struct vk_fs_probe *p)
{
	const struct vk_fs_stat *st = &p->stat;
	static const unsigned flags[] = { 0, VK_DF_HUMAN, VK_DF_INODES, VK_DF_CSV };
	char row[512];

	if (p->kind != VK_FS_STAT)
		return;
	if (st->bsize == 0 || (st->bsize & (st->bsize - 1)) || st->blocks > UINT64_MAX / st->bsize ||
	    st->bfree > st->blocks || st->bavail > st->blocks || st->ffree > st->files) {
		fprintf(stderr, "%s: inconsistent figures: bsize %llu blocks %llu bfree %llu bavail %llu "
			"files %llu ffree %llu\n", p->type, (unsigned long long)st->bsize,
			(unsigned long long)st->blocks, (unsigned long long)st->bfree,
			(unsigned long long)st->bavail, (unsigned long long)st->files,
			(unsigned long long)st->ffree);
		abort();
	}
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		FILE *f = fmemopen(row, sizeof row, "w");

		if (!f)
			return;
		vk_df_print_row(f, flags[i], "g", "/dev/sda", st);
		fclose(f);
		row[sizeof row - 1] = '\0';
		if (strchr(row, '-')) {	/* "g:/dev/sda" holds none */
			fprintf(stderr, "%s: a negative figure: %s", p->type, row);
			abort();
		}
	}
}

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

	if (vk_fsprobe(&disk, &probe) == 0)
		check_figures(&probe);
	if (vk_ptable_read(&disk, &pt) < 0)
		return 0;
	for (i = 0; i < pt.count; i++) {
		struct vk_blockdev part;

		if (vk_blockdev_sub(&disk, pt.parts[i].start, pt.parts[i].size, &part) == 0 &&
		    vk_fsprobe(&part, &probe) == 0)
			check_figures(&probe);
	}
	return 0;
}
