#!/bin/sh
# vinstall-virtinst.sh - vinstall and virt-install accept and refuse the same command lines.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v virt-install >/dev/null || skip_all "virt-install (Debian package virtinst) is not installed"
vi_setup
cd "$TMP" || exit 99
truncate -s 16M "$TMP/data/disk.img"
echo k >"$TMP/data/vmlinuz"
DISK="$TMP/data/disk.img"

# same VERDICT description args...: both tools accept (VERDICT=accept) or both refuse.
same() {
	_want=$1 _desc=$2; shift 2
	virt-install --connect test:///default --dry-run --print-xml "$@" >"$TMP/vi.out" 2>&1
	_vi=$?
	"$VINSTALL" --dry-run "$@" >"$TMP/vk.out" 2>&1
	_vk=$?
	if [ "$_want" = accept ]; then _ok=$([ $_vi -eq 0 ] && [ $_vk -eq 0 ] && echo 0 || echo 1)
	else _ok=$([ $_vi -ne 0 ] && [ $_vk -ne 0 ] && echo 0 || echo 1); fi
	ok "$_ok" "$_desc: both ${_want} (virt-install $_vi, vinstall $_vk)"
	[ "$_ok" -eq 0 ] || { sed 's/^/# vi: /' "$TMP/vi.out" | tail -3; sed 's/^/# vk: /' "$TMP/vk.out" | tail -3; }
}

same accept "import with issue-style options" --name c1 --memory=2048,maxmemory=3072 --vcpus=2,maxvcpus=2 \
	--osinfo linux2022 --import --disk path="$DISK" --graphics=none --console=pty,target_type=serial \
	--network none --autostart --noautoconsole
same accept "direct kernel boot" --name c2 -r 512 --osinfo linux2022 --import --disk "$DISK" \
	--boot kernel="$TMP/data/vmlinuz",kernel_args="root=/dev/vda console=ttyS0"
same refuse "memory that is not a number" --name c3 --memory abc --osinfo linux2022 --import --disk "$DISK"
same refuse "unknown --disk sub-option" --name c4 --memory 512 --osinfo linux2022 --import --disk path="$DISK",sise=3
same refuse "--location with --import" --name c5 --memory 512 --osinfo linux2022 --location "$TMP" --import --disk "$DISK"
same refuse "unknown option" --name c6 --memory 512 --osinfo linux2022 --import --disk "$DISK" --frobnicate

done_testing
