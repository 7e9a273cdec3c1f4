#!/bin/bash
# l2-fwd-offload (NETIF_F_HW_L2FW_DOFFLOAD): every proxy kind has it on from
# the start, as a feature the user can change (not [fixed]); ethtool -K turns
# it off and on again, one device at a time.
. "$(dirname "$0")/../lib.sh"

# offload DEV: the l2-fwd-offload line of ethtool -k DEV, e.g. "on" or
# "off [fixed]"; "missing" when ethtool does not list the feature
offload() {
	local k v f out=missing
	while read -r k v f; do
		[ "$k" = l2-fwd-offload: ] && out="$v${f:+ $f}"
	done < <(ethtool -k "$1")
	echo "$out"
}

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }

check "ip link add xm0 type xeth-mux" ip link add xm0 type xeth-mux
check "the proxies: a port, a vlan, a lag, a bridge, a loopback" ip -batch - <<EOF
link add xeth1 link xm0 type xeth-port xid 7
link add xeth1.100 link xeth1 type xeth-vlan
link add xeth2 link xm0 type xeth-port
link add lag1 link xeth2 type xeth-lag
link add xeth3 link xm0 type xeth-port
link add br1 link xeth3 type xeth-bridge
link add lo1 link xm0 type xeth-loopback channel 1
EOF
PROXIES="xeth1 xeth1.100 xeth2 lag1 xeth3 br1 lo1"

ALL_CASES="defaults toggle new_proxies admin vpls unload"

case_defaults() {
	for d in $PROXIES; do
		check_eq "$d: l2-fwd-offload on by default, changeable" on "$(offload "$d")"
	done
}

# one device at a time
case_toggle() {
	local d o exp others
	for d in $PROXIES; do
		check "$d: ethtool -K l2-fwd-offload off" ethtool -K "$d" l2-fwd-offload off
		check_eq "$d: l2-fwd-offload is off" off "$(offload "$d")"
		exp= others=
		for o in $PROXIES; do
			[ "$o" = "$d" ] && continue
			exp+="${exp:+ }$o=on" others+="${others:+ }$o=$(offload "$o")"
		done
		check_eq "$d: every other proxy keeps it on" "$exp" "$others"
		check "$d: ethtool -K l2-fwd-offload on" ethtool -K "$d" l2-fwd-offload on
		check_eq "$d: l2-fwd-offload is on again" on "$(offload "$d")"
	done
}

# A proxy made under a lower that has it off starts with it on all the same.
case_new_proxies() {
	check "xeth1: ethtool -K l2-fwd-offload off" ethtool -K xeth1 l2-fwd-offload off
	check "a new xeth-vlan on xeth1" ip link add xeth1.200 link xeth1 type xeth-vlan
	check_eq "xeth1.200: on, whatever its lower says" on "$(offload xeth1.200)"
	check "a new port" ip link add xeth4 link xm0 type xeth-port
	check_eq "xeth4: on" on "$(offload xeth4)"
}

# Admin state does not touch it.
case_admin() {
	needs new_proxies # xeth1 has it off
	check "ip link set xeth1 up, then down" ip -batch - <<-EOF
	link set xeth1 up
	link set xeth1 down
	EOF
	check_eq "xeth1 keeps it off" off "$(offload xeth1)"
}

# And the same on a vpls mux.
case_vpls() {
	check "ip link add xm1 type xeth-mux encap vpls" ip link add xm1 type xeth-mux encap vpls
	check "a port and a vlan on xm1" ip -batch - <<-EOF
	link add xeth9 link xm1 type xeth-port xid 100
	link add xeth9.5 link xeth9 type xeth-vlan
	EOF
	check_eq "xeth9: on" on "$(offload xeth9)"
	check_eq "xeth9.5: on" on "$(offload xeth9.5)"
	check "xeth9.5: ethtool -K l2-fwd-offload off" ethtool -K xeth9.5 l2-fwd-offload off
	check_eq "xeth9.5: off" off "$(offload xeth9.5)"
}

case_unload() {
	needs vpls
	check "ip link del xm0" ip link del xm0
	check "ip link del xm1" ip link del xm1
	check "rmmod xeth" rmmod xeth
}

run_cases
finish
