#!/bin/sh
# networks.sh - virtual networks for real, inside network namespaces this test makes: net-start and net-destroy, guests' DHCP, DNS and NAT, a dnsmasq that dies, refusals, VMs on networks (vctl, vinstall, vclone with a stand-in vrun).
#
# The "host" is a namespace with an uplink to "the outside" (another
# namespace); "guests" are namespaces whose eth0 is a port of the
# network's bridge, running busybox's udhcpc, nslookup and ping.  Real
# guests under vrun do the same in tests/sandbox/networks-l1.sh.
. "$top_srcdir/tests/lib/tap.sh"
. "$top_srcdir/tests/tools/netns-lib.sh"

ns_require
command -v python3 >/dev/null || skip_all "python3 is needed for the fake vrun"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vkit-test.XXXXXX") || exit 99
export VKIT_DIR="$TMP/state"
ns_setup || { echo "Bail out! cannot set up the namespaces"; exit 1; }
cd "$TMP" || exit 99
D="$TMP/data"
mkdir -p "$D"
G1=vkt$$-g1 G2=vkt$$-g2 G3=vkt$$-g3 G4=vkt$$-g4 G5=vkt$$-g5
H() { ns_in "$NS_HOST" "$@"; }
export VKIT_VRUN="$top_srcdir/tests/tools/fake-vrun" FAKE_VRUN_LOG="$TMP/vrun.log" FAKE_SECONDS=60
unset VKIT_SYSFS_NET VKIT_NET_HOST_ROUTES FAKE_FAIL FAKE_EXIT

# What net-destroy must leave as it found: rules, interfaces and their
# addresses, processes of the host namespace.
snapshot() {
	{
		H nft list ruleset
		H ip -o addr show | awk '{print $2, $3, $4}'
		H ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//'
		H sysctl -n net.ipv4.ip_forward
		ip netns pids "$NS_HOST" | wc -l
	} >"$1" 2>&1
}

cat >"$D/lab.json" <<'EOF'
{ "name": "lab", "forward": "nat", "bridge": { "name": "vklab" },
  "ip": { "address": "192.168.77.1", "prefix": 24,
          "dhcp": { "start": "192.168.77.100", "end": "192.168.77.150",
                    "hosts": [ { "mac": "52:54:00:77:00:03", "ip": "192.168.77.3", "name": "fixed" } ] } },
  "dns": { "domain": "lab.test", "hosts": [ { "ip": "10.98.0.1", "names": [ "outside", "outside.lab.test" ] } ] } }
EOF

# ---- define, start ----
H "$VCTL" net-define "$D/lab.json" >"$TMP/out" 2>&1 && grep -qx "Network lab defined from $D/lab.json" "$TMP/out"
ok $? "net-define: Network lab defined from FILE"
test "$(stat -c %a "$VKIT_DIR/networks/lab.json")" = 600
ok $? "the definition is networks/lab.json, mode 0600"
H "$VCTL" net-list --all | grep -Eq '^ lab +inactive +no +yes$'
ok $? "net-list --all: lab inactive, not autostart, persistent"
snapshot "$TMP/before"
H "$VCTL" net-start lab >"$TMP/out" 2>&1 && grep -qx "Network lab started" "$TMP/out"
ok $? "net-start: Network lab started"
H ip -o addr show dev vklab | grep -q 'inet 192.168.77.1/24' && H ip -d link show vklab | grep -q 'bridge '
ok $? "the bridge vklab is up with the host's address 192.168.77.1/24"
H nft list table inet vkit-lab | grep -q 'masquerade' && test "$(H sysctl -n net.ipv4.ip_forward)" = 1
ok $? "its table inet vkit-lab masquerades, and IPv4 forwarding is on"
pid=$(H "$VCTL" net-info lab | sed -n 's/^DHCP\/DNS: *running (pid \([0-9]*\))$/\1/p')
test -n "$pid" && grep -q "dnsmasq" "/proc/$pid/cmdline" && ip netns pids "$NS_HOST" | grep -qx "$pid"
ok $? "net-info: its dnsmasq runs (pid $pid), in the host namespace"
expect_fail "net-start of an active network" "vctl: lab: network is already active" H "$VCTL" net-start lab

# ---- guests: DHCP, DNS, NAT, each other ----
ns_guest "$G1" 52:54:00:77:00:01 vklab && ns_guest "$G2" 52:54:00:77:00:02 vklab && ns_guest "$G3" 52:54:00:77:00:03 vklab
ip1=$(ns_dhcp "$G1" guest1)
case $ip1 in 192.168.77.1[0-4][0-9] | 192.168.77.150) ok 0 "a guest gets an address of the range by DHCP ($ip1)" ;;
*) ok 1 "a guest gets an address of the range by DHCP (got '$ip1')"; sed 's/^/# /' "$TMP/udhcpc-$G1.out" ;; esac
ip3=$(ns_dhcp "$G3" guest3)
test "$ip3" = 192.168.77.3
ok $? "a fixed host (ip.dhcp.hosts) gets its address ($ip3)"
H "$VCTL" net-dhcp-leases lab >"$TMP/leases" 2>&1
grep -Eq "^ [0-9-]+ [0-9:]+ +52:54:00:77:00:01 +ipv4 +$ip1/24 +guest1 " "$TMP/leases"
ok $? "net-dhcp-leases lists the guest's lease (MAC, address, hostname)" || sed 's/^/# /' "$TMP/leases"
H "$VCTL" net-dhcp-leases lab --mac 52:54:00:77:00:03 | grep -c 52:54:00 | grep -qx 1
ok $? "net-dhcp-leases --mac shows that MAC's only"
ns_in "$G1" busybox nslookup outside 192.168.77.1 2>&1 | grep -q 'Address: 10.98.0.1'
ok $? "DNS: dnsmasq answers the definition's names (outside -> 10.98.0.1)"
ns_in "$G3" busybox nslookup guest1.lab.test 192.168.77.1 2>&1 | grep -q "Address: $ip1"
ok $? "DNS: a guest's name in the network's domain (guest1.lab.test)"
ns_in "$G1" busybox nslookup fixed.lab.test 192.168.77.1 2>&1 | grep -q "Address: 192.168.77.3"
ok $? "DNS: a fixed host's name (fixed.lab.test)"
ns_in "$G1" busybox ping -c 2 -W 2 10.98.0.1 >"$TMP/ping" 2>&1
ok $? "NAT: the guest reaches an address of the outside, which has no route back to it" || sed 's/^/# /' "$TMP/ping"
! ns_in "$NS_OUT" busybox ping -c 1 -W 1 "$ip1" >/dev/null 2>&1
ok $? "... and the outside cannot reach the guest"
ns_in "$G1" busybox ping -c 1 -W 2 "$ip3" >/dev/null 2>&1
ok $? "two guests on the network reach each other"

# ---- a dnsmasq that dies, a table that is flushed ----
kill "$pid"
sleep 0.5
H "$VCTL" net-list --all >"$TMP/out" 2>&1
grep -q "vctl: network lab: warning: its dnsmasq (pid $pid) is not running; vctl net-start lab restores it" "$TMP/out"
ok $? "net-list reports a dead dnsmasq" || sed 's/^/# /' "$TMP/out"
H "$VCTL" net-info lab | grep -q "^DHCP/DNS: *not running (dnsmasq pid $pid is gone)"
ok $? "net-info says it is not running"
H "$VCTL" net-start lab >"$TMP/out" 2>&1 && grep -qx "Network lab was active but incomplete; what it lacked is back" "$TMP/out"
ok $? "net-start restarts it" || sed 's/^/# /' "$TMP/out"
ip2=$(ns_dhcp "$G2" guest2)
case $ip2 in 192.168.77.1[0-5][0-9]) ok 0 "the new dnsmasq hands out addresses ($ip2)" ;; *) ok 1 "the new dnsmasq hands out addresses" ;; esac
H nft flush table inet vkit-lab
H "$VCTL" net-start lab >/dev/null 2>&1 && H nft list table inet vkit-lab | grep -q masquerade
ok $? "a flushed table is put back by net-start"

# ---- destroy ----
H "$VCTL" net-destroy lab >"$TMP/out" 2>&1 && grep -qx "Network lab destroyed" "$TMP/out"
ok $? "net-destroy: Network lab destroyed"
# The guests go (their ports with them, once the kernel has cleaned up).
ip netns del "$G1"; ip netns del "$G2"; ip netns del "$G3"
wait_ports_gone() {
	_end=$(($(date +%s) + 10))
	while H ip -o link show | grep -q "p$$-g"; do
		[ "$(date +%s)" -lt "$_end" ] || break
		sleep 0.2
	done
}
wait_ports_gone
snapshot "$TMP/after"
diff_ok "net-destroy leaves rules, interfaces, addresses, forwarding and processes as they were" "$TMP/before" "$TMP/after"
expect_fail "net-destroy of an inactive network" "vctl: lab: network is not active" H "$VCTL" net-destroy lab
expect_fail "vctl outside the namespace a network was started in" "was started in another network namespace" \
	sh -c 'ip netns exec "$1" "$2" net-start lab >/dev/null && "$2" net-destroy lab' sh "$NS_HOST" "$VCTL"
H "$VCTL" net-destroy lab >/dev/null 2>&1

# ---- refusals ----
sed -e 's/"lab"/"lab2"/' -e 's/vklab/vklab2/' "$D/lab.json" >"$D/overlap.json"
expect_fail "a range that overlaps another network's" "subnet 192.168.77.0/24 overlaps network 'lab''s" \
	H "$VCTL" net-define "$D/overlap.json"
sed -e 's/"name": "lab",/"name": "lab", "uuid": "11111111-2222-4333-8444-555555555555",/' "$D/lab.json" >"$D/taken.json"
expect_fail "a name that is taken" "network 'lab' exists already (uuid" H "$VCTL" net-define "$D/taken.json"
sed -e 's/vklab/vk-a-too-long-name/' "$D/lab.json" >"$D/long.json"
expect_fail "a bridge name over the kernel's limit" "bridge.name 'vk-a-too-long-name' is 18 characters; Linux allows interface names of 1 to 15" \
	H "$VCTL" net-define "$D/long.json"
printf '{ "name": "n2", "forward": "nat", "bridge": { "name": "up0" }, "ip": { "address": "192.168.78.1", "prefix": 24 } }\n' >"$D/n2.json"
H "$VCTL" net-define "$D/n2.json" >/dev/null
expect_fail "a bridge name the host uses" "an interface named up0 exists already on this host and is not this network's" \
	H "$VCTL" net-start n2
printf '{ "name": "n3", "forward": "nat", "ip": { "address": "10.99.0.129", "prefix": 25 } }\n' >"$D/n3.json"
H "$VCTL" net-define "$D/n3.json" >/dev/null
expect_fail "a range the host uses" "its subnet is in use on this host (10.99.0.1/24 on up0)" H "$VCTL" net-start n3
mkdir -p "$TMP/bin-nonft" "$TMP/bin-baddnsmasq"
ln -s "$(command -v dnsmasq)" "$TMP/bin-nonft/dnsmasq"
expect_fail "a host without nft" "nft not found in PATH: a NAT network's masquerading rules needs it; install the Debian package nftables" \
	H env PATH="$TMP/bin-nonft" "$VCTL" net-start lab
printf '#!/bin/sh\necho "dnsmasq: failed to create listening socket for port 53: Address in use" >&2\nexit 2\n' \
	>"$TMP/bin-baddnsmasq/dnsmasq"
chmod +x "$TMP/bin-baddnsmasq/dnsmasq"
ln -s "$(command -v nft)" "$TMP/bin-baddnsmasq/nft"
expect_fail "a dnsmasq that cannot start" "vctl: lab: dnsmasq did not start: dnsmasq: failed to create listening socket" \
	H env PATH="$TMP/bin-baddnsmasq" "$VCTL" net-start lab
snapshot "$TMP/after"
diff_ok "... and the failed starts left nothing behind (no bridge, no table, forwarding off)" "$TMP/before" "$TMP/after"

# A host firewall that drops forwarded packets by default (as Docker's
# "ip filter FORWARD" does) is not ours to change: net-start says so.
printf 'table ip filter {\n\tchain FORWARD {\n\t\ttype filter hook forward priority 0; policy drop;\n\t}\n}\n' >"$TMP/fw.nft"
H nft -f "$TMP/fw.nft"
H "$VCTL" net-start lab >"$TMP/out" 2>&1
grep -q "vctl: lab: warning: the host's firewall drops forwarded packets by default (chain ip filter FORWARD)" "$TMP/out" &&
	H nft list table ip filter >/dev/null
ok $? "net-start warns about the host's forward policy, and leaves the host's table alone" || sed 's/^/# /' "$TMP/out"
H "$VCTL" net-destroy lab >/dev/null
H nft delete table ip filter

# ---- VMs on networks (the stand-in vrun) ----
echo kernel >"$D/vmlinuz"; truncate -s 1M "$D/vm1.img"
mkdir -p "$VKIT_DIR/vms"
cat >"$VKIT_DIR/vms/vm1.json" <<EOF
{ "version": 1, "name": "vm1", "uuid": "6f9619ff-8b86-4011-b42d-00c04fc964ff", "memory": 256, "vcpus": 1,
  "boot": { "kind": "kernel", "kernel": "$D/vmlinuz", "cmdline": "console=ttyS0" },
  "disks": [ { "path": "$D/vm1.img", "format": "raw" } ],
  "nics": [ { "type": "network", "source": "lab", "mac": "52:54:00:77:01:01", "model": "virtio" } ] }
EOF
rm -f "$FAKE_VRUN_LOG"
expect_fail "a VM on a stopped network does not start, naming it and net-start" \
	"vctl: vm1: network 'lab' is not active; start it with: vctl net-start lab" H "$VCTL" start vm1
test ! -e "$FAKE_VRUN_LOG"
ok $? "... and vrun was not run"
H "$VCTL" net-autostart lab | grep -qx "Network lab marked as autostarted"
ok $? "net-autostart: Network lab marked as autostarted"
H "$VCTL" start vm1 >"$TMP/out" 2>&1 && grep -qx "vctl: network lab started" "$TMP/out" &&
	grep -q -- "--net bridge=vklab,mac=52:54:00:77:01:01" "$FAKE_VRUN_LOG"
ok $? "a VM on an autostart network starts it, and vrun's NIC goes on its bridge" || sed 's/^/# /' "$TMP/out"
H "$VCTL" domiflist vm1 | grep -Eq '^ vk0 +network +lab +virtio +52:54:00:77:01:01$'
ok $? "domiflist: Interface, Type network, Source lab, Model, MAC"
ns_guest "$G4" 52:54:00:77:01:01 vklab
ip4=$(ns_dhcp "$G4" vm1)
H "$VCTL" domifaddr vm1 >"$TMP/out" 2>&1
grep -Eq "^ vk0 +52:54:00:77:01:01 +ipv4 +$ip4/24$" "$TMP/out"
ok $? "domifaddr: the VM's address from the leases ($ip4)" || sed 's/^/# /' "$TMP/out"
H "$VCTL" destroy vm1 >/dev/null
expect_fail "domifaddr of a stopped VM" "domain is not running" H "$VCTL" domifaddr vm1
H "$VCTL" domiflist vm1 | grep -Eq '^ - +network +lab '
ok $? "domiflist of a stopped VM: no interface yet"

# A clone keeps the network and gets a new MAC, so a lease of its own.
VCLONE_OUT=$(H "$VCLONE" -o vm1 -n vm2 --auto-clone 2>&1)
mac2=$(sed -n 's/.*"mac": "\(52:54:00:[0-9a-f:]*\)".*/\1/p' "$VKIT_DIR/vms/vm2.json")
test -n "$mac2" && test "$mac2" != 52:54:00:77:01:01 && grep -q '"source": "lab"' "$VKIT_DIR/vms/vm2.json"
ok $? "vclone: the clone is on network lab with a new MAC ($mac2)" || echo "$VCLONE_OUT" | sed 's/^/# /'
ns_guest "$G5" "$mac2" vklab
ip5=$(ns_dhcp "$G5" vm2)
test -n "$ip5" && test "$ip5" != "$ip4"
ok $? "... and gets a lease of its own ($ip5, not $ip4)"

# vkit-autostart at boot: networks marked autostart first.
H "$VCTL" net-destroy lab >/dev/null
H "$VCTL" start --autostart >"$TMP/out" 2>&1
H "$VCTL" net-list | grep -Eq '^ lab +active +yes +yes$'
ok $? "start --autostart starts the networks marked autostart" || sed 's/^/# /' "$TMP/out"
H "$VCTL" net-start lab >/dev/null 2>&1
expect_fail "net-undefine of an active network" "network is active; stop it first with vctl net-destroy lab" \
	H "$VCTL" net-undefine lab
H "$VCTL" net-destroy lab >/dev/null

# ---- vinstall with no --network: the default network, made on first use ----
H "$VINSTALL" --name d1 --boot kernel="$D/vmlinuz" --disk size=0.01 --noreboot --noautoconsole --wait 0 \
	>"$TMP/out" 2>&1
grep -q "vinstall: network default defined (NAT, DHCP and DNS, on bridge vkbr" "$TMP/out" && grep -q "vinstall: network default started" "$TMP/out"
ok $? "vinstall without --network defines the default network and starts it" || sed 's/^/# /' "$TMP/out"
H "$VCTL" net-info default >"$TMP/out"
br=$(sed -n 's/^Bridge: *//p' "$TMP/out")
grep -q -- "--name d1 .*--net bridge=$br,mac=52:54:00:" "$FAKE_VRUN_LOG"
ok $? "... and the VM's NIC is on its bridge ($br: the first vkbrN no other network has)"
grep -q '^IPv4: *192.168.122.1/24$' "$TMP/out" && grep -q '^Autostart: *yes$' "$TMP/out" && grep -q '^Active: *yes$' "$TMP/out"
ok $? "default: 192.168.122.1/24, autostart, active" || sed 's/^/# /' "$TMP/out"
H "$VCTL" destroy d1 >/dev/null 2>&1
H "$VCTL" net-destroy default >/dev/null
H "$VCTL" net-undefine default | grep -qx "Network default has been undefined"
ok $? "net-undefine: Network default has been undefined"
# With 192.168.122.0/24 taken on the host, the default takes the next free /24.
H ip addr add 192.168.122.1/24 dev up0
H "$VINSTALL" --name d2 --boot kernel="$D/vmlinuz" --disk size=0.01 --dry-run >"$TMP/out" 2>&1
grep -q "Network:     default is defined on first use: NAT, 192.168.123.0/24 on bridge vkbr" "$TMP/out"
ok $? "a host that uses 192.168.122.0/24 gets the default network on 192.168.123.0/24" || sed 's/^/# /' "$TMP/out"

done_testing
