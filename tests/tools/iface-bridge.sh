#!/bin/sh
# iface-bridge.sh - vctl iface-bridge and iface-unbridge inside a network namespace: the address and routes move to the bridge and back while a ping runs, refusals, and the host's networkd or ifupdown files (a fake /etc).
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/netns-lib.sh"

ns_require
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vkit-test.XXXXXX") || exit 99
export VKIT_DIR="$TMP/state" VKIT_NETCONF_ROOT="$TMP/root"
mkdir -p "$VKIT_NETCONF_ROOT/etc"
ns_setup || { echo "Bail out! cannot set up the namespaces"; exit 1; }
unset VKIT_SYSFS_NET
H() { ns_in "$NS_HOST" "$@"; }
# The host's eth0: up0 of ns_setup, renamed, with an IPv6 address too; the
# outside (10.98.0.1, beyond the default route) is what the ping reaches.
H ip link set up0 down && H ip link set up0 name eth0 && H ip link set eth0 up &&
	H ip route replace default via 10.99.0.2 dev eth0 && H ip -6 addr add fd00:99::1/64 dev eth0 nodad ||
	{ echo "Bail out! cannot set up eth0"; exit 1; }
mac=$(H cat /sys/class/net/eth0/address)

# ping_during COMMAND...: runs COMMAND while a ping (every 20 ms) runs
# from the host to the outside; $lost is how many of its packets it lost.
ping_during() {
	H busybox ping -i 0.02 -c 200 10.98.0.1 >"$TMP/ping" 2>&1 &
	_pp=$!
	sleep 1
	"$@" >"$TMP/cmd.out" 2>&1
	_rc=$?
	wait "$_pp"
	lost=$(awk '/packets transmitted/ { print $1 - $4 }' "$TMP/ping")
	lost=${lost:-200}
	return $_rc
}

# ---- refusals, and the dry run ----
expect_fail "a bridge name over the kernel's limit" "bridge name 'a-very-long-bridge' is 18 characters; Linux allows interface names of 1 to 15" \
	H "$VCTL" iface-bridge eth0 a-very-long-bridge
expect_fail "an interface that is not there" "no interface eth9 on this host" H "$VCTL" iface-bridge eth9 br0
expect_fail "the loopback" "lo is the loopback interface" H "$VCTL" iface-bridge lo br0
H ip link add name vkt-x type veth peer name vkt-y
expect_fail "a bridge name in use" "an interface named vkt-x exists already" H "$VCTL" iface-bridge eth0 vkt-x
expect_fail "a bad --delay" "--delay 99: give the forward delay in whole seconds, 0 to 30" \
	H "$VCTL" iface-bridge eth0 br0 --delay 99
expect_fail "--delay on another command" "--delay: not an option of 'iface-unbridge'" H "$VCTL" iface-unbridge br0 --delay 1
H "$VCTL" iface-bridge eth0 br0 --dry-run >"$TMP/out" 2>&1
grep -q "create bridge br0 (STP on, forward delay 0 s) with eth0's MAC $mac" "$TMP/out" &&
	grep -q "move address 10.99.0.1/24 from eth0 to br0" "$TMP/out" &&
	grep -q "move address fd00:99::1/64 from eth0 to br0" "$TMP/out" &&
	grep -q "move route default via 10.99.0.2 from eth0 to br0" "$TMP/out" &&
	grep -q "^not persistent: neither systemd-networkd" "$TMP/out"
ok $? "--dry-run says each step and that the change would not last a reboot" || sed 's/^/# /' "$TMP/out"
H ip -o link show br0 >/dev/null 2>&1
ok $((! $?)) "... and changes nothing"

# ---- bridge and unbridge while pinging ----
ping_during H "$VCTL" iface-bridge eth0 br0 --no-stp
ok $? "iface-bridge eth0 br0 --no-stp" || sed 's/^/# /' "$TMP/cmd.out"
grep -q "^Created bridge br0 with attached device eth0$" "$TMP/cmd.out" && grep -q "^Bridge interface br0 started$" "$TMP/cmd.out"
ok $? "... says what virsh says"
test "$lost" -le 3
ok $? "a ping that ran throughout lost at most 3 packets of 200 (lost $lost)" || sed 's/^/# /' "$TMP/ping"
H ip -o addr show dev br0 | grep -q 'inet 10.99.0.1/24' && H ip -o addr show dev br0 | grep -q 'inet6 fd00:99::1/64' &&
	! H ip -o addr show dev eth0 | grep -q 'inet '
ok $? "the addresses are on br0, none left on eth0"
H ip route show default | grep -q 'default via 10.99.0.2 dev br0'
ok $? "the default route goes through br0"
H ip -o link show eth0 | grep -q 'master br0' && test "$(H cat /sys/class/net/br0/address)" = "$mac" &&
	test "$(H cat /sys/class/net/br0/bridge/stp_state)" = 0
ok $? "eth0 is br0's port; br0 has eth0's MAC; STP off"
expect_fail "a port cannot be bridged again" "eth0 is a port of br0 already" H "$VCTL" iface-bridge eth0 br1
H ip link add name vkt-tap type veth peer name vkt-tap2 && H ip link set vkt-tap master br0
expect_fail "unbridge refuses a bridge with more than its one port" "bridge br0 has 2 ports (eth0, vkt-tap)" \
	H "$VCTL" iface-unbridge br0
H ip link del vkt-tap
ping_during H "$VCTL" iface-unbridge br0
ok $? "iface-unbridge br0" || sed 's/^/# /' "$TMP/cmd.out"
grep -q "^Device eth0 un-attached from bridge br0$" "$TMP/cmd.out" && grep -q "^Interface eth0 started$" "$TMP/cmd.out"
ok $? "... says what virsh says"
test "$lost" -le 3
ok $? "the ping lost at most 3 packets of 200 (lost $lost)"
H ip -o addr show dev eth0 | grep -q 'inet 10.99.0.1/24' && H ip route show default | grep -q 'dev eth0' &&
	! H ip -o link show br0 >/dev/null 2>&1
ok $? "the address and route are back on eth0, and br0 is gone"
expect_fail "unbridging what is not a bridge" "eth0 is not a bridge" H "$VCTL" iface-unbridge eth0

# With STP (virsh's default) the port learns first: some seconds without traffic.
H "$VCTL" iface-bridge eth0 br0 --delay 2 >/dev/null 2>&1 && test "$(H cat /sys/class/net/br0/bridge/stp_state)" = 1 &&
	test "$(H cat /sys/class/net/br0/bridge/forward_delay)" = 200
ok $? "with STP (the default) and --delay 2: STP on, forward delay 2 s"
_i=0
until H busybox ping -c 1 -W 1 10.98.0.1 >/dev/null 2>&1 || [ $_i -ge 15 ]; do _i=$((_i + 1)); done
test $_i -lt 15
ok $? "... and traffic flows once the port forwards (after about ${_i} s)"
H "$VCTL" iface-unbridge br0 >/dev/null 2>&1

# ---- persistence through the host's own configuration ----
mkdir -p "$VKIT_NETCONF_ROOT/etc/systemd/network"
printf '[Match]\nName=eth0\n\n[Network]\nAddress=10.99.0.1/24\nGateway=10.99.0.2\n' \
	>"$VKIT_NETCONF_ROOT/etc/systemd/network/20-eth0.network"
H "$VCTL" iface-bridge eth0 br0 --no-stp >"$TMP/out" 2>&1
grep -q "^Persistent through systemd-networkd: changing$" "$TMP/out" &&
	grep -q "^  write $VKIT_NETCONF_ROOT/etc/systemd/network/00-vkit-br0.netdev:$" "$TMP/out" &&
	grep -q "^    | MACAddress=$mac$" "$TMP/out"
ok $? "systemd-networkd: the files are shown before they are written" || sed 's/^/# /' "$TMP/out"
grep -q '^Name=br0$' "$VKIT_NETCONF_ROOT/etc/systemd/network/00-vkit-br0.network" &&
	grep -q '^Address=10.99.0.1/24$' "$VKIT_NETCONF_ROOT/etc/systemd/network/00-vkit-br0.network" &&
	grep -q '^Bridge=br0$' "$VKIT_NETCONF_ROOT/etc/systemd/network/00-vkit-eth0-port.network" &&
	test "$(stat -c %a "$VKIT_NETCONF_ROOT/etc/systemd/network/00-vkit-br0.netdev")" = 644
ok $? "... the bridge takes eth0's settings; eth0 is its port (files 0644, the host's configuration)"
H "$VCTL" iface-unbridge br0 >/dev/null 2>&1
test "$(ls "$VKIT_NETCONF_ROOT/etc/systemd/network")" = 20-eth0.network
ok $? "iface-unbridge removes them; the user's file was never changed"
rm -r "$VKIT_NETCONF_ROOT/etc/systemd"
mkdir -p "$VKIT_NETCONF_ROOT/etc/network/if-pre-up.d"
touch "$VKIT_NETCONF_ROOT/etc/network/if-pre-up.d/bridge"
printf 'auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n\taddress 10.99.0.1/24\n\tgateway 10.99.0.2\n' \
	>"$VKIT_NETCONF_ROOT/etc/network/interfaces"
cp "$VKIT_NETCONF_ROOT/etc/network/interfaces" "$TMP/interfaces.orig"
H "$VCTL" iface-bridge eth0 br0 --no-stp >"$TMP/out" 2>&1
grep -q "^Persistent through ifupdown: changing$" "$TMP/out" &&
	grep -q "^iface br0 inet static$" "$VKIT_NETCONF_ROOT/etc/network/interfaces" &&
	grep -q "^	bridge_ports eth0$" "$VKIT_NETCONF_ROOT/etc/network/interfaces" &&
	grep -q "^#vkit-iface-bridge br0: iface eth0 inet static$" "$VKIT_NETCONF_ROOT/etc/network/interfaces"
ok $? "ifupdown: eth0's stanza is set aside and br0's written after it" || sed 's/^/# /' "$TMP/out"
H "$VCTL" iface-unbridge br0 >/dev/null 2>&1
cmp -s "$TMP/interfaces.orig" "$VKIT_NETCONF_ROOT/etc/network/interfaces"
ok $? "iface-unbridge puts /etc/network/interfaces back as it was"

done_testing
