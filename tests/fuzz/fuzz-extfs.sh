#!/bin/sh
# fuzz-extfs.sh - build the direct ext reader's libFuzzer target with clang and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
tap_setup_tmp

FUZZ_SECONDS=${VK_FUZZ_SECONDS:-30}
command -v clang >/dev/null 2>&1 || skip_all "clang is not installed (apt-get install clang)"
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' > "$TMP/probe.c"
clang -fsanitize=fuzzer "$TMP/probe.c" -o "$TMP/probe" >/dev/null 2>&1 ||
	skip_all "clang's libFuzzer runtime is missing (apt-get install libclang-rt-14-dev)"

check "fuzz-extfs builds" clang -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -I"$top_srcdir" -I"$top_builddir" \
	-o "$TMP/fuzz-extfs" "$top_srcdir/tests/fuzz/fuzz-extfs.c" \
	"$top_srcdir/common/blockdev.c" "$top_srcdir/common/extfs.c" \
	"$top_srcdir/common/fs-ext.c" "$top_srcdir/common/error.c"

# Seeds: small filesystems of each kind holding a /boot, made here so no
# binary images live in the tree (the fuzzer starts from nothing without mkfs).
mkdir -p "$TMP/corpus" "$TMP/seeds" "$TMP/tree/boot/dir"
echo kernel >"$TMP/tree/boot/vmlinuz-1"
head -c 20000 /dev/urandom >"$TMP/tree/boot/initrd.img-1"
ln -s vmlinuz-1 "$TMP/tree/boot/vmlinuz"
for kind in "ext2 -b 1024" "ext4 -b 1024 -O ^has_journal" "ext4 -b 4096 -O ^has_journal"; do
	set -- $kind
	f="$TMP/seeds/$1-$3"
	truncate -s 512K "$f"
	"mkfs.$1" -q -F -N 32 "$2" "$3" ${4:+"$4"} ${5:+"$5"} -d "$TMP/tree" "$f" >/dev/null 2>&1 || rm -f "$f"
done
if "$TMP/fuzz-extfs" -max_total_time="$FUZZ_SECONDS" -max_len=524288 -rss_limit_mb=1024 \
	-timeout=10 -artifact_prefix="$TMP/" "$TMP/corpus" "$TMP/seeds" >"$TMP/fuzz.log" 2>&1; then
	ok 0 "fuzz-extfs ran ${FUZZ_SECONDS}s without a crash ($(ls "$TMP/seeds" | wc -l) mkfs seeds)"
else
	ok 1 "fuzz-extfs found a crash"
	tail -40 "$TMP/fuzz.log" | sed 's/^/# /'
	for f in "$TMP"/crash-* "$TMP"/leak-* "$TMP"/timeout-*; do
		[ -f "$f" ] && echo "# reproducer: $(basename "$f") (base64)" &&
			base64 "$f" | head -20 | sed 's/^/# /'
	done
fi
done_testing
