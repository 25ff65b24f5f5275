#!/bin/sh
# mgmt.sh - the control socket and ACPI in the nested sandbox: runs tests/sandbox/mgmt-l1.sh inside L1 (tiny guests, then a Linux guest: dd stats, pause/resume, powerdown, ACPI reboot).
. "${top_srcdir:-.}/tests/lib/tap.sh"

[ "${VK_SANDBOX_TESTS:-yes}" != no ] || skip_all "sandbox tests disabled (--disable-sandbox-tests)"
SB=${VK_SB_DIR:-${top_srcdir:-.}/tests/sandbox}
[ -x "$SB/run-l1.sh" ] || skip_all "no tests/sandbox/run-l1.sh in this tree"
why=$("$SB/run-l1.sh" --check 2>/dev/null)
case $? in
0) ;;
77) skip_all "sandbox unavailable: $why" ;;
*) echo "Bail out! run-l1.sh --check failed: $why"; exit 1 ;;
esac
exec "$SB/run-l1.sh" --timeout 1200 "${top_srcdir:-.}/tests/sandbox/mgmt-l1.sh"
