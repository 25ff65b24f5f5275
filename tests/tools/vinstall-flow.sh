#!/bin/sh
# vinstall-flow.sh - the real run with a scripted vrun: phases, final boot, rollback.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v xorriso >/dev/null || skip_all "xorriso is needed to build ISO fixtures"
vi_setup
cd "$TMP" || exit 99
D="$TMP/data"
echo kernel >"$D/vmlinuz"; echo initrd >"$D/initrd.img"; echo ks >"$D/ks.cfg"
mkiso "$D/debian.iso" "Debian 12" install.amd/vmlinuz install.amd/initrd.gz

# A vrun that logs its arguments and exits with the next status of $FAKE_EXITS.
cat >"$TMP/fake-vrun" <<'FAKE'
#!/bin/sh
echo "$*" >>"$FAKE_VRUN_LOG"
n=$(wc -l <"$FAKE_VRUN_LOG")
code=$(echo "$FAKE_EXITS" | cut -d' ' -f"$n")
exit "${code:-1}"
FAKE
chmod +x "$TMP/fake-vrun"
export VKIT_VRUN="$TMP/fake-vrun" FAKE_VRUN_LOG="$TMP/vrun.log"
# --network none: a real run on the default network would start it on
# this host (tests/tools/networks.sh runs that inside namespaces).
run() { rm -f "$FAKE_VRUN_LOG"; FAKE_EXITS=$1; export FAKE_EXITS; shift; "$VINSTALL" --network none "$@" >"$TMP/run.out" 2>&1; }

# Install with a direct kernel; the installer reboots, the system then powers off.
run "2 0" --name f1 --boot kernel="$D/vmlinuz",initrd="$D/initrd.img",kernel_args="root=/dev/vda console=ttyS0" \
	--disk path="$D/f1.img",size=1 --noautoconsole --wait -1
ok $? "install, reboot, first boot: exit 0"
test "$(wc -l <"$FAKE_VRUN_LOG")" -eq 2
ok $? "vrun ran twice (installer, then the installed system)"
sed -n 1p "$FAKE_VRUN_LOG" | grep -q -- "--no-reboot" && ! sed -n 2p "$FAKE_VRUN_LOG" | grep -q -- "--no-reboot"
ok $? "the installer's vrun ends at its reboot (--no-reboot); the installed system's reboots in place"
test -f "$D/f1.img" && test -f "$VKIT_DIR/vms/f1.json"
ok $? "the disk and the definition exist"
grep -q -- "--cmdline root=/dev/vda console=ttyS0" "$FAKE_VRUN_LOG"
ok $? "the kernel arguments reach vrun"
grep -q -- "--console pty" "$FAKE_VRUN_LOG"
ok $? "--noautoconsole gives vrun a pty console"
grep -q "root=/dev/vda" "$VKIT_DIR/vms/f1.json"
ok $? "the definition records the final boot"

# --noreboot: the installer reboots, vinstall does not boot the result.
run "2" --name f2 --boot kernel="$D/vmlinuz",initrd="$D/initrd.img",kernel_args=root=/dev/vda \
	--disk path="$D/f2.img",size=1 --noreboot
ok $? "--noreboot: exit 0"
test "$(wc -l <"$FAKE_VRUN_LOG")" -eq 1 && grep -q "installed and stopped" "$TMP/run.out"
ok $? "--noreboot: vrun ran once and the VM is left stopped"
grep -q "start it with: vctl start f2" "$TMP/run.out" &&
	grep -A1 "or run vrun by hand:" "$TMP/run.out" | grep -q -- "fake-vrun --name f2 --kernel $VKIT_DIR/boot/f2/installer-kernel" &&
	test -x "${top_builddir:-.}/tools/vctl"
ok $? "--noreboot: says how to start it, with commands that exist (vctl start, or vrun's command line)"

# Power-off during the install leaves the VM defined and stopped.
run "0" --name f3 --boot kernel="$D/vmlinuz",kernel_args=root=/dev/vda --disk path="$D/f3.img",size=1
ok $? "installer powers off: exit 0"
test -f "$VKIT_DIR/vms/f3.json" && test "$(wc -l <"$FAKE_VRUN_LOG")" -eq 1 && grep -q "powered off during the install" "$TMP/run.out"
ok $? "installer powers off: defined, stopped, not started again"

# --initrd-inject appends a newc archive holding the file.
run "1" --name f4 --boot kernel="$D/vmlinuz",initrd="$D/initrd.img" --disk path="$D/f4.img",size=1 \
	--initrd-inject "$D/ks.cfg" --noautoconsole --wait 1
test $? -ne 0 && grep -q "vrun failed" "$TMP/run.out"
ok $? "vrun failing is an error, and says so after the rollback"
test ! -e "$D/f4.img" && test ! -e "$VKIT_DIR/vms/f4.json" && test ! -e "$VKIT_DIR/boot/f4"
ok $? "vrun failing removes the disk, definition and boot files of this run"

# --location: the installer files come out of the ISO; the ISO is attached as a CD-ROM.
run "0" --name f5 --os-variant debian12 --location "$D/debian.iso" --disk path="$D/f5.img",size=1
grep -q -- "--kernel $VKIT_DIR/boot/f5/installer-kernel" "$FAKE_VRUN_LOG" &&
	grep -q -- "--disk path=$D/debian.iso,format=raw,device=cdrom" "$FAKE_VRUN_LOG"
ok $? "--location: kernel extracted into boot/NAME, ISO attached as a CD-ROM"
grep -qx "file install.amd/vmlinuz" "$VKIT_DIR/boot/f5/installer-kernel"
ok $? "--location: the extracted kernel is the ISO's file"

# A disk with a boot loader: --import defines a firmware boot (no kernel copied).
truncate -s 1M "$D/grub.img"
printf 'GRUB \353\000' | dd of="$D/grub.img" conv=notrunc 2>/dev/null
printf '\125\252' | dd of="$D/grub.img" bs=1 seek=510 conv=notrunc 2>/dev/null
run "0" --name m1 --import --disk path="$D/grub.img" --noautoconsole --wait -1
ok $? "--import of a disk with GRUB: exit 0"
! grep -q -- "--kernel" "$FAKE_VRUN_LOG" && grep -q -- "--disk path=$D/grub.img,format=raw" "$FAKE_VRUN_LOG" &&
	grep -q '"kind": "disk"' "$VKIT_DIR/vms/m1.json" && test ! -e "$VKIT_DIR/boot/m1/kernel"
ok $? "--import of a disk with GRUB: vrun boots it through the firmware; the definition says disk"

# An installer that writes a boot loader: the installed system boots itself
# (so the kernels it installs later are the ones that boot).
cat >"$TMP/grub-installer-vrun" <<'FAKE'
#!/bin/sh
echo "$*" >>"$FAKE_VRUN_LOG"
n=$(wc -l <"$FAKE_VRUN_LOG")
if [ "$n" = 1 ]; then
	printf 'GRUB \353\000' | dd of="$FAKE_TARGET" conv=notrunc 2>/dev/null
	printf '\125\252' | dd of="$FAKE_TARGET" bs=1 seek=510 conv=notrunc 2>/dev/null
	exit 2
fi
exit 0
FAKE
chmod +x "$TMP/grub-installer-vrun"
export FAKE_TARGET="$D/m2.img"
VKIT_VRUN="$TMP/grub-installer-vrun" run "" --name m2 --os-variant debian12 --location "$D/debian.iso" --disk path="$D/m2.img",size=1 --noautoconsole --wait -1
ok $? "an install whose installer writes GRUB: exit 0"
test "$(wc -l <"$FAKE_VRUN_LOG")" -eq 2 && sed -n 1p "$FAKE_VRUN_LOG" | grep -q -- "--kernel" &&
	! sed -n 2p "$FAKE_VRUN_LOG" | grep -q -- "--kernel" &&
	grep -q "boots itself through the firmware (GRUB in its first sector)" "$TMP/run.out" &&
	grep -q '"kind": "disk"' "$VKIT_DIR/vms/m2.json"
ok $? "the installed system boots through the firmware, and vinstall says so" || sed 's/^/# /' "$TMP/run.out"

# --cdrom: the installer boots from the CD through the firmware, its reboot
# ends that run (--no-reboot), the CD is detached and the disk boots itself.
mkdir -p "$TMP/bootcd/boot"
head -c 2048 /dev/zero >"$TMP/bootcd/boot/boot.bin"
xorriso -as mkisofs -quiet -R -V INSTALLCD -b boot/boot.bin -no-emul-boot -boot-load-size 4 \
	-o "$D/install.iso" "$TMP/bootcd" >/dev/null 2>&1
export FAKE_TARGET="$D/cd1.img"
VKIT_VRUN="$TMP/grub-installer-vrun" run "" --name cd1 --cdrom "$D/install.iso" --disk path="$D/cd1.img",size=1 \
	--noautoconsole --wait -1
ok $? "--cdrom: the install and the first boot: exit 0" || sed 's/^/# /' "$TMP/run.out"
sed -n 1p "$FAKE_VRUN_LOG" | grep -q -- "--boot cdrom,hd .*--disk path=$D/install.iso,format=raw,device=cdrom .*--no-reboot" &&
	! sed -n 1p "$FAKE_VRUN_LOG" | grep -q -- "--kernel"
ok $? "--cdrom: the installer boots from the CD through the firmware, and its reboot ends the run"
test "$(wc -l <"$FAKE_VRUN_LOG")" -eq 2 && ! sed -n 2p "$FAKE_VRUN_LOG" | grep -qE -- "install.iso|--boot|--kernel|--no-reboot"
ok $? "--cdrom: then the CD is detached and the disk boots itself (and reboots in place)"
grep -q "boots itself through the firmware (GRUB in its first sector)" "$TMP/run.out" &&
	grep -q '"kind": "disk"' "$VKIT_DIR/vms/cd1.json" && ! grep -qE 'install.iso|"order"' "$VKIT_DIR/vms/cd1.json" &&
	test ! -e "$VKIT_DIR/boot/cd1/installer-kernel"
ok $? "--cdrom: the definition boots the disk through the firmware, without the CD; no kernel was copied"
unset FAKE_TARGET

# Failures before the guest starts undo everything.
VKIT_VRUN=/nonexistent/vrun run "0" --name f6 --boot kernel="$D/vmlinuz" --disk path="$D/f6.img",size=1
grep -q "VKIT_VRUN=/nonexistent/vrun" "$TMP/run.out" && test ! -e "$D/f6.img" && test ! -e "$VKIT_DIR/vms/f6.json"
ok $? "no vrun: refused before anything is created"
export VKIT_VRUN="$TMP/fake-vrun"
run "0" --name f1 --boot kernel="$D/vmlinuz" --disk path="$D/other.img",size=1
grep -q "a VM of that name exists already" "$TMP/run.out" && test ! -e "$D/other.img"
ok $? "a taken name is refused before any disk is created"
chmod 0555 "$D"
if [ "$(id -u)" -ne 0 ]; then
	run "0" --name f7 --boot kernel="$D/vmlinuz" --disk path="$D/f7.img",size=1
	test ! -e "$VKIT_DIR/vms/f7.json"
	ok $? "an unwritable disk directory is refused before anything is created"
else
	skip "root can write anywhere; unwritable directory not testable"
fi
chmod 0755 "$D"

# A vrun whose guest runs (tests/tools/fake-vrun): it opens its control
# socket as vrun does once the vCPUs run, gives a pty console (announced as
# vrun does), logs what is typed at it, and runs FAKE_SECONDS, then exits
# FAKE_EXIT; SIGTERM ends it with status 1, as vrun's signal handling does.
cp "$top_srcdir/tests/tools/fake-vrun" "$TMP/slow-vrun"
# slow_run INPUT ARGS...: vinstall under the slow vrun, INPUT typed after a second.
slow_run() {
	_in=$1; shift
	rm -f "$FAKE_VRUN_LOG" "$TMP/slow.pid" "$TMP/typed"
	(sleep 1; printf "$_in") | FAKE_DIR="$TMP" VKIT_VRUN="$TMP/slow-vrun" VKIT_WAIT_MINUTE_MS=300 \
		"$VINSTALL" --network none "$@" >"$TMP/run.out" 2>&1
}
slow_pid() { cat "$TMP/slow.pid" 2>/dev/null; }
alive() { test -n "$(slow_pid)" && kill -0 "$(slow_pid)" 2>/dev/null; }
stop_slow() { alive && kill "$(slow_pid)"; wait_gone; }
wait_gone() { _i=0; while alive && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done; }

# --wait running out leaves the guest running, detached from vinstall.
slow_run "" --name w1 --boot kernel="$D/vmlinuz",kernel_args=root=/dev/vda --disk path="$D/w1.img",size=1 \
	--noautoconsole --wait 1
rc=$?
test $rc -eq 1 && grep -q "did not end within the --wait time (1 min); it is still running" "$TMP/run.out"
ok $? "--wait expiry: exit 1, and says the install is still running"
grep -q "installation still in progress" "$TMP/run.out" &&
	grep -q "pid $(slow_pid), control socket $VKIT_DIR/run/w1.sock" "$TMP/run.out" &&
	grep -q "stop it: *vctl shutdown w1 .*, vctl destroy w1" "$TMP/run.out" &&
	grep -q "vctl undefine w1 && vinstall --name w1 --import --disk path=$D/w1.img,format=raw" "$TMP/run.out"
ok $? "--wait expiry: names vrun's pid, its control socket, how to stop it and what to do after"
alive && test -f "$D/w1.img" && test -f "$VKIT_DIR/vms/w1.json"
ok $? "--wait expiry: vrun still runs; disk and definition are kept"
pid=$(slow_pid)
test "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" &&
	test "$(readlink "/proc/$pid/fd/0")" = /dev/null &&
	test "$(readlink "/proc/$pid/fd/2")" = "$VKIT_DIR/log/w1.vrun.log" &&
	awk '/^SigIgn:/ { exit !(and(strtonum("0x" $2), 1)) }' "/proc/$pid/status"
ok $? "--wait expiry: vrun leads its own session, ignores SIGHUP, stdio not tied to vinstall"
grep -q -- "--console pty" "$FAKE_VRUN_LOG" && ! grep -q "console is" "$TMP/run.out" ||
	grep -q "console: *vctl console w1 (its pty is /dev/pts/" "$TMP/run.out"
ok $? "--wait expiry: the pty console is named"
stop_slow

# An attached console: vinstall relays it; Ctrl-] d detaches and leaves it running.
slow_run 'typed\035d' --name w2 --boot kernel="$D/vmlinuz",kernel_args=root=/dev/vda --disk path="$D/w2.img",size=1
rc=$?
test $rc -eq 0 && grep -q "guest says hello" "$TMP/run.out" && grep -q "installation still in progress" "$TMP/run.out"
ok $? "Ctrl-] d: exit 0 after showing the console; the install is still in progress"
alive && grep -q typed "$TMP/typed" && ! grep -q "$(printf '\035')" "$TMP/typed" &&
	test -f "$D/w2.img" && test -f "$VKIT_DIR/vms/w2.json"
ok $? "Ctrl-] d: vrun runs on with disk and definition; keys reached the guest, the escape did not"
stop_slow

# Ctrl-] q stops the guest, but after the guest started nothing is removed.
slow_run '\035q' --name w3 --boot kernel="$D/vmlinuz",kernel_args=root=/dev/vda --disk path="$D/w3.img",size=1
rc=$?
wait_gone
test $rc -eq 1 && grep -q "stopped from the console (Ctrl-\] q); it is defined and stopped, its disks are kept" "$TMP/run.out"
ok $? "Ctrl-] q: exit 1, and says the VM is defined and stopped"
! alive && test -f "$D/w3.img" && test -f "$VKIT_DIR/vms/w3.json" && test -d "$VKIT_DIR/boot/w3"
ok $? "Ctrl-] q: vrun is gone; disk, definition and boot files are kept"

# vrun failing once the guest ran is not a reason to remove the disk.
FAKE_SECONDS=0.5 FAKE_EXIT=1 slow_run "" --name w4 --boot kernel="$D/vmlinuz",kernel_args=root=/dev/vda \
	--disk path="$D/w4.img",size=1 --noautoconsole --wait -1
test $? -eq 1 && grep -q "vrun failed after the guest started" "$TMP/run.out" &&
	grep -q "fake guest ended" "$TMP/run.out" && test -f "$D/w4.img" && test -f "$VKIT_DIR/vms/w4.json"
ok $? "vrun failing after the guest started: its message is shown; disk and definition kept"

# --console file and none reach vrun; a disk's serial too.
run "0" --name c1 --boot kernel="$D/vmlinuz" --disk path="$D/c1.img",size=1,serial=SER-c1 \
	--console file,path="$D/c1.console"
grep -q -- "--console file=$D/c1.console" "$FAKE_VRUN_LOG"
ok $? "--console file,path=: vrun writes the console to that file"
grep -q -- "--disk path=$D/c1.img,format=raw,serial=SER-c1 " "$FAKE_VRUN_LOG"
ok $? "--disk serial=: passed on to vrun"
run "0" --name c2 --boot kernel="$D/vmlinuz" --disk path="$D/c2.img",size=1 --console none
grep -q -- "--console file=$VKIT_DIR/log/c2.log" "$FAKE_VRUN_LOG" && ! grep -q "console is" "$TMP/run.out"
ok $? "--console none: vrun's console goes to the state directory's log/NAME.log"

# The real second phase: the "installed" disk holds a root with two
# kernels; the newest, its initrd and the root's UUID are found.  An ext4
# root is read directly (no appliance); a Btrfs one through libguestfs.
mkdir -p "$TMP/root/boot" "$TMP/root/etc"
echo new-kernel >"$TMP/root/boot/vmlinuz-6.1.0-18-amd64"
echo old-kernel >"$TMP/root/boot/vmlinuz-5.10.0-1-amd64"
echo new-initrd >"$TMP/root/boot/initrd.img-6.1.0-18-amd64"
printf 'ID=debian\nVERSION_ID="12"\nNAME="Debian GNU/Linux"\n' >"$TMP/root/etc/os-release"

# phase_two NAME: checks on a run whose installer "rebooted".
phase_two() {
	second=$(sed -n 2p "$FAKE_VRUN_LOG")
	echo "$second" | grep -q -- "--kernel $VKIT_DIR/boot/$1/kernel --initrd $VKIT_DIR/boot/$1/initrd" &&
		! echo "$second" | grep -q debian.iso
	ok $? "$1: phase two boots the installed kernel, without the installer ISO"
	grep -qx new-kernel "$VKIT_DIR/boot/$1/kernel" && grep -qx new-initrd "$VKIT_DIR/boot/$1/initrd"
	ok $? "$1: the newest kernel and its initrd were picked"
	echo "$second" | grep -q -- "--cmdline root=UUID=$uuid console=ttyS0"
	ok $? "$1: the root is given by its filesystem UUID"
	grep -q "root=UUID=$uuid" "$VKIT_DIR/vms/$1.json" && test ! -e "$VKIT_DIR/boot/$1/installer-kernel"
	ok $? "$1: the definition records the installed boot; installer files are gone"
}

if command -v mkfs.ext4 >/dev/null; then
	truncate -s 64M "$D/installed.img"
	mkfs.ext4 -q -F -d "$TMP/root" "$D/installed.img"
	uuid=$(blkid -o value -s UUID "$D/installed.img" 2>/dev/null || true)
	# No appliance may start: the direct reader must do it alone.
	LIBGUESTFS_BACKEND=none run "2 0" --name g1 --os-variant debian12 --location "$D/debian.iso" \
		--disk path="$D/installed.img"
	ok $? "g1: install, reboot, phase two: exit 0"
	grep -q "^Installed system: /boot/vmlinuz-6.1.0-18-amd64 on vda (ext4, read directly), root=UUID=$uuid" "$TMP/run.out"
	ok $? "g1: an ext4 root is read directly, and vinstall says so"
	phase_two g1
else
	skip "mkfs.ext4 missing: the direct phase two not tested"
fi

if command -v mkfs.btrfs >/dev/null && [ -z "${VK_SKIP_GUESTFS:-}" ]; then
	truncate -s 128M "$D/btrfs.img"
	mkfs.btrfs -q -f --rootdir "$TMP/root" "$D/btrfs.img" >/dev/null
	uuid=$(blkid -o value -s UUID "$D/btrfs.img" 2>/dev/null || true)
	export LIBGUESTFS_BACKEND=direct
	run "2 0" --name g2 --os-variant debian12 --location "$D/debian.iso" --disk path="$D/btrfs.img"
	if grep -q "libguestfs:" "$TMP/run.out"; then
		skip "libguestfs cannot start its appliance here: $(grep libguestfs: "$TMP/run.out" | head -n1)"
	else
		grep -q "^Installed system: /boot/vmlinuz-6.1.0-18-amd64 on /dev/sda, libguestfs" "$TMP/run.out"
		ok $? "g2: a Btrfs root goes through libguestfs, and vinstall says so"
		phase_two g2
	fi
else
	skip "mkfs.btrfs missing or VK_SKIP_GUESTFS set: libguestfs phase two not tested"
fi

done_testing
