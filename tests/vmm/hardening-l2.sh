#!/bin/sh
# hardening-l2.sh - a real Linux guest under vrun's seccomp filters: disks (raw, qcow2), network, --user; run inside the nested sandbox.
#
# make check runs it inside L1 (tests/sandbox/enter-l1.sh boots it; skips
# where the sandbox cannot run).  Prints TAP.
#
# No console flood here: a capped log under the filters is tiny-guests.sh's
# flood test, and a Linux guest flooding its 8250 under the sandbox's
# emulated AMD-V triple-faulted in 4 of 8 boots (hung in 1 of 8 with one
# vCPU), against no triple fault (one hang) in 8 boots without it
# (docs/sandbox.md).

vrun_from_env=${VRUN:-}
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "${top_srcdir:-.}/tests/sandbox/enter-l1.sh"
VRUN=${vrun_from_env:-$VRUN}
[ -n "${VK_SANDBOX_KERNEL:-}" ] || { echo "Bail out! no VK_SANDBOX_KERNEL inside L1"; exit 1; }
tap_setup_tmp
echo "# vrun: $VRUN, kernel: $VK_SANDBOX_KERNEL"

cat >"$TMP/test-init" <<'GUEST'
echo "vk-l2: booted, $(nproc) cpus"
for d in vda vdb; do
	head -c 262144 /dev/urandom >/tmp/data
	dd if=/tmp/data of=/dev/$d bs=65536 conv=fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	want=$(md5sum </tmp/data | cut -c1-32)
	got=$(dd if=/dev/$d bs=65536 count=4 2>/dev/null | md5sum | cut -c1-32)
	[ "$want" = "$got" ] && eval "r_$d=ok" || eval "r_$d=bad"
	blkdiscard -o 0 -l 131072 /dev/$d 2>/dev/null && eval "t_$d=ok" || eval "t_$d=none"
done
ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 &&
	ping -c 3 -W 5 10.0.2.2 >/dev/null 2>&1 && net=ok || net=bad
echo "vk-l2: summary vda=$r_vda vdb=$r_vdb discard=$t_vda/$t_vdb net=$net"
GUEST
sh "${top_srcdir:-.}/tests/sandbox/mkinitramfs-l2.sh" "$TMP/initrd" "$TMP/test-init" ||
	skip_all "cannot build the L2 initramfs"
truncate -s 64M "$TMP/disk.raw"
qemu-img create -q -f qcow2 "$TMP/disk.qcow2" 64M 2>/dev/null ||
	"${top_builddir:-.}/tests/tools/vk-image-tool" create "$TMP/disk.qcow2" qcow2 64M >/dev/null 2>&1

# boot NAME [vrun options]: Linux with both disks and a NIC on the bridge
# (again after a sandbox flake).
boot_once() {
	rm -f "$TMP/$name.log"
	l2_timeout 240 "$TMP/$name.log" "$VRUN" --kernel "$VK_SANDBOX_KERNEL" --initrd "$TMP/initrd" \
		--cmdline "console=ttyS0 reboot=k panic=-1 quiet" --memory 256 --cpus 2 \
		--disk "path=$TMP/disk.raw" --disk "path=$TMP/disk.qcow2,format=qcow2" \
		--net "bridge=${VK_SANDBOX_BRIDGE:-br0}" \
		--console "file=$TMP/$name.log" "$@" >"$TMP/$name.out" 2>&1 </dev/null
	status=$?
}
boot() {
	name=$1; shift
	boot_once "$@"
	l2_again "boot '$name'" "$TMP/$name.out" "$TMP/$name.log" boot_once "$@"
}

boot sandboxed -v
ok $((status != 0)) "Linux under --sandbox on (default) powers off with status 0 (got $status)"
# awk, not sed: the console's last line may have no newline, and the next
# TAP line would be glued to it.
[ "$status" = 0 ] || { tail -n 20 "$TMP/sandboxed.out" | awk '{ print "# " $0 }'; tail -n 5 "$TMP/sandboxed.log" | awk '{ print "# " $0 }'; }
check "the filters were installed" grep -q "seccomp filters (BPF instructions)" "$TMP/sandboxed.out"
grep "seccomp filters" "$TMP/sandboxed.out" | sed 's/^/# /'
check "the guest's disk and network checks pass" \
	grep -q "vk-l2: summary vda=ok vdb=ok discard=ok/ok net=ok" "$TMP/sandboxed.log"
grep "vk-l2: summary" "$TMP/sandboxed.log" | sed 's/^/# /'

if id nobody >/dev/null 2>&1; then
	boot dropped --user nobody
	ok $((status != 0)) "Linux after --user nobody powers off with status 0 (got $status)"
	[ "$status" = 0 ] || tail -n 20 "$TMP/dropped.out" | awk '{ print "# " $0 }'
	check "--user nobody: the guest's checks pass" grep -q "vk-l2: summary vda=ok vdb=ok" "$TMP/dropped.log"
else
	skip "--user: no 'nobody' user"
	skip "--user: no 'nobody' user"
fi
done_testing
