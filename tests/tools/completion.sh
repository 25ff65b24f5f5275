#!/bin/sh
# completion.sh - bash completion (tools/completion/vkit.bash) driven as bash drives it: COMP_WORDS, COMP_CWORD, the function, COMPREPLY.
[ -n "$BASH_VERSION" ] || { command -v bash >/dev/null && exec bash "$0" "$@"; }
. "$top_srcdir/tests/lib/tap.sh"
[ -n "$BASH_VERSION" ] || skip_all "bash is needed to test its completion"

tap_setup_tmp
D="$TMP/data"
mkdir -p "$D" "$VKIT_DIR/vms" "$VKIT_DIR/networks"
: >"$D/image.img"
: >"$D/install.iso"
for vm in web01:6f9619ff-8b86-4011-b42d-00c04fc964ff db01:0b1e3c1a-5d2e-4f6a-8b9c-0d1e2f3a4b5c; do
	cat >"$VKIT_DIR/vms/${vm%%:*}.json" <<JSON
{ "version": 1, "name": "${vm%%:*}", "uuid": "${vm#*:}", "memory": 512, "vcpus": 1,
  "disks": [ { "path": "$D/${vm%%:*}.img", "format": "raw" } ] }
JSON
done
cat >"$D/lab.json" <<'JSON'
{ "name": "lab", "forward": "nat", "bridge": { "name": "vklab" },
  "ip": { "address": "192.168.77.1", "prefix": 24 } }
JSON
"$VCTL" net-define "$D/lab.json" >/dev/null 2>&1
ok $? "a state directory with two VMs (web01, db01) and a network (lab)"

. "$top_srcdir/tools/completion/vkit.bash"
VTOP="${top_builddir:-.}/tools/vtop"

# complete LINE: COMPREPLY for the end of LINE, with the words split as bash
# splits them (spaces, and each '=' or ':' a word of its own, as
# COMP_WORDBREAKS has them); the replies sorted, one a line, in $TMP/reply.
complete() {
	local word piece
	COMP_WORDS=()
	for word in $1; do
		while [[ $word =~ ^([^=:]*)([=:]+)(.*)$ ]]; do
			[[ -n ${BASH_REMATCH[1]} ]] && COMP_WORDS+=("${BASH_REMATCH[1]}")
			COMP_WORDS+=("${BASH_REMATCH[2]}")
			word=${BASH_REMATCH[3]}
		done
		[[ -n $word ]] && COMP_WORDS+=("$word")
	done
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_vkit
	printf '%s\n' "${COMPREPLY[@]}" | sed '/^$/d' | sort >"$TMP/reply"
}
# replies LINE EXPECTED...: the replies are exactly EXPECTED
replies() {
	local line=$1
	shift
	complete "$line"
	printf '%s\n' "$@" | sed '/^$/d' | sort >"$TMP/want"
	if cmp -s "$TMP/want" "$TMP/reply"; then
		ok 0 "'$line' completes to: $*"
	else
		ok 1 "'$line' completes to: $*"
		diff "$TMP/want" "$TMP/reply" | sed 's/^/# /'
	fi
}

# Every option each tool's --help lists (the option column of popt's help:
# lines starting with '-', up to the description) is offered after "-".
for tool in "$VINSTALL" "$VCLONE" "$VCTL" "$VTOP" "$VDF" "$VRUN"; do
	"$tool" --help 2>&1 | sed -n 's/^ *\(-.*\)/\1/p' | sed 's/  .*//' |
		grep -oE -- '(^|, )--?[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^, //' | sort -u >"$TMP/help-options"
	complete "$tool -"
	comm -23 "$TMP/help-options" "$TMP/reply" >"$TMP/missing"
	test -s "$TMP/help-options" && ! test -s "$TMP/missing"
	ok $? "${tool##*/}: every option its --help lists ($(wc -l <"$TMP/help-options")) is completed"
	sed 's/^/# missing: /' "$TMP/missing"
done
replies "$VINSTALL --os" --os-type --os-variant --osinfo
replies "$VDF --hu" --human-readable

# vctl's commands: each one `vctl help` knows, and nothing else.
complete "$VCTL "
n=0
while read -r command; do
	"$VCTL" help "$command" >/dev/null 2>&1 || { echo "# vctl help $command fails"; n=$((n + 1)); }
done <"$TMP/reply"
test "$(wc -l <"$TMP/reply")" -ge 30 && test $n -eq 0 && grep -qx net-dhcp-leases "$TMP/reply" &&
	grep -qx domstate "$TMP/reply" && grep -qx iface-unbridge "$TMP/reply"
ok $? "vctl: its commands ($(wc -l <"$TMP/reply")), each one 'vctl help' knows"
replies "$VCTL net-st" net-start
replies "$VCTL help dom" dominfo domstate domid domuuid domname domblklist domiflist domifaddr

# Domain and network names.
replies "$VCTL start " db01 web01
replies "$VCTL dominfo w" web01
replies "$VCTL -c qemu:///system undefine " db01 web01
replies "$VCTL --all list " ""
replies "$VCTL net-start " lab
replies "$VCTL attach-interface web01 network l" lab
replies "$VCLONE -o " db01 web01
replies "$VCLONE --original=d" db01
replies "$VDF -d w" web01
replies "$VTOP -o m" mem

# vinstall's values: OS variants from --osinfo list, sub-option keys from
# --disk=?, files after path= and for media options, network names.
"$VINSTALL" --osinfo list | awk '$1 ~ /^debian/ { print $1 }' >"$TMP/debian"
replies "$VINSTALL --osinfo deb" $(cat "$TMP/debian")
replies "$VINSTALL --os-variant=deb" $(cat "$TMP/debian")
replies "$VINSTALL --osinfo=lis" list
"$VINSTALL" --disk=? | sed -n 's/^  \([a-z_]*\)$/\1=/p' >"$TMP/disk-keys"
complete "$VINSTALL --disk "
cmp -s "$TMP/disk-keys" "$TMP/reply" && test "$(wc -l <"$TMP/reply")" -ge 10
ok $? "'vinstall --disk ' completes to every key 'vinstall --disk=?' lists"
# bash replaces only what follows the last '=' it split at
replies "$VINSTALL --disk size=4,pa" 4,path=
replies "$VINSTALL --disk size=4,path=$D/im" "$D/image.img"
replies "$VINSTALL --disk=path=$D/im" "$D/image.img"
replies "$VINSTALL --network network=l" lab
replies "$VINSTALL --network br" bridge=
replies "$VINSTALL --cdrom $D/ins" "$D/install.iso"
replies "$VINSTALL --location $D/ins" "$D/install.iso"
replies "$VINSTALL --name " ""
replies "$VDF -a $D/im" "$D/image.img"
replies "$VRUN --kernel $D/im" "$D/image.img"
replies "$VRUN --disk path=$D/im" "$D/image.img"
replies "$VRUN --disk " ""

# make install puts it where bash-completion looks, under every tool's name.
if ${MAKE:-make} -s -C "${top_builddir:-.}" install-bash-completion DESTDIR="$TMP/inst" \
	bashcompletiondir=/usr/share/bash-completion/completions >"$TMP/install.out" 2>&1; then
	dir="$TMP/inst/usr/share/bash-completion/completions"
	for name in vinstall vclone vctl vtop vdf vrun; do
		bash -c ". '$dir/$name' && complete -p $name" >/dev/null 2>&1 || echo "# $name: not installed"
	done >"$TMP/inst.log"
	cat "$TMP/inst.log"
	! test -s "$TMP/inst.log"
	ok $? "make install-bash-completion: a completion for each tool, under DESTDIR"
else
	sed 's/^/# /' "$TMP/install.out"
	ok 1 "make install-bash-completion"
fi

done_testing
