# netns-lib.sh - network namespaces for the network tests (sourced, after tap.sh): a "host", "the outside" behind its uplink, guests on a bridge; all removed at exit.
#
# Nothing here touches the real host's interfaces, routes or firewall:
# every command that changes a network runs in a namespace made here
# (ns_in NS COMMAND...), and the EXIT trap stops the processes left in
# them (dnsmasq) by pid and deletes them.

# ns_require: skip the whole test where namespaces cannot be made.
ns_require() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root to create network namespaces"
	for _p in ip nft dnsmasq busybox; do
		command -v "$_p" >/dev/null ||
			skip_all "$_p not found (apt-get install iproute2 nftables dnsmasq-base busybox-static)"
	done
	ip netns add "vkt$$-probe" 2>/dev/null || skip_all "cannot create a network namespace (ip netns add)"
	ip netns del "vkt$$-probe"
}

NS_LIST=
# ns_add NAME: a new namespace, its loopback up, removed at exit.
ns_add() {
	ip netns add "$1" && ip -n "$1" link set lo up || return 1
	NS_LIST="$NS_LIST $1"
}

# ns_in NS COMMAND...: COMMAND inside NS.
ns_in() {
	_ns=$1; shift
	ip netns exec "$_ns" "$@"
}

ns_cleanup() {
	for _ns in $NS_LIST; do
		for _pid in $(ip netns pids "$_ns" 2>/dev/null); do
			kill "$_pid" 2>/dev/null
		done
	done
	sleep 0.2
	for _ns in $NS_LIST; do
		for _pid in $(ip netns pids "$_ns" 2>/dev/null); do
			kill -KILL "$_pid" 2>/dev/null
		done
		ip netns del "$_ns" 2>/dev/null
	done
	rm -rf "$TMP"
}

# ns_setup: $NS_HOST, with an uplink 10.99.0.1/24 to $NS_OUT (10.99.0.2,
# its default gateway) where "the outside" also has 10.98.0.1 on lo.
ns_setup() {
	NS_HOST=vkt$$-h NS_OUT=vkt$$-o
	trap ns_cleanup EXIT
	ns_add "$NS_HOST" && ns_add "$NS_OUT" &&
		ip -n "$NS_HOST" link add up0 type veth peer name down0 netns "$NS_OUT" &&
		ip -n "$NS_HOST" addr add 10.99.0.1/24 dev up0 && ip -n "$NS_HOST" link set up0 up &&
		ip -n "$NS_OUT" addr add 10.99.0.2/24 dev down0 && ip -n "$NS_OUT" link set down0 up &&
		ip -n "$NS_OUT" addr add 10.98.0.1/32 dev lo &&
		ip -n "$NS_HOST" route add default via 10.99.0.2
}

# ns_guest NAME MAC BRIDGE: a namespace playing a guest, its eth0 (with
# MAC) a port of BRIDGE in the host namespace (the port is p + NAME less
# its "vkt": the tap a VM would have).
ns_guest() {
	_port=p${1#vkt}
	ns_add "$1" && ip -n "$NS_HOST" link add "$_port" type veth peer name eth0 netns "$1" &&
		ip -n "$1" link set eth0 address "$2" && ip -n "$1" link set eth0 up &&
		ip -n "$NS_HOST" link set "$_port" master "$3" && ip -n "$NS_HOST" link set "$_port" up
}

# ns_dhcp NAME HOSTNAME: busybox udhcpc in guest NAME; its address on stdout.
ns_dhcp() {
	cat >"$TMP/udhcpc-$1.sh" <<'EOF'
#!/bin/sh
case $1 in bound | renew)
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -n "$router" ] && ip route add default via "${router%% *}"
	echo "$ip" >"$0.ip" ;;
esac
EOF
	chmod +x "$TMP/udhcpc-$1.sh"
	ns_in "$1" busybox udhcpc -i eth0 -q -n -t 10 -T 1 -s "$TMP/udhcpc-$1.sh" -x "hostname:$2" >"$TMP/udhcpc-$1.out" 2>&1 &&
		cat "$TMP/udhcpc-$1.sh.ip"
}
