#!/bin/sh
# vdf-mkimages.sh - build the disk images vdf is tested on (no mounting, no root needed).
#
# Usage: vdf-mkimages.sh OUTDIR
# Every image is populated with files without mounting (mke2fs -d,
# mkfs.xfs -p, mkfs.btrfs -r, mcopy, debugfs) and partitioned with sfdisk.
# Creation times and UUIDs are fixed where the tools allow it, but free
# counts are what matters, and those are deterministic for a given
# e2fsprogs/xfsprogs/btrfs-progs/dosfstools version.
set -eu

out=$1
mkdir -p "$out"
cd "$out"
export E2FSPROGS_FAKE_TIME=1700000000 SOURCE_DATE_EPOCH=1700000000

# A small tree of files to copy into each filesystem.
rm -rf tree
mkdir -p tree/etc tree/data
echo "hello from vdf" > tree/etc/motd
head -c 3000000 /dev/zero | tr '\0' 'a' > tree/data/big
i=0
while [ $i -lt 40 ]; do echo "file $i" > tree/data/f$i; i=$((i + 1)); done

MiB=1048576
# fs IMAGE SIZE_MIB: a sparse file of that size
sparse() { rm -f "$1"; truncate -s "$2M" "$1"; }
# put FS_IMAGE into DISK at START_MIB (sparse, whole file)
place() { dd if="$1" of="$2" bs=1M seek="$3" conv=notrunc,sparse status=none; }

mkext() {	# mkext IMG SIZE_MIB TYPE BLOCKSIZE [extra mke2fs args]
	img=$1 size=$2 type=$3 bs=$4; shift 4
	sparse "$img" "$size"
	mke2fs -q -F -t "$type" -b "$bs" -U 6b1d0e3a-5d36-4c3f-9f2b-1a2b3c4d5e6f \
		-E root_owner=0:0 -d tree "$@" "$img"
}
mkvfat() {	# mkvfat IMG SIZE_MIB FATBITS
	sparse "$1" "$2"
	mkfs.vfat -F "$3" -i 12345678 -n VDFTEST "$1" >/dev/null
	mcopy -s -i "$1" tree/etc tree/data ::/
}
mkxfs() {	# mkxfs IMG SIZE_MIB
	sparse "$1" "$2"
	{
		echo /dev/null; echo 0 0; echo "d--755 0 0"
		echo "motd ---644 0 0 $PWD/tree/etc/motd"
		echo "big ---644 0 0 $PWD/tree/data/big"
		echo "data d--755 0 0"
		echo "f1 ---644 0 0 $PWD/tree/data/f1"
		echo '$'; echo '$'
	} > xfs.proto
	mkfs.xfs -q -f -m uuid=6b1d0e3a-5d36-4c3f-9f2b-1a2b3c4d5e70 -p xfs.proto "$1"
	rm -f xfs.proto
}
mkbtrfs() {	# mkbtrfs IMG SIZE_MIB
	sparse "$1" "$2"
	mkfs.btrfs -q -f -U 6b1d0e3a-5d36-4c3f-9f2b-1a2b3c4d5e71 -r tree "$1" >/dev/null
}

# 1. Whole-disk ext4, 4 KiB blocks.
mkext ext4-4k.img 64 ext4 4096

# 2. MBR: ext4 (1 KiB blocks), FAT16, extended with ext2 (2 KiB) and swap.
mkext p-ext4-1k.fs 24 ext4 1024
mkvfat p-fat16.fs 32 16
mkext p-ext2-2k.fs 16 ext2 2048
sparse p-swap.fs 8; mkswap -q p-swap.fs
sparse mbr.img 100
sfdisk -q mbr.img <<EOT
label: dos
label-id: 0x1234abcd
start=2048, size=$((24 * 2048)), type=83
start=$((26 * 2048)), size=$((32 * 2048)), type=6
start=$((60 * 2048)), size=$((36 * 2048)), type=5
start=$((61 * 2048)), size=$((16 * 2048)), type=83
start=$((78 * 2048)), size=$((8 * 2048)), type=82
EOT
place p-ext4-1k.fs mbr.img 1
place p-fat16.fs mbr.img 26
place p-ext2-2k.fs mbr.img 61
place p-swap.fs mbr.img 78

# 3. GPT: XFS in slot 1, ext3 (4 KiB) in slot 3, slot 2 unused.
mkxfs p-xfs.fs 320
mkext p-ext3.fs 16 ext3 4096
sparse gpt.img 340
sfdisk -q gpt.img <<EOT
label: gpt
label-id: 5C7A1E3B-0000-4000-8000-00000000ABCD
gpt.img1 : start=2048, size=$((320 * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
gpt.img3 : start=$((322 * 2048)), size=$((16 * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4
EOT
place p-xfs.fs gpt.img 1
place p-ext3.fs gpt.img 322

# 3b. Whole-disk Btrfs (single device).
mkbtrfs btrfs.img 128

# 4. Whole-disk FAT32.
mkvfat fat32.img 64 32

# 5. qcow2 with a backing file: the overlay holds only what changed.
mkext chain-base.raw 48 ext4 1024
qemu-img convert -q -f raw -O qcow2 chain-base.raw chain-base.qcow2
cp chain-base.raw chain-top.raw
debugfs -w -R "write tree/data/big big2" chain-top.raw >/dev/null 2>&1
debugfs -w -R "mkdir newdir" chain-top.raw >/dev/null 2>&1
qemu-img convert -q -f raw -O qcow2 -B chain-base.qcow2 -F qcow2 chain-top.raw chain-top.qcow2
rm -f chain-base.raw chain-top.raw p-*.fs

# 6. Geometry variations, whole disks (checked against virt-df once, no
# partitions): many ext4 groups with backups, ext3 1 KiB blocks, meta_bg,
# 32-bit ext4 without reserve, XFS 1 KiB blocks, XFS 7 AGs, a larger
# Btrfs, FAT12, FAT32 with 4 KiB clusters, ext2 with 4 KiB blocks, and
# an ISO 9660 image (install media attached to a VM).
mkdir -p more
head -c 5000000 /dev/zero | tr '\0' 'r' > tree/data/rand
sparse more/e4big.img 1024; mke2fs -q -F -t ext4 -d tree more/e4big.img
sparse more/e3k1.img 200; mke2fs -q -F -t ext3 -b 1024 -d tree more/e3k1.img
sparse more/e4meta.img 300; mke2fs -q -F -t ext4 -O meta_bg,^resize_inode -d tree more/e4meta.img
sparse more/e4no64.img 300; mke2fs -q -F -t ext4 -O ^64bit,^metadata_csum -m 0 -d tree more/e4no64.img
sparse more/xfs1k.img 1024; mkfs.xfs -q -f -b size=1024 more/xfs1k.img
sparse more/xfsbig.img 2048; mkfs.xfs -q -f -d agcount=7 more/xfsbig.img
sparse more/btr.img 600; mkfs.btrfs -q -f -r tree more/btr.img >/dev/null
sparse more/fat12.img 4; mkfs.vfat more/fat12.img >/dev/null; mcopy -i more/fat12.img tree/etc/motd ::/
sparse more/fat32b.img 1024; mkfs.vfat -F 32 -s 8 more/fat32b.img >/dev/null; mcopy -i more/fat32b.img tree/data/rand ::/
sparse more/e2k4.img 40; mke2fs -q -F -t ext2 -b 4096 -i 4096 more/e2k4.img
xorriso -as mkisofs -quiet -R -J -V VDFTEST -o more/media.iso tree 2>/dev/null
rm -rf tree
