#!/bin/sh
# fuzz-media.sh - build the .treeinfo and template libFuzzer targets with clang and run each for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/fuzz.sh"
tap_setup_tmp
fuzz_require

s=$top_srcdir
fuzz_build fuzz-treeinfo "$s/tests/fuzz/fuzz-treeinfo.c" "$s/common/media/treeinfo.c" "$s/common/util/error.c"
fuzz_build fuzz-osvariant $(pkg-config --cflags json-c) \
	"$s/tests/fuzz/fuzz-osvariant.c" "$s/common/media/osvariant.c" "$s/common/util/error.c" \
	$(pkg-config --libs json-c)
for t in treeinfo osvariant; do
	fuzz_run "fuzz-$t" "${VK_FUZZ_SECONDS:-10}" "$s/tests/fuzz/corpus-$t" -max_len=8192
done
done_testing
