#!/bin/bash
# FIB, neighbour and namespace messages: DUMP_FIBINFO and live updates,
# IPv4 and IPv6, multipath (a route's own hops and a nexthop object's
# group), the local, main and a VRF table.
. "$(dirname "$0")/../lib.sh"

SB="python3 $XETH_ROOT/tests/vm/tools/sbclient.py"
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
modprobe vrf

ip link add xm0 type xeth-mux
ip link set xm0 up
ip link add xeth1 link xm0 type xeth-port xid 7
ip link add xeth2 link xm0 type xeth-port xid 8
ip link set xeth1 up
ip link set xeth2 up
ip addr add 192.0.2.1/24 dev xeth1
ip addr add 192.0.3.1/24 dev xeth2
ip addr add 2001:db8::1/64 dev xeth1 nodad
ip addr add 2001:db8:3::1/64 dev xeth2 nodad
ip route add 203.0.113.0/24 via 192.0.2.2 dev xeth1
ip neigh add 192.0.2.2 lladdr 02:00:00:00:00:02 dev xeth1 nud permanent
ifx1=$(cat /sys/class/net/xeth1/ifindex)
ifx2=$(cat /sys/class/net/xeth2/ifindex)

ALL_CASES="dump live"

# DUMP_FIBINFO: what the kernel holds at the time
case_dump() {
	local fibdump
	$SB xm0 >/tmp/fib.jsonl <<-'SCRIPT'
	connect
	dump
	mark fib
	fibdump
	close
	SCRIPT
	fibdump=$(sed -n '/"mark":"fib"/,$p' /tmp/fib.jsonl | grep -v '"mark"')
	jf() { jq -s -r "$1" <<<"$fibdump"; }
	check_eq "fib dump: NETNS_ADD of the initial namespace first" 'NETNS_ADD 1' "$(jf '.[0] | "\(.kind) \(.net)"')"
	check_eq "fib dump: the static route, REPLACE in main via xeth1" "0 254 1 $ifx1 192.0.2.2" \
		"$(jf '.[] | select(.prefix == "203.0.113.0/24") | "\(.event) \(.table) \(.type) \(.nh[0].ifindex) \(.nh[0].gw)"')"
	check_eq "fib dump: the local route of the address (table 255, RTN_LOCAL)" '255 2' \
		"$(jf '.[] | select(.kind == "FIBENTRY" and .prefix == "192.0.2.1/32") | "\(.table) \(.type)"')"
	check_eq "fib dump: the connected IPv6 prefix" "$ifx1" \
		"$(jf '.[] | select(.kind == "FIB6ENTRY" and .prefix == "2001:db8::/64") | .nh[0].ifindex')"
	check_eq "fib dump: the permanent neighbour, then BREAK" "$ifx1 2 02:00:00:00:00:02 BREAK" \
		"$(jf '[.[] | select(.kind == "NEIGH_UPDATE" or .kind == "BREAK")] | "\(.[0].ifindex) \(.[0].family) \(.[0].lladdr) \(.[-1].kind)"')"
}

# live updates after the dump, each change read before the next (the
# ports get carrier first: a nexthop object refuses a device without)
case_live() {
	local live ns1
	$SB xm0 >/tmp/live.jsonl <<-'SCRIPT'
	connect
	dump
	fibdump
	mark live
	sh ip route add 198.18.0.0/15 nexthop via 192.0.2.2 dev xeth1 weight 1 nexthop via 192.0.3.2 dev xeth2 weight 3
	read 0.5
	sh ip route del 203.0.113.0/24
	read 0.5
	sh ip -6 route add 2001:db8:1::/48 via 2001:db8::2 dev xeth1
	read 0.5
	sh ip -6 route add 2001:db8:2::/48 nexthop via 2001:db8::2 dev xeth1 nexthop via 2001:db8:3::2 dev xeth2
	read 0.5
	carrier 7 1
	carrier 8 1
	sh ip nexthop add id 61 via 2001:db8::2 dev xeth1 && ip nexthop add id 62 via 2001:db8:3::2 dev xeth2 && ip nexthop add id 60 group 61/62 && ip -6 route add 2001:db8:60::/48 nhid 60
	read 0.5
	sh ip nexthop add id 41 via 192.0.2.2 dev xeth1 && ip nexthop add id 42 via 192.0.3.2 dev xeth2 && ip nexthop add id 40 group 41/42 && ip route add 198.51.100.0/24 nhid 40
	read 0.5
	sh ip link add vrf1 type vrf table 10 && ip link set vrf1 up && ip route add 100.64.0.0/10 via 192.0.2.2 dev xeth1 table 10
	read 0.5
	sh ip neigh add 192.0.2.9 lladdr 02:00:00:00:00:09 dev xeth1 nud permanent
	read 0.5
	sh ip neigh del 192.0.2.9 dev xeth1
	read 0.5
	sh ip -6 neigh add 2001:db8::9 lladdr 02:00:00:00:00:66 dev xeth1 nud permanent
	read 0.5
	sh ip netns add ns1 && ip link set xeth2 netns ns1
	read 0.5
	sh ip -n ns1 link set xeth2 netns 1
	read 0.5
	close
	SCRIPT

	live=$(sed -n '/"mark":"live"/,$p' /tmp/live.jsonl)
	jl() { jq -s -r "$1" <<<"$live"; }
	check_eq "live: IPv4 multipath with weights" "2 $ifx1:1 $ifx2:3" \
		"$(jl '[.[] | select(.prefix == "198.18.0.0/15")][0] | "\(.nh | length) \(.nh | map("\(.ifindex):\(.weight)") | join(" "))"')"
	check_eq "live: a deleted route is event 3 (DEL)" 3 \
		"$(jl '[.[] | select(.prefix == "203.0.113.0/24")][-1].event')"
	check_eq "live: IPv6 route via xeth1" "254 $ifx1 2001:db8::2" \
		"$(jl '[.[] | select(.prefix == "2001:db8:1::/48")][0] | "\(.table) \(.nh[0].ifindex) \(.nh[0].gw)"')"
	check_eq "live: IPv6 multipath carries its sibling" "$ifx1 $ifx2" \
		"$(jl '[.[] | select(.prefix == "2001:db8:2::/48") | select((.nh | length) == 2)][0] | .nh | map(.ifindex) | join(" ")')"
	# routes on nexthop objects, as FRR's zebra installs them
	check_eq "live: an IPv6 route on a nexthop group has a hop per member" \
		"$ifx1 2001:db8::2 $ifx2 2001:db8:3::2" \
		"$(jl '[.[] | select(.prefix == "2001:db8:60::/48")][-1] | .nh | map("\(.ifindex) \(.gw)") | join(" ")')"
	check_eq "live: so has an IPv4 one" "$ifx1 192.0.2.2 $ifx2 192.0.3.2" \
		"$(jl '[.[] | select(.prefix == "198.51.100.0/24")][-1] | .nh | map("\(.ifindex) \(.gw)") | join(" ")')"
	check_eq "live: a VRF table's route" 10 \
		"$(jl '[.[] | select(.prefix == "100.64.0.0/10")][0].table')"
	check_eq "live: neighbour added, then deleted (zero lladdr)" '02:00:00:00:00:09 00:00:00:00:00:00' \
		"$(jl '[.[] | select(.kind == "NEIGH_UPDATE" and .dst == "192.0.2.9") | .lladdr] | "\(.[0]) \(.[-1])"')"
	check_eq "live: an IPv6 neighbour" '10 02:00:00:00:00:66' \
		"$(jl '[.[] | select(.kind == "NEIGH_UPDATE" and .dst == "2001:db8::9")][0] | "\(.family) \(.lladdr)"')"
	ns1=$(ip netns exec ns1 stat -L -c %i /proc/self/ns/net)
	check_eq "live: a proxy entering ns1 adds it, leaving withdraws it" "NETNS_ADD $ns1 NETNS_DEL $ns1" \
		"$(jl '[.[] | select(.kind == "NETNS_ADD" or .kind == "NETNS_DEL") | "\(.kind) \(.net)"] | join(" ")')"
	check_eq "no EOF" 0 "$(grep -c '"eof"' /tmp/live.jsonl)"
}

run_cases
finish
