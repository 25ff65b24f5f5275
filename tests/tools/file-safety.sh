#!/bin/sh
# file-safety.sh - issue 12's file rules, as a user meets them: private modes, planted
# symlinks and FIFOs, disks that exist or belong to another VM, names never changed,
# damaged definitions.  The permission and symlink cases also run with a second,
# unprivileged user that the test creates and removes (root only).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v xorriso >/dev/null || skip_all "xorriso is needed to build ISO fixtures"
vi_setup
cd "$TMP" || exit 99
D="$TMP/data"
chmod 0711 "$TMP"	# the other user may traverse, not list
echo kernel >"$D/vmlinuz"; echo initrd >"$D/initrd.img"

# A vrun that exits 0 at once: vinstall's flow, without a guest.
printf '#!/bin/sh\nexit 0\n' >"$TMP/fake-vrun"; chmod +x "$TMP/fake-vrun"
export VKIT_VRUN="$TMP/fake-vrun"

mode() { stat -c %a "$1"; }

# The second user: created here, removed on exit; absent when not root.
OTHER=
if [ "$(id -u)" -eq 0 ] && command -v useradd >/dev/null && command -v setpriv >/dev/null; then
	OTHER=vkt$$
	useradd -M -N -r -s /bin/false "$OTHER" 2>/dev/null || OTHER=
fi
if [ -n "$OTHER" ]; then
	trap 'userdel "$OTHER" 2>/dev/null; rm -rf "$TMP"' EXIT
	OTHER_UID=$(id -u "$OTHER") OTHER_GID=$(id -g "$OTHER")
fi
as_other() { setpriv --reuid="$OTHER_UID" --regid="$OTHER_GID" --clear-groups -- "$@"; }
other_skip() { skip "$1: needs root to create a second user"; }

# ---- 1-3: what vkit creates is private ----
mkdir -p "$D/pub"; chmod 0755 "$D/pub"
printf 'rootpw --plaintext secret\n' >"$D/ks.cfg"; chmod 0600 "$D/ks.cfg"
mkdir "$VKIT_DIR"; chmod 0755 "$VKIT_DIR"	# as an older vkit left it
"$VINSTALL" --name p1 --boot kernel="$D/vmlinuz",initrd="$D/initrd.img" --disk size=0.01 \
	--disk path="$D/pub/p1-data.img",size=0.01 --initrd-inject "$D/ks.cfg" --noreboot --network none >"$TMP/p1.out" 2>&1
ok $? "vinstall with two new disks and an injected kickstart"
grep -q "warning: $VKIT_DIR was mode 0755; made it 0700" "$TMP/p1.out" && test "$(mode "$VKIT_DIR")" = 700
ok $? "a state directory left 0755 is made 0700, with a warning"
bad=
for d in vms run log boot images cache; do
	[ "$(mode "$VKIT_DIR/$d")" = 700 ] || bad="$bad $d"
done
test -z "$bad"
ok $? "every state subdirectory is 0700${bad:+ (not:$bad)}"
test "$(mode "$VKIT_DIR/images/p1.qcow2")" = 600 && test "$(mode "$D/pub/p1-data.img")" = 600 &&
	test "$(mode "$VKIT_DIR/vms/p1.json")" = 600
ok $? "new disks (default place and a path given) and the definition are 0600"
test "$(mode "$VKIT_DIR/boot/p1")" = 700 && test "$(mode "$VKIT_DIR/boot/p1/installer-initrd")" = 600 &&
	test "$(mode "$VKIT_DIR/boot/p1/installer-kernel")" = 600
ok $? "boot files are 0600 in a 0700 directory (the initrd holds the injected kickstart)"
# The kickstart keeps its mode inside the initrd too: newc mode field 0100600.
grep -qa "00008180" "$VKIT_DIR/boot/p1/installer-initrd" && ! grep -qa "000081a4" "$VKIT_DIR/boot/p1/installer-initrd"
ok $? "inside the initrd the injected 0600 file is not widened to 0644"
if [ -n "$OTHER" ]; then
	as_other cat "$D/pub/p1-data.img" >/dev/null 2>&1
	ok $((! $?)) "the other user cannot read a disk created in a world-readable directory"
else
	other_skip "another user reads a new disk"
fi

# vclone never widens: a 0644 source gives a 0600 copy.
chmod 0644 "$D/pub/p1-data.img"
"$VCLONE" -o p1 -n p1c -f "$D/pub/p1c.qcow2" -f "$D/pub/p1c-data.img" >"$TMP/c.out" 2>&1
ok $? "vclone of p1"
test "$(mode "$D/pub/p1c-data.img")" = 600 && test "$(mode "$D/pub/p1c.qcow2")" = 600 &&
	test "$(mode "$VKIT_DIR/vms/p1c.json")" = 600
ok $? "vclone's copies and definition are 0600 even from a 0644 source"

# ---- 4: the console log is not written through a symlink ----
GUESTS=${top_builddir:-.}/tests/vmm/guests
if [ -c /dev/kvm ] && [ -f "$GUESTS/hello.bin" ]; then
	mkdir -m 1777 "$TMP/shared"
	echo precious >"$TMP/victim"; chmod 0600 "$TMP/victim"
	if [ -n "$OTHER" ]; then
		as_other ln -s "$TMP/victim" "$TMP/shared/con.log"
	else
		ln -s "$TMP/victim" "$TMP/shared/con.log"
	fi
	expect_fail "vrun --console file=PATH refuses a symlink planted at PATH" "symbolic link" \
		timeout 60 "$VRUN" --memory 16 --console "file=$TMP/shared/con.log" --bios "$GUESTS/hello.bin"
	rm -f "$TMP/shared/con.log"
	if [ -n "$OTHER" ]; then
		as_other ln -s "$TMP/victim" "$TMP/shared/con.log.1"
	else
		ln -s "$TMP/victim" "$TMP/shared/con.log.1"
	fi
	expect_fail "... and one planted at PATH.1" "con.log.1: is a symbolic link" \
		timeout 60 "$VRUN" --memory 16 --console "file=$TMP/shared/con.log" --bios "$GUESTS/hello.bin"
	test "$(cat "$TMP/victim")" = precious
	ok $? "the symlinks' target is untouched"
	if [ -n "$OTHER" ]; then
		rm -f "$TMP/shared/con.log" "$TMP/shared/con.log.1"
		as_other sh -c "echo theirs >'$TMP/shared/con.log'"
		expect_fail "... and a file another user made there" "belongs to uid $OTHER_UID" \
			timeout 60 "$VRUN" --memory 16 --console "file=$TMP/shared/con.log" --bios "$GUESTS/hello.bin"
	else
		other_skip "a console log file made by another user"
	fi
	mkdir -m 0777 "$TMP/open"
	expect_fail "a console log in a directory anyone can write (not sticky) is refused" "other users can write" \
		timeout 60 "$VRUN" --memory 16 --console "file=$TMP/open/con.log" --bios "$GUESTS/hello.bin"
	timeout 60 "$VRUN" --memory 16 --console "file=$TMP/con.log" --bios "$GUESTS/hello.bin" >/dev/null 2>&1
	test "$(mode "$TMP/con.log")" = 600 && test "$(mode "$TMP/con.log.1")" = 600
	ok $? "console logs are 0600"
else
	for c in 1 2 3 4 5 6; do skip "console log checks need /dev/kvm and tests/vmm/guests/hello.bin"; done
fi

# ---- 5: install trees and ISOs: links are not followed off the medium ----
mkdir -p "$TMP/tree/install.amd"
echo "host secret" >"$TMP/secret"; chmod 0600 "$TMP/secret"
ln -s "$TMP/secret" "$TMP/tree/install.amd/vmlinuz"
echo initrd >"$TMP/tree/install.amd/initrd.gz"
expect_fail "a tree whose vmlinuz links out of the tree is refused" "leads outside the install tree" \
	"$VINSTALL" --name t1 --os-variant debian12 --location "$TMP/tree" --disk size=0.01 --noreboot --network none
test ! -e "$VKIT_DIR/boot/t1" && test ! -e "$VKIT_DIR/vms/t1.json"
ok $? "... and nothing of the host file was copied (no boot directory, no definition)"
rm "$TMP/tree/install.amd/vmlinuz"
echo "tree kernel" >"$TMP/tree/install.amd/vmlinuz-6.1"
ln -s vmlinuz-6.1 "$TMP/tree/install.amd/vmlinuz"
"$VINSTALL" --name t2 --os-variant debian12 --location "$TMP/tree" --disk size=0.01 --noreboot --network none >"$TMP/t2.out" 2>&1 &&
	test "$(cat "$VKIT_DIR/boot/t2/installer-kernel")" = "tree kernel"
ok $? "a link inside the tree is followed inside it"
# Rock Ridge symlinks in an ISO: resolved on the medium, never on the host.
mkdir -p "$TMP/iso1/install.amd"
echo "iso kernel" >"$TMP/iso1/install.amd/vmlinuz-6.1"; echo initrd >"$TMP/iso1/install.amd/initrd.gz"
ln -s vmlinuz-6.1 "$TMP/iso1/install.amd/vmlinuz"
xorriso -as mkisofs -quiet -R -V "Debian 12" -o "$D/link.iso" "$TMP/iso1" >/dev/null 2>&1
"$VINSTALL" --name t3 --os-variant debian12 --location "$D/link.iso" --disk size=0.01 --noreboot --network none >"$TMP/t3.out" 2>&1 &&
	test "$(cat "$VKIT_DIR/boot/t3/installer-kernel")" = "iso kernel"
ok $? "an ISO's symlinked kernel is the file it names on the medium (not 0 bytes)"
rm "$TMP/iso1/install.amd/vmlinuz"
ln -s ../../../../../../etc/passwd "$TMP/iso1/install.amd/vmlinuz"
xorriso -as mkisofs -quiet -R -V "Debian 12" -o "$D/escape.iso" "$TMP/iso1" >/dev/null 2>&1
expect_fail "an ISO's symlink that climbs out of the medium is refused" "outside the ISO image" \
	"$VINSTALL" --name t4 --os-variant debian12 --location "$D/escape.iso" --disk size=0.01 --noreboot --network none

# ---- 7: size= is a new disk; another VM's disk is not taken ----
truncate -s 1M "$D/theirs.img"; cp "$D/theirs.img" "$D/before.img"
expect_fail "size= on a path that exists is refused" "exists already, and size= asks for a new disk" \
	"$VINSTALL" --name d1 --import --boot kernel="$D/vmlinuz" --disk path="$D/theirs.img",size=1 --noreboot --network none
"$VINSTALL" --name d2 --import --boot kernel="$D/vmlinuz" --disk path="$D/theirs.img",format=raw --noreboot --network none >"$TMP/d2.out" 2>&1
ok $? "the existing disk without size= is used as it is"
expect_fail "another VM's disk is refused, naming the VM" "is already in use by other guests ['d2']" \
	"$VINSTALL" --name d3 --import --boot kernel="$D/vmlinuz" --disk path="$D/theirs.img",format=raw --noreboot --network none
check "... unless the user overrides the check" \
	"$VINSTALL" --name d3 --import --boot kernel="$D/vmlinuz" --disk path="$D/theirs.img",format=raw --dry-run \
	--check path_in_use=off
expect_fail "vctl attach-disk of another VM's disk is refused" "already in use by d2" \
	"$VCTL" attach-disk p1 "$D/theirs.img" vdc --config
cmp -s "$D/theirs.img" "$D/before.img"
ok $? "the other VM's disk was never written"
ln -s "$D/nothing-here.img" "$D/dangling.img"
expect_fail "a new disk is not created through a (dangling) symlink" "never created through a symlink" \
	"$VINSTALL" --name d4 --import --boot kernel="$D/vmlinuz" --disk path="$D/dangling.img",size=0.01 --noreboot --network none
test ! -e "$D/nothing-here.img"
ok $? "... and nothing appeared at its target"

"$VINSTALL" --name m1 --boot kernel="$D/vmlinuz" --disk size=0.01 --network bridge=br0,mac=52:54:00:aa:bb:cc --noreboot \
	>"$TMP/m1.out" 2>&1
ok $? "a VM with a given MAC"
expect_fail "a MAC another VM has is refused, as virt-install's mac_in_use" \
	"The MAC address '52:54:00:aa:bb:cc' is in use by another virtual machine ('m1')" \
	"$VINSTALL" --name m2 --boot kernel="$D/vmlinuz" --disk size=0.01 --network bridge=br0,mac=52:54:00:AA:BB:CC --dry-run
check "... and --force turns the check off" \
	"$VINSTALL" --name m2 --boot kernel="$D/vmlinuz" --disk size=0.01 --network bridge=br0,mac=52:54:00:aa:bb:cc --dry-run --force

# ---- 10: a name is never cut ----
long=$(printf 'a%.0s' $(seq 65))
expect_fail "vclone refuses a 65-character --name" "longer than 64 characters" \
	"$VCLONE" -o p1 -n "$long" --auto-clone
test ! -e "$VKIT_DIR/vms/$(printf 'a%.0s' $(seq 64)).json"
ok $? "... and no clone appears under the 64-character cut"

# ---- 11: FIFOs are refused at once, never waited on ----
mkfifo "$D/fifo.img" "$VKIT_DIR/vms/fifo.json"
expect_fail "vinstall --disk FIFO" "is a FIFO" timeout 20 \
	"$VINSTALL" --name f1 --import --boot kernel="$D/vmlinuz" --disk path="$D/fifo.img" --dry-run
expect_fail "vinstall --boot kernel=FIFO" "is a FIFO" timeout 20 \
	"$VINSTALL" --name f1 --boot kernel="$D/fifo.img" --disk size=0.01 --dry-run
expect_fail "vdf -a FIFO" "is a FIFO" timeout 20 "$VDF" -a "$D/fifo.img"
expect_fail "vctl dominfo of a definition that is a FIFO" "is a FIFO" timeout 20 "$VCTL" dominfo fifo
timeout 20 "$VCTL" list --all >"$TMP/l.out" 2>&1
ok $? "vctl list --all does not hang on it"
# A disk that became a FIFO after the definition was made, and a backing file that did.
sed "s|$D/theirs.img|$D/fifo.img|" "$VKIT_DIR/vms/d2.json" >"$TMP/d2.json"
cp "$TMP/d2.json" "$VKIT_DIR/vms/d2.json"
expect_fail "vclone of a VM whose disk is a FIFO" "is a FIFO" timeout 20 "$VCLONE" -o d2 --auto-clone
qemu-img create -q -f raw "$D/base.img" 1M && qemu-img create -q -f qcow2 -F raw -b "$D/base.img" "$D/over.qcow2"
rm "$D/base.img"; mkfifo "$D/base.img"
expect_fail "vdf of an overlay whose backing file is a FIFO" "is a FIFO" timeout 20 "$VDF" --format=qcow2 -a "$D/over.qcow2"
if [ -c /dev/kvm ] && [ -f "$GUESTS/hello.bin" ]; then
	expect_fail "vrun --disk FIFO" "is a FIFO" timeout 20 "$VRUN" --memory 16 --bios "$GUESTS/hello.bin" \
		--disk path="$D/fifo.img" --console "file=$TMP/f.log"
else
	skip "vrun --disk FIFO needs /dev/kvm"
fi
rm -f "$VKIT_DIR/vms/fifo.json"

# ---- 15: --dry-run fails where the real run would ----
qemu-img create -q -f qcow2 "$D/bad.qcow2" 1M
printf '\377\377\377\377' | dd of="$D/bad.qcow2" bs=1 seek=40 conv=notrunc 2>/dev/null	# L1 table offset
expect_fail "--dry-run refuses a damaged qcow2 disk" "L1 table offset" \
	"$VINSTALL" --name q1 --import --boot kernel="$D/vmlinuz" --disk "$D/bad.qcow2",format=qcow2 --dry-run
if [ "$(id -u)" -eq 0 ] && mkdir -p "$TMP/small" && mount -t tmpfs -o size=64M tmpfs "$TMP/small" 2>/dev/null; then
	check "one 40 MiB non-sparse disk fits a 64 MiB filesystem" \
		"$VINSTALL" --name q2 --boot kernel="$D/vmlinuz" --disk path="$TMP/small/a.img",size=0.04,sparse=no --dry-run
	expect_fail "two of them do not: free space is summed per filesystem" "not enough free space" \
		"$VINSTALL" --name q2 --boot kernel="$D/vmlinuz" --disk path="$TMP/small/a.img",size=0.04,sparse=no \
		--disk path="$TMP/small/b.img",size=0.04,sparse=no --dry-run
	umount "$TMP/small"
else
	skip "free space summed: needs root to mount a small tmpfs"
	skip "free space summed: needs root to mount a small tmpfs"
fi

# ---- 17: damaged definitions ----
printf '{"version":1,"name":"nul\\u0000x","uuid":"6f9619ff-8b86-4011-b42d-00c04fc964ff","memory":64,"vcpus":1}' \
	>"$VKIT_DIR/vms/nul.json"
expect_fail "a name holding \\u0000 is refused, not cut" "NUL character" "$VCTL" dominfo nul
expect_fail "vctl undefine of a definition that does not parse names the file and the way out" \
	"vctl undefine nul --force" "$VCTL" undefine nul
"$VCTL" undefine nul --force >"$TMP/u.out" 2>&1 && test ! -e "$VKIT_DIR/vms/nul.json" &&
	grep -q "removing $VKIT_DIR/vms/nul.json" "$TMP/u.out"
ok $? "vctl undefine --force removes it and says which file"

done_testing
