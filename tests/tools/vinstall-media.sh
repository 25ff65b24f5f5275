#!/bin/sh
# vinstall-media.sh - installer kernels found in ISO images, local trees and URL trees, per distribution layout.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v xorriso >/dev/null || skip_all "xorriso is needed to build ISO fixtures"
vi_setup
cd "$TMP" || exit 99
D="$TMP/data"

# found LABEL "EXPECTED Installer: line" vinstall-args...
found() {
	_label=$1 _want=$2; shift 2
	"$VINSTALL" --name m1 --dry-run "$@" >"$TMP/f.out" 2>&1
	if grep -qxF "Installer:   $_want" "$TMP/f.out"; then ok 0 "$_label"; else
		ok 1 "$_label (wanted: $_want)"; sed 's/^/# /' "$TMP/f.out"; fi
}

mkiso "$D/treeinfo.iso" "Fedora-S-dvd-x86_64-40" .treeinfo images/pxeboot/vmlinuz images/pxeboot/initrd.img \
	custom/vmlinuz custom/initrd.img
# .treeinfo wins over the usual places: point it at custom/.
mkdir -p "$TMP/ti/custom"
printf '[general]\nfamily = Fedora\n[images-x86_64]\nkernel = custom/vmlinuz\ninitrd = custom/initrd.img\n' >"$TMP/ti/.treeinfo"
echo k >"$TMP/ti/custom/vmlinuz"; echo i >"$TMP/ti/custom/initrd.img"
xorriso -as mkisofs -quiet -R -J -V "Fedora-S-dvd-x86_64-40" -o "$D/treeinfo.iso" "$TMP/ti" >/dev/null 2>&1
found "ISO with .treeinfo" "custom/vmlinuz, custom/initrd.img" --os-variant fedora --location "$D/treeinfo.iso"

mkiso "$D/pxeboot.iso" "RHEL-9" images/pxeboot/vmlinuz images/pxeboot/initrd.img isolinux/vmlinuz isolinux/initrd.img
found "ISO with images/pxeboot" "images/pxeboot/vmlinuz, images/pxeboot/initrd.img" --os-variant rhel9 --location "$D/pxeboot.iso"
mkiso "$D/isolinux.iso" "CentOS 6.10 x86_64" isolinux/vmlinuz isolinux/initrd.img
found "ISO with isolinux/" "isolinux/vmlinuz, isolinux/initrd.img" --os-variant rhel6 --location "$D/isolinux.iso"
mkiso "$D/debian.iso" "Debian 12 amd64" install.amd/vmlinuz install.amd/initrd.gz
found "Debian ISO install.amd/" "install.amd/vmlinuz, install.amd/initrd.gz" --os-variant debian12 --location "$D/debian.iso"
mkiso "$D/netboot.iso" "netboot" debian-installer/amd64/linux debian-installer/amd64/initrd.gz
found "Debian netboot layout" "debian-installer/amd64/linux, debian-installer/amd64/initrd.gz" --os-variant debian11 --location "$D/netboot.iso"
mkiso "$D/casper.iso" "Ubuntu-Server 22.04" casper/vmlinuz casper/initrd
found "Ubuntu casper/" "casper/vmlinuz, casper/initrd" --os-variant ubuntu22.04 --location "$D/casper.iso"
mkiso "$D/ubuntu-legacy.iso" "Ubuntu-Server 18.04" install/vmlinuz install/initrd.gz
found "Ubuntu install/" "install/vmlinuz, install/initrd.gz" --os-variant ubuntu18.04 --location "$D/ubuntu-legacy.iso"
mkiso "$D/suse.iso" "openSUSE-Leap-15.5" boot/x86_64/loader/linux boot/x86_64/loader/initrd
found "openSUSE boot/x86_64/loader/" "boot/x86_64/loader/linux, boot/x86_64/loader/initrd" --os-variant opensuse --location "$D/suse.iso"
mkiso "$D/alpine.iso" "alpine-virt 3.19" boot/vmlinuz-virt boot/initramfs-virt
found "Alpine boot/vmlinuz-virt" "boot/vmlinuz-virt, boot/initramfs-virt" --os-variant alpine --location "$D/alpine.iso"
mkiso "$D/alpine-edge.iso" "alpine-edge" boot/vmlinuz-edge boot/initramfs-edge
found "Alpine boot/vmlinuz-* wildcard" "boot/vmlinuz-edge, boot/initramfs-edge" --os-variant alpine --location "$D/alpine-edge.iso"
found "a variant's layouts miss: the generic list finds it" "install.amd/vmlinuz, install.amd/initrd.gz" --os-variant rhel6 --location "$D/debian.iso"
found "explicit kernel=/initrd= win" "isolinux/vmlinuz, isolinux/initrd.img" --os-variant rhel9 \
	--location "$D/pxeboot.iso,kernel=isolinux/vmlinuz,initrd=isolinux/initrd.img"
expect_fail "explicit kernel= that is not there" "kernel=nope/vmlinuz or initrd=x is not on the medium" \
	"$VINSTALL" --name m1 --dry-run --location "$D/pxeboot.iso,kernel=nope/vmlinuz,initrd=x"
expect_fail "explicit paths may not climb out" "'..' is not allowed" \
	"$VINSTALL" --name m1 --dry-run --location "$D/pxeboot.iso,kernel=../etc/passwd,initrd=x"
mkiso "$D/empty.iso" "EMPTY" README
expect_fail "nothing found: the error lists what was looked for" "looked for: .treeinfo, treeinfo, images/pxeboot/vmlinuz + images/pxeboot/initrd.img" \
	"$VINSTALL" --name m1 --dry-run --os-variant rhel9 --location "$D/empty.iso"

# Plain ISO 9660 without Rock Ridge: names are upper case on the disc.
mkdir -p "$TMP/plain/ISOLINUX"; echo k >"$TMP/plain/ISOLINUX/VMLINUZ"; echo i >"$TMP/plain/ISOLINUX/INITRD.IMG"
xorriso -as mkisofs -quiet -V PLAIN -o "$D/plain.iso" "$TMP/plain" >/dev/null 2>&1
"$VINSTALL" --name m1 --dry-run --os-variant rhel6 --location "$D/plain.iso" >"$TMP/p.out" 2>&1
grep -qi "^Installer:   isolinux/vmlinuz, isolinux/initrd.img" "$TMP/p.out"
ok $? "ISO without Rock Ridge (upper-case names)"

# The repository argument of the variant, with the ISO's volume label.
"$VINSTALL" --name m1 --dry-run --os-variant rhel9 --location "$D/pxeboot.iso" >"$TMP/r.out" 2>&1
grep -qxF 'Cmdline:     console=ttyS0 inst.stage2=hd:LABEL=RHEL-9' "$TMP/r.out"
ok $? "rhel9 gets inst.stage2=hd:LABEL=<volume id>"
"$VINSTALL" --name m1 --dry-run --os-variant rhel6 --location "$D/isolinux.iso" -x ks=file:/ks.cfg >"$TMP/r.out" 2>&1
grep -qxF 'Cmdline:     console=ttyS0 repo=cdrom ks=file:/ks.cfg' "$TMP/r.out"
ok $? "rhel6 gets repo=cdrom, then --extra-args"
"$VINSTALL" --name m1 --dry-run --os-variant fedora --location "$D/treeinfo.iso" >"$TMP/r.out" 2>&1
grep -qxF 'Cmdline:     console=ttyS0 inst.stage2=hd:LABEL=Fedora-S-dvd-x86_64-40' "$TMP/r.out"
ok $? "fedora gets the label of its ISO"

# A local directory tree.
mkdir -p "$TMP/tree/images/pxeboot"
echo kernel-from-tree >"$TMP/tree/images/pxeboot/vmlinuz"; echo initrd-from-tree >"$TMP/tree/images/pxeboot/initrd.img"
found "local tree" "images/pxeboot/vmlinuz, images/pxeboot/initrd.img" --os-variant rocky9 --location "$TMP/tree"

# URL trees from a bounded test server on 127.0.0.1.
if ! command -v python3 >/dev/null; then
	skip "python3 is needed for the URL tree tests"
	done_testing; exit $?
fi
mkdir -p "$TMP/www/debian/main/installer-amd64/current/images/netboot/debian-installer/amd64" \
	"$TMP/www/fedora/images/pxeboot" "$TMP/www/stall" "$TMP/www/truncate"
NB="$TMP/www/debian/main/installer-amd64/current/images/netboot/debian-installer/amd64"
head -c 300000 /dev/urandom >"$NB/linux"; echo initrd >"$NB/initrd.gz"
cp "$TMP/ti/.treeinfo" "$TMP/www/fedora/.treeinfo"
mkdir -p "$TMP/www/fedora/custom"; echo k >"$TMP/www/fedora/custom/vmlinuz"; echo i >"$TMP/www/fedora/custom/initrd.img"
vi_http_server "$TMP/www" 150 --stall 20

found "URL tree, Debian mirror netboot layout" \
	"main/installer-amd64/current/images/netboot/debian-installer/amd64/linux, main/installer-amd64/current/images/netboot/debian-installer/amd64/initrd.gz" \
	--os-variant debian12 --location "$URL/debian/"
found "URL tree with .treeinfo" "custom/vmlinuz, custom/initrd.img" --os-variant fedora --location "$URL/fedora"
"$VINSTALL" --name m1 --dry-run --os-variant fedora --location "$URL/fedora" >"$TMP/r.out" 2>&1
grep -qxF "Cmdline:     console=ttyS0 inst.repo=$URL/fedora" "$TMP/r.out"
ok $? "URL installs get inst.repo=URL"
expect_fail "URL tree without an installer: 404s listed" "no installer kernel and initrd found" \
	"$VINSTALL" --name m1 --dry-run --os-variant debian12 --location "$URL/nothing"
expect_fail "URL that does not resolve" "DNS lookup failed" \
	env VKIT_HTTP_TIMEOUT=3 "$VINSTALL" --name m1 --dry-run --location "http://vkit-test.invalid/tree,kernel=a,initrd=b"
expect_fail "nothing listening" "could not connect" \
	"$VINSTALL" --name m1 --dry-run --location "http://127.0.0.1:1/tree,kernel=a,initrd=b"

# Downloads: a fake vrun that fails makes vinstall fetch, then roll back.
cat >"$TMP/fake-vrun" <<'FAKE'
#!/bin/sh
echo "$@" >>"$FAKE_VRUN_LOG"
exit 1
FAKE
chmod +x "$TMP/fake-vrun"
export VKIT_VRUN="$TMP/fake-vrun" FAKE_VRUN_LOG="$TMP/vrun.log"
"$VINSTALL" --name dl1 --os-variant debian12 --location "$URL/debian" --network none >"$TMP/dl.out" 2>&1
grep -q "vrun failed" "$TMP/dl.out"
ok $? "a run whose vrun fails reports it"
ls "$VKIT_CACHE_DIR" | grep -q -- '-linux$' && ! ls "$VKIT_CACHE_DIR" | grep -q '\.part$'
ok $? "the downloaded kernel is in the cache, complete"
cmp -s "$NB/linux" "$VKIT_CACHE_DIR"/*-linux
ok $? "the cached kernel is the served file"
test ! -e "$VKIT_DIR/vms/dl1.json" && test ! -e "$VKIT_DIR/boot/dl1"
ok $? "the failed run removed its definition and boot files"
: >"$TMP/www/.requests"
"$VINSTALL" --name dl1 --os-variant debian12 --location "$URL/debian" --network none >"$TMP/dl.out" 2>&1
! grep -q "GET .*/linux" "$TMP/www/.requests"
ok $? "a second run takes the kernel from the cache (no GET)"
touch -d '2001-01-01' "$NB/linux"
"$VINSTALL" --name dl1 --os-variant debian12 --location "$URL/debian" --network none >"$TMP/dl.out" 2>&1
grep -q "GET .*/linux" "$TMP/www/.requests"
ok $? "a changed Last-Modified downloads again"

printf 'x' >"$TMP/www/stall/vmlinuz"; printf 'x' >"$TMP/www/stall/initrd"
expect_fail "a stalled server times out" "timed out" env VKIT_HTTP_TIMEOUT=1 VKIT_HTTP_RETRIES=0 \
	"$VINSTALL" --name st1 --location "$URL/stall,kernel=vmlinuz,initrd=initrd" --network none
printf 'x' >"$TMP/www/truncate/vmlinuz"; printf 'x' >"$TMP/www/truncate/initrd"
expect_fail "a truncated body is an error" "closed the connection before the end" env VKIT_HTTP_RETRIES=1 \
	"$VINSTALL" --name tr1 --location "$URL/truncate,kernel=vmlinuz,initrd=initrd" --network none
! ls "$VKIT_CACHE_DIR" | grep -q -e '\.part$' -e '-vmlinuz$'
ok $? "failed downloads leave nothing in the cache"
test ! -e "$VKIT_DIR/vms/st1.json" && test ! -e "$VKIT_DIR/vms/tr1.json" && test ! -e "$VKIT_DIR/boot/tr1"
ok $? "failed downloads leave no VM behind"

kill $SERVER 2>/dev/null
wait $SERVER 2>/dev/null
done_testing
