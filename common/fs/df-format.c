/* df-format.c - virt-df's output columns, rounding and CSV quoting, reimplemented. */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "common/fs/df-format.h"

#define DF_NAME_WIDTH 36	/* "name:dev" column; longer names wrap */
#define HUMAN_BASE 1024

static const char power_letter[] = { 0, 'K', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y' };

/*
 * The rounding of gnulib's human_readable() with human_autoscale |
 * human_round_to_nearest | human_base_1024 | human_SI, which coreutils' df
 * and virt-df use: divide by 1024 keeping a tenths digit and a sticky
 * "rounding" state (0: exact, 1: below half, 2: half, 3: above half).
 * Large byte counts that overflow 64 bits are first divided exactly.
 */
char *vk_df_human(uint64_t n, uint64_t block_size, char *buf, size_t len)
{
	unsigned __int128 bytes = (unsigned __int128)n * block_size;
	unsigned tenths = 0, rounding = 0, exponent = 0, exponent_max = sizeof power_letter - 1;
	uint64_t amt;
	char digits[48];
	int with_point = 0, point_tenths = 0;

	while (bytes > UINT64_MAX && exponent < exponent_max) {
		unsigned r10 = (unsigned)(bytes % HUMAN_BASE) * 10 + tenths;
		unsigned r2 = (r10 % HUMAN_BASE) * 2 + (rounding >> 1);

		bytes /= HUMAN_BASE;
		tenths = r10 / HUMAN_BASE;
		rounding = r2 < HUMAN_BASE ? (r2 != 0) : 2 + (HUMAN_BASE < r2);
		exponent++;
	}
	amt = (uint64_t)bytes;
	if (amt >= HUMAN_BASE) {
		do {
			unsigned r10 = (unsigned)(amt % HUMAN_BASE) * 10 + tenths;
			unsigned r2 = (r10 % HUMAN_BASE) * 2 + (rounding >> 1);

			amt /= HUMAN_BASE;
			tenths = r10 / HUMAN_BASE;
			rounding = r2 < HUMAN_BASE ? (r2 != 0) : 2 + (HUMAN_BASE < r2);
			exponent++;
		} while (amt >= HUMAN_BASE && exponent < exponent_max);
	}
	if (exponent > 0 && amt < 10) {
		/* One decimal: round the tenths to nearest, ties to even. */
		if (2 < rounding + (tenths & 1)) {
			tenths++;
			rounding = 0;
			if (tenths == 10) {
				amt++;
				tenths = 0;
			}
		}
		if (amt < 10) {
			with_point = 1;
			point_tenths = (int)tenths;
			tenths = rounding = 0;
		}
	}
	if (5 < tenths + (0 < rounding + (amt & 1))) {
		amt++;
		if (amt == HUMAN_BASE && exponent < exponent_max) {
			exponent++;
			with_point = 1;
			point_tenths = 0;
			amt = 1;
		}
	}
	if (with_point)
		snprintf(digits, sizeof digits, "%" PRIu64 ".%d", amt, point_tenths);
	else
		snprintf(digits, sizeof digits, "%" PRIu64, amt);
	if (exponent > 0)
		snprintf(buf, len, "%s%c", digits, power_letter[exponent]);
	else
		snprintf(buf, len, "%s", digits);
	return buf;
}

void vk_df_device_name(unsigned disk, unsigned partition, char *buf, size_t len)
{
	char letters[16];
	size_t pos = sizeof letters - 1;
	long i = (long)disk;

	letters[pos] = '\0';
	do {
		letters[--pos] = (char)('a' + i % 26);
		i = i / 26 - 1;
	} while (i >= 0 && pos > 0);
	if (partition)
		snprintf(buf, len, "/dev/sd%s%u", letters + pos, partition);
	else
		snprintf(buf, len, "/dev/sd%s", letters + pos);
}

static void write_csv_field(FILE *fp, const char *field)
{
	const char *p;

	if (!strpbrk(field, " \",\n")) {
		fputs(field, fp);
		return;
	}
	fputc('"', fp);
	for (p = field; *p; p++) {
		if (*p == '"')
			fputc('"', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

void vk_df_print_title(FILE *fp, unsigned flags)
{
	const char *cols[6] = { "VirtualMachine", "Filesystem", "1K-blocks", "Used", "Available", "Use%" };
	int i;

	if (flags & VK_DF_HUMAN)
		cols[2] = "Size";
	if (flags & VK_DF_INODES) {
		cols[2] = "Inodes";
		cols[3] = "IUsed";
		cols[4] = "IFree";
		cols[5] = "IUse%";
	}
	if (!(flags & VK_DF_CSV)) {
		fprintf(fp, "%-36s%10s %10s %10s %5s\n", cols[1], cols[2], cols[3], cols[4], cols[5]);
		return;
	}
	for (i = 0; i < 6; i++) {
		if (i > 0)
			fputc(',', fp);
		write_csv_field(fp, cols[i]);
	}
	fputc('\n', fp);
}

/* Blocks of bsize bytes in 1 KiB units, truncating like virt-df's scale().
 * Figures come checked (vk_fs_stat_check()); a zero block size still
 * must not divide. */
static uint64_t to_kib(uint64_t n, uint64_t bsize)
{
	if (bsize == 0)
		return 0;
	return bsize >= 1024 ? n * (bsize / 1024) : n / (1024 / bsize);
}

void vk_df_print_row(FILE *fp, unsigned flags, const char *name, const char *dev,
		     const struct vk_fs_stat *st)
{
	char cols[4][VK_DF_HUMAN_MAX + 8];
	float percent = 0;	/* single precision, as virt-df computes it */
	/* Never more free than total (vk_fs_stat_check() refuses it): these
	 * keep even an unchecked caller's Used from wrapping. */
	uint64_t bfree = st->bfree < st->blocks ? st->bfree : st->blocks;
	uint64_t ffree = st->ffree < st->files ? st->ffree : st->files;
	size_t len, i;

	if (!(flags & VK_DF_INODES)) {
		if (flags & VK_DF_HUMAN) {
			vk_df_human(st->blocks, st->bsize, cols[0], sizeof cols[0]);
			vk_df_human(st->blocks - bfree, st->bsize, cols[1], sizeof cols[1]);
			vk_df_human(st->bavail, st->bsize, cols[2], sizeof cols[2]);
		} else {
			snprintf(cols[0], sizeof cols[0], "%" PRIu64, to_kib(st->blocks, st->bsize));
			snprintf(cols[1], sizeof cols[1], "%" PRIu64, to_kib(st->blocks - bfree, st->bsize));
			snprintf(cols[2], sizeof cols[2], "%" PRIu64, to_kib(st->bavail, st->bsize));
		}
		if (st->blocks != 0)
			percent = (float)(100. - 100. * (double)bfree / (double)st->blocks);
	} else {
		snprintf(cols[0], sizeof cols[0], "%" PRIu64, st->files);
		snprintf(cols[1], sizeof cols[1], "%" PRIu64, st->files - ffree);
		snprintf(cols[2], sizeof cols[2], "%" PRIu64, ffree);
		if (st->files != 0)
			percent = (float)(100. - 100. * (double)ffree / (double)st->files);
	}
	if (!(flags & VK_DF_CSV))
		snprintf(cols[3], sizeof cols[3], "%3.0f%%", ceil(percent));	/* df rounds up */
	else
		snprintf(cols[3], sizeof cols[3], "%.1f", (double)percent);

	if (!(flags & VK_DF_CSV)) {
		len = strlen(name) + strlen(dev) + 1;
		fprintf(fp, "%s:%s", name, dev);
		if (len <= DF_NAME_WIDTH)
			fprintf(fp, "%*s", (int)(DF_NAME_WIDTH - len), "");
		else
			fprintf(fp, "\n%*s", DF_NAME_WIDTH, "");
		fprintf(fp, "%10s %10s %10s %5s\n", cols[0], cols[1], cols[2], cols[3]);
		return;
	}
	write_csv_field(fp, name);
	fputc(',', fp);
	write_csv_field(fp, dev);
	for (i = 0; i < 4; i++) {
		fputc(',', fp);
		write_csv_field(fp, cols[i]);
	}
	fputc('\n', fp);
}
