#!/bin/sh
# extfs.sh - the direct ext2/3/4 reader against images that mkfs -d populated: every file read back byte for byte.
. "$top_srcdir/tests/lib/tap.sh"
tap_setup_tmp
T="$top_builddir/tests/tools/vk-extfs-tool"

for t in mkfs.ext4 debugfs e2fsck sfdisk blkid; do
	command -v "$t" >/dev/null || skip_all "$t is needed (apt-get install e2fsprogs fdisk)"
done
cd "$TMP" || exit 99

# data N: N KiB of random bytes (compared with the source file, so any will do).
data() { head -c "$(($1 * 1024))" /dev/urandom; }

# The source tree: kernels and initrds, a file whose every other KiB is a
# hole (1500 extents with 1 KiB blocks: a depth-2 extent tree), a file
# reaching triple-indirect blocks on ext2, a large directory, a deep path.
R="$TMP/root"
mkdir -p "$R/boot" "$R/etc" "$R/many" "$R/a/b/c/d"
data 3000 >"$R/boot/vmlinuz-6.1.0-18-amd64"
data 100 >"$R/boot/vmlinuz-5.10.0-1-amd64"
data 50 >"$R/boot/vmlinuz-6.1.0-20-amd64-rescue"
data 1 >"$R/boot/$(printf 'vmlinuz-9\033[2J')"
data 700 >"$R/boot/initrd.img-6.1.0-18-amd64"
data 1 >"$R/etc/os-release"
ln -s vmlinuz-6.1.0-18-amd64 "$R/boot/vmlinuz"
python3 -c 'import os, sys
for i in range(1500):
    sys.stdout.buffer.write(os.urandom(1024) + bytes(1024))' >"$R/sparse"
: >"$R/empty"
data 5 >"$R/a/b/c/d/file"
i=0
while [ $i -lt 600 ]; do : >"$R/many/entry-with-a-long-name-$i"; i=$((i + 1)); done
# Data at 70 MiB: beyond 12 + 256 + 256^2 blocks of 1 KiB, so ext2 needs
# its triple-indirect block; the rest is a hole.
dd if="$R/etc/os-release" of="$R/far" bs=1024 seek=71680 2>/dev/null

# mkimage NAME mkfs-args...: a 32 MiB image of the tree.
mkimage() {
	_n=$1; shift
	rm -f "$_n.img"
	truncate -s 32M "$_n.img"
	"$@" -q -F -d "$R" "$_n.img" >/dev/null 2>&1
}

# same_files IMG: every regular file of the tree reads back identical.
same_files() {
	_bad=0
	for _f in boot/vmlinuz-6.1.0-18-amd64 boot/vmlinuz-5.10.0-1-amd64 boot/initrd.img-6.1.0-18-amd64 \
		  etc/os-release sparse empty a/b/c/d/file far; do
		"$T" "$1" cat "/$_f" >"$TMP/out" 2>"$TMP/err" && cmp -s "$TMP/out" "$R/$_f" ||
			{ echo "# $1: /$_f differs: $(cat "$TMP/err")"; _bad=1; }
	done
	return $_bad
}

for fs in "ext4 mkfs.ext4" "ext4-1k mkfs.ext4 -b 1024" "ext3-1k mkfs.ext3 -b 1024" "ext2-1k mkfs.ext2 -b 1024" \
	  "ext4-64bit-metabg mkfs.ext4 -O 64bit,meta_bg,^resize_inode" "ext2-4k mkfs.ext2 -b 4096"; do
	set -- $fs
	name=$1; shift
	if ! mkimage "$name" "$@"; then
		ok 1 "$name: mkfs -d builds the image"
		continue
	fi
	same_files "$name.img"
	ok $? "$name: every file reads back identical, holes included"
done

# The extent tree really has depth 2 on 1 KiB ext4, and the map is indirect on ext2.
debugfs -R "stat /sparse" ext4-1k.img 2>/dev/null | grep -q "(ETB1)"
ok $? "ext4-1k: /sparse has a depth-2 extent tree (index blocks at two levels)"
debugfs -R "stat /far" ext2-1k.img 2>/dev/null | grep -q "(TIND)"
ok $? "ext2-1k: /far goes through a triple-indirect block"

"$T" ext4.img type >"$TMP/out" && "$T" ext3-1k.img type >>"$TMP/out" && "$T" ext2-1k.img type >>"$TMP/out"
printf 'ext4\next3\next2\n' | cmp -s - "$TMP/out"
ok $? "ext2, ext3 and ext4 are told apart as blkid does"
test "$("$T" ext4.img uuid)" = "$(blkid -o value -s UUID ext4.img)"
ok $? "the filesystem UUID is blkid's"

# Directory listing: linear, then hashed (e2fsck -D builds the hash tree).
"$T" ext4.img ls /many | grep -c "^entry-with-a-long-name-" >"$TMP/n"
test "$(cat "$TMP/n")" -eq 600
ok $? "a 600-entry directory lists every entry"
cp ext4.img htree.img
e2fsck -fyD htree.img >/dev/null 2>&1
debugfs -R "htree /many" htree.img 2>/dev/null | grep -q "Root node dump"
h=$?
test $h -eq 0 && test "$("$T" htree.img ls /many | grep -c "^entry-with-a-long-name-")" -eq 600 &&
	"$T" htree.img ls /boot | grep -q "^vmlinuz l "
ok $? "a hash-tree directory lists every entry; symlinks show as links"
"$T" ext4.img ls / | grep -q "^\. d 0" && "$T" ext4.img ls / | grep -q "^\.\. d 0"
ok $? "the root lists . and .."

expect_fail "a missing path is ENOENT" "/boot/nope: no such file" "$T" ext4.img cat /boot/nope
expect_fail "a file in the middle of a path is not a directory" "not a directory" "$T" ext4.img ls /etc/os-release/x
expect_fail "symbolic links are not followed" "symbolic link in the path" "$T" ext4.img ls /boot/vmlinuz/x
expect_fail "cat of a directory is refused" "not a regular file" "$T" ext4.img cat /boot

# inode_at IMG PATH: byte offset of PATH's inode (group 0 only), from
# debugfs's inode number and group 0's inode table.
inode_at() {
	_ino=$(debugfs -R "stat $2" "$1" 2>/dev/null | sed -n 's/^Inode: *\([0-9]*\).*/\1/p')
	_bs=$(debugfs -R stats "$1" 2>/dev/null | sed -n 's/^Block size: *//p')
	_is=$(debugfs -R stats "$1" 2>/dev/null | sed -n 's/^Inode size: *//p')
	_it=$(debugfs -R stats "$1" 2>/dev/null | sed -n 's/^ *Group  0: .*inode table at \([0-9]*\).*/\1/p')
	echo $((_it * _bs + (_ino - 1) * _is))
}

# Hostile images: damaged structures are reported, never followed.
cp ext4-1k.img bad.img
at=$(inode_at bad.img /sparse)
printf '\377\377' | dd of=bad.img bs=1 seek=$((at + 0x28)) conv=notrunc 2>/dev/null
expect_fail "a damaged extent header is corruption" "bad extent header" "$T" bad.img cat /sparse
cp ext4-1k.img bad2.img
# The first index entry of the root node points far beyond the filesystem.
printf '\377\377\377\177' | dd of=bad2.img bs=1 seek=$((at + 0x28 + 12 + 4)) conv=notrunc 2>/dev/null
expect_fail "an extent index beyond the filesystem is corruption" "beyond the filesystem" "$T" bad2.img cat /sparse
cp ext2-1k.img bad3.img
blk=$(od -An -tu4 -j $(($(inode_at bad3.img /boot) + 0x28)) -N4 bad3.img | tr -d ' ')
# The first directory record of /boot claims a length of 2.
printf '\002\000' | dd of=bad3.img bs=1 seek=$((blk * 1024 + 4)) conv=notrunc 2>/dev/null
expect_fail "a directory record shorter than its header is corruption" "bad directory record length" \
	"$T" bad3.img ls /boot
truncate -s 16M trunc.img
dd if=ext4.img of=trunc.img bs=1M count=16 conv=notrunc 2>/dev/null
expect_fail "a filesystem larger than its device is refused" "exceeds the size of the device" "$T" trunc.img type
rm -f inline.img
truncate -s 8M inline.img
mkdir -p "$TMP/small"
echo tiny >"$TMP/small/tiny"
if mkfs.ext4 -q -F -O inline_data -d "$TMP/small" inline.img >/dev/null 2>&1; then
	expect_fail "inline data is not read (libguestfs would)" "inline data" "$T" inline.img cat /tiny
else
	skip "mkfs.ext4 cannot make inline_data here"
fi

# The boot finder: an MBR disk whose second partition holds the root.
truncate -s 72M disk.img
printf 'start=2048, size=8192, type=82\nstart=10240, size=65536, type=83\n' | sfdisk -q disk.img >/dev/null 2>&1
dd if=ext4.img of=disk.img bs=512 seek=10240 conv=notrunc 2>/dev/null
mkdir -p dest
"$T" disk.img find-boot "$TMP/dest" >"$TMP/found" 2>&1
ok $? "find-boot: finds the installed system on partition 2"
uuid=$(blkid -o value -s UUID ext4.img)
grep -qx "root=UUID=$uuid" "$TMP/found" && grep -q "^found /boot/vmlinuz-6.1.0-18-amd64 on vda2 (ext4, read directly)" "$TMP/found"
ok $? "find-boot: the newest non-rescue kernel, root by UUID, and where it was read"
cmp -s dest/kernel "$R/boot/vmlinuz-6.1.0-18-amd64" && cmp -s dest/initrd "$R/boot/initrd.img-6.1.0-18-amd64" &&
	test -z "$(ls -A dest | grep -v -x -e kernel -e initrd)"
ok $? "find-boot: kernel and initrd copied whole, no temporary files left"

# A separate /boot (kernels at the top of their filesystem) is left to libguestfs.
mkdir -p "$TMP/bootpart"
cp "$R/boot/vmlinuz-6.1.0-18-amd64" "$TMP/bootpart/"
truncate -s 16M sepboot.img
mkfs.ext4 -q -F -d "$TMP/bootpart" sepboot.img >/dev/null 2>&1
"$T" sepboot.img find-boot "$TMP/dest" >"$TMP/found" 2>&1
test $? -eq 3 && grep -qx "not found" "$TMP/found"
ok $? "find-boot: no /boot/vmlinuz-* means libguestfs must look"
"$T" bad3.img find-boot "$TMP/dest" >"$TMP/found" 2>&1
test $? -eq 3
ok $? "find-boot: an unreadable /boot is left to libguestfs, not an error"
cp ext4.img badkernel.img
at=$(inode_at badkernel.img /boot/vmlinuz-6.1.0-18-amd64)
printf '\377\377' | dd of=badkernel.img bs=1 seek=$((at + 0x28)) conv=notrunc 2>/dev/null
rm -rf dest && mkdir dest
"$T" badkernel.img find-boot "$TMP/dest" >"$TMP/found" 2>&1
test $? -eq 3 && test -z "$(ls -A dest)"
ok $? "find-boot: an unreadable kernel is left to libguestfs, and nothing stays behind"

done_testing
