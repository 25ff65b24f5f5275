#!/bin/sh
# mkgrubdisk.sh - build a raw disk image that boots through GRUB 2 from Debian's grub-pc-bin:
# an MBR with GRUB's boot.img, GRUB's core.img in the gap before the first partition,
# and one ext4 partition made from a directory tree (mke2fs -d), no root and no loop device.
#
#   tests/vmm/mkgrubdisk.sh OUT ROOTDIR [SIZE_MIB]
#
# ROOTDIR becomes the partition's contents; it must hold boot/grub/grub.cfg.
# GRUB's i386-pc modules are copied to ROOTDIR/boot/grub/i386-pc.  What
# grub-install does with a device, done on a file: boot.img's kernel_sector
# already points at sector 1, and grub-mkimage fills diskboot.img's block
# list for a core.img written from sector 1 on, so no grub-bios-setup step
# is needed.  Exits 77 when GRUB's i386-pc files or mke2fs -d are missing.
set -eu

out=$1
root=$2
size_mib=${3:-64}
grubdir=${VK_GRUB_PC_DIR:-/usr/lib/grub/i386-pc}
part_start=2048			# sectors: the partition at 1 MiB, as fdisk puts it

for f in boot.img diskboot.img kernel.img; do
	if [ ! -r "$grubdir/$f" ]; then
		echo "mkgrubdisk: $grubdir/$f is missing (apt-get install grub-pc-bin)" >&2
		exit 77
	fi
done
for tool in grub-mkimage mke2fs sfdisk; do
	if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
		echo "mkgrubdisk: $tool is missing" >&2
		exit 77
	fi
done
if [ ! -f "$root/boot/grub/grub.cfg" ]; then
	echo "mkgrubdisk: $root/boot/grub/grub.cfg is missing" >&2
	exit 2
fi
PATH=$PATH:/usr/sbin:/sbin

work=$(mktemp -d "${TMPDIR:-/tmp}/mkgrubdisk.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$root/boot/grub/i386-pc"
cp "$grubdir"/*.mod "$grubdir"/*.lst "$root/boot/grub/i386-pc/"

# core.img finds the partition by itself: the modules it needs for that are
# built in, everything else (normal, linux, serial, ...) comes from the prefix.
grub-mkimage -O i386-pc -d "$grubdir" -o "$work/core.img" -p '(hd0,msdos1)/boot/grub' \
	biosdisk part_msdos ext2
core_sectors=$(( ($(stat -c %s "$work/core.img") + 511) / 512 ))
if [ $((1 + core_sectors)) -gt $part_start ]; then
	echo "mkgrubdisk: core.img ($core_sectors sectors) does not fit before the partition" >&2
	exit 1
fi

part_sectors=$((size_mib * 2048 - part_start))
mke2fs -q -F -t ext4 -L vkroot -d "$root" "$work/part.img" "$((part_sectors / 2))k"

rm -f "$out"
truncate -s "${size_mib}M" "$out"
printf 'label: dos\nstart=%d, size=%d, type=83, bootable\n' $part_start $part_sectors |
	sfdisk -q "$out"
# boot.img's code, not its (empty) partition table or signature.
dd if="$grubdir/boot.img" of="$out" bs=440 count=1 conv=notrunc status=none
dd if="$work/core.img" of="$out" bs=512 seek=1 conv=notrunc status=none
dd if="$work/part.img" of="$out" bs=512 seek=$part_start conv=notrunc status=none
