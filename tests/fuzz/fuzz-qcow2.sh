#!/bin/sh
# fuzz-qcow2.sh - build the qcow2 libFuzzer target with clang and run it from the seed corpus for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/fuzz.sh"
tap_setup_tmp
fuzz_require

s=$top_srcdir
fuzz_build fuzz-qcow2 $(pkg-config --cflags zlib) \
	"$s/tests/fuzz/fuzz-qcow2.c" "$s/common/util/error.c" "$s/common/util/fileutil.c" "$s/common/image/image.c" "$s/common/image/image-raw.c" \
	"$s/common/image/image-copy.c" "$s/common/image/qcow2.c" "$s/common/image/qcow2-header.c" \
	"$s/common/image/qcow2-cache.c" "$s/common/image/qcow2-refcount.c" "$s/common/image/qcow2-cluster.c" \
	$(pkg-config --libs zlib)
fuzz_run fuzz-qcow2 "${VK_FUZZ_SECONDS:-20}" "$s/tests/fuzz/corpus-qcow2" -max_len=65536
done_testing
