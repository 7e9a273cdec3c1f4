#!/bin/bash
# The software SWITCH bridges, tags and aggregates: two hosts on an
# xeth-bridge (learned FDB, the bridge's own address answered by Linux,
# routed out of the bridge), a host on a VLAN of a port, and a host bonded
# over a lag of two ports that survives losing one of them.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"

sw_mux 1 3 4 5 6 7 || { not_ok "a link-less mux with ports 1 3 4 5 6 7"; finish; exit 1; }
# xeth1: a routed port
ip addr add 10.1.0.1/24 dev xeth1
ip addr add 2001:db8:1::1/64 dev xeth1 nodad
sw_host h1 s1 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
# br0: an xeth-bridge of xeth3 and xeth4
ip link add br0 link xeth3 type xeth-bridge
ip link set xeth4 master br0
ip link set br0 up
ip addr add 10.3.0.1/24 dev br0
ip addr add 2001:db8:3::1/64 dev br0 nodad
sw_host h3 s3 10.3.0.3/24 10.3.0.1 2001:db8:3::3/64 2001:db8:3::1
sw_host h4 s4 10.3.0.4/24 10.3.0.1 2001:db8:3::4/64 2001:db8:3::1
# xeth5.10: VLAN 10 on xeth5; the host tags with a Linux VLAN
ip link add xeth5.10 link xeth5 type xeth-vlan
ip link set xeth5.10 up
ip addr add 10.5.0.1/24 dev xeth5.10
sw_wire h5 s5 eth0
ip -n h5 link add link eth0 name eth0.10 type vlan id 10
ip -n h5 link set eth0.10 up
ip -n h5 addr add 10.5.0.5/24 dev eth0.10
ip -n h5 route add default via 10.5.0.1
# lag1: an xeth-lag of xeth6 and xeth7; the host bonds its two wires
ip link add lag1 link xeth6 type xeth-lag
ip link set xeth7 master lag1
ip link set lag1 up
ip addr add 10.6.0.1/24 dev lag1
sw_wire h6 s6 eth0
sw_wire h6 s7 eth1
ip -n h6 link add bond0 type bond mode balance-xor xmit_hash_policy layer3+4 miimon 100
ip -n h6 link set eth0 down
ip -n h6 link set eth1 down
ip -n h6 link set eth0 master bond0
ip -n h6 link set eth1 master bond0
ip -n h6 link set bond0 up
ip -n h6 addr add 10.6.0.6/24 dev bond0
ip -n h6 route add default via 10.6.0.1

sw_start --attach xeth1=s1 --attach xeth3=s3 --attach xeth4=s4 \
	--attach xeth5=s5 --attach xeth6=s6 --attach xeth7=s7
SW_STARTED=$?

ALL_CASES="start bridge vlan lag stop"

case_start() {
	check_eq "SWITCHD starts with six ports attached" 0 "$SW_STARTED"
	check "every port has carrier" sw_wait 10 sh -c \
		'for p in xeth1 xeth3 xeth4 xeth5 xeth6 xeth7; do ip link show $p | grep -q LOWER_UP || exit 1; done'
}

# br0: h3 and h4 on xeth3 and xeth4
case_bridge() {
	local fdb0 fw0 exc0 fw exc
	fdb0=$(sw_stat fdb)
	check "bridge: h3 pings h4 (IPv4)" sw_ping h3 10.3.0.4
	check "bridge: h3 pings h4 (IPv6)" sw_ping h3 2001:db8:3::4
	learned() { sw_stats && [ "$(sw_figure fdb)" -ge 2 ]; }
	sw_wait 10 learned
	check "bridge: the switch learned both hosts (fdb $fdb0 -> $(sw_figure fdb))" [ "$(sw_figure fdb)" -ge 2 ]
	nongroup() { echo $(($(sw_figure exceptions) - $(sw_figure exception.group))); }
	sw_stats
	fw0=$(sw_figure forwarded)
	exc0=$(nongroup)
	ip netns exec h3 ping -q -c 20 -i 0.05 -w "$(scaled 20)" 10.3.0.4 >/dev/null
	forwarded() { sw_stats && [ $(($(sw_figure forwarded) - fw0)) -ge 40 ]; }
	sw_wait 10 forwarded
	fw=$(($(sw_figure forwarded) - fw0))
	exc=$(($(nongroup) - exc0))
	# Meanwhile the hosts' own traffic to Linux goes on (multicast, neighbour
	# probes of their gateway): a few exceptions, not one per echo.
	check "bridge: 20 echoes and replies are forwarded by the switch, not Linux ($fw forwarded, $exc unicast exceptions)" \
		[ $fw -ge 40 -a $exc -lt 5 ]
	check "bridge: h3 pings the bridge's own address (Linux answers)" sw_ping h3 10.3.0.1
	check "bridge to routed port: h4 pings h1" sw_ping h4 10.1.0.2
	check "routed port to bridge: h1 pings h3 (IPv6)" sw_ping h1 2001:db8:3::3
}

# xeth5.10: h5 tags with VLAN 10
case_vlan() {
	local out
	check "VLAN: h5 (tagged 10) pings the VLAN's address" sw_ping h5 10.5.0.1
	check "VLAN: h5 pings h1 across the switch" sw_ping h5 10.1.0.2
	out=$(ip netns exec h1 ping -c 2 -i 0.3 -w "$(scaled 10)" 10.5.0.5)
	check_eq "VLAN: routed into the VLAN by the switch (TTL 63)" 2 "$(grep -c 'ttl=63' <<<"$out")"
}

# lag1: h6 bonds its two wires
case_lag() {
	local out tx6 tx7 rx6 rx7 ok p
	check "LAG: h6 (bonded) pings lag1" sw_wait 10 sw_ping h6 10.6.0.1
	check "LAG: h6 pings h1 across the switch" sw_wait 10 sw_ping h6 10.1.0.2
	out=$(sw_xfer h6 h1 10.1.0.2 5001 2000000)
	check "LAG: a TCP transfer h6 -> h1 arrives intact: $out" grep -q "digest ok" <<<"$out"
	# Many flows each way, so that the flow hashes use both members.
	flows() { # flows NS DST: 40 UDP flows from NS to DST
		ip netns exec "$1" python3 -c "
import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in range(40): s.sendto(b'x', ('$2', 9000 + p))"
	}
	flows h6 10.1.0.2
	flows h1 10.6.0.6
	# the switch's counts reach the proxies each second
	member_counts() {
		local d
		for d in xeth6 xeth7; do
			ip -s -j link show "$d" | jq -e '.[0].stats64 | .rx.packets > 0 and .tx.packets > 0' >/dev/null || return 1
		done
	}
	sw_wait 10 member_counts
	tx6=$(ip -s -j link show xeth6 | jq '.[0].stats64.tx.packets')
	tx7=$(ip -s -j link show xeth7 | jq '.[0].stats64.tx.packets')
	rx6=$(ip -s -j link show xeth6 | jq '.[0].stats64.rx.packets')
	rx7=$(ip -s -j link show xeth7 | jq '.[0].stats64.rx.packets')
	check "LAG: both members carry traffic (rx $rx6/$rx7, tx $tx6/$tx7)" [ "$rx6" -gt 0 -a "$rx7" -gt 0 -a "$tx6" -gt 0 -a "$tx7" -gt 0 ]
	ip link set s7 down
	check "LAG: one member's wire down: xeth7 loses carrier, lag1 keeps it" \
		sw_wait 10 sh -c 'ip link show xeth7 | grep -q NO-CARRIER && ip link show lag1 | grep -q LOWER_UP'
	ok=0
	for p in $(seq 1 5); do
		ip netns exec h6 ping -q -c 1 -W "$(scaled 3)" 10.1.0.2 >/dev/null && ok=$((ok + 1))
	done
	check_eq "LAG: h6 still reaches h1 over the remaining member" 5 $ok
	ip link set s7 up
}

case_stop() {
	sw_show switch | head -40
	sw_stop
	check_eq "SWITCHD stops on SIGTERM with status 0" 0 $?
}

run_cases
[ $_tap_fail -gt 0 ] && tail -20 /tmp/switchd.log
finish
