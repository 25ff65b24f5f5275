#!/bin/sh
# vinstall-compat.sh - virt-install's command-line grammar: quoted and comma-keeping sub-option values, leading bare values, --wait, "--disk=?", repeated options.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

vi_setup
cd "$TMP" || exit 99
truncate -s 16M "$TMP/data/disk.img"
echo k >"$TMP/data/vmlinuz"
DISK="$TMP/data/disk.img" KERNEL="$TMP/data/vmlinuz"

# config FIELD args...: the value of "FIELD" in the definition vinstall would write.
config() {
	_field=$1; shift
	"$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --network none "$@" --print-config 2>&1 |
		python3 -c 'import json, sys
def find(o, k):
    if isinstance(o, dict):
        if k in o: return o[k]
        o = list(o.values())
    if isinstance(o, list):
        for v in o:
            r = find(v, k)
            if r is not None: return r
try: print(find(json.load(sys.stdin), sys.argv[1]))
except ValueError: pass' "$_field"
}
# is DESCRIPTION WANT GOT
is() { [ "$2" = "$3" ]; ok $? "$1"; [ "$2" = "$3" ] || echo "# want '$2', got '$3'"; }

# The standard serial console line, as the shell hands it over (quotes
# gone) and as virt-install's documentation quotes it inside the value.
is "--boot kernel_args keeps its comma (shell-stripped quotes)" "console=ttyS0,115200n8 root=/dev/vda1" \
	"$(config cmdline --import --disk "$DISK" --boot kernel="$KERNEL",kernel_args="console=ttyS0,115200n8 root=/dev/vda1")"
is "--boot kernel_args keeps its comma (quoted inside the value)" "console=ttyS0,115200n8 root=/dev/vda1" \
	"$(config cmdline --import --disk "$DISK" --boot "kernel=$KERNEL,kernel_args=\"console=ttyS0,115200n8 root=/dev/vda1\"")"
is "--boot cmdline= is kernel_args=, comma and all" "console=ttyS0,9600 quiet" \
	"$(config cmdline --import --disk "$DISK" --boot "cmdline=console=ttyS0,9600 quiet,kernel=$KERNEL")"
is "--boot extra_args= is kernel_args= too" "console=ttyS0,115200" \
	"$(config cmdline --import --disk "$DISK" --boot "kernel=$KERNEL,extra_args=console=ttyS0,115200")"
expect_fail "a stray item elsewhere is still refused by name" "unknown option '115200n8'" \
	"$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --import --disk "$DISK,115200n8" --dry-run
is "empty items vanish, as in virt-install" "raw" \
	"$(config format --import --disk "path=$DISK,,format=raw,")"
is "a backslash escapes a comma in a path" "$TMP/data/a,b.img" \
	"$(truncate -s 1M "$TMP/data/a,b.img"; config path --import --disk "path=$TMP/data/a\\,b.img")"

# --extra-args: a comma inside survives; given twice, joined (virt-install appends).
cmdline=$(config cmdline --boot kernel="$KERNEL" -x console=ttyS0,115200n8 --extra-args "inst.text ks=x")
case $cmdline in *" console=ttyS0,115200n8 inst.text ks=x") r=0 ;; *) r=1 ;; esac
ok $r "--extra-args keeps commas; repeats are joined with a space ($cmdline)"

# Leading bare values take the option's first sub-option.
is "--disk PATH,format=raw" "$DISK" "$(config path --import --disk "$DISK,format=raw")"
is "--network bridge:br0 (old spelling)" "br0" \
	"$("$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --import --disk "$DISK" --network bridge:br0,model=virtio --print-config | sed -n 's/.*"source": "\(.*\)".*/\1/p')"
check "--network default" "$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --import --disk "$DISK" --network default --dry-run
is "--osinfo rhel6 (bare name)" "rhel6" "$(config os_variant --import --disk "$DISK" --osinfo rhel6)"
is "--osinfo name=rhel6" "rhel6" "$(config os_variant --import --disk "$DISK" --osinfo name=rhel6)"
is "--osinfo short-id=debian12" "debian12" "$(config os_variant --import --disk "$DISK" --osinfo short-id=debian12)"
is "--osinfo detect=on,require=off falls back to the default" "linux" \
	"$(config os_variant --import --disk "$DISK" --osinfo detect=on,require=off)"
is "--osinfo detect=on,name=debian12 falls back to name=" "debian12" \
	"$(config os_variant --import --disk "$DISK" --osinfo detect=on,name=debian12)"
expect_fail "--osinfo detect=on,require=on is refused, not guessed" "does not detect the OS from the media" \
	"$VINSTALL" --name g1 --memory 512 --osinfo detect=on,require=on --import --disk "$DISK" --dry-run
expect_fail "--osinfo with an unknown sub-option" "unknown option 'colour'" \
	"$VINSTALL" --name g1 --memory 512 --osinfo name=rhel6,colour=red --import --disk "$DISK" --dry-run

# --wait with and without a value (argparse nargs="?").
for w in "--wait" "--wait -1" "--wait 10" "--wait=10" "--wait 0"; do
	# shellcheck disable=SC2086
	check "$w is accepted" "$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --import --disk "$DISK" \
		--network none $w --dry-run
done
check "--wait last on the line" "$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --import --disk "$DISK" \
	--network none --dry-run --wait
expect_fail "--wait soon" "--wait: 'soon' is not a number" \
	"$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --import --disk "$DISK" --wait soon --dry-run

# "--disk=?" and "--network help" list the sub-options and stop, as virt-install's do.
"$VINSTALL" --disk=? >"$TMP/help.out" 2>&1
ok $? "--disk=? exits 0"
grep -q "^--disk options:" "$TMP/help.out" && grep -q "^  backing_store$" "$TMP/help.out"
ok $? "--disk=? lists --disk's sub-options"
"$VINSTALL" --network help --boot=? >"$TMP/help.out" 2>&1
grep -q "^--network options:" "$TMP/help.out" && grep -q "^  kernel_args$" "$TMP/help.out" && grep -q "^  mac$" "$TMP/help.out"
ok $? "--network help --boot=? lists both"
for o in --memory --vcpus --check --console --graphics --location --osinfo; do
	"$VINSTALL" "$o=?" 2>&1 | grep -q "^$o options:"
	ok $? "$o=? lists its sub-options"
done

# Repeated options: the last one counts (argparse), as in virt-install.
is "--name twice: the last" "g2" "$(config name --name g2 --import --disk "$DISK")"
is "--memory twice: the last" "1024" "$(config memory --memory 1024 --import --disk "$DISK")"

# The same lines through virt-install, where it is installed: same verdict and value.
if command -v virt-install >/dev/null; then
	virt-install --connect test:///default --dry-run --print-xml --name g1 --memory 512 --osinfo linux2022 \
		--import --disk "$DISK" --network none \
		--boot kernel="$KERNEL",kernel_args="console=ttyS0,115200n8 root=/dev/vda1" >"$TMP/vi.xml" 2>&1
	is "virt-install reads the shell-stripped kernel_args the same" "console=ttyS0,115200n8 root=/dev/vda1" \
		"$(sed -n 's|.*<cmdline>\(.*\)</cmdline>.*|\1|p' "$TMP/vi.xml")"
	virt-install --disk=? >"$TMP/vi-help.out" 2>&1
	"$VINSTALL" --disk=? >"$TMP/vk-help.out" 2>&1
	for k in path size format bus cache device readonly sparse backing_store backing_format serial shareable pool vol; do
		grep -qx "  $k" "$TMP/vi-help.out" && grep -qx "  $k" "$TMP/vk-help.out"
		ok $? "--disk=? lists $k in both"
	done
else
	skip "virt-install (Debian package virtinst) is not installed"
fi

# --- options virt-install has and vinstall lacked ---

# dry NAME args...: a dry run of a VM g1 on the existing disk, its output in $TMP/dry.out.
dry() {
	"$VINSTALL" --name g1 --memory 512 --osinfo linux2022 "$@" --dry-run >"$TMP/dry.out" 2>&1
}
# refused DESCRIPTION TEXT args...: refused before anything, with TEXT in the refusal.
refused() {
	_d=$1 _t=$2; shift 2
	expect_fail "$_d" "$_t" "$VINSTALL" --name g1 --memory 512 --osinfo linux2022 "$@" --dry-run
}

check "--nodisks with no --disk" "$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --nodisks \
	--boot kernel="$KERNEL" --network none --dry-run
refused "--nodisks with --disk" "--nodisks and --disk" --nodisks --import --disk "$DISK"

dry --import --disk "$DISK" --network none --autoconsole none
grep -q "not attached" "$TMP/dry.out"; ok $? "--autoconsole none: the console is not attached"
dry --import --disk "$DISK" --network none --autoconsole text
grep -q "serial, attached" "$TMP/dry.out"; ok $? "--autoconsole text: the serial console, attached"
refused "--autoconsole graphical is refused" "--autoconsole graphical: vrun has no graphical display" \
	--import --disk "$DISK" --autoconsole graphical
refused "--autoconsole with an unknown type" "--autoconsole: unknown type 'vnc'" --import --disk "$DISK" --autoconsole vnc

# --install: the installer's kernel, its arguments (commas kept), no installer at all.
dry --install "kernel=$KERNEL,kernel_args=console=ttyS0,115200n8 inst.ks=x" --disk size=1 --network none
grep -q "^Install:     kernel $KERNEL" "$TMP/dry.out" && grep -q "^Cmdline:.* console=ttyS0,115200n8 inst.ks=x$" "$TMP/dry.out"
ok $? "--install kernel=,kernel_args= boots that installer with those arguments"
grep -q "kernel found by inspection" "$TMP/dry.out"
ok $? "--install kernel=: after the install, the installed system boots (not the installer)"
is "--install kernel_args_overwrite=on: only the given arguments" "inst.ks=x" \
	"$(config cmdline --install "kernel=$KERNEL,kernel_args=inst.ks=x,kernel_args_overwrite=on" --disk size=1)"
dry --install no_install=yes --disk size=1 --network none --boot network,hd
grep -q "^Install:     none (--install no_install=yes)" "$TMP/dry.out" && grep -q "vrun --name g1 --boot network,hd" "$TMP/dry.out"
ok $? "--install no_install=yes: defined and booted through the firmware"
refused "--install os= is refused, naming --location" "--install fedora39: vinstall does not fetch an OS" \
	--install fedora39 --disk size=1
refused "--install kernel= with --location" "--install kernel= is the installer" \
	--install kernel="$KERNEL" --location "$TMP/data" --disk size=1
refused "--install no_install=yes with --extra-args" "runs no installer" --install no_install=yes -x quiet --disk size=1

# The platform: what vrun is, in virt-install's spellings, accepted; the rest refused.
check "--arch x86_64 --machine pc --virt-type kvm --cpu host-passthrough" "$VINSTALL" --name g1 --memory 512 \
	--osinfo linux2022 --import --disk "$DISK" --network none --arch x86_64 --machine pc --virt-type kvm \
	--cpu host-passthrough --dry-run
for cpu in host-model host mode=host-passthrough host-passthrough,migratable=on; do
	check "--cpu $cpu" "$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --import --disk "$DISK" \
		--network none --cpu "$cpu" --dry-run
done
check "--machine pc-i440fx-7.2" "$VINSTALL" --name g1 --memory 512 --osinfo linux2022 --import --disk "$DISK" \
	--network none --machine pc-i440fx-7.2 --dry-run
refused "--arch aarch64 refused" "--arch aarch64: vrun runs x86_64 guests only" --import --disk "$DISK" --arch aarch64
refused "--machine q35 refused" "--machine q35: vrun is a PC with the i440FX chipset" --import --disk "$DISK" --machine q35
refused "--virt-type qemu refused" "--virt-type qemu: vrun runs guests under KVM only" --import --disk "$DISK" --virt-type qemu
refused "--cpu Haswell refused" "--cpu Haswell: vrun gives the guest the host's CPU" --import --disk "$DISK" --cpu Haswell
refused "--cpu with an unknown sub-option" "unknown option 'cache.mode'" --import --disk "$DISK" --cpu host,cache.mode=x

# Old spellings, converted as virt-install converts them.
dry --boot kernel="$KERNEL" -f "$TMP/data/old.img" -s 2 --nonsparse --network none
grep -q "^Disk 1:      $TMP/data/old.img, raw, virtio, new: 2 GiB, fully allocated" "$TMP/dry.out"
ok $? "-f PATH -s GIB --nonsparse is --disk path=,size=,sparse=no"
dry --boot kernel="$KERNEL" --file "$TMP/data/a,b2.img" --file-size 1 --network none
grep -q "^Disk 1:      $TMP/data/a,b2.img," "$TMP/dry.out"
ok $? "--file with a comma in the path"
refused "--file with --disk" "old spelling of --disk" --import --disk "$DISK" --file "$DISK"
dry --import --disk "$DISK" --nonetworks
grep -q "^NICs:        none" "$TMP/dry.out"; ok $? "--nonetworks is --network none"
dry --import --disk "$DISK" -m 52:54:00:00:00:0a --mac 52:54:00:00:00:0b
grep -q "^NIC 1:       network default, mac 52:54:00:00:00:0a" "$TMP/dry.out" &&
	grep -q "^NIC 2:       network default, mac 52:54:00:00:00:0b" "$TMP/dry.out"
ok $? "--mac twice: two NICs on the default network with those MACs"
dry --import --disk "$DISK" --bridge br0 --mac 52:54:00:00:00:0c
grep -q "^NIC 1:       bridge br0, mac 52:54:00:00:00:0c" "$TMP/dry.out"; ok $? "--bridge with --mac"
refused "--paravirt refused" "--paravirt: Xen paravirtualized guests" --import --disk "$DISK" --paravirt
refused "-p refused" "--paravirt" --import --disk "$DISK" -p
refused "--sdl refused" "--sdl: vrun has no graphical display" --import --disk "$DISK" --sdl
refused "--keymap refused" "--keymap: is for a graphical display" --import --disk "$DISK" -k de

# virt-install accepts and refuses the same (where it is installed).
if command -v virt-install >/dev/null; then
	# (--arch, --machine and --virt-type cannot be compared: test:///default is no KVM host)
	for args in "--cpu host-passthrough" "--cpu host-model" \
		"--autoconsole none" "--autoconsole text" "--nonetworks" "--mac 52:54:00:00:00:0d"; do
		# shellcheck disable=SC2086
		virt-install --connect test:///default --dry-run --print-xml --name g1 --memory 512 --osinfo linux2022 \
			--import --disk "$DISK" $args >/dev/null 2>&1
		_vi=$?
		# shellcheck disable=SC2086
		dry --import --disk "$DISK" $args
		_vk=$?
		[ $_vi -eq 0 ] && [ $_vk -eq 0 ]; ok $? "$args: accepted by virt-install ($_vi) and vinstall ($_vk)"
	done
	virt-install --connect test:///default --dry-run --print-xml --name g1 --memory 512 --osinfo linux2022 \
		--import --disk "$DISK" --nodisks >/dev/null 2>&1
	[ $? -ne 0 ]; ok $? "virt-install refuses --nodisks with --disk too"
fi

# --- no --name: one generated as virt-install does (osinfo name, then NAME-2, ...; vm1, vm2 without one) ---
unnamed() { "$VINSTALL" --memory 512 --import --disk "$DISK" --network none "$@" --dry-run 2>&1 | sed -n 's/^Using default --name //p'; }
is "no --name, --osinfo debian11: debian11" "debian11" "$(unnamed --osinfo debian11)"
is "no --name, --osinfo name=rhel6,detect=on: rhel6" "rhel6" "$(unnamed --osinfo name=rhel6,detect=on)"
is "no --name, no --osinfo: vm1" "vm1" "$(unnamed)"
is "no --name, --osinfo detect=on,require=off: vm1" "vm1" "$(unnamed --osinfo detect=on,require=off)"
mkdir -p "$VKIT_DIR/vms"
"$VINSTALL" --name debian11 --memory 512 --nodisks --boot kernel="$KERNEL" --network none --osinfo debian11 \
	--print-config >"$VKIT_DIR/vms/debian11.json" 2>/dev/null
is "debian11 defined: debian11-2" "debian11-2" "$(unnamed --osinfo debian11)"
: >"$VKIT_DIR/vms/debian11-2.claim"
is "debian11-2 being created: debian11-3" "debian11-3" "$(unnamed --osinfo debian11)"
: >"$VKIT_DIR/vms/vm1.claim"
is "vm1 being created: vm2" "vm2" "$(unnamed)"
"$VINSTALL" --memory 512 --import --disk "$DISK" --network none --osinfo debian11 --print-config >"$TMP/pc.out" 2>&1
grep -q '"name": "debian11-3"' "$TMP/pc.out"; ok $? "the generated name is the definition's"
head -1 "$TMP/pc.out" | grep -q '^{'; ok $? "--print-config prints only the definition (no 'Using default --name')"
rm -f "$VKIT_DIR/vms/"*
if command -v virt-install >/dev/null; then
	for os in debian11 detect=on,require=off; do
		_vi=$(virt-install --connect test:///default --dry-run --print-xml --memory 512 --osinfo "$os" --import \
			--disk "$DISK" 2>/dev/null | sed -n 's|^  <name>\(.*\)</name>|\1|p' | head -1)
		is "no --name with --osinfo $os: the name virt-install makes ($_vi)" "$_vi" "$(unnamed --osinfo "$os")"
	done
fi

# --- a runner that fails to start is a failure, with --noautoconsole and --wait alike ---
export VKIT_VRUN="$top_srcdir/tests/tools/fake-vrun"
for how in "--noautoconsole" "--noautoconsole --wait 1" "--wait" "--wait 1" "--autoconsole none"; do
	# shellcheck disable=SC2086
	FAKE_FAIL="vrun: /dev/kvm: No such file or directory" "$VINSTALL" --name s1 --memory 512 --osinfo linux2022 \
		--import --disk "$DISK" --network none --boot kernel="$KERNEL" $how >"$TMP/start.out" 2>&1
	_rc=$?
	[ $_rc -ne 0 ] && grep -q "/dev/kvm: No such file or directory" "$TMP/start.out" &&
		! grep -q "in progress" "$TMP/start.out" && test ! -e "$VKIT_DIR/vms/s1.json"
	ok $? "$how: vrun failing to start exits $_rc, says why, leaves nothing defined"
	[ $? -eq 0 ] || sed 's/^/# /' "$TMP/start.out"
done
FAKE_SECONDS=2 "$VINSTALL" --name s2 --memory 512 --osinfo linux2022 --import --disk "$DISK" --network none \
	--boot kernel="$KERNEL" --noautoconsole >"$TMP/start.out" 2>&1
_rc=$?
[ $_rc -eq 0 ] && grep -q "still in progress" "$TMP/start.out" && test -e "$VKIT_DIR/vms/s2.json"
ok $? "--noautoconsole with a guest that starts: returns 0 once it runs, defined"
# the background supervisor ends with the fake guest; wait for it before $TMP goes
sup=$(sed -n 's/.*vinstall (pid \([0-9]*\)).*/\1/p' "$TMP/start.out")
for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	[ -n "$sup" ] && kill -0 "$sup" 2>/dev/null || break
	sleep 0.5
done
unset VKIT_VRUN
rm -f "$VKIT_DIR/vms/s2.json"

# --- argparse abbreviations, as virt-install takes them ---
dry --import --disk "$DISK" --network none --noauto --graph none
[ $? -eq 0 ] && grep -q "not attached" "$TMP/dry.out"; ok $? "--noauto is --noautoconsole, --graph --graphics"
refused "--os is ambiguous, as in virt-install" "ambiguous option: --os could match --os-type, --os-variant" \
	--import --disk "$DISK" --os linux
if command -v virt-install >/dev/null; then
	virt-install --connect test:///default --dry-run --print-xml --name g1 --memory 512 --osinfo linux2022 \
		--import --disk "$DISK" --noauto --graph none >/dev/null 2>&1
	ok $? "virt-install takes --noauto --graph too"
fi

done_testing
