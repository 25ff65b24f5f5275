#!/bin/sh
# fuzz-media.sh - build the .treeinfo and template libFuzzer targets with clang and run each for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"

FUZZ_SECONDS=${VK_FUZZ_SECONDS:-10}
command -v clang >/dev/null 2>&1 || skip_all "clang is not installed (apt-get install clang)"
tap_setup_tmp
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' >"$TMP/probe.c"
clang -fsanitize=fuzzer "$TMP/probe.c" -o "$TMP/probe" >/dev/null 2>&1 ||
	skip_all "clang's libFuzzer runtime is missing (apt-get install libclang-rt-14-dev)"

s=$top_srcdir
FLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$s -I$top_builddir"
check "fuzz-treeinfo builds" clang $FLAGS -o "$TMP/fuzz-treeinfo" \
	"$s/tests/fuzz/fuzz-treeinfo.c" "$s/common/treeinfo.c" "$s/common/error.c"
check "fuzz-osvariant builds" clang $FLAGS $(pkg-config --cflags json-c) -o "$TMP/fuzz-osvariant" \
	"$s/tests/fuzz/fuzz-osvariant.c" "$s/common/osvariant.c" "$s/common/error.c" $(pkg-config --libs json-c)

for t in treeinfo osvariant; do
	if [ ! -x "$TMP/fuzz-$t" ]; then ok 1 "fuzz-$t ran"; continue; fi
	mkdir "$TMP/corpus-$t"
	(cd "$TMP" && "./fuzz-$t" -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=1024 -max_len=8192 \
		-timeout=10 -print_final_stats=1 "corpus-$t" "$s/tests/fuzz/corpus-$t") >"$TMP/fuzz-$t.log" 2>&1
	rc=$?
	ok $rc "fuzz-$t ran ${FUZZ_SECONDS}s without a crash"
	[ $rc -eq 0 ] || tail -40 "$TMP/fuzz-$t.log" | sed 's/^/# /'
	grep -E '^stat::number_of_executed_units' "$TMP/fuzz-$t.log" | sed 's/^/# /'
done

done_testing
