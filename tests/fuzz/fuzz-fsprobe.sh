#!/bin/sh
# fuzz-fsprobe.sh - build the fsprobe libFuzzer target with clang and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/fuzz.sh"
tap_setup_tmp
fuzz_require

s=$top_srcdir
fuzz_build fuzz-fsprobe "$s/tests/fuzz/fuzz-fsprobe.c" \
	"$s/common/image/blockdev.c" "$s/common/fs/partition.c" "$s/common/fs/fsprobe.c" "$s/common/fs/fs-ext.c" \
	"$s/common/fs/fs-xfs.c" "$s/common/fs/fs-vfat.c" "$s/common/fs/fs-btrfs.c" "$s/common/fs/fs-iso9660.c" \
	"$s/common/fs/df-format.c" "$s/common/util/error.c" -lz -lm
fuzz_run fuzz-fsprobe "${VK_FUZZ_SECONDS:-20}" "$s/tests/fuzz/corpus-fsprobe" -max_len=1048576
done_testing
