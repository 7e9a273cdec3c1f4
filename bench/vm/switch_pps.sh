#!/bin/bash
# Routed packets per second between two hosts, through the software SWITCH
# and through Linux's own forwarding, in one boot (numbers, no pass/fail on
# speed; the checks say that each path really routed the frames):
#  - switch_pps: h1 -> h2 through ports xeth1 and xeth2 of a link-less mux,
#    forwarded by SWITCHD's software switch (its `routed` count must grow
#    by what h2 received)
#  - linux_pps: l1 -> l2 through a router namespace with ip_forward, over
#    the same kind of veth pairs
#  - ratio = switch_pps / linux_pps
#  - the exception path through the switch, both ways: exc_to_linux_fps,
#    h1's frames to xeth1's own address that the switch hands to Linux
#    (counted by Linux's UDP NoPorts: nothing listens on the port), and
#    exc_from_linux_fps, frames Linux sends on proxy xeth1 that the switch
#    takes from the mux and puts on h1's wire (counted by h1's rx packets)
#  - idle latency (tests/vm/tools/route_latency.ts): `ip route add` until
#    the software switch holds the route (the moment SWITCHD programmed
#    it, as it reports), XETH_BENCH_SAMPLES (200) routes one at a time,
#    median and p99 in ms; beside it the medians until `ip monitor` heard
#    the kernel announce it, until SWITCHD's mirror held it, and until the
#    control-socket questions noticed
# Each path is flooded for XETH_BENCH_SECONDS (3) with 60-byte UDP frames
# (rawsock.py flood: sendmmsg batches, qdisc bypass) addressed to the
# gateway; received counts are the far host's rx packets.
# Run: deno task vm --kernel 6.12 bench/vm/switch_pps.sh
. "$(dirname "$0")/../../tests/vm/lib.sh"
. "$(dirname "$0")/../../tests/vm/lib_switch.sh"

RAWSOCK=$XETH_ROOT/tests/vm/tools/rawsock.py
SECS=${XETH_BENCH_SECONDS:-3}
mac_in() { ip netns exec "$1" cat "/sys/class/net/$2/address" | tr -d ':\n'; }
rx_in() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }
# udp_frame DSTMAC SRCMAC SRCIP DSTIP: a UDP frame (to the discard port)
# as hex, with a valid IPv4 header checksum
udp_frame() {
	python3 - "$@" <<'PY'
import socket, struct, sys
dst, src, sip, dip = sys.argv[1:5]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0x4000, 64, 17, 0,
                 socket.inet_aton(sip), socket.inet_aton(dip))
s = sum(struct.unpack("!10H", ip))
while s >> 16:
    s = (s & 0xffff) + (s >> 16)
ip = ip[:10] + struct.pack("!H", ~s & 0xffff) + ip[12:]
udp = struct.pack("!HHHH", 1000, 9, 26, 0) + bytes(18)
print(dst + src + "0800" + (ip + udp).hex())
PY
}

# --- the software SWITCH ----------------------------------------------------
sw_mux 1 2 || { not_ok "a link-less mux with ports 1 2"; finish; exit 1; }
ip addr add 10.1.0.1/24 dev xeth1
ip addr add 10.2.0.1/24 dev xeth2
sw_host h1 s1 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
sw_host h2 s2 10.2.0.2/24 10.2.0.1 2001:db8:2::2/64 2001:db8:2::1
sw_start --attach xeth1=s1 --attach xeth2=s2
check_eq "SWITCHD is live with both ports attached" 0 $?
check "h1 reaches h2 through the switch (neighbours resolved)" sw_wait 20 sw_ping h1 10.2.0.2

# --- Linux forwarding between the same kind of hosts ----------------------
ip netns add lr
ip -n lr link set lo up
ip netns exec lr sysctl -qw net.ipv4.ip_forward=1
for i in 1 2; do
	ip netns add l$i
	ip -n l$i link set lo up
	ip -n lr link add r$i type veth peer name eth0 netns l$i
	ip netns exec l$i ethtool -K eth0 tx off tso off gso off >/dev/null
	ip -n lr link set r$i up
	ip -n l$i link set eth0 up
	ip -n lr addr add 10.1$i.0.1/24 dev r$i
	ip -n l$i addr add 10.1$i.0.2/24 dev eth0
	ip -n l$i route add default via 10.1$i.0.1
done
check "l1 reaches l2 through Linux (neighbours resolved)" sw_wait 20 sw_ping l1 10.12.0.2

# --- floods ---------------------------------------------------------------
# Datagrams Linux (this namespace) took for a UDP port nobody listens on.
udp_noports() { awk '/^Udp:/ { if (h) { print $3; exit } h = 1 }' /proc/net/snmp; }
flood() { # flood NS DEV FRAME COUNTER...: floods FRAME on DEV in NS ("-" for
	# this namespace); prints frames sent, the growth of COUNTER (a
	# command printing a number) and that growth per second
	local ns=$1 dev=$2 frame=$3 r0 out r secs
	shift 3
	r0=$("$@")
	if [ "$ns" = - ]; then
		out=$(python3 "$RAWSOCK" flood "$dev" "$frame" --seconds "$SECS")
	else
		out=$(ip netns exec "$ns" python3 "$RAWSOCK" flood "$dev" "$frame" --seconds "$SECS")
	fi
	sleep 0.5
	r=$(($("$@") - r0))
	secs=$(jq .seconds <<<"$out")
	echo "# $ns $dev -> $*: $out; received $r" >&2
	echo "$(jq .sent <<<"$out") $r $(awk -v n="$r" -v s="$secs" 'BEGIN { printf "%d", n / s }')"
}
routed0=$(sw_stat routed)
xeth1_mac=$(tr -d ':' </sys/class/net/xeth1/address)
read -r sent_sw got_sw switch_pps < <(flood h1 eth0 \
	"$(udp_frame "$xeth1_mac" "$(mac_in h1 eth0)" 10.1.0.2 10.2.0.2)" rx_in h2 eth0)
sleep 0.6
routed=$(($(sw_stat routed) - routed0))
read -r sent_lx got_lx linux_pps < <(flood l1 eth0 \
	"$(udp_frame "$(mac_in lr r1)" "$(mac_in l1 eth0)" 10.11.0.2 10.12.0.2)" rx_in l2 eth0)

# --- the exception path through the switch, both ways -----------------------
local0=$(sw_stat exception.local)
read -r sent_in got_in exc_to_linux_fps < <(flood h1 eth0 \
	"$(udp_frame "$xeth1_mac" "$(mac_in h1 eth0)" 10.1.0.2 10.1.0.1)" udp_noports)
sleep 0.6
local_exc=$(($(sw_stat exception.local) - local0))
from0=$(sw_stat from-linux)
read -r sent_out got_out exc_from_linux_fps < <(flood - xeth1 \
	"$(udp_frame "$(mac_in h1 eth0)" "$xeth1_mac" 10.1.0.1 10.1.0.2)" rx_in h1 eth0)
sleep 0.6
from_linux=$(($(sw_stat from-linux) - from0))

lat=$(deno run -A --cached-only "$XETH_ROOT/tests/vm/tools/route_latency.ts" \
	"$SW_CTL" xeth2 "${XETH_BENCH_SAMPLES:-200}")
check "idle latency: every route reached the switch: $lat" [ -n "$lat" ]
[ -n "$lat" ] || lat='{}'
lat_med=$(jq '.median_ms // 0' <<<"$lat")
lat_p99=$(jq '.p99_ms // 0' <<<"$lat")
lat_mirror=$(jq '.mirror_median_ms // 0' <<<"$lat")
lat_netlink=$(jq '.netlink_median_ms // 0' <<<"$lat")
lat_observed=$(jq '.observed_median_ms // 0' <<<"$lat")
check "switch: frames were sent ($sent_sw) and arrived ($got_sw)" [ "$sent_sw" -gt 0 -a "$got_sw" -gt 0 ]
check "switch: the software switch routed what h2 received ($routed >= $got_sw)" [ "$routed" -ge "$got_sw" ]
check "linux: frames were sent ($sent_lx) and arrived ($got_lx)" [ "$sent_lx" -gt 0 -a "$got_lx" -gt 0 ]
check "to Linux: frames were sent ($sent_in) and Linux got them ($got_in)" [ "$sent_in" -gt 0 -a "$got_in" -gt 0 ]
check "to Linux: the switch handed them over as local exceptions ($local_exc >= $got_in)" [ "$local_exc" -ge "$got_in" ]
check "from Linux: frames were sent ($sent_out) and h1 got them ($got_out)" [ "$sent_out" -gt 0 -a "$got_out" -gt 0 ]
check "from Linux: the switch took them from the mux ($from_linux >= $got_out)" [ "$from_linux" -ge "$got_out" ]
ratio=$(awk -v a="$switch_pps" -v b="$linux_pps" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
echo "switch_pps=$switch_pps linux_pps=$linux_pps ratio=$ratio route_latency_ms median=$lat_med p99=$lat_p99 netlink_median=$lat_netlink mirror_median=$lat_mirror observed_median=$lat_observed"
echo "exceptions through the switch: to Linux $exc_to_linux_fps/s (of $sent_in sent), from Linux $exc_from_linux_fps/s (of $sent_out sent)"
echo "bench: {\"kernel\": \"$(uname -r)\", \"route_to_switch_median_ms\": $lat_med, \"route_to_switch_p99_ms\": $lat_p99, \"switch_pps\": $switch_pps, \"linux_pps\": $linux_pps, \"switch_over_linux\": $ratio, \"switch_sent\": $sent_sw, \"linux_sent\": $sent_lx, \"exc_to_linux_fps\": $exc_to_linux_fps, \"exc_to_linux_sent\": $sent_in, \"exc_from_linux_fps\": $exc_from_linux_fps, \"exc_from_linux_sent\": $sent_out, \"seconds\": $SECS}"
sw_stop >/dev/null
finish
