#!/bin/bash
# vlan encapsulation on a link-less mux, byte for byte: what each proxy
# kind's transmit looks like to the daemon's raw socket on the mux, what
# each kind receives from an exception, and where frames that cannot be
# delivered are counted (include/uapi/linux/xeth.h, enum xeth_encap).
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../lib_frames.sh"

# --- the proxies ------------------------------------------------------------

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
# skb priorities are counted by tc filters (prio_count)
modprobe -a sch_ingress cls_basic em_meta act_gact
modprobe 8021q
# no IPv6 autoconfiguration chatter in the captures
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

check "ip link add xm0 type xeth-mux encap vlan" ip link add xm0 type xeth-mux encap vlan
check "a port with xid 7" ip link add xeth1 link xm0 type xeth-port xid 7
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
check_eq "allocated port xids count down from 3999" "xeth2=3999 xeth3=3998 xeth4=3997 xeth5=3996" \
	"$(ip -d -j link show | jq -r '[.[] | select(.ifname | test("^xeth[2-5]$")) | "\(.ifname)=\(.linkinfo.info_data.xid)"] | join(" ")')"
check "every link up" ip -batch - <<EOF
link set xm0 up
link set xeth1 up
link set xeth2 up
link set xeth3 up
link set xeth4 up
link set xeth5 up
link set xeth1.100 up
link set lag1 up
link set lag1.v up
link set br1 up
link set lo1 up
link set lo1.5 up
EOF

# xids in the tags: 7 given, 3999 allocated; lag, bridge and loopback count
# up from 3000 in the order they were made
vlan_tag() { printf '8100%04x' $((($1 << 13) | $2)); }                 # vlan_tag PCP VID
qinq_tags() { printf '88a8%04x8100%04x' $((($1 << 13) | $2)) "$3"; }   # qinq_tags PCP XID VID

DST=02000000fe01  # a station behind the switch
PEER=02000000fe02 # the source of frames coming from the switch
ETYPE=88b5        # local experimental: no protocol handler in the way
declare -A MAC LB
for d in xeth1 xeth2 xeth1.100 lag1 lag1.v br1 lo1 lo1.5; do MAC[$d]=$(mac_of "$d"); done

# --- proxy transmit on a link-less mux --------------------------------------
# Each proxy sends one frame; the daemon's raw socket on the mux reads it as
# outgoing, with the proxy's tags between the source and the ethertype.

TX="xeth1 xeth2 xeth1.100 lag1 lag1.v br1 lo1 lo1.5"
declare -A TX_TAGS=(
	[xeth1]=$(vlan_tag 0 7)
	[xeth2]=$(vlan_tag 0 3999)
	[xeth1.100]=$(qinq_tags 0 7 100)
	[lag1]=$(vlan_tag 0 3000)
	[lag1.v]=$(qinq_tags 0 3000 200)
	[br1]=$(vlan_tag 0 3001)
	[lo1]=$(vlan_tag 0 3002)
	[lo1.5]=$(vlan_tag 0 3002)$(vlan_tag 0 5) # ours outside Linux's
)
# tx_pass WHEN [--via-qdisc]: every proxy in TX sends a frame; check what the
# mux taps see and how the counters move
tx_pass() {
	local when=$1 d args=() before
	shift
	for d in $TX; do args+=("$d" "$DST${MAC[$d]}$ETYPE$(payload "$when: tx from $d")"); done
	before=$(mux_counters)
	snap LB $TX
	cap_start xm0 --outgoing-only
	check "$when: every proxy transmits a frame ${1:-(raw sockets)}" rs send "$@" "${args[@]}"
	cap_stop
	for d in $TX; do
		check_eq "$when: $d's frame reaches the mux taps with ${TX_TAGS[$d]} after the source" \
			"4 $(hx "$DST ${MAC[$d]} ${TX_TAGS[$d]} $ETYPE $(payload "$when: tx from $d")")" \
			"$(frames_with "$(payload "$when: tx from $d")")"
	done
	check_eq "$when: the mux taps see 8 frames, no more" 8 "$(cap_count)"
	check_eq "$when: ethtool -S xm0: tx-to-daemon +8, nothing else" "tx-to-daemon=+8" \
		"$(delta "$before" "$(mux_counters)")"
	for d in xeth1 xeth2 xeth1.100 lag1 lag1.v br1; do
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
CARRIED="xeth1 xeth2 xeth3 xeth4 xeth5 xeth1.100 lag1 lag1.v br1"
check "a daemon connects and reports carrier on the ports" \
	rs daemon-carrier xm0 7 3999 3998 3997 3996
wait_up $CARRIED
check_eq "ports, vlans, lag and bridge are up" "${CARRIED// /=up }=up" "$(operstates $CARRIED)"
tx_pass "carrier"
tx_pass "carrier, qdisc" --via-qdisc
check "the daemon disconnects" rs daemon-close

# The same through the qdisc, as the stack sends (lo1 has carrier).
cap_start xm0 --outgoing-only
check "lo1 transmits through its qdisc" rs send --via-qdisc \
	lo1 "$DST${MAC[lo1]}$ETYPE$(payload "qdisc tx from lo1")"
cap_stop
check_eq "the qdisc path gives the same encapsulation" \
	"4 $(hx "$DST ${MAC[lo1]} $(vlan_tag 0 3002) $ETYPE $(payload "qdisc tx from lo1")")" \
	"$(frames_on xm0)"

# --- exceptions ---------------------------------------------------------------
# The daemon writes a frame with the proxy's tags, outer PCP 7, to its raw
# socket on the mux; the proxy receives it without them.

EXC="xeth1 xeth2 xeth1.100 lag1 lag1.v br1 lo1"
declare -A EXC_TAGS=(
	[xeth1]=$(vlan_tag 7 7)
	[xeth2]=$(vlan_tag 7 3999)
	[xeth1.100]=$(qinq_tags 7 7 100)
	[lag1]=$(vlan_tag 7 3000)
	[lag1.v]=$(qinq_tags 7 3000 200)
	[br1]=$(vlan_tag 7 3001)
	[lo1]=$(vlan_tag 7 3002)
)
args=()
for d in $EXC; do args+=(xm0 "${MAC[$d]}$PEER${EXC_TAGS[$d]}$ETYPE$(payload "exception to $d")"); done
# and one with an 802.1Q tag of its own inside the mark: lo1 receives it
# tagged, Linux's vlan 5 on lo1 untagged
args+=(xm0 "${MAC[lo1]}$PEER$(vlan_tag 7 3002)$(vlan_tag 0 5)$ETYPE$(payload "exception to lo1.5")")
before=$(mux_counters)
snap LB $EXC
cap_start $EXC lo1.5 --incoming-only
check "the daemon writes 8 exceptions to xm0" rs send "${args[@]}"
cap_stop
for d in $EXC; do
	exp="0 $(hx "${MAC[$d]} $PEER $ETYPE $(payload "exception to $d")")"
	[ "$d" = lo1 ] && exp+=$'\n'"0 $(hx "${MAC[lo1]} $PEER $(vlan_tag 0 5) $ETYPE $(payload "exception to lo1.5")")"
	check_eq "$d receives exactly its exceptions, ${EXC_TAGS[$d]} stripped" "$exp" "$(frames_on "$d")"
done
check_eq "lo1.5 receives the inner frame untagged" \
	"0 $(hx "${MAC[lo1]} $PEER $ETYPE $(payload "exception to lo1.5")")" "$(frames_on lo1.5)"
check_eq "ethtool -S xm0: rx-exceptions +8, nothing else" "rx-exceptions=+8" \
	"$(delta "$before" "$(mux_counters)")"
for d in xeth1 xeth2 xeth1.100 lag1 lag1.v br1; do
	check_eq "$d counts the exception: 1 packet, 60 bytes" "rx_packets=+1 rx_bytes=+60" "$(ldelta "$d")"
done
check_eq "lo1 counts both of its frames (60 + 64 bytes)" "rx_packets=+2 rx_bytes=+124" "$(ldelta lo1)"

# The mark's PCP becomes the frame's priority: the outer tag's for a vlan.
check "count xeth1's frames by priority" prio_count xeth1
check "count xeth1.100's frames by priority" prio_count xeth1.100
check "the daemon writes an exception to xeth1, and one with inner PCP 5 to xeth1.100" rs send \
	xm0 "${MAC[xeth1]}$PEER$(vlan_tag 7 7)$ETYPE$(payload "priority")" \
	xm0 "${MAC[xeth1.100]}${PEER}88a8$(printf %04x $(((7 << 13) | 7)))8100$(printf %04x $(((5 << 13) | 100)))$ETYPE$(payload "priority")"
check_eq "xeth1: priority 7" "7=1" "$(prio_hits xeth1)"
check_eq "xeth1.100: priority 7, the outer tag's" "7=1" "$(prio_hits xeth1.100)"
check "stop counting" tc -batch - <<EOT
qdisc del dev xeth1 clsact
qdisc del dev xeth1.100 clsact
EOT

# Written through the qdisc while the daemon's tap on xm0 is open, the
# exception's data is shared with the tap's copy: stripping the mark must
# not show in what the tap holds.
cap_start xm0 xeth1.100
check "the daemon writes an exception through xm0's qdisc" rs send --via-qdisc \
	xm0 "${MAC[xeth1.100]}$PEER$(qinq_tags 7 7 100)$ETYPE$(payload "shared exception")"
cap_stop
check_eq "the tap on xm0 holds the frame as written" \
	"4 $(hx "${MAC[xeth1.100]} $PEER $(qinq_tags 7 7 100) $ETYPE $(payload "shared exception")")" \
	"$(frames_on xm0)"
check_eq "xeth1.100 receives it stripped" \
	"0 $(hx "${MAC[xeth1.100]} $PEER $ETYPE $(payload "shared exception")")" "$(frames_on xeth1.100)"

# --- frames that cannot be delivered ----------------------------------------

# No proxy has xid 99, nor 7 | 200 << 12 (xeth1 has no vlan 200).
before=$(mux_counters)
snap LB $EXC xm0
nh_json=$(ip -s -s -j link show xm0 | jq '.[0].stats64.rx.nohandler')
cap_start $EXC --incoming-only
check "the daemon writes exceptions for xids that nobody has" rs send \
	xm0 "${MAC[xeth1]}$PEER$(vlan_tag 7 99)$ETYPE$(payload "xid 99")" \
	xm0 "${MAC[xeth1]}$PEER$(qinq_tags 7 7 200)$ETYPE$(payload "xid 7 vid 200")"
cap_stop
check_eq "no proxy receives them" "" "$CAP"
check_eq "ethtool -S xm0: rx-nohandler +2 (both came as exceptions)" \
	"rx-exceptions=+2 rx-nohandler=+2" "$(delta "$before" "$(mux_counters)")"
check_eq "ip -s -s -j link show xm0: stats64.rx.nohandler +2" $((nh_json + 2)) \
	"$(ip -s -s -j link show xm0 | jq '.[0].stats64.rx.nohandler')"
for d in $EXC; do check_eq "$d: counters unchanged" none "$(ldelta "$d")"; done

# Unmarked frames: nowhere to go without a lower link.
before=$(mux_counters)
snap LB xm0 xeth1 xeth1.100
check "the daemon writes 4 unmarked frames to the link-less mux" rs send \
	xm0 "${MAC[xeth1]}$PEER$ETYPE$(payload "untagged")" \
	xm0 "${MAC[xeth1]}$PEER$(vlan_tag 0 7)$ETYPE$(payload "pcp 0")" \
	xm0 "${MAC[xeth1]}$PEER$(vlan_tag 6 7)$ETYPE$(payload "pcp 6")" \
	xm0 "${MAC[xeth1.100]}$PEER$(qinq_tags 0 7 100)$ETYPE$(payload "qinq, outer pcp 0")"
check_eq "ethtool -S xm0: tx-no-path +4, nothing else" "tx-no-path=+4" \
	"$(delta "$before" "$(mux_counters)")"
check_eq "xm0 counts them as tx dropped" "tx_dropped=+4" "$(ldelta xm0)"
for d in xeth1 xeth1.100; do check_eq "$d received none of them" none "$(ldelta "$d")"; done

# An admin-down proxy drops its exceptions.
check "ip link set lo1 down" ip link set lo1 down
before=$(mux_counters)
snap LB lo1
check "the daemon writes an exception for the down lo1" rs send \
	xm0 "${MAC[lo1]}$PEER$(vlan_tag 7 3002)$ETYPE$(payload "to a down proxy")"
check_eq "ethtool -S xm0: rx-proxy-down +1" "rx-exceptions=+1 rx-proxy-down=+1" \
	"$(delta "$before" "$(mux_counters)")"
check_eq "lo1: rx dropped +1, nothing received" "rx_dropped=+1" "$(ldelta lo1)"
check "ip link set lo1 up" ip link set lo1 up

# A down mux has no daemon to hand proxy frames to.
check "ip link set xm0 down" ip link set xm0 down
before=$(mux_counters)
check "lo1 transmits while the mux is down" rs send lo1 "$DST${MAC[lo1]}$ETYPE$(payload "mux down")"
check_eq "ethtool -S xm0: tx-no-path +1" "tx-no-path=+1" "$(delta "$before" "$(mux_counters)")"

check "ip link del xm0 takes every proxy with it" ip link del xm0
check_eq "no xeth link is left" "" \
	"$(ip -d -j link show | jq -r '.[] | select(.linkinfo.info_kind // "" | startswith("xeth")) | .ifname')"
check "rmmod xeth" rmmod xeth
check_eq "the kernel log has no splat" "" \
	"$(dmesg | grep -E 'BUG|WARNING|Oops|general protection|refcount_t|is buggy|unregister_netdevice: waiting' || true)"
finish
