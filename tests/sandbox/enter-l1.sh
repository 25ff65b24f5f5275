# enter-l1.sh - sourced by a sandbox test after tests/lib/tap.sh: on the host it skips or re-runs the test inside L1; inside L1 it checks /dev/kvm.
#
#   . "$top_srcdir/tests/lib/tap.sh"
#   . "$top_srcdir/tests/sandbox/enter-l1.sh"   # returns only inside L1
#
# On the host: skip_all when configure said --disable-sandbox-tests
# (VK_SANDBOX_TESTS=no) or run-l1.sh --check finds no QEMU, kernel or
# busybox; otherwise exec run-l1.sh $VK_L1_OPTIONS "$0" "$@", so the TAP
# printed inside L1 is the test's.  Inside L1 (VKIT_IN_SANDBOX set) a
# missing /dev/kvm is a failure, not a skip: the sandbox exists to have one.

if [ -z "${VKIT_IN_SANDBOX:-}" ]; then
	if [ "${VK_SANDBOX_TESTS:-yes}" = no ]; then
		skip_all "sandbox tests disabled (configure --disable-sandbox-tests)"
	fi
	_vk_why=$("${top_srcdir:-.}/tests/sandbox/run-l1.sh" --check 2>/dev/null)
	case $? in
	0) ;;
	77) skip_all "$_vk_why" ;;
	*) echo "Bail out! tests/sandbox/run-l1.sh --check failed"; exit 1 ;;
	esac
	# shellcheck disable=SC2086
	exec "${top_srcdir:-.}/tests/sandbox/run-l1.sh" ${VK_L1_OPTIONS:-} "$0" "$@"
fi
if [ ! -c /dev/kvm ]; then
	echo "Bail out! no /dev/kvm inside L1 (kvm-amd did not load)"
	exit 1
fi

# l2_flake STATUS VRUN_OUTPUT [CONSOLE]: the sandbox's known flakes, with
# nothing wrong in the guest, under QEMU's emulated AMD-V (docs/sandbox.md):
# a vCPU triple-faults (KVM_EXIT_SHUTDOWN: an application processor at
# bring-up, a 1-vCPU guest in early boot, vCPU 0 in a console flood), or
# the guest's kernel oopses in an interrupt and panics (then panic=-1
# reboots it), or the guest hangs until the test's timeout (status 124;
# l2_timeout below stops it earlier when its kernel says it hung).  A
# triple fault stops vrun with status 1 and says so; without --no-reboot a
# panicked guest is reset in place and boots again: a panic with a reboot
# logged marks that run as a flake whatever its status.
# L1's own kernel once oopsed in __svm_vcpu_run right after VMRUN, which
# points at the emulation.  A test that hits one boots again,
# up to L2_FLAKE_TRIES boots in all, and says so in its TAP comments.
L2_FLAKE_TRIES=4
l2_flake() {
	[ "$1" = 124 ] && return 0	# ran past its limit: hung
	# Not anchored: through vinstall, the guest's console and vrun's
	# message share the output, and the message can follow console text
	# on its line.
	[ "$1" = 1 ] && grep -qE 'vrun: ([^ :]+: )?vCPU [0-9]+: the guest triple-faulted' "$2" && return 0
	{ [ "$1" != 0 ] || grep -qE '^vrun: ([^ :]+: )?[0-9:]{8} guest reboot' "$2"; } &&
		grep -q "Kernel panic - not syncing" "${3:-$2}" 2>/dev/null
}
# l2_flake_note FILE...: the lines that name a flake, as TAP comments.
l2_flake_note() { cat "$@" 2>/dev/null | grep -E "triple-faulted|triple fault|Kernel panic|$L2_HANG_SIGN" | head -n 2 | sed 's/^/#   /'; }
# A hung guest's kernel often says why within half a minute: a vCPU's
# timer interrupt was lost, so RCU's kthread never wakes (docs/sandbox.md).
# l2_hung CONSOLE...: such a guest will not go on; no use waiting for the
# test's timeout of several minutes.
L2_HANG_SIGN="kthread timer wakeup didn't happen"
l2_hung() { grep -qs "$L2_HANG_SIGN" "$@"; }
# l2_timeout SECS CONSOLE COMMAND [ARG]...: timeout -k 10 SECS COMMAND,
# stopped early (status 124, as for a timeout) once l2_hung CONSOLE.
# CONSOLE must be new: removed or truncated by the caller, or an earlier
# boot's hang stops this one.
l2_timeout() {
	_lt_secs=$1 _lt_console=$2
	shift 2
	timeout -k 10 "$_lt_secs" "$@" &
	_lt_pid=$!
	while kill -0 "$_lt_pid" 2>/dev/null; do
		if l2_hung "$_lt_console"; then
			kill "$_lt_pid"
			wait "$_lt_pid" 2>/dev/null
			return 124
		fi
		sleep 1
	done
	wait "$_lt_pid"
}
# l2_again WHAT VRUN_OUTPUT CONSOLE COMMAND [ARG]...: after a first boot
# that set $status, runs COMMAND (which boots again and sets $status) while
# l2_flake says the last boot was a flake, up to L2_FLAKE_TRIES boots in
# all; each retry is said in a TAP comment.  CONSOLE may be "".
l2_again() {
	_la_what=$1 _la_out=$2 _la_console=$3
	shift 3
	_la_boots=1
	while l2_flake "$status" "$_la_out" "$_la_console" && [ $_la_boots -lt $L2_FLAKE_TRIES ]; do
		# shellcheck disable=SC2086
		l2_flake_note "$_la_out" $_la_console
		echo "# $_la_what: a sandbox flake (docs/sandbox.md); booting again"
		_la_boots=$((_la_boots + 1))
		"$@"
	done
}
