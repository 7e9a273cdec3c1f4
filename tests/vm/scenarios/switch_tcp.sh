#!/bin/bash
# TCP that the switch's own Linux sends or receives through proxies and the
# software SWITCH, against host-to-host TCP routed by the same switch in the
# same boot: IPv4 and IPv6, both directions, on a plain port, a VLAN, a LAG
# and a bridge. Every transfer must arrive intact, and Linux's own must
# run at least XETH_TCP_MARGIN (0.5) times as fast as the hosts' (a ratio,
# never a time bound: under TCG the figures swing with the machine's load,
# so a pair that falls short is measured again, up to
# XETH_TCP_ROUNDS (3) pairs).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"

BYTES=${XETH_TCP_BYTES:-2000000}
MARGIN=${XETH_TCP_MARGIN:-0.5}

sw_mux 1 2 3 4 5 6 7 || { not_ok "a link-less mux with ports 1-7"; finish; exit 1; }
# xeth1: a routed port (h1); xeth2: the reference host's port (h2)
ip addr add 10.1.0.1/24 dev xeth1
ip addr add 2001:db8:1::1/64 dev xeth1 nodad
sw_host h1 s1 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
ip addr add 10.2.0.1/24 dev xeth2
ip addr add 2001:db8:2::1/64 dev xeth2 nodad
sw_host h2 s2 10.2.0.2/24 10.2.0.1 2001:db8:2::2/64 2001:db8:2::1
# br0: an xeth-bridge of xeth3 and xeth4 (h3 on xeth3)
ip link add br0 link xeth3 type xeth-bridge
ip link set xeth4 master br0
ip link set br0 up
ip addr add 10.3.0.1/24 dev br0
ip addr add 2001:db8:3::1/64 dev br0 nodad
sw_host h3 s3 10.3.0.3/24 10.3.0.1 2001:db8:3::3/64 2001:db8:3::1
# xeth5.10: VLAN 10 on xeth5; h5 tags with a Linux VLAN
ip link add xeth5.10 link xeth5 type xeth-vlan
ip link set xeth5.10 up
ip addr add 10.5.0.1/24 dev xeth5.10
ip addr add 2001:db8:5::1/64 dev xeth5.10 nodad
sw_wire h5 s5 eth0
ip -n h5 link add link eth0 name eth0.10 type vlan id 10
ip -n h5 link set eth0.10 up
ip -n h5 addr add 10.5.0.5/24 dev eth0.10
ip -n h5 addr add 2001:db8:5::5/64 dev eth0.10 nodad
ip -n h5 route add default via 10.5.0.1
ip -n h5 -6 route add default via 2001:db8:5::1
# lag1: an xeth-lag of xeth6 and xeth7; h6 bonds its two wires
ip link add lag1 link xeth6 type xeth-lag
ip link set xeth7 master lag1
ip link set lag1 up
ip addr add 10.6.0.1/24 dev lag1
ip addr add 2001:db8:6::1/64 dev lag1 nodad
sw_wire h6 s6 eth0
sw_wire h6 s7 eth1
ip -n h6 link add bond0 type bond mode balance-xor xmit_hash_policy layer3+4 miimon 100
ip -n h6 link set eth0 down
ip -n h6 link set eth1 down
ip -n h6 link set eth0 master bond0
ip -n h6 link set eth1 master bond0
ip -n h6 link set bond0 up
ip -n h6 addr add 10.6.0.6/24 dev bond0
ip -n h6 addr add 2001:db8:6::6/64 dev bond0 nodad
ip -n h6 route add default via 10.6.0.1
ip -n h6 -6 route add default via 2001:db8:6::1

sw_start --attach xeth1=s1 --attach xeth2=s2 --attach xeth3=s3 \
	--attach xeth5=s5 --attach xeth6=s6 --attach xeth7=s7
SW_STARTED=$?

# One transfer list: for each kind of proxy and family, the reference
# (h2 to the host, the host to h2: both routed by the switch) and Linux's
# own (Linux to the host, the host to Linux's address on the proxy).
specs=()
for t in port:h1:10.1.0.2:10.1.0.1:2001:db8:1::2:2001:db8:1::1 \
	vlan:h5:10.5.0.5:10.5.0.1:2001:db8:5::5:2001:db8:5::1 \
	lag:h6:10.6.0.6:10.6.0.1:2001:db8:6::6:2001:db8:6::1 \
	bridge:h3:10.3.0.3:10.3.0.1:2001:db8:3::3:2001:db8:3::1; do
	IFS=: read -r kind ns h4 l4 rest <<<"$t"
	h6=${rest%:2001*} l6=2001${rest##*:2001}
	specs+=("$kind/v4/out/ref:h2:$ns:$h4" "$kind/v4/out/linux:-:$ns:$h4"
		"$kind/v4/in/ref:$ns:h2:10.2.0.2" "$kind/v4/in/linux:$ns:-:$l4"
		"$kind/v6/out/ref:h2:$ns:$h6" "$kind/v6/out/linux:-:$ns:$h6"
		"$kind/v6/in/ref:$ns:h2:2001:db8:2::2" "$kind/v6/in/linux:$ns:-:$l6")
done
rate() { awk -v n="$1" '$1 == n { gsub(/\(/, "", $7); print $7; exit }' "$2"; } # rate NAME FILE: Mbit/s
xfer() { python3 "$XETH_ROOT/tests/vm/tools/tcp_xfer.py" pairs "$BYTES" "$@"; }

ALL_CASES="start reach transfers ratios exceptions stop"

case_start() {
	check_eq "SWITCHD starts with six ports attached" 0 "$SW_STARTED"
	check "every port has carrier" sw_wait 20 sh -c \
		'for p in xeth1 xeth2 xeth3 xeth5 xeth6 xeth7; do ip link show $p | grep -q LOWER_UP || exit 1; done'
}

# neighbours both ways before anything is timed
case_reach() {
	local h ns a a4 a6
	for h in h1:10.1.0.2:2001:db8:1::2 h3:10.3.0.3:2001:db8:3::3 h5:10.5.0.5:2001:db8:5::5 h6:10.6.0.6:2001:db8:6::6; do
		ns=${h%%:*} a=${h#*:}
		a4=${a%%:*} a6=${a#*:}
		check "$ns is reachable from h2 and from Linux (IPv4, IPv6)" sw_wait 20 sh -c \
			"ip netns exec h2 ping -c1 -W2 $a4 && ip netns exec h2 ping -c1 -W2 $a6 && ping -c1 -W2 $a4 && ping -c1 -W2 $a6"
	done
}

case_transfers() {
	local t0 s name
	needs reach
	nstat -asz >/tmp/nstat0
	t0=$(date +%s)
	xfer "${specs[@]}" >/tmp/xfer.out
	echo "# transfers of $BYTES bytes in $(($(date +%s) - t0)) s:"
	sed 's/^/#   /' /tmp/xfer.out
	for s in "${specs[@]}"; do
		name=${s%%:*}
		check "$name: $(grep -m1 "^$name " /tmp/xfer.out | cut -d' ' -f2-)" grep -q "^$name .*digest ok$" /tmp/xfer.out
	done
	nstat -asz >/tmp/nstat1
	echo "# Linux's TCP meanwhile: $(awk 'NR == FNR { a[$1] = $2; next } $1 ~ /^Tcp(RetransSegs|OutSegs|ExtTCPTimeouts|ExtTCPOFOQueue)$/ { printf "%s %d ", $1, $2 - a[$1] }' /tmp/nstat0 /tmp/nstat1)"
}

# Linux's own transfers against the hosts' through the same switch. The
# two of a pair run one after the other, so they share the machine's load;
# a pair that falls short is measured again, up to ROUNDS pairs in all, and
# the check passes on the first pair that meets the margin. Comparing the
# best of each side across rounds instead failed on a busy machine when
# one reference transfer got a quiet moment (99.5 against 35.5 Mbit/s for
# the same transfer a minute apart).
ROUNDS=${XETH_TCP_ROUNDS:-3}
case_ratios() {
	local s name ref l r round seen
	needs transfers
	for s in "${specs[@]}"; do
		name=${s%%:*}
		case $name in */linux) ;; *) continue ;; esac
		ref=${name%/linux}/ref
		l=$(rate "$name" /tmp/xfer.out) r=$(rate "$ref" /tmp/xfer.out)
		seen="$l/$r" round=1
		while ! meets "$l" "$r" && [ "$round" -lt "$ROUNDS" ]; do
			round=$((round + 1))
			xfer "$(printf '%s\n' "${specs[@]}" | grep "^$ref:")" "$(printf '%s\n' "${specs[@]}" | grep "^$name:")" >/tmp/again.out
			sed "s/^/#   round $round: /" /tmp/again.out
			l=$(rate "$name" /tmp/again.out) r=$(rate "$ref" /tmp/again.out)
			seen="$seen, $l/$r"
		done
		check "$name runs at least $MARGIN times as fast as $ref in one of $round pairs (Mbit/s, linux/ref: $seen)" \
			meets "$l" "$r"
	done
}
meets() { awk -v l="$1" -v r="$2" -v m="$MARGIN" 'BEGIN { exit !(l + 0 >= (r + 0) * m) }'; } # meets L R

case_exceptions() {
	needs transfers
	sw_show switch --json >/tmp/switch.json
	echo "# the switch: $(jq -c '{"from-linux", "exception.local", forwarded, "tx-full", "tx-errors", "rx-ring-drops.mux", "rx-ring-drops.ports", drops}' /tmp/switch.json)"
	# A full-size frame for Linux on an xeth-vlan proxy carries two tags: the
	# mux must take it (it was refused with EMSGSIZE, and TCP to Linux over a
	# VLAN stalled).
	check_eq "the switch handed Linux every exception (tx-errors)" 0 "$(jq -r '."tx-errors"' /tmp/switch.json)"
}

case_stop() {
	sw_stop
	check_eq "SWITCHD stops on SIGTERM with status 0" 0 $?
}

run_cases
[ $_tap_fail -gt 0 ] && tail -20 /tmp/switchd.log
finish
