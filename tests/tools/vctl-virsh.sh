#!/bin/sh
# vctl-virsh.sh - virsh habits in vctl (issue 15): help and -h, a domain named by Id or UUID, domstate, domid, domuuid, domname, domblklist, dumpconfig, edit, damaged definitions in list.
. "$top_srcdir/tests/lib/tap.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the fake vrun"
tap_setup_tmp
cd "$TMP" || exit 99
E="$top_srcdir/tests/expected/vctl/virsh"
mkdir -p "$VKIT_DIR/vms"
chmod 700 "$VKIT_DIR" "$VKIT_DIR/vms"
export VKIT_VRUN="$top_srcdir/tests/tools/fake-vrun" FAKE_DIR="$TMP"
unset FAKE_ACPI FAKE_FAIL FAKE_FAIL_NAME FAKE_SECONDS FAKE_EXIT VISUAL EDITOR LIBVIRT_DEFAULT_URI
echo kernel >"$TMP/vmlinuz"
# The domain of $E/web01.xml (the disks need not exist to be listed).
cat >"$VKIT_DIR/vms/web01.json" <<JSON
{ "version": 1, "name": "web01", "uuid": "6f9619ff-8b86-4011-b42d-00c04fc964ff", "memory": 2048, "vcpus": 2,
  "boot": { "kind": "kernel", "kernel": "$TMP/vmlinuz" },
  "disks": [ { "path": "/srv/vkit/web01.img", "format": "raw" },
             { "path": "/srv/vkit/install.iso", "format": "raw", "device": "cdrom" } ] }
JSON

# same NAME command...: stdout against virsh's, recorded in $E/NAME.
same() {
	_name=$1; shift
	"$@" >"$TMP/$_name.out" 2>"$TMP/$_name.err"
	diff_ok "$_name: as virsh prints it" "$E/$_name" "$TMP/$_name.out" || sed 's/^/# /' "$TMP/$_name.err"
}

# ---- help ----
check "-h is --help, as in virsh" sh -c '"$0" -h | grep -q "^  domblklist NAME"' "$VCTL"
check "help lists the commands" sh -c '"$0" help | grep -q "^  edit NAME"' "$VCTL"
check "help COMMAND: its usage and line" sh -c \
	'"$0" help resume >"$1" && grep -qx "usage: vctl resume NAME" "$1" && grep -q "^  suspend NAME | resume NAME" "$1"' \
	"$VCTL" "$TMP/help.out"
check "help domiflist: the command exists" sh -c '"$0" help domiflist | grep -q "^  domiflist NAME"' "$VCTL"
expect_fail "help of an unknown command" "vctl: nosuch: no such command; 'vctl help' lists them" "$VCTL" help nosuch
expect_fail "an unknown command points to help" "vctl: bogus: unknown command; try 'vctl help'" "$VCTL" bogus

# ---- a stopped domain, against virsh's output for the same domain ----
same domstate-stopped "$VCTL" domstate web01
same domstate-reason-stopped "$VCTL" domstate web01 --reason
same domid-stopped "$VCTL" domid web01
same domuuid "$VCTL" domuuid web01
same domname "$VCTL" domname 6f9619ff-8b86-4011-b42d-00c04fc964ff
same domblklist "$VCTL" domblklist web01
same domblklist-details "$VCTL" domblklist --details web01
check "a UUID in capitals names the domain too" sh -c \
	'"$0" domstate 6F9619FF-8B86-4011-B42D-00C04FC964FF | grep -qx "shut off"' "$VCTL"
expect_fail "--reason is domstate's only" "vctl: --reason: not an option of 'domid'" "$VCTL" domid web01 --reason
expect_fail "an unknown domain" "vctl: nosuch: domain 'nosuch' not found" "$VCTL" domstate nosuch
expect_fail "an unknown UUID" "domain '11111111-2222-4333-8444-555555555555' not found" \
	"$VCTL" domuuid 11111111-2222-4333-8444-555555555555

# ---- dumpconfig ----
"$VCTL" dumpconfig web01 >"$TMP/dump.json" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["name"] != "web01" or d["memory"] != 2048 or len(d["disks"]) != 2)' "$TMP/dump.json"
ok $? "dumpconfig: the JSON definition"
"$VCTL" dumpconfig 6f9619ff-8b86-4011-b42d-00c04fc964ff | cmp -s - "$TMP/dump.json"
ok $? "dumpconfig by UUID: the same"

# ---- running: the Id is vrun's pid ----
"$VCTL" start web01 >/dev/null 2>&1
pid=$(cat "$VKIT_DIR/run/web01.pid" 2>/dev/null)
test -n "$pid" && "$VCTL" domid web01 | grep -qx "$pid"
ok $? "domid of a running domain: vrun's pid, the Id list prints"
"$VCTL" list | grep -Eq "^ $pid +web01 +running\$"
ok $? "list shows that Id"
same domstate-reason-running "$VCTL" domstate "$pid" --reason
same domname "$VCTL" domname "$pid"
check "dominfo by Id" sh -c '"$0" dominfo "$1" | grep -q "^Name: *web01$"' "$VCTL" "$pid"
"$VCTL" suspend "$pid" >/dev/null
same domstate-reason-paused "$VCTL" domstate web01 --reason
"$VCTL" destroy 6f9619ff-8b86-4011-b42d-00c04fc964ff >/dev/null
test -z "$(cat "$VKIT_DIR/run/web01.pid" 2>/dev/null)"
ok $? "destroy by UUID"
expect_fail "an Id no domain has" "vctl: 999999999: domain '999999999' not found" "$VCTL" dominfo 999999999

# ---- edit ----
def="$VKIT_DIR/vms/web01.json"
cp "$def" "$TMP/def.before"
out=$(EDITOR=true "$VCTL" edit web01)
test "$out" = "Domain 'web01' configuration not changed." && cmp -s "$def" "$TMP/def.before"
ok $? "edit, nothing changed: said so, the file untouched"
# The editor gets a private copy, not the definition.
cat >"$TMP/editor" <<'SH'
#!/bin/sh
stat -c %a "$1" >"$FAKE_DIR/copy.mode"
echo "$1" >"$FAKE_DIR/copy.path"
sed -i 's/"memory": 2048/"memory": 1024/' "$1"
SH
chmod +x "$TMP/editor"
out=$(EDITOR="$TMP/editor" "$VCTL" edit web01)
test "$out" = "Domain 'web01' configuration edited." && "$VCTL" dominfo web01 | grep -q "^Used memory: *1048576 KiB$" &&
	test "$(cat "$TMP/copy.mode")" = 600 && case $(cat "$TMP/copy.path") in "$VKIT_DIR"*) false ;; *) true ;; esac &&
	test ! -e "$(cat "$TMP/copy.path")"
ok $? "edit: \$EDITOR changes a 0600 copy; saved once it validates; the copy removed"
VISUAL="sed -i s/1024/512/" EDITOR=false "$VCTL" edit web01 >/dev/null &&
	"$VCTL" dominfo web01 | grep -q "^Used memory: *524288 KiB$"
ok $? "edit: \$VISUAL before \$EDITOR"
cp "$def" "$TMP/def.before"
EDITOR="sed -i s/512,/512/" expect_fail "edit: JSON that does not parse is refused with its line" \
	"not valid JSON at line" "$VCTL" edit web01 </dev/null
cmp -s "$def" "$TMP/def.before"
ok $? "edit: the old definition kept"
EDITOR="sed -i s/\"vcpus\":\ 2/\"vcpus\":\ 0/" expect_fail "edit: a definition that does not validate is refused" \
	"vcpus" "$VCTL" edit web01 </dev/null
EDITOR="sed -i s/web01/web02/" expect_fail "edit: the name cannot change" \
	"the name cannot change here ('web01' became 'web02')" "$VCTL" edit web01
EDITOR="sed -i s/6f9619ff-/7f9619ff-/" expect_fail "edit: the UUID cannot change" \
	"the UUID cannot change" "$VCTL" edit web01
# A disk another VM uses writable: refused, as attach-disk and vinstall do.
cat >"$VKIT_DIR/vms/other.json" <<JSON
{ "version": 1, "name": "other", "uuid": "11111111-2222-4333-8444-555555555550", "memory": 512, "vcpus": 1,
  "boot": { "kind": "kernel", "kernel": "$TMP/vmlinuz" }, "disks": [ { "path": "$TMP/shared.img", "format": "raw" } ] }
JSON
EDITOR="sed -i s|/srv/vkit/web01.img|$TMP/shared.img|" expect_fail "edit: a disk another VM uses is refused" \
	"disk $TMP/shared.img is already in use by other" "$VCTL" edit web01 </dev/null
rm "$VKIT_DIR/vms/other.json"
EDITOR=false expect_fail "edit: a failing editor changes nothing" "the editor (false) failed" "$VCTL" edit web01
# On a terminal a refused copy is offered again, as virsh does.
if command -v script >/dev/null; then
	cat >"$TMP/editor" <<'SH'
#!/bin/sh
if [ ! -e "$FAKE_DIR/edited-once" ]; then
	touch "$FAKE_DIR/edited-once"
	sed -i 's/"memory": 512,/"memory": 512/' "$1"
else
	sed -i 's/"memory": 512$/"memory": 384,/' "$1"
fi
SH
	rm -f "$TMP/edited-once"
	(sleep 2; printf 'y\n'; sleep 3) | EDITOR="$TMP/editor" timeout 30 script -qec "$VCTL edit web01" \
		"$TMP/again.out" >/dev/null 2>&1
	grep -q "Failed. Try again? \[y,n\]" "$TMP/again.out" && grep -q "configuration edited" "$TMP/again.out" &&
		"$VCTL" dominfo web01 | grep -q "^Used memory: *393216 KiB$"
	ok $? "edit on a terminal: a copy that does not parse is offered again; the fixed one saved"
	(sleep 2; printf 'n\n'; sleep 1) | EDITOR="sed -i s/384,/384/" timeout 30 script -qec "$VCTL edit web01" \
		"$TMP/again2.out" >/dev/null 2>&1
	grep -q "Failed. Try again?" "$TMP/again2.out" && "$VCTL" dominfo web01 | grep -q "^Used memory: *393216 KiB$"
	ok $? "edit on a terminal: answering n keeps the old definition"
	EDITOR="sed -i s/384/512/" "$VCTL" edit web01 >/dev/null
else
	skip "edit on a terminal: script(1) is not installed"
	skip "edit on a terminal: script(1) is not installed"
fi

# Another change while the editor is open: edit refuses rather than undo it.
cat >"$TMP/editor" <<'SH'
#!/bin/sh
"$VCTL" autostart web01 >/dev/null
sed -i 's/"memory": 512/"memory": 256/' "$1"
SH
VCTL="$VCTL" EDITOR="$TMP/editor" expect_fail "edit: a definition changed meanwhile is not overwritten" \
	"its definition changed while it was edited" "$VCTL" edit web01
"$VCTL" dominfo web01 | grep -q "^Autostart: *enable$" && "$VCTL" dominfo web01 | grep -q "^Used memory: *524288 KiB$"
ok $? "edit: the other change kept, the edit not saved"
ls "${TMPDIR:-/tmp}"/vctl-web01-*.json >/dev/null 2>&1
ok $((! $?)) "edit: no copies left behind"

# ---- a definition that does not parse ----
printf '{ "version": 1,\n  "name": "broken",\n  "memory": 2048 x\n}\n' >"$VKIT_DIR/vms/broken.json"
"$VCTL" list --all >"$TMP/list.out" 2>"$TMP/list.err"
grep -Eq '^ - +broken +error \(definition does not parse\)$' "$TMP/list.out" &&
	grep -Eq '^ - +web01 +shut off$' "$TMP/list.out"
ok $? "list --all: a definition that does not parse is an error, not shut off"
grep -qF "vctl: broken: error: $VKIT_DIR/vms/broken.json: not valid JSON at line 3, column 18" "$TMP/list.err"
ok $? "list --all: the file and the parser's line on stderr"

done_testing
