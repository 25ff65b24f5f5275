#!/bin/sh
# bench-firmware.sh - in the nested sandbox (real KVM), start-to-boot-loader time of SeaBIOS booting a GRUB disk under vrun and under QEMU -accel kvm, and their ratio.
#
#   make bench/bench-firmware && bench/bench-firmware.sh [ROUNDS]
#
# Boots L1 through tests/sandbox/run-l1.sh (or runs directly where /dev/kvm
# is hardware KVM: VKIT_IN_SANDBOX=1 bench/bench-firmware.sh).  Both
# runners get the same disk (tests/vmm/mkgrubdisk.sh: GRUB from
# grub-pc-bin, read-only), the same SeaBIOS and 256 MiB; the time is from
# fork to "GRUB loading" on the serial console.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
if [ -z "${VKIT_IN_SANDBOX:-}" ] && grep -qE '^flags.* (vmx|svm)( |$)' /proc/cpuinfo; then
	VKIT_IN_SANDBOX=host	# hardware KVM here: no sandbox needed
fi
if [ -z "${VKIT_IN_SANDBOX:-}" ]; then
	exec "$top_srcdir/tests/sandbox/run-l1.sh" "$0" "$@"
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-firmware.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/root/boot/grub"
printf 'serial --unit=0\nterminal_input serial\nterminal_output serial\nset timeout=5\nmenuentry halt { halt }\n' \
	>"$tmp/root/boot/grub/grub.cfg"
sh "$top_srcdir/tests/vmm/mkgrubdisk.sh" "$tmp/disk.img" "$tmp/root" 16 >/dev/null || exit $?
VRUN=$top_builddir/vmm/vrun "$top_builddir/bench/bench-firmware" "$tmp/disk.img" "${1:-5}"
