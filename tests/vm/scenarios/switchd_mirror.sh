#!/bin/bash
# SWITCHD against the real module: after its dumps and after each scripted
# change, its mirror equals the kernel's own view (every table of two
# namespaces, a VRF, IPv4 and IPv6 multipath, neighbours, addresses), and
# its software switch holds the same routes (next hops by xid); it
# survives being killed mid-dump and the mux being deleted and recreated,
# and stops cleanly on SIGTERM.
. "$(dirname "$0")/../lib.sh"

ROUTES=$(sized 10000 50000) # for the kill mid-dump

CTL=/tmp/switchd.sock
SWITCHD="deno run -A --cached-only $XETH_ROOT/main.ts --mux xm0 --control $CTL --log-format json"
SHOW="deno run -A --cached-only $XETH_ROOT/main.ts show --control $CTL --json"
TOOL="deno run -A --cached-only $XETH_ROOT/tests/vm/tools/mirror_compare.ts $CTL"
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
modprobe vrf

mux_and_ports() {
	ip link add xm0 type xeth-mux
	ip link set xm0 up
	for i in 1 2 3; do
		ip link add xeth$i link xm0 type xeth-port xid $((6 + i))
		ip link set xeth$i up
	done
}
mux_and_ports
ip addr add 192.0.2.1/24 dev xeth1
ip addr add 192.0.3.1/24 dev xeth2
ip addr add 2001:db8::1/64 dev xeth1 nodad
ip addr add 2001:db8:3::1/64 dev xeth2 nodad
ip route add 203.0.113.0/24 via 192.0.2.2 dev xeth1
ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev xeth1 nud permanent
ip link add vrf1 type vrf table 10
ip link set vrf1 up
ip route add 100.64.0.0/10 via 192.0.2.2 dev xeth1 table 10
ip netns add ns1
ip link set xeth3 netns ns1
ip -n ns1 link set xeth3 up
ip -n ns1 addr add 198.51.100.1/24 dev xeth3
ip -n ns1 route add 10.9.0.0/16 via 198.51.100.2

wait_state() { $TOOL wait "$1" 120 2>/dev/null; } # wait_state STATE
differences() { # the start of what differs, from a comparison's JSON line
	jq -c '{missing: .missing[:8], extra: .extra[:8]}' <<<"$1" 2>/dev/null || echo "${1:-no answer}"
}
compare() { # compare DESCRIPTION: the mirror, then the software switch
	$TOOL compare-both ns1 >/tmp/cmp.json
	local mirror switch
	mirror=$(sed -n 1p /tmp/cmp.json) switch=$(sed -n 2p /tmp/cmp.json)
	if [ "$(jq .equal <<<"$mirror")" = true ]; then
		ok "$1 ($(jq .routes <<<"$mirror") routes, $(jq .compared <<<"$mirror") items)"
	else
		not_ok "$1" "$(differences "$mirror")"
	fi
	if [ "$(jq .equal <<<"$switch")" = true ]; then
		ok "  and the software switch holds the same routes ($(jq .routes <<<"$switch"))"
	else
		not_ok "  and the software switch holds the same routes" "$(differences "$switch")"
	fi
	if [ "$(jq -s 'map(.equal) | all' /tmp/cmp.json)" != true ]; then
		tail -n 12 /tmp/switchd.log | sed 's/^/# switchd: /'
	fi
}

$SWITCHD 2>/tmp/switchd.log &
pid=$!

ALL_CASES="dump changes deletions netns killed mux_recreated sigterm"

case_dump() {
	check "the daemon dumps and goes live" wait_state live
	compare "mirror equals the kernel after the dump"
}

case_changes() {
	ip route add 198.18.0.0/15 nexthop via 192.0.2.2 dev xeth1 weight 1 nexthop via 192.0.3.2 dev xeth2 weight 3
	ip route del 203.0.113.0/24
	ip route replace 100.64.0.0/10 via 192.0.2.3 dev xeth1 table 10
	ip -6 route add 2001:db8:1::/48 via 2001:db8::2 dev xeth1
	ip -6 route add 2001:db8:2::/48 nexthop via 2001:db8::2 dev xeth1 nexthop via 2001:db8:3::2 dev xeth2
	ip -6 route append 2001:db8:2::/48 via 2001:db8:3::3 dev xeth2
	ip neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev xeth1 nud permanent
	ip neigh change 192.0.2.2 lladdr 02:00:00:00:00:22 dev xeth1 nud permanent
	ip -6 neigh add 2001:db8::9 lladdr 02:00:00:00:00:66 dev xeth1 nud permanent
	ip addr add 192.0.4.1/24 dev xeth2
	ip -n ns1 route add 10.10.0.0/16 via 198.51.100.3
	compare "mirror equals the kernel after adds and changes"
}

# what changes added goes again
case_deletions() {
	needs changes
	ip route del 198.18.0.0/15
	ip -6 route del 2001:db8:2::/48 via 2001:db8:3::3 dev xeth2
	ip neigh del 192.0.2.9 dev xeth1
	ip addr del 192.0.4.1/24 dev xeth2
	ip link set xeth2 down
	compare "mirror equals the kernel after deletions and admin down"
}

case_netns() {
	ip link set xeth2 netns ns1
	ip -n ns1 link set xeth2 up
	ip -n ns1 addr add 192.0.5.1/24 dev xeth2
	compare "mirror equals the kernel after a port moved namespace"
	ip -n ns1 link set xeth2 netns 1
	ip link set xeth2 up
	compare "mirror equals the kernel after it moved back"
}

# killed mid-dump: enough routes make the dump long enough to be caught in
# the middle (XETH_FULL=1: 50000); a restarted daemon must still end up
# complete and equal
case_killed() {
	awk -v n="$ROUTES" 'BEGIN { for (i = 0; i < n; i++)
		printf "route add 10.%d.%d.0/24 via 192.0.2.2 dev xeth1\n", int(i / 256) % 256, i % 256 }' >/tmp/routes
	ip -batch /tmp/routes
	compare "mirror equals the kernel with $ROUTES more routes"
	kill -KILL $pid
	wait $pid 2>/dev/null
	$SWITCHD 2>/tmp/killed.log &
	pid=$!
	check "the daemon is caught in its FIB dump and killed" \
		$TOOL wait dumping-fibinfo 600 --kill $pid
	kill -KILL $pid 2>/dev/null
	wait $pid 2>/dev/null
	check_eq "the daemon was killed before its FIB dump completed" 0 \
		"$(grep -c 'in sync with' /tmp/killed.log)"
	$SWITCHD 2>>/tmp/switchd.log &
	pid=$!
	check "a new daemon dumps again" wait_state live
	compare "mirror equals the kernel after a kill mid-dump and restart"
}

mux_socket() { # the software SWITCH's socket on the mux: "OPEN OPENS"
	switchd_ask "$CTL" switch |
		jq -r '"\(.["mux-open"] | tonumber) \(.["mux-opens"] | tonumber)"'
}

case_mux_recreated() {
	local opens
	opens=$(mux_socket | cut -d' ' -f2)
	ip link del xm0
	check "the mux gone: the daemon waits" wait_state waiting
	check_eq "and holds nothing of it" 0 "$($SHOW session | jq .links)"
	check "and its SWITCH closed its socket on the mux" \
		wait_for 60 yields "0 $opens" mux_socket
	mux_and_ports
	ip addr add 192.0.2.1/24 dev xeth1
	check "the mux back: the daemon dumps again" wait_state live
	compare "mirror equals the kernel after the mux was recreated"
	check "and its SWITCH opened a socket on the new mux" \
		wait_for 60 yields "1 $((opens + 1))" mux_socket
}

case_sigterm() {
	kill -TERM $pid
	wait $pid
	check_eq "SIGTERM stops the daemon with status 0" 0 $?
	check "and it says so" grep -q '"message":"stopped"' /tmp/switchd.log
	check_eq "no errors logged" "" "$(jq -r 'select(.level == "ERROR" or .level == "FATAL") | .message' /tmp/switchd.log)"
}

run_cases
ip netns del ns1
finish
