#!/bin/bash
# The encapsulations on a link-less mux, byte for byte, one case each
# (include/uapi/linux/xeth.h, enum xeth_encap): what each proxy kind's
# transmit looks like to the daemon's raw socket on the mux, what each kind
# receives from an exception, and where frames that cannot be delivered are
# counted.
#
# vlan: a proxy's tags go between the source address and the ethertype,
# an 802.1Q tag with its xid, or an 802.1ad tag with its lower's xid and
# an 802.1Q tag with its vid; an exception carries PCP 7 on the outer tag.
# vpls: the proxy's frame goes behind its own addresses, 0x8847 and a label
# stack (its xid, or its lower's xid and then its vid, S set on the last);
# an exception carries an outer header and TC 7 on the first label.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_frames.sh"

# skb priorities are counted by tc filters (prio_count)
modprobe -a sch_ingress cls_basic em_meta act_gact
modprobe 8021q
# no IPv6 autoconfiguration chatter in the captures
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

DST=02000000fe01       # a station behind the switch
PEER=02000000fe02      # the source of frames coming from the switch
OUTER_SRC=02000000fe03 # the switch's own address, on a vpls exception's outer header
ETYPE=88b5             # local experimental: no protocol handler in the way
vlan_tag() { printf '8100%04x' $((($1 << 13) | $2)); }                     # vlan_tag PCP VID
label() { printf '%08x' $((($1 << 12) | ($2 << 9) | ($3 << 8) | ${4:-64})); } # label LABEL TC S [TTL]

# --- the table: what differs between the encapsulations -----------------------
# ENCAP, the mux's encap; GIVEN, "NAME:XID:DESCRIPTION" of the ports made
# with an xid (xeth1 first: its xid is XID1); stack XID PCP [VID [INNER_PCP
# [TTL]]], the mark of a proxy (its xid and, for a vlan proxy, the vid);
# tx_frame STACK DST SRC REST, a proxy's frame as the mux's taps see it;
# exc_frame STACK DST SRC REST, an exception as the daemon writes it;
# UNMARKED, frames the daemon writes without the mark (filled by unmarked).

use_vlan() {
	ENCAP=vlan XID1=7
	GIVEN=("xeth1:7:a port with xid 7")
	STACK_IS="tags" STRIPPED="" OUTER_MARK="the outer tag's"
	INNER_PRIO="inner PCP 5"
	stack() { # 802.1Q, or 802.1ad and 802.1Q
		if [ -n "$3" ]; then
			printf '88a8%04x8100%04x' $((($2 << 13) | $1)) $(((${4:-0} << 13) | $3))
		else
			vlan_tag "$2" "$1"
		fi
	}
	tx_frame() { echo "$2$3$1$4"; }
	exc_frame() { echo "$2$3$1$4"; }
	unmarked() {
		UNMARKED=(
			xm0 "${MAC[xeth1]}$PEER$ETYPE$(payload "untagged")"
			xm0 "$(exc_frame "$(stack 7 0)" "${MAC[xeth1]}" "$PEER" "$ETYPE$(payload "pcp 0")")"
			xm0 "$(exc_frame "$(stack 7 6)" "${MAC[xeth1]}" "$PEER" "$ETYPE$(payload "pcp 6")")"
			xm0 "$(exc_frame "$(stack 7 0 100)" "${MAC[xeth1.100]}" "$PEER" "$ETYPE$(payload "qinq, outer pcp 0")")"
		)
	}
}

use_vpls() {
	ENCAP=vpls XID1=70000
	GIVEN=("xeth6:16:a port with xid 16, the smallest" "xeth1:70000:a port with xid 70000, beyond 12 bits")
	STACK_IS="labels" STRIPPED="outer header and " OUTER_MARK="the first label's"
	INNER_PRIO="TC 5 on the vid"
	stack() { # the xid's label, then the vid's; S on the last
		if [ -n "$3" ]; then
			echo "$(label "$1" "$2" 0 "$5")$(label "$3" "${4:-0}" 1 "$5")"
		else
			label "$1" "$2" 1 "$5"
		fi
	}
	tx_frame() { echo "$2${3}8847$1$2$3$4"; }
	exc_frame() { echo "${MAC[xm0]}${OUTER_SRC}8847$1$2$3$4"; }
	unmarked() {
		UNMARKED=(
			xm0 "${MAC[xeth1]}$PEER$ETYPE$(payload "no labels")"
			xm0 "$(exc_frame "$(stack 70000 0)" "${MAC[xeth1]}" "$PEER" "$ETYPE$(payload "tc 0")")"
			xm0 "$(exc_frame "$(stack 70000 6)" "${MAC[xeth1]}" "$PEER" "$ETYPE$(payload "tc 6")")"
			xm0 "$(exc_frame "$(stack 70000 0 100 7)" "${MAC[xeth1.100]}" "$PEER" "$ETYPE$(payload "tc 7 on the second label")")"
			xm0 "${MAC[xeth1]}${PEER}$(vlan_tag 7 7)$ETYPE$(payload "an 802.1Q pcp 7 tag")"
		)
	}
}

mark_of() { # mark_of PROXY PCP: the proxy's stack (its xid, a vlan's vid)
	local x v
	read -r x v <<<"${XIDOF[$1]}"
	stack "$x" "$2" "$v"
}

# --- the proxies --------------------------------------------------------------

proxies() {
	local g
	check "ip link add xm0 type xeth-mux encap $ENCAP" ip link add xm0 type xeth-mux encap "$ENCAP"
	if [ "$ENCAP" = vpls ]; then
		# MPLS reserves labels 0-15; a label has 20 bits
		check_fails "xid 15 is refused with vpls" ip link add xeth9 link xm0 type xeth-port xid 15
		check_fails "xid 1048576 (21 bits) is refused" ip link add xeth9 link xm0 type xeth-port xid 1048576
		check_fails "nothing was left behind" ip link show xeth9
	fi
	for g in "${GIVEN[@]}"; do
		IFS=: read -r name xid desc <<<"$g"
		check "$desc" ip link add "$name" link xm0 type xeth-port xid "$xid"
		PORTS+="${PORTS:+ }$name"
	done
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
	local want=
	for g in "${GIVEN[@]}" xeth2:3999 xeth3:3998 xeth4:3997 xeth5:3996; do
		IFS=: read -r name xid _ <<<"$g"
		want+="$name=$xid "
	done
	check_eq "port xids: given ones kept, allocated ones count down from 3999" \
		"$(tr ' ' '\n' <<<"$want" | grep . | sort | xargs)" \
		"$(ip -d -j link show | jq -r '[.[] | select(.ifname | test("^xeth[0-9]$")) | "\(.ifname)=\(.linkinfo.info_data.xid)"] | sort | join(" ")')"
	local d links=
	for d in xm0 $PORTS xeth2 xeth3 xeth4 xeth5 xeth1.100 lag1 lag1.v br1 lo1 lo1.5; do
		links+="link set $d up"$'\n'
	done
	check "every link up" ip -batch - <<<"$links"
}

# --- proxy transmit on a link-less mux --------------------------------------
# Each proxy sends one frame; the daemon's raw socket on the mux reads it as
# outgoing, with the proxy's mark.

# tx_pass WHEN [--via-qdisc]: every proxy in TX sends a frame; check what the
# mux taps see and how the counters move
tx_pass() {
	local when=$1 d args=() before rest s n
	shift
	n=$(wc -w <<<"$TX")
	for d in $TX; do args+=("$d" "$DST${MAC[$d]}$ETYPE$(payload "$when: tx from $d")"); done
	before=$(mux_counters)
	snap LB $TX
	cap_start xm0 --outgoing-only
	check "$when: every proxy transmits a frame ${1:-(raw sockets)}" rs send "$@" "${args[@]}"
	cap_stop
	for d in $TX; do
		rest="$ETYPE$(payload "$when: tx from $d")"
		[ "$d" = lo1.5 ] && rest="$(vlan_tag 0 5)$rest" # Linux's tag
		s=$(mark_of "$d" 0)
		check_eq "$when: $d's frame reaches the mux taps with $STACK_IS $s" \
			"4 $(hx "$(tx_frame "$s" "$DST" "${MAC[$d]}" "$rest")")" \
			"$(frames_with "$(payload "$when: tx from $d")")"
	done
	check_eq "$when: the mux taps see $n frames, no more" "$n" "$(cap_count)"
	check_eq "$when: ethtool -S xm0: tx-to-daemon +$n, nothing else" "tx-to-daemon=+$n" \
		"$(delta "$before" "$(mux_counters)")"
	for d in $PROXIES; do
		check_eq "$when: $d counts its transmit: 1 packet, 60 bytes" \
			"tx_packets=+1 tx_bytes=+60" "$(ldelta "$d")"
	done
	check_eq "$when: lo1 counts its frame and lo1.5's (64 bytes with Linux's tag)" \
		"tx_packets=+2 tx_bytes=+124" "$(ldelta lo1)"
}

transmit() {
	# Ports start without carrier, and so do the vlans on them and the lag
	# and bridge of them: they drop what they are given, like a port
	# without link.
	nocarrier_pass xm0 xeth1 xeth2 xeth1.100 lag1 lag1.v br1

	# The same with a daemon connected that gave the ports carrier: through
	# the driver, then through the qdisc as the stack sends.
	local carried="$PORTS xeth2 xeth3 xeth4 xeth5 xeth1.100 lag1 lag1.v br1" g xids=
	for g in "${GIVEN[@]}" :3999 :3998 :3997 :3996; do
		IFS=: read -r _ xid _ <<<"$g"
		xids+=" $xid"
	done
	check "a daemon connects and reports carrier on the ports" \
		rs daemon-carrier xm0 $xids
	wait_up $carried
	check_eq "ports, vlans, lag and bridge are up" "${carried// /=up }=up" "$(operstates $carried)"
	tx_pass "carrier"
	tx_pass "carrier, qdisc" --via-qdisc
	check "the daemon disconnects" rs daemon-close

	# The same through the qdisc, as the stack sends (lo1 has carrier).
	cap_start xm0 --outgoing-only
	check "lo1 transmits through its qdisc" rs send --via-qdisc \
		lo1 "$DST${MAC[lo1]}$ETYPE$(payload "qdisc tx from lo1")"
	cap_stop
	check_eq "the qdisc path gives the same encapsulation" \
		"4 $(hx "$(tx_frame "$(stack 3002 0)" "$DST" "${MAC[lo1]}" "$ETYPE$(payload "qdisc tx from lo1")")")" \
		"$(frames_on xm0)"
}

# --- exceptions ---------------------------------------------------------------
# The daemon writes a proxy's frame with its mark, PCP or TC 7, to its raw
# socket on the mux; the proxy receives it without the mark.

exceptions() {
	local d args=() before exp n s
	declare -A EXC_STACK
	for d in $EXC; do EXC_STACK[$d]=$(mark_of "$d" 7); done
	[ "$ENCAP" = vpls ] && EXC_STACK[xeth2]=$(stack 3999 7 "" "" 0) # TTL 0: the TTL is ignored
	for d in $EXC; do
		args+=(xm0 "$(exc_frame "${EXC_STACK[$d]}" "${MAC[$d]}" "$PEER" "$ETYPE$(payload "exception to $d")")")
	done
	# and one with an 802.1Q tag of its own inside the mark: lo1 receives
	# it tagged, Linux's vlan 5 on lo1 untagged
	args+=(xm0 "$(exc_frame "$(stack 3002 7)" "${MAC[lo1]}" "$PEER" "$(vlan_tag 0 5)$ETYPE$(payload "exception to lo1.5")")")
	n=$((${#args[@]} / 2))
	before=$(mux_counters)
	snap LB $EXC
	cap_start $EXC lo1.5 --incoming-only
	check "the daemon writes $n exceptions to xm0" rs send "${args[@]}"
	cap_stop
	for d in $EXC; do
		exp="0 $(hx "${MAC[$d]} $PEER $ETYPE $(payload "exception to $d")")"
		[ "$d" = lo1 ] && exp+=$'\n'"0 $(hx "${MAC[lo1]} $PEER $(vlan_tag 0 5) $ETYPE $(payload "exception to lo1.5")")"
		check_eq "$d receives exactly its exceptions, $STRIPPED${EXC_STACK[$d]} stripped" "$exp" "$(frames_on "$d")"
	done
	check_eq "lo1.5 receives the inner frame untagged" \
		"0 $(hx "${MAC[lo1]} $PEER $ETYPE $(payload "exception to lo1.5")")" "$(frames_on lo1.5)"
	check_eq "ethtool -S xm0: rx-exceptions +$n, nothing else" "rx-exceptions=+$n" \
		"$(delta "$before" "$(mux_counters)")"
	for d in $PROXIES; do
		check_eq "$d counts the exception: 1 packet, 60 bytes" "rx_packets=+1 rx_bytes=+60" "$(ldelta "$d")"
	done
	check_eq "lo1 counts both of its frames (60 + 64 bytes)" "rx_packets=+2 rx_bytes=+124" "$(ldelta lo1)"

	# The mark's PCP or TC becomes the frame's priority: the outer one's
	# for a vlan.
	check "count xeth1's frames by priority" prio_count xeth1
	check "count xeth1.100's frames by priority" prio_count xeth1.100
	check "the daemon writes an exception to xeth1, and one with $INNER_PRIO to xeth1.100" rs send \
		xm0 "$(exc_frame "$(stack "$XID1" 7)" "${MAC[xeth1]}" "$PEER" "$ETYPE$(payload "priority")")" \
		xm0 "$(exc_frame "$(stack "$XID1" 7 100 5)" "${MAC[xeth1.100]}" "$PEER" "$ETYPE$(payload "priority")")"
	check_eq "xeth1: priority 7" "7=1" "$(prio_hits xeth1)"
	check_eq "xeth1.100: priority 7, $OUTER_MARK" "7=1" "$(prio_hits xeth1.100)"
	check "stop counting" tc -batch - <<-EOT
		qdisc del dev xeth1 clsact
		qdisc del dev xeth1.100 clsact
	EOT

	# Written through the qdisc while the daemon's tap on xm0 is open, the
	# exception's data is shared with the tap's copy: stripping the mark
	# must not show in what the tap holds.
	s=$(exc_frame "${EXC_STACK[xeth1.100]}" "${MAC[xeth1.100]}" "$PEER" "$ETYPE$(payload "shared exception")")
	cap_start xm0 xeth1.100
	check "the daemon writes an exception through xm0's qdisc" rs send --via-qdisc xm0 "$s"
	cap_stop
	check_eq "the tap on xm0 holds the frame as written" "4 $(hx "$s")" "$(frames_on xm0)"
	check_eq "xeth1.100 receives it stripped" \
		"0 $(hx "${MAC[xeth1.100]} $PEER $ETYPE $(payload "shared exception")")" "$(frames_on xeth1.100)"
}

# --- frames that cannot be delivered ----------------------------------------

undeliverable() {
	local before nh_json d n
	# No proxy has xid 99, nor XID1's vlan 200.
	before=$(mux_counters)
	snap LB $EXC xm0
	nh_json=$(ip -s -s -j link show xm0 | jq '.[0].stats64.rx.nohandler')
	cap_start $EXC --incoming-only
	check "the daemon writes exceptions for xids that nobody has" rs send \
		xm0 "$(exc_frame "$(stack 99 7)" "${MAC[xeth1]}" "$PEER" "$ETYPE$(payload "xid 99")")" \
		xm0 "$(exc_frame "$(stack "$XID1" 7 200)" "${MAC[xeth1]}" "$PEER" "$ETYPE$(payload "xid $XID1 vid 200")")"
	cap_stop
	check_eq "no proxy receives them" "" "$CAP"
	check_eq "ethtool -S xm0: rx-nohandler +2 (both came as exceptions)" \
		"rx-exceptions=+2 rx-nohandler=+2" "$(delta "$before" "$(mux_counters)")"
	check_eq "ip -s -s -j link show xm0: stats64.rx.nohandler +2" $((nh_json + 2)) \
		"$(ip -s -s -j link show xm0 | jq '.[0].stats64.rx.nohandler')"
	for d in $EXC; do check_eq "$d: counters unchanged" none "$(ldelta "$d")"; done

	# Frames without the mark: nowhere to go without a lower link.
	unmarked
	n=$((${#UNMARKED[@]} / 2))
	before=$(mux_counters)
	snap LB xm0 xeth1 xeth1.100
	check "the daemon writes $n unmarked frames to the link-less mux" rs send "${UNMARKED[@]}"
	check_eq "ethtool -S xm0: tx-no-path +$n, nothing else" "tx-no-path=+$n" \
		"$(delta "$before" "$(mux_counters)")"
	check_eq "xm0 counts them as tx dropped" "tx_dropped=+$n" "$(ldelta xm0)"
	for d in xeth1 xeth1.100; do check_eq "$d received none of them" none "$(ldelta "$d")"; done

	if [ "$ENCAP" = vpls ]; then
		# A stack of three labels is not ours (an xid and a vid at most),
		# TC 7 or not.
		before=$(mux_counters)
		check "the daemon writes TC 7 on a three-label stack" rs send \
			xm0 "$(exc_frame "$(label 70000 7 0)$(label 100 0 0)$(label 5 0 1)" "${MAC[xeth1.100]}" "$PEER" "$ETYPE$(payload "three labels")")"
		d=$(delta "$before" "$(mux_counters)")
		case $d in
		"tx-no-path=+1" | "rx-bad-encap=+1") ok "it is dropped and counted once ($d)" ;;
		*) not_ok "it is dropped and counted once as tx-no-path or rx-bad-encap" "counters: $d" ;;
		esac
		check_eq "xeth1.100 did not receive it" none "$(ldelta xeth1.100)"
	fi

	# An admin-down proxy drops its exceptions.
	check "ip link set lo1 down" ip link set lo1 down
	before=$(mux_counters)
	snap LB lo1
	check "the daemon writes an exception for the down lo1" rs send \
		xm0 "$(exc_frame "$(stack 3002 7)" "${MAC[lo1]}" "$PEER" "$ETYPE$(payload "to a down proxy")")"
	check_eq "ethtool -S xm0: rx-proxy-down +1" "rx-exceptions=+1 rx-proxy-down=+1" \
		"$(delta "$before" "$(mux_counters)")"
	check_eq "lo1: rx dropped +1, nothing received" "rx_dropped=+1" "$(ldelta lo1)"
	check "ip link set lo1 up" ip link set lo1 up

	# A down mux has no daemon to hand proxy frames to.
	check "ip link set xm0 down" ip link set xm0 down
	before=$(mux_counters)
	check "lo1 transmits while the mux is down" rs send lo1 "$DST${MAC[lo1]}$ETYPE$(payload "mux down")"
	check_eq "ethtool -S xm0: tx-no-path +1" "tx-no-path=+1" "$(delta "$before" "$(mux_counters)")"
}

# encap: one encapsulation, from insmod to rmmod
encap() {
	local d
	load_xeth || { not_ok "insmod xeth.ko"; return; }
	PORTS=
	proxies
	# the proxies that count 60 bytes a frame; lo1 counts lo1.5's too
	PROXIES="$PORTS xeth2 xeth1.100 lag1 lag1.v br1"
	TX="$PROXIES lo1 lo1.5"
	EXC="$PROXIES lo1"
	# xids: lag, bridge and loopback count up from 3000 in the order they
	# were made; a vlan proxy's mark has its lower's xid and its vid
	unset XIDOF MAC LB
	declare -gA XIDOF=([xeth2]=3999 [xeth1.100]="$XID1 100" [lag1]=3000
		[lag1.v]="3000 200" [br1]=3001 [lo1]=3002 [lo1.5]=3002) MAC LB
	for g in "${GIVEN[@]}"; do
		IFS=: read -r name xid _ <<<"$g"
		XIDOF[$name]=$xid
	done
	for d in xm0 $TX; do MAC[$d]=$(mac_of "$d"); done
	transmit
	exceptions
	undeliverable
	check "ip link del xm0 takes every proxy with it" ip link del xm0
	check_eq "no xeth link is left" "" \
		"$(ip -d -j link show | jq -r '.[] | select(.linkinfo.info_kind // "" | startswith("xeth")) | .ifname')"
	check "rmmod xeth" rmmod xeth
	check_eq "the kernel log has no splat" "" \
		"$(dmesg | grep -E 'BUG|WARNING|Oops|general protection|refcount_t|is buggy|unregister_netdevice: waiting' || true)"
}

ALL_CASES="vlan vpls"

case_vlan() {
	use_vlan
	encap
}

case_vpls() {
	use_vpls
	encap
}

run_cases
finish
