/* vk-image-tool.c - a test-only driver of common/image/image.h, so shell tests can compare us with qemu-img. */
#include "config.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util/error.h"
#include "common/image/image.h"

static int fail(const char *what)
{
	fprintf(stderr, "vk-image-tool: %s: %s\n", what, vk_last_error());
	return 1;
}

static enum vk_image_format fmt_arg(const char *s)
{
	enum vk_image_format f = VK_IMAGE_RAW;

	if (vk_image_format_parse(s, &f) < 0) {
		fprintf(stderr, "vk-image-tool: %s\n", vk_last_error());
		exit(2);
	}
	return f;
}

/* xorshift64: deterministic test data from a seed. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void fill(uint8_t *p, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(rnd(&seed) >> 24);
}

/* create FMT PATH SIZE [CLUSTER [PREALLOC [BACKING BFMT]]] */
static int cmd_create(int argc, char **argv)
{
	struct vk_image_create_opts o = { 0 };

	if (argc < 3)
		return 2;
	o.format = fmt_arg(argv[0]);
	o.path = argv[1];
	o.size = strtoull(argv[2], NULL, 0);
	if (argc > 3)
		o.cluster_size = (uint32_t)strtoul(argv[3], NULL, 0);
	if (argc > 4)
		o.prealloc = strcmp(argv[4], "metadata") == 0 ? VK_PREALLOC_METADATA :
			     strcmp(argv[4], "full") == 0 ? VK_PREALLOC_FULL : VK_PREALLOC_OFF;
	if (argc > 6) {
		o.backing_file = argv[5];
		o.backing_format = fmt_arg(argv[6]);
	}
	return vk_image_create(&o) < 0 ? fail("create") : 0;
}

/* dump FMT PATH OUT: the whole virtual disk into a raw file */
static int cmd_dump(int argc, char **argv)
{
	struct vk_image *img;
	uint64_t off, size;
	uint8_t *buf = malloc(1 << 20);
	int fd, rc = 0;

	if (argc < 3 || !buf)
		return 2;
	if (vk_image_open(argv[1], fmt_arg(argv[0]), VK_IMAGE_RDONLY, &img) < 0)
		return fail("open");
	fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size = vk_image_virtual_size(img);
	for (off = 0; fd >= 0 && off < size && rc == 0; off += 1 << 20) {
		size_t n = size - off < (1 << 20) ? (size_t)(size - off) : (1 << 20);

		rc = vk_image_read(img, buf, n, off);
		if (rc == 0 && pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			rc = -EIO;
	}
	if (fd < 0 || rc < 0)
		rc = fail("dump");
	if (fd >= 0)
		close(fd);
	vk_image_close(img);
	free(buf);
	return rc;
}

/* random FMT PATH SEED COUNT MIRROR [MAXLEN [FLUSH_EVERY]]: random writes
 * and discards, mirrored with plain file I/O into the raw file MIRROR
 * (same size); a flush after about one in FLUSH_EVERY (default 13, 0 =
 * only at close, so dirty tables get evicted from a full cache). */
static int cmd_random(int argc, char **argv)
{
	struct vk_image *img;
	uint64_t seed, size, maxlen = 256 << 10, flush_every = 13;
	uint8_t *buf;
	int i, count, mfd, rc = 0;

	if (argc < 5)
		return 2;
	seed = strtoull(argv[2], NULL, 0) | 1;
	count = atoi(argv[3]);
	if (argc > 5)
		maxlen = strtoull(argv[5], NULL, 0);
	if (argc > 6)
		flush_every = strtoull(argv[6], NULL, 0);
	if (maxlen == 0)
		return 2;
	if (vk_image_open(argv[1], fmt_arg(argv[0]), 0, &img) < 0)
		return fail("open");
	mfd = open(argv[4], O_RDWR);
	/* One write in 8 is rounded out to 4 KiB, which may pass maxlen. */
	buf = malloc((maxlen + 4095) & ~4095ull);
	size = vk_image_virtual_size(img);
	for (i = 0; i < count && rc == 0 && mfd >= 0 && buf; i++) {
		uint64_t r = rnd(&seed), len = 1 + rnd(&seed) % maxlen, off;

		if (len > size)
			len = size;
		off = rnd(&seed) % (size - len + 1);
		if (r % 8 == 0)
			off &= ~4095ull, len = (len + 4095) & ~4095ull;
		if (off + len > size)
			len = size - off;
		if (getenv("VK_IMAGE_TRACE"))
			fprintf(stderr, "%s %llu %llu\n", r % 5 == 0 ? "discard" : "write",
				(unsigned long long)off, (unsigned long long)len);
		if (r % 5 == 0) {
			rc = vk_image_discard(img, off, len);
			memset(buf, 0, len);
		} else {
			fill(buf, len, rnd(&seed));
			rc = vk_image_write(img, buf, len, off);
		}
		if (rc == 0 && pwrite(mfd, buf, len, (off_t)off) != (ssize_t)len)
			rc = -EIO;
		if (rc == 0 && flush_every && r % flush_every == 0)
			rc = vk_image_flush(img);
	}
	if (rc < 0 || mfd < 0 || !buf)
		rc = fail("random");
	vk_image_close(img);
	if (mfd >= 0)
		close(mfd);
	free(buf);
	return rc;
}

/* writer FMT PATH SEED: random writes forever (until killed), flushing now and then */
static int cmd_writer(int argc, char **argv)
{
	struct vk_image *img;
	uint64_t seed, size;
	static uint8_t buf[128 << 10];

	if (argc < 3)
		return 2;
	seed = strtoull(argv[2], NULL, 0) | 1;
	if (vk_image_open(argv[1], fmt_arg(argv[0]), 0, &img) < 0)
		return fail("open");
	size = vk_image_virtual_size(img);
	for (;;) {
		uint64_t r = rnd(&seed), len = 1 + r % sizeof(buf), off = rnd(&seed) % (size - len);
		int rc;

		if (r % 7 == 0) {
			rc = vk_image_discard(img, off, len);
		} else {
			fill(buf, len, r);
			rc = vk_image_write(img, buf, len, off);
		}
		if (rc == 0 && r % 11 == 0)
			rc = vk_image_flush(img);
		if (rc < 0)
			return fail("writer");
	}
}

static void print_info(const struct vk_image_info *i)
{
	for (; i; i = i->backing) {
		printf("image: %s\nformat: %s\nvirtual size: %llu\nallocated size: %llu\ncluster size: %u\n",
		       i->path, vk_image_format_name(i->format),
		       (unsigned long long)i->virtual_size, (unsigned long long)i->actual_size,
		       i->cluster_size);
		if (i->backing_file)
			printf("backing file: %s\nbacking path: %s\nbacking format: %s\n",
			       i->backing_file, i->backing_path, vk_image_format_name(i->backing_format));
	}
}

static int cmd_info(int argc, char **argv)
{
	struct vk_image_info *info;

	if (argc < 2)
		return 2;
	if (vk_image_info(argv[1], fmt_arg(argv[0]), &info) < 0)
		return fail("info");
	print_info(info);
	vk_image_info_free(info);
	return 0;
}

static int cmd_open(int argc, char **argv)
{
	struct vk_image *img;

	if (argc < 2)
		return 2;
	if (vk_image_open(argv[1], fmt_arg(argv[0]), argc > 2 ? 0 : VK_IMAGE_RDONLY, &img) < 0)
		return fail("open");
	vk_image_close(img);
	return 0;
}

static int print_progress(void *opaque, uint64_t done, uint64_t total)
{
	uint64_t *limit = opaque;

	return *limit && done >= *limit;
}

/* copy SFMT SRC DFMT DST [reflink|noreflink|nonsparse|cancel] */
static int cmd_copy(int argc, char **argv)
{
	uint64_t cancel_at = 0;
	struct vk_image_copy_opts o = { 0 };

	if (argc < 4)
		return 2;
	o.src_format = fmt_arg(argv[0]);
	o.src = argv[1];
	o.dst_format = fmt_arg(argv[2]);
	o.dst = argv[3];
	o.progress = print_progress;
	o.opaque = &cancel_at;
	if (argc > 4 && strcmp(argv[4], "reflink") == 0)
		o.flags = VK_COPY_REFLINK;
	if (argc > 4 && strcmp(argv[4], "noreflink") == 0)
		o.flags = VK_COPY_NO_REFLINK;
	if (argc > 4 && strcmp(argv[4], "nonsparse") == 0)
		o.flags = VK_COPY_NONSPARSE;
	if (argc > 4 && strcmp(argv[4], "cancel") == 0)
		o.flags = VK_COPY_NO_REFLINK, cancel_at = 1;
	return vk_image_copy(&o) < 0 ? fail("copy") : 0;
}

static int cmd_overlay(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	return vk_image_create_overlay(argv[0], argv[1], fmt_arg(argv[2])) < 0 ? fail("overlay") : 0;
}

static int cmd_space(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	return vk_image_check_space(argv[0], strtoull(argv[1], NULL, 0)) < 0 ? fail("space") : 0;
}

/* need FMT PATH: the free space a copy of PATH asks for */
static int cmd_need(int argc, char **argv)
{
	struct vk_image *img;
	uint64_t need;
	int rc;

	if (argc < 2)
		return 2;
	if (vk_image_open(argv[1], fmt_arg(argv[0]), VK_IMAGE_RDONLY, &img) < 0)
		return fail("open");
	rc = vk_image_copy_space_needed(img, 0, &need);
	vk_image_close(img);
	if (rc < 0)
		return fail("need");
	printf("%llu\n", (unsigned long long)need);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "create", cmd_create }, { "dump", cmd_dump }, { "random", cmd_random },
		{ "writer", cmd_writer }, { "info", cmd_info }, { "open", cmd_open },
		{ "copy", cmd_copy }, { "overlay", cmd_overlay }, { "space", cmd_space },
		{ "need", cmd_need },
	};
	size_t i;

	for (i = 0; argc > 1 && i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[1], cmds[i].name) == 0) {
			int rc = cmds[i].fn(argc - 2, argv + 2);

			if (rc == 2)
				fprintf(stderr, "vk-image-tool %s: missing arguments\n", argv[1]);
			return rc;
		}
	}
	fprintf(stderr, "usage: vk-image-tool create|dump|random|writer|info|open|copy|overlay|space|need ...\n");
	return 2;
}
