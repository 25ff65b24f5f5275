#!/bin/sh
# vinstall-undo.sh - Ctrl-C, SIGTERM, SIGHUP or kill -9 before the guest starts leave nothing behind, and the same command then succeeds.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/vinstall-lib.sh"

command -v python3 >/dev/null || skip_all "python3 is needed for the test HTTP server"
command -v xorriso >/dev/null || skip_all "xorriso is needed to build ISO fixtures"
vi_setup
cd "$TMP" || exit 99
D="$TMP/data"
C="$VKIT_CACHE_DIR"
vi_ranged_tree
# No Accept-Ranges: a .part no later run could resume, so a rollback removes it.
touch "$W/.no-ranges"
vi_http_server "$W" 170
echo kernel >"$D/vmlinuz"
mkiso "$D/debian.iso" "Debian 12" install.amd/vmlinuz install.amd/initrd.gz

# A vrun whose installer gives up at once (power-off): vinstall then keeps
# the VM, defined and stopped, and exits 0 -- the run that must succeed.
# SIGTERM from a rollback ends it at once (the sleep is its child, and the
# trap-less sh dies of it); a guest that ran to its end leaves $FAKE_DONE.
cat >"$TMP/fake-vrun" <<'FAKE'
#!/bin/sh
sleep "${FAKE_SLEEP:-0}" || exit 1
[ -z "$FAKE_DONE" ] || : >"$FAKE_DONE"
FAKE
chmod +x "$TMP/fake-vrun"
export VKIT_VRUN="$TMP/fake-vrun"

# install NAME [bg]: vinstall from the HTTP tree, output in $TMP/run.out;
# with bg in the background, its pid in $pid.
install() {
	_bg=$2
	set -- --name "$1" --location "$URL/ranged,kernel=vmlinuz,initrd=initrd" \
		--disk path="$D/$1.img",size=1 --network none
	if [ "$_bg" = bg ]; then
		"$VINSTALL" "$@" >"$TMP/run.out" 2>&1 &
		pid=$!
	else
		"$VINSTALL" "$@" >"$TMP/run.out" 2>&1
	fi
}
# left NAME: what a run for NAME left behind (disk, stages, boot dir,
# definition and its temporary files, claim, downloads' .part files).
left() {
	for _f in "$D/$1.img" "$D/$1.img".* "$VKIT_DIR/boot/$1" "$VKIT_DIR/boot/$1".* \
		  "$VKIT_DIR/vms/$1.json" "$VKIT_DIR/vms/$1.json".* "$VKIT_DIR/vms/$1.claim" "$C"/*.part; do
		if [ -e "$_f" ] || [ -L "$_f" ]; then echo "$_f"; fi
	done
}
# settled NAME: a killed run's guardian is done (it drops the claim last).
settled() {
	_i=0
	while [ -e "$VKIT_DIR/vms/$1.claim" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
}
# whole NAME: a VM the run finished: definition, disk and boot files, no claim.
whole() {
	test -f "$VKIT_DIR/vms/$1.json" && test -f "$D/$1.img" && test -f "$VKIT_DIR/boot/$1/installer-kernel" &&
		test ! -e "$VKIT_DIR/vms/$1.claim"
}
# forget NAME: the VM a case made, and the cache, gone for the next case.
forget() { "$VCTL" undefine "$1" >/dev/null 2>&1; rm -f "$D/$1.img" "$C"/*; }
# wait_file "GLOB..." SECONDS: until a file matches one of the GLOBs.
wait_file() {
	_end=$(($(date +%s) + $2))
	while :; do
		for _g in $1; do [ -e "$_g" ] && return 0; done
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.05
	done
}
# signalled SIG RC OUT: vinstall died of SIG, after saying it rolled back.
signalled() {
	case $1 in HUP) _num=1 ;; INT) _num=2 ;; TERM) _num=15 ;; *) return 1 ;; esac
	test "$2" -eq $((128 + _num)) && grep -q "interrupted by SIG$1; removed what this run created" "$3"
}

# --- signals during the download (the server pauses mid-body) ---------
for sig in INT TERM HUP; do
	echo 3 >"$W/.slow"
	install "dl$sig" bg
	wait_file "$C/*.part" 10
	sleep 0.3
	kill -"$sig" $pid
	wait_exit $pid 20 2>/dev/null
	signalled "$sig" $? "$TMP/run.out"
	ok $? "SIG$sig during the download: vinstall dies of it, saying it removed what it created"
	l=$(left "dl$sig")
	test -z "$l"
	ok $? "SIG$sig during the download: nothing left behind${l:+: }$(echo $l)"
	rm -f "$W/.slow"
	install "dl$sig"
	ok $? "SIG$sig during the download: the same command then succeeds"
	whole "dl$sig"
	ok $? "SIG$sig during the download: and the rerun's VM is whole"
	forget "dl$sig"
done

# --- disk creation and boot-file extraction, held by strace -----------
# hold CALL N SECONDS SIG NAME ARG...: vinstall NAME with its Nth CALL held
# for SECONDS; SIG goes to vinstall while it is held.
hold() {
	_call=$1 _n=$2 _secs=$3 _sig=$4 _name=$5; shift 5
	strace -f -o /dev/null -e trace="$_call" -e inject="$_call:delay_enter=${_secs}000000:when=$_n" \
		"$VINSTALL" --name "$_name" --network none "$@" >"$TMP/run.out" 2>&1 &
	_st=$!
	# Held once the stage (or its temporary file) or the extraction's
	# temporary kernel is there.
	wait_file "$D/$_name.img.vinstall-* $VKIT_DIR/boot/$_name/installer-kernel.tmp.*" 10
	sleep 0.2
	_vi=$(pgrep -P $_st -x vinstall)
	kill -"$_sig" $_vi
	wait_exit $_st 60 2>/dev/null
	settled "$_name"
}
if command -v strace >/dev/null; then
	# renameat2 #1: the image layer names the stage; #2: the stage becomes the disk.
	hold renameat2 1 1 INT mk1 --boot kernel="$D/vmlinuz" --disk path="$D/mk1.img",size=1
	signalled INT 130 "$TMP/run.out" && l=$(left mk1) && test -z "$l"
	ok $? "SIGINT while the disk is being created: rolled back, nothing left${l:+: }$(echo $l)"
	hold renameat2 2 1 TERM mk2 --boot kernel="$D/vmlinuz" --disk path="$D/mk2.img",size=1
	signalled TERM 143 "$TMP/run.out" && l=$(left mk2) && test -z "$l"
	ok $? "SIGTERM while the disk is being named: rolled back, nothing left${l:+: }$(echo $l)"
	hold renameat2 2 2 KILL mk3 --boot kernel="$D/vmlinuz" --disk path="$D/mk3.img",size=1,sparse=no
	l=$(left mk3)
	test -z "$l"
	ok $? "kill -9 with a full-size disk staged: the guardian removes it${l:+: }$(echo $l)"
	# rename #1: the kernel's temporary file out of the ISO becomes installer-kernel.
	hold rename 1 1 HUP iso1 --location "$D/debian.iso" --disk path="$D/iso1.img",size=1
	signalled HUP 129 "$TMP/run.out" && l=$(left iso1) && test -z "$l"
	ok $? "SIGHUP while the kernel is extracted from the ISO: rolled back, nothing left${l:+: }$(echo $l)"
	hold rename 1 2 KILL iso2 --location "$D/debian.iso" --disk path="$D/iso2.img",size=1
	l=$(left iso2)
	test -z "$l"
	ok $? "kill -9 while the kernel is extracted: the guardian removes disk, boot dir and temporary kernel${l:+: }$(echo $l)"
	"$VINSTALL" --name iso2 --location "$D/debian.iso" --disk path="$D/iso2.img",size=1 --network none >"$TMP/run.out" 2>&1 &&
		whole iso2
	ok $? "and the same command then succeeds"
	forget iso2
else
	for c in "SIGINT while the disk is being created" "SIGTERM while the disk is being named" \
		 "kill -9 with a full-size disk staged" "SIGHUP while the kernel is extracted" \
		 "kill -9 while the kernel is extracted" "and the same command then succeeds"; do
		skip "$c: strace is not installed"
	done
fi

# --- kill -9 at 20 random points of an install from the HTTP server ----
# Each body pauses 0.2 s halfway and vrun runs 0.1 s: a run takes about
# 0.6 s, and the kills land from its start to past its end.
echo 0.2 >"$W/.slow"
export FAKE_SLEEP=0.1
export FAKE_DONE="$TMP/guest-ran"
n=0 bad=0 finished=0
while [ $n -lt 20 ]; do
	n=$((n + 1))
	rm -f "$FAKE_DONE"
	install k9 bg
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	delay="0.$((r % 8))$((r / 8 % 10))"	# 0 to 0.79 s
	sleep "$delay"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rc=$?
	settled k9
	if [ $rc -eq 0 ]; then
		# Done before the kill: the VM is whole (committed), nothing else.
		finished=$((finished + 1))
		if ! whole k9 || ls "$C" | grep -q '\.part$' || ls "$D" | grep -q vinstall-; then
			bad=$((bad + 1))
			echo "# kill $n after ${delay}s: finished, but not whole: $(echo $(left k9))"
		fi
	else
		l=$(left k9)
		if [ -n "$l" ] && [ -e "$FAKE_DONE" ] && whole k9; then
			# Killed after the guest ran: the install is over and kept,
			# as vinstall keeps a VM once its guest has started.
			finished=$((finished + 1))
		elif [ -n "$l" ]; then
			bad=$((bad + 1))
			echo "# kill $n after ${delay}s left: $(echo $l)"
		elif ! install k9 || ! whole k9; then
			bad=$((bad + 1))
			echo "# kill $n after ${delay}s: the rerun failed:"
			sed 's/^/#   /' "$TMP/run.out"
		fi
	fi
	forget k9
done
ok $bad "kill -9 at 20 random points: nothing left behind, and the same command then succeeds ($bad bad; $finished of $n finished first)"
done_testing
