#!/bin/bash
# Frame-path benchmarks on a link-less vlan mux (numbers, no pass/fail on
# speed; the checks only say that every frame was accounted for):
#  - exceptions_fps: the daemon floods xm0 with exceptions (802.1Q PCP 7,
#    VID 7) for a port; counted by the port's rx packets
#  - linkless_tx_fps: a loopback proxy floods frames that the mux hands to
#    its taps (none open: the daemon's side costs nothing); counted by
#    ethtool -S xm0 tx-to-daemon
# Each runs XETH_BENCH_SECONDS (3) with rawsock.py flood (sendmmsg batches,
# qdisc bypass: straight into the driver). The rig runs QEMU with TCG, so
# the numbers compare kernels and changes, not hardware.
# Run: deno task vm --kernel 6.12 bench/vm/exceptions.sh
. "$(dirname "$0")/../../tests/vm/lib.sh"

RAWSOCK=$XETH_ROOT/tests/vm/tools/rawsock.py
SECS=${XETH_BENCH_SECONDS:-3}
mac_of() { local m; read -r m <"/sys/class/net/$1/address"; echo "${m//:/}"; }
stat_of() { local v; read -r v <"/sys/class/net/$1/statistics/$2"; echo "$v"; }
mux_stat() { ethtool -S xm0 | awk -v k="$1:" '$1 == k { print $2 }'; }
# 46 bytes of payload: a 64-byte frame with one tag, 60 without
PAYLOAD=$(printf '%092d' 0)

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add xm0 type xeth-mux
ip link add xeth1 link xm0 type xeth-port xid 7
ip link add lo1 link xm0 type xeth-loopback
for d in xm0 xeth1 lo1; do ip link set "$d" up; done

# --- exceptions: daemon -> mux -> port ---------------------------------------
frame=$(mac_of xeth1)02000000fe028100e00788b5$PAYLOAD
rx0=$(stat_of xeth1 rx_packets) exc0=$(mux_stat rx-exceptions) nh0=$(mux_stat rx-nohandler)
out=$(python3 "$RAWSOCK" flood xm0 "$frame" --seconds "$SECS")
rx=$(($(stat_of xeth1 rx_packets) - rx0))
sent=$(jq .sent <<<"$out")
secs=$(jq .seconds <<<"$out")
exc_fps=$(awk -v n="$rx" -v s="$secs" 'BEGIN { printf "%d", n / s }')
echo "# exceptions: $out; xeth1 received $rx"
check "exceptions: frames were sent ($sent)" test "$sent" -gt 0
check_eq "exceptions: xeth1 received every frame sent" "$sent" "$rx"
check_eq "exceptions: ethtool rx-exceptions counted each" "$sent" $(($(mux_stat rx-exceptions) - exc0))
check_eq "exceptions: none went unhandled" 0 $(($(mux_stat rx-nohandler) - nh0))

# --- link-less transmit: proxy -> mux -> (daemon) ----------------------------
frame=02000000fe01$(mac_of lo1)88b5$PAYLOAD
tx0=$(stat_of lo1 tx_packets) td0=$(mux_stat tx-to-daemon)
out=$(python3 "$RAWSOCK" flood lo1 "$frame" --seconds "$SECS")
td=$(($(mux_stat tx-to-daemon) - td0))
sent=$(jq .sent <<<"$out")
secs=$(jq .seconds <<<"$out")
tx_fps=$(awk -v n="$td" -v s="$secs" 'BEGIN { printf "%d", n / s }')
echo "# link-less transmit: $out; tx-to-daemon $td"
check "link-less transmit: frames were sent ($sent)" test "$sent" -gt 0
check_eq "link-less transmit: tx-to-daemon counted every frame sent" "$sent" "$td"
check_eq "link-less transmit: lo1 counted each" "$sent" $(($(stat_of lo1 tx_packets) - tx0))

echo "exceptions_fps=$exc_fps"
echo "linkless_tx_fps=$tx_fps"
echo "bench: {\"kernel\": \"$(uname -r)\", \"exceptions_fps\": $exc_fps, \"linkless_tx_fps\": $tx_fps, \"seconds\": $SECS}"
ip link del xm0
finish
