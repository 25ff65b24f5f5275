#!/bin/bash
# vclone-linked-bench.sh - wall time of `vclone --linked` of a 20 GiB image, against
# `qemu-img create -b` of the same overlay in the same run; prints medians and the ratio.
#
# Usage: [top_builddir=BUILD] bash bench/vclone-linked-bench.sh [RUNS]
# Each run is a whole process, as a user types it: start-up (libraries
# loaded), reading the definition, the overlay, the new definition.  Both
# tools write into one tmpfs-or-not directory ($TMPDIR); each vclone run
# makes a new clone of one original, each qemu-img run one new overlay.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$src}
vclone="$build/tools/vclone"
runs=${1:-50}

[ -x "$vclone" ] || { echo "vclone-linked-bench: $vclone is not built (make)" >&2; exit 1; }
command -v qemu-img >/dev/null 2>&1 ||
	{ echo "vclone-linked-bench: qemu-img is not installed (apt-get install qemu-utils)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vclone-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export VKIT_DIR="$tmp/state"
mkdir -p -m 0700 "$VKIT_DIR" "$VKIT_DIR/vms"; mkdir -p "$tmp/img"
truncate -s 20G "$tmp/img/src.img"
cat >"$VKIT_DIR/vms/src.json" <<EOF
{ "version": 1, "name": "src", "uuid": "6f9619ff-8b86-4011-b42d-00c04fc964ff", "memory": 1024,
  "vcpus": 1, "boot": { "kind": "disk" },
  "disks": [ { "path": "$tmp/img/src.img", "format": "raw" } ] }
EOF
"$vclone" -q -o src -n warm --linked -f "$tmp/img/warm.qcow2"	# first run: creates the state dirs
qemu-img create -q -f qcow2 -F raw -b "$tmp/img/src.img" "$tmp/img/warm2.qcow2"
rm -f "$VKIT_DIR/vms/warm.json"

# Times come from bash's $EPOCHREALTIME, read without a fork: an earlier
# version ran date(1) around each command, and that fork (about 2 ms here)
# was counted in both tools' times.

# median FILE: the middle value of the numbers in FILE, one a line.
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$tmp/vclone.us"
: >"$tmp/qemu-img.us"
i=0
while [ $i -lt "$runs" ]; do
	t0=${EPOCHREALTIME/./}
	"$vclone" -q -o src -n "c$i" --linked -f "$tmp/img/c$i.qcow2"
	t1=${EPOCHREALTIME/./}
	qemu-img create -q -f qcow2 -F raw -b "$tmp/img/src.img" "$tmp/img/q$i.qcow2"
	t2=${EPOCHREALTIME/./}
	echo $((t1 - t0)) >>"$tmp/vclone.us"
	echo $((t2 - t1)) >>"$tmp/qemu-img.us"
	# Each run sees the same host: one original, no clones piling up.
	rm -f "$VKIT_DIR/vms/c$i.json" "$tmp/img/c$i.qcow2" "$tmp/img/q$i.qcow2"
	i=$((i + 1))
done
v=$(median "$tmp/vclone.us")
q=$(median "$tmp/qemu-img.us")
echo "vclone --linked (20 GiB raw original): median $(awk -v v="$v" 'BEGIN { printf "%.2f", v / 1000 }') ms over $runs runs (goal: under 5 ms)"
echo "qemu-img create -b (the overlay alone): median $(awk -v q="$q" 'BEGIN { printf "%.2f", q / 1000 }') ms"
echo "ratio vclone/qemu-img: $(awk -v v="$v" -v q="$q" 'BEGIN { printf "%.2f", v / q }')"
