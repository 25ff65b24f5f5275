# vinstall-lib.sh - shared fixture helpers for the vinstall tests (sourced, after tap.sh).

# A fake /sys/class/net holding bridge br0, so bridge checks pass without
# root, and no host prefix taken, so the default network's range is known.
vi_setup() {
	tap_setup_tmp
	mkdir -p "$TMP/net/br0/bridge" "$TMP/net/tap0" "$TMP/data/iso" "$TMP/cache"
	: >"$TMP/host-routes"
	export VKIT_SYSFS_NET="$TMP/net" VKIT_NET_HOST_ROUTES="$TMP/host-routes"
	export VKIT_CACHE_DIR="$TMP/cache"
	export VKIT_TEMPLATEDIR="$top_srcdir/templates"
	export VKIT_HTTP_RETRIES=1
	unset VKIT_VRUN
}

# mkiso OUT VOLID PATH... : an ISO holding small files at PATH (Rock Ridge).
mkiso() {
	_out=$1 _vol=$2; shift 2
	_tree="$TMP/isotree.$$"
	rm -rf "$_tree"
	for _p in "$@"; do
		mkdir -p "$_tree/$(dirname "$_p")"
		echo "file $_p" >"$_tree/$_p"
	done
	xorriso -as mkisofs -quiet -R -J -V "$_vol" -o "$_out" "$_tree" >/dev/null 2>&1
	_rc=$?
	rm -rf "$_tree"
	return $_rc
}

# normalize FILE: paths, UUIDs and random MACs vary from run to run.
vi_normalize() {
	sed -e "s|$TMP|@TMP@|g" \
	    -e 's/[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}/@UUID@/g' \
	    -e 's/52:54:00:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]/@MAC@/g' "$1"
}

# expect_output NAME command...: stdout+stderr and the exit status, against
# tests/expected/vinstall/NAME (VKIT_REGEN=1 rewrites the expected file).
expect_output() {
	_name=$1; shift
	"$@" >"$TMP/raw.out" 2>&1
	echo "exit $?" >>"$TMP/raw.out"
	vi_normalize "$TMP/raw.out" >"$TMP/$_name.out"
	if [ -n "$VKIT_REGEN" ]; then
		cp "$TMP/$_name.out" "$top_srcdir/tests/expected/vinstall/$_name"
	fi
	diff_ok "$_name" "$top_srcdir/tests/expected/vinstall/$_name" "$TMP/$_name.out"
}

# vi_http_server DIR SECONDS [ARG...]: tests/tools/httpserver.py serving DIR
# on 127.0.0.1 (it exits after SECONDS, and with the test); sets SERVER and
# URL.  Its tracebacks for clients that went away go to $TMP/server.err.
vi_http_server() {
	_dir=$1 _life=$2; shift 2
	python3 "$top_srcdir/tests/tools/httpserver.py" "$_dir" "$TMP/port" --lifetime "$_life" "$@" \
		2>"$TMP/server.err" &
	SERVER=$!
	trap 'kill $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
	for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -s "$TMP/port" ] && break; sleep 0.25; done
	URL="http://127.0.0.1:$(cat "$TMP/port")"
}

# vi_ranged_tree: W=$TMP/www with a random kernel and initrd (200 kB each)
# under $W/ranged, the paths httpserver.py's control files act on.
vi_ranged_tree() {
	W="$TMP/www"
	mkdir -p "$W/ranged"
	head -c 200000 /dev/urandom >"$W/ranged/vmlinuz"
	head -c 200000 /dev/urandom >"$W/ranged/initrd"
}
