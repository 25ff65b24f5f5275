#!/bin/sh
# vdf-bench.sh - whole-process time of vdf against virt-df on the same images; prints the ratio.
#
# Usage: [top_builddir=BUILD] sh bench/vdf-bench.sh [VIRT_DF_RUNS] [VDF_RUNS]
# Both tools run on the test images of tests/tools/vdf-mkimages.sh (six
# disks: ext4, MBR with ext4/FAT16/ext2/swap, GPT with XFS/ext3, FAT32,
# Btrfs, a qcow2 overlay).  virt-df uses LIBGUESTFS_BACKEND=direct and
# force_tcg, as it must on this host; warm caches for both (one unmeasured
# run each first).
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${top_builddir:-$src}
vdf="$build/tools/vdf"
virt_df_runs=${1:-1}
vdf_runs=${2:-200}

[ -x "$vdf" ] || { echo "vdf-bench: $vdf is not built (make)" >&2; exit 1; }
command -v virt-df >/dev/null 2>&1 ||
	{ echo "vdf-bench: virt-df is not installed (apt-get install libguestfs-tools)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vdf-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sh "$src/tests/tools/vdf-mkimages.sh" "$tmp" >/dev/null
. "$src/tests/tools/vdf-disks.sh"
cd "$tmp"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg

now() { date +%s.%N; }

# shellcheck disable=SC2086
"$vdf" $VDF_TEST_DISKS > vdf.out
# shellcheck disable=SC2086
virt-df $VDF_TEST_DISKS > virt-df.out
cmp -s vdf.out virt-df.out || { echo "vdf-bench: outputs differ" >&2; diff vdf.out virt-df.out >&2; exit 1; }

t0=$(now)
i=0
while [ $i -lt "$virt_df_runs" ]; do
	# shellcheck disable=SC2086
	virt-df $VDF_TEST_DISKS > /dev/null
	i=$((i + 1))
done
t1=$(now)
i=0
while [ $i -lt "$vdf_runs" ]; do
	# shellcheck disable=SC2086
	"$vdf" $VDF_TEST_DISKS > /dev/null
	i=$((i + 1))
done
t2=$(now)

awk -v a="$t0" -v b="$t1" -v c="$t2" -v n="$virt_df_runs" -v m="$vdf_runs" 'BEGIN {
	virt = (b - a) / n; fast = (c - b) / m;
	printf "virt-df: %.3f s per run (%d runs)\n", virt, n;
	printf "vdf:     %.6f s per run (%d runs)\n", fast, m;
	printf "ratio:   %.0f (virt-df time / vdf time)\n", virt / fast;
}'
