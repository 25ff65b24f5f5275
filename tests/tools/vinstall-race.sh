#!/bin/sh
# vinstall-race.sh - two vinstall runs creating one new name: the first to claim it wins, the other fails at once and removes only what it made.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the test HTTP server"
vi_setup
cd "$TMP" || exit 99
D="$TMP/data"
C="$VKIT_CACHE_DIR"
vi_ranged_tree
# Each body pauses halfway, so both runs are downloading at once.
echo 0.3 >"$W/.slow"
vi_http_server "$W" 120

# The installer powers off at once: the winner's VM stays defined and stopped.
cat >"$TMP/fake-vrun" <<'FAKE'
#!/bin/sh
exit 0
FAKE
chmod +x "$TMP/fake-vrun"
export VKIT_VRUN="$TMP/fake-vrun"

# start SIDE: vinstall of "twin" on its own disk twin-SIDE.img, in the background.
start() {
	"$VINSTALL" --name twin --location "$URL/ranged,kernel=vmlinuz,initrd=initrd" \
		--disk path="$D/twin-$1.img",size=1 --network none >"$TMP/$1.out" 2>&1 &
}

n=0 bad=0
while [ $n -lt 8 ]; do
	n=$((n + 1))
	start a
	pa=$!
	start b
	pb=$!
	wait $pa; ra=$?
	wait $pb; rb=$?
	if [ $ra -eq 0 ] && [ $rb -ne 0 ]; then
		win=a lose=b
	elif [ $rb -eq 0 ] && [ $ra -ne 0 ]; then
		win=b lose=a
	else
		bad=$((bad + 1))
		echo "# try $n: exit statuses $ra and $rb, not one winner"
		sed 's/^/#   a: /' "$TMP/a.out"
		sed 's/^/#   b: /' "$TMP/b.out"
		"$VCTL" undefine twin >/dev/null 2>&1
		rm -f "$D"/twin-* "$C"/*
		continue
	fi
	# The loser says why, at once (claimed, or defined by then).
	if ! grep -Eq "domain 'twin' is being created by pid [0-9]+|domain 'twin' already exists|a VM of that name exists already" \
		"$TMP/$lose.out"; then
		bad=$((bad + 1))
		echo "# try $n: the loser ($lose) does not say the name is taken:"
		sed 's/^/#   /' "$TMP/$lose.out"
	fi
	# The winner's VM is whole: its definition, its disk, its boot files
	# (the ones the server sent), and no claim left.
	problems=
	grep -q "\"$D/twin-$win.img\"" "$VKIT_DIR/vms/twin.json" 2>/dev/null || problems="$problems definition"
	test -f "$D/twin-$win.img" || problems="$problems disk"
	cmp -s "$W/ranged/vmlinuz" "$VKIT_DIR/boot/twin/installer-kernel" || problems="$problems installer-kernel"
	cmp -s "$W/ranged/initrd" "$VKIT_DIR/boot/twin/installer-initrd" || problems="$problems installer-initrd"
	test ! -e "$VKIT_DIR/vms/twin.claim" || problems="$problems claim-left"
	# Nothing of the loser's.
	test ! -e "$D/twin-$lose.img" || problems="$problems loser's-disk"
	! ls "$D" "$VKIT_DIR/boot" | grep -q vinstall- || problems="$problems stages"
	! ls "$C" | grep -q '\.part$' || problems="$problems .part"
	if [ -n "$problems" ]; then
		bad=$((bad + 1))
		echo "# try $n: winner $win, wrong:$problems"
	fi
	"$VCTL" undefine twin >/dev/null 2>&1
	rm -f "$D"/twin-* "$C"/*
done
ok $bad "two runs creating one name, $n times: one winner whose VM is whole, a loser that says why and leaves nothing ($bad bad)"

# The loser fails at once: while the winner is still downloading.
echo 3 >"$W/.slow"
start a
pa=$!
wait_for "$VKIT_DIR/vms/twin.claim" "[0-9]" 10
t0=$(date +%s)
start b
pb=$!
wait $pb; rb=$?
t1=$(date +%s)
test $rb -ne 0 && test $((t1 - t0)) -le 2 && grep -q "domain 'twin' is being created by pid $pa; pick another name" "$TMP/b.out"
ok $? "a run for a name being created fails at once, naming the pid creating it ($((t1 - t0)) s)"
wait $pa
ok $? "and the first run goes on to the end"
done_testing
