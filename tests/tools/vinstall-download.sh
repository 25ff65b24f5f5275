#!/bin/sh
# vinstall-download.sh - an interrupted download resumes in the next run only where the server lets it, and never splices two files; bodies are bounded; the cache is refused where another user could plant files.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the test HTTP server"
vi_setup
cd "$TMP" || exit 99
W="$TMP/www"
mkdir -p "$W/ranged"
echo initrd >"$W/ranged/initrd"
vi_http_server "$W" 240

# vrun fails, so each run downloads, rolls the VM back and leaves the cache.
cat >"$TMP/fake-vrun" <<'FAKE'
#!/bin/sh
exit 1
FAKE
chmod +x "$TMP/fake-vrun"
export VKIT_VRUN="$TMP/fake-vrun"
C="$VKIT_CACHE_DIR"

# install KERNEL: one vinstall run fetching ranged/KERNEL, output in $TMP/run.out.
install() {
	: >"$W/.requests"
	"$VINSTALL" --name dl --location "$URL/ranged,kernel=$1,initrd=initrd" --network none >"$TMP/run.out" 2>&1
}
# interrupted KERNEL: a first run the server cuts off at byte 100000.
interrupted() {
	head -c 300000 /dev/urandom >"$W/ranged/$1"
	echo 100000 >"$W/.cut"
	VKIT_HTTP_RETRIES=0 install "$1"
	_rc=$?
	rm -f "$W/.cut"
	return $_rc
}
parts() { ls "$C" | grep -- "-$1\..*\.part\$"; }
etag() { printf '"%s"' "$(sha1sum "$W/ranged/$1" | cut -c1-16)"; }

# (a) cut off, then resumed with Range and If-Range.
interrupted ka
grep -q "closed the connection before the end" "$TMP/run.out" && grep -q "the next run resumes it" "$TMP/run.out"
ok $? "a download cut off fails and says the next run resumes it"
test "$(parts ka | wc -l)" -eq 1 && test "$(stat -c %s "$C/$(parts ka)")" -eq 100000 && ! ls "$C" | grep -q -- '-ka$'
ok $? "the 100000 bytes received stay in a .part, not in the cache"
install ka
grep -q "vrun failed" "$TMP/run.out" && cmp -s "$W/ranged/ka" "$C"/*-ka
ok $? "the next run resumes it into a byte-identical cache entry"
test "$(grep -c 'GET /ranged/ka' "$W/.requests")" -eq 1 &&
	grep -qxF "GET /ranged/ka Range: bytes=100000- If-Range: $(etag ka)" "$W/.requests"
ok $? "it asked only for the rest, with If-Range"
test -z "$(parts ka)"
ok $? "no .part is left once the file is whole"

# (b) the file changed between the runs: a new ETag, a new name, the whole file.
interrupted kb
head -c 300000 /dev/urandom >"$W/ranged/kb"
install kb
cmp -s "$W/ranged/kb" "$C"/*-kb && grep -qx 'GET /ranged/kb' "$W/.requests" && ! grep -q 'kb Range' "$W/.requests"
ok $? "a changed file is downloaded whole, from byte 0"
test -z "$(parts kb)"
ok $? "the old version's .part is removed"

# (c) it changes after the probe: If-Range gets the whole new file, which restarts the .part.
interrupted kc
etag kc >"$W/.head-etag"
touch -r "$W/ranged/kc" "$TMP/kc.stamp"
head -c 300000 /dev/urandom >"$W/ranged/kc"
touch -r "$TMP/kc.stamp" "$W/ranged/kc"	# the HEAD's Last-Modified, too, is the old one
install kc
rm -f "$W/.head-etag"
grep -q "GET /ranged/kc Range: bytes=100000- If-Range" "$W/.requests" && cmp -s "$W/ranged/kc" "$C"/*-kc
ok $? "a 200 answer to If-Range restarts the file instead of splicing it"

# (d) no Accept-Ranges: nothing is kept.
touch "$W/.no-ranges"
interrupted kd
rm -f "$W/.no-ranges"
grep -q "closed the connection before the end" "$TMP/run.out" && ! grep -q "resumes" "$TMP/run.out" &&
	test -z "$(parts kd)" && ! ls "$C" | grep -q -- '-kd$'
ok $? "without Accept-Ranges a cut-off download leaves nothing"

# (e) inconsistent .part or answer: begin again at byte 0.
interrupted ke
head -c 300000 /dev/zero >>"$C/$(parts ke)"
install ke
cmp -s "$W/ranged/ke" "$C"/*-ke && grep -qx 'GET /ranged/ke' "$W/.requests" && ! grep -q 'ke Range' "$W/.requests"
ok $? "a .part longer than the file restarts from byte 0, without asking for a range"
interrupted kf
touch "$W/.bad-range"
install kf
rm -f "$W/.bad-range"
cmp -s "$W/ranged/kf" "$C"/*-kf && grep -q 'GET /ranged/kf Range: bytes=100000-' "$W/.requests" &&
	grep -qx 'GET /ranged/kf' "$W/.requests"
ok $? "a 206 that does not start at our offset restarts from byte 0"

# (g) two runs at once fetch one file once: the second waits on the .part's
# lock and then finds the file in the cache.
head -c 300000 /dev/urandom >"$W/ranged/kg"
: >"$W/.requests"
echo 3 >"$W/.slow"
"$VINSTALL" --name dl1 --location "$URL/ranged,kernel=kg,initrd=initrd" --network none >"$TMP/first.out" 2>&1 &
first=$!
_i=0
while [ -z "$(parts kg)" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
"$VINSTALL" --name dl2 --location "$URL/ranged,kernel=kg,initrd=initrd" --network none >"$TMP/second.out" 2>&1
wait $first
rm -f "$W/.slow"
sed 's/^/# second: /' "$TMP/second.out"
grep -q "another run is downloading it into .*kg\..*\.part; waiting for it" "$TMP/second.out"
ok $? "a second run of the same download says it waits for the first"
test "$(grep -c 'GET /ranged/kg' "$W/.requests")" -eq 1 && cmp -s "$W/ranged/kg" "$C"/*-kg &&
	grep -q "vrun failed" "$TMP/first.out" && grep -q "vrun failed" "$TMP/second.out"
ok $? "the file was fetched once, whole; both runs went on with it"
test -z "$(parts kg)"
ok $? "no .part is left"

# (h) Bodies are bounded: past the announced length, or past the kind's
# maximum when there is none, the download stops at once.
sent() { awk -v p="$1" '$1 == p { print $2 }' "$W/.sent" | tail -n 1; }
echo "a kernel of 35 bytes, HEAD says so" >"$W/liar-k"
echo initrd >"$W/initrd"
: >"$W/.sent"
VKIT_HTTP_RETRIES=0 "$VINSTALL" --name dl --location "$URL/liar,kernel=liar-k,initrd=initrd" --network none \
	>"$TMP/run.out" 2>&1
grep -q "liar/liar-k: the server sent more than the 35 bytes it announced; nothing is kept" "$TMP/run.out"
ok $? "a body longer than the announced length fails"
echo "# the server sent $(sent /liar/liar-k) bytes before vinstall hung up"
test "$(sent /liar/liar-k)" -lt $((32 * 1048576)) && ! ls "$C" | grep -q liar
ok $? "as soon as it is longer: not 64 MiB later, and nothing is left in the cache"
VKIT_DOWNLOAD_MAX_BYTES=1048576 VKIT_HTTP_RETRIES=0 "$VINSTALL" --name dl \
	--location "$URL/nolength,kernel=endless,initrd=initrd" --network none >"$TMP/run.out" 2>&1
grep -q "nolength/endless: the server announced no length and sent more than 1048576 bytes, the most a kernel may be" \
	"$TMP/run.out" && test "$(sent /nolength/endless)" -lt $((32 * 1048576)) && ! ls "$C" | grep -q endless
ok $? "no length: a kernel stops at the kind's maximum (lowered to 1 MiB for the test)"
head -c 2097152 /dev/zero >"$W/ranged/big"
VKIT_DOWNLOAD_MAX_BYTES=1048576 install big
grep -q "ranged/big: the server announces 2097152 bytes, more than the 1048576 a kernel may be; not downloaded" \
	"$TMP/run.out" && ! grep -q 'GET /ranged/big' "$W/.requests"
ok $? "an announced length over the maximum is refused before the download"

# (i) A trickle just above 1 byte/s is a stalled server (the window is
# VKIT_HTTP_TIMEOUT, 2 s here).
start=$(date +%s)
VKIT_HTTP_TIMEOUT=2 VKIT_HTTP_RETRIES=0 timeout 120 "$VINSTALL" --name dl \
	--location "$URL/trickle,kernel=slow,initrd=initrd" --network none >"$TMP/run.out" 2>&1
took=$(($(date +%s) - start))
grep -q "trickle/slow: timed out: less than 1024 bytes/s for 2 s (VKIT_HTTP_TIMEOUT sets the window)" "$TMP/run.out" &&
	test $took -lt 30
ok $? "a trickle of 2.5 bytes/s fails with a clear message (in $took s)"

# (j) The cache directory: created 0700, its files 0600; refused where
# another user could put files in it.
echo "cached initrd" >"$W/ranged/initrd"
VKIT_CACHE_DIR="$TMP/newcache/c" install ka
test "$(stat -c %a "$TMP/newcache/c")" = 700 && test "$(stat -c %a "$TMP/newcache/c"/*-ka)" = 600
ok $? "a new cache directory is 0700, its files 0600"
mkdir -m 0777 "$TMP/open"
VKIT_CACHE_DIR="$TMP/open" install ka
grep -qF "cache directory $TMP/open: other users can write in it (mode 0777) and could replace our files: use a directory of your own, or chmod go-w $TMP/open (VKIT_CACHE_DIR sets another; it is created 0700)" \
	"$TMP/run.out" && test -z "$(ls "$TMP/open")"
ok $? "a cache directory others can write (not sticky) is refused, naming the fix"
ln -s "$TMP/newcache/c" "$TMP/cachelink"
VKIT_CACHE_DIR="$TMP/cachelink" install ka
grep -qF "cache directory $TMP/cachelink is a symbolic link" "$TMP/run.out"
ok $? "a cache directory that is a symlink is refused"

# A second user, mallory, plants files (root only: useradd, setpriv).
fnv() { python3 -c 'import sys
h = 0xcbf29ce484222325
for b in sys.argv[1].encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$1"; }
if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
	for c in "another user's cache directory is refused" "its planted .part symlink wrote nothing" \
		"a planted cache entry in a sticky directory is not used" "a planted .part symlink there is not followed"; do
		skip "$c: needs root, useradd and setpriv to act as a second user"
	done
else
	MAL=vkt$$
	useradd --system --no-create-home --shell /usr/sbin/nologin --user-group "$MAL" || exit 99
	trap 'kill $SERVER 2>/dev/null; userdel "$MAL" 2>/dev/null; rm -rf "$TMP"' EXIT
	mal() { setpriv --reuid="$(id -u "$MAL")" --regid="$(id -g "$MAL")" --clear-groups sh -c "$1"; }
	chmod 711 "$TMP"
	mkdir -m 0711 "$TMP/shared"
	mkdir -m 1777 "$TMP/shared/pub"
	mkdir "$TMP/shared/mal" && chown "$MAL:" "$TMP/shared/mal"
	echo precious >"$TMP/victim"
	chmod 666 "$TMP/victim"	# writable through a symlink by root even when protected
	KA=$(cd "$TMP/newcache/c" && ls | grep -- '-ka$')
	KPART="$KA.$(fnv "$URL/ranged/ka").part"
	INI=$(cd "$TMP/newcache/c" && ls | grep -- '-initrd$')

	# Her own directory: whatever she plants, it is not used.
	mal "ln -s '$TMP/victim' '$TMP/shared/mal/$KPART' && cp '$TMP/newcache/c/$INI' '$TMP/shared/mal/$INI'"
	VKIT_CACHE_DIR="$TMP/shared/mal" install ka
	grep -qF "cache directory $TMP/shared/mal: belongs to uid $(id -u "$MAL"); another user could replace our files in it: use a directory of your own (VKIT_CACHE_DIR sets another; it is created 0700)" \
		"$TMP/run.out"
	ok $? "another user's cache directory is refused, naming it and the fix"
	test "$(cat "$TMP/victim")" = precious
	ok $? "its planted .part symlink wrote nothing"

	# A sticky shared directory is allowed, but her files in it are not ours.
	mal "head -c $(stat -c %s "$W/ranged/initrd") /dev/zero | tr '\\0' E >'$TMP/shared/pub/$INI'"
	VKIT_CACHE_DIR="$TMP/shared/pub" install ka
	grep -qF "$TMP/shared/pub/$INI: belongs to uid $(id -u "$MAL"), not to us; remove it or choose another path" \
		"$TMP/run.out" && test ! -e "$VKIT_DIR/boot/dl/installer-initrd"
	ok $? "a planted cache entry in a sticky directory is not used as the installer initrd"
	rm -f "$TMP/shared/pub"/*
	mal "ln -s '$TMP/victim' '$TMP/shared/pub/$KPART'"
	VKIT_CACHE_DIR="$TMP/shared/pub" install ka
	grep -qF "$TMP/shared/pub/$KPART: a symbolic link, not a cache file of ours: not followed; remove it" \
		"$TMP/run.out" && test "$(cat "$TMP/victim")" = precious
	ok $? "a planted .part symlink there is not followed" || { sed "s/^/# /" "$TMP/run.out"; ls -la "$TMP/shared/pub" | sed "s/^/# /"; echo "# $KPART"; }
	userdel "$MAL"
fi

kill $SERVER 2>/dev/null
wait $SERVER 2>/dev/null
done_testing
