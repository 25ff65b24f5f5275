#!/bin/sh
# compat.sh - real-world virt-install and virt-clone command lines (tests/compat/*.lines, each with its source) run with --dry-run / --print-xml: each is accepted, or refused with a message naming the option vkit does not support; the counts are printed.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

vi_setup
mkdir -p "$TMP/new" "$VKIT_DIR/vms"
chmod 0700 "$VKIT_DIR" "$VKIT_DIR/vms"
truncate -s 16M "$TMP/data/disk.img" "$TMP/data/demo.img" "$TMP/data/other.img"
echo k >"$TMP/data/vmlinuz"
echo i >"$TMP/data/initrd.img"
mkiso "$TMP/data/debian.iso" "Debian 11 amd64 n" install.amd/vmlinuz install.amd/initrd.gz || exit 99
mkdir -p "$TMP/data/tree/images/pxeboot"
echo k >"$TMP/data/tree/images/pxeboot/vmlinuz"
echo i >"$TMP/data/tree/images/pxeboot/initrd.img"
cat >"$VKIT_DIR/vms/demo.json" <<JSON
{"version":1,"name":"demo","uuid":"11111111-2222-4333-8444-0000000000de","memory":512,"vcpus":1,
 "boot":{"kind":"disk"},"disks":[{"path":"$TMP/data/demo.img","format":"raw"}],
 "nics":[{"type":"user","mac":"52:54:00:00:de:01"}]}
JSON
truncate -s 16M "$TMP/data/demo2.img" "$TMP/data/demo2-data.img"
cat >"$VKIT_DIR/vms/demo2.json" <<JSON
{"version":1,"name":"demo2","uuid":"11111111-2222-4333-8444-0000000000d2","memory":512,"vcpus":1,
 "boot":{"kind":"disk"},"disks":[{"path":"$TMP/data/demo2.img","format":"raw"},
 {"path":"$TMP/data/demo2-data.img","format":"raw"}],"nics":[{"type":"user","mac":"52:54:00:00:de:02"}]}
JSON

accepted=0 refused=0 unexplained=0

# run TOOL FINAL_OPTION LINE: the line through the tool; its verdict counted and reported.
run() {
	_tool=$1 _final=$2 _line=$3
	_args=$(printf '%s' "$_line" | sed -e "s|@DISK@|$TMP/data/disk.img|g" -e "s|@NEW@|$TMP/new|g" \
		-e "s|@ISO@|$TMP/data/debian.iso|g" -e "s|@TREE@|$TMP/data/tree|g" -e "s|@OTHER@|$TMP/data/other.img|g" \
		-e "s|@KERNEL@|$TMP/data/vmlinuz|g" -e "s|@INITRD@|$TMP/data/initrd.img|g")
	eval "set -- $_args"
	"$_tool" "$@" "$_final" >"$TMP/out" 2>&1
	_rc=$?
	if [ $_rc -eq 0 ]; then
		accepted=$((accepted + 1))
		ok 0 "accepted: $_line"
		return
	fi
	# Refused: the message says why in vkit's words and names an option
	# or sub-option of the line.
	_named=
	for _w in $(printf '%s\n' "$_line" | grep -o -- '--[a-zA-Z][a-zA-Z-]*\|[a-zA-Z_.+-]*=' | sed 's/=$//' | sort -u); do
		case $_w in --*) grep -qF -- "$_w" "$TMP/out" && _named=$_w ;;
			*) grep -qF -- "'$_w'" "$TMP/out" && _named=$_w ;; esac
		[ -n "$_named" ] && break
	done
	if [ -n "$_named" ] && grep -q "unknown\|cannot do this\|refused\|ambiguous option\|never\|does not\|no graphical\|only\|not supported" "$TMP/out"; then
		refused=$((refused + 1))
		ok 0 "refused, naming $_named: $_line"
	else
		unexplained=$((unexplained + 1))
		ok 1 "neither accepted nor refused by name (exit $_rc): $_line"
		sed 's/^/#   /' "$TMP/out" | tail -5
	fi
}

while IFS= read -r line; do
	case $line in ''|'#'*) continue ;; esac
	run "$VINSTALL" --dry-run "$line"
	rm -f "$VKIT_DIR/vms/"*.claim
done <"$top_srcdir/tests/compat/virt-install.lines"
vi_accepted=$accepted vi_refused=$refused
while IFS= read -r line; do
	case $line in ''|'#'*) continue ;; esac
	run "$VCLONE" --print-xml "$line"
done <"$top_srcdir/tests/compat/virt-clone.lines"

echo "# virt-install lines: $vi_accepted accepted, $vi_refused refused naming the option"
echo "# virt-clone lines: $((accepted - vi_accepted)) accepted, $((refused - vi_refused)) refused naming the option"
echo "# not explained: $unexplained"
done_testing
