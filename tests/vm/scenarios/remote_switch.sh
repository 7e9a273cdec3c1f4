#!/bin/bash
# SWITCHD on one machine drives a SWITCH on another (xeth-switch) through
# WireGuard. Two guests (settings.json "peer"): this one, A, runs the
# module, a mux linked to a GRETAP tunnel and SWITCHD with
# --switch remote=...; the peer, B, runs xeth-switch on the tunnel's
# other end, with two hosts (namespaces) on its ports. The machines' wan
# is a virtual link between the two QEMUs that carries nothing but
# WireGuard; the scenario drives B over the rig's own second link
# (lib_peer.sh on_peer). The tunnel carries the mux's frames (tags and
# exception mark as on any lower link); the program connection is TCP
# inside WireGuard. Hosts on B reach each other routed by B's SWITCH as
# A's kernel says; ARP and TTL 1 reach A's Linux and are answered; B's
# carrier and counters show on A's proxies; B forwards on while the wan is
# cut, and holds A's routes once it is back; a wrong key gets nowhere.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"
. "$(dirname "$0")/../lib_peer.sh"

H1=rsw-h1 H2=rsw-h2
XSW=$XETH_ROOT/dataplane/target/release/xeth-switch
MC="deno run -A --cached-only $XETH_ROOT/tests/vm/tools/mirror_compare.ts"
SW_CTL=/tmp/rsw.sock
KEYS=/tmp/rsw-keys
PORT=9797
A_WAN=192.0.2.1 B_WAN=192.0.2.2
B_LOG=/tmp/xeth-switch.log

carrier() { # carrier DEV on|off: DEV has carrier, or has not
	local has
	has=$(ip -j link show "$1" | jq -r '.[0].flags | index("LOWER_UP") != null')
	[ "$has" = "$([ "$2" = on ] && echo true || echo false)" ]
}
rx_packets() { ip -j -s link show "$1" | jq -r '.[0].stats64.rx.packets'; }
pings() { # pings HOST ADDR COUNT: a host on B pings
	on_peer ip netns exec "$1" ping -q -c "$3" -i 0.2 -w "$(scaled 20)" "$2" >/dev/null
}
switch_holds_routes() { # B's SWITCH holds the routes of A's kernel
	$MC "$SW_CTL" compare-switch >/tmp/rsw-cmp.json
}

ALL_CASES="up reach exceptions carrier counters encrypted cut wrong_key down"

# wan_neigh: each machine knows the other's wan address for good, so that
# the wan carries no ARP of its own (the capture in "encrypted" counts
# WireGuard alone), also after it was down
wan_neigh() {
	local mac_a mac_b
	mac_a=$(cat "/sys/class/net/$PEER_WAN/address")
	mac_b=$(on_peer cat "/sys/class/net/$B_DEV/address") || return 1
	ip neigh replace "$B_WAN" lladdr "$mac_b" dev "$PEER_WAN" nud permanent &&
		on_peer ip neigh replace "$A_WAN" lladdr "$mac_a" dev "$B_DEV" nud permanent
}

wan_up() {
	ip addr add "$A_WAN/24" dev "$PEER_WAN" &&
		on_peer ip addr add "$B_WAN/24" dev "$B_DEV" &&
		wan_neigh
}

# wg_pair DEV ADDR_A ADDR_B PORT_B [WRONG]: WireGuard DEV on A and B over
# the wan, each machine's key made on it and read from a file; with WRONG,
# A knows B by another key than B's own
wg_pair() {
	local dev=$1 ka=$KEYS/$1-a kb=$KEYS/$1-b kx=$KEYS/$1-x pub_b
	wg genkey >"$ka" && wg genkey >"$kx" || return 1
	on_peer bash -c "mkdir -p $KEYS && chmod 700 $KEYS && wg genkey >$kb" || return 1
	pub_b=$(on_peer bash -c "wg pubkey <$kb") || return 1
	[ -n "$5" ] && pub_b=$(wg pubkey <"$kx")
	ip link add "$dev" type wireguard &&
		wg set "$dev" private-key "$ka" peer "$pub_b" \
			endpoint "$B_WAN:$4" allowed-ips "$3/32" &&
		ip addr add "$2/24" dev "$dev" && ip link set "$dev" up &&
		on_peer ip link add "$dev" type wireguard &&
		on_peer wg set "$dev" private-key "$kb" listen-port "$4" \
			peer "$(wg pubkey <"$ka")" allowed-ips "$2/32" &&
		on_peer ip addr add "$3/24" dev "$dev" &&
		on_peer ip link set "$dev" up
}

gretap_up() {
	ip link add gt0 type gretap local 10.99.0.1 remote 10.99.0.2 &&
		on_peer ip link add gt0 type gretap local 10.99.0.2 remote 10.99.0.1 &&
		ip link set gt0 up && on_peer ip link set gt0 up
}

# B's hosts h1 and h2 on its interfaces w1 and w2 (the SWITCH's ports)
B_HOSTS='
for i in 1 2; do
	ip netns add "rsw-h$i" &&
	ip -n "rsw-h$i" link set lo up &&
	ip link add "w$i" type veth peer name eth0 netns "rsw-h$i" &&
	ip netns exec "rsw-h$i" ethtool -K eth0 tx off tso off gso off >/dev/null &&
	ip -n "rsw-h$i" addr add "10.$i.0.2/24" dev eth0 &&
	ip -n "rsw-h$i" link set eth0 up &&
	ip -n "rsw-h$i" route add default via "10.$i.0.1" &&
	ip link set "w$i" arp off up || exit 1
done'

case_up() {
	check "insmod xeth.ko" load_xeth
	modprobe -a wireguard ip_gre
	# not inside check, whose subshell would keep the names it finds
	peer_links >/tmp/peer_links.err 2>&1
	check "A's links to B: the wan and the rig's own" \
		test -n "$PEER_WAN" -a -n "$PEER_CTL" -a ! -s /tmp/peer_links.err
	check "B answers on the rig's link" peer_ready 120
	B_DEV=$(on_peer printenv PEER_WAN)
	check_eq "B runs this kernel too" "$(uname -r)" "$(on_peer uname -r)"
	# (a guest's kernel cannot load modules by itself: its modprobe is in
	# the host's tree, not in the initramfs it booted from)
	on_peer modprobe -a wireguard ip_gre veth
	mkdir -p "$KEYS" && chmod 700 "$KEYS"
	check "an address on each end of the wan" wan_up
	check "WireGuard between them, keys from files" wg_pair wg0 10.99.0.1 10.99.0.2 51820
	check "A reaches B inside the tunnel" \
		ping -q -c 1 -w "$(scaled 10)" 10.99.0.2
	# the mux's lower link: GRETAP inside WireGuard
	check "a GRETAP tunnel inside it" gretap_up
	check "A's mux linked to the tunnel, ports xeth1 and xeth2" ip -batch - <<-EOT
		link add xm0 link gt0 type xeth-mux
		link add xeth1 link xm0 type xeth-port xid 1
		link add xeth2 link xm0 type xeth-port xid 2
		link set xm0 up
		link set xeth1 up
		link set xeth2 up
		addr add 10.1.0.1/24 dev xeth1
		addr add 10.2.0.1/24 dev xeth2
	EOT
	sysctl -qw net.ipv4.ip_forward=1
	check "B's hosts h1 and h2 on its interfaces w1 and w2" on_peer bash -c "$B_HOSTS"
	# its status once it ends: the "down" case checks it
	on_peer bash -c "setsid bash -c '$XSW --uplink gt0 --listen 10.99.0.2:$PORT >$B_LOG 2>&1; echo \$? >$B_LOG.rc' </dev/null >/dev/null 2>&1 &"
	check "xeth-switch on B listens on its tunnel address" \
		wait_for 60 on_peer grep -q "listening on 10.99.0.2:$PORT" "$B_LOG"
	$SW_RUN --mux xm0 --switch "remote=10.99.0.2:$PORT" \
		--attach xeth1=w1 --attach xeth2=w2 --control "$SW_CTL" --stats-interval 1 \
		>/tmp/switchd.out 2>/tmp/switchd.log &
	SW_PID=$!
	check "SWITCHD on A is live, programming B's SWITCH" $MC "$SW_CTL" wait live 120
	check "xeth-switch took SWITCHD as its controller" \
		on_peer grep -q "controller 10.99.0.1:" "$B_LOG"
	check "B's SWITCH has A's two ports attached (to w1 and w2)" \
		wait_for 30 carrier xeth2 on
}

case_reach() {
	needs up
	local before
	before=$(sw_stat routed)
	check "h1 reaches h2 through B's SWITCH" pings "$H1" 10.2.0.2 5
	check "h2 reaches h1" pings "$H2" 10.1.0.2 5
	# the first packet to each host waits for A's Linux to resolve it
	check "B's SWITCH routed them, not A's Linux" test $(($(sw_stat routed) - before)) -ge 12
	check "the routes of A's kernel are in B's SWITCH" switch_holds_routes
}

case_exceptions() {
	needs up
	local out
	on_peer ip -n "$H1" neigh flush dev eth0
	check "h1's ARP for its gateway reaches A's Linux and is answered" pings "$H1" 10.1.0.1 1
	check_eq "with xeth1's MAC" "$(ip -j link show xeth1 | jq -r '.[0].address')" \
		"$(on_peer ip -n "$H1" -j neigh show 10.1.0.1 | jq -r '.[0].lladdr')"
	out=$(on_peer ip netns exec "$H1" ping -c 1 -t 1 -W "$(scaled 5)" 10.2.0.2 2>&1)
	check "TTL 1: A's Linux says time exceeded, from 10.1.0.1" grep -q "From 10.1.0.1.*Time to live exceeded" <<<"$out"
	check "B counts the exceptions it sent up" test "$(sw_stat exceptions)" -gt 0
}

case_carrier() {
	needs up
	check "xeth2 has carrier while w2 has" wait_for 30 carrier xeth2 on
	on_peer ip -n "$H2" link set eth0 down
	check "B's w2 loses carrier: A's xeth2 does" wait_for 30 carrier xeth2 off
	on_peer ip -n "$H2" link set eth0 up
	check "and gets it back" wait_for 30 carrier xeth2 on
	on_peer ip -n "$H2" route replace default via 10.2.0.1
}

case_counters() {
	needs up reach
	ethtool -S xeth1 | sed 's/^/# /' | head -20
	check "ip -s on A counts what B's port received" test "$(rx_packets xeth1)" -gt 0
	check "ethtool -S on A lists B's counters for xeth1" \
		bash -c "ethtool -S xeth1 | awk '/rx-unicast|rx_unicast|rx-packets|rx_packets/ && \$2 > 0 { f = 1 } END { exit !f }'"
}

case_encrypted() {
	needs up
	local cap=/tmp/rsw-wan.txt err=/tmp/rsw-tcpdump.err tp
	# on A's end of the virtual link between the two machines
	timeout "$(scaled 30)" tcpdump -l -n -i "$PEER_WAN" -c 20 >"$cap" 2>"$err" &
	tp=$!
	wait_for 30 grep -q "listening on $PEER_WAN" "$err"
	# h1 to A's own address: every echo is an exception up the tunnel, and
	# every reply comes down it
	pings "$H1" 10.1.0.1 10
	wait $tp
	echo "# $(wc -l <"$cap") packets captured on the wan"
	head -3 "$cap" | sed 's/^/#   /'
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
	ip link set "$PEER_WAN" down
	check_fails "A cannot reach B while the wan is down" \
		ping -q -c 1 -W 1 10.99.0.2
	# only B's SWITCH is there to forward them: A is out of reach
	check "h1 still reaches h2: B's SWITCH forwards on" pings "$H1" 10.2.0.2 3
	# a route A's kernel gets meanwhile
	ip route add 10.77.0.0/24 via 10.2.0.2
	# the outage lasts 10 s (longer than the switch waits for a silent controller)
	sleep 10
	ip link set "$PEER_WAN" up
	# a link set down forgets its neighbours, the permanent ones too
	wan_neigh
	check "B's SWITCH holds A's routes once the wan is back, the one added meanwhile too" \
		wait_for 120 switch_holds_routes
	check "SWITCHD connected again and programmed B anew" \
		grep -q "was out of reach and is back: programming it anew" /tmp/switchd.log
	on_peer cat "$B_LOG" | sed 's/^/# /'
	check "xeth-switch took SWITCHD's new connection" \
		test "$(on_peer grep -c "controller 10.99.0.1:[0-9]* connected" "$B_LOG")" -ge 2
	kill -0 "$SW_PID" 2>/dev/null ||
		tail -n 20 /tmp/switchd.log /tmp/switchd.out | sed 's/^/# /'
	check "SWITCHD stayed up" kill -0 "$SW_PID"
	check "xeth-switch stayed up" on_peer pgrep -x xeth-switch
	check "h1 reaches h2 after" pings "$H1" 10.2.0.2 3
}

case_wrong_key() {
	needs up
	check "a second tunnel, A knowing B by a wrong key" wg_pair wg1 10.98.0.1 10.98.0.2 51821 wrong
	check_fails "nothing gets through it" ping -q -c 2 -w "$(scaled 5)" 10.98.0.2
	check_eq "B never completed a handshake with A" 0 \
		"$(on_peer wg show wg1 latest-handshakes | awk '{ print $2 }')"
}

case_down() {
	needs up
	local rc
	sw_stop
	rc=$?
	check_eq "SWITCHD stops on SIGTERM, status 0" 0 "$rc"
	[ "$rc" = 0 ] || tail -n 15 /tmp/switchd.log /tmp/switchd.out | sed 's/^/# /'
	# by its name: the shell that waits for its status has its arguments
	on_peer pkill -TERM -x xeth-switch
	check "xeth-switch ends on SIGTERM" wait_for 30 on_peer test -s "$B_LOG.rc"
	check_eq "with status 143" 143 "$(on_peer cat "$B_LOG.rc")"
	check_fails "no SWITCHD is left" pgrep -f "main.ts --mux xm0"
	check_fails "no xeth-switch is left on B" on_peer pgrep -x xeth-switch
	ip link del wg1 2>/dev/null
	ip link del gt0
	ip link del wg0
	check "rmmod xeth" wait_for 30 rmmod xeth
	# ip_gre made gre0, gretap0 and erspan0 here when it loaded
	modprobe -r ip_gre wireguard
}

run_cases
# the peer guest ends with its agent
peer_bye
finish
