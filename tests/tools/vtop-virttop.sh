#!/bin/sh
# vtop-virttop.sh - virt-top habits in vtop (issue 15): stopped VMs counted and listed, virt-top's CSV columns, --script, --end-time, the 1/2/3 views and the h key.
# The CSV header is virt-top's (its src/csv_output.ml names the columns; virt-top is not packaged in Debian 12).

. "${top_srcdir:-.}/tests/lib/tap.sh"
VTOP="${top_builddir:-.}/tools/vtop"
FAKE="${top_srcdir:-.}/tests/tools/vtop-fake-vrun.py"
EXP="${top_srcdir:-.}/tests/expected/vtop"
tap_setup_tmp
RUN="$VKIT_DIR/run"
mkdir -p -m 0700 "$VKIT_DIR" "$RUN" "$VKIT_DIR/vms"
command -v python3 >/dev/null || skip_all "python3 is needed for the stand-in control sockets"
unset LIBVIRT_DEFAULT_URI

. "${top_srcdir:-.}/tests/tools/vtop-lib.sh"
# define NAME: a definition of a VM that is not running.
define() {
	cat >"$VKIT_DIR/vms/$1.json" <<JSON
{ "version": 1, "name": "$1", "uuid": "$2", "memory": 512, "vcpus": 1,
  "boot": { "kind": "kernel", "kernel": "/boot/vmlinuz" }, "disks": [] }
JSON
}

define stopped1 11111111-2222-4333-8444-555555555551
define stopped2 11111111-2222-4333-8444-555555555552
fake web01 --vcpus 2 --cpu-ns 300000000 --rd-reqs 1000 --rd-bytes 4096000 --wr-reqs 250 \
	--wr-bytes 1024000 --rx-bytes 50000 --rx-packets 40 --tx-bytes 20000 --tx-packets 20 \
	--guest-bytes 268435456
fake db01 --cpu-ns 900000000 --rd-reqs 10 --rd-bytes 40960 --wr-reqs 3000 --wr-bytes 12288000 \
	--rx-bytes 123 --rx-packets 1 --tx-bytes 45678 --tx-packets 30 --guest-bytes 536870912 --state paused

# ---- the header and the list, as virt-top's ----
"$VTOP" -b -n 1 -d 0.2 -o name >"$TMP/b.out" 2>"$TMP/b.err"
ok $? "vtop -b -n 1 exits 0"
grep -qx "4 domains, 2 active, 1 running, 0 sleeping, 1 paused, 2 inactive D:0 O:0 X:0" "$TMP/b.out"
ok $? "header: stopped VMs counted as virt-top counts them ($(sed -n 2p "$TMP/b.out"))"
test "$(awk '/\(stopped/ { print $1, $2 }' "$TMP/b.out" | tr '\n' ' ')" = "- (stopped1) - (stopped2) "
ok $? "stopped VMs listed last, '-' and the name in brackets"
awk 'NR == 5 { n = index($0, "NAME") } /\(stopped1\)/ { s = index($0, "(") } END { exit !(n && n == s) }' "$TMP/b.out"
ok $? "their names in the NAME column"
ok $(test ! -s "$TMP/b.err"; echo $?) "nothing on stderr"

# ---- views: -1 vCPUs, -2 network, -3 block ----
"$VTOP" -b -n 1 -d 0.2 -1 >"$TMP/v1.out" 2>&1 && grep -q "vCPU 1 " "$TMP/v1.out"
ok $? "-1: each VM's vCPUs"
"$VTOP" -b -n 1 -d 0.2 -o name -2 >"$TMP/v2.out" 2>&1 &&
	grep -q "^     ID S   RXBY   RXPK   TXBY   TXPK  *NAME$" "$TMP/v2.out" &&
	awk '$NF == "web01" { exit !($3 > 0 && $4 > 0 && $5 > 0 && $6 > 0) }' "$TMP/v2.out"
ok $? "-2: network counters per VM"
"$VTOP" -b -n 1 -d 0.2 -o name -3 >"$TMP/v3.out" 2>&1 &&
	grep -q "^     ID S   RDRQ   WRRQ   RDBY   WRBY  *NAME$" "$TMP/v3.out" &&
	awk '$NF == "db01" { exit !($3 > 0 && $4 > 0) }' "$TMP/v3.out"
ok $? "-3: block counters per VM"
"$VTOP" -b -n 1 -d 0.2 --block-in-bytes >"$TMP/bb.out" 2>&1 && grep -q "^     ID S  RDBY  WRBY  RXBY" "$TMP/bb.out"
ok $? "--block-in-bytes: RDBY and WRBY"

# ---- virt-top's CSV ----
"$VTOP" -b -n 2 -d 0.3 --csv "$TMP/v.csv" >/dev/null 2>"$TMP/csv.err"
ok $? "--csv exits 0"
head -n 1 "$TMP/v.csv" >"$TMP/v.csvhead"
diff_ok "--csv: virt-top's header" "$EXP/csv-virt-top-header" "$TMP/v.csvhead"
test "$(sed 1d "$TMP/v.csv" | wc -l)" = 2
ok $? "--csv: one row per refresh"
# Summary (18 fields), then 10 per running VM, by Id.
web_pid=$(cat "$RUN/web01.pid")
db_pid=$(cat "$RUN/db01.pid")
first=$(printf '%s\n%s\n' "$web_pid web01" "$db_pid db01" | sort -n | head -n 1 | cut -d' ' -f2)
awk -F, -v host="$(uname -n)" -v arch="$(uname -m)" -v first="$first" 'NR > 1 {
	bad = 0
	if (NF != 38) { print "# fields:", NF; bad++ }
	if ($1 != host || $3 != arch) { print "# host, arch:", $1, $3; bad++ }
	if ($5 != 4 || $6 != 1 || $8 != 1 || $12 != 2 || $13 != 2) { print "# counts:", $5, $6, $8, $12, $13; bad++ }
	if ($16 != (268435456 + 536870912) / 1024) { print "# total memory KB:", $16; bad++ }
	if ($20 != first) { print "# first VM by Id:", $20, "want", first; bad++ }
	for (i = 19; i <= 29; i += 10) {
		if ($(i + 1) == "web01") { cpu = 600000000; mem = 268435456; rq = 1000; rx = 50000 }
		else { cpu = 900000000; mem = 536870912; rq = 10; rx = 123 }
		if ($(i + 2) != cpu) { print "# CPU ns", $(i + 1), $(i + 2); bad++ }
		if ($(i + 4) != mem) { print "# Mem", $(i + 1), $(i + 4); bad++ }
		if ($(i + 6) != rq || $(i + 8) != rx) { print "# per-interval counts", $(i + 1), $(i + 6), $(i + 8); bad++ }
	}
	exit bad != 0 }' "$TMP/v.csv" >"$TMP/csv.check"
ok $? "--csv: the summary, then each VM's Id, name, CPU, memory, block and net counts of the interval"
sed 's/^/# /' "$TMP/csv.check" "$TMP/csv.err"
"$VTOP" -b -n 1 -d 0.2 --csv "$TMP/n.csv" --no-csv-cpu --no-csv-mem --no-csv-net --block-in-bytes >/dev/null 2>&1
test "$(head -n 1 "$TMP/n.csv" | cut -d, -f19-)" = "Domain ID,Domain name,Block RDBY,Block WRBY" &&
	test "$(sed -n 2p "$TMP/n.csv" | awk -F, '{ print NF }')" = 26
ok $? "--no-csv-cpu, --no-csv-mem, --no-csv-net, --block-in-bytes: those columns out, bytes in"

# ---- --script, --end-time ----
"$VTOP" --script -n 2 -d 0.2 --csv "$TMP/s.csv" >"$TMP/s.out" 2>&1
ok $? "--script exits 0"
test ! -s "$TMP/s.out" && test "$(wc -l <"$TMP/s.csv")" = 3
ok $? "--script: no user interface, nothing on stdout; the CSV has its rows"
"$VTOP" -b -d 0.2 --end-time +0 >"$TMP/e.out" 2>&1
ok $? "--end-time +0 ends at once"
test ! -s "$TMP/e.out"
ok $? "--end-time +0: no frame"
"$VTOP" -b -d 0.2 --end-time 2000-01-01\ 00:00:00 >"$TMP/e.out" 2>&1 && test ! -s "$TMP/e.out"
ok $? "--end-time in the past: ends at once"
"$VTOP" -b -n 1 -d 0.2 --end-time +00:10:00 >"$TMP/e.out" 2>&1 && grep -q "^4 domains" "$TMP/e.out"
ok $? "--end-time +HH:MM:SS later than -n: -n ends it"
expect_fail "--end-time that is no time" "vtop: --end-time: 'soon' is not YYYY-MM-DD HH:MM:SS" \
	"$VTOP" -b --end-time soon
expect_fail "--end-time +x" "vtop: --end-time: '+x' is not +SECONDS or +HH:MM:SS" "$VTOP" -b --end-time +x

# ---- keys: h shows the help, 2 the network view ----
if command -v script >/dev/null; then
	( sleep 1; printf h; sleep 1; printf x; sleep 1; printf 2; sleep 1; printf q; sleep 3 ) |
		TERM=xterm timeout 30 script -qec "$VTOP -d 0.3" "$TMP/keys.out" >/dev/null 2>&1
	ok $? "interactive: q quits with status 0"
	check "interactive: h shows the keys" grep -q "vtop: the keys, as in virt-top" "$TMP/keys.out"
	check "interactive: 2 shows the network view" grep -q "RXPK" "$TMP/keys.out"
else
	for i in 1 2 3; do skip "interactive: script(1) is not installed"; done
fi
done_testing
