#!/bin/sh
# fuzz-virtqueue.sh - build the virtqueue/virtio-blk libFuzzer target and run it for a bounded time.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/lib/fuzz.sh"
tap_setup_tmp
fuzz_require

s=$top_srcdir
fuzz_build fuzz-virtqueue \
	"$s/tests/fuzz/fuzz-virtqueue.c" "$s/vmm/virtio/queue.c" "$s/vmm/virtio/pci.c" \
	"$s/vmm/virtio/blk.c" "$s/vmm/pci.c" "$s/vmm/iothread.c" "$s/common/util/error.c" \
	"$s/tests/unit/fake-machine.c" "$s/vmm/guest-memory.c" \
	"$s/tests/unit/fake-image.c" "$s/tests/unit/fake-driver.c" "$s/vmm/bus.c" \
	-lpthread
fuzz_run fuzz-virtqueue "${VK_FUZZ_SECONDS:-5}" "$s/tests/fuzz/corpus-virtqueue"
done_testing
