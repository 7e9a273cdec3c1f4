#!/bin/bash
# The software SWITCH routes between two test hosts in different subnets:
# IPv4 and IPv6, ARP and ND answered by Linux through exceptions, TTL 1
# answered by Linux with ICMP time exceeded, a TCP transfer; with
# l2-fwd-offload off Linux forwards instead; carrier and speed follow the
# hosts' veths; the proxies' counters in `ip -s link` are the switch's.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"

sw_mux 1 2 || { not_ok "a link-less mux with ports 1 2"; finish; exit 1; }
ip addr add 10.1.0.1/24 dev xeth1
ip addr add 2001:db8:1::1/64 dev xeth1 nodad
ip addr add 10.2.0.1/24 dev xeth2
ip addr add 2001:db8:2::1/64 dev xeth2 nodad
sw_host h1 s1 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
sw_host h2 s2 10.2.0.2/24 10.2.0.1 2001:db8:2::2/64 2001:db8:2::1
sw_start --attach xeth1=s1 --attach xeth2=s2
SW_STARTED=$?

estat() { ethtool -S "$1" | awk -v k="$2:" '$1 == k { print $2 }'; } # estat DEV NAME

ALL_CASES="start ping tcp ttl rfc5549 switch_fib counters offload carrier stop"

case_start() {
	check_eq "SWITCHD starts with xeth1 and xeth2 attached to the hosts' wires" 0 "$SW_STARTED"
	check "carrier of the attached wires reaches the ports" \
		sw_wait 10 sh -c 'ip link show xeth1 | grep -q LOWER_UP && ip link show xeth2 | grep -q LOWER_UP'
	check_eq "speed of the veth reaches ethtool" "Speed: 10000Mb/s" \
		"$(ethtool xeth1 | grep -o 'Speed: .*')"
}

case_ping() {
	local routed0 routed1 out out6
	check "IPv4: h1 pings h2 across the switch" sw_ping h1 10.2.0.2
	check "IPv6: h1 pings h2 across the switch" sw_ping h1 2001:db8:2::2
	check "Linux resolved the hosts through exceptions (ARP, ND)" \
		sh -c 'ip neigh show dev xeth2 | grep -q "10.2.0.2 lladdr" && ip -6 neigh show dev xeth2 | grep -q "2001:db8:2::2 lladdr"'
	has_neighbours() { # the mirror (and so the switch) has both hosts' addresses
		sw_show neighbours --json | jq -e '[.[].dst] as $d |
			["10.1.0.2", "10.2.0.2", "2001:db8:1::2", "2001:db8:2::2"] - $d == []'
	}
	check "the hosts' neighbour entries reached SWITCHD" sw_wait 60 has_neighbours
	routed0=$(sw_stat routed)
	out=$(ip netns exec h1 ping -c 3 -i 0.3 -w "$(scaled 10)" 10.2.0.2)
	check_eq "replies arrive with TTL 63" 3 "$(grep -c 'ttl=63' <<<"$out")"
	out6=$(ip netns exec h1 ping -c 3 -i 0.3 -w "$(scaled 10)" 2001:db8:2::2)
	check_eq "IPv6 replies arrive with hop limit 63" 3 "$(grep -c 'ttl=63' <<<"$out6")"
	routed() { routed1=$(sw_stat routed) && [ $((routed1 - routed0)) -ge 12 ]; }
	sw_wait 10 routed
	check "the switch counts them as routed ($routed0 -> $routed1)" [ $((routed1 - routed0)) -ge 12 ]
}

case_tcp() {
	local out
	out=$(sw_xfer h1 h2 10.2.0.2 5001 4000000)
	check "a 4 MB TCP transfer h1 -> h2 arrives intact: $out" grep -q "digest ok" <<<"$out"
}

case_ttl() {
	local out
	out=$(ip netns exec h1 ping -c 1 -t 1 -W "$(scaled 3)" 10.2.0.2 || true)
	check "TTL 1: Linux answers with ICMP time exceeded from 10.1.0.1" \
		grep -q "From 10.1.0.1 .*Time to live exceeded" <<<"$out"
	out=$(ip netns exec h1 ping -c 1 -t 1 -W "$(scaled 3)" 2001:db8:2::2 || true)
	check "hop limit 1: Linux answers with ICMPv6 time exceeded" \
		grep -qi "Time exceeded\|Time to live exceeded" <<<"$out"
	ttl_handed() { [ "$(sw_stat exception.ttl)" -ge 2 ]; }
	check "the switch handed those to Linux (exception.ttl)" sw_wait 10 ttl_handed
	unreachable() {
		ip route add unreachable 10.99.0.0/16 &&
			ip netns exec h1 ping -c 1 -W "$(scaled 3)" 10.99.0.1 | grep -q "Unreachable"
	}
	check "an unrouted destination is answered by Linux (network unreachable)" unreachable
}

case_rfc5549() {
	local fh0 fh1
	# RFC 5549: IPv4 routes through an IPv6 gateway (h2's link-local) do not
	# fit the switch's tables; the switch must hand their traffic to Linux,
	# never send it out of xeth2 as if the prefix were connected there.
	ip -n h2 addr add fe80::2/64 dev eth0 nodad
	ip -n h2 addr add 198.51.100.1/32 dev lo
	ip route add 198.51.100.0/24 via inet6 fe80::2 dev xeth2
	ip route add 203.0.113.0/24 via inet6 fe80::2 dev xeth2
	fh0=$(sw_stat exception.foreign-hop)
	check "IPv4 via an IPv6 gateway: h1 reaches 198.51.100.1 behind h2" sw_wait 10 sw_ping h1 198.51.100.1
	handed() { fh1=$(sw_stat exception.foreign-hop) && [ $((fh1 - fh0)) -ge 3 ]; }
	sw_wait 10 handed
	check "the switch handed that traffic to Linux ($fh0 -> $fh1 foreign-hop exceptions)" \
		[ $((fh1 - fh0)) -ge 3 ]
	check_eq "SWITCHD says once that such routes go to Linux" 1 "$(grep -c "RFC 5549" /tmp/switchd.log)"
}

case_switch_fib() {
	check "the switch's routes equal the kernel's, every table (next hops by xid)" \
		deno run -A --cached-only "$XETH_ROOT/tests/vm/tools/mirror_compare.ts" "$SW_CTL" compare-switch
}

# after the pings and the transfer: the proxies' counters are the switch's
case_counters() {
	local rx tx rxu txo
	needs ping tcp
	xeth2_counts() { # the switch's counts of xeth2, relayed each second
		[ "$(ip -s -j link show xeth2 | jq '.[0].stats64.rx.packets')" -ge 10 ] &&
			[ "$(ip -s -j link show xeth2 | jq '.[0].stats64.tx.packets')" -ge 10 ] &&
			[ "$(estat xeth2 tx-octets)" -ge 4000000 ]
	}
	sw_wait 10 xeth2_counts
	rx=$(ip -s -j link show xeth2 | jq '.[0].stats64.rx.packets')
	tx=$(ip -s -j link show xeth2 | jq '.[0].stats64.tx.packets')
	check "ip -s link xeth2 shows the switch's counters (rx $rx, tx $tx)" [ "$rx" -ge 10 -a "$tx" -ge 10 ]
	rxu=$(estat xeth2 rx-unicast)
	txo=$(estat xeth2 tx-octets)
	check "ethtool -S xeth2 shows the switch's per-port counts (rx-unicast $rxu, tx-octets $txo)" \
		[ "${rxu:-0}" -ge 10 -a "${txo:-0}" -ge 4000000 ]
}

case_offload() {
	local off0 off1
	off0=$(sw_stat exception.offload-off)
	ethtool -K xeth1 l2-fwd-offload off
	check "l2-fwd-offload off reaches the switch, and pings still cross" \
		sw_wait 10 sw_ping h1 10.2.0.2
	handed() { off1=$(sw_stat exception.offload-off) && [ $((off1 - off0)) -ge 3 ]; }
	sw_wait 10 handed
	check "with offload off, Linux forwards h1's traffic ($off0 -> $off1 handed over)" [ $((off1 - off0)) -ge 3 ]
	ethtool -K xeth1 l2-fwd-offload on
}

case_carrier() {
	ip link set xm0 down
	ip link set xm0 up
	check "the switch survives its mux going down and up (pings cross)" \
		sw_wait 30 sw_ping h1 10.2.0.2
	ip -n h2 link set eth0 down
	check "h2's wire down: xeth2 loses carrier" \
		sw_wait 10 sh -c 'ip link show xeth2 | grep -q NO-CARRIER'
	check_fails "and h1 cannot reach h2" sw_ping h1 10.2.0.2
	ip -n h2 link set eth0 up
	# Down took h2's routes with it.
	ip -n h2 route add default via 10.2.0.1
	check "h2's wire up: xeth2 has carrier again" \
		sw_wait 10 sh -c 'ip link show xeth2 | grep -q LOWER_UP'
	check "ethtool -S xeth2 counts the link-down event" \
		sw_wait 5 sh -c '[ "$(ethtool -S xeth2 | awk '"'"'$1 == "link-down-events:" { print $2 }'"'"')" = 1 ]'
	check "and h1 reaches h2 again" sw_wait 15 sw_ping h1 10.2.0.2
}

case_stop() {
	sw_stop
	check_eq "SWITCHD stops on SIGTERM with status 0" 0 $?
}

run_cases
if [ $_tap_fail -gt 0 ]; then
	sw_show switch 2>/dev/null || true
	tail -20 /tmp/switchd.log
fi
finish
