#!/bin/sh
# firmware.sh - vrun as a PC in the nested sandbox: SeaBIOS boots GRUB 2 from a disk, GRUB's menu on the serial console boots Debian's kernel with its root on that disk, a kernel installed into /boot from inside the guest boots after the guest's reboot (in place, same vrun), a direct kernel boot reboots in place too, and --pxe boots a kernel served by dnsmasq over DHCP and TFTP.
#
# One L1 boot, three vrun runs, five L2 boots (each 30-90 s under TCG):
#   1. the GRUB disk: SeaBIOS, GRUB's menu, the first kernel; the system on
#      the disk copies its kernel to /boot/vmlinuz-second and writes a
#      grub.cfg whose default boots it (what a kernel upgrade does), and
#      reboots (reboot -f: the ACPI reset register); vrun resets the
#      machine in place, SeaBIOS runs again and GRUB boots the second
#      kernel, which powers off: two boots in one vrun;
#   2. the same disk's kernel and initrd with --kernel: the first boot
#      reboots, the kernel is loaded again and boots a second time in the
#      same vrun, then powers off (the disk counts the boots);
#   3. --pxe on the bridge: iPXE from the NIC's option ROM gets an address
#      and a script from dnsmasq (in a network namespace of its own),
#      fetches a kernel and initrd over TFTP and boots them to init.
#
# VK_FIRMWARE_PARTS="disk pxe" (the default) picks the parts to run.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "${top_srcdir:-.}/tests/sandbox/enter-l1.sh"
tap_setup_tmp
PARTS=${VK_FIRMWARE_PARTS:-disk pxe}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

L2_TIMEOUT=${VK_L2_TIMEOUT:-300}
SEABIOS=/usr/share/seabios/bios-256k.bin
[ -r "$SEABIOS" ] || skip_all "SeaBIOS is not installed (apt-get install seabios)"
[ -r /usr/lib/grub/i386-pc/boot.img ] || skip_all "GRUB for BIOS is not installed (apt-get install grub-pc-bin)"
vk_sb_srcdir=$top_srcdir/tests/sandbox vk_sb_cache=$top_builddir/tests/sandbox/cache
. "$vk_sb_srcdir/sandbox-lib.sh"
vk_sb_find_busybox || skip_all "$vk_sb_why"

# l2_once VRUN_ARGS...: one run of $_name (console and vrun's messages in
# $TMP/$_name.out), $_boots guest boots long.
l2_once() {
	_start=$(date +%s)
	[ -z "$_fresh" ] || cp "$TMP/pristine.img" "$TMP/disk.img"
	l2_timeout "$((L2_TIMEOUT * ${_boots:-1}))" "$TMP/$_name.out" "$VRUN" --memory 512 "$@" </dev/null \
		>"$TMP/$_name.out" 2>&1
	status=$?
}
# l2 NAME VRUN_ARGS...: boots (again after a sandbox flake); status in $status.
l2() {
	_name=$1; shift
	l2_once "$@"
	l2_again "L2 boot '$_name'" "$TMP/$_name.out" "" l2_once "$@"
	echo "# L2 boot '$_name': status $status after $(($(date +%s) - _start))s"
}
# seen NAME "description" TEXT: the console of boot NAME has TEXT.
seen() {
	if tr -d '\r' <"$TMP/$1.out" | grep -qF -- "$3"; then ok 0 "$2"; else
		ok 1 "$2 (no '$3' on the console)"; tr -d '\r' <"$TMP/$1.out" | grep -v '^$' | tail -n 15 | sed 's/^/# /'; fi
}
# seen_times NAME "description" N TEXT: the console of run NAME has TEXT on N lines.
seen_times() {
	_n=$(tr -d '\r' <"$TMP/$1.out" | grep -cF -- "$4")
	if [ "$_n" = "$3" ]; then ok 0 "$2"; else
		ok 1 "$2 ('$4' $_n times, not $3)"; tr -d '\r' <"$TMP/$1.out" | grep -v '^$' | tail -n 15 | sed 's/^/# /'; fi
}
# One reset in place, logged by vrun with its time and cause.
RESET_LINE='^vrun: [0-9]{2}:[0-9]{2}:[0-9]{2} guest reboot \(ACPI reset\)$'

if part disk; then
# --- the disk: an initramfs that mounts root= and switches to it, and a root
# filesystem whose /sbin/init reports where it runs.
vk_sb_root_initrd "$TMP/initrd.img"
ok $? "the disk's initramfs: busybox, virtio and ext4, an /init that switches to root="

ROOT=$TMP/root
mkdir -p "$ROOT/bin" "$ROOT/sbin" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/boot/grub"
cp "$VK_SANDBOX_BUSYBOX" "$ROOT/bin/busybox"
cp "$VK_SANDBOX_KERNEL" "$ROOT/boot/vmlinuz-first"
cp "$TMP/initrd.img" "$ROOT/boot/initrd.img"
CMDLINE="root=/dev/vda1 console=ttyS0 quiet panic=-1"
# menuentry NAME KERNEL MARK: one GRUB entry.
menuentry() {
	printf "menuentry '%s' {\n\tlinux /boot/%s %s vk.kernel=%s\n\tinitrd /boot/initrd.img\n}\n" "$1" "$2" "$CMDLINE" "$3"
}
{
	echo "serial --unit=0 --speed=115200"
	echo "terminal_input serial"
	echo "terminal_output serial"
	echo "set timeout=2"
	echo "set default=0"
	menuentry "vkit first kernel" vmlinuz-first first
} >"$ROOT/boot/grub/grub.cfg"
# The grub.cfg a kernel upgrade would write: the new kernel first and default.
{
	sed -n '1,5p' "$ROOT/boot/grub/grub.cfg"
	menuentry "vkit second kernel" vmlinuz-second second
	menuentry "vkit first kernel" vmlinuz-first first
} >"$ROOT/boot/grub/grub.cfg.upgrade"
# The system on the disk: says where its root is and counts its boots on
# the disk; the first kernel installs a "new" one and makes it GRUB's
# default, as an upgrade does.  The disk's first boot reboots, the next
# powers off.
cat >"$ROOT/sbin/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
echo "vk-disk: init $$ with root $(grep '^/dev/' /proc/mounts | grep ' / ' | cut -d' ' -f1-3)"
for w in $(cat /proc/cmdline); do case $w in vk.kernel=*) echo "vk-disk: running the ${w#vk.kernel=} kernel" ;; esac; done
boots=$(($(cat /boot/vk-boots 2>/dev/null || echo 0) + 1))
echo $boots >/boot/vk-boots.new && mv /boot/vk-boots.new /boot/vk-boots && sync
echo "vk-disk: boot $boots of this disk"
if grep -q vk.kernel=first /proc/cmdline; then
	cp /boot/vmlinuz-first /boot/vmlinuz-second.new && mv /boot/vmlinuz-second.new /boot/vmlinuz-second &&
		cp /boot/grub/grub.cfg.upgrade /boot/grub/grub.cfg.new && mv /boot/grub/grub.cfg.new /boot/grub/grub.cfg &&
		sync && echo "vk-disk: second kernel installed"
fi
mount -o remount,ro / ; sync
if [ $boots = 1 ]; then
	echo "vk-disk: rebooting"
	reboot -f
fi
poweroff -f
EOF
chmod 755 "$ROOT/sbin/init"
sh "$top_srcdir/tests/vmm/mkgrubdisk.sh" "$TMP/pristine.img" "$ROOT" 96 >"$TMP/mkgrubdisk.out" 2>&1
ok $? "a raw disk: MBR, GRUB 2's boot.img and core.img from grub-pc-bin, an ext4 root" ||
	sed 's/^/# /' "$TMP/mkgrubdisk.out"

# 1. The first kernel, from a fresh copy of the disk on every try (a try
# that got as far as the upgrade would change what the next one boots);
# its reboot comes back in the same vrun, through SeaBIOS and GRUB again.
_fresh=1 _boots=2
l2 grub --disk "path=$TMP/disk.img"
_fresh= _boots=
ok $status "SeaBIOS, GRUB and Linux from the disk, twice in one vrun: the guest powers off, exit 0 (got $status)"
seen grub "SeaBIOS's banner on the serial console" "SeaBIOS (version"
seen grub "SeaBIOS boots the disk" "Booting from Hard Disk..."
seen grub "GRUB's menu on the serial console" "vkit first kernel"
seen grub "the kernel reaches init with its root on the disk" "vk-disk: init 1 with root /dev/vda1 / ext4"
seen grub "GRUB booted the first kernel" "vk-disk: running the first kernel"
seen grub "the guest installs a second kernel and makes it GRUB's default" "vk-disk: second kernel installed"
seen grub "the guest reboots" "vk-disk: rebooting"
check "vrun resets the machine in place, and logs when and why" grep -qE "$RESET_LINE" "$TMP/grub.out"
seen_times grub "SeaBIOS runs again after the reset" 2 "SeaBIOS (version"
seen grub "GRUB's menu now lists the second kernel" "vkit second kernel"
seen grub "GRUB boots the new default" "vk-disk: running the second kernel"
seen grub "the disk's second boot, in the same vrun" "vk-disk: boot 2 of this disk"
seen_times grub "with its root on the disk again" 2 "vk-disk: init 1 with root /dev/vda1 / ext4"

# 2. A direct kernel boot reboots in place: the kernel and initrd are
# loaded again (from the descriptors vrun keeps), the disk boots twice.
_fresh=1 _boots=2
l2 direct --kernel "$VK_SANDBOX_KERNEL" --initrd "$TMP/initrd.img" --disk "path=$TMP/disk.img" \
	--cmdline "$CMDLINE vk.kernel=direct"
_fresh= _boots=
ok $status "--kernel, rebooted in place: the second boot powers off, exit 0 (got $status)"
seen_times direct "the kernel reaches init twice" 2 "vk-disk: running the direct kernel"
seen direct "the disk's first boot reboots" "vk-disk: rebooting"
check "vrun resets the machine in place, and logs when and why" grep -qE "$RESET_LINE" "$TMP/direct.out"
seen direct "the disk's second boot, in the same vrun" "vk-disk: boot 2 of this disk"

fi

# 3. --pxe: dnsmasq in a network namespace, joined to L1's bridge by a veth pair.
PXE_NS=vkpxe$$
PXE_ADDR=10.0.2.3
if ! part pxe; then
	:
elif ! command -v dnsmasq >/dev/null 2>&1 && [ ! -x /usr/sbin/dnsmasq ]; then
	skip "--pxe: dnsmasq is not installed (apt-get install dnsmasq-base)"
elif [ ! -r /usr/lib/ipxe/qemu/pxe-virtio.rom ]; then
	skip "--pxe: iPXE's ROM is not installed (apt-get install ipxe-qemu)"
else
	cat >"$TMP/pxe-init" <<'EOF'
echo "vk-pxe: init reached, cmdline $(cat /proc/cmdline)"
EOF
	"$top_srcdir/tests/sandbox/mkinitramfs-l2.sh" "$TMP/tftp-initrd" "$TMP/pxe-init"
	mkdir -p "$TMP/tftp"
	mv "$TMP/tftp-initrd" "$TMP/tftp/initrd"
	cp "$VK_SANDBOX_KERNEL" "$TMP/tftp/vmlinuz"
	printf '#!ipxe\necho vk-pxe: the script from TFTP runs\nkernel tftp://%s/vmlinuz console=ttyS0 quiet panic=-1 vk.pxe=1\ninitrd tftp://%s/initrd\nboot\n' \
		$PXE_ADDR $PXE_ADDR >"$TMP/tftp/boot.ipxe"
	modprobe veth 2>/dev/null
	ip netns add $PXE_NS && ip link add vkpxe0 type veth peer name vkpxe1 &&
		ip link set vkpxe1 netns $PXE_NS && ip link set vkpxe0 master "$VK_SANDBOX_BRIDGE" &&
		ip link set vkpxe0 up && ip -n $PXE_NS link set lo up &&
		ip -n $PXE_NS addr add $PXE_ADDR/24 dev vkpxe1 && ip -n $PXE_NS link set vkpxe1 up
	ok $? "a network namespace on the bridge for the DHCP and TFTP server"
	PATH=$PATH:/usr/sbin ip netns exec $PXE_NS dnsmasq --keep-in-foreground --conf-file=/dev/null \
		--port=0 --interface=vkpxe1 --bind-interfaces --user=root \
		--dhcp-range=10.0.2.100,10.0.2.150,255.255.255.0,1h --dhcp-leasefile="$TMP/leases" \
		--dhcp-boot=boot.ipxe --enable-tftp --tftp-root="$TMP/tftp" --log-facility="$TMP/dnsmasq.log" &
	dnsmasq_pid=$!
	sleep 1
	check "dnsmasq serves DHCP and TFTP" kill -0 $dnsmasq_pid
	l2 pxe --pxe --net "bridge=$VK_SANDBOX_BRIDGE"
	ok $status "--pxe: the network-booted guest powers off, exit 0 (got $status)"
	seen pxe "iPXE from the NIC's option ROM runs" "iPXE"
	seen pxe "iPXE runs the script it got over DHCP and TFTP" "vk-pxe: the script from TFTP runs"
	seen pxe "the kernel and initrd fetched over TFTP reach init" "vk-pxe: init reached, cmdline"
	check "dnsmasq handed out an address" grep -q "DHCPACK" "$TMP/dnsmasq.log"
	check "dnsmasq sent the kernel over TFTP" grep -q "sent .*/vmlinuz" "$TMP/dnsmasq.log"
	kill $dnsmasq_pid 2>/dev/null
	wait $dnsmasq_pid 2>/dev/null
	ip link del vkpxe0 2>/dev/null
	ip netns del $PXE_NS 2>/dev/null
fi

done_testing
