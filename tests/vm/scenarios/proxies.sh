#!/bin/bash
# Every proxy kind: create with the real iproute2, show (ip -d -j), delete,
# and each rejected request's extack message.
. "$(dirname "$0")/../lib.sh"

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
modprobe veth
modprobe bridge
modprobe macvlan

info() { # info DEV KEY: a field of the device's ip -d -j link show
	ip -d -j link show "$1" | jq -r ".[0].$2"
}

# expect_error DESCRIPTION MESSAGE CMD...: CMD fails and ip prints MESSAGE
expect_error() {
	local desc=$1 msg=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		not_ok "$desc" "command unexpectedly succeeded: $*"
	elif grep -qF "$msg" <<<"$out"; then
		ok "$desc"
	else
		not_ok "$desc" "expected: $msg" "got: $out"
	fi
}

ip link add xm0 type xeth-mux
ip link set xm0 up

ALL_CASES="ports vlans loopback lag bridge muxes lowers teardown"

case_ports() {
	check "port with an allocated xid" ip link add xeth1 link xm0 type xeth-port
	check_eq "the first allocated port xid is 3999" 3999 "$(info xeth1 linkinfo.info_data.xid)"
	check "port with a given xid" ip link add xeth2 link xm0 type xeth-port xid 7
	check_eq "given xid shows" 7 "$(info xeth2 linkinfo.info_data.xid)"
	check "a third port" ip link add xeth3 link xm0 type xeth-port
	check_eq "allocation goes downward" 3998 "$(info xeth3 linkinfo.info_data.xid)"
	# The mux and the proxies queue to a lower link and need no transmit
	# lock of their own (lockdep: recursive _xmit_ETHER). ethtool shows it
	# before 6.12; from 6.12 it is dev->lltx, which it does not show.
	if ethtool -k xm0 | grep -q '^tx-lockless:'; then
		check_eq "the mux transmits without a lock of its own" "on [fixed]" \
			"$(ethtool -k xm0 | sed -n 's/^tx-lockless: //p')"
		check_eq "so does a port" "on [fixed]" \
			"$(ethtool -k xeth1 | sed -n 's/^tx-lockless: //p')"
	fi
	ip link set xeth1 up
	check_eq "ports start without carrier" NO-CARRIER \
		"$(ip -j link show xeth1 | jq -r '.[0].flags[] | select(. == "NO-CARRIER")')"
	check_eq "a port's link is its mux" xm0 "$(info xeth1 link)"
	expect_error "duplicate xid" "xid is already used on this mux" \
		ip link add xeth9 link xm0 type xeth-port xid 7
	expect_error "xid 0" "xid out of range: 1-4094 with vlan encap" \
		ip link add xeth9 link xm0 type xeth-port xid 0
	expect_error "xid 4095" "xid out of range: 1-4094 with vlan encap" \
		ip link add xeth9 link xm0 type xeth-port xid 4095
	expect_error "port without a mux" "an xeth-port needs its mux: link MUX" \
		ip link add xeth9 type xeth-port
	expect_error "port on a non-mux" "the link of an xeth-port must be an xeth-mux" \
		ip link add xeth9 link lo type xeth-port
	expect_error "port on a port" "the link of an xeth-port must be an xeth-mux" \
		ip link add xeth9 link xeth1 type xeth-port
	check_fails "no xeth9 was left behind" ip link show xeth9
}

case_vlans() {
	needs ports
	check "vlan with the vid from its name" ip link add xeth1.100 link xeth1 type xeth-vlan
	check_eq "vid from the name" 100 "$(info xeth1.100 linkinfo.info_data.vid)"
	check "vlan with a given vid" ip link add v200 link xeth2 type xeth-vlan vid 200
	check_eq "given vid" 200 "$(info v200 linkinfo.info_data.vid)"
	expect_error "vlan without a vid" "no vid: give vid VID or name the device NAME.VID" \
		ip link add vnone link xeth1 type xeth-vlan
	expect_error "vid 4095 from the name" "no vid: give vid VID or name the device NAME.VID" \
		ip link add xeth1.4095 link xeth1 type xeth-vlan
	expect_error "duplicate vid on a port" "xid is already used on this mux" \
		ip link add v100 link xeth1 type xeth-vlan vid 100
	expect_error "vlan on the mux" "the link of an xeth-vlan must be an xeth-port or xeth-lag" \
		ip link add v300 link xm0 type xeth-vlan vid 300
	expect_error "vlan on a vlan" "the link of an xeth-vlan must be an xeth-port or xeth-lag" \
		ip link add v301 link xeth1.100 type xeth-vlan vid 301
}

case_loopback() {
	needs ports
	check "loopback with a channel" ip link add lb1 link xm0 type xeth-loopback channel 3
	check_eq "channel shows" 3 "$(info lb1 linkinfo.info_data.channel)"
	expect_error "loopback on a port" "the link of an xeth-loopback must be an xeth-mux" \
		ip link add lb2 link xeth1 type xeth-loopback
}

case_lag() {
	needs vlans
	check "lag with its first member" ip link add lag1 link xeth2 type xeth-lag
	check_eq "the member's master is the lag" lag1 "$(info xeth2 master)"
	check_fails "a lag has members, not a link (ip shows no @NONE)" \
		bash -c 'ip link show lag1 | grep -q "lag1@NONE"'
	check "ip shows a port's link" bash -c 'ip link show xeth2 | grep -q "xeth2@xm0"'
	check "a second member joins with master" ip link set xeth3 master lag1
	check_eq "second member's master" lag1 "$(info xeth3 master)"
	expect_error "a vlan cannot join a lag" "an xeth-lag takes only xeth-port members" \
		ip link set xeth1.100 master lag1
	expect_error "a port cannot take members" "only an xeth-lag or xeth-bridge takes members" \
		ip link set xeth3 master xeth1
	check "a vlan on the lag" ip link add lag1.5 link lag1 type xeth-vlan
}

case_bridge() {
	needs lag
	check "bridge with a vlan as first member" ip link add br1 link xeth1.100 type xeth-bridge
	check "the lag joins the bridge" ip link set lag1 master br1
	check_eq "lag's master is the bridge" br1 "$(info lag1 master)"
	expect_error "a member already enslaved" "the member is already enslaved to a master" \
		ip link add br2 link lag1 type xeth-bridge
	expect_error "the mux cannot join a bridge" "only xeth proxies can be members" \
		ip link set xm0 master br1
}

# a second mux's proxies cannot mix with the first's
case_muxes() {
	needs bridge
	ip link add xm1 type xeth-mux
	ip link add xeth10 link xm1 type xeth-port xid 7
	check "the same xid on another mux is fine" ip link show xeth10
	expect_error "members of different muxes" "the member belongs to a different mux" \
		ip link set xeth10 master br1
}

# lower-link errors of the mux
case_lowers() {
	needs muxes
	ip link add v0 type veth peer name v1
	expect_error "a mux cannot sit on another mux" "an xeth device cannot be a lower link of a mux" \
		ip link set xm1 master xm0
	check "a veth becomes a lower link" ip link set v0 master xm0
	check_eq "the veth's master is the mux" xm0 "$(info v0 master)"
	ip link add v2 type veth peer name v3
	ip link add brx type bridge
	ip link set v2 master brx
	expect_error "a lower already in a Linux bridge" "the lower link is already enslaved to another master" \
		ip link add xm2 link v2 type xeth-mux
	check_fails "no xm2 was left behind" ip link show xm2
	ip link add v4 type veth peer name v5
	ip link add mv0 link v4 type macvlan
	expect_error "a lower with a macvlan on it" "the lower link is in use" \
		ip link add xm2 link v4 type xeth-mux
	expect_error "a loopback lower" "a mux's lower link must be an Ethernet device" \
		ip link add xm2 link lo type xeth-mux
	check "the lower leaves with nomaster" ip link set v0 nomaster
	check_eq "v0 has no master" null "$(info v0 master)"
}

# teardown orders
case_teardown() {
	needs loopback muxes
	check "delete a lag member" ip link del xeth3
	check_eq "the lag keeps its other member" lag1 "$(info xeth2 master)"
	check "delete the lag" ip link del lag1
	check_fails "its vlan went with it" ip link show lag1.5
	check_eq "its member is free" null "$(info xeth2 master)"
	check "delete a port" ip link del xeth1
	check_fails "its vlan went with it" ip link show xeth1.100
	check "the bridge remains without members" ip link show br1
	check "delete the mux with proxies" ip link del xm0
	for d in xeth2 v200 lb1 br1; do
		check_fails "$d went with its mux" ip link show "$d"
	done
	check "xm1's port is untouched" ip link show xeth10
	check "rmmod with a mux and a port configured" rmmod xeth
	check_fails "xeth10 went with the module" ip link show xeth10
}

run_cases
finish
