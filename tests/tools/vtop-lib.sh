# vtop-lib.sh - the stand-in vruns vtop's tests watch: sourced after tap_setup_tmp, with RUN and FAKE set.

PIDS=
trap 'for p in $PIDS; do kill $p 2>/dev/null; done; rm -rf "$TMP"' EXIT
# What run/NAME.pid names must be a live process called vrun.
cp "$(command -v sleep)" "$TMP/vrun"

# fake NAME [fake options]: a stand-in vrun with its pid file and socket.
fake() {
	_n=$1
	shift
	"$TMP/vrun" 600 &
	_sleeper=$!
	echo $_sleeper >"$RUN/$_n.pid"
	python3 "$FAKE" "$RUN/$_n.sock" $_sleeper "$@" &
	PIDS="$PIDS $_sleeper $!"
	wait_for "$RUN/$_n.sock.ready" ready 20 || echo "# $_n: the stand-in did not start"
}

stop_fakes() {
	for p in $PIDS; do kill $p 2>/dev/null; done
	PIDS=
	rm -f "$RUN"/*
}
