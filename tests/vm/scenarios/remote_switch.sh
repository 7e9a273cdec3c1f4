#!/bin/bash
# SWITCHD on one machine drives a SWITCH on another (xeth-switch) through
# WireGuard. The machines are namespaces of one guest here: "rsw-a" (the
# module, a mux linked to a GRETAP tunnel, SWITCHD with
# --switch remote=...) and "rsw-b" (xeth-switch on the tunnel's other end,
# with two hosts on its ports), wired by one veth, "wan", that carries
# nothing but WireGuard. The tunnel carries the mux's frames (tags and
# exception mark as on any lower link); the program connection is TCP
# inside WireGuard. Hosts on B reach each other routed by B's SWITCH as
# A's kernel says; ARP and TTL 1 reach A's Linux and are answered; B's
# carrier and counters show on A's proxies; B forwards on while the wan is
# cut, and holds A's routes once it is back; a wrong key gets nowhere.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"

A=rsw-a B=rsw-b H1=rsw-h1 H2=rsw-h2
XSW=$XETH_ROOT/dataplane/target/release/xeth-switch
SW_CTL=/tmp/rsw.sock
KEYS=/tmp/rsw-keys
PORT=9797
ina() { ip netns exec "$A" "$@"; }
inb() { ip netns exec "$B" "$@"; }
carrier() { # carrier DEV on|off: DEV (in A) has carrier, or has not
	local has
	has=$(ip -n "$A" -j link show "$1" | jq -r '.[0].flags | index("LOWER_UP") != null')
	[ "$has" = "$([ "$2" = on ] && echo true || echo false)" ]
}
rx_packets() { ip -n "$A" -j -s link show "$1" | jq -r '.[0].stats64.rx.packets'; }
pings() { ip netns exec "$1" ping -q -c "$3" -i 0.2 -w "$(scaled 20)" "$2" >/dev/null; }

ALL_CASES="up reach exceptions carrier counters encrypted cut wrong_key down"

# wg_pair DEV ADDR_A ADDR_B PORT_B [WRONG]: WireGuard DEV in A and B over
# the wan; with WRONG, A knows B by another key than B's own
wg_pair() {
	local dev=$1 ka=$KEYS/$1-a kb=$KEYS/$1-b kx=$KEYS/$1-x
	wg genkey >"$ka" && wg genkey >"$kb" && wg genkey >"$kx" || return 1
	local peer_b
	peer_b=$(wg pubkey <"$kb")
	[ -n "$5" ] && peer_b=$(wg pubkey <"$kx")
	ip -n "$A" link add "$dev" type wireguard &&
		ip -n "$B" link add "$dev" type wireguard &&
		ina wg set "$dev" private-key "$ka" peer "$peer_b" \
			endpoint "192.0.2.2:$4" allowed-ips "$3/32" &&
		inb wg set "$dev" private-key "$kb" listen-port "$4" \
			peer "$(wg pubkey <"$ka")" allowed-ips "$2/32" &&
		ip -n "$A" addr add "$2/24" dev "$dev" &&
		ip -n "$B" addr add "$3/24" dev "$dev" &&
		ip -n "$A" link set "$dev" up && ip -n "$B" link set "$dev" up
}

wan_up() {
	ip link add wan netns "$A" type veth peer name wan netns "$B" &&
		ip -n "$A" addr add 192.0.2.1/24 dev wan &&
		ip -n "$B" addr add 192.0.2.2/24 dev wan &&
		ip -n "$A" link set wan up && ip -n "$B" link set wan up
}
gretap_up() {
	ip -n "$A" link add gt0 type gretap local 10.99.0.1 remote 10.99.0.2 &&
		ip -n "$B" link add gt0 type gretap local 10.99.0.2 remote 10.99.0.1 &&
		ip -n "$A" link set gt0 up && ip -n "$B" link set gt0 up
}

case_up() {
	check "insmod xeth.ko" load_xeth
	modprobe -a wireguard ip_gre
	mkdir -p "$KEYS" && chmod 700 "$KEYS"
	local ns
	for ns in $A $B; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
	check "a wan between the machines" wan_up
	check "WireGuard between them, keys from files" wg_pair wg0 10.99.0.1 10.99.0.2 51820
	check "A reaches B inside the tunnel" pings "$A" 10.99.0.2 1
	# the mux's lower link: GRETAP inside WireGuard
	check "a GRETAP tunnel inside it" gretap_up
	check "A's mux linked to the tunnel, ports xeth1 and xeth2" ip -n "$A" -batch - <<-EOT
		link add xm0 link gt0 type xeth-mux
		link add xeth1 link xm0 type xeth-port xid 1
		link add xeth2 link xm0 type xeth-port xid 2
		link set xm0 up
		link set xeth1 up
		link set xeth2 up
		addr add 10.1.0.1/24 dev xeth1
		addr add 10.2.0.1/24 dev xeth2
	EOT
	ina sysctl -qw net.ipv4.ip_forward=1
	# B's hosts: h1 and h2 on B's interfaces w1 and w2
	local i
	for i in 1 2; do
		ip netns add "rsw-h$i"
		ip -n "rsw-h$i" link set lo up
		ip link add "w$i" netns "$B" type veth peer name eth0 netns "rsw-h$i"
		ip netns exec "rsw-h$i" ethtool -K eth0 tx off tso off gso off >/dev/null
		ip -n "rsw-h$i" addr add "10.$i.0.2/24" dev eth0
		ip -n "rsw-h$i" link set eth0 up
		ip -n "rsw-h$i" route add default via "10.$i.0.1"
		ip -n "$B" link set "w$i" arp off up
	done
	ip netns exec "$B" "$XSW" --uplink gt0 --listen "10.99.0.2:$PORT" >/tmp/xeth-switch.log 2>&1 &
	XSW_PID=$!
	check "xeth-switch listens on B's tunnel address" \
		wait_for 60 grep -q "listening on 10.99.0.2:$PORT" /tmp/xeth-switch.log
	# not through ina: a function run in the background is a subshell, and
	# $! would be its pid, not the daemon's
	ip netns exec "$A" $SW_RUN --mux xm0 --switch "remote=10.99.0.2:$PORT" \
		--attach xeth1=w1 --attach xeth2=w2 --control "$SW_CTL" --stats-interval 1 \
		>/tmp/switchd.out 2>/tmp/switchd.log &
	SW_PID=$!
	check "SWITCHD on A is live, programming B's SWITCH" \
		deno run -A --cached-only "$XETH_ROOT/tests/vm/tools/mirror_compare.ts" "$SW_CTL" wait live 120
	check "xeth-switch took SWITCHD as its controller" grep -q "controller 10.99.0.1:" /tmp/xeth-switch.log
	check "B's SWITCH has A's two ports attached (to w1 and w2)" \
		wait_for 30 bash -c "ip -n $A -j link show xeth2 | jq -e '.[0].flags | index(\"LOWER_UP\") != null' >/dev/null"
}

case_reach() {
	needs up
	local before
	before=$(sw_stat routed)
	check "h1 reaches h2 through B's SWITCH" pings "$H1" 10.2.0.2 5
	check "h2 reaches h1" pings "$H2" 10.1.0.2 5
	# the first packet to each host waits for A's Linux to resolve it
	check "B's SWITCH routed them, not A's Linux" test $(($(sw_stat routed) - before)) -ge 12
	check "the routes of A's kernel are in B's SWITCH" \
		bash -c "ip netns exec $A deno run -A --cached-only $XETH_ROOT/tests/vm/tools/mirror_compare.ts $SW_CTL compare-switch --named-only $A >/tmp/rsw-cmp.json"
}

case_exceptions() {
	needs up
	local out
	ip -n "$H1" neigh flush dev eth0
	check "h1's ARP for its gateway reaches A's Linux and is answered" pings "$H1" 10.1.0.1 1
	check_eq "with xeth1's MAC" "$(ip -n "$A" -j link show xeth1 | jq -r '.[0].address')" \
		"$(ip -n "$H1" -j neigh show 10.1.0.1 | jq -r '.[0].lladdr')"
	out=$(ip netns exec "$H1" ping -c 1 -t 1 -W "$(scaled 5)" 10.2.0.2 2>&1)
	check "TTL 1: A's Linux says time exceeded, from 10.1.0.1" grep -q "From 10.1.0.1.*Time to live exceeded" <<<"$out"
	check "B counts the exceptions it sent up" test "$(sw_stat exceptions)" -gt 0
}

case_carrier() {
	needs up
	check "xeth2 has carrier while w2 has" wait_for 30 carrier xeth2 on
	ip -n "$H2" link set eth0 down
	check "B's w2 loses carrier: A's xeth2 does" wait_for 30 carrier xeth2 off
	ip -n "$H2" link set eth0 up
	check "and gets it back" wait_for 30 carrier xeth2 on
	ip -n "$H2" route add default via 10.2.0.1 2>/dev/null
}

case_counters() {
	needs up reach
	ina ethtool -S xeth1 | sed 's/^/# /' | head -20
	check "ip -s on A counts what B's port received" test "$(rx_packets xeth1)" -gt 0
	check "ethtool -S on A lists B's counters for xeth1" \
		bash -c "ip netns exec $A ethtool -S xeth1 | awk '/rx-unicast|rx_unicast|rx-packets|rx_packets/ && \$2 > 0 { f = 1 } END { exit !f }'"
}

case_encrypted() {
	needs up
	local cap=/tmp/rsw-wan.txt err=/tmp/rsw-tcpdump.err
	inb timeout "$(scaled 30)" tcpdump -l -n -i wan -c 20 >"$cap" 2>"$err" &
	local tp=$!
	wait_for 30 grep -q "listening on wan" "$err"
	# h1 to A's own address: every echo is an exception up the tunnel, and
	# every reply comes down it
	pings "$H1" 10.1.0.1 10
	wait $tp
	echo "# $(wc -l <"$cap") packets captured on the wan"
	check "the wan carried packets while h1 pinged A" test "$(wc -l <"$cap")" -ge 10
	check_eq "all of them WireGuard (UDP to or from port 51820)" "" \
		"$(grep -v '192\.0\.2\.[12]\.51820' "$cap" | grep -v '^$' | head -3)"
	check_fails "no ICMP, ARP or GRE in the clear" grep -qiE "ICMP|ARP|GRE|10\.[12]\.0\." "$cap"
}

# routed_on_b: h1 pings h2 three times and B's SWITCH routes all six
routed_on_b() {
	local before
	before=$(sw_stat routed)
	pings "$H1" 10.2.0.2 3 && [ $(($(sw_stat routed) - before)) -ge 6 ]
}

case_cut() {
	needs up reach
	# B holds h2's neighbour again (the carrier case made A forget it)
	check "before the cut B's SWITCH routes h1 to h2" wait_for 60 routed_on_b
	ip -n "$A" link set wan down
	check "A cannot reach B while the wan is down" \
		bash -c "! ip netns exec $A ping -q -c 1 -W 1 10.99.0.2 >/dev/null"
	# only B's SWITCH is there to forward them: A is out of reach
	check "h1 still reaches h2: B's SWITCH forwards on" pings "$H1" 10.2.0.2 3
	# a route A's kernel gets meanwhile
	ip -n "$A" route add 10.77.0.0/24 via 10.2.0.2
	# the outage lasts 10 s (longer than the switch waits for a silent controller)
	sleep 10
	ip -n "$A" link set wan up
	check "B's SWITCH holds A's routes once the wan is back, the one added meanwhile too" \
		wait_for 120 bash -c "ip netns exec $A deno run -A --cached-only $XETH_ROOT/tests/vm/tools/mirror_compare.ts $SW_CTL compare-switch --named-only $A >/tmp/rsw-cmp.json"
	check "SWITCHD connected again and programmed B anew" \
		grep -q "was out of reach and is back: programming it anew" /tmp/switchd.log
	sed 's/^/# /' /tmp/xeth-switch.log
	check "xeth-switch took SWITCHD's new connection" \
		test "$(grep -c "controller 10.99.0.1:[0-9]* connected" /tmp/xeth-switch.log)" -ge 2
	check "SWITCHD stayed up" kill -0 "$SW_PID"
	check "xeth-switch stayed up" kill -0 "$XSW_PID"
	check "h1 reaches h2 after" pings "$H1" 10.2.0.2 3
}

case_wrong_key() {
	needs up
	check "a second tunnel, A knowing B by a wrong key" wg_pair wg1 10.98.0.1 10.98.0.2 51821 wrong
	check_fails "nothing gets through it" pings "$A" 10.98.0.2 2
	check_eq "B never completed a handshake with A" 0 \
		"$(inb wg show wg1 latest-handshakes | awk '{ print $2 }')"
}

case_down() {
	needs up
	local rc
	sw_stop
	rc=$?
	check_eq "SWITCHD stops on SIGTERM, status 0" 0 "$rc"
	[ "$rc" = 0 ] || tail -n 15 /tmp/switchd.log /tmp/switchd.out | sed 's/^/# /' 
	kill "$XSW_PID"
	wait "$XSW_PID"
	check_eq "xeth-switch ends on SIGTERM" 143 $?
	check_fails "no SWITCHD or xeth-switch is left" pgrep -f "xeth-switch --uplink|main.ts --mux xm0"
	local ns
	for ns in $A $B $H1 $H2; do ip netns del "$ns"; done
	check "rmmod xeth" wait_for 30 rmmod xeth
	# ip_gre made gre0, gretap0 and erspan0 here when it loaded
	modprobe -r ip_gre wireguard
}

run_cases
finish
