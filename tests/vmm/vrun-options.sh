#!/bin/sh
# vrun-options.sh - vrun's command line: bad options and missing pieces fail with status 1 and a clear message.
. "${top_srcdir:-.}/tests/lib/tap.sh"
tap_setup_tmp

status_is() {	# status_is WANT "description" command...
	_want=$1; _desc=$2; shift 2
	"$@" >"$TMP/out" 2>&1 </dev/null
	_got=$?
	ok $((_got != _want)) "$_desc (status $_got)"
	[ "$_got" = "$_want" ] || sed 's/^/# /' "$TMP/out"
}

check "--help lists the options" sh -c '"$0" --help | grep -q -- "--allow-emulated"' "$VRUN"
check "--help lists every device option under Devices:" sh -c '"$0" --help | sed -n "/^Devices:/,/^\$/p" |
	grep -c -e "--disk path=FILE" -e "--cdrom FILE" -e "--net bridge=BR" -e "--rng " | grep -qx 4' "$VRUN"
check "--version names vrun" sh -c '"$0" --version | grep -q "^vrun "' "$VRUN"
expect_fail "both kernel and firmware" "give one of --kernel FILE and --firmware" "$VRUN" --kernel a --bios b
expect_fail "--firmware and --bios" "give one of --firmware and --bios" "$VRUN" --firmware bios --bios b
expect_fail "--initrd without --kernel" "--initrd and --cmdline go with --kernel" "$VRUN" --bios b --initrd i
expect_fail "--cmdline without --kernel (firmware by default)" "--initrd and --cmdline go with --kernel" \
	"$VRUN" --cmdline x
expect_fail "--boot with --kernel" "--boot and --pxe are for the firmware" "$VRUN" --kernel a --boot hd
expect_fail "--pxe with --kernel" "--boot and --pxe are for the firmware" "$VRUN" --kernel a --pxe
expect_fail "--boot names what it takes" "unknown option 'fd'" "$VRUN" --boot fd,hd
expect_fail "--boot menu= is a boolean" "menu='maybe' is not a boolean" "$VRUN" --boot hd,menu=maybe
expect_fail "--boot needs devices" "name the devices to boot from in order" "$VRUN" --boot ''
expect_fail "a missing firmware file is named" "/nonexistent/bios.bin" \
	"$VRUN" --firmware /nonexistent/bios.bin --memory 16
expect_fail "--cpus 0" "--cpus 0: give 1 to 64" "$VRUN" --bios b --cpus 0
expect_fail "--memory 1" "--memory 1: give" "$VRUN" --bios b --memory 1
expect_fail "unknown option" "--frobnicate" "$VRUN" --frobnicate
expect_fail "stray argument" "unexpected argument 'extra'" "$VRUN" --bios b extra
status_is 1 "bad options exit 1" "$VRUN" --cpus 0 --bios b
expect_fail "--console names what it takes" "is not stdio, pty or file=PATH[,max=SIZE]" \
	"$VRUN" --bios b --console tty
expect_fail "--console file= needs a path" "file= needs a path" "$VRUN" --bios b --console file=
expect_fail "--console max= below 4K" "--console max=100: give at least 4096 bytes" \
	"$VRUN" --bios b --console file=log,max=100
expect_fail "--console max= is a size" "--console max=" "$VRUN" --bios b --console file=log,max=lots
expect_fail "--console unknown key" "unknown option 'size'" "$VRUN" --bios b --console file=log,size=1M
expect_fail "--sandbox takes on, off or log" "--sandbox yes: give on, off or log" "$VRUN" --bios b --sandbox yes
expect_fail "--user names a missing user" "--user vkit-no-such-user: no such user" \
	"$VRUN" --bios b --user vkit-no-such-user
expect_fail "--user root drops nothing" "name an unprivileged user" "$VRUN" --bios b --user root
if [ "$(id -u)" != 0 ]; then
	expect_fail "--user needs root" "vrun is not running as root" "$VRUN" --bios b --user nobody
elif command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
	expect_fail "--user needs root" "vrun is not running as root" \
		setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$VRUN" --bios b --user nobody
else
	skip "--user needs root: cannot run vrun as another user here"
fi
if [ ! -e /dev/kvm ]; then
	expect_fail "missing /dev/kvm is named" "/dev/kvm does not exist" "$VRUN" --bios b
else
	skip "missing /dev/kvm: this host has one"
fi
done_testing
