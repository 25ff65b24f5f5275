/* bench-image.c - 4 KiB sequential/random I/O through our raw and qcow2 code against plain pread/pwrite. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/image/image.h"

#define BLOCK 4096u

enum mode { SEQ_READ, RAND_READ, SEQ_WRITE, RAND_WRITE, N_MODES };
static const char *mode_names[] = { "seq read", "rand read", "seq write", "rand write" };

struct target {
	const char *name;
	int fd;			/* plain pread/pwrite when img is NULL */
	struct vk_image *img;
};

static uint64_t size, ops;
static uint8_t buf[BLOCK];

/* CPU time of this process (user + system): on a shared machine it
 * counts only while we run, so other load skews the ratios less than
 * wall time would. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t next_offset(enum mode m, uint64_t i, uint64_t *seed)
{
	if (m == SEQ_READ || m == SEQ_WRITE)
		return (i * BLOCK) % size;
	*seed ^= *seed << 13;
	*seed ^= *seed >> 7;
	*seed ^= *seed << 17;
	return (*seed % (size / BLOCK)) * BLOCK;
}

/* Operations per second for one mode on one target. */
static double run(struct target *t, enum mode m)
{
	uint64_t i, seed = 0x9e3779b97f4a7c15ull;
	bool wr = m == SEQ_WRITE || m == RAND_WRITE;
	double t0 = now();
	int rc = 0;

	for (i = 0; i < ops && rc == 0; i++) {
		uint64_t off = next_offset(m, i, &seed);

		buf[0] = (uint8_t)i;
		if (t->img)
			rc = wr ? vk_image_write(t->img, buf, BLOCK, off) : vk_image_read(t->img, buf, BLOCK, off);
		else
			rc = (wr ? pwrite(t->fd, buf, BLOCK, (off_t)off) : pread(t->fd, buf, BLOCK, (off_t)off)) ==
			     BLOCK ? 0 : -EIO;
	}
	if (rc < 0) {
		fprintf(stderr, "bench-image: %s %s: %s\n", t->name, mode_names[m], vk_last_error());
		exit(1);
	}
	return ops / (now() - t0);
}

static void fill(struct vk_image *img)
{
	static uint8_t chunk[1 << 20];
	uint64_t off;

	memset(chunk, 0xa5, sizeof(chunk));
	for (off = 0; off < size; off += sizeof(chunk))
		if (vk_image_write(img, chunk, sizeof(chunk), off) < 0) {
			fprintf(stderr, "bench-image: fill: %s\n", vk_last_error());
			exit(1);
		}
	vk_image_flush(img);
}

static struct vk_image *make(const char *dir, const char *name, enum vk_image_format fmt)
{
	struct vk_image_create_opts o = { .format = fmt };
	struct vk_image *img;
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	o.path = path;
	o.size = size;
	if (vk_image_create(&o) < 0 || vk_image_open(path, fmt, 0, &img) < 0) {
		fprintf(stderr, "bench-image: %s\n", vk_last_error());
		exit(1);
	}
	fill(img);
	return img;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : ".";
	struct target t[3];
	double best[3][N_MODES] = { { 0 } };
	int rounds = 7, r, m, k;

	size = (argc > 2 ? strtoull(argv[2], NULL, 0) : 256) << 20;
	ops = argc > 3 ? strtoull(argv[3], NULL, 0) : 50000;
	t[1].name = "raw";
	t[1].img = make(dir, "bench-image.raw", VK_IMAGE_RAW);
	t[2].name = "qcow2";
	t[2].img = make(dir, "bench-image.qcow2", VK_IMAGE_QCOW2);
	t[0].name = "pread/pwrite";
	t[0].img = NULL;
	t[0].fd = open(vk_image_path(t[1].img), O_RDWR);	/* the same file as "raw" */

	/* Interleave targets within each round so drift hits all alike. */
	for (r = 0; r < rounds; r++)
		for (m = 0; m < N_MODES; m++)
			for (k = 0; k < 3; k++) {
				double v;

				/* Start each run with no writeback in flight. */
				vk_image_flush(t[1].img);
				vk_image_flush(t[2].img);
				v = run(&t[k], (enum mode)m);

				if (v > best[k][m])
					best[k][m] = v;
			}

	printf("bench-image: %llu MiB, %llu x 4 KiB per run, best of %d, ops per CPU second (page cache, one thread)\n",
	       (unsigned long long)(size >> 20), (unsigned long long)ops, rounds);
	printf("%-11s %14s %14s %14s %10s %10s\n", "mode", "pread/pwrite", "raw", "qcow2",
	       "raw/pread", "qcow2/raw");
	for (m = 0; m < N_MODES; m++)
		printf("%-11s %12.0f/s %12.0f/s %12.0f/s %10.3f %10.3f\n", mode_names[m],
		       best[0][m], best[1][m], best[2][m], best[1][m] / best[0][m], best[2][m] / best[1][m]);

	close(t[0].fd);
	unlink(vk_image_path(t[1].img));
	unlink(vk_image_path(t[2].img));
	vk_image_close(t[1].img);
	vk_image_close(t[2].img);
	return 0;
}
