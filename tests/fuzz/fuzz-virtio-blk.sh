#!/bin/sh
# fuzz-virtio-blk.sh - build the virtio-blk request-path libFuzzer target (real image layer, model oracle) and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/fuzz.sh"
tap_setup_tmp
fuzz_require

s=$top_srcdir
fuzz_build fuzz-virtio-blk \
	"$s/tests/fuzz/fuzz-virtio-blk.c" "$s/vmm/virtio/queue.c" "$s/vmm/virtio/pci.c" \
	"$s/vmm/virtio/blk.c" "$s/vmm/pci.c" "$s/vmm/iothread.c" "$s/common/util/error.c" "$s/common/util/fileutil.c" \
	"$s/common/image/image.c" "$s/common/image/image-raw.c" "$s/common/image/qcow2.c" "$s/common/image/qcow2-cache.c" \
	"$s/common/image/qcow2-cluster.c" "$s/common/image/qcow2-header.c" "$s/common/image/qcow2-refcount.c" \
	"$s/tests/unit/fake-machine.c" "$s/vmm/guest-memory.c" \
	"$s/tests/unit/fake-driver.c" "$s/vmm/bus.c" \
	-lpthread -lz

# Every seed (and every regression input) must pass the model on its own first.
if [ -x "$TMP/fuzz-virtio-blk" ]; then
	if "$TMP/fuzz-virtio-blk" -runs=0 "$s/tests/fuzz/corpus-virtio-blk" >"$TMP/seeds.log" 2>&1; then
		ok 0 "fuzz-virtio-blk: the seed corpus passes the model"
	else
		ok 1 "fuzz-virtio-blk: a seed input fails"
		grep -v '^vrun: ' "$TMP/seeds.log" | tail -40 | sed 's/^/# /'
	fi
fi
fuzz_run fuzz-virtio-blk "${VK_FUZZ_SECONDS:-5}" "$s/tests/fuzz/corpus-virtio-blk"
done_testing
