#!/bin/sh
# mkinitramfs-l2.sh - build the initramfs of a sandbox L2 guest: static busybox, the virtio modules Debian's kernel needs, and a test's own init script.
#
# Usage: tests/sandbox/mkinitramfs-l2.sh OUT TEST_INIT [MODULE]...
#
# OUT is an uncompressed cpio archive for vrun --initrd.  At boot, /init
# (tests/sandbox/l2-init) mounts /proc, /sys and /dev, loads virtio-pci,
# virtio-blk, virtio-net (and MODULEs, with their dependencies), then runs
# TEST_INIT with busybox's sh; when it returns the guest powers off.
# Runs on the host or inside L1 (run-l1.sh); the kernel and its modules are
# the sandbox's (VK_SANDBOX_KERNEL / VK_SANDBOX_MODDIR, set inside L1).
# The part shared by every test is cached under
# $top_builddir/tests/sandbox/cache.  Exit status 0, 77 when busybox or
# the kernel's modules are missing, 1 on other errors.

vk_sb_srcdir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$vk_sb_srcdir/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
vk_sb_cache=$top_builddir/tests/sandbox/cache
. "$vk_sb_srcdir/sandbox-lib.sh"

VK_SB_L2_MODULES="virtio_pci virtio_blk virtio_net"

[ $# -ge 2 ] || { echo "usage: $0 OUT TEST_INIT [MODULE]..." >&2; exit 1; }
out=$1; test_init=$2; shift 2
[ -r "$test_init" ] || { echo "mkinitramfs-l2.sh: $test_init: cannot read" >&2; exit 1; }
vk_sb_find_kernel || { echo "mkinitramfs-l2.sh: $vk_sb_why" >&2; exit 77; }
vk_sb_find_busybox || { echo "mkinitramfs-l2.sh: $vk_sb_why" >&2; exit 77; }
mkdir -p "$vk_sb_cache" || exit 1

key=$(printf '%s\n' "$VK_SANDBOX_MODDIR" "$VK_SB_L2_MODULES $*" |
	cat - "$VK_SANDBOX_BUSYBOX" "$vk_sb_srcdir/l2-init" "$vk_sb_srcdir/sandbox-lib.sh" | cksum | cut -d' ' -f1)
base=$vk_sb_cache/l2-base-$key.cpio
work=$(mktemp -d "${TMPDIR:-/tmp}/vkit-l2.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
if [ ! -s "$base" ]; then
	mkdir -p "$work/base/bin" &&
		cp "$VK_SANDBOX_BUSYBOX" "$work/base/bin/busybox" &&
		cp "$vk_sb_srcdir/l2-init" "$work/base/init" && chmod 755 "$work/base/init" || exit 1
	vk_sb_copy_modules "$VK_SANDBOX_MODDIR" "$work/base/mod" $VK_SB_L2_MODULES "$@" ||
		{ echo "mkinitramfs-l2.sh: $vk_sb_why" >&2; exit 77; }
	vk_sb_cpio "$work/base" "$base" || { echo "mkinitramfs-l2.sh: $vk_sb_why" >&2; exit 1; }
fi
# The kernel unpacks concatenated archives in turn: the shared part, then the test's init.
mkdir -p "$work/test" && cp "$test_init" "$work/test/test-init" && chmod 755 "$work/test/test-init" &&
	vk_sb_cpio "$work/test" "$work/test.cpio" &&
	cat "$base" "$work/test.cpio" >"$out.tmp.$$" && mv "$out.tmp.$$" "$out" || {
	rm -f "$out.tmp.$$"
	echo "mkinitramfs-l2.sh: cannot write $out" >&2
	exit 1
}
