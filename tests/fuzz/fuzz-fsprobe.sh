#!/bin/sh
# fuzz-fsprobe.sh - build the fsprobe libFuzzer target with clang and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/fuzz.sh"
tap_setup_tmp
fuzz_require

s=$top_srcdir
fuzz_build fuzz-fsprobe "$s/tests/fuzz/fuzz-fsprobe.c" \
	"$s/common/blockdev.c" "$s/common/partition.c" "$s/common/fsprobe.c" "$s/common/fs-ext.c" \
	"$s/common/fs-xfs.c" "$s/common/fs-vfat.c" "$s/common/fs-btrfs.c" "$s/common/fs-iso9660.c" \
	"$s/common/df-format.c" "$s/common/error.c" -lz -lm
fuzz_run fuzz-fsprobe "${VK_FUZZ_SECONDS:-20}" "$s/tests/fuzz/corpus-fsprobe" -max_len=1048576
done_testing
