/* qcow2-header.c - validating a qcow2 header and its extensions before anything trusts them. */
#include "config.h"
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util/error.h"
#include "common/image/qcow2.h"

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

/* The name the image's own feature table gives an incompatible bit, so the
 * refusal says what the image needs rather than a number. */
static const char *feature_name(const uint8_t *table, uint32_t len, unsigned bit,
				char *name, size_t name_len)
{
	static const char *known[] = {
		"dirty bit", "corrupt bit", "external data file",
		"compression type", "extended L2 entries",
	};
	uint32_t i;

	for (i = 0; table && i + 48 <= len; i += 48) {
		if (table[i] == QCOW2_FEAT_TYPE_INCOMPATIBLE && table[i + 1] == bit) {
			snprintf(name, name_len, "%.*s", QCOW2_FEAT_NAME_LEN,
				 (const char *)table + i + 2);
			return name;
		}
	}
	if (bit < sizeof(known) / sizeof(known[0]))
		return known[bit];
	snprintf(name, name_len, "unknown feature bit %u", bit);
	return name;
}

/* Header extensions sit between the header and the backing file name (or
 * the end of the first cluster). */
static int parse_extensions(const uint8_t *buf, size_t end, struct qcow2_header *h,
			    const uint8_t **ftable, uint32_t *ftable_len)
{
	size_t off = h->header_length;

	while (off + 8 <= end) {
		uint32_t type = be32_at(buf + off), len = be32_at(buf + off + 4);

		off += 8;
		if (type == QCOW2_EXT_END)
			return 0;
		if (len > end - off)
			return vk_errorx(EINVAL, "header extension 0x%08x runs past the header cluster", type);
		switch (type) {
		case QCOW2_EXT_BACKING_FORMAT:
			if (len == 0 || len >= sizeof(h->backing_format))
				return vk_errorx(EINVAL, "backing format extension has a bad length (%u)", len);
			memcpy(h->backing_format, buf + off, len);
			h->backing_format[len] = '\0';
			if (strlen(h->backing_format) != len)
				return vk_errorx(EINVAL, "backing format name contains a NUL byte");
			break;
		case QCOW2_EXT_FEATURE_TABLE:
			*ftable = buf + off;
			*ftable_len = len;
			break;
		case QCOW2_EXT_CRYPTO:
			return vk_errorx(ENOTSUP, "encrypted images are not supported");
		case QCOW2_EXT_DATA_FILE:
			return vk_errorx(ENOTSUP, "images with an external data file are not supported");
		default:
			break;	/* bitmaps and unknown extensions: safe to ignore */
		}
		off += qcow2_align_up(len, 8);
	}
	return 0;
}

static int check_features(const struct qcow2_header *h, const uint8_t *ftable,
			  uint32_t ftable_len, uint8_t compression_type)
{
	uint64_t bad = h->incompatible_features &
		       ~(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_COMPRESSION);
	char name[64];
	unsigned bit;

	if ((h->incompatible_features & QCOW2_INCOMPAT_COMPRESSION) &&
	    compression_type != QCOW2_COMPRESSION_ZLIB)
		return vk_errorx(ENOTSUP, "compression type %u (zstd) is not supported; convert with qemu-img convert -O qcow2",
				 compression_type);
	if (!(h->incompatible_features & QCOW2_INCOMPAT_COMPRESSION) &&
	    compression_type != QCOW2_COMPRESSION_ZLIB)
		return vk_errorx(EINVAL, "compression type %u without the compression type feature bit",
				 compression_type);
	for (bit = 0; bit < 64; bit++) {
		if (bad & (1ull << bit))
			return vk_errorx(ENOTSUP, "unsupported qcow2 feature: %s",
					 feature_name(ftable, ftable_len, bit, name, sizeof(name)));
	}
	return 0;
}

static int check_tables(const struct qcow2_header *h, uint64_t file_size)
{
	uint64_t cs = 1ull << h->cluster_bits;
	uint64_t l2_entries = cs / 8, need_l1;

	if (h->size > (1ull << 62))
		return vk_errorx(EINVAL, "virtual size %llu is too large", (unsigned long long)h->size);
	need_l1 = (h->size + cs * l2_entries - 1) / (cs * l2_entries);
	if (h->l1_size < need_l1)
		return vk_errorx(EINVAL, "L1 table too small (%u entries) for the virtual size", h->l1_size);
	if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES)
		return vk_errorx(EINVAL, "L1 table too large (%u entries)", h->l1_size);
	if (h->l1_size && (h->l1_table_offset % cs || h->l1_table_offset == 0 ||
			   h->l1_table_offset + (uint64_t)h->l1_size * 8 > file_size))
		return vk_errorx(EINVAL, "L1 table offset 0x%llx is invalid",
				 (unsigned long long)h->l1_table_offset);
	if (h->refcount_table_clusters == 0 ||
	    (uint64_t)h->refcount_table_clusters * cs > QCOW2_MAX_REFTABLE_BYTES)
		return vk_errorx(EINVAL, "refcount table size (%u clusters) is invalid",
				 h->refcount_table_clusters);
	if (h->refcount_table_offset % cs || h->refcount_table_offset == 0 ||
	    h->refcount_table_offset + (uint64_t)h->refcount_table_clusters * cs > file_size)
		return vk_errorx(EINVAL, "refcount table offset 0x%llx is invalid",
				 (unsigned long long)h->refcount_table_offset);
	if (h->nb_snapshots > QCOW2_MAX_SNAPSHOTS)
		return vk_errorx(EINVAL, "too many snapshots (%u)", h->nb_snapshots);
	if (h->nb_snapshots && (h->snapshots_offset % cs || h->snapshots_offset >= file_size))
		return vk_errorx(EINVAL, "snapshot table offset 0x%llx is invalid",
				 (unsigned long long)h->snapshots_offset);
	return 0;
}

static int parse_backing(const uint8_t *buf, size_t len, struct qcow2_header *h)
{
	if (h->backing_file_offset == 0) {
		h->backing_file_size = 0;
		return 0;
	}
	if (h->backing_file_size == 0 || h->backing_file_size > QCOW2_MAX_BACKING_FILE_SIZE ||
	    h->backing_file_offset < h->header_length ||
	    h->backing_file_offset + h->backing_file_size > len)
		return vk_errorx(EINVAL, "backing file name (offset %llu, %u bytes) lies outside the header cluster",
				 (unsigned long long)h->backing_file_offset, h->backing_file_size);
	memcpy(h->backing_file, buf + h->backing_file_offset, h->backing_file_size);
	h->backing_file[h->backing_file_size] = '\0';
	if (strlen(h->backing_file) != h->backing_file_size)
		return vk_errorx(EINVAL, "backing file name contains a NUL byte");
	return 0;
}

int vk_qcow2_parse_header(const uint8_t *buf, size_t len, uint64_t file_size,
			  struct qcow2_header *h)
{
	const uint8_t *ftable = NULL;
	uint32_t ftable_len = 0;
	uint8_t compression_type = QCOW2_COMPRESSION_ZLIB;
	size_t ext_end;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len < QCOW2_V2_HEADER_LENGTH || be32_at(buf + QCOW2_HDR_MAGIC) != QCOW2_MAGIC)
		return vk_errorx(EINVAL, "not a qcow2 image (bad magic)");
	h->version = be32_at(buf + QCOW2_HDR_VERSION);
	if (h->version != 2 && h->version != 3)
		return vk_errorx(ENOTSUP, "qcow2 version %u is not supported (2 and 3 are)", h->version);
	h->backing_file_offset = be64_at(buf + QCOW2_HDR_BACKING_FILE_OFFSET);
	h->backing_file_size = be32_at(buf + QCOW2_HDR_BACKING_FILE_SIZE);
	h->cluster_bits = be32_at(buf + QCOW2_HDR_CLUSTER_BITS);
	h->size = be64_at(buf + QCOW2_HDR_SIZE);
	h->l1_size = be32_at(buf + QCOW2_HDR_L1_SIZE);
	h->l1_table_offset = be64_at(buf + QCOW2_HDR_L1_TABLE_OFFSET);
	h->refcount_table_offset = be64_at(buf + QCOW2_HDR_REFCOUNT_TABLE_OFFSET);
	h->refcount_table_clusters = be32_at(buf + QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS);
	h->nb_snapshots = be32_at(buf + QCOW2_HDR_NB_SNAPSHOTS);
	h->snapshots_offset = be64_at(buf + QCOW2_HDR_SNAPSHOTS_OFFSET);

	if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS || h->cluster_bits > QCOW2_MAX_CLUSTER_BITS)
		return vk_errorx(EINVAL, "cluster size 2^%u is invalid (512 B to 2 MiB)", h->cluster_bits);
	if (len < (1u << h->cluster_bits) && len < file_size)
		return vk_errorx(EINVAL, "header cluster is truncated");
	if (len > (1u << h->cluster_bits))
		len = 1u << h->cluster_bits;
	if (be32_at(buf + QCOW2_HDR_CRYPT_METHOD) != QCOW2_CRYPT_NONE)
		return vk_errorx(ENOTSUP, "encrypted images are not supported");

	if (h->version == 2) {
		h->refcount_order = 4;
		h->header_length = QCOW2_V2_HEADER_LENGTH;
	} else {
		if (len < QCOW2_V3_HEADER_LENGTH)
			return vk_errorx(EINVAL, "version 3 header is truncated");
		h->incompatible_features = be64_at(buf + QCOW2_HDR_INCOMPATIBLE_FEATURES);
		h->compatible_features = be64_at(buf + QCOW2_HDR_COMPATIBLE_FEATURES);
		h->autoclear_features = be64_at(buf + QCOW2_HDR_AUTOCLEAR_FEATURES);
		h->refcount_order = be32_at(buf + QCOW2_HDR_REFCOUNT_ORDER);
		h->header_length = be32_at(buf + QCOW2_HDR_HEADER_LENGTH);
		if (h->header_length < QCOW2_V3_HEADER_LENGTH || h->header_length > len ||
		    h->header_length % 8)
			return vk_errorx(EINVAL, "header length %u is invalid", h->header_length);
		if (h->refcount_order > QCOW2_MAX_REFCOUNT_ORDER)
			return vk_errorx(EINVAL, "refcount order %u is invalid (at most %u)",
					 h->refcount_order, QCOW2_MAX_REFCOUNT_ORDER);
		if (h->header_length > QCOW2_HDR_COMPRESSION_TYPE)
			compression_type = buf[QCOW2_HDR_COMPRESSION_TYPE];
	}

	ext_end = h->backing_file_offset && h->backing_file_offset < len ? h->backing_file_offset : len;
	rc = parse_extensions(buf, ext_end, h, &ftable, &ftable_len);
	if (rc == 0)
		rc = check_features(h, ftable, ftable_len, compression_type);
	if (rc == 0)
		rc = check_tables(h, file_size);
	if (rc == 0)
		rc = parse_backing(buf, len, h);
	return rc;
}
