#!/bin/bash
# The data plane's punt path on a real link-less mux, vlan and vpls: a
# proxy's transmit reaches the punt socket decapsulated with the proxy's
# xid; an exception sent back through it reaches the proxy, so Linux learns
# its neighbour from it and its ping goes on to that neighbour.
. "$(dirname "$0")/../lib.sh"

PUNT="deno run -A --cached-only $XETH_ROOT/tests/vm/tools/punt_mux.ts"
SBDP="deno run -A --cached-only $XETH_ROOT/tests/vm/tools/sbdp.ts"
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }

ALL_CASES="vlan vpls"

# punt ENCAP: the punt path on a mux with that encapsulation; vpls keeps
# labels 0-15 reserved, so the port's xid is 100 in both
punt() {
	local encap=$1 sb ping out
	ip link add xm0 type xeth-mux encap "$encap"
	ip link set xm0 up
	ip link add xeth1 link xm0 type xeth-port xid 100
	ip link set xeth1 up
	ip addr add 192.0.2.1/24 dev xeth1
	# a daemon on the side-band gives the port its carrier (and holds on
	# until it is killed below)
	$SBDP xm0 carrier 100 on hold $(($(scaled 600) * 1000)) >/dev/null 2>&1 &
	sb=$!
	wait_for 30 grep -qx 1 /sys/class/net/xeth1/carrier
	ping -i 0.5 -W 1 -I xeth1 192.0.2.2 >/tmp/ping.$encap 2>&1 &
	ping=$!
	out=$($PUNT xm0 "$encap" 100 xeth1)
	echo "# $encap: $out"
	sed 's/^/# ping: /' /tmp/ping.$encap | head -3
	echo "# carrier $(cat /sys/class/net/xeth1/carrier) $(ip -br addr show dev xeth1)"
	check_eq "$encap: the proxy's ARP request reaches the punt with its xid, outgoing" \
		'{"xid":100,"outgoing":true,"exception":false}' "$(jq -c .arp_request <<<"$out")"
	check_eq "$encap: from the proxy's MAC" true "$(jq .arp_from_proxy <<<"$out")"
	check_eq "$encap: the exception (ARP reply) taught Linux the neighbour" "02:00:00:00:00:02" \
		"$(ip -j neigh show 192.0.2.2 dev xeth1 | jq -r '.[0].lladdr')"
	check_eq "$encap: the echo request follows to it, through the punt" '{"xid":100}' \
		"$(jq -c .echo_request <<<"$out")"
	# (frames of the mux's own, such as its IPv6 solicitations, carry no
	# tag or label and count as decap errors; they are not proxy frames)
	check_eq "$encap: one exception sent, no transmit errors" "1 0" \
		"$(jq -r '"\(.tx_exceptions) \(.tx_errors)"' <<<"$out")"
	kill $ping $sb 2>/dev/null
	wait $ping $sb 2>/dev/null
	ip link del xm0
}

case_vlan() { punt vlan; }
case_vpls() { punt vpls; }

run_cases
finish
