# fuzz.sh - libFuzzer targets in shell tests: source it after tap.sh, call tap_setup_tmp, then
# fuzz_require, fuzz_build and fuzz_run.  VK_FUZZ_SECONDS overrides each script's time.

FUZZ_CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined"
FUZZ_CFLAGS="$FUZZ_CFLAGS -I$top_srcdir -I$top_builddir -DHAVE_CONFIG_H"

# fuzz_require: skip the whole script without clang or its libFuzzer runtime.
fuzz_require() {
	command -v clang >/dev/null 2>&1 || skip_all "clang is not installed (apt-get install clang)"
	printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
		>"$TMP/probe.c"
	clang -fsanitize=fuzzer "$TMP/probe.c" -o "$TMP/probe" >/dev/null 2>&1 ||
		skip_all "clang's libFuzzer runtime is missing (apt-get install libclang-rt-14-dev)"
}

# fuzz_build NAME SOURCES-AND-FLAGS...: $TMP/NAME with ASan and UBSan (one case).
fuzz_build() {
	_fz=$1; shift
	check "$_fz builds with ASan and UBSan" clang $FUZZ_CFLAGS -o "$TMP/$_fz" "$@"
}

# fuzz_run NAME SECONDS SEED_DIR [libFuzzer options...]: one case.  The
# seeds are copied, since libFuzzer adds what it finds to its first corpus
# directory.  A failure shows the log's tail and the reproducers (base64);
# VK_FUZZ_KEEP=DIR keeps them.
fuzz_run() {
	_fz=$1 _secs=$2 _seeds=$3; shift 3
	if [ ! -x "$TMP/$_fz" ]; then
		ok 1 "$_fz ran (it did not build)"
		return
	fi
	mkdir -p "$TMP/corpus-$_fz"
	cp -R "$_seeds/." "$TMP/corpus-$_fz/" 2>/dev/null
	if "$TMP/$_fz" -max_total_time="$_secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$TMP/" "$@" "$TMP/corpus-$_fz" >"$TMP/$_fz.log" 2>&1; then
		ok 0 "$_fz ran $_secs s without a crash, leak, hang or sanitizer report"
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec)' "$TMP/$_fz.log" |
			sed 's/^/# /'
		return
	fi
	ok 1 "$_fz found a problem"
	grep -v '^vrun: ' "$TMP/$_fz.log" | tail -60 | sed 's/^/# /'
	for _f in "$TMP"/crash-* "$TMP"/leak-* "$TMP"/timeout-*; do
		[ -f "$_f" ] || continue
		echo "# reproducer: $(basename "$_f") (base64)"
		base64 "$_f" | head -20 | sed 's/^/# /'
		[ -n "$VK_FUZZ_KEEP" ] && cp "$_f" "$VK_FUZZ_KEEP"/
	done
}
