#!/bin/sh
# vrun-linux.sh - vrun boots Debian's kernel inside the nested sandbox: init, disks (raw, qcow2, read-only, serial), 2 vCPUs, virtio-net to the L1 bridge, virtio-rng, poweroff and reboot statuses.
#
# One L1 boot, two L2 boots (each costs 20-45 s under TCG, so every check
# that can share a boot does):
#   1. 2 vCPUs, a raw and a qcow2 disk (the raw one with a serial), a NIC
#      on br0, virtio-rng; the guest reads the serial and the hwrng, writes
#      a marker to each disk, pings L1's bridge address and powers off.
#   2. 1 vCPU, the raw disk read-only; the guest reads boot 1's marker,
#      fails to write, and reboots.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "${top_srcdir:-.}/tests/sandbox/enter-l1.sh"
tap_setup_tmp

GUEST_IP=10.0.2.15
MARK=vkit-marker-$$
L2_TIMEOUT=${VK_L2_TIMEOUT:-300}
DISK_MIB=16

# What the guest does, steered by vk.* words on its command line.
cat >"$TMP/test-init" <<'EOF'
arg() { for w in $(cat /proc/cmdline); do case $w in "vk.$1="*) echo "${w#*=}"; return ;; esac; done; }
echo "vk-test: init reached"
echo "vk-test: cpus $(grep -c '^processor' /proc/cpuinfo)"
mark=$(arg mark)
for d in $(arg disks | tr , " "); do
	n=0
	while [ ! -b "/dev/$d" ] && [ $n -lt 50 ]; do sleep 0.2; n=$((n + 1)); done
	echo "vk-test: $d first sector: $(dd if=/dev/$d bs=512 count=1 2>/dev/null | tr -d '\0' | head -n 1)"
	echo "vk-test: $d marker sector: $(dd if=/dev/$d bs=512 skip=2048 count=1 2>/dev/null | tr -d '\0' | head -n 1)"
	if echo "$mark-$d-$(arg boot)" | dd of="/dev/$d" bs=512 seek=2048 conv=sync,fsync 2>/dev/null; then
		echo "vk-test: $d write ok"
	else
		echo "vk-test: $d write failed"
	fi
done
sync
if [ -n "$(arg serial)" ]; then
	echo "vk-test: vda serial: $(cat /sys/block/vda/serial 2>/dev/null)"
fi
if [ -n "$(arg rng)" ]; then
	echo "vk-test: hwrng: $(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)"
	echo "vk-test: hwrng bytes: $(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c)"
fi
if [ -n "$(arg ip)" ]; then
	ip link set eth0 up && ip addr add "$(arg ip)/24" dev eth0
	n=0
	until ping -c 1 -W 2 "$(arg peer)" >/dev/null 2>&1; do
		n=$((n + 1))
		[ $n -lt 10 ] || break
	done
	if [ $n -lt 10 ]; then echo "vk-test: ping ok"; else echo "vk-test: ping failed"; fi
fi
echo "vk-test: $(arg end)"
case $(arg end) in reboot) reboot -f ;; *) poweroff -f ;; esac
EOF
"$top_srcdir/tests/sandbox/mkinitramfs-l2.sh" "$TMP/l2.cpio" "$TMP/test-init" virtio_rng
ok $? "mkinitramfs-l2.sh builds the guest's initramfs"

# Disks: the first sector says which disk it is, so reads are checked too.
dd if=/dev/zero of="$TMP/raw.img" bs=1M count=$DISK_MIB 2>/dev/null
echo "raw-disk-seed" | dd of="$TMP/raw.img" conv=notrunc 2>/dev/null
# qemu-img writes the qcow2 image and reads it back: an independent implementation.
command -v qemu-img >/dev/null || skip_all "qemu-img not found (apt-get install qemu-utils)"
echo "qcow2-disk-seed" >"$TMP/seed.raw" && truncate -s ${DISK_MIB}M "$TMP/seed.raw" &&
	qemu-img convert -f raw -O qcow2 "$TMP/seed.raw" "$TMP/disk.qcow2"
ok $? "a raw and a qcow2 disk image"

# l2_once VRUN_ARGS...: one boot of the guest named $_name.
l2_once() {
	_start=$(date +%s)
	l2_timeout "$L2_TIMEOUT" "$TMP/$_name.out" "$VRUN" --kernel "$VK_SANDBOX_KERNEL" --initrd "$TMP/l2.cpio" \
		--memory 256 "$@" </dev/null >"$TMP/$_name.out" 2>&1
	status=$?
}
# l2 NAME VRUN_ARGS...: boots the guest (again after a sandbox flake);
# console in $TMP/NAME.out, status in $status, seconds in $secs.
l2() {
	_name=$1; shift
	l2_once "$@"
	l2_again "L2 boot '$_name'" "$TMP/$_name.out" "" l2_once "$@"
	secs=$(($(date +%s) - _start))
	echo "# L2 boot '$_name': status $status after ${secs}s"
}
# seen NAME "description" LINE: the guest printed LINE.
seen() {
	if tr -d '\r' <"$TMP/$1.out" | grep -qxF "$3"; then ok 0 "$2"; else
		ok 1 "$2 (no '$3' on the console)"; tail -n 20 "$TMP/$1.out" | sed 's/^/# /'; fi
}
# sector FILE N: the start of 512-byte sector N of a raw file.
sector() { dd if="$1" bs=512 skip="$2" count=1 2>/dev/null | tr -d '\0' | head -n 1; }

BASE="console=ttyS0 panic=-1 quiet vk.mark=$MARK"
l2 main --cpus 2 --disk "path=$TMP/raw.img,serial=vk-serial-vda" --disk "path=$TMP/disk.qcow2,format=qcow2" \
	--net "bridge=$VK_SANDBOX_BRIDGE" --rng \
	--cmdline "$BASE vk.boot=1 vk.disks=vda,vdb vk.ip=$GUEST_IP vk.peer=$VK_SANDBOX_BRIDGE_ADDR vk.serial=1 vk.rng=1 vk.end=poweroff"
ok $((status != 0)) "guest poweroff: vrun exits 0 (got $status)"
seen main "init reached" "vk-test: init reached"
seen main "a 2-vCPU guest sees 2 CPUs" "vk-test: cpus 2"
seen main "the guest reads the raw disk" "vk-test: vda first sector: raw-disk-seed"
seen main "the guest reads the qcow2 disk" "vk-test: vdb first sector: qcow2-disk-seed"
seen main "the guest writes the raw disk" "vk-test: vda write ok"
seen main "the guest writes the qcow2 disk" "vk-test: vdb write ok"
seen main "the guest pings L1's bridge over virtio-net" "vk-test: ping ok"
seen main "the guest reads the disk's serial (virtio-blk GET_ID)" "vk-test: vda serial: vk-serial-vda"
seen main "the guest's hwrng is virtio-rng" "vk-test: hwrng: virtio_rng.0"
seen main "the guest reads 64 bytes from /dev/hwrng" "vk-test: hwrng bytes: 64"
check "raw image: the guest's marker is in the file" \
	test "$(sector "$TMP/raw.img" 2048)" = "$MARK-vda-1"
check "qcow2 image: qemu-img reads it back after vrun exits" \
	qemu-img convert -f qcow2 -O raw "$TMP/disk.qcow2" "$TMP/qcow2.raw"
check "qcow2 image: the guest's marker is in the image" \
	test "$(sector "$TMP/qcow2.raw" 2048)" = "$MARK-vdb-1"
check "qcow2 image: qemu-img check finds it consistent" qemu-img check -f qcow2 "$TMP/disk.qcow2"

l2 reboot --cpus 1 --no-reboot --disk "path=$TMP/raw.img,readonly=on" \
	--cmdline "$BASE vk.boot=2 vk.disks=vda vk.end=reboot"
ok $((status != 2)) "guest reboot under --no-reboot: vrun exits 2 (got $status)"
seen reboot "init reached after a previous run" "vk-test: init reached"
seen reboot "a 1-vCPU guest sees 1 CPU" "vk-test: cpus 1"
seen reboot "the first run's marker is read back" "vk-test: vda marker sector: $MARK-vda-1"
seen reboot "a read-only disk refuses the guest's write" "vk-test: vda write failed"
check "read-only disk: the image is unchanged" test "$(sector "$TMP/raw.img" 2048)" = "$MARK-vda-1"

done_testing
