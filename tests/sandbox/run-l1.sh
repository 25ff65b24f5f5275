#!/bin/sh
# run-l1.sh - run a script inside the nested sandbox (L1: Debian's kernel under QEMU TCG with real kvm-amd) and exit with its status.
#
# Usage: tests/sandbox/run-l1.sh [--share DIR]... [--memory MIB] [--timeout SEC] SCRIPT [ARG]...
#        tests/sandbox/run-l1.sh --check
#
# SCRIPT runs as root in L1, chrooted into this machine's root filesystem
# shared read-only over virtio-9p, so every installed program and every
# path is where it is here.  The build tree (and each --share DIR) is
# writable; /tmp, /run and /var/tmp are L1's own tmpfs.  The script's
# stdout and stderr come back on stdout when L1 ends (as it runs with
# VK_SANDBOX_RETRIES=0).  Exit status: the
# script's; 77 when the sandbox cannot run here (--check says why);
# 125 when L1 never reported a status (crash, timeout: the end of its
# console is printed on stderr).  See docs/sandbox.md.
#
# Environment: top_builddir/top_srcdir (default: this tree), VK_SANDBOX_LOG
# (copy of L1's whole console; the consoles of tries that failed are added
# to VK_SANDBOX_LOG.tries), VK_SANDBOX_DEBUG=1 (kernel messages and
# init trace), VK_SANDBOX_MEMORY, VK_SANDBOX_CPUS, VK_SANDBOX_TIMEOUT, VK_SANDBOX_QEMU,
# VK_SANDBOX_RETRIES (boots after L1 froze, panicked or reset, default 3),
# VK_SANDBOX_KVM_AMD (kvm-amd's module options in L1, e.g. "vgif=0").

vk_sb_srcdir=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$vk_sb_srcdir/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)
export top_srcdir top_builddir
vk_sb_cache=$top_builddir/tests/sandbox/cache
. "$vk_sb_srcdir/sandbox-lib.sh"

# Modules L1 loads: KVM (kvm-amd under TCG's emulated SVM), virtio-9p for
# the shared trees, bridge and tun for guests' networks.
VK_SB_L1_MODULES="irqbypass ccp kvm kvm-amd virtio_pci 9pnet_virtio 9p bridge tun"
VK_SB_BRIDGE=br0
VK_SB_BRIDGE_ADDR=10.0.2.2
QEMU=${VK_SANDBOX_QEMU:-qemu-system-x86_64}
memory=${VK_SANDBOX_MEMORY:-1536}
# Two L1 vCPUs: with one, a 2-vCPU L2 guest froze the whole of L1 in about
# one boot in four (L1's own timers stopped too); with two it never did.
cpus=${VK_SANDBOX_CPUS:-2}
kvm_amd_options=${VK_SANDBOX_KVM_AMD:-}
limit=${VK_SANDBOX_TIMEOUT:-1200}
shares=$top_builddir
check_only=

usage() {
	echo "usage: $0 [--share DIR]... [--memory MIB] [--timeout SEC] SCRIPT [ARG]..." >&2
	echo "       $0 --check" >&2
	exit 2
}
die() { echo "run-l1.sh: $*" >&2; exit "${status:-125}"; }

while [ $# -gt 0 ]; do
	case $1 in
	--check) check_only=1 ;;
	--share) [ $# -ge 2 ] || usage; shares="$shares
$(cd "$2" && pwd)" || die "--share $2: no such directory"; shift ;;
	--memory) [ $# -ge 2 ] || usage; memory=$2; shift ;;
	--timeout) [ $# -ge 2 ] || usage; limit=$2; shift ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ -n "$check_only" ] || [ $# -ge 1 ] || usage

# unavailable REASON: the sandbox cannot run on this machine.
unavailable() {
	echo "run-l1.sh: sandbox unavailable: $*" >&2
	[ -n "$check_only" ] && echo "$*"
	exit 77
}

command -v "$QEMU" >/dev/null || unavailable "$QEMU not found (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || unavailable "cpio not found (apt-get install cpio)"
"$QEMU" -cpu help 2>/dev/null | grep -qw max || unavailable "$QEMU has no -cpu max"

mkdir -p "$vk_sb_cache" || die "cannot create $vk_sb_cache"
# One L1 at a time per build tree: on 2 cores two TCG machines only slow each other.
if command -v flock >/dev/null; then
	exec 9>"$vk_sb_cache/.lock"
	flock 9 || die "cannot lock $vk_sb_cache/.lock"
fi

vk_sb_find_kernel || unavailable "$vk_sb_why"
vk_sb_find_busybox || unavailable "$vk_sb_why"

# The cached part of L1's initramfs: busybox, the modules, /init.  Rebuilt
# when the kernel, busybox, init or the module list change.
key=$(printf '%s\n' "$VK_SANDBOX_KERNEL" "$VK_SANDBOX_MODDIR" "$VK_SB_L1_MODULES" |
	cat - "$VK_SANDBOX_BUSYBOX" "$vk_sb_srcdir/l1-init" "$vk_sb_srcdir/sandbox-lib.sh" | cksum | cut -d' ' -f1)
base=$vk_sb_cache/l1-base-$key.cpio
if [ ! -s "$base" ]; then
	rm -f "$vk_sb_cache"/l1-base-*.cpio
	broot=$vk_sb_cache/l1-base.d
	rm -rf "$broot" && mkdir -p "$broot/bin" || die "cannot create $broot"
	cp "$VK_SANDBOX_BUSYBOX" "$broot/bin/busybox" &&
		cp "$vk_sb_srcdir/l1-init" "$broot/init" && chmod 755 "$broot/init" ||
		die "cannot fill $broot"
	vk_sb_copy_modules "$VK_SANDBOX_MODDIR" "$broot/mod" $VK_SB_L1_MODULES ||
		unavailable "$vk_sb_why"
	vk_sb_cpio "$broot" "$base" || die "$vk_sb_why"
	rm -rf "$broot"
fi
[ -n "$check_only" ] && exit 0

script=$1; shift
case $script in /*) ;; *) script=$(pwd)/$script ;; esac
[ -f "$script" ] || die "$script: no such file"

work=$(mktemp -d "${TMPDIR:-/tmp}/vkit-l1.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf "$work"' EXIT
trap 'exit 125' INT TERM HUP

# quote WORD: WORD in single quotes for the job's shell.
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

nonce=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$work/job/job"
{
	echo "VK_SB_NONCE=$nonce"
	echo "VK_SB_DEBUG=${VK_SANDBOX_DEBUG:-}"
	echo "VK_SB_BRIDGE=$VK_SB_BRIDGE"
	echo "VK_SB_BRIDGE_ADDR=$VK_SB_BRIDGE_ADDR"
	echo "VK_SB_KVM_AMD_OPTIONS=$(quote "$kvm_amd_options")"
} >"$work/job/job/config"

# Shares become 9p exports: "tag path" lines, parents first.
qemu_shares=
n=0
printf '%s\n' "$shares" | awk 'length' | sort -u | while read -r dir; do
	echo "vksh$n $dir"
	n=$((n + 1))
done >"$work/job/job/shares"
while read -r tag dir; do
	case $dir in *,*) die "$dir: QEMU cannot share a path with a comma" ;; esac
	qemu_shares="$qemu_shares -virtfs local,path=$dir,mount_tag=$tag,security_model=none,multidevs=remap"
done <"$work/job/job/shares"

# A script in a directory L1 hides behind its own tmpfs travels in the initramfs.
copy=
case $script in /tmp/* | /run/* | /var/tmp/*)
	copy=$script
	while read -r tag dir; do
		case $script in "$dir"/*) copy= ;; esac
	done <"$work/job/job/shares"
	;;
esac
if [ -n "$copy" ]; then
	echo "VK_SB_SCRIPT_COPY=$(quote "$copy")" >>"$work/job/job/config"
	cp "$script" "$work/job/job/script" || die "cannot copy $script"
fi

# The job: the environment tests rely on, then the script.
{
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "export HOME=/tmp TMPDIR=/tmp LANG=C.UTF-8 VKIT_IN_SANDBOX=1"
	echo "export VK_SANDBOX_BRIDGE=$VK_SB_BRIDGE VK_SANDBOX_BRIDGE_ADDR=$VK_SB_BRIDGE_ADDR"
	echo "export VK_SANDBOX_KERNEL=$(quote "$VK_SANDBOX_KERNEL") VK_SANDBOX_MODDIR=$(quote "$VK_SANDBOX_MODDIR")"
	echo "export VK_SANDBOX_BUSYBOX=$(quote "$VK_SANDBOX_BUSYBOX")"
	env | grep -E '^(VK_|VKIT_|top_srcdir=|top_builddir=|srcdir=)' |
		grep -vE '^(VK_SANDBOX_(KERNEL|MODDIR|BUSYBOX|LOG|BRIDGE[A-Z_]*)|VKIT_IN_SANDBOX)=' |
		while IFS= read -r kv; do
			echo "export ${kv%%=*}=$(quote "${kv#*=}")"
		done
	echo "cd $(quote "$(pwd)") 2>/dev/null || cd /"
	if [ -x "$script" ]; then printf 'exec %s' "$(quote "$script")"; else
		printf 'exec /bin/sh %s' "$(quote "$script")"; fi
	for a in "$@"; do printf ' %s' "$(quote "$a")"; done
	echo
} >"$work/job/job/run"
vk_sb_cpio "$work/job" "$work/job.cpio" || die "$vk_sb_why"
cat "$base" "$work/job.cpio" >"$work/initrd.cpio" || die "cannot write $work/initrd.cpio"

append="console=ttyS0 panic=-1 rdinit=/init"
if [ -n "${VK_SANDBOX_DEBUG:-}" ]; then append="$append ignore_loglevel"; else
	append="$append quiet loglevel=1"; fi

# Before the job starts only init's own "vk-l1:" lines are shown (and
# everything with VK_SANDBOX_DEBUG); the status line is taken out.  QEMU
# and the filter run in the background so that a signal stops QEMU at once
# (timeout(1) runs QEMU in a process group of its own).
#
# Now and then L1 freezes under TCG (both vCPUs stuck, the kernel's
# soft-lockup watchdog counting up; seen at L1's boot on an idle host, in
# about one boot in eight).  The filter kills QEMU once a lockup has lasted
# a minute and L1 is booted again, up to VK_SANDBOX_RETRIES times (default
# 3: CI runs had L1 freeze and then oops on the retry, and die three times
# in a row in one test).  So
# that a retried run's output is not seen twice, the script's output is
# kept until L1 ends, unless retries are off.
#
# It can also freeze in silence (no watchdog message, QEMU's vCPUs busy),
# seen with two sandboxes sharing two host cores.  L1's init writes a
# heartbeat to its second serial port every 10 s; once that has started,
# VK_SANDBOX_SILENCE seconds (default 180) without one count as a freeze
# too.  90 s was tried: a clean CI run then called four "freezes" in a row
# in tiny-guests-l1.sh while its script was still going (busy L1, heartbeat
# late), and failed.
retries=${VK_SANDBOX_RETRIES:-3}
silence=${VK_SANDBOX_SILENCE:-180}
live=
[ "$retries" = 0 ] && live=1
mkfifo "$work/console" || die "cannot create $work/console"

# watch_heartbeat: kill QEMU when the heartbeat file stops growing.
watch_heartbeat() {
	_hb_size=0
	_hb_last=$(date +%s)
	while kill -0 "$qemu_pid" 2>/dev/null; do
		sleep 5
		_hb_now=$(wc -c <"$work/heartbeat" 2>/dev/null || echo 0)
		if [ "$_hb_now" != "$_hb_size" ]; then
			_hb_size=$_hb_now
			_hb_last=$(date +%s)
		elif [ "$_hb_size" -gt 0 ] && [ $(($(date +%s) - _hb_last)) -ge "$silence" ]; then
			echo "no heartbeat for ${silence}s" >"$work/frozen"
			kill "$qemu_pid" 2>/dev/null
			return
		fi
	done
}
attempt=0
while :; do
	rm -f "$work/status" "$work/out" "$work/frozen" "$work/panicked"
	: >"$work/out"
	: >"$work/heartbeat"
	# shellcheck disable=SC2086
	timeout -k 10 "$limit" "$QEMU" -accel tcg -M q35 -cpu max -smp "$cpus" -m "$memory" \
		-nodefaults -no-user-config -display none -monitor none -serial stdio \
		-serial "file:$work/heartbeat" -no-reboot \
		-kernel "$VK_SANDBOX_KERNEL" -initrd "$work/initrd.cpio" -append "$append" \
		-virtfs local,path=/,mount_tag=vkroot,security_model=none,readonly=on,multidevs=remap \
		$qemu_shares </dev/null >"$work/console" 2>"$work/qemu.err" &
	qemu_pid=$!
	trap 'kill "$qemu_pid" 2>/dev/null; exit 125' INT TERM HUP
	watch_heartbeat </dev/null >/dev/null 2>&1 &
	tee "$work/console.raw" <"$work/console" |
		awk -v nonce="$nonce" -v debug="${VK_SANDBOX_DEBUG:-}" -v statusfile="$work/status" \
		    -v out="$work/out" -v live="$live" -v frozen="$work/frozen" -v panicked="$work/panicked" \
		    -v qpid="$qemu_pid" '
		function emit(line) {
			if (live != "") { print line; fflush() } else { print line >> out; fflush(out) }
		}
		{ sub(/\r$/, "") }
		/watchdog: BUG: soft lockup - CPU#[0-9]+ stuck for [0-9]+s!/ && !killed {
			secs = $0; sub(/.* stuck for /, "", secs); sub(/s!.*/, "", secs)
			if (secs + 0 >= 60) {
				killed = 1; print "soft lockup: " $0 > frozen; close(frozen)
				system("kill " qpid " 2>/dev/null")
			}
		}
		# L1 itself oopsed (seen once: a stack overrun in __svm_vcpu_run
		# right after VMRUN, QEMU TCG emulating AMD-V): the run is void.
		/Kernel panic - not syncing/ && !status_seen { print "" > panicked; close(panicked) }
		$0 == "VKIT-SANDBOX-BEGIN-" nonce { started = 1; next }
		$1 == "VKIT-SANDBOX-STATUS-" nonce { print $2 > statusfile; close(statusfile); started = 0; status_seen = 1; next }
		started || debug != "" || /^vk-l1: / { emit($0) }' &
	wait $!
	wait "$qemu_pid"
	qemu_status=$?
	# L1 ended without the script's status and not at the time limit
	# (timeout's 124, or 137 when QEMU needed its KILL): it froze,
	# panicked, or reset itself (-no-reboot ends QEMU then; seen once,
	# silently, in mgmt.sh under CI): the run is void.
	case $qemu_status in 124 | 137) break ;; esac
	[ ! -s "$work/status" ] && [ "$attempt" -lt "$retries" ] || break
	attempt=$((attempt + 1))
	[ -n "${VK_SANDBOX_LOG:-}" ] && { echo "==== try $attempt"; cat "$work/console.raw"; } >>"$VK_SANDBOX_LOG.tries"
	if [ -e "$work/frozen" ]; then
		echo "run-l1.sh: L1 froze ($(cat "$work/frozen")); booting it again ($attempt of $retries);" \
			"the script had got to:" >&2
		tail -n 2 "$work/out" | sed 's/^/  | /' >&2
	elif [ -e "$work/panicked" ]; then
		echo "run-l1.sh: L1's kernel panicked before the script ended (its console below);" \
			"booting it again ($attempt of $retries)" >&2
		tr -d '\r' <"$work/console.raw" | grep -A12 -m1 -E 'BUG:|Oops|Kernel panic' | sed 's/^/  | /' >&2
	else
		echo "run-l1.sh: L1 ended before the script did (QEMU status $qemu_status, its console below);" \
			"booting it again ($attempt of $retries)" >&2
		tr -d '\r' <"$work/console.raw" | tail -n 5 | sed 's/^/  | /' >&2
		sed 's/^/  qemu: /' "$work/qemu.err" >&2
	fi
done
[ -z "$live" ] && cat "$work/out"

[ -n "${VK_SANDBOX_LOG:-}" ] && cp "$work/console.raw" "$VK_SANDBOX_LOG"
if [ ! -s "$work/status" ]; then
	{
		if [ -e "$work/frozen" ]; then
			echo "run-l1.sh: L1 froze on every try; the end of its console:"
		else
			echo "run-l1.sh: L1 reported no status (crashed, or ran past ${limit}s); the end of its console:"
		fi
		tr -d '\r' <"$work/console.raw" | tail -n 30 | sed 's/^/  | /'
		sed 's/^/  qemu: /' "$work/qemu.err"
	} >&2
	exit 125
fi
exit "$(cat "$work/status")"
