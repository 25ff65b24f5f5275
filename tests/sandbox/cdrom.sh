#!/bin/sh
# cdrom.sh - Debian's kernel in the nested sandbox finds two vrun CD-ROMs through its in-box ahci and sr_mod: /dev/sr0 and /dev/sr1, ISO 9660 mounted, files read back byte-exact, writes refused.
#
# One L1 boot, two L2 boots (the second with pci=nomsi, for INTx): vrun --disk path=B.iso,device=cdrom --cdrom A.iso
# (--disk's drives come first, so B is sr0; B's size is not a multiple of
# 2048); the guest loads ahci, sr_mod and isofs, mounts both, prints
# sha256sums of their files and what the kernel says about the drives,
# tries a write and powers off.  (Opening the tray is left to the unit
# tests: Debian's busybox has no eject.)
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "${top_srcdir:-.}/tests/sandbox/enter-l1.sh"
tap_setup_tmp

L2_TIMEOUT=${VK_L2_TIMEOUT:-300}
command -v xorriso >/dev/null 2>&1 || skip_all "xorriso not found (apt-get install xorriso)"

cat >"$TMP/test-init" <<'EOF'
echo "vk-test: init reached"
n=0
while { [ ! -b /dev/sr0 ] || [ ! -b /dev/sr1 ]; } && [ $n -lt 100 ]; do sleep 0.2; n=$((n + 1)); done
for d in sr0 sr1; do
	[ -b /dev/$d ] && echo "vk-test: $d present"
	echo "vk-test: $d model: $(cat /sys/block/$d/device/vendor 2>/dev/null) $(cat /sys/block/$d/device/model 2>/dev/null)"
	echo "vk-test: $d read-only: $(cat /sys/block/$d/ro 2>/dev/null)"
	echo "vk-test: $d size: $(cat /sys/block/$d/size 2>/dev/null)"
	mkdir -p /mnt/$d
	if mount -t iso9660 -o ro /dev/$d /mnt/$d; then echo "vk-test: $d mounted"; fi
done
echo "vk-test: sr0 serial $(cat /sys/block/sr0/device/vpd_pg80 2>/dev/null | tr -dc 'A-Z0-9-')"
echo "vk-test: sr0 payload $(sha256sum /mnt/sr0/second.bin | cut -d' ' -f1)"
echo "vk-test: sr1 payload $(sha256sum /mnt/sr1/payload.bin | cut -d' ' -f1)"
echo "vk-test: sr1 note $(cat /mnt/sr1/dir/note.txt)"
# Past the filesystem: the last sector, padded with zeros, read raw.
echo "vk-test: sr0 tail $(dd if=/dev/sr0 bs=2048 skip=$(($(cat /sys/block/sr0/size) / 4 - 1)) count=1 2>/dev/null | sha256sum | cut -d' ' -f1)"
if dd if=/dev/zero of=/dev/sr1 bs=2048 count=1 2>/dev/null; then echo "vk-test: sr1 write accepted"; else
	echo "vk-test: sr1 write refused"; fi
echo "vk-test: links up $(dmesg | grep -c 'SATA link up 1.5 Gbps')"
echo "vk-test: libata complaints $(dmesg | grep -cE 'ata[0-9].*(failed|exception|error|timeout)')"
echo "vk-test: ahci irq $(grep -m1 ahci /proc/interrupts | grep -o 'PCI-MSI\|IO-APIC')"
umount /mnt/sr0 /mnt/sr1
echo "vk-test: done"
EOF
"$top_srcdir/tests/sandbox/mkinitramfs-l2.sh" "$TMP/l2.cpio" "$TMP/test-init" ahci sr_mod isofs
ok $? "mkinitramfs-l2.sh builds the guest's initramfs with ahci, sr_mod and isofs"

# Two ISOs built with xorriso; B gets 100 bytes more than its sectors.
mkdir -p "$TMP/a/dir" "$TMP/b"
head -c 3000000 /dev/urandom >"$TMP/a/payload.bin"
echo "vkit cd note" >"$TMP/a/dir/note.txt"
head -c 700001 /dev/urandom >"$TMP/b/second.bin"
xorriso -as mkisofs -quiet -R -V VKCD_A -o "$TMP/a.iso" "$TMP/a" >/dev/null 2>&1 &&
	xorriso -as mkisofs -quiet -R -V VKCD_B -o "$TMP/b.iso" "$TMP/b" >/dev/null 2>&1 &&
	head -c 100 /dev/urandom >>"$TMP/b.iso"
ok $? "two ISO images (xorriso)"
b_sectors=$((($(stat -c %s "$TMP/b.iso") + 2047) / 2048))
tail_sum=$({ tail -c 100 "$TMP/b.iso"; head -c 1948 /dev/zero; } | sha256sum | cut -d' ' -f1)

# boot NAME CMDLINE-EXTRA: one L2 boot, console in $TMP/NAME.out.
boot_once() {
	_start=$(date +%s)
	rm -f "$TMP/$_name.out"
	l2_timeout "$L2_TIMEOUT" "$TMP/$_name.out" "$VRUN" --kernel "$VK_SANDBOX_KERNEL" \
		--initrd "$TMP/l2.cpio" --memory 256 --disk "path=$TMP/b.iso,device=cdrom,serial=VK-B" \
		--cdrom "$TMP/a.iso" --cmdline "console=ttyS0 panic=-1 quiet $1" </dev/null >"$TMP/$_name.out" 2>&1
	status=$?
}
boot() {
	_name=$1; shift
	boot_once "$@"
	l2_again "L2 boot '$_name'" "$TMP/$_name.out" "" boot_once "$@"
	echo "# L2 boot '$_name': status $status after $(($(date +%s) - _start))s"
}

# seen NAME "description" LINE: boot NAME's guest printed LINE.
seen() {
	if tr -d '\r' <"$TMP/$1.out" | grep -qxF "$3"; then ok 0 "$2"; else
		ok 1 "$2 (no '$3' on the console)"; tail -n 25 "$TMP/$1.out" | sed 's/^/# /'; fi
}

# Linux takes the controller's MSI.
boot msi ""
ok $((status != 0)) "the guest powers off: vrun exits 0 (got $status)"
seen msi "init reached" "vk-test: init reached"
seen msi "the kernel sees /dev/sr0" "vk-test: sr0 present"
seen msi "the kernel sees /dev/sr1" "vk-test: sr1 present"
seen msi "sr0 is vrun's drive (INQUIRY)" "vk-test: sr0 model: vkit     DVD-ROM         "
seen msi "sr0 is read-only" "vk-test: sr0 read-only: 1"
seen msi "sr1 is read-only" "vk-test: sr1 read-only: 1"
seen msi "sr0's size is its sectors, the last one padded" "vk-test: sr0 size: $((b_sectors * 4))"
seen msi "sr0's ISO 9660 mounts" "vk-test: sr0 mounted"
seen msi "sr1's ISO 9660 mounts" "vk-test: sr1 mounted"
seen msi "a file on sr0 reads back byte-exact" "vk-test: sr0 payload $(sha256sum "$TMP/b/second.bin" | cut -d' ' -f1)"
seen msi "a 3 MB file on sr1 reads back byte-exact" \
	"vk-test: sr1 payload $(sha256sum "$TMP/a/payload.bin" | cut -d' ' -f1)"
seen msi "a file in a directory on sr1" "vk-test: sr1 note vkit cd note"
seen msi "sr0's partial last sector reads as the image's bytes, then zeros" "vk-test: sr0 tail $tail_sum"
seen msi "a write to sr1 is refused" "vk-test: sr1 write refused"
seen msi "both SATA links come up" "vk-test: links up 2"
seen msi "the guest finished" "vk-test: done"
seen msi "the guest's ahci interrupt is an MSI" "vk-test: ahci irq PCI-MSI"
seen msi "libata reports no failed command, exception or timeout" "vk-test: libata complaints 0"
seen msi "sr0's serial= is its unit serial number (VPD page 80h)" "vk-test: sr0 serial VK-B"

# pci=nomsi: the same through INTA#, routed by the ACPI _PRT.
boot intx pci=nomsi
ok $((status != 0)) "pci=nomsi: the guest powers off (got $status)"
seen intx "pci=nomsi: the ahci interrupt is an IOAPIC line" "vk-test: ahci irq IO-APIC"
seen intx "pci=nomsi: a 3 MB file on sr1 reads back byte-exact" \
	"vk-test: sr1 payload $(sha256sum "$TMP/a/payload.bin" | cut -d' ' -f1)"
seen intx "pci=nomsi: the guest finished" "vk-test: done"
done_testing
