#!/bin/bash
# A mux with lower links (veth ends standing in for the switch's ports):
# proxy frames leave through a lower with their tags, tagged frames from a
# lower reach their proxy, flows spread over two lowers, and lowers and the
# mux can go away under live proxies.
. "$(dirname "$0")/../lib.sh"

. "$(dirname "$0")/../lib_frames.sh"

# --- setup ----------------------------------------------------------------------

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
# skb priorities are counted by tc filters (prio_count)
modprobe -a sch_ingress cls_basic em_meta act_gact
modprobe veth
modprobe bridge
# no IPv6 autoconfiguration chatter in the captures
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# veth PAIR_A PAIR_B: a veth pair, MTU 9000 so that tags and labels fit, up
veth() {
	ip link add "$1" mtu 9000 type veth peer name "$2" mtu 9000 &&
		ip link set "$1" up && ip link set "$2" up
}
master_of() { ip -j link show "$1" | jq -r '.[0].master // "none"'; }
lowers_of() { ip -j link show master "$1" | jq -r '[.[].ifname] | sort | join(" ")'; }

check "veth v0/v1, MTU 9000" veth v0 v1
check "ip link add xm0 link v0 type xeth-mux" ip link add xm0 link v0 type xeth-mux
check_eq "v0's master is xm0" xm0 "$(master_of v0)"
check_eq "xm0's lower links: v0" v0 "$(lowers_of xm0)"
check_eq "the mux put v0 in promiscuous mode" 1 \
	"$(ip -d -j link show v0 | jq '.[0].promiscuity')"
check "a port with xid 7" ip link add xeth1 link xm0 type xeth-port xid 7
check "an xeth-vlan with vid 100 on it" ip link add xeth1.100 link xeth1 type xeth-vlan
check "a loopback (xid 3000)" ip link add lo1 link xm0 type xeth-loopback
check "a port with an allocated xid (3999)" ip link add xeth2 link xm0 type xeth-port
check "every link up" ip -batch - <<EOT
link set xm0 up
link set xeth1 up
link set xeth1.100 up
link set lo1 up
link set xeth2 up
EOT

vlan_tag() { printf '8100%04x' $((($1 << 13) | $2)); }               # vlan_tag PCP VID
qinq_tags() { printf '88a8%04x8100%04x' $((($1 << 13) | $2)) "$3"; } # qinq_tags PCP XID VID
DST=02000000fe01  # a station behind the switch
PEER=02000000fe02 # the source of frames coming from the switch
ETYPE=88b5        # local experimental: no protocol handler in the way
declare -A MAC LB
for d in xm0 xeth1 xeth1.100 lo1 xeth2 v0 v1; do MAC[$d]=$(mac_of "$d"); done
# udp_frame SRC SPORT: a 60-byte IPv4/UDP frame to DST, flow SPORT
udp_frame() {
	local pl udp
	pl=$(payload "flow $2")
	printf -v udp '%04x0009001a0000' "$2"
	hx "$DST $1 0800 4500002e 00004000 40110000 0a000001 0a000002 $udp ${pl:0:36}"
}

ALL_CASES="lower_tx lower_rx daemon vpls flows lowers_gone mux_gone"

# --- proxy transmit leaves through the lower --------------------------------
case_lower_tx() {
	local full i
	# lower_tx_pass WHEN [--via-qdisc]: xeth1, xeth1.100 and lo1 send a frame each;
	# v1 (the switch) must get them with their tags
	lower_tx_pass() {
		local when=$1 before
		shift
		before=$(mux_counters)
		snap LB v0
		cap_start v1 --incoming-only
		check "$when: xeth1, xeth1.100 and lo1 transmit ${1:-(raw sockets)}" rs send "$@" \
			xeth1 "$DST${MAC[xeth1]}$ETYPE$(payload "$when: tx from xeth1")" \
			xeth1.100 "$DST${MAC[xeth1.100]}$ETYPE$(payload "$when: tx from xeth1.100")" \
			lo1 "$DST${MAC[lo1]}$ETYPE$(payload "$when: tx from lo1")"
		cap_stop
		check_eq "$when: v1 receives the 3 frames with their tags, in order" \
			"3 $(hx "$DST ${MAC[xeth1]} $(vlan_tag 0 7) $ETYPE $(payload "$when: tx from xeth1")")
3 $(hx "$DST ${MAC[xeth1.100]} $(qinq_tags 0 7 100) $ETYPE $(payload "$when: tx from xeth1.100")")
3 $(hx "$DST ${MAC[lo1]} $(vlan_tag 0 3000) $ETYPE $(payload "$when: tx from lo1")")" \
			"$(frames_on v1)"
		check_eq "$when: ethtool -S xm0: tx-to-lower +3, nothing else" "tx-to-lower=+3" \
			"$(delta "$before" "$(mux_counters)")"
		check_eq "$when: v0 sent them: 3 packets, 64 + 68 + 64 bytes" \
			"tx_packets=+3 tx_bytes=+196" "$(ldelta v0)"
	}

	# Ports start without carrier and drop what they are given, like a port
	# without link.
	nocarrier_pass v1 xeth1 xeth1.100
	# With a daemon that gave the ports carrier, through the driver and the qdisc.
	check "a daemon connects and reports carrier on the ports" rs daemon-carrier xm0 7 3999
	wait_up xeth1 xeth1.100 xeth2
	check_eq "xeth1, xeth1.100, xeth2 are up" "xeth1=up xeth1.100=up xeth2=up" \
		"$(operstates xeth1 xeth1.100 xeth2)"
	lower_tx_pass "carrier"
	lower_tx_pass "carrier, qdisc" --via-qdisc
	check "the daemon disconnects" rs daemon-close

	# A full-size frame (1514 bytes) grows by its tag to 1518 on the lower.
	full=$DST${MAC[lo1]}$ETYPE
	for ((i = 0; ${#full} < 3028; i++)); do full+=$(payload "a full-size frame, part $i"); done
	full=${full:0:3028}
	cap_start v1 --incoming-only
	check "lo1 transmits a 1514-byte frame" rs send lo1 "$full"
	cap_stop
	check_eq "v1 receives it whole, 1518 bytes with the tag" \
		"3 ${full:0:24}$(vlan_tag 0 3000)${full:24}" "$(frames_on v1)"
}

# --- tagged frames from the lower reach their proxy -------------------------
# Any PCP: the switch's frames need no exception mark.
case_lower_rx() {
	local before
	before=$(mux_counters)
	snap LB v0 xm0 xeth1 xeth1.100 lo1 xeth2
	cap_start xeth1 xeth1.100 lo1 xeth2 --incoming-only
	check "the switch (v1) sends 7 frames" rs send \
		v1 "${MAC[xeth1]}$PEER$(vlan_tag 0 7)$ETYPE$(payload "pcp 0 to xeth1")" \
		v1 "${MAC[xeth1]}$PEER$(vlan_tag 3 7)$ETYPE$(payload "pcp 3 to xeth1")" \
		v1 "${MAC[xeth1]}$PEER$(vlan_tag 7 7)$ETYPE$(payload "pcp 7 to xeth1")" \
		v1 "${MAC[xeth1.100]}$PEER$(qinq_tags 0 7 100)$ETYPE$(payload "to xeth1.100")" \
		v1 "${MAC[lo1]}$PEER$(vlan_tag 0 3000)$ETYPE$(payload "to lo1")" \
		v1 "${MAC[xeth1]}$PEER$(vlan_tag 0 99)$ETYPE$(payload "to xid 99")" \
		v1 "${MAC[v0]}$PEER$ETYPE$(payload "untagged, for v0 itself")"
	cap_stop
	check_eq "xeth1 receives its 3 frames untagged, whatever their PCP" \
		"0 $(hx "${MAC[xeth1]} $PEER $ETYPE $(payload "pcp 0 to xeth1")")
0 $(hx "${MAC[xeth1]} $PEER $ETYPE $(payload "pcp 3 to xeth1")")
0 $(hx "${MAC[xeth1]} $PEER $ETYPE $(payload "pcp 7 to xeth1")")" "$(frames_on xeth1)"
	check_eq "xeth1.100 receives its frame, both tags stripped" \
		"0 $(hx "${MAC[xeth1.100]} $PEER $ETYPE $(payload "to xeth1.100")")" "$(frames_on xeth1.100)"
	check_eq "lo1 receives its frame untagged" \
		"0 $(hx "${MAC[lo1]} $PEER $ETYPE $(payload "to lo1")")" "$(frames_on lo1)"
	check_eq "xeth2 receives nothing" "" "$(frames_on xeth2)"
	check_eq "ethtool -S xm0: rx-from-lower +6 (the tagged ones), rx-nohandler +1" \
		"rx-from-lower=+6 rx-nohandler=+1" "$(delta "$before" "$(mux_counters)")"
	check_eq "xm0's rx_nohandler +1" "rx_nohandler=+1" \
		"$(delta "${LB[xm0]}" "$(link_counters xm0)" | grep -o 'rx_nohandler=+[0-9]*')"
	check_eq "the untagged frame stays with v0 (no handler for it there: rx_dropped +1)" \
		"rx_packets=+7 rx_bytes=+$((5 * 64 + 68 + 60)) rx_dropped=+1" "$(ldelta v0)"
	check_eq "xeth1: 3 packets, 180 bytes" "rx_packets=+3 rx_bytes=+180" "$(ldelta xeth1)"
	check_eq "xeth2: nothing" none "$(ldelta xeth2)"

	# The outer PCP becomes the frame's priority.
	check "count xeth1's frames by priority" prio_count xeth1
	check "count xeth1.100's frames by priority" prio_count xeth1.100
	check "the switch sends PCP 0, 3, 7 to xeth1, outer PCP 5 inner 2 to xeth1.100" rs send \
		v1 "${MAC[xeth1]}$PEER$(vlan_tag 0 7)$ETYPE$(payload "priority 0")" \
		v1 "${MAC[xeth1]}$PEER$(vlan_tag 3 7)$ETYPE$(payload "priority 3")" \
		v1 "${MAC[xeth1]}$PEER$(vlan_tag 7 7)$ETYPE$(payload "priority 7")" \
		v1 "${MAC[xeth1.100]}${PEER}88a8$(printf %04x $(((5 << 13) | 7)))8100$(printf %04x $(((2 << 13) | 100)))$ETYPE$(payload "priority 5")"
	check_eq "xeth1: priorities 0, 3, 7" "0=1 3=1 7=1" "$(prio_hits xeth1)"
	check_eq "xeth1.100: priority 5, the outer tag's" "5=1" "$(prio_hits xeth1.100)"
	check "stop counting" tc -batch - <<-EOT
	qdisc del dev xeth1 clsact
	qdisc del dev xeth1.100 clsact
	EOT

	# With a tap on v0 (someone sniffing the lower) the frames are shared: the
	# tap must see them as they came, the proxies stripped.
	cap_start --incoming-only v0 xeth1 xeth1.100
	check "the switch sends 2 frames while v0 is tapped" rs send \
		v1 "${MAC[xeth1]}$PEER$(vlan_tag 0 7)$ETYPE$(payload "tapped, to xeth1")" \
		v1 "${MAC[xeth1.100]}$PEER$(qinq_tags 0 7 100)$ETYPE$(payload "tapped, to xeth1.100")"
	cap_stop
	check_eq "the tap on v0 sees both frames as sent (for other hosts than v0)" \
		"3 $(hx "${MAC[xeth1]} $PEER $(vlan_tag 0 7) $ETYPE $(payload "tapped, to xeth1")")
3 $(hx "${MAC[xeth1.100]} $PEER $(qinq_tags 0 7 100) $ETYPE $(payload "tapped, to xeth1.100")")" \
		"$(frames_on v0)"
	check_eq "xeth1 receives its frame stripped" \
		"0 $(hx "${MAC[xeth1]} $PEER $ETYPE $(payload "tapped, to xeth1")")" "$(frames_on xeth1)"
	check_eq "xeth1.100 receives its frame stripped" \
		"0 $(hx "${MAC[xeth1.100]} $PEER $ETYPE $(payload "tapped, to xeth1.100")")" "$(frames_on xeth1.100)"
}

# --- the daemon's frames: unmarked ones leave through the lower, marked ones
# are exceptions even with a lower link
case_daemon() {
	local before
	before=$(mux_counters)
	cap_start v1 xeth1 --incoming-only
	check "the daemon writes 2 unmarked frames and an exception to xm0" rs send \
		xm0 "$DST$PEER$(vlan_tag 0 7)$ETYPE$(payload "daemon, tagged")" \
		xm0 "$DST$PEER$ETYPE$(payload "daemon, untagged")" \
		xm0 "${MAC[xeth1]}$PEER$(vlan_tag 7 7)$ETYPE$(payload "daemon, exception")"
	cap_stop
	check_eq "v1 receives the unmarked frames as written" \
		"3 $(hx "$DST $PEER $(vlan_tag 0 7) $ETYPE $(payload "daemon, tagged")")
3 $(hx "$DST $PEER $ETYPE $(payload "daemon, untagged")")" "$(frames_on v1)"
	check_eq "xeth1 receives the exception, tag stripped" \
		"0 $(hx "${MAC[xeth1]} $PEER $ETYPE $(payload "daemon, exception")")" "$(frames_on xeth1)"
	check_eq "ethtool -S xm0: daemon-to-lower +2, rx-exceptions +1" \
		"rx-exceptions=+1 daemon-to-lower=+2" "$(delta "$before" "$(mux_counters)")"
}

# --- vpls over a lower ---------------------------------------------------------
case_vpls() {
	local before
	label() { printf '%08x' $((($1 << 12) | ($2 << 9) | ($3 << 8) | ${4:-64})); } # label LABEL TC S [TTL]
	check "veth v6/v7" veth v6 v7
	check "ip link add xm1 link v6 type xeth-mux encap vpls" ip link add xm1 link v6 type xeth-mux encap vpls
	check "a port with xid 5000 on xm1" ip link add xeth8 link xm1 type xeth-port xid 5000
	check "a loopback on xm1 (xid 3000: xids are per mux)" ip link add lo2 link xm1 type xeth-loopback
	check "xm1, xeth8, lo2 up" ip -batch - <<-EOT
	link set xm1 up
	link set xeth8 up
	link set lo2 up
	EOT
	for d in xm1 xeth8 lo2 v6; do MAC[$d]=$(mac_of "$d"); done
	before=$(mux_counters xm1)
	cap_start v7 --incoming-only
	check "lo2 transmits" rs send lo2 "$DST${MAC[lo2]}$ETYPE$(payload "vpls tx from lo2")"
	cap_stop
	check_eq "v7 receives it behind the outer header and label 3000" \
		"3 $(hx "$DST ${MAC[lo2]} 8847 $(label 3000 0 1) $DST ${MAC[lo2]} $ETYPE $(payload "vpls tx from lo2")")" \
		"$(frames_on v7)"
	check_eq "ethtool -S xm1: tx-to-lower +1" "tx-to-lower=+1" "$(delta "$before" "$(mux_counters xm1)")"
	before=$(mux_counters xm1)
	snap LB v6
	cap_start xeth8 lo2 --incoming-only
	check "the switch (v7) sends 5 MPLS frames and one 802.1Q frame" rs send \
		v7 "${MAC[v6]}${PEER}8847$(label 5000 0 1)${MAC[xeth8]}$PEER$ETYPE$(payload "tc 0 to xeth8")" \
		v7 "${MAC[v6]}${PEER}8847$(label 5000 3 1 1)${MAC[xeth8]}$PEER$ETYPE$(payload "tc 3, ttl 1 to xeth8")" \
		v7 "${MAC[v6]}${PEER}8847$(label 3000 0 1)${MAC[lo2]}$PEER$ETYPE$(payload "to lo2")" \
		v7 "${MAC[v6]}${PEER}8847$(label 99 0 1)${MAC[xeth8]}$PEER$ETYPE$(payload "to xid 99")" \
		v7 "${MAC[v6]}${PEER}8847$(label 5000 0 0)$(label 100 0 0)${MAC[xeth8]}$PEER$ETYPE$(payload "no bottom of stack")" \
		v7 "${MAC[v6]}$PEER$(vlan_tag 0 5000)$ETYPE$(payload "802.1Q, not ours")"
	cap_stop
	check_eq "xeth8 receives its 2 frames, outer header and label stripped" \
		"0 $(hx "${MAC[xeth8]} $PEER $ETYPE $(payload "tc 0 to xeth8")")
0 $(hx "${MAC[xeth8]} $PEER $ETYPE $(payload "tc 3, ttl 1 to xeth8")")" "$(frames_on xeth8)"
	check_eq "lo2 receives its frame" "0 $(hx "${MAC[lo2]} $PEER $ETYPE $(payload "to lo2")")" "$(frames_on lo2)"
	check_eq "ethtool -S xm1: rx-from-lower +5, rx-nohandler +1, rx-bad-encap +1" \
		"rx-from-lower=+5 rx-nohandler=+1 rx-bad-encap=+1" "$(delta "$before" "$(mux_counters xm1)")"
	check_eq "the 802.1Q frame stays with v6 (rx_dropped +1 there)" "rx_dropped=+1" \
		"$(ldelta v6 | grep -o 'rx_dropped=+[0-9]*')"
	check "count xeth8's frames by priority" prio_count xeth8
	check "the switch sends TC 0, 3 and 6 to xeth8" rs send \
		v7 "${MAC[v6]}${PEER}8847$(label 5000 0 1)${MAC[xeth8]}$PEER$ETYPE$(payload "priority 0")" \
		v7 "${MAC[v6]}${PEER}8847$(label 5000 3 1)${MAC[xeth8]}$PEER$ETYPE$(payload "priority 3")" \
		v7 "${MAC[v6]}${PEER}8847$(label 5000 6 1)${MAC[xeth8]}$PEER$ETYPE$(payload "priority 6")"
	check_eq "xeth8: priorities 0, 3, 6" "0=1 3=1 6=1" "$(prio_hits xeth8)"
	check "ip link del xm1" ip link del xm1
	check_eq "v6 has no master any more" none "$(master_of v6)"
}

# --- two lowers: flows spread over both -------------------------------------
case_flows() {
	local args before f e i p h good on_v1 on_v3 odd
	check "veth v2/v3" veth v2 v3
	check "ip link set v2 master xm0" ip link set v2 master xm0
	check_eq "xm0's lower links: v0 v2" "v0 v2" "$(lowers_of xm0)"
	FLOWS=$(seq 10000 10031)
	args=()
	declare -A EXP
	for f in $FLOWS; do
		args+=(lo1 "$(udp_frame "${MAC[lo1]}" "$f")")
		e=$(udp_frame "${MAC[lo1]}" "$f")
		EXP[$f]=${e:0:24}$(vlan_tag 0 3000)${e:24}
	done
	before=$(mux_counters)
	cap_start v1 v3 --incoming-only
	check "lo1 sends 32 UDP flows, twice over" rs send --count 2 "${args[@]}"
	cap_stop
	declare -A CNT WHERE
	while read -r i p h; do
		[ -n "$h" ] || continue
		CNT[$h]=$((${CNT[$h]:-0} + 1))
		[[ " ${WHERE[$h]} " == *" $i "* ]] || WHERE[$h]+="${WHERE[$h]:+ }$i"
	done <<<"$CAP"
	good=0 on_v1=0 on_v3=0 odd=
	for f in $FLOWS; do
		h=${EXP[$f]}
		if [ "${CNT[$h]:-0}" = 2 ] && [[ ${WHERE[$h]} == v[13] ]]; then
			good=$((good + 1))
			[ "${WHERE[$h]}" = v1 ] && on_v1=$((on_v1 + 1)) || on_v3=$((on_v3 + 1))
		else
			odd+=" $f:${CNT[$h]:-0}@${WHERE[$h]}"
		fi
	done
	check_eq "each flow's 2 frames arrive tagged, both through the same lower" "32 of 32" "$good of 32${odd:+ (odd:$odd)}"
	check_eq "nothing else arrives" 64 "$(cap_count)"
	check "both lowers carry some flows (v1: $on_v1, v3: $on_v3)" test "$on_v1" -gt 0 -a "$on_v3" -gt 0
	check_eq "ethtool -S xm0: tx-to-lower +64" "tx-to-lower=+64" "$(delta "$before" "$(mux_counters)")"
	cap_start lo1 --incoming-only
	check "the switch sends through the second lower (v3)" rs send \
		v3 "${MAC[lo1]}$PEER$(vlan_tag 0 3000)$ETYPE$(payload "via v3 to lo1")"
	cap_stop
	check_eq "lo1 receives it" "0 $(hx "${MAC[lo1]} $PEER $ETYPE $(payload "via v3 to lo1")")" "$(frames_on lo1)"
}

# --- lowers go away under live proxies ---------------------------------------
case_lowers_gone() {
	local args before f
	needs flows
	check "ip link del v2 (a lower, with proxies on the mux)" ip link del v2
	check_eq "xm0's lower links: v0" v0 "$(lowers_of xm0)"
	args=()
	for f in $(seq 10000 10007); do args+=(lo1 "$(udp_frame "${MAC[lo1]}" "$f")"); done
	before=$(mux_counters)
	cap_start v1 --incoming-only
	check "lo1 sends 8 flows" rs send "${args[@]}"
	cap_stop
	check_eq "all 8 leave through v0" 8 "$(cap_count)"
	check_eq "ethtool -S xm0: tx-to-lower +8" "tx-to-lower=+8" "$(delta "$before" "$(mux_counters)")"

	# released with nomaster, the mux is link-less; enslaved again, linked
	before=$(mux_counters)
	cap_start v1 xm0
	check "ip link set v0 nomaster" ip link set v0 nomaster
	check_eq "xm0 has no lower link" "" "$(lowers_of xm0)"
	check_eq "v0 left promiscuous mode" 0 "$(ip -d -j link show v0 | jq '.[0].promiscuity')"
	check "lo1 transmits on the link-less mux" rs send lo1 "$DST${MAC[lo1]}$ETYPE$(payload "link-less")"
	check "ip link set v0 master xm0" ip link set v0 master xm0
	check "lo1 transmits on the linked mux again" rs send lo1 "$DST${MAC[lo1]}$ETYPE$(payload "linked again")"
	cap_stop
	check_eq "link-less, the frame went to the mux taps" \
		"4 $(hx "$DST ${MAC[lo1]} $(vlan_tag 0 3000) $ETYPE $(payload "link-less")")" "$(frames_on xm0)"
	check_eq "linked again, it left through v0" \
		"3 $(hx "$DST ${MAC[lo1]} $(vlan_tag 0 3000) $ETYPE $(payload "linked again")")" "$(frames_on v1)"
	check_eq "ethtool -S xm0: tx-to-daemon +1, tx-to-lower +1" "tx-to-lower=+1 tx-to-daemon=+1" \
		"$(delta "$before" "$(mux_counters)")"

	# the last lower deleted: the proxies stay, the mux is link-less
	check "ip link del v0 (the last lower)" ip link del v0
	check_eq "xm0 has no lower link" "" "$(lowers_of xm0)"
	check_eq "every proxy is still there" "lo1 xeth1 xeth1.100 xeth2" \
		"$(ip -d -j link show | jq -r '[.[] | select(.linkinfo.info_kind // "" | startswith("xeth-") and . != "xeth-mux") | .ifname] | sort | join(" ")')"
	before=$(mux_counters)
	cap_start xm0 xeth1
	check "lo1 transmits, the daemon writes an exception" rs send \
		lo1 "$DST${MAC[lo1]}$ETYPE$(payload "lower deleted")" \
		xm0 "${MAC[xeth1]}$PEER$(vlan_tag 7 7)$ETYPE$(payload "exception, lower deleted")"
	cap_stop
	check_eq "the mux taps see lo1's frame, then the daemon's" \
		"4 $(hx "$DST ${MAC[lo1]} $(vlan_tag 0 3000) $ETYPE $(payload "lower deleted")")" \
		"$(frames_with "$(payload "lower deleted")")"
	check_eq "xeth1 receives the exception" \
		"0 $(hx "${MAC[xeth1]} $PEER $ETYPE $(payload "exception, lower deleted")")" "$(frames_on xeth1)"
	check_eq "ethtool -S xm0: tx-to-daemon +1, rx-exceptions +1" "tx-to-daemon=+1 rx-exceptions=+1" \
		"$(delta "$before" "$(mux_counters)")"
}

# --- the mux deleted under its proxies and a lower ---------------------------
case_mux_gone() {
	check "veth v4/v5" veth v4 v5
	check "ip link set v4 master xm0" ip link set v4 master xm0
	check "ip link del xm0 (with 4 proxies and a lower)" ip link del xm0
	check_eq "no xeth link is left" "" \
		"$(ip -d -j link show | jq -r '.[] | select(.linkinfo.info_kind // "" | startswith("xeth")) | .ifname')"
	check_eq "v4 is still there, without master" none "$(master_of v4)"
	check_eq "v4 left promiscuous mode" 0 "$(ip -d -j link show v4 | jq '.[0].promiscuity')"
	check "v4's rx handler is free again: a Linux bridge takes it" \
		ip -batch - <<-EOT
	link add br0 type bridge
	link set v4 master br0
	EOT
	check "rmmod xeth" rmmod xeth
	check_eq "the kernel log has no splat" "" \
		"$(dmesg | grep -E 'BUG|WARNING|Oops|general protection|refcount_t|unregister_netdevice: waiting' || true)"
}

run_cases
finish
