#!/bin/sh
# tiny-guests.sh - run the tiny test guests under vrun --bios: serial output,
# port/MMIO dispatch, the exit statuses for poweroff, halt, reset and triple
# fault, and resets in place (one vrun, several boots).
#
# Self-contained so the nested sandbox can run it inside its L1 guest:
# vrun comes from $VRUN, the guest images from $top_builddir/tests/vmm/guests.

vrun_from_env=${VRUN:-}
. "${top_srcdir:-.}/tests/lib/tap.sh"	# sets VRUN to the build tree's
VRUN=${vrun_from_env:-$VRUN}
GUESTS=${top_builddir:-.}/tests/vmm/guests

if [ ! -e /dev/kvm ]; then
	skip_all "/dev/kvm does not exist on this host (the nested sandbox, tests/sandbox, runs these)"
fi
if ! { : <>/dev/kvm; } 2>/dev/null; then
	skip_all "/dev/kvm is not usable by $(id -un)"
fi
if grep -qE '^flags.* (vmx|svm)( |$)' /proc/cpuinfo || [ ! -d /sys/module/kvm_pvm ]; then :; else
	note="(PVM host: guests are emulated, still fine for tiny guests)"
fi
tap_setup_tmp
echo "# vrun: $VRUN ${note:-}"

# run_guest NAME [OPTION]...: runs the guest, output in $TMP/NAME.out, status in $status
run_guest() {
	_guest=$1
	shift
	timeout 60 "$VRUN" --memory 16 --console "file=$TMP/$_guest.console" --bios "$GUESTS/$_guest.bin" "$@" \
		>"$TMP/$_guest.out" 2>&1 </dev/null
	status=$?
}

run_guest hello
ok $((status != 0)) "hello: power off through the test device exits 0 (got $status)"
check "hello: serial output reaches the console" grep -q "Hello from a tiny guest" "$TMP/hello.console"

run_guest io
ok $((status != 0)) "io: port and MMIO checks pass (status $status)"
for what in "port scratch ok" "unclaimed port ok" "mmio scratch ok" "unclaimed mmio ok" "firmware rom ok"; do
	check "io: $what" grep -q "$what" "$TMP/io.console"
done

run_guest reset --no-reboot
ok $((status != 2)) "reset: i8042 reset pulse exits 2 under --no-reboot (got $status)"

# Reset in place: reboot.bin counts its boots in CMOS RAM and resets through
# the ACPI reset register, the i8042 and port 0xCF9 in turn, checking at
# each boot that CR0, EFER and the devices' scratch registers are back to
# their reset values; the fourth boot triple-faults, which stops vrun
# (no reset in place after KVM_EXIT_SHUTDOWN: docs/vmm.md).
run_guest reboot
for n in 1 2 3 4; do
	check "reboot: boot $n in one vrun, in the reset state" grep -q "vkit boot $n: reset state" "$TMP/reboot.console"
done
check "reboot: nothing of an earlier boot survives a reset" sh -c '! grep -q "left from the last boot" "$1"' sh "$TMP/reboot.console"
for why in "ACPI reset" "keyboard controller reset" "reset control register 0xCF9"; do
	check "reboot: the log says when and why ($why)" \
		grep -qE "^vrun: [0-9]{2}:[0-9]{2}:[0-9]{2} guest reboot \\($why\\)$" "$TMP/reboot.out"
done
if [ -n "${note:-}" ]; then
	# KVM's emulator skips the IDT limit check in real mode: no triple fault.
	ok $((status != 4)) "reboot: on a PVM host INT 3 goes through the vector table, no triple fault (status $status)"
	skip "reboot: a triple fault stops vrun (not on a PVM host)"
else
	ok $((status != 1)) "reboot: the fourth boot's triple fault stops vrun, exit 1 (got $status)"
	check "reboot: a triple fault is not reset in place, and says so" \
		sh -c 'grep -q "does not reset the machine after a triple fault" "$1" && ! grep -q "vkit boot 5" "$2"' \
		sh "$TMP/reboot.out" "$TMP/reboot.console"
fi
run_guest reboot --no-reboot
ok $((status != 2)) "reboot --no-reboot: the first reset exits 2 (got $status)"
check "reboot --no-reboot: one boot only" sh -c '[ "$(grep -c "vkit boot" "$1")" = 1 ]' sh "$TMP/reboot.console"

run_guest halt
ok $((status != 0)) "halt: all vCPUs halted with interrupts off exits 0 (got $status)"

run_guest triple --no-reboot
ok $((status != 1)) "triple: triple fault under --no-reboot exits 1 (got $status)"
if [ -n "${note:-}" ]; then
	# PVM emulates every instruction, and its emulator gives up on a real-mode
	# exception with no IDT entry where hardware would triple-fault.
	check "triple: the message names the emulator's limit (PVM host)" \
		grep -q "KVM could not emulate an instruction.*PVM host" "$TMP/triple.out"
else
	check "triple: the message names the triple fault" grep -q "triple-faulted" "$TMP/triple.out"
fi

# stdio console: output on stdout, input from a non-terminal is fine.
timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" >"$TMP/stdio.out" 2>&1 </dev/null
ok $? "stdio console: exits 0"
check "stdio console: output on stdout" grep -q "Hello from a tiny guest" "$TMP/stdio.out"

# SMP: the application processors wait for a SIPI that never comes.
timeout 60 "$VRUN" --memory 16 --cpus 4 --console "file=$TMP/smp.console" --bios "$GUESTS/halt.bin" \
	>"$TMP/smp.out" 2>&1 </dev/null
ok $? "halt with 4 vCPUs exits 0"

# pty console: its name on stderr; nobody reads it, and the guest still runs.
if [ -c /dev/ptmx ] && grep -q " /dev/pts devpts" /proc/mounts; then
	timeout 60 "$VRUN" --memory 16 --console pty --bios "$GUESTS/hello.bin" >"$TMP/pty.out" 2>&1 </dev/null
	ok $? "pty console: exits 0"
	check "pty console: its name is printed" grep -q "vrun: console is /dev/pts/" "$TMP/pty.out"
else
	skip "pty console: no devpts mounted here"
	skip "pty console: no devpts mounted here"
fi

# Hardening.  Every run above had the default --sandbox on (a missing
# system call would have killed vrun with SIGSYS, status 159).
timeout 60 "$VRUN" -v --memory 16 --console "file=$TMP/v.console" --bios "$GUESTS/hello.bin" \
	>"$TMP/v.out" 2>&1 </dev/null
ok $? "-v: exits 0"
check "-v: the seccomp filters are installed" grep -q "seccomp filters (BPF instructions)" "$TMP/v.out"
timeout 60 "$VRUN" --sandbox off --memory 16 --console "file=$TMP/off.console" --bios "$GUESTS/hello.bin" \
	>"$TMP/off.out" 2>&1 </dev/null
ok $? "--sandbox off: exits 0"
if [ -f "$GUESTS/flood.bin" ]; then
	started=$(date +%s)
	timeout 300 "$VRUN" --memory 16 --console "file=$TMP/flood.console,max=4K" --bios "$GUESTS/flood.bin" \
		>"$TMP/flood.out" 2>&1 </dev/null
	status=$?
	echo "# flood: status $status after $(($(date +%s) - started)) s"
	[ "$status" = 0 ] || sed 's/^/# vrun: /' "$TMP/flood.out"
	ok $status "flood: 16 KiB of serial output into a 4 KiB log exits 0"
	ok $(($(stat -c %s "$TMP/flood.console") > 4096)) "flood: the log stays within max=4K"
	ok $(($(stat -c %s "$TMP/flood.console.1") != 4096)) "flood: the previous 4 KiB are in PATH.1"
	check "flood: the newest output is kept" grep -q "END OF FLOOD" "$TMP/flood.console"
else
	skip "flood: tests/vmm/guests/flood.bin is not built"
fi
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	timeout 60 "$VRUN" --user nobody --memory 16 --console "file=$TMP/user.console" \
		--bios "$GUESTS/io.bin" >"$TMP/user.out" 2>&1 </dev/null
	ok $? "--user nobody: the io guest passes after the drop"
else
	skip "--user: needs root and a 'nobody' user"
fi

expect_fail "a kernel that is not a bzImage is rejected" "not a Linux bzImage" \
	"$VRUN" --memory 16 --kernel "$GUESTS/hello.bin" --allow-emulated

# Input the guest never reads fills the UART's buffer; the main thread must
# then wait, not spin on the readable input (it used a whole core).
head -c 65536 /dev/zero | tr '\0' x >"$TMP/input"
"$VRUN" --memory 16 --bios "$GUESTS/count.bin" <"$TMP/input" >"$TMP/unread.out" 2>&1 &
vm=$!
# Measured from 1 s after the start: the set-up before (KVM calls that
# take long under the nested sandbox's emulation, on a loaded host) is
# main-thread time too, and is not what this checks.
main_ticks() { awk '{print $14 + $15}' "/proc/$vm/task/$vm/stat" 2>/dev/null; }
sleep 1
t0=$(main_ticks)
sleep 3
t1=$(main_ticks)
kill $vm 2>/dev/null; wait_exit $vm 30
ticks=$(( ${t1:-999} - ${t0:-0} ))
echo "# main thread with unread input: $ticks ticks of CPU in 3 s ($(getconf CLK_TCK) a second)"
ok $((ticks > $(getconf CLK_TCK) / 2)) "input the guest does not read: the main thread waits (under 0.5 s of CPU in 3 s)"

# PCI devices a tiny guest does not drive still come up, and their options are checked.
dd if=/dev/zero of="$TMP/disk.img" bs=1M count=1 2>/dev/null
timeout 60 "$VRUN" --memory 16 --console "file=$TMP/pci.console" --bios "$GUESTS/hello.bin" \
	--disk "path=$TMP/disk.img,serial=vk-serial-0001" --rng >"$TMP/pci.out" 2>&1 </dev/null
ok $? "hello with a disk (serial=) and --rng exits 0"
expect_fail "a serial longer than 20 bytes is refused" "serial '012345678901234567890' is longer than 20 bytes" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --disk "path=$TMP/disk.img,serial=012345678901234567890"
expect_fail "--disk keys are checked" "unknown option 'cache'" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --disk "path=$TMP/disk.img,cache=none"

# CD-ROMs: the cdrom guest drives the AHCI controller itself (PCI scan, HBA
# reset, both ports, IDENTIFY, INQUIRY, READ CAPACITY, READ(10) over
# scattered PRDs, hostile tables) and prints POSIX cksums of what it read.
# --disk device=cdrom drives come before --cdrom ones: the ISO is port 0.
head -c 10000 /dev/urandom >"$TMP/odd.img"		# 4 sectors and 1808 bytes
if command -v xorriso >/dev/null 2>&1; then
	mkdir -p "$TMP/isotree"
	head -c 300000 /dev/urandom >"$TMP/isotree/data.bin"
	xorriso -as mkisofs -quiet -V vkit-tiny -o "$TMP/cd.iso" "$TMP/isotree" >/dev/null 2>&1
	timeout 120 "$VRUN" --memory 16 --console "file=$TMP/cdrom.console" --bios "$GUESTS/cdrom.bin" \
		--disk "path=$TMP/cd.iso,device=cdrom" --cdrom "$TMP/odd.img" >"$TMP/cdrom.out" 2>&1 </dev/null
	ok $? "cdrom: the guest's checks pass (exit 0)"
	grep FAIL "$TMP/cdrom.console" | sed 's/^/# /'
	iso_last=$(($(stat -c %s "$TMP/cd.iso") / 2048 - 1))
	# --bios is a PC: slot 1 is the PIIX3 ISA bridge, devices follow.
	for what in "ahci: found at slot 2" "port 0: ATAPI signature, link up" "port 1: ATAPI signature, link up" \
		"identify: model 'vkit DVD-ROM'" "inquiry: 'vkit    DVD-ROM         '" \
		"port 0 capacity: last lba $iso_last, block 2048" "port 1 capacity: last lba 4, block 2048" \
		"port 0 read10 lba 16 count 2: cksum $(dd if="$TMP/cd.iso" bs=2048 skip=16 count=2 2>/dev/null |
			cksum) prdbc 4096" \
		"port 1 read10 lba 4 count 1: cksum $({ dd if="$TMP/odd.img" bs=2048 skip=4 2>/dev/null
			head -c 240 /dev/zero; } | cksum) prdbc 2048" \
		"hostile: command table outside RAM: HBFS, the slot stays issued" \
		"recovered: test unit ready ok" "hostile: data buffer outside RAM: HBDS" \
		"sense after read past the end: 05/21/00" "sense after an unknown opcode: 05/20/00"; do
		check "cdrom: $what" grep -qxF "$what" "$TMP/cdrom.console"
	done
else
	skip_n=15
	while [ $skip_n -gt 0 ]; do skip "cdrom: needs xorriso (apt-get install xorriso)"; skip_n=$((skip_n - 1)); done
fi
ln -s "$TMP/odd.img" "$TMP/odd-link.img" 2>/dev/null
expect_fail "--cdrom refuses a symbolic link" "is a symbolic link; it is not followed here" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --cdrom "$TMP/odd-link.img"
expect_fail "--cdrom refuses a directory" "is a directory; give a regular file or a block device" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --cdrom "$TMP"
expect_fail "a CD-ROM cannot be writable" "a CD-ROM is always read-only; drop readonly=off" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --disk "path=$TMP/odd.img,device=cdrom,readonly=off"
expect_fail "--disk device= is disk or cdrom" "device=floppy: give disk or cdrom" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --disk "path=$TMP/odd.img,device=floppy"
expect_fail "--disk needs path=" "--disk format=raw: path=FILE is required" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --disk format=raw
expect_fail "--cdrom needs a path" "--cdrom: give the image's path" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --cdrom ''
expect_fail "--net needs one backend" "--net mac=52:54:00:12:34:56: give one of bridge=BR and tap=NAME" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" --net mac=52:54:00:12:34:56
set --
for i in 1 2 3 4 5 6 7; do set -- "$@" --cdrom "$TMP/odd.img"; done
expect_fail "a seventh CD-ROM is refused" "the AHCI controller's 6 ports all hold a CD-ROM; give at most 6" \
	timeout 60 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" "$@"

done_testing
