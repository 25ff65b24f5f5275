#!/bin/sh
# vctl.sh - vctl's subcommands and refusals, against tests/tools/fake-vrun (the stand-in vinstall-flow.sh uses).
. "$top_srcdir/tests/lib/tap.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the fake vrun"
tap_setup_tmp
cd "$TMP" || exit 99
D="$TMP/data"
mkdir -p "$D" "$VKIT_DIR/vms" "$VKIT_DIR/boot/db01"
echo kernel >"$D/vmlinuz"
truncate -s 1M "$D/disky.img" "$D/web01.img" "$D/db01.img" "$D/extra.img" "$D/extra2.img"
printf 'QFI\373' >"$D/looks-qcow2.img"
echo kernel >"$VKIT_DIR/boot/db01/kernel"
export VKIT_VRUN="$top_srcdir/tests/tools/fake-vrun" FAKE_VRUN_LOG="$TMP/vrun.log" FAKE_DIR="$TMP"
unset FAKE_ACPI FAKE_FAIL FAKE_FAIL_NAME FAKE_SECONDS FAKE_EXIT

# define NAME UUID EXTRA-JSON: a definition written as a tool would find it
define() {
	cat >"$VKIT_DIR/vms/$1.json" <<JSON
{ "version": 1, "name": "$1", "uuid": "$2", "memory": 2048, "max_memory": 4096, "vcpus": 2,
  "boot": { "kind": "kernel", "kernel": "$D/vmlinuz", "cmdline": "root=/dev/vda console=ttyS0" },
  "disks": [ { "path": "$D/$1.img", "format": "raw" } ] $3 }
JSON
}
define web01 6f9619ff-8b86-4011-b42d-00c04fc964ff
define db01 0b1e3c1a-5d2e-4f6a-8b9c-0d1e2f3a4b5c ', "autostart": true'
define filecon 11111111-2222-4333-8444-555555555555 ", \"console\": { \"type\": \"file\", \"path\": \"$D/filecon.console\" }"
cat >"$VKIT_DIR/vms/disky.json" <<JSON
{ "version": 1, "name": "disky", "uuid": "22222222-3333-4444-8555-666666666666", "memory": 512, "vcpus": 1,
  "boot": { "kind": "disk", "order": "cdrom,hd,menu=on" }, "disks": [ { "path": "$D/disky.img", "format": "raw" } ] }
JSON

normalize() { sed -e "s|$TMP|@TMP@|g" "$1"; }
# out NAME command...: stdout+stderr and the exit status, against
# tests/expected/vctl/NAME (VKIT_REGEN=1 rewrites the expected file).
out() {
	_name=$1; shift
	"$@" >"$TMP/raw.out" 2>&1
	echo "exit $?" >>"$TMP/raw.out"
	normalize "$TMP/raw.out" >"$TMP/$_name.out"
	[ -n "$VKIT_REGEN" ] && cp "$TMP/$_name.out" "$top_srcdir/tests/expected/vctl/$_name"
	diff_ok "$_name" "$top_srcdir/tests/expected/vctl/$_name" "$TMP/$_name.out"
}
vpid() { cat "$VKIT_DIR/run/$1.pid" 2>/dev/null; }
alive() { _p=$(vpid "$1"); test -n "$_p" && kill -0 "$_p" 2>/dev/null; }
wait_gone() { _i=0; while alive "$1" && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done; ! alive "$1"; }

# ---- the command line ----
check "--help lists the commands" sh -c '"$0" --help | grep -q "attach-disk NAME SOURCE TARGET"' "$VCTL"
check "--version" sh -c '"$0" --version | grep -q "^vctl (vkit) "' "$VCTL"
expect_fail "no command" "vctl: no command given; try 'vctl help'" "$VCTL"
expect_fail "an unknown command" "vctl: reload: unknown command" "$VCTL" reload web01
expect_fail "a missing name" "vctl: start: missing arguments; usage: vctl start NAME" "$VCTL" start
expect_fail "too many arguments" "vctl: dominfo: too many arguments; usage: vctl dominfo NAME" "$VCTL" dominfo a b
expect_fail "another command's option" "vctl: --all: not an option of 'start'" "$VCTL" start web01 --all
expect_fail "an unknown domain" "vctl: nosuch: domain 'nosuch' not found" "$VCTL" dominfo nosuch

# ---- nothing running ----
out list-none "$VCTL" list
out list-all-stopped "$VCTL" list --all
out list-names "$VCTL" list --all --name
out list-quiet "$VCTL" -q list --all
out dominfo-stopped "$VCTL" dominfo db01
for c in shutdown reboot reset destroy suspend resume console; do
	expect_fail "$c on a stopped VM" "vctl: db01: domain is not running; start it with: vctl start db01" \
		"$VCTL" "$c" db01
done
out dominfo-disk-boot "$VCTL" dominfo disky
rm -f "$FAKE_VRUN_LOG"
out start-disk-boot "$VCTL" start disky
grep -qx -- "--name disky --boot cdrom,hd,menu=on --memory 512 --cpus 1 --disk path=$D/disky.img,format=raw --console pty" "$FAKE_VRUN_LOG"
ok $? "start of a disk boot: vrun without --kernel (its firmware), with the boot order"
"$VCTL" destroy disky >/dev/null 2>&1
wait_gone disky
ok $? "the disk-booted VM is stopped again"
VKIT_VRUN=/nonexistent/vrun out start-no-vrun "$VCTL" start web01
FAKE_FAIL="cannot open /dev/kvm: No such file or directory" out start-vrun-fails "$VCTL" start web01
test ! -e "$VKIT_DIR/run/web01.pid"
ok $? "a failed start leaves nothing running"

# ---- start and the running VM ----
rm -f "$FAKE_VRUN_LOG"
out start "$VCTL" start web01
pid=$(vpid web01)
alive web01 && grep -qx -- "--name web01 --kernel $D/vmlinuz --cmdline root=/dev/vda console=ttyS0 --memory 2048 --cpus 2 --disk path=$D/web01.img,format=raw --console pty" "$FAKE_VRUN_LOG"
ok $? "start: vrun runs the definition, with a pty console"
test "$(ps -o sid= -p "$pid" | tr -d ' ')" = "$pid" && test "$(readlink "/proc/$pid/fd/0")" = /dev/null &&
	test "$(readlink "/proc/$pid/fd/2")" = "$VKIT_DIR/log/web01.vrun.log"
ok $? "start: vrun leads its own session, stdin /dev/null, messages in log/web01.vrun.log"
expect_fail "start of a running VM" "vctl: web01: domain is already running (pid $pid)" "$VCTL" start web01
expect_fail "undefine of a running VM" "vctl: web01: domain is running (pid $pid); stop it first with vctl shutdown web01" \
	"$VCTL" undefine web01
test -f "$VKIT_DIR/vms/web01.json"
ok $? "undefine refused: the definition is still there"

# The running table: Id is vrun's pid; columns as wide as their widest cell.
"$VCTL" list --all >"$TMP/list.out" 2>&1
w=${#pid}; [ "$w" -lt 2 ] && w=2
{ printf " %-${w}s   %-7s   %s\n" Id Name State
  printf "%0.s-" $(seq 1 $((w + 7 + 8 + 9))); echo
  printf " %-${w}s   %-7s   %s\n" - db01 "shut off" - disky "shut off" - filecon "shut off" "$pid" web01 running
  echo; } >"$TMP/list.want"
diff_ok "list --all: the running VM with its pid, virsh's layout" "$TMP/list.want" "$TMP/list.out"
"$VCTL" list >"$TMP/list.out" 2>&1
test "$(sed -n 3p "$TMP/list.out")" = " $pid   web01   running" && test "$(wc -l <"$TMP/list.out")" -eq 4
ok $? "list: only the running VM"
"$VCTL" dominfo web01 | sed "s/^Id: *$pid\$/Id:             @PID@/" >"$TMP/dominfo.raw"
normalize "$TMP/dominfo.raw" >"$TMP/dominfo-running.out"
[ -n "$VKIT_REGEN" ] && cp "$TMP/dominfo-running.out" "$top_srcdir/tests/expected/vctl/dominfo-running"
diff_ok "dominfo of a running VM: its pid, state and CPU time from the control socket" \
	"$top_srcdir/tests/expected/vctl/dominfo-running" "$TMP/dominfo-running.out"

out suspend "$VCTL" suspend web01
"$VCTL" list | grep -q " web01   paused$"
ok $? "suspended: list says paused"
out resume "$VCTL" resume web01
"$VCTL" dominfo web01 | grep -q "^State: *running$"
ok $? "resumed: dominfo says running"

# The console: output shown, keys reach the guest, Ctrl-] alone detaches (virsh's escape).
rm -f "$TMP/typed"
(sleep 1; printf 'typed\035d') | "$VCTL" console web01 >"$TMP/console.out" 2>&1
rc=$?
test $rc -eq 0 && grep -q "^Connected to domain 'web01'" "$TMP/console.out" && grep -q "guest says hello" "$TMP/console.out"
ok $? "console: connected, the guest's output shown"
alive web01 && grep -q typed "$TMP/typed" && ! grep -q "$(printf '\035')" "$TMP/typed" && ! grep -q typedd "$TMP/typed"
ok $? "console: keys reach the guest, the escape does not; Ctrl-] detaches at once, it runs on"

# A vrun whose socket accepts and never answers: vctl says so instead of
# printing less (5 s, VK_CONTROL_TIMEOUT_MS, per call).
"$VCTL" destroy web01 >/dev/null 2>&1
FAKE_MUTE=1 "$VCTL" start web01 >/dev/null 2>&1
pid=$(vpid web01)
sock="$VKIT_DIR/run/web01.sock"
"$VCTL" dominfo web01 >"$TMP/mute.out" 2>"$TMP/mute.err"
rc=$?
test $rc -eq 1 && test ! -s "$TMP/mute.out" &&
	grep -qxF "vctl: web01: no answer from its control socket ($sock): no reply within 5000 ms" "$TMP/mute.err"
ok $? "dominfo: no answer from the socket is an error naming it, not a missing CPU time line"
"$VCTL" list >"$TMP/mute.out" 2>"$TMP/mute.err"
test "$(sed -n 3p "$TMP/mute.out")" = " $pid   web01   running" &&
	grep -qxF "vctl: web01: warning: no answer from its control socket ($sock): no reply within 5000 ms; listed as running" "$TMP/mute.err"
ok $? "list: the VM is listed, with a warning that its state is only its pid's"
kill "$pid"
wait_gone web01
"$VCTL" start web01 >/dev/null 2>&1

# ---- disks: the definition only (vrun has no hot-plug) ----
out attach-running-live "$VCTL" attach-disk web01 "$D/extra.img" vdb
out attach-live "$VCTL" attach-disk web01 "$D/extra.img" vdb --live
out attach-wrong-target "$VCTL" attach-disk web01 "$D/extra.img" vdc --config
out attach-driver "$VCTL" attach-disk web01 "$D/extra.img" vdb --config --driver xen
out attach-missing "$VCTL" attach-disk web01 "$D/nope.img" vdb --config
out attach-qcow2-magic "$VCTL" attach-disk web01 "$D/looks-qcow2.img" vdb --config
out attach-not-qcow2 "$VCTL" attach-disk web01 "$D/extra.img" vdb --config --subdriver qcow2
out attach-same-file "$VCTL" attach-disk web01 "$D/web01.img" vdb --config
grep -c '"path"' "$VKIT_DIR/vms/web01.json" | grep -qx 1
ok $? "refused attach-disks leave the definition as it was"
out attach "$VCTL" attach-disk web01 "$D/extra.img" vdb --config --driver qemu --subdriver raw --mode readonly
(cd "$D" && "$VCTL" attach-disk web01 extra2.img vdc --persistent) >/dev/null 2>&1
disks() { python3 -c 'import json, sys; print(" ".join("%s:%s:%s" % (d["path"], d["format"], d.get("readonly", False)) for d in json.load(open(sys.argv[1]))["disks"]))' "$VKIT_DIR/vms/$1.json"; }
test "$(disks web01)" = "$D/web01.img:raw:False $D/extra.img:raw:True $D/extra2.img:raw:False"
ok $? "attach-disk: a relative source is made absolute; --mode readonly is recorded"
out detach-running "$VCTL" detach-disk web01 vdb
out detach-none "$VCTL" detach-disk web01 vdz --config
out detach "$VCTL" detach-disk web01 vdb --config
test "$(disks web01)" = "$D/web01.img:raw:False $D/extra2.img:raw:False"
ok $? "detach-disk --config: that disk is gone from the definition, the others stay"
ls "$VKIT_DIR/vms" | grep -q tmp
ok $((! $?)) "no temporary files left in vms/"

# ---- autostart ----
out autostart "$VCTL" autostart web01
grep -q '"autostart": *true' "$VKIT_DIR/vms/web01.json"
ok $? "autostart: the flag is in the definition"
out autostart-disable "$VCTL" autostart web01 --disable
! grep -q '"autostart": *true' "$VKIT_DIR/vms/web01.json" && "$VCTL" dominfo web01 | grep -q "^Autostart: *disable$"
ok $? "autostart --disable: cleared"

# What the vkit-autostart unit runs at boot: the marked VMs not running start,
# a marked one that cannot start is reported and the others still start.
out list-autostart "$VCTL" list --all --autostart --name
out list-no-autostart "$VCTL" list --all --no-autostart --name
out list-autostart-both "$VCTL" list --autostart --no-autostart
out start-autostart-name "$VCTL" start db01 --autostart
out start-autostart-console "$VCTL" start --autostart --console
out autostart-none "$VCTL" autostart --autostart
"$VCTL" autostart web01 >/dev/null && "$VCTL" autostart disky >/dev/null
pid=$(vpid web01)
FAKE_FAIL="cannot open /dev/kvm: No such file or directory" FAKE_FAIL_NAME=disky \
	out start-autostart "$VCTL" start --autostart
alive db01 && test "$(vpid web01)" = "$pid" && ! alive disky
ok $? "start --autostart: db01 started, web01 left running as it was, disky not started"
"$VCTL" autostart disky --disable >/dev/null
out start-autostart-nothing "$VCTL" start --autostart
"$VCTL" destroy db01 >/dev/null 2>&1
"$VCTL" autostart web01 --disable >/dev/null

# ---- reboot and reset: the VM stays up, in the same vrun ----
pid=$(vpid web01)
out reboot "$VCTL" reboot web01
sleep 0.5
alive web01 && test "$(vpid web01)" = "$pid" &&
	grep -qE "^vrun: web01: [0-9:]{8} guest reboot \(powered off after 'reboot' on the control socket\)$" \
		"$VKIT_DIR/log/web01.vrun.log"
ok $? "reboot: the guest powers off and boots again in the same vrun, which logs it"
out reset "$VCTL" reset web01
alive web01 && test "$(vpid web01)" = "$pid" &&
	grep -qE "^vrun: web01: [0-9:]{8} reset \(from the control socket\)$" "$VKIT_DIR/log/web01.vrun.log"
ok $? "reset: in place, in the same vrun, logged"

# ---- stopping ----
out shutdown "$VCTL" shutdown web01
wait_gone web01
ok $? "shutdown: the guest powered off"
"$VCTL" start web01 >/dev/null 2>&1
FAKE_ACPI=0
export FAKE_ACPI
"$VCTL" destroy web01 >/dev/null 2>&1	# the fake reads FAKE_ACPI at start
FAKE_ACPI=0 "$VCTL" start web01 >/dev/null 2>&1
unset FAKE_ACPI
out shutdown-ignored "$VCTL" shutdown web01
out reboot-ignored "$VCTL" reboot web01
alive web01
ok $? "a guest that ignores the power button keeps running"
out destroy "$VCTL" destroy web01
! alive web01 && test ! -e "$VKIT_DIR/run/web01.sock"
ok $? "destroy: vrun is gone, its socket too"

# No key on the console stops the VM (virsh has none): Ctrl-] q detaches.
(sleep 1; printf '\035q') | "$VCTL" start web01 --console >"$TMP/sc.out" 2>&1
rc=$?
test $rc -eq 0 && alive web01 && grep -q "^Domain 'web01' started" "$TMP/sc.out" &&
	grep -qF "Escape character is ^] (Ctrl + ])" "$TMP/sc.out" && ! grep -q "^Domain 'web01' stopped" "$TMP/sc.out"
ok $? "start --console: attached; Ctrl-] q detaches and leaves the VM running"
"$VCTL" destroy web01 >/dev/null 2>&1

# A file console: vrun writes it; there is no pty to attach to.
rm -f "$FAKE_VRUN_LOG"
"$VCTL" start filecon >/dev/null 2>&1
grep -q -- "--console file=$D/filecon.console" "$FAKE_VRUN_LOG"
ok $? "start: a file console goes to vrun as file="
out console-file "$VCTL" console filecon
"$VCTL" destroy filecon >/dev/null 2>&1

# ---- attach-interface, detach-interface (docs/networks.md) ----
expect_fail "attach-interface needs --config" "attach-interface changes the definition: give --config" \
	"$VCTL" attach-interface web01 network default
"$VCTL" attach-interface web01 network default --config >"$TMP/ai.out" 2>&1 &&
	grep -qx "Interface attached successfully" "$TMP/ai.out" && grep -q '"type": "network"' "$VKIT_DIR/vms/web01.json" &&
	test -e "$VKIT_DIR/networks/default.json"
ok $? "attach-interface NAME network default --config: a NIC on the default network, defined on first use"
"$VCTL" attach-interface web01 bridge br0 --mac 52:54:00:00:00:42 --config >/dev/null
"$VCTL" domiflist web01 | grep -Eq '^ - +bridge +br0 +virtio +52:54:00:00:00:42$'
ok $? "attach-interface NAME bridge br0 --mac: domiflist shows it"
expect_fail "a model vrun lacks" "--model e1000: vrun emulates virtio-net only" \
	"$VCTL" attach-interface web01 bridge br0 --model e1000 --config
expect_fail "user networking" "interface type 'user'" "$VCTL" attach-interface web01 user x --config
expect_fail "a network that is not defined" "network 'lab' not found" "$VCTL" attach-interface web01 network lab --config
"$VCTL" attach-interface web01 bridge br1 --config >/dev/null
expect_fail "detach-interface of one of two" "it has 2 interfaces of type bridge; say which with --mac" \
	"$VCTL" detach-interface web01 bridge --config
"$VCTL" detach-interface web01 bridge --mac 52:54:00:00:00:42 --config | grep -qx "Interface detached successfully" &&
	! grep -q 52:54:00:00:00:42 "$VKIT_DIR/vms/web01.json"
ok $? "detach-interface --mac removes that one"
"$VCTL" detach-interface web01 network --config >/dev/null && "$VCTL" detach-interface web01 bridge --config >/dev/null &&
	! grep -q '"mac"' "$VKIT_DIR/vms/web01.json"
ok $? "detach-interface: the others go too"
expect_fail "detach-interface of none" "no interface of type network" "$VCTL" detach-interface web01 network --config

# ---- undefine ----
out undefine-storage "$VCTL" undefine db01 --remove-all-storage
test ! -e "$VKIT_DIR/vms/db01.json" && test ! -e "$D/db01.img" && test ! -e "$VKIT_DIR/boot/db01"
ok $? "undefine --remove-all-storage: definition, disk and boot files are gone"
out undefine "$VCTL" undefine web01
test ! -e "$VKIT_DIR/vms/web01.json" && test -e "$D/web01.img"
ok $? "undefine: the definition is gone, the disk kept"
out undefine-again "$VCTL" undefine web01

done_testing
