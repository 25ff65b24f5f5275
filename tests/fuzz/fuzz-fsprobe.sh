#!/bin/sh
# fuzz-fsprobe.sh - build the fsprobe libFuzzer target with clang and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
tap_setup_tmp

FUZZ_SECONDS=${VK_FUZZ_SECONDS:-20}
command -v clang >/dev/null 2>&1 || skip_all "clang is not installed (apt-get install clang)"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' > "$TMP/probe.c"
clang -fsanitize=fuzzer "$TMP/probe.c" -o "$TMP/probe" >/dev/null 2>&1 ||
	skip_all "clang's libFuzzer runtime is missing (apt-get install libclang-rt-14-dev)"

check "fuzz-fsprobe builds" clang -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$top_srcdir" -I"$top_builddir" \
	-o "$TMP/fuzz-fsprobe" "$top_srcdir/tests/fuzz/fuzz-fsprobe.c" \
	"$top_srcdir/common/blockdev.c" "$top_srcdir/common/partition.c" \
	"$top_srcdir/common/fsprobe.c" "$top_srcdir/common/fs-ext.c" \
	"$top_srcdir/common/fs-xfs.c" "$top_srcdir/common/fs-vfat.c" \
	"$top_srcdir/common/fs-btrfs.c" "$top_srcdir/common/fs-iso9660.c" \
	"$top_srcdir/common/error.c" -lz

# The seed corpus is read-only in the source tree; new inputs go to TMP.
mkdir -p "$TMP/corpus"
if "$TMP/fuzz-fsprobe" -max_total_time="$FUZZ_SECONDS" -max_len=1048576 -rss_limit_mb=1024 \
	-timeout=10 -artifact_prefix="$TMP/" "$TMP/corpus" \
	"$top_srcdir/tests/fuzz/corpus-fsprobe" >"$TMP/fuzz.log" 2>&1; then
	ok 0 "fuzz-fsprobe ran ${FUZZ_SECONDS}s without a crash"
else
	ok 1 "fuzz-fsprobe found a crash"
	tail -40 "$TMP/fuzz.log" | sed 's/^/# /'
	for f in "$TMP"/crash-* "$TMP"/leak-* "$TMP"/timeout-*; do
		[ -f "$f" ] && echo "# reproducer: $(basename "$f") (base64)" &&
			base64 "$f" | head -20 | sed 's/^/# /'
	done
fi
done_testing
