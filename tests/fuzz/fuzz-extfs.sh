#!/bin/sh
# fuzz-extfs.sh - build the direct ext reader's libFuzzer target with clang and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/fuzz.sh"
tap_setup_tmp
fuzz_require

s=$top_srcdir
fuzz_build fuzz-extfs "$s/tests/fuzz/fuzz-extfs.c" \
	"$s/common/image/blockdev.c" "$s/common/fs/extfs.c" "$s/common/fs/fs-ext.c" "$s/common/util/error.c"

# Seeds: small filesystems of each kind holding a /boot, made here so no
# binary images live in the tree (the fuzzer starts from nothing without mkfs).
mkdir -p "$TMP/seeds" "$TMP/tree/boot/dir"
echo kernel >"$TMP/tree/boot/vmlinuz-1"
head -c 20000 /dev/urandom >"$TMP/tree/boot/initrd.img-1"
ln -s vmlinuz-1 "$TMP/tree/boot/vmlinuz"
for kind in "ext2 -b 1024" "ext4 -b 1024 -O ^has_journal" "ext4 -b 4096 -O ^has_journal"; do
	set -- $kind
	f="$TMP/seeds/$1-$3"
	truncate -s 512K "$f"
	"mkfs.$1" -q -F -N 32 "$2" "$3" ${4:+"$4"} ${5:+"$5"} -d "$TMP/tree" "$f" >/dev/null 2>&1 || rm -f "$f"
done
echo "# $(ls "$TMP/seeds" | wc -l) mkfs seeds"
fuzz_run fuzz-extfs "${VK_FUZZ_SECONDS:-30}" "$TMP/seeds" -max_len=524288
done_testing
