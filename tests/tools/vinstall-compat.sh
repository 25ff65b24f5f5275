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

done_testing
