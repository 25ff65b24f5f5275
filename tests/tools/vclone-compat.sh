#!/bin/sh
# vclone-compat.sh - virt-clone's habits: argparse abbreviations, --print-xml/--check refusing what the clone would, --force-copy, --replace, --nvram, a console log of the clone's own.
. "$top_srcdir/tests/lib/tap.sh"
tap_setup_tmp
D="$TMP/data"
mkdir -p "$D" "$VKIT_DIR/vms"
chmod 0700 "$VKIT_DIR" "$VKIT_DIR/vms"

# define NAME UUID DISKS_JSON CONSOLE_JSON: a definition written straight into the state dir.
define() {
	cat >"$VKIT_DIR/vms/$1.json" <<JSON
{"version":1,"name":"$1","uuid":"$2","memory":512,"vcpus":1,
 "boot":{"kind":"disk"},"disks":[$3],"nics":[{"type":"user","mac":"52:54:00:00:07:01"}],"console":$4}
JSON
}
truncate -s 8M "$D/web01.img"
printf 'disk-data' | dd of="$D/web01.img" bs=1 seek=65536 conv=notrunc 2>/dev/null
printf 'iso-data' >"$D/tools.iso"
define web01 11111111-2222-4333-8444-000000000701 \
	"{\"path\":\"$D/web01.img\",\"format\":\"raw\"},{\"path\":\"$D/tools.iso\",\"format\":\"raw\",\"device\":\"cdrom\",\"readonly\":true}" \
	"{\"type\":\"file\",\"path\":\"$D/web01.log\"}"

# argparse abbreviations, as virt-clone takes them.
check "vclone --original web01 --na web02 --auto (abbreviations)" "$VCLONE" --original web01 --na web02 --auto
test -f "$VKIT_DIR/vms/web02.json" && test -f "$D/web02.img"; ok $? "web02 made from the abbreviated line"
check "--preserve is --preserve-data" "$VCLONE" -o web01 -n web03 -f "$D/web02.img" --preserve --print-xml
check "--print is --print-xml, --auto= form too" "$VCLONE" --original=web01 --name=web04 --auto-c --print
expect_fail "an ambiguous prefix is refused, naming the candidates" \
	"ambiguous option: --orig could match --original, --original-config" \
	"$VCLONE" --orig web01 -n web05 --auto-clone
expect_fail "--n is ambiguous (--name, --nonsparse, --nvram)" "--n could match --name, --nonsparse" \
	"$VCLONE" -o web01 --n web05 --auto-clone
expect_fail "an unknown option is still unknown" "--frobnicate" "$VCLONE" -o web01 -n web05 --auto-clone --frobnicate
test ! -e "$VKIT_DIR/vms/web03.json" && test ! -e "$VKIT_DIR/vms/web04.json" && test ! -e "$VKIT_DIR/vms/web05.json"
ok $? "dry runs and refusals defined nothing"

# The clone's console log is its own.
grep -q "\"$D/web02.log\"" "$VKIT_DIR/vms/web02.json"; ok $? "web02's console log is web02.log, not web01's"
"$VCLONE" -o web01 -n web06 --auto-clone --check >"$TMP/check.out" 2>&1
grep -q "^console log: $D/web01.log -> $D/web06.log$" "$TMP/check.out"; ok $? "--check shows the console log's new path"
: >"$D/web07.log"
"$VCLONE" -o web01 -n web07 --auto-clone --print-xml >"$TMP/print.out" 2>&1
grep -q "\"$D/web07-1.log\"" "$TMP/print.out"; ok $? "a log file that exists is not taken (web07-1.log)"

# The CD-ROM is shared unless --force-copy names it.
grep -q "\"$D/tools.iso\"" "$VKIT_DIR/vms/web02.json"; ok $? "the CD-ROM is shared by default"
check "--force-copy vdb copies the CD-ROM" "$VCLONE" -o web01 -n web08 --auto-clone --force-copy vdb
test -f "$D/tools-clone.iso" && cmp -s "$D/tools.iso" "$D/tools-clone.iso" && grep -q "\"$D/tools-clone.iso\"" "$VKIT_DIR/vms/web08.json"
ok $? "web08 has its own copy of the CD-ROM"
[ $? -eq 0 ] || { ls "$D"; sed 's/^/# /' "$VKIT_DIR/vms/web08.json"; }
check "--force-copy by path" "$VCLONE" -o web01 -n web09 -f "$D/web09.img" -f "$D/web09.iso" --force-copy "$D/tools.iso" --print-xml
expect_fail "--force-copy of a disk it does not have" "--force-copy vdq: web01 has no such disk" \
	"$VCLONE" -o web01 -n web10 --auto-clone --force-copy vdq

# --replace is refused clearly; --nvram is accepted (no NVRAM to copy).
expect_fail "--replace is refused, saying what to do" "--replace: vclone never overwrites a VM" \
	"$VCLONE" -o web01 -n web02 --auto-clone --replace
check "--nvram is accepted" "$VCLONE" -o web01 -n web11 --auto-clone --nvram "$D/web11_VARS.fd" --print-xml
test ! -e "$D/web11_VARS.fd"; ok $? "--nvram writes nothing"

# --print-xml and --check refuse a running original as the clone does.
mkdir -p -m 0700 "$VKIT_DIR/run"; cp "$(command -v sleep)" "$TMP/vrun"; "$TMP/vrun" 300 & SLEEPER=$!
echo $SLEEPER >"$VKIT_DIR/run/web01.pid"
expect_fail "--print-xml of a running original" "is running; shut it down first" \
	"$VCLONE" -o web01 -n web12 --auto-clone --print-xml
expect_fail "--check of a running original" "is running; shut it down first" \
	"$VCLONE" -o web01 -n web12 --auto-clone --check
check "--print-xml --force of a running original" "$VCLONE" -o web01 -n web12 --auto-clone --print-xml --force
kill $SLEEPER 2>/dev/null; wait $SLEEPER 2>/dev/null; rm -f "$VKIT_DIR/run/web01.pid"
test ! -e "$VKIT_DIR/vms/web12.json"; ok $? "and nothing was defined"

# virt-clone's options are all taken (its --help lists them).
if command -v virt-clone >/dev/null; then
	ours=$("$VCLONE" --help)
	for o in force-copy replace nvram; do
		virt-clone --help 2>&1 | grep -q -- "--$o" && echo "$ours" | grep -q -- "--$o"
		ok $? "--$o in virt-clone's --help and vclone's"
	done
	# the same lines through virt-clone: test:///default's "test" domain is running
	virt-clone --connect test:///default --original test --auto --print-xml >"$TMP/vc.out" 2>&1
	grep -q "must be shutoff" "$TMP/vc.out"; ok $? "virt-clone takes --auto too, and refuses a running original in --print-xml"
	virt-clone --connect test:///default --orig test --auto >"$TMP/vc.out" 2>&1
	grep -q "ambiguous option: --orig could match --original, --original-xml" "$TMP/vc.out"
	ok $? "virt-clone finds --orig ambiguous too, in the same words"
else
	skip "virt-clone is not installed"
fi

done_testing
