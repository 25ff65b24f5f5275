#!/bin/sh
# fuzz-qcow2.sh - build the qcow2 libFuzzer target with clang and run it from the seed corpus for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"

FUZZ_SECONDS=${VK_FUZZ_SECONDS:-20}
command -v clang >/dev/null 2>&1 || skip_all "clang is not installed (apt-get install clang)"
tap_setup_tmp
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' >"$TMP/probe.c"
clang -fsanitize=fuzzer "$TMP/probe.c" -o "$TMP/probe" >/dev/null 2>&1 ||
	skip_all "clang's libFuzzer runtime is missing (apt-get install libclang-rt-14-dev)"

s=$top_srcdir
check "fuzz-qcow2 builds" clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$s" -I"$top_builddir" $(pkg-config --cflags zlib) -o "$TMP/fuzz-qcow2" \
	"$s/tests/fuzz/fuzz-qcow2.c" "$s/common/error.c" "$s/common/image.c" "$s/common/image-raw.c" \
	"$s/common/image-copy.c" "$s/common/qcow2.c" "$s/common/qcow2-header.c" \
	"$s/common/qcow2-cache.c" "$s/common/qcow2-refcount.c" "$s/common/qcow2-cluster.c" \
	$(pkg-config --libs zlib)
[ -x "$TMP/fuzz-qcow2" ] || { done_testing; exit 1; }

# New inputs go to a scratch corpus; the committed seeds stay as they are.
mkdir "$TMP/corpus"
(cd "$TMP" && ./fuzz-qcow2 -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -max_len=65536 \
	-timeout=10 -print_final_stats=1 corpus "$s/tests/fuzz/corpus-qcow2") >"$TMP/fuzz.log" 2>&1
rc=$?
ok $rc "fuzz-qcow2 ran ${FUZZ_SECONDS}s without a crash"
[ $rc -eq 0 ] || tail -40 "$TMP/fuzz.log" | sed 's/^/# /'
grep -E '^stat::number_of_executed_units' "$TMP/fuzz.log" | sed 's/^/# /'

done_testing
