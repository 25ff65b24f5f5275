#!/bin/sh
# cdrom.sh - vrun's CD-ROMs in the nested sandbox: Debian's kernel finds two through its in-box ahci and sr_mod (ISO 9660 mounted, files read back byte-exact, writes refused); SeaBIOS boots CDs (El Torito): a grub-mkrescue installer under vinstall --cdrom, and Debian's installer from an ISOLINUX CD.
#
# One L1 boot, five L2 boots:
#   1, 2. vrun --disk path=B.iso,device=cdrom --cdrom A.iso --kernel (the
#      second with pci=nomsi, for INTx; --disk's drives come first, so B is
#      sr0; B's size is not a multiple of 2048); the guest loads ahci,
#      sr_mod and isofs, mounts both, prints sha256sums of their files and
#      what the kernel says about the drives, tries a write and powers off.
#      (Opening the tray is left to the unit tests: Debian's busybox has no
#      eject.)
#   3, 4. vinstall --cdrom with a grub-mkrescue ISO: SeaBIOS boots GRUB
#      from the CD, whose installer writes a GRUB disk and reboots; vinstall
#      detaches the CD and the disk boots itself.
#   5. an ISO laid out like Debian's installer CD (ISOLINUX, install.amd/
#      with the kernel and initrd of debian-installer-12-netboot-amd64, the
#      initrd completed with the disk and CD drivers a CD's initrd has):
#      ISOLINUX's menu on the serial console, the installer's kernel, its
#      udev finding the CD-ROM and the virtio disk, its first screen.
. "${top_srcdir:-.}/tests/lib/tap.sh"
if [ -z "${VKIT_IN_SANDBOX:-}" ] && [ "${VK_SANDBOX_TESTS:-yes}" != no ]; then
	# On the host, where the network is: the installer kernel's drivers
	# (apt-get download, once; cached), handed to L1 in VK_* variables.
	vk_sb_srcdir=${top_srcdir:-.}/tests/sandbox vk_sb_cache=${top_builddir:-.}/tests/sandbox/cache
	. "$vk_sb_srcdir/sandbox-lib.sh"
	vk_sb_di_modules ahci sr_mod virtio_blk >/dev/null 2>&1 || VK_SANDBOX_DI_WHY=$vk_sb_why
	export VK_SANDBOX_DI_MODULES VK_SANDBOX_DI_WHY
	VK_L1_OPTIONS="${VK_L1_OPTIONS:-} --timeout 2400"
fi
. "${top_srcdir:-.}/tests/sandbox/enter-l1.sh"
tap_setup_tmp

L2_TIMEOUT=${VK_L2_TIMEOUT:-300}
command -v xorriso >/dev/null 2>&1 || skip_all "xorriso not found (apt-get install xorriso)"
vk_sb_srcdir=$top_srcdir/tests/sandbox vk_sb_cache=$top_builddir/tests/sandbox/cache
. "$vk_sb_srcdir/sandbox-lib.sh"
vk_sb_find_busybox || skip_all "$vk_sb_why"

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

# --- vinstall --cdrom: an installer CD made with grub-mkrescue (a hybrid
# El Torito image of GRUB, Debian's kernel and an initramfs whose init
# copies a prepared GRUB disk onto /dev/vda and reboots) boots from vrun's
# AHCI CD-ROM through SeaBIOS; vinstall detaches the CD at the reboot and
# the disk boots itself through SeaBIOS and GRUB.  Two L2 boots.
# seen_in "description" TEXT: vinstall's output (both consoles) has TEXT.
seen_in() {
	if tr -d '\r' <"$TMP/vi.out" | grep -qF -- "$2"; then ok 0 "$1"; else
		ok 1 "$1 (no '$2')"; tr -d '\r' <"$TMP/vi.out" | grep -v '^$' | tail -n 25 | sed 's/^/# /'; fi
}
# cd_install: vinstall in a fresh state directory, both phases' consoles in
# $TMP/vi.out (vinstall relays them), status in $status.
cd_install() {
	_start=$(date +%s)
	rm -rf "$TMP/vk" "$TMP/vi.out"
	VKIT_DIR=$TMP/vk VKIT_TEMPLATEDIR=$top_srcdir/templates l2_timeout $((2 * L2_TIMEOUT)) "$TMP/vi.out" \
		"$top_builddir/tools/vinstall" --name cdvm --cdrom "$TMP/installer.iso" --disk size=1 \
		--memory 256 --network none --wait 20 </dev/null >"$TMP/vi.out" 2>&1
	status=$?
	# A vinstall stopped early leaves its vrun running.
	[ -s "$TMP/vk/run/cdvm.pid" ] && kill "$(cat "$TMP/vk/run/cdvm.pid")" 2>/dev/null
}
# grub-mkrescue makes its El Torito image from grub-pc-bin's cdboot.img.
if ! command -v grub-mkrescue >/dev/null 2>&1 || [ ! -r /usr/lib/grub/i386-pc/cdboot.img ] ||
    ! command -v mformat >/dev/null 2>&1; then
	skip "vinstall --cdrom: grub-mkrescue needs grub-pc-bin, grub-common and mtools"
else
	# The installed system: GRUB's menu, the kernel, an init that says where it runs.
	mkdir -p "$TMP/sys/bin" "$TMP/sys/sbin" "$TMP/sys/proc" "$TMP/sys/dev" "$TMP/sys/boot/grub" "$TMP/cd/boot/grub"
	cp "$VK_SANDBOX_BUSYBOX" "$TMP/sys/bin/busybox"
	cp "$VK_SANDBOX_KERNEL" "$TMP/sys/boot/vmlinuz"
	printf '%s\n' "serial --unit=0 --speed=115200" "terminal_input serial" "terminal_output serial" \
		"set timeout=1" "menuentry 'vkit installed system' {" \
		"	linux /boot/vmlinuz root=/dev/vda1 console=ttyS0 quiet panic=-1" "	initrd /boot/initrd.img" "}" \
		>"$TMP/sys/boot/grub/grub.cfg"
	printf '%s\n' '#!/bin/busybox sh' '/bin/busybox --install -s /bin' 'export PATH=/bin' \
		'mount -t proc proc /proc' \
		'echo "vk-installed: init $$ with root $(grep "^/dev/" /proc/mounts | grep " / " | cut -d" " -f1-3)"' \
		'poweroff -f' >"$TMP/sys/sbin/init"
	chmod 755 "$TMP/sys/sbin/init"
	# The installer: copies the system's disk image from the CD to the disk.
	printf '%s\n' 'echo "vk-installer: init reached"' 'n=0' \
		'while { [ ! -b /dev/sr0 ] || [ ! -b /dev/vda ]; } && [ $n -lt 100 ]; do sleep 0.2; n=$((n + 1)); done' \
		'mkdir -p /cd' \
		'mount -t iso9660 -o ro /dev/sr0 /cd && echo "vk-installer: the CD is /dev/sr0"' \
		'gzip -dc /cd/disk.img.gz | dd of=/dev/vda bs=1M conv=fsync 2>/dev/null && echo "vk-installer: /dev/vda written"' \
		'umount /cd' 'echo "vk-installer: rebooting"' 'reboot -f' >"$TMP/installer-init"
	vk_sb_root_initrd "$TMP/sys/boot/initrd.img" &&
		sh "$top_srcdir/tests/vmm/mkgrubdisk.sh" "$TMP/disk.img" "$TMP/sys" 32 >"$TMP/mkgrubdisk.out" 2>&1 &&
		gzip -1 -c "$TMP/disk.img" >"$TMP/cd/disk.img.gz" &&
		"$top_srcdir/tests/sandbox/mkinitramfs-l2.sh" "$TMP/cd/installer.img" "$TMP/installer-init" \
			ahci sr_mod isofs &&
		cp "$VK_SANDBOX_KERNEL" "$TMP/cd/vmlinuz" &&
		printf '%s\n' "serial --unit=0 --speed=115200" "terminal_input serial" "terminal_output serial" \
			"set timeout=1" "menuentry 'vkit CD installer' {" \
			"	linux /vmlinuz console=ttyS0 quiet panic=-1" "	initrd /installer.img" "}" \
			>"$TMP/cd/boot/grub/grub.cfg" &&
		grub-mkrescue -o "$TMP/installer.iso" "$TMP/cd" >"$TMP/mkrescue.out" 2>&1
	ok $? "an installer CD from grub-mkrescue, holding a GRUB disk image to install" ||
		sed 's/^/# /' "$TMP/mkgrubdisk.out" "$TMP/mkrescue.out"

	cd_install
	l2_again "vinstall --cdrom" "$TMP/vi.out" "" cd_install
	echo "# vinstall --cdrom: status $status after $(($(date +%s) - _start))s"
	ok $status "vinstall --cdrom: the install and the installed system's first boot, exit 0 (got $status)"
	seen_in "SeaBIOS boots the CD (El Torito) from the AHCI CD-ROM" "Booting from DVD/CD..."
	seen_in "GRUB's menu from the CD on the serial console" "vkit CD installer"
	seen_in "the CD's kernel reaches the installer's init" "vk-installer: init reached"
	seen_in "the installer reads the CD" "vk-installer: the CD is /dev/sr0"
	seen_in "the installer writes the disk" "vk-installer: /dev/vda written"
	seen_in "vinstall finds GRUB on the installed disk" "boots itself through the firmware (GRUB in its first sector)"
	seen_in "the disk boots through SeaBIOS and its GRUB" "vkit installed system"
	seen_in "the installed system reaches its init, root on the disk" "vk-installed: init 1 with root /dev/vda1 / ext4"
	grep -q '"kind": "disk"' "$TMP/vk/vms/cdvm.json" && ! grep -q installer.iso "$TMP/vk/vms/cdvm.json"
	ok $? "the definition boots the disk through the firmware, the CD detached"
fi

# --- Debian's installer from an ISOLINUX CD, to its first screen.  Its
# netboot initrd lacks the disk and CD drivers (the installer fetches them
# from a mirror later; the CD's initrd carries them): they come from the
# linux-image package of the installer's own kernel, appended to the
# initrd.  The cheapest sign that the installer sees both drives is its
# kernel's notices once its udev has loaded those drivers at start
# (loglevel=6): the virtio disk's size and the SCSI CD-ROM's INQUIRY.
# di_boot: vrun until the installer's first screen; 0 when it came, 124
# when it did not within the limit (or the kernel said it hung), vrun's
# status when vrun ended first.
DI_SCREEN="Choose the language to be used for the installation process"
di_boot() {
	_start=$(date +%s)
	rm -f "$TMP/di.console"
	: >"$TMP/di.console"
	"$VRUN" --memory 1024 --cdrom "$TMP/di.iso" --disk "path=$TMP/di-disk.img" --boot cdrom,hd \
		--console "file=$TMP/di.console" </dev/null >"$TMP/di.out" 2>&1 &
	_vm=$!
	status=124
	while [ $(($(date +%s) - _start)) -lt $((2 * L2_TIMEOUT)) ] && ! l2_hung "$TMP/di.console"; do
		if grep -qF "$DI_SCREEN" "$TMP/di.console"; then status=0; break; fi
		if ! kill -0 $_vm 2>/dev/null; then wait $_vm; status=$?; break; fi
		sleep 2
	done
	kill $_vm 2>/dev/null
	wait $_vm 2>/dev/null
	cat "$TMP/di.console" >>"$TMP/di.out"
}
DI=/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64
if [ ! -r "$DI/initrd.gz" ] || [ ! -r /usr/lib/ISOLINUX/isolinux.bin ] ||
    [ ! -r /usr/lib/syslinux/modules/bios/menu.c32 ]; then
	skip "Debian's installer CD: needs debian-installer-12-netboot-amd64, isolinux and syslinux-common"
elif [ -z "${VK_SANDBOX_DI_MODULES:-}" ] || [ ! -s "$VK_SANDBOX_DI_MODULES" ]; then
	skip "Debian's installer CD: ${VK_SANDBOX_DI_WHY:-the installer kernel's drivers were not prepared}"
else
	mkdir -p "$TMP/dicd/isolinux" "$TMP/dicd/install.amd"
	cp /usr/lib/ISOLINUX/isolinux.bin "$TMP/dicd/isolinux/" &&
		for m in ldlinux menu libutil libcom32; do cp "/usr/lib/syslinux/modules/bios/$m.c32" "$TMP/dicd/isolinux/"; done &&
		printf '%s\n' "serial 0 115200" "ui menu.c32" "menu title vkit installer CD: Debian's installer" \
			"timeout 20" "default install" "label install" "	menu label ^Install, serial console" \
			"	kernel /install.amd/vmlinuz" \
			"	append initrd=/install.amd/initrd.gz console=ttyS0,115200n8 DEBIAN_FRONTEND=text loglevel=6 ---" \
			>"$TMP/dicd/isolinux/isolinux.cfg" &&
		cp "$DI/linux" "$TMP/dicd/install.amd/vmlinuz" &&
		cat "$DI/initrd.gz" "$VK_SANDBOX_DI_MODULES" >"$TMP/dicd/install.amd/initrd.gz" &&
		xorriso -as mkisofs -quiet -r -V "vkit Debian installer" -b isolinux/isolinux.bin -c isolinux/boot.cat \
			-no-emul-boot -boot-load-size 4 -boot-info-table -o "$TMP/di.iso" "$TMP/dicd" >/dev/null 2>&1 &&
		rm -rf "$TMP/dicd" && truncate -s 1G "$TMP/di-disk.img"
	ok $? "an ISO laid out like Debian's installer CD: ISOLINUX, install.amd/vmlinuz and initrd.gz"
	# A boot costs minutes: at most two.
	L2_FLAKE_TRIES=2
	di_boot
	l2_again "Debian's installer" "$TMP/di.out" "" di_boot
	echo "# Debian's installer: status $status after $(($(date +%s) - _start))s"
	ok $status "the installer reaches its first screen on the serial console (got $status)"
	seen_in_di() {	# seen_in_di "description" TEXT: the console has TEXT
		if tr -d '\r' <"$TMP/di.out" | grep -aqF -- "$2"; then ok 0 "$1"; else
			ok 1 "$1 (no '$2')"; tr -d '\r' <"$TMP/di.out" | grep -av '^$' | tail -n 25 | sed 's/^/# /'; fi
	}
	seen_in_di "SeaBIOS boots the CD (El Torito)" "Booting from DVD/CD..."
	seen_in_di "ISOLINUX starts" "ISOLINUX 6.04"
	seen_in_di "ISOLINUX's menu on the serial console" "vkit installer CD: Debian's installer"
	# ISOLINUX's "Loading /install.amd/vmlinuz" is drawn amid the menu's
	# screen updates and was missing from one console of three; the
	# kernel's own banner with the installer's ABI shows the same.
	seen_in_di "ISOLINUX loads the installer's own kernel from the CD, and it runs" "Linux version $(zcat "$VK_SANDBOX_DI_MODULES" | cpio -t --quiet 2>/dev/null | sed -n 's|^lib/modules/\([^/]*\)$|\1|p' | head -n 1)"
	seen_in_di "the installer sees the virtio disk" "[vda] 2097152 512-byte logical blocks"
	seen_in_di "the installer sees vrun's CD-ROM" "CD-ROM            vkit     DVD-ROM"
	seen_in_di "the installer's first screen: choose a language" "$DI_SCREEN"
fi
done_testing
