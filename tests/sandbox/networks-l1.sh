#!/bin/sh
# networks-l1.sh - the default NAT network with real guests, in the nested sandbox: two Debian guests under vrun get addresses by DHCP, resolve each other's names through dnsmasq, reach "the outside" through NAT and each other; net-destroy leaves nothing behind.
#
# Inside L1 the test makes its own namespaces (tests/tools/netns-lib.sh):
# a "host", where vctl runs and the VMs' taps live, with an uplink to "the
# outside" (10.98.0.1 behind 10.99.0.2, no route back to the guests).
# Nothing is defined beforehand: vctl start of a VM whose NIC is on
# network default defines that network and starts it, as libvirt has it.
# One L1 boot, two L2 boots (plus retries after sandbox flakes).
. "${top_srcdir:-.}/tests/lib/tap.sh"
. "${top_srcdir:-.}/tests/sandbox/enter-l1.sh"
. "${top_srcdir:-.}/tests/tools/netns-lib.sh"

ns_require
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vkit-test.XXXXXX") || exit 99
export VKIT_DIR="$TMP/state" VKIT_VRUN="$VRUN"
ns_setup || { echo "Bail out! cannot set up the namespaces"; exit 1; }
H() { ns_in "$NS_HOST" "$@"; }
L2_TIMEOUT=${VK_L2_TIMEOUT:-300}

# What each guest does, steered by vk.* words on its command line.
cat >"$TMP/test-init" <<'EOF'
arg() { for w in $(cat /proc/cmdline); do case $w in "vk.$1="*) echo "${w#*=}"; return ;; esac; done; }
role=$(arg role)
cat >/tmp/dhcp.sh <<'EOS'
#!/bin/sh
case $1 in bound | renew)
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$router" ] && ip route add default via "${router%% *}"
	echo "${dns%% *}" >/tmp/dns
	echo "vk-test: address $ip router $router dns $dns" ;;
esac
EOS
chmod +x /tmp/dhcp.sh
ip link set lo up
ip link set eth0 up
if udhcpc -i eth0 -q -n -t 30 -T 2 -s /tmp/dhcp.sh -x "hostname:vk$role" >/tmp/dhcp.out 2>&1; then
	grep "^vk-test:" /tmp/dhcp.out
else
	echo "vk-test: no DHCP answer"; tail -n 3 /tmp/dhcp.out
fi
if ping -c 3 -W 3 10.98.0.1 >/dev/null 2>&1; then echo "vk-test: outside reached"; else echo "vk-test: outside unreachable"; fi
if [ "$role" = b ]; then
	peer=$(nslookup vka "$(cat /tmp/dns)" 2>&1 | sed -n 's/^Address: *\([0-9.]*\)$/\1/p' | tail -n 1)
	echo "vk-test: vka is $peer"
	if [ -n "$peer" ] && ping -c 3 -W 3 "$peer" >/dev/null 2>&1; then echo "vk-test: peer reached"
	else echo "vk-test: peer unreachable"; fi
	echo "vk-test: done"
	poweroff -f
fi
echo "vk-test: ready"
while :; do sleep 60; done
EOF
"$top_srcdir/tests/sandbox/mkinitramfs-l2.sh" "$TMP/l2.cpio" "$TMP/test-init"
ok $? "mkinitramfs-l2.sh builds the guests' initramfs"

# define NAME MAC: a VM whose NIC is on network default, which is not defined yet.
define() {
	mkdir -p -m 700 "$VKIT_DIR" "$VKIT_DIR/vms"
	cat >"$VKIT_DIR/vms/$1.json" <<JSON
{ "version": 1, "name": "$1", "uuid": "$3", "memory": 192, "vcpus": 1,
  "boot": { "kind": "kernel", "kernel": "$VK_SANDBOX_KERNEL", "initrd": "$TMP/l2.cpio",
            "cmdline": "console=ttyS0 panic=-1 quiet vk.role=$1" },
  "nics": [ { "type": "network", "source": "default", "mac": "$2", "model": "virtio" } ],
  "console": { "type": "file", "path": "$TMP/$1.console" } }
JSON
}
define a 52:54:00:0a:00:01 5a0c1d2e-3f40-4152-8637-48596a7b8c01
define b 52:54:00:0b:00:01 5a0c1d2e-3f40-4152-8637-48596a7b8c02
H nft list ruleset >"$TMP/rules.before" 2>&1

# boot NAME MARK: vctl start NAME, then until its console says MARK, its
# vrun ends, or the time is up; $status as l2_flake judges it (0: MARK).
boot() {
	rm -f "$TMP/$1.console"
	H "$VCTL" start "$1" >"$TMP/$1.start" 2>&1 || { status=1; return; }
	_end=$(($(date +%s) + L2_TIMEOUT))
	until grep -q "$2" "$TMP/$1.console" 2>/dev/null; do
		if [ ! -e "$VKIT_DIR/run/$1.pid" ]; then status=1; return; fi
		if [ "$(date +%s)" -ge "$_end" ] || l2_hung "$TMP/$1.console"; then
			H "$VCTL" destroy "$1" >/dev/null 2>&1
			status=124
			return
		fi
		sleep 1
	done
	status=0
}
t0=$(date +%s)
boot a "vk-test: ready"
l2_again "guest a" "$VKIT_DIR/log/a.vrun.log" "$TMP/a.console" boot a "vk-test: ready"
ok $status "vctl start a: the guest ran its test ($(($(date +%s) - t0)) s)" ||
	tail -n 15 "$TMP/a.start" "$TMP/a.console" "$VKIT_DIR/log/a.vrun.log" | sed 's/^/# /'
grep -q "network default defined" "$TMP/a.start" && grep -q "network default started" "$TMP/a.start"
ok $? "... which defined the default network and started it" || sed 's/^/# /' "$TMP/a.start"
ipa=$(sed -n 's/^vk-test: address \([0-9.]*\) router 192.168.122.1 dns 192.168.122.1.*/\1/p' "$TMP/a.console" | tr -d '\r')
case $ipa in 192.168.122.*) ok 0 "guest a: an address of 192.168.122.0/24 by DHCP ($ipa), the bridge its router and DNS" ;;
*) ok 1 "guest a: an address by DHCP"; grep "vk-test" "$TMP/a.console" | sed 's/^/# /' ;; esac
grep -q "vk-test: outside reached" "$TMP/a.console"
ok $? "guest a reaches the outside through NAT"
H "$VCTL" domifaddr a >"$TMP/ifaddr" 2>&1
grep -Eq "^ vk[0-9]+ +52:54:00:0a:00:01 +ipv4 +$ipa/24$" "$TMP/ifaddr"
ok $? "vctl domifaddr a: its tap, MAC and address" || sed 's/^/# /' "$TMP/ifaddr"

t0=$(date +%s)
boot b "vk-test: done"
l2_again "guest b" "$VKIT_DIR/log/b.vrun.log" "$TMP/b.console" boot b "vk-test: done"
ok $status "vctl start b: the second guest ran its test ($(($(date +%s) - t0)) s)" ||
	tail -n 15 "$TMP/b.console" "$VKIT_DIR/log/b.vrun.log" | sed 's/^/# /'
ipb=$(sed -n 's/^vk-test: address \([0-9.]*\) .*/\1/p' "$TMP/b.console" | tr -d '\r')
test -n "$ipb" && test "$ipb" != "$ipa"
ok $? "guest b: an address of its own ($ipb)"
tr -d '\r' <"$TMP/b.console" | grep -qx "vk-test: vka is $ipa"
ok $? "DNS: dnsmasq answers guest a's name (vka) with its address" || grep "vk-test" "$TMP/b.console" | sed 's/^/# /'
grep -q "vk-test: peer reached" "$TMP/b.console" && grep -q "vk-test: outside reached" "$TMP/b.console"
ok $? "guest b reaches guest a, and the outside"
H "$VCTL" net-dhcp-leases default >"$TMP/leases" 2>&1
grep -Eq " 52:54:00:0a:00:01 +ipv4 +$ipa/24 +vka " "$TMP/leases" && grep -Eq " 52:54:00:0b:00:01 +ipv4 +$ipb/24 +vkb " "$TMP/leases"
ok $? "vctl net-dhcp-leases default: both leases with their names" || sed 's/^/# /' "$TMP/leases"

H "$VCTL" destroy a >/dev/null 2>&1
H "$VCTL" net-destroy default >"$TMP/out" 2>&1
ok $? "vctl net-destroy default: $(cat "$TMP/out")"
H nft list ruleset >"$TMP/rules.after" 2>&1
diff_ok "no rule of the network is left" "$TMP/rules.before" "$TMP/rules.after"
! H ip link show vkbr0 >/dev/null 2>&1 && test -z "$(ip netns pids "$NS_HOST")"
ok $? "its bridge and its dnsmasq are gone"
done_testing
