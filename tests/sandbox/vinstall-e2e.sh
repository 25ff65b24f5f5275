#!/bin/sh
# vinstall-e2e.sh - end to end in the nested sandbox: vinstall runs a real installer from an ISO, then boots the installed system from its disk.
#
# On the host: build the demo ISO (scripts/mk-demo-media: Debian's kernel
# and a busybox installer that partitions, formats and installs /dev/vda,
# then reboots), run this script again inside L1 (tests/sandbox/run-l1.sh),
# and check what came back.  Inside L1: vinstall with --location ISO; its
# phase one runs the installer under vrun (L2), the reboot ends it; the
# kernel, initrd and root are read from the ext2 disk directly; phase two
# boots them and the installed system's /sbin/init prints its marker and
# powers off.  Two L2 boots in all.
. "$top_srcdir/tests/lib/tap.sh"

NAME=e2e

# now: seconds since the epoch, with fractions.
now() { date +%s.%N; }

if [ -n "${VKIT_IN_SANDBOX:-}" ]; then
	# Inside L1: $1 is the shared work directory; the disk lives on L1's
	# own tmpfs (faster than 9p), the state where the host can check it.
	W=$1
	export VKIT_DIR="$W/state"
	{
		"$VINSTALL" --name "$NAME" --os-variant debian12 --memory 256 --location "$W/demo.iso" \
			--disk path=/tmp/$NAME.img,size=0.1 --network none --graphics none --wait 4
		echo $? >"$W/vinstall.rc"
	} 2>&1 | while IFS= read -r line; do
		# Only the lines the timings need pay for a clock read (a fork,
		# which under TCG competes with the guest for L1's one CPU).
		case $line in
		"Starting install of "* | "Installed system: "* | "Install finished; "* | VKIT-DEMO-INSTALLED-SYSTEM-OK*)
			printf '%s %s\n' "$(now)" "$line" ;;
		*) printf -- '- %s\n' "$line" ;;
		esac
	done
	exit 0
fi

[ "${VK_SANDBOX_TESTS:-yes}" = no ] && skip_all "sandbox tests disabled (--disable-sandbox-tests)"
RUN_L1="$top_srcdir/tests/sandbox/run-l1.sh"
[ -x "$RUN_L1" ] || skip_all "tests/sandbox/run-l1.sh is missing"
why=$("$RUN_L1" --check 2>/dev/null)
case $? in
0) ;;
77) skip_all "the nested sandbox cannot run here: $why" ;;
*) skip_all "tests/sandbox/run-l1.sh --check failed: $why" ;;
esac
tap_setup_tmp

# The ISO holds the sandbox's own kernel, whose modules L2 needs.
vk_sb_srcdir="$top_srcdir/tests/sandbox"
vk_sb_cache="$top_builddir/tests/sandbox/cache"
. "$vk_sb_srcdir/sandbox-lib.sh"
vk_sb_find_kernel || skip_all "no sandbox kernel: $vk_sb_why"
check "the demo ISO builds (scripts/mk-demo-media)" \
	"$top_srcdir/scripts/mk-demo-media" --kernel "$VK_SANDBOX_KERNEL" --moddir "$VK_SANDBOX_MODDIR" "$TMP"
KVER=${VK_SANDBOX_KERNEL##*/vmlinuz-}

t0=$(now)
"$RUN_L1" --share "$TMP" --timeout 900 "$top_srcdir/tests/sandbox/vinstall-e2e.sh" "$TMP" >"$TMP/l1.out" 2>&1
l1=$?
t1=$(now)
sed 's/^/# | /' "$TMP/l1.out" | tail -n 40
test "$l1" -eq 0 && test "$(cat "$TMP/vinstall.rc" 2>/dev/null)" = 0
ok $? "vinstall ran in L1 and exited 0 (run-l1.sh: $l1, vinstall: $(cat "$TMP/vinstall.rc" 2>/dev/null || echo none))"

# The lines of the run, without their time stamps.
cut -d' ' -f2- "$TMP/l1.out" >"$TMP/console"
grep -q "^vkit-demo-installer: installed kernel $KVER, its initrd and a busybox root on /dev/vda1 (ext2); rebooting" "$TMP/console"
ok $? "phase one: the installer partitioned, formatted and installed /dev/vda, and rebooted"
grep -q "^Installed system: /boot/vmlinuz-$KVER on vda1 (ext2, read directly), root=UUID=" "$TMP/console"
ok $? "the installed kernel, initrd and root were read from the disk directly (no appliance)"
uuid=$(sed -n 's/^Installed system: .*root=UUID=\([0-9a-f-]*\).*/\1/p' "$TMP/console")
awk '/^Install finished; booting/ { p = 1 } p && /^VKIT-DEMO-INSTALLED-SYSTEM-OK/ { found = 1 } END { exit !found }' "$TMP/console"
ok $? "phase two: the installed system booted from its disk and reached its init"
grep -q "^vkit-demo: the installed system reached its init (kernel $KVER, root=UUID=$uuid, / from disk)" "$TMP/console"
ok $? "phase two: its root was the installed filesystem, by UUID"

def="$TMP/state/vms/$NAME.json"
grep -q "\"root=UUID=$uuid console=ttyS0\"" "$def" && grep -q "boot/$NAME/kernel\"" "$def" &&
	grep -q "boot/$NAME/initrd\"" "$def" && ! grep -q "demo.iso" "$def"
ok $? "the definition records the final boot (installed kernel, initrd, root), without the ISO"
cmp -s "$TMP/state/boot/$NAME/kernel" "$VK_SANDBOX_KERNEL" && test -s "$TMP/state/boot/$NAME/initrd" &&
	test ! -e "$TMP/state/boot/$NAME/installer-kernel"
ok $? "boot/$NAME holds the installed kernel (the medium's) and initrd; the installer's are gone"

# Timings, from the time stamps L1 put on each line.
stamp() { awk -v re="$1" '$0 ~ re { print $1; exit }' "$TMP/l1.out"; }
s=$(stamp " Starting install of ")
f=$(stamp " Install finished; booting ")
i=$(stamp " Installed system: ")	# printed once /boot has been read
e=$(stamp " VKIT-DEMO-INSTALLED-SYSTEM-OK")
if [ -n "$s" ] && [ -n "$i" ] && [ -n "$f" ] && [ -n "$e" ]; then
	awk -v t0="$t0" -v t1="$t1" -v s="$s" -v i="$i" -v e="$e" -v f="$f" 'BEGIN {
		printf "# timings: whole test %.1fs (L1 boot included); phase one (installer in L2) and reading /boot %.1fs; phase two (boot to init) %.1fs\n", t1 - t0, i - s, e - f }'
fi
done_testing
