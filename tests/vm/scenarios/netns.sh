#!/bin/bash
# Namespace moves, MTU and admin state of proxies; a namespace that holds
# proxies going away; rmmod with proxies spread over namespaces.
. "$(dirname "$0")/../lib.sh"

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
ip link add xm0 type xeth-mux
ip link set xm0 up
ip link add xeth1 link xm0 type xeth-port xid 1
ip link add xeth2 link xm0 type xeth-port xid 2
ip link add xeth2.7 link xeth2 type xeth-vlan
ip link add lb0 link xm0 type xeth-loopback

ALL_CASES="mtu_admin moves netns_gone mux_gone rmmod"

case_mtu_admin() {
	check "mtu 9000 on a port" ip link set xeth1 mtu 9000
	check_eq "mtu reads back" 9000 "$(ip -j link show xeth1 | jq -r '.[0].mtu')"
	check_fails "mtu 67 is below the minimum" ip link set xeth1 mtu 67
	check "admin up" ip link set xeth1 up
	check_eq "up and waiting for carrier" "UP NO-CARRIER" \
		"$(ip -j link show xeth1 | jq -r '[.[0].flags[] | select(. == "UP" or . == "NO-CARRIER")] | sort | reverse | join(" ")')"
	check "admin down" ip link set xeth1 down
}

case_moves() {
	ip netns add ns1
	ip netns add ns2
	check "move a port into ns1" ip link set xeth1 netns ns1
	check_fails "it left the initial namespace" ip link show xeth1
	check "it is in ns1" ip -n ns1 link show xeth1
	check "its kind and xid survive the move" \
		bash -c '[ "$(ip -n ns1 -d -j link show xeth1 | jq -r ".[0].linkinfo.info_data.xid")" = 1 ]'
	check "an address in ns1" ip -n ns1 addr add 192.0.2.1/24 dev xeth1
	check "up in ns1" ip -n ns1 link set xeth1 up
	check "move a vlan into ns2 while its port stays" ip link set xeth2.7 netns ns2
	check "the vlan works in ns2" ip -n ns2 link set xeth2.7 up
	check "move the port back" ip -n ns1 link set xeth1 netns 1
	check "the port is home" ip link show xeth1
	check "move it to ns1 again" ip link set xeth1 netns ns1
}

# a namespace that goes away: ports return home (like physical ports),
# vlans are deleted with it
case_netns_gone() {
	needs moves # a port in ns1, a vlan in ns2
	check "delete ns1 holding a port" ip netns del ns1
	check "delete ns2 holding a vlan" ip netns del ns2
	# netns cleanup runs in a workqueue
	check "the port came back to the initial namespace" wait_for 10 ip link show xeth1
	no_vlan() { ip -d -j link show type xeth-vlan | jq -e "length == 0"; }
	check "the vlan went with its namespace" wait_for 10 no_vlan
	check "the lower port of that vlan is still here" ip link show xeth2
}

# delete the mux while a proxy lives in another namespace
case_mux_gone() {
	ip netns add ns3
	ip link set lb0 netns ns3
	check "delete the mux with a proxy in ns3" ip link del xm0
	check_fails "the proxy in ns3 went with its mux" ip -n ns3 link show lb0
	ip netns del ns3
}

# rmmod with proxies spread over namespaces
case_rmmod() {
	ip netns add ns4
	ip link add xm1 type xeth-mux
	ip link add xeth5 link xm1 type xeth-port
	ip link add xeth5.9 link xeth5 type xeth-vlan
	ip link set xeth5 netns ns4
	check "rmmod with a port in another namespace" rmmod xeth
	check_fails "ns4 has no port left" ip -n ns4 link show xeth5
	ip netns del ns4
}

run_cases
finish
