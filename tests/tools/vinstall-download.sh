#!/bin/sh
# vinstall-download.sh - an interrupted download resumes in the next run only where the server lets it, and never splices two files.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the test HTTP server"
vi_setup
cd "$TMP" || exit 99
W="$TMP/www"
mkdir -p "$W/ranged"
echo initrd >"$W/ranged/initrd"
python3 "$top_srcdir/tests/tools/httpserver.py" "$W" "$TMP/port" --lifetime 150 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$TMP"' EXIT
for _i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do [ -s "$TMP/port" ] && break; sleep 0.25; done
URL="http://127.0.0.1:$(cat "$TMP/port")"

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

kill $SERVER 2>/dev/null
wait $SERVER 2>/dev/null
done_testing
