/* test-fsprobe.c - partition tables, superblock checks and virt-df formatting, on hand-made images. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "common/image/blockdev.h"
#include "common/fs/df-format.h"
#include "common/util/error.h"
#include "common/fs/fsprobe.h"
#include "common/fs/partition.h"

#define DISK_SIZE (8u * 1024 * 1024)

static uint8_t *disk;

static int mem_read(void *opaque, void *buf, size_t len, uint64_t off)
{
	memcpy(buf, (uint8_t *)opaque + off, len);
	return 0;
}

static struct vk_blockdev mem_dev(size_t size)
{
	struct vk_blockdev d = { .read = mem_read, .opaque = disk, .start = 0, .size = size };
	return d;
}

static int setup(void **state)
{
	disk = calloc(1, DISK_SIZE);
	return disk ? 0 : -1;
}

static int teardown(void **state)
{
	free(disk);
	return 0;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static void mbr_entry(uint8_t *sect, int slot, uint8_t type, uint32_t start, uint32_t size)
{
	uint8_t *e = sect + 0x1be + slot * 16;

	e[4] = type;
	put_le32(e + 8, start);
	put_le32(e + 12, size);
	sect[510] = 0x55;
	sect[511] = 0xaa;
}

static void test_human(void **state)
{
	char b[VK_DF_HUMAN_MAX];

	/* Values checked against virt-df -h on the test images and GNU df. */
	assert_string_equal(vk_df_human(0, 4096, b, sizeof b), "0");
	assert_string_equal(vk_df_human(1, 512, b, sizeof b), "512");
	assert_string_equal(vk_df_human(1, 1024, b, sizeof b), "1.0K");
	assert_string_equal(vk_df_human(14325, 4096, b, sizeof b), "56M");
	assert_string_equal(vk_df_human(782, 4096, b, sizeof b), "3.1M");
	assert_string_equal(vk_df_human(1824, 4096, b, sizeof b), "7.1M");	/* 7.125 M: to nearest */
	assert_string_equal(vk_df_human(1664, 4096, b, sizeof b), "6.5M");
	assert_string_equal(vk_df_human(10291, 1024, b, sizeof b), "10M");	/* no decimal from 10 up */
	assert_string_equal(vk_df_human(10854, 1024, b, sizeof b), "11M");
	assert_string_equal(vk_df_human(1023, 1024, b, sizeof b), "1023K");
	assert_string_equal(vk_df_human(1048575, 1024, b, sizeof b), "1.0G");
	assert_string_equal(vk_df_human(UINT64_MAX, 65536, b, sizeof b), "1.0Y");
}

/* Figures that contradict each other are refused with what disagrees and
 * the repair tool; a row never shows a wrapped or negative Used. */
static void test_stat_check(void **state)
{
	struct vk_fs_stat good = { .bsize = 4096, .blocks = 1000, .bfree = 400, .bavail = 300, .files = 64,
				   .ffree = 10 };
	struct vk_fs_stat st;
	char row[256];
	FILE *f;

	assert_int_equal(vk_fs_stat_check("ext4", &good), 0);
	st = good;
	st.bfree = 1234;
	assert_int_equal(vk_fs_stat_check("xfs", &st), -EUCLEAN);
	assert_string_equal(vk_last_error(), "xfs counters disagree (free blocks 1234 > total 1000); "
			    "the filesystem needs xfs_repair");
	st = good;
	st.bavail = 1001;
	assert_int_equal(vk_fs_stat_check("btrfs", &st), -EUCLEAN);
	assert_non_null(strstr(vk_last_error(), "(available blocks 1001 > total 1000); the filesystem needs btrfs check"));
	st = good;
	st.ffree = 65;
	assert_int_equal(vk_fs_stat_check("ext2", &st), -EUCLEAN);
	assert_non_null(strstr(vk_last_error(), "(free inodes 65 > total 64); the filesystem needs e2fsck"));
	st = good;
	st.bsize = 0;
	assert_int_equal(vk_fs_stat_check("vfat", &st), -EUCLEAN);
	assert_non_null(strstr(vk_last_error(), "block size 0 is not a power of two"));
	st.bsize = 3000;
	assert_int_equal(vk_fs_stat_check("vfat", &st), -EUCLEAN);
	st = good;
	st.blocks = st.bfree = st.bavail = UINT64_MAX / 2;
	assert_int_equal(vk_fs_stat_check("ext4", &st), -EUCLEAN);
	assert_non_null(strstr(vk_last_error(), "is more than 16 EiB"));

	/* An unchecked caller's bad figures still print no wrapped Used. */
	st = good;
	st.bfree = 1234;
	f = fmemopen(row, sizeof row, "w");
	assert_non_null(f);
	vk_df_print_row(f, 0, "g", "/dev/sda", &st);
	fclose(f);
	assert_null(strchr(row, '-'));
	assert_non_null(strstr(row, "4000          0       1200    0%"));
}

static void test_device_names(void **state)
{
	char b[32];

	vk_df_device_name(0, 0, b, sizeof b);
	assert_string_equal(b, "/dev/sda");
	vk_df_device_name(1, 5, b, sizeof b);
	assert_string_equal(b, "/dev/sdb5");
	vk_df_device_name(25, 1, b, sizeof b);
	assert_string_equal(b, "/dev/sdz1");
	vk_df_device_name(26, 0, b, sizeof b);
	assert_string_equal(b, "/dev/sdaa");
	vk_df_device_name(701, 0, b, sizeof b);
	assert_string_equal(b, "/dev/sdzz");
	vk_df_device_name(702, 0, b, sizeof b);
	assert_string_equal(b, "/dev/sdaaa");
}

static void test_mbr_extended_chain(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_ptable pt;

	memset(disk, 0, DISK_SIZE);
	mbr_entry(disk, 0, 0x83, 2048, 2048);
	mbr_entry(disk, 1, 0x05, 4096, 8192);
	/* EBR 1: logical at +64, link to EBR 2 at +4096 (relative to the extended start). */
	mbr_entry(disk + 4096 * 512, 0, 0x83, 64, 1000);
	mbr_entry(disk + 4096 * 512, 1, 0x05, 4096, 2048);
	mbr_entry(disk + 8192 * 512, 0, 0x83, 64, 1000);
	assert_int_equal(vk_ptable_read(&d, &pt), 0);
	assert_int_equal(pt.kind, VK_PTABLE_MBR);
	assert_int_equal(pt.count, 3);
	assert_int_equal(pt.parts[0].number, 1);
	assert_int_equal(pt.parts[1].number, 5);
	assert_int_equal(pt.parts[1].start, (4096 + 64) * 512ULL);
	assert_int_equal(pt.parts[2].number, 6);
	assert_int_equal(pt.parts[2].start, (8192 + 64) * 512ULL);
}

static void test_mbr_ebr_loop_is_bounded(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_ptable pt;

	memset(disk, 0, DISK_SIZE);
	mbr_entry(disk, 0, 0x05, 4096, 8192);
	/* The EBR links to itself: the walk must stop, not spin or overflow. */
	mbr_entry(disk + 4096 * 512, 0, 0x83, 64, 100);
	mbr_entry(disk + 4096 * 512, 1, 0x05, 0, 8192);
	assert_int_equal(vk_ptable_read(&d, &pt), 0);
	assert_true(pt.count <= VK_PARTITIONS_MAX);
	assert_true(pt.count > 1);
}

static void test_mbr_bad_boot_indicator_means_no_table(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_ptable pt;

	memset(disk, 0, DISK_SIZE);
	mbr_entry(disk, 0, 0x83, 2048, 2048);
	disk[0x1be] = 0x12;	/* a FAT boot sector's code, not a boot flag */
	assert_int_equal(vk_ptable_read(&d, &pt), 0);
	assert_int_equal(pt.count, 0);
}

static void test_partition_past_end_is_truncated_or_dropped(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_ptable pt;

	memset(disk, 0, DISK_SIZE);
	mbr_entry(disk, 0, 0x83, 2048, 0xffffffffu);
	mbr_entry(disk, 1, 0x83, 0xfffffff0u, 16);
	assert_int_equal(vk_ptable_read(&d, &pt), 0);
	assert_int_equal(pt.count, 1);
	assert_int_equal(pt.parts[0].start + pt.parts[0].size, DISK_SIZE);
}

static void test_protective_mbr_without_gpt(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_ptable pt;

	memset(disk, 0, DISK_SIZE);
	mbr_entry(disk, 0, 0xee, 1, DISK_SIZE / 512 - 1);
	memcpy(disk + 512, "EFI PART", 8);	/* header with a wrong CRC */
	assert_int_equal(vk_ptable_read(&d, &pt), 0);
	assert_int_equal(pt.count, 0);
}

static void test_blank_device(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_fs_probe p;

	memset(disk, 0, DISK_SIZE);
	assert_int_equal(vk_fsprobe(&d, &p), 0);
	assert_int_equal(p.kind, VK_FS_NONE);
}

static void test_foreign_and_swap(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_fs_probe p;

	memset(disk, 0, DISK_SIZE);
	memcpy(disk + 512, "LABELONE", 8);
	memcpy(disk + 512 + 24, "LVM2 001", 8);
	assert_int_equal(vk_fsprobe(&d, &p), 0);
	assert_int_equal(p.kind, VK_FS_FOREIGN);
	assert_string_equal(p.type, "LVM2_member");

	memset(disk, 0, DISK_SIZE);
	memcpy(disk + 4096 - 10, "SWAPSPACE2", 10);
	assert_int_equal(vk_fsprobe(&d, &p), 0);
	assert_int_equal(p.kind, VK_FS_IGNORED);
}

static void test_ext_claiming_more_than_device(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_fs_probe p;
	uint8_t *sb = disk + 1024;

	memset(disk, 0, DISK_SIZE);
	sb[0x38] = 0x53;
	sb[0x39] = 0xef;
	put_le32(sb + 0x04, 0x7fffffff);	/* blocks */
	put_le32(sb + 0x20, 8192);
	put_le32(sb + 0x28, 2048);
	assert_true(vk_fsprobe(&d, &p) < 0);
}

static void test_vfat_overflowing_geometry(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE);
	struct vk_fs_probe p;

	memset(disk, 0, DISK_SIZE);
	memcpy(disk + 0x36, "FAT16   ", 8);
	disk[0x0b] = 0; disk[0x0c] = 2;		/* 512-byte sectors */
	disk[0x0d] = 4;
	disk[0x0e] = 1;
	disk[0x10] = 2;
	disk[0x15] = 0xf8;
	disk[0x16] = 0xff; disk[0x17] = 0xff;	/* FAT far larger than the disk */
	put_le32(disk + 0x20, 0xffffffffu);
	assert_true(vk_fsprobe(&d, &p) < 0);
}

static void test_read_outside_window(void **state)
{
	struct vk_blockdev d = mem_dev(DISK_SIZE), part;
	uint8_t b[16];

	assert_int_equal(vk_blockdev_sub(&d, 4096, 4096, &part), 0);
	assert_int_equal(vk_blockdev_read(&part, b, sizeof b, 4090), -EIO);
	assert_int_equal(vk_blockdev_read(&part, b, sizeof b, UINT64_MAX - 4), -EIO);
	assert_true(vk_blockdev_sub(&d, DISK_SIZE - 10, 11, &part) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_human),
		cmocka_unit_test(test_device_names),
		cmocka_unit_test(test_mbr_extended_chain),
		cmocka_unit_test(test_mbr_ebr_loop_is_bounded),
		cmocka_unit_test(test_mbr_bad_boot_indicator_means_no_table),
		cmocka_unit_test(test_partition_past_end_is_truncated_or_dropped),
		cmocka_unit_test(test_protective_mbr_without_gpt),
		cmocka_unit_test(test_blank_device),
		cmocka_unit_test(test_foreign_and_swap),
		cmocka_unit_test(test_ext_claiming_more_than_device),
		cmocka_unit_test(test_vfat_overflowing_geometry),
		cmocka_unit_test(test_read_outside_window),
		cmocka_unit_test(test_stat_check),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
