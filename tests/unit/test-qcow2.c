/* test-qcow2.c - qcow2 header validation (each rejection), corrupt tables met at I/O time, metadata write order. */
#include "config.h"
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/util/error.h"
#include "common/image/image.h"
#include "common/image/qcow2.h"

#define CS 65536u
#define FILE_SIZE (4 * CS)

static uint8_t hdr[CS];

static void put32(unsigned off, uint32_t v)
{
	v = htobe32(v);
	memcpy(hdr + off, &v, 4);
}

static void put64(unsigned off, uint64_t v)
{
	v = htobe64(v);
	memcpy(hdr + off, &v, 8);
}

/* A valid version 3 header: 1 GiB, 64 KiB clusters, tables in clusters 1-3. */
static int make_header(void **state)
{
	memset(hdr, 0, sizeof(hdr));
	put32(QCOW2_HDR_MAGIC, QCOW2_MAGIC);
	put32(QCOW2_HDR_VERSION, 3);
	put32(QCOW2_HDR_CLUSTER_BITS, 16);
	put64(QCOW2_HDR_SIZE, 1ull << 30);
	put32(QCOW2_HDR_L1_SIZE, 2);
	put64(QCOW2_HDR_L1_TABLE_OFFSET, 3 * CS);
	put64(QCOW2_HDR_REFCOUNT_TABLE_OFFSET, CS);
	put32(QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS, 1);
	put32(QCOW2_HDR_REFCOUNT_ORDER, 4);
	put32(QCOW2_HDR_HEADER_LENGTH, 104);
	(void)state;
	return 0;
}

static int parse(void)
{
	struct qcow2_header h;

	return vk_qcow2_parse_header(hdr, sizeof(hdr), FILE_SIZE, &h);
}

static void expect_reject(int want, const char *msg)
{
	assert_int_equal(parse(), want);
	assert_non_null(strstr(vk_last_error(), msg));
}

static void test_valid(void **state)
{
	struct qcow2_header h;

	assert_int_equal(vk_qcow2_parse_header(hdr, sizeof(hdr), FILE_SIZE, &h), 0);
	assert_int_equal(h.cluster_bits, 16);
	assert_int_equal(h.size, 1ull << 30);
	(void)state;
}

static void test_bad_magic(void **state)
{
	put32(QCOW2_HDR_MAGIC, 0x12345678);
	expect_reject(-EINVAL, "bad magic");
	(void)state;
}

static void test_short_buffer(void **state)
{
	struct qcow2_header h;

	assert_int_equal(vk_qcow2_parse_header(hdr, 40, FILE_SIZE, &h), -EINVAL);
	(void)state;
}

static void test_version(void **state)
{
	put32(QCOW2_HDR_VERSION, 4);
	expect_reject(-ENOTSUP, "version 4");
	(void)state;
}

static void test_cluster_bits_low(void **state)
{
	put32(QCOW2_HDR_CLUSTER_BITS, 8);
	expect_reject(-EINVAL, "cluster size");
	(void)state;
}

static void test_cluster_bits_high(void **state)
{
	put32(QCOW2_HDR_CLUSTER_BITS, 22);
	expect_reject(-EINVAL, "cluster size");
	(void)state;
}

static void test_encrypted(void **state)
{
	put32(QCOW2_HDR_CRYPT_METHOD, 1);
	expect_reject(-ENOTSUP, "encrypted");
	(void)state;
}

static void test_header_length(void **state)
{
	put32(QCOW2_HDR_HEADER_LENGTH, 100);
	expect_reject(-EINVAL, "header length");
	put32(QCOW2_HDR_HEADER_LENGTH, 108);
	expect_reject(-EINVAL, "header length");
	(void)state;
}

static void test_refcount_order(void **state)
{
	put32(QCOW2_HDR_REFCOUNT_ORDER, 7);
	expect_reject(-EINVAL, "refcount order");
	(void)state;
}

static void test_external_data_file(void **state)
{
	put64(QCOW2_HDR_INCOMPATIBLE_FEATURES, QCOW2_INCOMPAT_DATA_FILE);
	expect_reject(-ENOTSUP, "external data file");
	(void)state;
}

static void test_extended_l2(void **state)
{
	put64(QCOW2_HDR_INCOMPATIBLE_FEATURES, QCOW2_INCOMPAT_EXTL2);
	expect_reject(-ENOTSUP, "extended L2");
	(void)state;
}

static void test_unknown_incompatible_named(void **state)
{
	/* The image's feature table names the bit: the message uses it. */
	put64(QCOW2_HDR_INCOMPATIBLE_FEATURES, 1ull << 40);
	put32(104, QCOW2_EXT_FEATURE_TABLE);
	put32(108, 48);
	hdr[112] = QCOW2_FEAT_TYPE_INCOMPATIBLE;
	hdr[113] = 40;
	memcpy(hdr + 114, "time travel", 11);
	put32(QCOW2_HDR_HEADER_LENGTH, 104);
	expect_reject(-ENOTSUP, "time travel");
	(void)state;
}

static void test_zstd(void **state)
{
	put32(QCOW2_HDR_HEADER_LENGTH, 112);
	put64(QCOW2_HDR_INCOMPATIBLE_FEATURES, QCOW2_INCOMPAT_COMPRESSION);
	hdr[QCOW2_HDR_COMPRESSION_TYPE] = QCOW2_COMPRESSION_ZSTD;
	expect_reject(-ENOTSUP, "zstd");
	(void)state;
}

static void test_crypto_extension(void **state)
{
	put32(104, QCOW2_EXT_CRYPTO);
	put32(108, 16);
	expect_reject(-ENOTSUP, "encrypted");
	(void)state;
}

static void test_extension_overrun(void **state)
{
	put32(104, QCOW2_EXT_BACKING_FORMAT);
	put32(108, CS);
	expect_reject(-EINVAL, "runs past");
	(void)state;
}

static void test_l1_too_small(void **state)
{
	put32(QCOW2_HDR_L1_SIZE, 1);
	expect_reject(-EINVAL, "L1 table too small");
	(void)state;
}

static void test_l1_past_eof(void **state)
{
	put64(QCOW2_HDR_L1_TABLE_OFFSET, 100 * CS);
	expect_reject(-EINVAL, "L1 table offset");
	(void)state;
}

static void test_l1_unaligned(void **state)
{
	put64(QCOW2_HDR_L1_TABLE_OFFSET, 3 * CS + 512);
	expect_reject(-EINVAL, "L1 table offset");
	(void)state;
}

static void test_reftable_zero(void **state)
{
	put32(QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS, 0);
	expect_reject(-EINVAL, "refcount table size");
	(void)state;
}

static void test_reftable_past_eof(void **state)
{
	put64(QCOW2_HDR_REFCOUNT_TABLE_OFFSET, 4 * CS);
	expect_reject(-EINVAL, "refcount table offset");
	(void)state;
}

static void test_huge_size(void **state)
{
	put64(QCOW2_HDR_SIZE, UINT64_MAX);
	expect_reject(-EINVAL, "too large");
	(void)state;
}

static void test_snapshots(void **state)
{
	put32(QCOW2_HDR_NB_SNAPSHOTS, 70000);
	expect_reject(-EINVAL, "too many snapshots");
	(void)state;
}

static void test_backing_name_outside(void **state)
{
	put64(QCOW2_HDR_BACKING_FILE_OFFSET, CS - 4);
	put32(QCOW2_HDR_BACKING_FILE_SIZE, 16);
	expect_reject(-EINVAL, "backing file name");
	(void)state;
}

static void test_backing_name_too_long(void **state)
{
	put64(QCOW2_HDR_BACKING_FILE_OFFSET, 512);
	put32(QCOW2_HDR_BACKING_FILE_SIZE, 2000);
	expect_reject(-EINVAL, "backing file name");
	(void)state;
}

static void test_backing_name_ok(void **state)
{
	struct qcow2_header h;

	put64(QCOW2_HDR_BACKING_FILE_OFFSET, 512);
	put32(QCOW2_HDR_BACKING_FILE_SIZE, 8);
	memcpy(hdr + 512, "base.img", 8);
	assert_int_equal(vk_qcow2_parse_header(hdr, sizeof(hdr), FILE_SIZE, &h), 0);
	assert_string_equal(h.backing_file, "base.img");
	(void)state;
}

static void test_v2_ignores_v3_fields(void **state)
{
	struct qcow2_header h;

	put32(QCOW2_HDR_VERSION, 2);
	put32(QCOW2_HDR_REFCOUNT_ORDER, 7);	/* past the v2 header: ignored */
	assert_int_equal(vk_qcow2_parse_header(hdr, sizeof(hdr), FILE_SIZE, &h), 0);
	assert_int_equal(h.refcount_order, 4);
	(void)state;
}

/* --- corrupt tables met at I/O time, on an image we create --- */

static char path[64];

static int make_image(void **state)
{
	struct vk_image_create_opts o = { .format = VK_IMAGE_QCOW2, .size = 4 << 20 };
	struct vk_image *img;
	uint8_t buf[4096];

	snprintf(path, sizeof(path), "/tmp/test-qcow2.%d.qcow2", (int)getpid());
	unlink(path);
	o.path = path;
	assert_int_equal(vk_image_create(&o), 0);
	assert_int_equal(vk_image_open(path, VK_IMAGE_QCOW2, 0, &img), 0);
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(vk_image_write(img, buf, sizeof(buf), 0), 0);
	vk_image_close(img);
	(void)state;
	return 0;
}

static int remove_image(void **state)
{
	unlink(path);
	(void)state;
	return 0;
}

/* Overwrite 8 bytes at off with v (big-endian). */
static void poke64(uint64_t off, uint64_t v)
{
	int fd = open(path, O_WRONLY);

	v = htobe64(v);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &v, 8, (off_t)off), 8);
	close(fd);
}

static uint64_t peek64(uint64_t off)
{
	int fd = open(path, O_RDONLY);
	uint64_t v = 0;

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &v, 8, (off_t)off), 8);
	close(fd);
	return be64toh(v);
}

static int read_first(void)
{
	struct vk_image *img;
	uint8_t buf[512];
	int rc = vk_image_open(path, VK_IMAGE_QCOW2, VK_IMAGE_RDONLY, &img);

	if (rc < 0)
		return rc;
	rc = vk_image_read(img, buf, sizeof(buf), 0);
	vk_image_close(img);
	return rc;
}

static void test_reads_back(void **state)
{
	assert_int_equal(read_first(), 0);
	(void)state;
}

static void test_l1_entry_past_eof(void **state)
{
	poke64(3 * CS, (1ull << 40) | QCOW2_OFLAG_COPIED);
	assert_int_equal(read_first(), -EIO);
	assert_non_null(strstr(vk_last_error(), "L2 table offset"));
	(void)state;
}

static void test_l1_entry_reserved(void **state)
{
	poke64(3 * CS, peek64(3 * CS) | 1);
	assert_int_equal(read_first(), -EIO);
	assert_non_null(strstr(vk_last_error(), "reserved"));
	(void)state;
}

static void test_l2_entry_unaligned(void **state)
{
	uint64_t l2 = peek64(3 * CS) & QCOW2_L1E_OFFSET_MASK;

	poke64(l2, peek64(l2) + 512);
	assert_int_equal(read_first(), -EIO);
	assert_non_null(strstr(vk_last_error(), "not cluster aligned"));
	(void)state;
}

static void test_l2_entry_reserved(void **state)
{
	uint64_t l2 = peek64(3 * CS) & QCOW2_L1E_OFFSET_MASK;

	poke64(l2, peek64(l2) | (1ull << 60));
	assert_int_equal(read_first(), -EIO);
	(void)state;
}

static void test_l2_entry_past_eof_reads_zeros(void **state)
{
	/* Data past the end of the file reads as zeros (as qemu does). */
	uint64_t l2 = peek64(3 * CS) & QCOW2_L1E_OFFSET_MASK;

	poke64(l2, (1ull << 40) | QCOW2_OFLAG_COPIED);
	assert_int_equal(read_first(), 0);
	(void)state;
}

static void test_compressed_garbage(void **state)
{
	uint64_t l2 = peek64(3 * CS) & QCOW2_L1E_OFFSET_MASK;

	/* A "compressed" descriptor pointing at the (non-deflate) header. */
	poke64(l2, QCOW2_OFLAG_COMPRESSED | 0);
	assert_int_equal(read_first(), -EIO);
	assert_non_null(strstr(vk_last_error(), "inflate"));
	(void)state;
}

static void test_write_over_metadata_refused(void **state)
{
	uint64_t l2 = peek64(3 * CS) & QCOW2_L1E_OFFSET_MASK;
	struct vk_image *img;
	uint8_t b = 1;

	/* A data cluster "at" the L1 table: writing must not clobber it. */
	poke64(l2, 3 * CS | QCOW2_OFLAG_COPIED);
	assert_int_equal(vk_image_open(path, VK_IMAGE_QCOW2, 0, &img), 0);
	assert_int_equal(vk_image_write(img, &b, 1, 0), -EIO);
	assert_non_null(strstr(vk_last_error(), "overlaps"));
	vk_image_close(img);
	assert_int_equal(peek64(3 * CS) & QCOW2_L1E_OFFSET_MASK, l2);
	(void)state;
}

static void test_refblock_unaligned(void **state)
{
	poke64(CS, 2 * CS + 512);
	assert_int_equal(read_first(), -EIO);
	(void)state;
}

static void test_dirty_refused_rw(void **state)
{
	struct vk_image *img;

	poke64(QCOW2_HDR_INCOMPATIBLE_FEATURES, QCOW2_INCOMPAT_DIRTY);
	assert_int_equal(vk_image_open(path, VK_IMAGE_QCOW2, 0, &img), -EROFS);
	assert_non_null(strstr(vk_last_error(), "qemu-img check -r all"));
	assert_int_equal(read_first(), 0);	/* read-only is fine */
	(void)state;
}

static void test_write_read_only(void **state)
{
	struct vk_image *img;
	uint8_t b = 1;

	assert_int_equal(vk_image_open(path, VK_IMAGE_QCOW2, VK_IMAGE_RDONLY, &img), 0);
	assert_int_equal(vk_image_write(img, &b, 1, 0), -EROFS);
	vk_image_close(img);
	(void)state;
}

static void test_beyond_size(void **state)
{
	struct vk_image *img;
	uint8_t b[2];

	assert_int_equal(vk_image_open(path, VK_IMAGE_QCOW2, 0, &img), 0);
	assert_int_equal(vk_image_read(img, b, 2, (4 << 20) - 1), -EINVAL);
	assert_int_equal(vk_image_write(img, b, 1, UINT64_MAX), -EINVAL);
	assert_int_equal(vk_image_discard(img, 1, UINT64_MAX), -EINVAL);
	vk_image_close(img);
	(void)state;
}

static void test_format_names(void **state)
{
	enum vk_image_format f;

	assert_int_equal(vk_image_format_parse("qcow2", &f), 0);
	assert_int_equal(f, VK_IMAGE_QCOW2);
	assert_int_equal(vk_image_format_parse("vmdk", &f), -EINVAL);
	assert_string_equal(vk_image_format_name(VK_IMAGE_RAW), "raw");
	(void)state;
}

/* A backing file with no recorded format, starting with magic at offset:
 * what vk_qcow2_backing_format() decides. */
static int backing_with(unsigned offset, const char *magic, size_t len, enum vk_image_format *fmt)
{
	struct qcow2_header h = { .backing_file = "b.img" };
	char bpath[64];
	uint8_t buf[1024] = { 0 };
	int fd, rc;

	snprintf(bpath, sizeof(bpath), "/tmp/test-qcow2.%d.b.img", (int)getpid());
	memcpy(buf + offset, magic, len);
	fd = open(bpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	rc = vk_qcow2_backing_format("top.qcow2", &h, bpath, fmt);
	unlink(bpath);
	return rc;
}

static void test_unrecorded_backing_format(void **state)
{
	static const struct {
		unsigned offset;
		const char *magic;
		size_t len;
		const char *seen;
	} probes[] = {
		{ 0, "QFI\xfb\0\0\0\3", 8, "qcow2" }, { 0, "QFI\xfb\0\0\0\1", 8, "qcow" },
		{ 0, "QED", 4, "qed" }, { 0, "KDMV", 4, "vmdk" }, { 0, "COWD", 4, "vmdk" },
		{ 0, "# Disk DescriptorFile", 21, "vmdk" }, { 64, "\x7f\x10\xda\xbe", 4, "vdi" },
		{ 0, "vhdxfile", 8, "vhdx" }, { 0, "conectix", 8, "vpc" },
		{ 0, "LUKS\xba\xbe", 6, "luks" }, { 0, "WithoutFreeSpace", 16, "parallels" },
		{ 0, "Bochs Virtual HD Image", 22, "bochs" },
	};
	enum vk_image_format fmt = VK_IMAGE_QCOW2;
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		assert_int_equal(backing_with(probes[i].offset, probes[i].magic, probes[i].len, &fmt), -EINVAL);
		snprintf(want, sizeof(want), "looks like %s;", probes[i].seen);
		assert_non_null(strstr(vk_last_error(), want));
		snprintf(want, sizeof(want), "qemu-img rebase -u -F %s -b b.img top.qcow2", probes[i].seen);
		assert_non_null(strstr(vk_last_error(), want));
	}
	/* Anything else is what qemu's probe calls raw, e.g. a boot sector,
	 * or the VDI signature one byte off. */
	assert_int_equal(backing_with(510, "\x55\xaa", 2, &fmt), 0);
	assert_int_equal(fmt, VK_IMAGE_RAW);
	assert_int_equal(backing_with(65, "\x7f\x10\xda\xbe", 4, &fmt), 0);
	assert_int_equal(fmt, VK_IMAGE_RAW);
	(void)state;
}

/*
 * Write order.  SIGKILL cannot test it (the page cache survives), so this
 * program replaces pwrite() and fdatasync() for the image's descriptor:
 * every write goes to the file and to a mirror, every sync starts a new
 * epoch, and a write that makes a pointer (L1 entry -> L2 table, refcount
 * table entry -> block, header -> refcount table, L2 entry -> the block
 * counting its cluster) is a violation when its target was written in the
 * current epoch: after a power loss the pointer could be on disk and the
 * target not.
 */
static struct {
	int fd;			/* traced descriptor, -1 = none */
	uint32_t cs, rb_bits;
	uint8_t *mirror;	/* the file as written */
	uint32_t *epoch_of;	/* per host cluster: 1 + epoch of its last write, 0 = none */
	bool *is_l2, *bad_as_l2;
	uint64_t clusters;	/* capacity of the arrays */
	uint32_t epoch;
	unsigned violations, syncs, l1_changes;
} tr = { .fd = -1 };

static uint64_t mirror64(uint64_t off)
{
	uint64_t v;

	if (off + 8 > tr.clusters * tr.cs)
		return 0;
	memcpy(&v, tr.mirror + off, 8);
	return be64toh(v);
}

static void trace_grow(uint64_t end)
{
	uint64_t n = tr.clusters, want = end / tr.cs + 1;

	if (want <= n)
		return;
	want = want * 2;
	tr.mirror = realloc(tr.mirror, want * tr.cs);
	tr.epoch_of = realloc(tr.epoch_of, want * sizeof(*tr.epoch_of));
	tr.is_l2 = realloc(tr.is_l2, want);
	tr.bad_as_l2 = realloc(tr.bad_as_l2, want);
	assert_non_null(tr.mirror);
	memset(tr.mirror + n * tr.cs, 0, (want - n) * tr.cs);
	memset(tr.epoch_of + n, 0, (want - n) * sizeof(*tr.epoch_of));
	memset(tr.is_l2 + n, 0, want - n);
	memset(tr.bad_as_l2 + n, 0, want - n);
	tr.clusters = want;
}

static bool written_now(uint64_t off)
{
	uint64_t c = off / tr.cs;

	return c < tr.clusters && tr.epoch_of[c] == tr.epoch + 1;
}

/* The refcount block counting host offset off, per the mirror; 0 if none. */
static uint64_t refblock_of(uint64_t off)
{
	uint64_t rt = mirror64(QCOW2_HDR_REFCOUNT_TABLE_OFFSET);
	uint64_t rti = (off / tr.cs) >> tr.rb_bits;

	if (rti >= (uint64_t)be32toh(*(uint32_t *)(tr.mirror + QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS)) * tr.cs / 8)
		return 0;
	return mirror64(rt + rti * 8) & QCOW2_REFT_OFFSET_MASK;
}

/* Would this cluster, read as an L2 table, point at a cluster whose count
 * is not yet durable? */
static bool l2_content_bad(const uint8_t *p)
{
	uint32_t i;

	for (i = 0; i < tr.cs / 8; i++) {
		uint64_t e, host, rb;

		memcpy(&e, p + i * 8, 8);
		e = be64toh(e);
		host = e & QCOW2_L2E_OFFSET_MASK;
		if ((e & QCOW2_OFLAG_COMPRESSED) || host == 0 || host / tr.cs >= tr.clusters)
			continue;
		rb = refblock_of(host);
		if (rb && written_now(rb))
			return true;
	}
	return false;
}

static void trace_write(const uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t l1 = mirror64(QCOW2_HDR_L1_TABLE_OFFSET);
	uint64_t l1_len = (uint64_t)be32toh(*(uint32_t *)(tr.mirror + QCOW2_HDR_L1_SIZE)) * 8;
	uint64_t rt = mirror64(QCOW2_HDR_REFCOUNT_TABLE_OFFSET);
	uint64_t rt_len = (uint64_t)be32toh(*(uint32_t *)(tr.mirror + QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS)) * tr.cs;
	uint64_t e, o, c;

	trace_grow(off + len);
	/* Entries of the L1 and refcount tables that this write changes. */
	for (o = off & ~7ull; o + 8 <= off + len; o += 8) {
		if (o < off)
			continue;
		memcpy(&e, buf + (o - off), 8);
		e = be64toh(e);
		if (e == mirror64(o))
			continue;
		if (o >= l1 && o < l1 + l1_len && (e & QCOW2_L1E_OFFSET_MASK)) {
			c = (e & QCOW2_L1E_OFFSET_MASK) / tr.cs;
			tr.l1_changes++;
			trace_grow((c + 1) * tr.cs);
			tr.is_l2[c] = true;
			if (written_now(c * tr.cs) || tr.bad_as_l2[c])
				tr.violations++;
		}
		if (o >= rt && o < rt + rt_len && (e & QCOW2_REFT_OFFSET_MASK) &&
		    written_now(e & QCOW2_REFT_OFFSET_MASK))
			tr.violations++;
	}
	/* The header moving to a new refcount table. */
	if (off <= QCOW2_HDR_REFCOUNT_TABLE_OFFSET && off + len >= QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS + 4) {
		uint64_t nrt, i;
		uint32_t n;

		memcpy(&nrt, buf + (QCOW2_HDR_REFCOUNT_TABLE_OFFSET - off), 8);
		memcpy(&n, buf + (QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS - off), 4);
		nrt = be64toh(nrt);
		n = be32toh(n);
		for (i = 0; nrt != rt && i < (uint64_t)n * tr.cs / 8; i++) {
			uint64_t rb = mirror64(nrt + i * 8) & QCOW2_REFT_OFFSET_MASK;

			if ((i % (tr.cs / 8) == 0 && written_now(nrt + i * 8)) || (rb && written_now(rb)))
				tr.violations++;
		}
	}
	/* A whole cluster may be (or become) an L2 table. */
	if (off % tr.cs == 0 && len == tr.cs) {
		bool bad = l2_content_bad(buf);

		c = off / tr.cs;
		tr.bad_as_l2[c] = bad;
		if (tr.is_l2[c] && bad)
			tr.violations++;
	}
	memcpy(tr.mirror + off, buf, len);
	for (c = off / tr.cs; c * tr.cs < off + len; c++)
		tr.epoch_of[c] = tr.epoch + 1;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	if (fd == tr.fd && off >= 0)
		trace_write(buf, len, (uint64_t)off);
	return syscall(SYS_pwrite64, fd, buf, len, off);
}

int fdatasync(int fd)
{
	if (fd == tr.fd) {
		/* Nothing can be lost here, so the test need not wait. */
		tr.epoch++;
		tr.syncs++;
		return 0;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

int fsync(int fd)
{
	if (fd == tr.fd)
		return fdatasync(fd);
	return (int)syscall(SYS_fsync, fd);
}

static void trace_start(struct vk_image *img, uint32_t cs)
{
	struct qcow2 *q = qcow2_of(img);
	uint64_t size = (uint64_t)lseek(img->fd, 0, SEEK_END);

	memset(&tr, 0, sizeof(tr));
	tr.cs = cs;
	tr.rb_bits = q->rb_bits;
	trace_grow(size);
	assert_int_equal(pread(img->fd, tr.mirror, size, 0), (ssize_t)size);
	tr.fd = img->fd;
}

static void trace_stop(void)
{
	free(tr.mirror);
	free(tr.epoch_of);
	free(tr.is_l2);
	free(tr.bad_as_l2);
	memset(&tr, 0, sizeof(tr));
	tr.fd = -1;
}

/* A new 2 GiB qcow2 with 512-byte clusters at path, opened: its L2
 * tables outnumber the cache's slots many times over. */
static struct vk_image *order_test_image(void)
{
	struct vk_image_create_opts o = { .format = VK_IMAGE_QCOW2, .size = 2ull << 30,
					  .cluster_size = 512 };
	struct vk_image *img;

	snprintf(path, sizeof(path), "/tmp/test-qcow2.%d.order.qcow2", (int)getpid());
	unlink(path);
	o.path = path;
	assert_int_equal(vk_image_create(&o), 0);
	assert_int_equal(vk_image_open(path, VK_IMAGE_QCOW2, 0, &img), 0);
	return img;
}

/* More L2 tables than the cache holds (4 MiB of 512-byte tables), no
 * flush until close: evicted tables, some new, go to disk between the
 * writebacks, and refcount blocks are evicted from their 8 slots. */
static void test_write_order_under_eviction(void **state)
{
	const unsigned cached = (4u << 20) / 512, writes = 3 * cached;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	struct vk_image *img = order_test_image();
	uint8_t buf[512];
	unsigned i;

	trace_start(img, 512);
	memset(buf, 0xab, sizeof(buf));
	for (i = 0; i < writes; i++) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		/* A new L2 table almost every time; some partial writes (COW)
		 * and discards among them. */
		uint64_t off = (seed % ((2ull << 30) / 512)) * 512;

		if (i % 17 == 0)
			assert_int_equal(vk_image_discard(img, off, 512), 0);
		else
			assert_int_equal(vk_image_write(img, buf, i % 5 ? 512 : 100, off), 0);
	}
	vk_image_close(img);
	print_message("# %u L1 entries set, %u syncs, %u order violations\n",
		      tr.l1_changes, tr.syncs, tr.violations);
	assert_true(tr.l1_changes > cached);	/* the cache did overflow */
	assert_int_equal(tr.violations, 0);
	trace_stop();
	unlink(path);
	(void)state;
}

/* New L2 tables evicted by reads of existing ones, then a flush with
 * nothing else dirty: the L1 entries naming the evicted tables are the
 * only writes left, and must still wait for a sync. */
static void test_write_order_evicted_by_reads(void **state)
{
	const uint64_t per_l2 = 512 / 8 * 512;	/* guest bytes one L2 table maps */
	const unsigned cached = (4u << 20) / 512;
	struct vk_image *img = order_test_image();
	uint8_t buf[512];
	unsigned i;

	memset(buf, 0xab, sizeof(buf));
	for (i = 0; i < cached; i++)
		assert_int_equal(vk_image_write(img, buf, 512, i * per_l2), 0);
	vk_image_close(img);

	assert_int_equal(vk_image_open(path, VK_IMAGE_QCOW2, 0, &img), 0);
	trace_start(img, 512);
	for (i = 0; i < 16; i++)
		assert_int_equal(vk_image_write(img, buf, 512, (cached + i) * per_l2), 0);
	for (i = 0; i < cached; i++)
		assert_int_equal(vk_image_read(img, buf, 1, i * per_l2), 0);
	assert_int_equal(vk_image_flush(img), 0);
	vk_image_close(img);
	print_message("# %u L1 entries set, %u syncs, %u order violations\n",
		      tr.l1_changes, tr.syncs, tr.violations);
	assert_int_equal(tr.l1_changes, 16);
	assert_int_equal(tr.violations, 0);
	trace_stop();
	unlink(path);
	(void)state;
}

#define HDR(t) cmocka_unit_test_setup(t, make_header)
#define IMG(t) cmocka_unit_test_setup_teardown(t, make_image, remove_image)

int main(void)
{
	const struct CMUnitTest tests[] = {
		HDR(test_valid), HDR(test_bad_magic), HDR(test_short_buffer), HDR(test_version),
		HDR(test_cluster_bits_low), HDR(test_cluster_bits_high), HDR(test_encrypted),
		HDR(test_header_length), HDR(test_refcount_order), HDR(test_external_data_file),
		HDR(test_extended_l2), HDR(test_unknown_incompatible_named), HDR(test_zstd),
		HDR(test_crypto_extension), HDR(test_extension_overrun), HDR(test_l1_too_small),
		HDR(test_l1_past_eof), HDR(test_l1_unaligned), HDR(test_reftable_zero),
		HDR(test_reftable_past_eof), HDR(test_huge_size), HDR(test_snapshots),
		HDR(test_backing_name_outside), HDR(test_backing_name_too_long),
		HDR(test_backing_name_ok), HDR(test_v2_ignores_v3_fields),
		IMG(test_reads_back), IMG(test_l1_entry_past_eof), IMG(test_l1_entry_reserved),
		IMG(test_l2_entry_unaligned), IMG(test_l2_entry_reserved),
		IMG(test_l2_entry_past_eof_reads_zeros), IMG(test_compressed_garbage),
		IMG(test_refblock_unaligned), IMG(test_write_over_metadata_refused), IMG(test_dirty_refused_rw),
		IMG(test_write_read_only), IMG(test_beyond_size),
		cmocka_unit_test(test_format_names),
		cmocka_unit_test(test_unrecorded_backing_format),
		cmocka_unit_test(test_write_order_under_eviction),
		cmocka_unit_test(test_write_order_evicted_by_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
