#!/bin/bash
# xeth-mux devices: create with the real iproute2, show, delete; rmmod with
# muxes present removes them.
. "$(dirname "$0")/../lib.sh"

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }

ALL_CASES="create address delete"

case_create() {
	local mac
	check "ip link add xm0 type xeth-mux" ip link add xm0 type xeth-mux
	check_eq "ip -d -j link shows kind xeth-mux" xeth-mux \
		"$(ip -d -j link show xm0 | jq -r '.[0].linkinfo.info_kind')"
	mac=$(ip -j link show xm0 | jq -r '.[0].address')
	check "the mux has a locally administered unicast MAC ($mac)" \
		bash -c "[[ $mac =~ ^.[26ae]: ]]"
	check "ip link set xm0 up" ip link set xm0 up
	check_eq "the mux is admin-up" UP \
		"$(ip -j link show xm0 | jq -r '.[0].flags | index("UP") | if . == null then "DOWN" else "UP" end')"
	check "mtu 9000 is accepted" ip link set xm0 mtu 9000
	check_eq "mtu reads back" 9000 "$(ip -j link show xm0 | jq -r '.[0].mtu')"
	check_fails "mtu 70000 is rejected" ip link set xm0 mtu 70000
}

case_address() {
	needs create
	check "a second mux with an explicit address" \
		ip link add xm1 address 02:00:00:00:00:42 type xeth-mux
	check_eq "the given address is used" 02:00:00:00:00:42 \
		"$(ip -j link show xm1 | jq -r '.[0].address')"
	check_fails "a multicast address is rejected" \
		ip link add xm2 address 01:00:00:00:00:42 type xeth-mux
	check_fails "a duplicate name is rejected" ip link add xm0 type xeth-mux
}

case_delete() {
	needs create address
	check "ip link del xm0" ip link del xm0
	check_fails "xm0 is gone" ip link show xm0
	check_eq "one mux left" xm1 "$(links_of_kind xeth-mux)"
	check "rmmod with a mux present" rmmod xeth
	check_eq "rmmod removed the remaining mux" "" "$(ip -j link show | jq -r '.[].ifname' | grep '^xm' || true)"
}

run_cases
finish
