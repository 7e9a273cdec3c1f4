#!/bin/bash
# The side-band server: dump, live events, daemon-to-kernel messages and
# malformed input, with a scripted daemon (tools/sbclient.py) on @xm0.
. "$(dirname "$0")/../lib.sh"

SB="python3 $XETH_ROOT/tests/vm/tools/sbclient.py"
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
sb_stat() { ethtool -S xm0 | awk -v k="$1:" '$1 == k { print $2 }'; }
# each case's session log
LOG=/tmp/sb.jsonl

ip link add xm0 type xeth-mux
ip link add xeth1 link xm0 type xeth-port xid 7
ip link add xeth2 link xm0 type xeth-port xid 8
ip link add xeth1.10 link xeth1 type xeth-vlan
ip link add lag1 link xeth2 type xeth-lag
ip link add lb0 link xm0 type xeth-loopback channel 2
ip addr add 192.0.2.1/24 dev xeth1
ip addr add 2001:db8::1/64 dev xeth1 nodad
ip link set xeth1.10 up
# What the daemon sends takes effect when the kernel has read it, and
# carrier reaches stacked devices through linkwatch, up to a second later:
# the scripts wait for each effect with tools/wait_for.sh.
# session LOG: runs the script on stdin with the scripted daemon, its log
# kept in /tmp/sb-CASE.jsonl and linked from LOG
session() {
	$SB xm0 >"/tmp/sb-$1.jsonl"
	ln -sf "/tmp/sb-$1.jsonl" "$LOG"
}

ALL_CASES="listener dump live d2k malformed disconnect"

case_listener() {
	ip link set xm0 down
	echo connect | session listener
	check_eq "no listener while the mux is down" '{"connect":"Connection refused"}' "$(head -1 $LOG)"
	ip link set xm0 up
}

# DUMP_IFINFO: every proxy, its addresses, settings and uppers
case_dump() {
	local dumped
	ip link set xm0 up
	session dump <<-'SCRIPT'
	connect
	dump
	close
	SCRIPT
	check_eq "connected" '{"connect":"ok"}' "$(head -1 $LOG)"
	dumped=$(cat "$LOG")
	jd() { jq -s -r "$1" <<<"$dumped"; }
	check_eq "dump: one IFINFO DUMP per proxy" 5 "$(jd '[.[] | select(.kind == "IFINFO" and .reason == "DUMP")] | length')"
	check_eq "dump: the port's name, kind and namespace" 'xeth1 1 1' \
		"$(jd '.[] | select(.kind == "IFINFO" and .reason == "DUMP" and .xid == 7) | "\(.ifname) \(.devkind) \(.net)"')"
	check_eq "dump: the vlan's xid is port | vid << 12, kind 2, kdata = encap" '40967 2 0' \
		"$(jd '.[] | select(.kind == "IFINFO" and .reason == "DUMP" and .ifname == "xeth1.10") | "\(.xid) \(.devkind) \(.kdata)"')"
	check_eq "dump: the lag is xid 3000, kind 4" '3000 4' \
		"$(jd '.[] | select(.kind == "IFINFO" and .reason == "DUMP" and .ifname == "lag1") | "\(.xid) \(.devkind)"')"
	check_eq "dump: the loopback carries its channel" '3001 5 2' \
		"$(jd '.[] | select(.kind == "IFINFO" and .reason == "DUMP" and .ifname == "lb0") | "\(.xid) \(.devkind) \(.kdata)"')"
	check_eq "dump: ifindex matches the kernel's" "$(cat /sys/class/net/xeth1/ifindex)" \
		"$(jd '.[] | select(.kind == "IFINFO" and .reason == "DUMP" and .xid == 7) | .ifindex')"
	check_eq "dump: l2-fwd-offload is on" 1 \
		"$(jd '.[] | select(.kind == "IFINFO" and .reason == "DUMP" and .xid == 7) | .features')"
	count() { jd "[.[] | select($1)] | length"; }
	check_eq "dump: settings, three link-mode sets and flags per port" '2 6 2' \
		"$(count '.kind == "ETHTOOL_SETTINGS"') $(count '(.kind // "") | startswith("LINK_MODES")') $(count '.kind == "ETHTOOL_FLAGS"')"
	check_eq "dump: the IPv4 address" '7 1 192.0.2.1 255.255.255.0' \
		"$(jd '.[] | select(.kind == "IFA") | "\(.xid) \(.event) \(.address) \(.mask)"')"
	check_eq "dump: the IPv6 address" '7 1 2001:db8::1 64' \
		"$(jd '.[] | select(.kind == "IFA6") | "\(.xid) \(.event) \(.address) \(.length)"')"
	check_eq "dump: the lag's member" '3000 8 1' \
		"$(jd '.[] | select(.kind == "CHANGE_UPPER_XID") | "\(.upper) \(.lower) \(.linking)"')"
	check_eq "dump: BREAK, then NETNS_ADD for the initial namespace" 'BREAK NETNS_ADD 1' \
		"$(jd '[.[] | select(.kind == "BREAK" or .kind == "NETNS_ADD")] | "\(.[0].kind) \(.[1].kind) \(.[1].net)"')"
	check_eq "dump: one IFINFO REG per proxy after BREAK" 5 \
		"$(jd '[.[] | select(.kind == "IFINFO" and .reason == "REG")] | length')"
}

# live events: each change read before the next
case_live() {
	local live ns1
	ip link set xm0 up
	session live <<-'SCRIPT'
	connect
	dump
	mark live
	sh ip link set xeth1 up
	read 0.5
	sh ip addr add 198.51.100.1/24 dev xeth1
	read 0.5
	sh ip addr del 198.51.100.1/24 dev xeth1
	read 0.5
	sh ethtool -K xeth1 l2-fwd-offload off
	read 0.5
	sh ip link add xeth3 link xm0 type xeth-port xid 9
	read 0.5
	sh ip link set xeth3 master lag1
	read 0.5
	sh ip link set xeth3 nomaster
	read 0.5
	sh ip netns add ns1 && ip link set xeth3 netns ns1
	read 0.5
	sh ip -n ns1 link del xeth3
	read 0.5
	close
	SCRIPT
	live=$(sed -n '/"mark":"live"/,$p' "$LOG")
	jl() { jq -s -r "$1" <<<"$live"; }
	check_eq "live: admin up" 'UP 7' "$(jl '[.[] | select(.kind == "IFINFO")][0] | "\(.reason) \(.xid)"')"
	check_eq "live: address added and removed" '1 198.51.100.1,2 198.51.100.1' \
		"$(jl '[.[] | select(.kind == "IFA") | "\(.event) \(.address)"] | join(",")')"
	check_eq "live: l2-fwd-offload off is a FEATURES event" 'FEATURES 7 0' \
		"$(jl '.[] | select(.kind == "IFINFO" and .reason == "FEATURES") | "\(.reason) \(.xid) \(.features)"')"
	check_eq "live: a new port" 'NEW 9' "$(jl '.[] | select(.kind == "IFINFO" and .reason == "NEW") | "\(.reason) \(.xid)"')"
	check_eq "live: it joins and leaves the lag" '3000 9 1,3000 9 0' \
		"$(jl '[.[] | select(.kind == "CHANGE_UPPER_XID") | "\(.upper) \(.lower) \(.linking)"] | join(",")')"
	check_eq "live: the move into ns1 is UNREG then REG" 'UNREG REG' \
		"$(jl '[.[] | select(.kind == "IFINFO" and .xid == 9 and (.reason == "UNREG" or .reason == "REG")) | .reason] | join(" ")')"
	ns1=$(ip netns exec ns1 stat -L -c %i /proc/self/ns/net)
	check_eq "live: REG carries ns1's id" "$ns1" \
		"$(jl '.[] | select(.kind == "IFINFO" and .xid == 9 and .reason == "REG") | .net')"
	check_eq "live: deleted in ns1" 'DEL' "$(jl '.[] | select(.kind == "IFINFO" and .xid == 9 and .reason == "DEL") | .reason')"
}

# daemon-to-kernel messages: each takes effect
case_d2k() {
	ip link set xm0 up
	ip link set xeth1 up
	session d2k <<-'SCRIPT'
	connect
	dump
	mark d2k
	carrier 7 1
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'test "$(cat /sys/class/net/xeth1/carrier)" = 1'
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'test "$(cat /sys/class/net/xeth1.10/carrier)" = 1'
	speed 7 25000
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'ethtool xeth1 | grep -q "Speed: 25000Mb/s"'
	linkstat 7 0 12345
	linkstat 7 3 777
	linkstat 40967 1 5
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'test "$(ip -s -j link show xeth1 | jq ".[0].stats64.rx.packets")" = 12345'
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'test "$(ip -s -j link show xeth1 | jq ".[0].stats64.tx.bytes")" = 777'
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'test "$(ip -s -j link show xeth1.10 | jq ".[0].stats64.tx.packets")" = 5'
	ethstat 7 3 999
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'ethtool -S xeth1 | grep -q "rx-octets: 999"'
	sh printf 'alpha\nbeta\n' > /sys/class/net/xm0/xeth/ethtool_stat_names
	ethstat 7 1 55
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'ethtool -S xeth1 | grep -q "beta: 55"'
	sh test "$(ethtool -S xeth1 | grep -c ': ')" = 2
	carrier 7 0
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'test "$(cat /sys/class/net/xeth1/carrier)" = 0'
	close
	SCRIPT
	d2k=$(sed -n '/"mark":"d2k"/,$p' "$LOG")
	check_eq "daemon to kernel: every check passed" "" \
		"$(jq -c 'select(.sh and .rc != 0) | .sh' <<<"$d2k")"
}

# malformed input: each message counted and dropped, the session goes on
case_malformed() {
	ip link set xm0 up
	ip link set xeth1 up
	session malformed <<-'SCRIPT'
	connect
	dump
	carrier 7 1
	sh bash "$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'test "$(cat /sys/class/net/xeth1/carrier)" = 1'
	mark invalid
	raw 0000
	raw 0000000000000000000000000000030900000000000000000000
	raw 00000000000000000000000000000263
	raw 000000000000000000000000000002090000000001000000
	raw 000000000000000000000000000002090fa0000001000000
	raw 000000000000000000000000000002090700000001
	raw 0000000000000000000000000000020b
	raw 00000000000000000001000000000209070000000100000000
	raw
	read 0.5
	sh test "$(cat /sys/class/net/xeth1/carrier)" = 1
	mark redump
	dump
	close
	SCRIPT
	after() { sed -n "/\"mark\":\"$1\"/,\$p" "$LOG"; }
	check_eq "malformed input: carrier still follows after it" "" \
		"$(after invalid | jq -c 'select(.sh and .rc != 0) | .sh')"
	check_eq "malformed input: each of 9 counted as invalid" 9 "$(sb_stat sb-rx-invalid)"
	check_eq "malformed input: the session still dumps" 1 \
		"$(after redump | jq -s '[.[] | select(.kind == "BREAK")] | length')"
}

# the sessions' end
case_disconnect() {
	needs malformed
	check_eq "no EOF in any session" "" "$(grep -l '"eof"' /tmp/sb-*.jsonl)"
	check_eq "disconnect drops port carrier" 0 "$(cat /sys/class/net/xeth1/carrier)"
	check "sent messages are counted" test "$(sb_stat sb-tx-msgs)" -gt 40
}

run_cases
finish
