#!/bin/sh
# help-width.sh - every tool's --help fits 80 columns, and -h is help where the original's -h is (issue 15).
. "$top_srcdir/tests/lib/tap.sh"

tap_setup_tmp
VTOP="${top_builddir:-.}/tools/vtop"
unset LIBVIRT_DEFAULT_URI

for tool in "$VINSTALL" "$VCLONE" "$VCTL" "$VTOP" "$VDF" "$VRUN"; do
	t=${tool##*/}
	"$tool" --help >"$TMP/$t.help" 2>&1
	ok $? "$t --help exits 0"
	awk -v t="$t" 'length > 80 { printf "# %s: %d columns: %s\n", t, length, $0; bad = 1 } END { exit bad }' \
		"$TMP/$t.help"
	ok $? "$t --help fits 80 columns"
	grep -q -- "--version" "$TMP/$t.help" && grep -q -- "-?, --help" "$TMP/$t.help"
	ok $? "$t --help lists the common and help options"
done
# Every option the table has is still listed (wrapping loses nothing).
for o in "--disk path=PATH" "--network bridge=BR" "--extra-args ARGS" --connect=URI backing_format=raw; do
	grep -q -- "$o" "$TMP/vinstall.help"
	ok $? "vinstall --help still lists $o"
done

# -h: help in virsh, virt-install and virt-clone; virt-df's -h is
# --human-readable; virt-top has no -h.
for tool in "$VINSTALL" "$VCLONE" "$VCTL"; do
	t=${tool##*/}
	"$tool" -h >"$TMP/$t.h" 2>&1 && cmp -s "$TMP/$t.h" "$TMP/$t.help"
	ok $? "$t -h is --help"
done
grep -q -- "-h, --human-readable" "$TMP/vdf.help"
ok $? "vdf -h stays --human-readable, as in virt-df"
expect_fail "vtop -h is refused, as virt-top's" "vtop: -h: unknown option" "$VTOP" -h
done_testing
