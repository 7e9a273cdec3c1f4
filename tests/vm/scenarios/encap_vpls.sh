#!/bin/bash
# vpls encapsulation on a link-less mux, byte for byte: each proxy kind's
# transmit as the daemon's raw socket on the mux reads it (outer Ethernet
# header, MPLS label stack, the proxy's frame), what each kind receives from
# an exception (first label TC 7), and where frames that cannot be delivered
# are counted (include/uapi/linux/xeth.h, enum xeth_encap).
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../lib_frames.sh"

# --- the proxies ------------------------------------------------------------

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
# skb priorities are counted by tc filters (prio_count)
modprobe -a sch_ingress cls_basic em_meta act_gact
modprobe 8021q
# no IPv6 autoconfiguration chatter in the captures
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

check "ip link add xm0 type xeth-mux encap vpls" ip link add xm0 type xeth-mux encap vpls
# MPLS reserves labels 0-15; a label has 20 bits
check_fails "xid 15 is refused with vpls" ip link add xeth9 link xm0 type xeth-port xid 15
check_fails "xid 1048576 (21 bits) is refused" ip link add xeth9 link xm0 type xeth-port xid 1048576
check_fails "nothing was left behind" ip link show xeth9
check "a port with xid 16, the smallest" ip link add xeth6 link xm0 type xeth-port xid 16
check "a port with xid 70000, beyond 12 bits" ip link add xeth1 link xm0 type xeth-port xid 70000
check "a port with an allocated xid" ip link add xeth2 link xm0 type xeth-port
check "a second allocated port" ip link add xeth3 link xm0 type xeth-port
check "a third allocated port" ip link add xeth4 link xm0 type xeth-port
check "a fourth allocated port" ip link add xeth5 link xm0 type xeth-port
check "an xeth-vlan on xeth1, vid 100 from its name" \
	ip link add xeth1.100 link xeth1 type xeth-vlan
check "a lag on xeth3" ip link add lag1 link xeth3 type xeth-lag
check "xeth4 joins the lag" ip link set xeth4 master lag1
check "an xeth-vlan with vid 200 on the lag" \
	ip link add lag1.v link lag1 type xeth-vlan vid 200
check "a bridge on xeth5" ip link add br1 link xeth5 type xeth-bridge
check "a loopback on channel 2" ip link add lo1 link xm0 type xeth-loopback channel 2
check "Linux's own 802.1Q vlan 5 on the loopback" \
	ip link add link lo1 name lo1.5 type vlan id 5
check_eq "port xids: given ones kept, allocated ones count down from 3999" \
	"xeth1=70000 xeth2=3999 xeth3=3998 xeth4=3997 xeth5=3996 xeth6=16" \
	"$(ip -d -j link show | jq -r '[.[] | select(.ifname | test("^xeth[0-9]$")) | "\(.ifname)=\(.linkinfo.info_data.xid)"] | sort | join(" ")')"
check "every link up" ip -batch - <<EOT
link set xm0 up
link set xeth1 up
link set xeth2 up
link set xeth3 up
link set xeth4 up
link set xeth5 up
link set xeth6 up
link set xeth1.100 up
link set lag1 up
link set lag1.v up
link set br1 up
link set lo1 up
link set lo1.5 up
EOT

# label LABEL TC S [TTL]: one label stack entry, label << 12 | TC << 9 |
# S << 8 | TTL (64 unless given)
label() { printf '%08x' $((($1 << 12) | ($2 << 9) | ($3 << 8) | ${4:-64})); }
# the label stacks; a vlan proxy's xid is its lower's | vid << 20, and its
# frames carry the lower's xid, then the vid with S set
declare -A LABELS=(
	[xeth6]=$(label 16 0 1)
	[xeth1]=$(label 70000 0 1)
	[xeth2]=$(label 3999 0 1)
	[xeth1.100]=$(label 70000 0 0)$(label 100 0 1)
	[lag1]=$(label 3000 0 1)
	[lag1.v]=$(label 3000 0 0)$(label 200 0 1)
	[br1]=$(label 3001 0 1)
	[lo1]=$(label 3002 0 1)
	[lo1.5]=$(label 3002 0 1)
)
MPLS=8847
DST=02000000fe01  # a station behind the switch
PEER=02000000fe02 # the source of frames coming from the switch
OUTER_SRC=02000000fe03 # the switch's own address, on the exceptions' outer header
ETYPE=88b5        # local experimental: no protocol handler in the way
declare -A MAC LB
for d in xm0 xeth6 xeth1 xeth2 xeth1.100 lag1 lag1.v br1 lo1 lo1.5; do MAC[$d]=$(mac_of "$d"); done

# --- proxy transmit on a link-less mux --------------------------------------
# Each proxy sends one frame; the daemon's raw socket on the mux reads it as
# outgoing: the frame's own addresses, 0x8847, the labels, the whole frame.

TX="xeth6 xeth1 xeth2 xeth1.100 lag1 lag1.v br1 lo1 lo1.5"
# tx_pass WHEN [--via-qdisc]: every proxy in TX sends a frame; check what the
# mux taps see and how the counters move
tx_pass() {
	local when=$1 d args=() before inner
	shift
	for d in $TX; do args+=("$d" "$DST${MAC[$d]}$ETYPE$(payload "$when: tx from $d")"); done
	before=$(mux_counters)
	snap LB $TX
	cap_start xm0 --outgoing-only
	check "$when: every proxy transmits a frame ${1:-(raw sockets)}" rs send "$@" "${args[@]}"
	cap_stop
	for d in $TX; do
		inner="$DST ${MAC[$d]} $ETYPE $(payload "$when: tx from $d")"
		[ "$d" = lo1.5 ] && inner="$DST ${MAC[$d]} 81000005 $ETYPE $(payload "$when: tx from $d")" # Linux's tag
		check_eq "$when: $d's frame reaches the mux taps behind labels ${LABELS[$d]}" \
			"4 $(hx "$DST ${MAC[$d]} $MPLS ${LABELS[$d]} $inner")" \
			"$(frames_with "$(payload "$when: tx from $d")")"
	done
	check_eq "$when: the mux taps see 9 frames, no more" 9 "$(cap_count)"
	check_eq "$when: ethtool -S xm0: tx-to-daemon +9, nothing else" "tx-to-daemon=+9" \
		"$(delta "$before" "$(mux_counters)")"
	for d in xeth6 xeth1 xeth2 xeth1.100 lag1 lag1.v br1; do
		check_eq "$when: $d counts its transmit: 1 packet, 60 bytes" \
			"tx_packets=+1 tx_bytes=+60" "$(ldelta "$d")"
	done
	check_eq "$when: lo1 counts its frame and lo1.5's (64 bytes with Linux's tag)" \
		"tx_packets=+2 tx_bytes=+124" "$(ldelta lo1)"
}

# Ports start without carrier, and so do the vlans on them and the lag and
# bridge of them: they drop what they are given, like a port without link.
nocarrier_pass xm0 xeth1 xeth2 xeth1.100 lag1 lag1.v br1

# The same with a daemon connected that gave the ports carrier: through the
# driver, then through the qdisc as the stack sends.
CARRIED="xeth6 xeth1 xeth2 xeth3 xeth4 xeth5 xeth1.100 lag1 lag1.v br1"
check "a daemon connects and reports carrier on the ports" \
	rs daemon-carrier xm0 16 70000 3999 3998 3997 3996
wait_up $CARRIED
check_eq "ports, vlans, lag and bridge are up" "${CARRIED// /=up }=up" "$(operstates $CARRIED)"
tx_pass "carrier"
tx_pass "carrier, qdisc" --via-qdisc
check "the daemon disconnects" rs daemon-close

# --- exceptions ---------------------------------------------------------------
# The daemon writes the proxy's frame behind an outer header and the label
# stack, TC 7 on the first label; the proxy receives the inner frame alone.

EXC="xeth6 xeth1 xeth2 xeth1.100 lag1 lag1.v br1 lo1"
declare -A EXC_LABELS=(
	[xeth6]=$(label 16 7 1)
	[xeth1]=$(label 70000 7 1)
	[xeth2]=$(label 3999 7 1 0) # TTL 0: the TTL is ignored
	[xeth1.100]=$(label 70000 7 0)$(label 100 0 1)
	[lag1]=$(label 3000 7 1)
	[lag1.v]=$(label 3000 7 0)$(label 200 0 1)
	[br1]=$(label 3001 7 1)
	[lo1]=$(label 3002 7 1)
)
args=()
for d in $EXC; do
	args+=(xm0 "${MAC[xm0]}$OUTER_SRC$MPLS${EXC_LABELS[$d]}${MAC[$d]}$PEER$ETYPE$(payload "exception to $d")")
done
# and one with an 802.1Q tag in the inner frame: lo1 receives it tagged,
# Linux's vlan 5 on lo1 untagged
args+=(xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 3002 7 1)${MAC[lo1]}${PEER}81000005$ETYPE$(payload "exception to lo1.5")")
before=$(mux_counters)
snap LB $EXC
cap_start $EXC lo1.5 --incoming-only
check "the daemon writes 9 exceptions to xm0" rs send "${args[@]}"
cap_stop
for d in $EXC; do
	exp="0 $(hx "${MAC[$d]} $PEER $ETYPE $(payload "exception to $d")")"
	[ "$d" = lo1 ] && exp+=$'\n'"0 $(hx "${MAC[lo1]} $PEER 81000005 $ETYPE $(payload "exception to lo1.5")")"
	check_eq "$d receives exactly its exceptions, outer header and ${EXC_LABELS[$d]} stripped" \
		"$exp" "$(frames_on "$d")"
done
check_eq "lo1.5 receives the inner frame untagged" \
	"0 $(hx "${MAC[lo1]} $PEER $ETYPE $(payload "exception to lo1.5")")" "$(frames_on lo1.5)"
check_eq "ethtool -S xm0: rx-exceptions +9, nothing else" "rx-exceptions=+9" \
	"$(delta "$before" "$(mux_counters)")"
for d in xeth6 xeth1 xeth2 xeth1.100 lag1 lag1.v br1; do
	check_eq "$d counts the exception: 1 packet, 60 bytes" "rx_packets=+1 rx_bytes=+60" "$(ldelta "$d")"
done
check_eq "lo1 counts both of its frames (60 + 64 bytes)" "rx_packets=+2 rx_bytes=+124" "$(ldelta lo1)"

# The mark's TC becomes the frame's priority: the first label's for a vlan.
check "count xeth1's frames by priority" prio_count xeth1
check "count xeth1.100's frames by priority" prio_count xeth1.100
check "the daemon writes an exception to xeth1, and one with TC 5 on the vid to xeth1.100" rs send \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 70000 7 1)${MAC[xeth1]}$PEER$ETYPE$(payload "priority")" \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 70000 7 0)$(label 100 5 1)${MAC[xeth1.100]}$PEER$ETYPE$(payload "priority")"
check_eq "xeth1: priority 7" "7=1" "$(prio_hits xeth1)"
check_eq "xeth1.100: priority 7, the first label's" "7=1" "$(prio_hits xeth1.100)"
check "stop counting" tc -batch - <<EOT
qdisc del dev xeth1 clsact
qdisc del dev xeth1.100 clsact
EOT

# Written through the qdisc while the daemon's tap on xm0 is open, the
# exception's data is shared with the tap's copy: stripping the labels must
# not show in what the tap holds.
cap_start xm0 xeth1.100
check "the daemon writes an exception through xm0's qdisc" rs send --via-qdisc \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS${EXC_LABELS[xeth1.100]}${MAC[xeth1.100]}$PEER$ETYPE$(payload "shared exception")"
cap_stop
check_eq "the tap on xm0 holds the frame as written" \
	"4 $(hx "${MAC[xm0]} $OUTER_SRC $MPLS ${EXC_LABELS[xeth1.100]} ${MAC[xeth1.100]} $PEER $ETYPE $(payload "shared exception")")" \
	"$(frames_on xm0)"
check_eq "xeth1.100 receives it stripped" \
	"0 $(hx "${MAC[xeth1.100]} $PEER $ETYPE $(payload "shared exception")")" "$(frames_on xeth1.100)"

# --- frames that cannot be delivered ----------------------------------------

# No proxy has xid 99, nor 70000 | 200 << 20 (xeth1 has no vlan 200).
before=$(mux_counters)
snap LB $EXC xm0
nh_json=$(ip -s -s -j link show xm0 | jq '.[0].stats64.rx.nohandler')
cap_start $EXC --incoming-only
check "the daemon writes exceptions for xids that nobody has" rs send \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 99 7 1)${MAC[xeth1]}$PEER$ETYPE$(payload "xid 99")" \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 70000 7 0)$(label 200 0 1)${MAC[xeth1]}$PEER$ETYPE$(payload "xid 70000 vid 200")"
cap_stop
check_eq "no proxy receives them" "" "$CAP"
check_eq "ethtool -S xm0: rx-nohandler +2 (both came as exceptions)" \
	"rx-exceptions=+2 rx-nohandler=+2" "$(delta "$before" "$(mux_counters)")"
check_eq "ip -s -s -j link show xm0: stats64.rx.nohandler +2" $((nh_json + 2)) \
	"$(ip -s -s -j link show xm0 | jq '.[0].stats64.rx.nohandler')"
for d in $EXC; do check_eq "$d: counters unchanged" none "$(ldelta "$d")"; done

# Frames without the mark: nowhere to go without a lower link.
before=$(mux_counters)
snap LB xm0 xeth1 xeth1.100
check "the daemon writes 5 unmarked frames to the link-less mux" rs send \
	xm0 "${MAC[xeth1]}$PEER$ETYPE$(payload "no labels")" \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 70000 0 1)${MAC[xeth1]}$PEER$ETYPE$(payload "tc 0")" \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 70000 6 1)${MAC[xeth1]}$PEER$ETYPE$(payload "tc 6")" \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 70000 0 0)$(label 100 7 1)${MAC[xeth1.100]}$PEER$ETYPE$(payload "tc 7 on the second label")" \
	xm0 "${MAC[xeth1]}${PEER}8100$(printf %04x $(((7 << 13) | 7)))$ETYPE$(payload "an 802.1Q pcp 7 tag")"
check_eq "ethtool -S xm0: tx-no-path +5, nothing else" "tx-no-path=+5" \
	"$(delta "$before" "$(mux_counters)")"
check_eq "xm0 counts them as tx dropped" "tx_dropped=+5" "$(ldelta xm0)"
for d in xeth1 xeth1.100; do check_eq "$d received none of them" none "$(ldelta "$d")"; done

# A stack of three labels is not ours (an xid and a vid at most), TC 7 or not.
before=$(mux_counters)
check "the daemon writes TC 7 on a three-label stack" rs send \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 70000 7 0)$(label 100 0 0)$(label 5 0 1)${MAC[xeth1.100]}$PEER$ETYPE$(payload "three labels")"
d=$(delta "$before" "$(mux_counters)")
case $d in
"tx-no-path=+1" | "rx-bad-encap=+1") ok "it is dropped and counted once ($d)" ;;
*) not_ok "it is dropped and counted once as tx-no-path or rx-bad-encap" "counters: $d" ;;
esac
check_eq "xeth1.100 did not receive it" none "$(ldelta xeth1.100)"

# An admin-down proxy drops its exceptions.
check "ip link set lo1 down" ip link set lo1 down
before=$(mux_counters)
snap LB lo1
check "the daemon writes an exception for the down lo1" rs send \
	xm0 "${MAC[xm0]}$OUTER_SRC$MPLS$(label 3002 7 1)${MAC[lo1]}$PEER$ETYPE$(payload "to a down proxy")"
check_eq "ethtool -S xm0: rx-proxy-down +1" "rx-exceptions=+1 rx-proxy-down=+1" \
	"$(delta "$before" "$(mux_counters)")"
check_eq "lo1: rx dropped +1, nothing received" "rx_dropped=+1" "$(ldelta lo1)"
check "ip link set lo1 up" ip link set lo1 up

check "ip link del xm0 takes every proxy with it" ip link del xm0
check_eq "no xeth link is left" "" \
	"$(ip -d -j link show | jq -r '.[] | select(.linkinfo.info_kind // "" | startswith("xeth")) | .ifname')"
check "rmmod xeth" rmmod xeth
check_eq "the kernel log has no splat" "" \
	"$(dmesg | grep -E 'BUG|WARNING|Oops|general protection|refcount_t|is buggy|unregister_netdevice: waiting' || true)"
finish
