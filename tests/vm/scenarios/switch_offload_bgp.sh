#!/bin/bash
# FRR waits for the SWITCH: bgpd with `bgp suppress-fib-pending` and zebra
# with --asic-offload=notify_on_offload advertise a route learned from h1 to the downstream
# peer h2 only once the software SWITCH holds it (rt_offload, told to the
# kernel by SWITCHD through the fib-offload extension). With room for two
# of h1's four routes, h2 gets those two; a deletion makes room for a
# third, and h2 gets it then.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"
. "$(dirname "$0")/../lib_frr.sh"

sw_mux 1 2 || { not_ok "a link-less mux with ports 1 2"; finish; exit 1; }
# zebra learns the flags from notifications (RTM_NEWROUTE on every change)
sysctl -qw net.ipv4.fib_notify_on_flag_change=1 net.ipv6.fib_notify_on_flag_change=1
ip addr add 10.1.0.1/24 dev xeth1
ip addr add 10.2.0.1/24 dev xeth2
sw_host h1 s1 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
sw_host h2 s2 10.2.0.2/24 10.2.0.1 2001:db8:2::2/64 2001:db8:2::1
# a route that holds a place in the SWITCH until the case that frees it
ip route add 192.0.2.0/24 via 10.2.0.2 dev xeth2
BASE4=$(ip -j -4 route show table all | jq length)
sw_start --attach xeth1=s1 --attach xeth2=s2 --fib-capacity "ipv4=$((BASE4 + 2))"
SW_STARTED=$?

cat >/tmp/bgpd-sw.conf <<CONF
hostname sw
log file $FRR_DIR/sw/bgpd.log
router bgp 65001
 bgp router-id 10.1.0.1
 no bgp ebgp-requires-policy
 bgp suppress-fib-pending
 neighbor 10.1.0.2 remote-as 65002
 neighbor 10.2.0.2 remote-as 65003
CONF
{
	cat <<CONF
hostname h1
log file $FRR_DIR/h1/bgpd.log
router bgp 65002
 bgp router-id 10.1.0.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 10.1.0.1 remote-as 65001
 address-family ipv4 unicast
CONF
	frr_networks 4 4
	echo " exit-address-family"
} >/tmp/bgpd-h1.conf
cat >/tmp/bgpd-h2.conf <<CONF
hostname h2
log file $FRR_DIR/h2/bgpd.log
router bgp 65003
 bgp router-id 10.2.0.2
 no bgp ebgp-requires-policy
 neighbor 10.2.0.1 remote-as 65001
CONF

learned() { ip -4 route show proto bgp | wc -l; }
flagged() { # flagged FLAG: learned routes in the kernel with FLAG
	ip -j -4 route show proto bgp | jq "[.[] | select((.flags // []) | index(\"$1\"))] | length"
}
at_h2() { frr_pfx_rcvd h2 10.2.0.1 ipv4; }

ALL_CASES="start sessions pending freed"

case_start() {
	check_eq "SWITCHD starts with room for 2 routes more than Linux had" 0 "$SW_STARTED"
	check "SWITCHD asked for fib-offload" sw_wait 10 grep -q "asked @xm0 for extensions 0x2" /tmp/switchd.log
}

case_sessions() {
	needs start
	# notify_on_offload: zebra tells bgpd a route is installed only when
	# the kernel notifies it offloaded. The value is needed: Debian
	# bookworm's zebra (FRR 8.4.4) dies of SIGSEGV on a bare
	# --asic-offload.
	FRR_ZEBRA_ARGS=--asic-offload=notify_on_offload \
		check "FRR starts on the switch, zebra with --asic-offload=notify_on_offload" \
		frr_start sw - /tmp/bgpd-sw.conf
	check "FRR starts in h1 (4 networks)" frr_start h1 h1 /tmp/bgpd-h1.conf
	check "FRR starts in h2" frr_start h2 h2 /tmp/bgpd-h2.conf
	check "the session with h1 comes up" sw_wait 120 frr_established sw 10.1.0.2
	check "the session with h2 comes up" sw_wait 120 frr_established sw 10.2.0.2
}

case_pending() {
	needs sessions
	two() { [ "$(learned)" = 4 ] && [ "$(flagged rt_offload)" = 2 ] && [ "$(flagged rt_offload_failed)" = 2 ]; }
	check "the kernel holds h1's 4 routes: 2 offloaded, 2 offload_failed" sw_wait 120 two
	check "h2 gets the 2 offloaded ones" sw_wait 60 yields 2 at_h2
	# FRR must keep the other two back: give it time to get it wrong
	sleep "$(scaled 5)"
	check_eq "and still only those: the failed ones are not advertised" 2 "$(at_h2)"
}

case_freed() {
	needs pending
	ip route del 192.0.2.0/24
	three() { [ "$(flagged rt_offload)" = 3 ] && [ "$(flagged rt_offload_failed)" = 1 ]; }
	check "a deletion makes room: a third learned route is offloaded" sw_wait 60 three
	check "and h2 gets it" sw_wait 60 yields 3 at_h2
}

run_cases
if [ $_tap_fail -gt 0 ]; then
	ip route show proto bgp
	frr_vtysh sw "show bgp ipv4 unicast" | head -20
	tail -20 /tmp/switchd.log
fi
frr_stop h2
frr_stop h1
frr_stop sw
finish
