/* df-format.h - virt-df's columns: 1K blocks, -h sizes, inodes, CSV. */
#ifndef VK_DF_FORMAT_H
#define VK_DF_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/fs/fsprobe.h"

#define VK_DF_HUMAN	0x1u	/* -h: sizes like "1.5G" */
#define VK_DF_INODES	0x2u	/* -i: inode columns */
#define VK_DF_CSV	0x4u	/* --csv */

/* Longest text vk_df_human() writes (a 64-bit count of 64 KiB blocks). */
#define VK_DF_HUMAN_MAX 32

/* n blocks of block_size bytes as GNU df -h writes them: powers of 1024,
 * one decimal below 10, rounded to nearest with ties to even. */
char *vk_df_human(uint64_t n, uint64_t block_size, char *buf, size_t len);

/* The Linux name of disk index (0 -> "sda", 26 -> "sdaa") plus partition
 * number (0 for the whole disk): "/dev/sdb3". */
void vk_df_device_name(unsigned disk, unsigned partition, char *buf, size_t len);

void vk_df_print_title(FILE *fp, unsigned flags);
/* One filesystem; name is the guest's display name. */
void vk_df_print_row(FILE *fp, unsigned flags, const char *name, const char *dev,
		     const struct vk_fs_stat *st);

#endif
