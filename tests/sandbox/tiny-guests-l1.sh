#!/bin/sh
# tiny-guests-l1.sh - tests/vmm/tiny-guests.sh inside L1, where /dev/kvm is real KVM, so the tiny guests run on every machine that has QEMU.
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "${top_srcdir:-.}/tests/sandbox/enter-l1.sh"
exec sh "$top_srcdir/tests/vmm/tiny-guests.sh"
