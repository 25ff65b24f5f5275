#!/bin/sh
# vdf-record-expected.sh - record virt-df's output for the vdf test images into tests/expected/vdf/.
#
# Usage: tests/tools/vdf-record-expected.sh [SRCDIR]
# Run it again when the images (vdf-mkimages.sh) or the reference tools
# change, and commit the result; tests/tools/vdf.sh also checks one of these
# files against a live virt-df run.  Takes about 4 minutes under TCG.
set -eu

src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/vdf-record.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
sh "$src/tests/tools/vdf-mkimages.sh" "$tmp"
export LIBGUESTFS_BACKEND=direct LIBGUESTFS_BACKEND_SETTINGS=force_tcg
cd "$tmp"
# The disk list shared with tests/tools/vdf.sh.
. "$src/tests/tools/vdf-disks.sh"
for variant in plain h i csv; do
	case $variant in
	plain) opt= ;;
	h) opt=-h ;;
	i) opt=-i ;;
	csv) opt=--csv ;;
	esac
	# shellcheck disable=SC2086
	virt-df $opt $VDF_TEST_DISKS > "$tmp/all.$variant"
done
# shellcheck disable=SC2086
virt-df $VDF_MORE_DISKS > "$tmp/more.plain"
# Replace the recorded files only once every run has succeeded.
for f in all.plain all.h all.i all.csv more.plain; do
	mv "$tmp/$f" "$src/tests/expected/vdf/$f"
done
