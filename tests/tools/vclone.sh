#!/bin/sh
# vclone.sh - vclone as a user runs it: clones, refusals, plans, rollback.
. "$top_srcdir/tests/lib/tap.sh"
tap_setup_tmp
command -v qemu-img >/dev/null || skip_all "qemu-img is not installed"
EXP="$top_srcdir/tests/expected/vclone"
D="$TMP/data"
mkdir -p "$D" "$VKIT_DIR/vms"

# define NAME DISKS_JSON NICS_JSON: write a definition straight into the state dir
define() {
	cat >"$VKIT_DIR/vms/$1.json" <<JSON
{"version":1,"name":"$1","uuid":"$2","memory":512,"vcpus":1,
 "boot":{"kind":"disk"},"disks":[$3],"nics":[$4]}
JSON
}

# A raw disk with data and holes, a qcow2 with a backing chain, a CD-ROM.
qemu-img create -q -f raw "$D/elk04.img" 64M
printf 'vkit-raw-data' | dd of="$D/elk04.img" bs=1 seek=1048576 conv=notrunc 2>/dev/null
printf 'tail' | dd of="$D/elk04.img" bs=1 seek=40000000 conv=notrunc 2>/dev/null
qemu-img create -q -f qcow2 "$D/base.qcow2" 32M
qemu-io -f qcow2 -c 'write -P 0x5a 0 1M' "$D/base.qcow2" >/dev/null 2>&1
qemu-img create -q -f qcow2 -b "$D/base.qcow2" -F qcow2 "$D/web.qcow2"
qemu-io -f qcow2 -c 'write -P 0xa5 4M 64k' "$D/web.qcow2" >/dev/null 2>&1
: >"$D/install.iso"

define elk04 11111111-2222-4333-8444-555555555555 \
	"{\"path\":\"$D/elk04.img\",\"format\":\"raw\"}" \
	'{"type":"user","mac":"52:54:00:00:00:04"}'
define web01 11111111-2222-4333-8444-000000000001 \
	"{\"path\":\"$D/web.qcow2\",\"format\":\"qcow2\"},{\"path\":\"$D/install.iso\",\"format\":\"raw\",\"device\":\"cdrom\",\"bus\":\"sata\",\"readonly\":true}" \
	'{"type":"user","mac":"52:54:00:00:01:01"},{"type":"user","mac":"52:54:00:00:01:02"}'

# The classic form.
check "vclone -o elk04 -n elk05 -f elk05.img" "$VCLONE" -o elk04 -n elk05 -f "$D/elk05.img"
check "elk05's disk equals elk04's (qemu-img compare)" qemu-img compare -q -f raw -F raw "$D/elk04.img" "$D/elk05.img"
test -f "$VKIT_DIR/vms/elk05.json"; ok $? "elk05 is defined"
grep -q "\"$D/elk05.img\"" "$VKIT_DIR/vms/elk05.json"; ok $? "elk05's definition names the new disk"
! grep -q '11111111-2222-4333-8444-555555555555' "$VKIT_DIR/vms/elk05.json"; ok $? "elk05 has a new UUID"
! grep -q '52:54:00:00:00:04' "$VKIT_DIR/vms/elk05.json"; ok $? "elk05 has a new MAC"
a=$(du -k "$D/elk04.img" | cut -f1); b=$(du -k "$D/elk05.img" | cut -f1)
[ "$b" -le $((a + 64)) ]; ok $? "holes are kept ($a KiB -> $b KiB)"

# qcow2 with a backing chain; the CD-ROM is shared, not copied.
check "qcow2 clone with a fixed MAC and UUID" "$VCLONE" -o web01 -n web02 -f "$D/web02.qcow2" \
	-u 11111111-2222-4333-8444-000000000002 --mac 52:54:00:aa:bb:cc -m RANDOM
check "web02's disk equals web01's chain" qemu-img compare -q "$D/web.qcow2" "$D/web02.qcow2"
grep -q "\"$D/install.iso\"" "$VKIT_DIR/vms/web02.json"; ok $? "the CD-ROM is shared"
grep -q '52:54:00:aa:bb:cc' "$VKIT_DIR/vms/web02.json"; ok $? "--mac sets the first NIC"
check "--linked makes an overlay" "$VCLONE" -o web01 -n web03 --linked -f "$D/web03.qcow2"
qemu-img info "$D/web03.qcow2" | grep -q "backing file: $D/web.qcow2"; ok $? "web03's backing file is web01's disk"
check "the linked clone reads like the original" qemu-img compare -q "$D/web.qcow2" "$D/web03.qcow2"

# --auto-clone names, as virt-clone derives them.
check "--auto-clone" "$VCLONE" -o elk04 --auto-clone
test -f "$VKIT_DIR/vms/elk04-clone.json" && test -f "$D/elk04-clone.img"; ok $? "elk04-clone with elk04-clone.img"
check "--auto-clone again" "$VCLONE" -o elk04 --auto-clone
test -f "$VKIT_DIR/vms/elk04-clone-1.json" && test -f "$D/elk04-clone-1.img"; ok $? "then elk04-clone-1 with elk04-clone-1.img"
check "--auto-clone of web01" "$VCLONE" -o web01 --auto-clone
test -f "$D/web-clone.qcow2"; ok $? "web.qcow2 becomes web-clone.qcow2"

# Plans and configs, changing nothing.
U=11111111-2222-4333-8444-00000000000a
"$VCLONE" -o web01 -n web09 -f "$D/web09.qcow2" -u $U -m 52:54:00:00:09:01 -m 52:54:00:00:09:02 \
	--check >"$TMP/check.raw" 2>&1; ok $? "--check of a plan that can be carried out exits 0"
sed "s|$D|DATA|g" "$TMP/check.raw" >"$TMP/check.out"
diff_ok "--check prints the plan" "$EXP/check.out" "$TMP/check.out"
"$VCLONE" -o web01 -n web09 -f /srv/web09.qcow2 -u $U -m 52:54:00:00:09:01 -m 52:54:00:00:09:02 \
	--print-config 2>&1 | sed "s|$D|DATA|g" >"$TMP/print.out"
diff_ok "--print-config prints the definition" "$EXP/print-config.json" "$TMP/print.out"
test ! -e "$VKIT_DIR/vms/web09.json" && test ! -e /srv/web09.qcow2 && test ! -e "$D/web09.qcow2"
ok $? "--check and --print-config create nothing"

# --check checks what the copy needs: a directory that exists and takes
# files, and room for the copies.
expect_fail "--check: a missing directory" "disk vda: /nonexistent/dir/x.img: directory /nonexistent/dir: No such file or directory" \
	"$VCLONE" -o elk04 -n elk06 -f /nonexistent/dir/x.img --check
grep -q "^disk vda: copy $D/elk04.img (raw) -> /nonexistent/dir/x.img" "$TMP/ef.out"; ok $? "and still prints the plan"
expect_fail "--check: a file where the directory should be" "$D/elk04.img is not a directory" \
	"$VCLONE" -o elk04 -n elk06 -f "$D/elk04.img/x.img" --check
check "--check all=off prints the plan only (virt-clone's spelling)" \
	"$VCLONE" -o elk04 -n elk06 -f /nonexistent/dir/x.img --check=all=off
# A 1 PiB disk copied with --nonsparse fits on no filesystem here.
qemu-img create -q -f qcow2 "$D/huge.qcow2" 1P
define huge 11111111-2222-4333-8444-000000000066 "{\"path\":\"$D/huge.qcow2\",\"format\":\"qcow2\"}" ''
expect_fail "--check: no room for a --nonsparse copy" "$D: not enough free space" \
	"$VCLONE" -o huge -n huge2 -f "$D/huge2.qcow2" --nonsparse --check
check "--check: a sparse copy of it fits" "$VCLONE" -o huge -n huge2 -f "$D/huge2.qcow2" --check
rm -f "$VKIT_DIR/vms/huge.json" "$D/huge.qcow2"
# A directory that takes no files: mode 0555 stops anyone but root; root
# needs a read-only mount (a private one, in its own mount namespace).
mkdir -p "$D/ro"
if [ "$(id -u)" -ne 0 ]; then
	chmod 0555 "$D/ro"
	expect_fail "--check: a directory that takes no files" "cannot create files in $D/ro: Permission denied" \
		"$VCLONE" -o elk04 -n elk06 -f "$D/ro/x.img" --check
	chmod 0755 "$D/ro"
elif unshare -m true 2>/dev/null; then
	expect_fail "--check: a directory on a read-only filesystem" "cannot create files in $D/ro: Read-only file system" \
		unshare -m sh -c 'mount -t tmpfs -o ro,size=1m tmpfs "$1" && shift && exec "$@"' sh "$D/ro" \
		"$VCLONE" -o elk04 -n elk06 -f "$D/ro/x.img" --check
else
	skip "root without mount namespaces: no directory here refuses files"
fi
rmdir "$D/ro"
test ! -e "$VKIT_DIR/vms/elk06.json" && test ! -e "$VKIT_DIR/vms/huge2.json" && ! ls "$D" | grep -q -e vclone -e huge2
ok $? "--check creates nothing, even when it finds problems"
"$VCLONE" --original-config "$VKIT_DIR/vms/web01.json" -n web09 -f /srv/web09.qcow2 -u $U \
	-m 52:54:00:00:09:01 -m 52:54:00:00:09:02 --print-config 2>&1 | sed "s|$D|DATA|g" >"$TMP/print2.out"
diff_ok "--original-config reads a definition file" "$EXP/print-config.json" "$TMP/print2.out"
"$VCLONE" -o web01 -n web09 -f /srv/web09.qcow2 -u $U -m 52:54:00:00:09:01 -m 52:54:00:00:09:02 \
	--print-xml 2>&1 | sed "s|$D|DATA|g" >"$TMP/print3.out"
diff_ok "--print-xml is virt-clone's spelling of --print-config" "$EXP/print-config.json" "$TMP/print3.out"

# Every refusal, with its message.
expect_fail "no original" "give exactly one of --original" "$VCLONE" -n x
expect_fail "both -o and --original-config" "give exactly one of --original" \
	"$VCLONE" -o elk04 --original-config "$VKIT_DIR/vms/elk04.json" -n elk06 -f "$D/a.img"
expect_fail "no name" "a --name for the clone is required" "$VCLONE" -o elk04 -f "$D/x.img"
expect_fail "unknown original" "not found" "$VCLONE" -o nosuch -n x -f "$D/x.img"
expect_fail "name taken" "already exists; choose another --name" "$VCLONE" -o elk04 -n elk05 -f "$D/x.img"
expect_fail "bad name" "x/y" "$VCLONE" -o elk04 -n x/y -f "$D/x.img"
expect_fail "no disk path" "needs a new path" "$VCLONE" -o elk04 -n elk06
expect_fail "disk exists" "already exists; remove it" "$VCLONE" -o elk04 -n elk06 -f "$D/elk05.img"
# No file is there yet, but another definition names the path.
define ghost 11111111-2222-4333-8444-000000000055 "{\"path\":\"$D/ghost.img\",\"format\":\"raw\"}" ''
expect_fail "a path another VM's definition names" "$D/ghost.img: in use by another domain" \
	"$VCLONE" -o elk04 -n elk06 -f "$D/ghost.img"
test ! -e "$D/ghost.img"; ok $? "and that path is still free"
rm -f "$VKIT_DIR/vms/ghost.json"
expect_fail "too many -f" "--file options but" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" -f "$D/b.img"
expect_fail "bad MAC" "52:54:zz" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" --mac 52:54:zz:00:00:01
expect_fail "original's MAC" "the original uses that address" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" --mac 52:54:00:00:00:04
expect_fail "too many --mac" "--mac options but" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" -m RANDOM -m RANDOM
expect_fail "bad UUID" "not a UUID" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" -u nope
expect_fail "original's UUID" "the original has that UUID" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" -u 11111111-2222-4333-8444-555555555555
expect_fail "unknown --skip-copy" "has no such disk" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" --skip-copy vdq
expect_fail "--preserve-data needs a file" "needs an existing file" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" --preserve-data
expect_fail "--linked with --nonsparse" "exclude each other" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" --linked --nonsparse
expect_fail "virt-clone --check values" "--check takes no value" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" --check path_in_use=off
expect_fail "stray argument" "unexpected argument" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img" extra
# A stand-in runner: what vrun's pid file names is a process called vrun.
mkdir -p -m 0700 "$VKIT_DIR" "$VKIT_DIR/run"; cp "$(command -v sleep)" "$TMP/vrun"; "$TMP/vrun" 300 & SLEEPER=$!
echo $SLEEPER >"$VKIT_DIR/run/elk04.pid"
expect_fail "running original" "is running; shut it down first" "$VCLONE" -o elk04 -n elk06 -f "$D/a.img"
expect_fail "running original with --force, runner unreachable" "--force: cannot reach its runner to pause it" \
	"$VCLONE" -o elk04 -n elk06 -f "$D/a.img" --force
ok $(test ! -e "$D/a.img" && test ! -e "$VKIT_DIR/vms/elk06.json"; echo $?) "and nothing of the clone is left"
expect_fail "running original with --linked --force" "--linked needs it shut down" \
	"$VCLONE" -o elk04 -n elk06 --linked --force
kill $SLEEPER 2>/dev/null; wait $SLEEPER 2>/dev/null; rm -f "$VKIT_DIR/run/elk04.pid"
test ! -e "$D/a.img" && test ! -e "$VKIT_DIR/vms/elk06.json"; ok $? "refusals create nothing"

# Clones of one VM wait on its lock (here held with flock, as another
# vclone would): vclone says so, SIGTERM ends the wait with nothing made,
# and once the lock is free the clone goes ahead.
LOCK="$VKIT_DIR/run/elk04.lock"
( exec 9>"$LOCK"; flock 9; echo held >"$TMP/held"; exec sleep 60 ) >/dev/null 2>&1 & HOLDER=$!
wait_for "$TMP/held" held 10
"$VCLONE" -o elk04 -n elk12 -f "$D/elk12.img" 2>"$TMP/wait.err" & pid=$!
wait_for "$TMP/wait.err" "another vclone of it holds $LOCK; waiting for it to finish" 10
ok $? "a held lock: vclone says it waits"
test ! -e "$D/elk12.img" && ! ls "$D" | grep -q vclone && test ! -e "$VKIT_DIR/vms/elk12.json"
ok $? "and has made nothing while it waits"
# Bounded by the message rather than wait_exit: its watchdog, killed just
# after its fork when vclone exits at once, was seen running this script's
# EXIT trap (rm -rf $TMP) under dash.
kill -TERM $pid
wait_for "$TMP/wait.err" "interrupted by signal" 10 || kill -KILL $pid
wait $pid; rc=$?
[ $rc -eq 1 ] && grep -q "interrupted by signal 15 while waiting for $LOCK; nothing was created" "$TMP/wait.err"
ok $? "SIGTERM ends the wait with a message (exit $rc)"
test ! -e "$D/elk12.img" && ! ls "$D" | grep -q vclone && test ! -e "$VKIT_DIR/vms/elk12.json"
ok $? "and nothing of the clone is left"
"$VCLONE" -q -o elk04 -n elk12 -f "$D/elk12.img" 2>"$TMP/wait2.err" & pid=$!
wait_for "$TMP/wait2.err" "waiting for it to finish" 10; ok $? "-q does not hide the wait"
kill $HOLDER; wait $HOLDER 2>/dev/null
wait_for "$VKIT_DIR/vms/elk12.json" elk12 60 || kill -KILL $pid
wait $pid; ok $? "once the lock is free, the clone goes ahead"
qemu-img compare -q -f raw -F raw "$D/elk04.img" "$D/elk12.img" && test -f "$VKIT_DIR/vms/elk12.json"
ok $? "and is whole"

# Two vclones making one new name, from two originals (no source lock
# orders them): the name is claimed first, so the second fails at once and
# makes nothing.  strace holds the first in its copy meanwhile.
if command -v strace >/dev/null; then
	strace -f -o /dev/null -e trace=renameat2 -e inject=renameat2:delay_enter=3000000:when=1 \
		"$VCLONE" -q -o elk04 -n twin -f "$D/twin-a.img" >"$TMP/twin-a.err" 2>&1 &
	st=$!
	wait_for "$VKIT_DIR/vms/twin.claim" "[0-9]" 10
	"$VCLONE" -q -o web01 -n twin -f "$D/twin-b.qcow2" >"$TMP/twin-b.err" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "domain 'twin' is being created by pid [0-9]*; pick another name" "$TMP/twin-b.err" &&
		! ls "$D" | grep -q '^twin-b'
	ok $? "a second vclone making the same new name fails at once, naming the first, and makes nothing"
	wait $st
	ok $? "the first clone goes ahead"
	qemu-img compare -q -f raw -F raw "$D/elk04.img" "$D/twin-a.img" && grep -q "\"$D/twin-a.img\"" "$VKIT_DIR/vms/twin.json" &&
		test ! -e "$VKIT_DIR/vms/twin.claim"
	ok $? "and is whole, its claim dropped"
else
	skip "two vclones making one name: strace is not installed"
	skip "the first clone goes ahead: strace is not installed"
	skip "and is whole: strace is not installed"
fi

# Other options that change the copy.
check "--skip-copy keeps the path" "$VCLONE" -o elk04 -n elk07 --skip-copy vda
grep -q "\"$D/elk04.img\"" "$VKIT_DIR/vms/elk07.json"; ok $? "elk07 uses elk04's disk"
cp "$D/elk04.img" "$D/kept.img"
check "--preserve-data uses the given file" "$VCLONE" -o elk04 -n elk08 -f "$D/kept.img" --preserve-data
check "--nonsparse" "$VCLONE" -o elk04 -n elk10 -f "$D/elk10.img" --nonsparse
[ "$(du -k "$D/elk10.img" | cut -f1)" -ge 60000 ]; ok $? "--nonsparse allocates every byte"
# --reflink is a demand: where the filesystem cannot share blocks it is
# refused, not quietly turned into a full copy.  cp finds out which kind
# of filesystem this is (a failed clone leaves it an empty file).
if cp --reflink=always "$D/elk04.img" "$D/reflink-probe" 2>/dev/null; then
	check "--reflink where the filesystem shares blocks" "$VCLONE" -o elk04 -n elk11 -f "$D/elk11.img" --reflink
	qemu-img compare -q -f raw -F raw "$D/elk04.img" "$D/elk11.img"; ok $? "the reflinked copy reads like the original"
else
	expect_fail "--reflink where the filesystem cannot share blocks" \
		"disk vda: $D/elk11.img: --reflink: this filesystem cannot make copy-on-write copies" \
		"$VCLONE" -o elk04 -n elk11 -f "$D/elk11.img" --reflink
	test ! -e "$D/elk11.img" && ! ls "$D" | grep -q vclone && test ! -e "$VKIT_DIR/vms/elk11.json"
	ok $? "and nothing of the clone is left"
fi
rm -f "$D/reflink-probe"

# A failure in the middle leaves nothing: the second disk's directory is not writable.
define two 11111111-2222-4333-8444-000000000022 \
	"{\"path\":\"$D/elk04.img\",\"format\":\"raw\"},{\"path\":\"$D/web.qcow2\",\"format\":\"qcow2\"}" ''
expect_fail "a failed second copy" "nodir" "$VCLONE" -o two -n two2 -f "$D/two2-a.img" -f "$D/nodir/two2-b.qcow2"
test ! -e "$D/two2-a.img" && test ! -e "$VKIT_DIR/vms/two2.json" && ! ls "$D" | grep -q vclone; ok $? "the first disk was removed"
expect_fail "one -f path for two disks" "$D/same.img: given for two disks" \
	"$VCLONE" -o two -n two3 -f "$D/same.img" -f "$D/same.img"
test ! -e "$D/same.img" && test ! -e "$VKIT_DIR/vms/two3.json" && ! ls "$D" | grep -q vclone; ok $? "and nothing of it is made"

# kill -9 at random points: a clone is whole or absent.  A qcow2 full of
# data copies slowly enough for the kills to land mid-copy.
qemu-img create -q -f qcow2 "$D/big.qcow2" 256M
qemu-io -f qcow2 -c 'write -P 0x33 0 200M' "$D/big.qcow2" >/dev/null 2>&1
define big 11111111-2222-4333-8444-000000000033 "{\"path\":\"$D/big.qcow2\",\"format\":\"qcow2\"}" ''
n=0; bad=0; whole=0
while [ $n -lt 10 ]; do
	n=$((n + 1))
	"$VCLONE" -q -o big -n k$n -f "$D/k$n.qcow2" &
	pid=$!
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	sleep "0.$((r % 30 / 10))$((r % 10))"	# 0 to 0.29 s: most kills land mid-copy
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	flock "$VKIT_DIR/run/big.lock" true	# the guardian holds it until cleanup ends
	if [ -e "$VKIT_DIR/vms/k$n.json" ]; then
		whole=$((whole + 1))
		qemu-img compare -q "$D/big.qcow2" "$D/k$n.qcow2" || bad=$((bad + 1))
	else
		ls "$D" | grep -q "^k$n\." && bad=$((bad + 1))
	fi
	# a definition's temporary file, or the name's claim
	ls "$VKIT_DIR/vms" | grep -q "^k$n\.\(json\.\|claim\)" && bad=$((bad + 1))
done
ok $bad "kill -9 at random points leaves a whole clone or nothing ($bad bad; $whole of $n finished first)"

# kill -9 while the definition is written: strace holds its rename, so the
# temporary file is there when vclone dies; the guardian removes it too.
if command -v strace >/dev/null; then
	strace -f -o /dev/null -e trace=rename -e inject=rename:delay_enter=60000000:when=1 \
		"$VCLONE" -q -o elk04 -n kdef -f "$D/kdef.img" &
	st=$!
	for _ in $(seq 200); do
		ls "$VKIT_DIR/vms" | grep -q '^kdef\.json\.tmp\.' && break
		sleep 0.1
	done
	ls "$VKIT_DIR/vms" | grep -q '^kdef\.json\.tmp\.'; ok $? "kill during the definition's write: its temporary file is there"
	pkill -KILL -P $st -x vclone
	wait $st 2>/dev/null
	flock "$VKIT_DIR/run/elk04.lock" true	# the guardian holds it until cleanup ends
	left=$(ls "$VKIT_DIR/vms" "$D" | grep '^kdef')
	ok $(test -z "$left"; echo $?) "and after kill -9 nothing of the clone is left${left:+: }$(echo $left)"
else
	skip "kill during the definition's write: strace is not installed"
	skip "kill during the definition's write: nothing left"
fi

# SIGTERM during a copy removes everything.
"$VCLONE" -q -o big -n t1 -f "$D/t1.qcow2" & pid=$!
sleep 0.05; kill -TERM $pid; wait $pid; rc=$?
if [ $rc -ne 0 ]; then
	test ! -e "$VKIT_DIR/vms/t1.json" && ! ls "$D" | grep -q '^t1\.'; ok $? "SIGTERM leaves nothing"
else
	skip "the copy finished before SIGTERM"
fi

# --reset-identity on a small ext4 image holding what both a systemd guest
# (/etc/hostname) and a RHEL/CentOS 6 one (/etc/sysconfig/network, ifcfg-*)
# keep: all checked after one libguestfs run (~15-25 s under TCG).
if command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null && command -v guestfish >/dev/null; then
	R="$TMP/root/etc"
	mkdir -p "$R/ssh" "$R/sysconfig/network-scripts" "$R/udev/rules.d"
	echo 0123456789abcdef0123456789abcdef >"$R/machine-id"
	echo elk04 >"$R/hostname"
	echo key >"$R/ssh/ssh_host_ed25519_key"
	echo key >"$R/ssh/ssh_host_rsa_key"
	echo 'Port 22' >"$R/ssh/sshd_config"
	printf 'NETWORKING=yes\nHOSTNAME=elk04.example.com\nGATEWAY=10.0.2.2\n' >"$R/sysconfig/network"
	printf 'DEVICE=eth0\nHWADDR=52:54:00:00:00:04\nUUID=5fb06bd0-0bb0-7ffb-45f1-d6edd65f3e03\nONBOOT=yes\nBOOTPROTO=dhcp\nDHCP_HOSTNAME=elk04\n' \
		>"$R/sysconfig/network-scripts/ifcfg-eth0"
	echo 'SUBSYSTEM=="net", ATTR{address}=="52:54:00:00:00:04", NAME="eth0"' >"$R/udev/rules.d/70-persistent-net.rules"
	mkfs.ext4 -q -F -d "$TMP/root" "$D/sys.img" 32M
	define sys 11111111-2222-4333-8444-000000000044 "{\"path\":\"$D/sys.img\",\"format\":\"raw\"}" ''
	check "--reset-identity" env LIBGUESTFS_BACKEND=direct "$VCLONE" -q -o sys -n sys2 -f "$D/sys2.img" --reset-identity
	cat2() { debugfs -R "cat $1" "$D/sys2.img" 2>/dev/null; }
	[ "$(cat2 /etc/hostname)" = sys2 ]; ok $? "the clone's hostname is its name"
	[ -z "$(cat2 /etc/machine-id)" ]; ok $? "the clone's machine-id is empty (new on first boot)"
	! debugfs -R 'ls /etc/ssh' "$D/sys2.img" 2>/dev/null | grep -q ssh_host; ok $? "SSH host keys are gone"
	debugfs -R 'ls /etc/ssh' "$D/sys2.img" 2>/dev/null | grep -q sshd_config; ok $? "the rest of /etc/ssh stays"
	! debugfs -R 'ls /etc/udev/rules.d' "$D/sys2.img" 2>/dev/null | grep -q 70-persistent-net.rules
	ok $? "70-persistent-net.rules (the original's MAC as eth0) is gone"
	[ "$(cat2 /etc/sysconfig/network)" = "$(printf 'NETWORKING=yes\nHOSTNAME=sys2\nGATEWAY=10.0.2.2')" ]
	ok $? "/etc/sysconfig/network: HOSTNAME= is the clone's name, the rest kept"
	[ "$(cat2 /etc/sysconfig/network-scripts/ifcfg-eth0)" = "$(printf 'DEVICE=eth0\nONBOOT=yes\nBOOTPROTO=dhcp')" ]
	ok $? "ifcfg-eth0: HWADDR=, UUID= and DHCP_HOSTNAME= are gone, the rest kept"
	[ "$(debugfs -R 'cat /etc/hostname' "$D/sys.img" 2>/dev/null)" = elk04 ] &&
		debugfs -R 'cat /etc/sysconfig/network-scripts/ifcfg-eth0' "$D/sys.img" 2>/dev/null | grep -q '^HWADDR='
	ok $? "the original is untouched"
else
	skip "libguestfs or e2fsprogs missing: --reset-identity not tested"
fi

# virt-clone compatibility: each long option in the list is virt-clone's
# (its --help names it; a virt-clone that drops one fails here, so the list
# is kept honest) and vclone takes it under the same name.
if command -v virt-clone >/dev/null; then
	ours=$("$VCLONE" --help)
	theirs=$(virt-clone --help 2>&1)
	miss= notvc=
	for o in original auto-clone name reflink file skip-copy nonsparse preserve-data mac print-xml check quiet debug; do
		echo "$theirs" | grep -q -- "--$o\([^a-z-]\|\$\)" || notvc="$notvc $o"
		echo "$ours" | grep -q -- "--$o\([^a-z-]\|\$\)" || miss="$miss $o"
	done
	[ -z "$notvc" ]; ok $? "the list holds only virt-clone's options (not in its --help:$notvc)"
	[ -z "$miss" ]; ok $? "virt-clone's options are spelled the same (missing:$miss)"
	for s in o n f m; do
		virt-clone --help 2>&1 | grep -q -- "-$s " && echo "$ours" | grep -q -- "-$s, "
		ok $? "short option -$s as in virt-clone"
	done
else
	skip "virt-clone is not installed"
fi

done_testing
