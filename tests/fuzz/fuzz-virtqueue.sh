#!/bin/sh
# fuzz-virtqueue.sh - build the virtqueue/virtio-blk libFuzzer target and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"

command -v clang >/dev/null 2>&1 || skip_all "clang is not installed"
tap_setup_tmp

probe="$TMP/probe.c"
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe"
clang -fsanitize=fuzzer "$probe" -o "$TMP/probe" >/dev/null 2>&1 ||
	skip_all "clang's libFuzzer runtime is missing (install the clang package with compiler-rt)"

s=$top_srcdir
bin="$TMP/fuzz-virtqueue"
check "fuzz-virtqueue builds with ASan and UBSan" \
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-I"$s" -I"$top_builddir" -DHAVE_CONFIG_H \
	"$s/tests/fuzz/fuzz-virtqueue.c" "$s/vmm/virtio/queue.c" "$s/vmm/virtio/pci.c" \
	"$s/vmm/virtio/blk.c" "$s/vmm/pci.c" "$s/vmm/iothread.c" "$s/common/error.c" \
	"$s/tests/unit/fake-machine.c" "$s/tests/unit/fake-guest-memory.c" \
	"$s/tests/unit/fake-image.c" "$s/tests/unit/fake-driver.c" "$s/tests/unit/fake-bus.c" \
	-lpthread -o "$bin"

if [ -x "$bin" ]; then
	# The corpus is copied: libFuzzer adds what it finds to the first directory.
	mkdir "$TMP/corpus"
	cp "$s/tests/fuzz/corpus-virtqueue/"* "$TMP/corpus/"
	if "$bin" -max_total_time="${VK_FUZZ_SECONDS:-5}" -timeout=10 -rss_limit_mb=1024 \
		-artifact_prefix="$TMP/" "$TMP/corpus" >"$TMP/fuzz.log" 2>&1; then
		ok 0 "fuzz-virtqueue ran ${VK_FUZZ_SECONDS:-5} s without a crash, leak or hang"
		grep '^Done' "$TMP/fuzz.log" | sed 's/^/# /'
	else
		ok 1 "fuzz-virtqueue found a problem (VK_FUZZ_KEEP=DIR keeps the reproducer)"
		grep -v '^vrun: ' "$TMP/fuzz.log" | tail -60 | sed 's/^/# /'
		[ -n "$VK_FUZZ_KEEP" ] && cp "$TMP"/crash-* "$TMP"/leak-* "$TMP"/timeout-* "$VK_FUZZ_KEEP"/ 2>/dev/null
	fi
else
	skip "fuzz-virtqueue did not build"
fi
done_testing
