#!/bin/sh
# connect.sh - every tool takes --connect URIs that mean this host and refuses the others by name (issue 15).
. "$top_srcdir/tests/lib/tap.sh"

tap_setup_tmp
VTOP="${top_builddir:-.}/tools/vtop"
unset LIBVIRT_DEFAULT_URI

# --version runs after the URI check: it shows the tool went on.
for tool in "$VINSTALL" "$VCLONE" "$VCTL" "$VTOP" "$VDF"; do
	t=${tool##*/}
	for uri in qemu:///system qemu:///session kvm:///system qemu+unix:///system ''; do
		check "$t --connect '$uri'" sh -c '"$0" --connect "$1" --version | grep -q "(vkit)"' "$tool" "$uri"
	done
	expect_fail "$t refuses an ssh URI" \
		"$t: --connect: 'qemu+ssh://host/system': remote hosts are not supported yet" \
		"$tool" --connect qemu+ssh://host/system --version
	expect_fail "$t refuses another hypervisor" "$t: --connect: 'test:///default': vkit runs KVM guests only" \
		"$tool" --connect=test:///default --version
	expect_fail "$t refuses LIBVIRT_DEFAULT_URI naming another host" \
		"$t: LIBVIRT_DEFAULT_URI: 'qemu+tls://h/system': remote hosts are not supported yet" \
		env LIBVIRT_DEFAULT_URI=qemu+tls://h/system "$tool" --version
	check "$t: --connect wins over LIBVIRT_DEFAULT_URI" \
		env LIBVIRT_DEFAULT_URI=xen:/// "$tool" --connect qemu:///system --version
done

# -c is --connect where the original's -c is (virsh, virt-top, virt-df);
# vinstall's -c stays virt-install's --cdrom.
for tool in "$VCTL" "$VTOP" "$VDF"; do
	t=${tool##*/}
	expect_fail "$t -c is --connect" "$t: --connect: 'xen:///'" "$tool" -c xen:/// --version
done
check "vinstall -c is --cdrom" sh -c '"$0" -c xen:/// --version | grep -q "(vkit)"' "$VINSTALL"

# The local URI reaches the real work, which finds this host's (empty) state.
check "vctl -c qemu:///system list --all" sh -c '"$0" -c qemu:///system list --all | grep -q "^ Id   Name"' "$VCTL"
check "vtop -c qemu:///system in batch mode" sh -c '"$0" -c qemu:///system -b -n 1 -d 0.1 | grep -q "^vtop"' "$VTOP"
expect_fail "vtop no longer shows this host for a remote URI" "remote hosts are not supported yet" \
	"$VTOP" -c qemu+ssh://h/system -b -n 1
expect_fail "vdf no longer shows this host for a remote URI" "remote hosts are not supported yet" \
	"$VDF" -c qemu+ssh://h/system

done_testing
