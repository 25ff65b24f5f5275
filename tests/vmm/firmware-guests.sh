#!/bin/sh
# firmware-guests.sh - the PC firmware interface on KVM: the fw_cfg protocol from a tiny guest,
# and SeaBIOS from Debian's package booting boot sectors from virtio disks: boot order,
# boot menu keys over the serial console, a reset through port 0xCF9.
#
# Self-contained like tiny-guests.sh, so the nested sandbox can run it inside L1.
vrun_from_env=${VRUN:-}
. "${top_srcdir:-.}/tests/lib/tap.sh"
VRUN=${vrun_from_env:-$VRUN}
GUESTS=${top_builddir:-.}/tests/vmm/guests
SEABIOS=/usr/share/seabios/bios-256k.bin

if [ ! -e /dev/kvm ]; then
	skip_all "/dev/kvm does not exist on this host (the nested sandbox, tests/sandbox, runs these)"
fi
if ! { : <>/dev/kvm; } 2>/dev/null; then
	skip_all "/dev/kvm is not usable by $(id -un)"
fi
tap_setup_tmp

# fw_cfg as a firmware drives it (tests/vmm/guests/fwcfg.S).
timeout 60 "$VRUN" --memory 16 --console "file=$TMP/fwcfg.console" --bios "$GUESTS/fwcfg.bin" \
	>"$TMP/fwcfg.out" 2>&1 </dev/null
ok $? "fwcfg: the guest's checks pass, exit 0"
for what in "signature" "directory" "data port" "dma" "hostile dma"; do
	check "fwcfg: $what ok" grep -q "fw_cfg $what ok" "$TMP/fwcfg.console"
done

if [ ! -r "$SEABIOS" ]; then
	skip "SeaBIOS boots: $SEABIOS is not installed (apt-get install seabios)"
	done_testing
	exit $?
fi

# disk NAME BOOT_SECTOR: a 1 MiB raw disk whose sector 0 is BOOT_SECTOR ("" for none).
disk() {
	rm -f "$TMP/$1.img"
	[ -z "$2" ] || cp "$GUESTS/$2" "$TMP/$1.img"
	truncate -s 1M "$TMP/$1.img"
}
disk a mbr-a.bin
disk b mbr-b.bin
disk blank ""
disk reset mbr-reset.bin

# boot NAME [vrun options]: no --kernel, so SeaBIOS; status in $status.
boot() {
	name=$1
	shift
	timeout 120 "$VRUN" --memory 32 --console "file=$TMP/$name.console" "$@" >"$TMP/$name.out" 2>&1 </dev/null
	status=$?
	[ "$status" = 0 ] || sed 's/^/# vrun: /' "$TMP/$name.out" | tail -5
}

boot seabios --disk "path=$TMP/a.img"
ok $status "SeaBIOS (the default without --kernel) boots a disk's boot sector, which powers off: exit 0"
check "SeaBIOS's banner is on the serial console" grep -q "SeaBIOS (version" "$TMP/seabios.console"
check "the boot sector prints through int 10h, SeaBIOS's serial console" \
	grep -q "vkit boot sector A" "$TMP/seabios.console"

# SeaBIOS boots the first disk in the order only (as under QEMU): a blank
# one fails, and SeaBIOS waits 60 s to retry; stop it once it has said so.
"$VRUN" --memory 32 --console "file=$TMP/blank.console" --disk "path=$TMP/blank.img" \
	--disk "path=$TMP/b.img" >"$TMP/blank.out" 2>&1 </dev/null &
vm=$!
wait_for "$TMP/blank.console" "No bootable device" 60
ok $? "a blank first disk: SeaBIOS finds nothing to boot"
check "it says why" grep -q "Boot failed: not a bootable disk" "$TMP/blank.console"
kill $vm 2>/dev/null
wait_exit $vm 30

# The boot order reaches SeaBIOS as fw_cfg's bootorder (-v shows its log, port 0x402).
boot order -v --boot hd,menu=off --cpus 2 --memory 4096 --disk "path=$TMP/a.img" --disk "path=$TMP/b.img"
ok $status "--boot hd, 2 vCPUs, 4 GiB: exit 0"
check "bootorder lists the first disk first" grep -q "firmware: 1: /pci@i0cf8/scsi@2/disk@0,0" "$TMP/order.out"
check "bootorder lists the second disk second" grep -q "firmware: 2: /pci@i0cf8/scsi@3/disk@0,0" "$TMP/order.out"
check "SeaBIOS read its configuration from fw_cfg (DMA)" \
	grep -q "firmware: QEMU fw_cfg DMA interface supported" "$TMP/order.out"
check "SeaBIOS used vrun's ACPI tables" grep -q "firmware: ACPI: parse DSDT" "$TMP/order.out"
check "SeaBIOS brought up both vCPUs" grep -q "firmware: Found 2 cpu(s)" "$TMP/order.out"
check "etc/e820: 3 GiB below the PCI hole" \
	grep -q "firmware: qemu/e820: addr 0x0000000000000000 len 0x00000000c0000000 \[RAM\]" "$TMP/order.out"
check "etc/e820: the rest above 4 GiB" \
	grep -q "firmware: qemu/e820: addr 0x0000000100000000 len 0x0000000040000000 \[RAM\]" "$TMP/order.out"
check "the first disk booted" grep -q "vkit boot sector A" "$TMP/order.console"

boot reset --disk "path=$TMP/reset.img" --no-reboot
ok $((status != 2)) "a reset through port 0xCF9 exits 2 under --no-reboot (got $status)"
check "the resetting boot sector ran" grep -q "vkit boot sector resets" "$TMP/reset.console"
# In place: SeaBIOS runs again from a fresh copy of itself and boots the
# sector again, which powers off on its second boot (counted in CMOS RAM).
boot inplace --disk "path=$TMP/reset.img"
ok $status "a reset through port 0xCF9 in place: SeaBIOS boots the disk again, which powers off (got $status)"
check "SeaBIOS ran twice in one vrun" sh -c '[ "$(grep -c "SeaBIOS (version" "$1")" = 2 ]' sh "$TMP/inplace.console"
check "the boot sector ran twice" sh -c '[ "$(grep -c "vkit boot sector resets" "$1")" = 2 ]' sh "$TMP/inplace.console"
check "the reset is logged with its time and cause" \
	grep -qE "^vrun: [0-9:]{8} guest reboot \\(reset control register 0xCF9\\)$" "$TMP/inplace.out"

# A CD-ROM on the AHCI controller in the boot order: a no-emulation El
# Torito image (xorriso) whose boot image is boot sector B; disk A as well.
if command -v xorriso >/dev/null 2>&1; then
	mkdir -p "$TMP/cdtree"
	cp "$GUESTS/mbr-b.bin" "$TMP/cdtree/boot.bin"
	truncate -s 2048 "$TMP/cdtree/boot.bin"
	xorriso -as mkisofs -quiet -V vkit-boot -b boot.bin -no-emul-boot -boot-load-size 4 \
		-o "$TMP/boot.iso" "$TMP/cdtree" >/dev/null 2>&1
	boot cdfirst -v --boot cdrom,hd --disk "path=$TMP/a.img" --cdrom "$TMP/boot.iso"
	ok $status "--boot cdrom,hd with a disk and a CD-ROM: exit 0"
	check "bootorder names the AHCI drive (slot 3, port 0) first" \
		grep -q "firmware: 1: /pci@i0cf8/sata@3/drive@0/disk@0" "$TMP/cdfirst.out"
	check "SeaBIOS boots the CD" grep -q "Booting from DVD/CD" "$TMP/cdfirst.console"
	check "the CD's El Torito boot image ran" grep -q "vkit boot sector B" "$TMP/cdfirst.console"
	boot cdlast --boot hd,cdrom --disk "path=$TMP/a.img" --cdrom "$TMP/boot.iso"
	ok $status "--boot hd,cdrom: exit 0"
	check "the disk boots first" grep -q "vkit boot sector A" "$TMP/cdlast.console"
else
	for i in 1 2 3 4 5 6; do skip "CD-ROM boot order: xorriso is not installed"; done
fi

# The boot menu over the serial console: ESC at the prompt, then "2" for
# the second disk although the first comes first in the order.
mkfifo "$TMP/keys"
"$VRUN" --memory 32 --boot hd,menu=on --disk "path=$TMP/a.img" --disk "path=$TMP/b.img" \
	<"$TMP/keys" >"$TMP/menu.console" 2>"$TMP/menu.out" &
vm=$!
exec 3>"$TMP/keys"
if wait_for "$TMP/menu.console" "Press ESC for boot menu" 60; then
	printf '\033' >&3
	wait_for "$TMP/menu.console" "Select boot device" 30 && printf '2' >&3
fi
wait_exit $vm 60
status=$?
exec 3>&-
ok $status "--boot menu=on: exit 0"
check "the menu prompt is on the serial console" grep -q "Press ESC for boot menu" "$TMP/menu.console"
check "ESC over the serial console opens the menu" grep -q "Select boot device" "$TMP/menu.console"
check "choosing 2 boots the second disk" grep -q "vkit boot sector B" "$TMP/menu.console"

done_testing
