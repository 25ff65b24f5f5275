# tap.sh - TAP output for shell tests: source it, call plan/ok/skip, end with done_testing.
# Each test script is run by automake's TAP driver, which counts each case.

_tap_n=0
_tap_failed=0

# Tools under test, from the build tree.
VINSTALL="${top_builddir:-.}/tools/vinstall"
VCLONE="${top_builddir:-.}/tools/vclone"
VDF="${top_builddir:-.}/tools/vdf"
VCTL="${top_builddir:-.}/tools/vctl"
VRUN="${top_builddir:-.}/vmm/vrun"
# Every tool checks this URI as virsh reads it (common/util/options.h): one
# naming another host in the tester's environment must not fail the tests.
unset LIBVIRT_DEFAULT_URI

# A private state directory and scratch space, removed on exit.
tap_setup_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/vkit-test.XXXXXX") || exit 99
	export VKIT_DIR="$TMP/state"
	trap 'rm -rf "$TMP"' EXIT
}

# ok CONDITION_EXIT_STATUS "description"
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
		return 1
	fi
}

# check "description" command args... : runs the command, ok if it exits 0
check() {
	_desc=$1; shift
	if "$@" >"${TMP:-/tmp}/check.out" 2>&1; then ok 0 "$_desc"; else
		ok 1 "$_desc"; sed 's/^/# /' "${TMP:-/tmp}/check.out"; fi
}

# expect_fail "description" "expected stderr substring" command args...
expect_fail() {
	_desc=$1; _want=$2; shift 2
	if "$@" >"${TMP:-/tmp}/ef.out" 2>&1; then
		ok 1 "$_desc (exited 0)"; sed 's/^/# /' "${TMP:-/tmp}/ef.out"
	elif grep -qF -- "$_want" "${TMP:-/tmp}/ef.out"; then
		ok 0 "$_desc"
	else
		ok 1 "$_desc (message lacks '$_want')"; sed 's/^/# /' "${TMP:-/tmp}/ef.out"
	fi
}

# diff_ok "description" expected_file actual_file
diff_ok() {
	if diff -u "$2" "$3" >"${TMP:-/tmp}/diff.out" 2>&1; then ok 0 "$1"; else
		ok 1 "$1"; sed 's/^/# /' "${TMP:-/tmp}/diff.out"; fi
}

skip() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n # SKIP $1"
}

# skip_all "reason": the whole script has nothing to run here.
skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# wait_for FILE TEXT SECONDS: until TEXT is in FILE; 1 at the deadline.
# Wall-clock, not a count of tries: in the nested sandbox each grep and
# sleep can take far longer than asked.
wait_for() {
	_wf_end=$(($(date +%s) + $3))
	until grep -q "$2" "$1" 2>/dev/null; do
		[ "$(date +%s)" -lt "$_wf_end" ] || return 1
		sleep 0.2
	done
}

# wait_exit PID SECONDS: PID's exit status; past the deadline PID gets
# SIGKILL (status 137), so a stuck runner fails a test instead of hanging it.
wait_exit() {
	# A new sh, not a subshell: a subshell killed early could still run
	# this shell's EXIT trap (rm -rf "$TMP"), seen once under dash.
	sh -c 'sleep "$1" && kill -KILL "$2"' wait_exit "$2" "$1" >/dev/null 2>&1 &
	_we_dog=$!
	wait "$1"
	_we_rc=$?
	kill "$_we_dog" 2>/dev/null
	return $_we_rc
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
}
