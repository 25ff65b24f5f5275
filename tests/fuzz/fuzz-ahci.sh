#!/bin/sh
# fuzz-ahci.sh - build the AHCI/ATAPI libFuzzer target (the drive's command parser alone, the controller's command-list walker on fuzzed RAM) and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/fuzz.sh"
tap_setup_tmp
fuzz_require

s=$top_srcdir
fuzz_build fuzz-ahci \
	"$s/tests/fuzz/fuzz-ahci.c" "$s/vmm/devices/ahci.c" "$s/vmm/devices/atapi.c" \
	"$s/vmm/pci.c" "$s/vmm/iothread.c" "$s/common/util/error.c" \
	"$s/tests/unit/fake-machine.c" "$s/vmm/guest-memory.c" "$s/tests/unit/fake-image.c" "$s/vmm/bus.c" \
	-lpthread

# Every seed must pass the checks on its own first.
if [ -x "$TMP/fuzz-ahci" ]; then
	if "$TMP/fuzz-ahci" -runs=0 "$s/tests/fuzz/corpus-ahci" >"$TMP/seeds.log" 2>&1; then
		ok 0 "fuzz-ahci: the seed corpus passes the checks"
	else
		ok 1 "fuzz-ahci: a seed input fails"
		tail -40 "$TMP/seeds.log" | sed 's/^/# /'
	fi
fi
fuzz_run fuzz-ahci "${VK_FUZZ_SECONDS:-5}" "$s/tests/fuzz/corpus-ahci"
done_testing
