#!/bin/sh
# image-crash.sh - a qcow2 writer killed with SIGKILL leaves an image qemu-img check calls uncorrupted (leaks allowed).
. "$top_srcdir/tests/lib/tap.sh"

command -v qemu-img >/dev/null 2>&1 || skip_all "qemu-img is not installed (apt-get install qemu-utils)"
tap_setup_tmp
T="$top_builddir/tests/tools/vk-image-tool"
cd "$TMP" || exit 99

# Kill points are random but seeded: a failure names its seed, and
# VK_CRASH_SEED=N replays the same kill delays and writer seeds.
SEED=${VK_CRASH_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
KILLS=${VK_CRASH_KILLS:-6}
echo "# seed $SEED (replay with VK_CRASH_SEED=$SEED)"
SIZE=$((32 << 20))

# Delays from 10 to 400 ms (the writer starts in about 5), one line per kill.
awk -v seed="$SEED" -v n=200 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.3f %d\n", 0.01 + rand() * 0.39, int(rand() * 2147483647) }' >plan
exec 3<plan

head -c $SIZE /dev/urandom >base.raw

# make KIND: a fresh c.qcow2 of that kind.  512-byte clusters make the
# refcount table grow and move, 64 KiB is the common case, 2 MiB the big
# one; qemu-made v2 and 1- and 64-bit refcount images, and an overlay
# whose writes copy from its backing file.
make_image() {
	rm -f c.qcow2
	case $1 in
	ours-*) "$T" create qcow2 c.qcow2 $SIZE "${1#ours-}" ;;
	v2) qemu-img create -q -f qcow2 -o compat=0.10 c.qcow2 $SIZE ;;
	rb1) qemu-img create -q -f qcow2 -o refcount_bits=1,cluster_size=4096 c.qcow2 $SIZE ;;
	rb64) qemu-img create -q -f qcow2 -o refcount_bits=64 c.qcow2 $SIZE ;;
	overlay) "$T" overlay c.qcow2 base.raw raw ;;
	v2-overlay) qemu-img create -q -f qcow2 -o compat=0.10 -b base.raw -F raw c.qcow2 ;;
	esac
}

for kind in ours-512 ours-4096 ours-65536 ours-2097152 v2 rb1 rb64 overlay v2-overlay; do
	k=0
	while [ $k -lt "$KILLS" ]; do
		k=$((k + 1))
		read -r delay wseed <&3 || exit 99
		make_image $kind || exit 99
		"$T" writer qcow2 c.qcow2 "$wseed" 2>writer.err &
		pid=$!
		sleep "$delay"
		kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
		qemu-img check c.qcow2 >chk.out 2>&1
		rc=$?
		what="killed writer ($kind, seed $wseed, after ${delay}s): no corruption"
		# 0: clean, 3: leaked clusters only; 2 would be corruption.
		if { [ $rc -eq 0 ] || [ $rc -eq 3 ]; } && ! grep -q ERROR chk.out &&
		   ! [ -s writer.err ]; then
			ok 0 "$what"
		else
			ok 1 "$what"
			echo "# replay with VK_CRASH_SEED=$SEED; qemu-img check said ($rc):"
			sed 's/^/# /' chk.out writer.err
		fi
	done
	# After a crash the image keeps working: reopen, write, check again.
	qemu-img convert -q -f qcow2 -O raw c.qcow2 m.raw
	"$T" random qcow2 c.qcow2 99 50 m.raw
	ok $? "writes after the crash ($kind)"
	check "contents after the crash and more writes ($kind)" qemu-img compare -q -f raw -F qcow2 m.raw c.qcow2
done

done_testing
