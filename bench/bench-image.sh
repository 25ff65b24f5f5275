#!/bin/sh
# bench-image.sh - run bench/bench-image in a scratch directory: bench/bench-image.sh [SIZE_MiB [OPS]]
top_builddir=${top_builddir:-$(cd "$(dirname "$0")/.." && pwd)}
dir=$(mktemp -d "${TMPDIR:-/var/tmp}/bench-image.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
"$top_builddir/bench/bench-image" "$dir" "${1:-256}" "${2:-50000}"
