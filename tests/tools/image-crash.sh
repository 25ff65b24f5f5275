#!/bin/sh
# image-crash.sh - a qcow2 writer killed with SIGKILL leaves an image qemu-img check calls uncorrupted (leaks allowed).
. "$top_srcdir/tests/lib/tap.sh"

command -v qemu-img >/dev/null 2>&1 || skip_all "qemu-img is not installed (apt-get install qemu-utils)"
tap_setup_tmp
T="$top_builddir/tests/tools/vk-image-tool"
cd "$TMP" || exit 99

# Kill points vary with the seed; 512-byte clusters make the refcount
# table grow and move, 64 KiB is the common case, 2 MiB the big one.
n=0
for cs in 512 65536 2097152 512 65536 4096; do
	for delay in 0.05 0.2; do
		n=$((n + 1))
		rm -f c.qcow2
		"$T" create qcow2 c.qcow2 $((32 << 20)) $cs || exit 99
		"$T" writer qcow2 c.qcow2 $n 2>writer.err &
		pid=$!
		sleep $delay
		kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
		qemu-img check c.qcow2 >chk.out 2>&1
		rc=$?
		# 0: clean, 3: leaked clusters only; 2 would be corruption.
		if { [ $rc -eq 0 ] || [ $rc -eq 3 ]; } && ! grep -q ERROR chk.out; then
			ok 0 "killed writer (cluster $cs, after ${delay}s): no corruption"
		else
			ok 1 "killed writer (cluster $cs, after ${delay}s): no corruption"
			sed 's/^/# /' chk.out writer.err
		fi
	done
done

# After a crash the image keeps working: reopen, write, check again.
cp /dev/null m.raw
qemu-img convert -q -f qcow2 -O raw c.qcow2 m.raw
"$T" random qcow2 c.qcow2 99 50 m.raw
ok $? "writes after the crash"
check "contents after the crash and more writes" qemu-img compare -q -f raw -F qcow2 m.raw c.qcow2

done_testing
