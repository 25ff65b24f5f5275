/* qcow2-format.h - on-disk constants of the qcow2 format, named as in qemu's docs/interop/qcow2.txt. */
#ifndef VK_QCOW2_FORMAT_H
#define VK_QCOW2_FORMAT_H

#include <stdint.h>

#define QCOW2_MAGIC			0x514649fbu	/* "QFI\xfb" */

/* Header field offsets (all fields big-endian). */
#define QCOW2_HDR_MAGIC			0
#define QCOW2_HDR_VERSION		4
#define QCOW2_HDR_BACKING_FILE_OFFSET	8
#define QCOW2_HDR_BACKING_FILE_SIZE	16
#define QCOW2_HDR_CLUSTER_BITS		20
#define QCOW2_HDR_SIZE			24
#define QCOW2_HDR_CRYPT_METHOD		32
#define QCOW2_HDR_L1_SIZE		36
#define QCOW2_HDR_L1_TABLE_OFFSET	40
#define QCOW2_HDR_REFCOUNT_TABLE_OFFSET	48
#define QCOW2_HDR_REFCOUNT_TABLE_CLUSTERS 56
#define QCOW2_HDR_NB_SNAPSHOTS		60
#define QCOW2_HDR_SNAPSHOTS_OFFSET	64
#define QCOW2_HDR_INCOMPATIBLE_FEATURES	72	/* version 3 from here on */
#define QCOW2_HDR_COMPATIBLE_FEATURES	80
#define QCOW2_HDR_AUTOCLEAR_FEATURES	88
#define QCOW2_HDR_REFCOUNT_ORDER	96
#define QCOW2_HDR_HEADER_LENGTH		100
#define QCOW2_HDR_COMPRESSION_TYPE	104

#define QCOW2_V2_HEADER_LENGTH		72
#define QCOW2_V3_HEADER_LENGTH		104

#define QCOW2_MIN_CLUSTER_BITS		9	/* 512 B */
#define QCOW2_MAX_CLUSTER_BITS		21	/* 2 MiB */
#define QCOW2_MAX_REFCOUNT_ORDER	6	/* 64-bit refcounts */
#define QCOW2_MAX_BACKING_FILE_SIZE	1023
#define QCOW2_MAX_SNAPSHOTS		65536
/* qemu's limits on table sizes (QCOW_MAX_L1_SIZE, QCOW_MAX_REFTABLE_SIZE). */
#define QCOW2_MAX_L1_BYTES		(32u << 20)
#define QCOW2_MAX_REFTABLE_BYTES	(8u << 20)

#define QCOW2_CRYPT_NONE		0

/* Incompatible feature bits. */
#define QCOW2_INCOMPAT_DIRTY		(1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT		(1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE	(1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION	(1ull << 3)
#define QCOW2_INCOMPAT_EXTL2		(1ull << 4)
/* Compatible feature bits. */
#define QCOW2_COMPAT_LAZY_REFCOUNTS	(1ull << 0)
/* Autoclear feature bits. */
#define QCOW2_AUTOCLEAR_BITMAPS		(1ull << 0)
#define QCOW2_AUTOCLEAR_DATA_FILE_RAW	(1ull << 1)

#define QCOW2_COMPRESSION_ZLIB		0
#define QCOW2_COMPRESSION_ZSTD		1

/* Header extension types. */
#define QCOW2_EXT_END			0x00000000u
#define QCOW2_EXT_BACKING_FORMAT	0xe2792acau
#define QCOW2_EXT_FEATURE_TABLE		0x6803f857u
#define QCOW2_EXT_BITMAPS		0x23852875u
#define QCOW2_EXT_CRYPTO		0x0537be77u
#define QCOW2_EXT_DATA_FILE		0x44415441u

/* Feature name table entry types. */
#define QCOW2_FEAT_TYPE_INCOMPATIBLE	0
#define QCOW2_FEAT_TYPE_COMPATIBLE	1
#define QCOW2_FEAT_TYPE_AUTOCLEAR	2
#define QCOW2_FEAT_NAME_LEN		46

/* L1 and L2 table entries. */
#define QCOW2_OFLAG_COPIED		(1ull << 63)	/* refcount is exactly 1 */
#define QCOW2_OFLAG_COMPRESSED		(1ull << 62)
#define QCOW2_OFLAG_ZERO		(1ull << 0)	/* v3: reads as zeros */
#define QCOW2_L1E_OFFSET_MASK		0x00fffffffffffe00ull	/* bits 9-55 */
#define QCOW2_L1E_RESERVED_MASK		0x7f000000000001ffull
#define QCOW2_L2E_OFFSET_MASK		0x00fffffffffffe00ull
#define QCOW2_L2E_RESERVED_MASK		0x3f000000000001feull
#define QCOW2_REFT_OFFSET_MASK		0xfffffffffffffe00ull
#define QCOW2_REFT_RESERVED_MASK	0x00000000000001ffull
/* Compressed cluster descriptors count 512-byte sectors. */
#define QCOW2_COMPRESSED_SECTOR_SIZE	512u

#endif
