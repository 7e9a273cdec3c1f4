#!/bin/bash
# The side-band through the data plane library (ffi/sideband.ts over
# libxeth_dataplane.so), the path SWITCHD takes, against the real module:
# dumps in batches, daemon-to-kernel messages visible in ip and ethtool,
# and the end of the connection when the mux goes down.
. "$(dirname "$0")/../lib.sh"

DP="deno run -A --cached-only $XETH_ROOT/tests/vm/tools/sbdp.ts"
SB="python3 $XETH_ROOT/tests/vm/tools/sbclient.py"
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
field() { jq -r "select(.dump == \"$1\") | $2" /tmp/dp.jsonl; }

ip link add xm0 type xeth-mux
ip link add xeth1 link xm0 type xeth-port xid 7
ip link add xeth2 link xm0 type xeth-port xid 8
ip link add xeth3 link xm0 type xeth-port xid 9
ip link set xm0 up
for p in xeth1 xeth2 xeth3; do ip link set $p up; done
ip addr add 10.1.0.1/24 dev xeth1
ip addr add 10.2.0.1/24 dev xeth2
ip -6 addr add 2001:db8:1::1/64 dev xeth1 nodad
for i in $(seq 0 199); do
	echo "route add 172.16.$((i / 100)).$((i % 100 * 2))/31 via 10.1.0.2"
done >/tmp/routes
ip -batch /tmp/routes

ALL_CASES="dump d2k"

# dumps in batches, against the reference client
case_dump() {
	$DP xm0 dump >/tmp/dp.jsonl 2>/tmp/dp.err
	check "the library client dumps both tables" test "$(wc -l </tmp/dp.jsonl)" = 2 ||
		sed 's/^/# /' /tmp/dp.err
	check_eq "IFINFO for every proxy" "xeth1 xeth2 xeth3" \
		"$(field ifinfo '.ifnames | sort | join(" ")')"
	# The reference client decodes the same state independently.
	printf 'connect\ndump\nfibdump\nclose\n' | $SB xm0 >/tmp/py.jsonl
	py_count() { # py_count KIND [AFTER-THE-FIRST-BREAK]
		awk -v k="\"kind\":\"$1\"" -v part="$2" '
			/"kind":"BREAK"/ { breaks++ }
			index($0, k) && (part == "" ? breaks == 0 : breaks == 1) { n++ }
			END { print n + 0 }' /tmp/py.jsonl
	}
	check_eq "as many ifinfo-dump messages as the reference client" \
		"$(py_count IFINFO)+$(py_count IFA)+$(py_count IFA6)+$(py_count ETHTOOL_SETTINGS)" \
		"$(field ifinfo '"\(.kinds.IFINFO // 0)+\(.kinds.IFA // 0)+\(.kinds.IFA6 // 0)+\(.kinds.ETHTOOL_SETTINGS // 0)"')"
	check_eq "as many FIBENTRY messages as the reference client" \
		"$(py_count FIBENTRY fib)" "$(field fibinfo '.kinds.FIBENTRY')"
	check "the 200 routes are among them" test "$(field fibinfo '.kinds.FIBENTRY')" -ge 200
	check "a receive call takes many messages" test "$(field fibinfo '.largest')" -gt 8
	check "fewer receive calls than messages" \
		test "$(field fibinfo '.calls')" -lt "$(field fibinfo '.messages')"
}

# daemon-to-kernel messages while the connection holds
case_d2k() {
	local dp
	# held until admin-down below ends it
	$DP xm0 carrier 7 on speed 7 25000 stats 8 1000 hold $(($(scaled 120) * 1000)) >/tmp/hold.jsonl 2>&1 &
	dp=$!
	# the kernel reads them in order: the stats come last
	rx_packets() { ip -j -s link show xeth2 | jq '.[0].stats64.rx.packets'; }
	arrived() { grep -qx 1 /sys/class/net/xeth1/carrier && [ "$(rx_packets)" = 1000 ]; }
	wait_for 60 arrived
	check_eq "CARRIER on: ip link shows carrier" 1 "$(cat /sys/class/net/xeth1/carrier)"
	check_eq "SPEED: ethtool shows it" "Speed: 25000Mb/s" \
		"$(ethtool xeth1 | awk '$1 == "Speed:" { print $1 " " $2 }')"
	check_eq "LINK_STAT batch: rx packets" 1000 "$(ip -j -s link show xeth2 | jq '.[0].stats64.rx.packets')"
	check_eq "LINK_STAT batch: tx bytes" 1003 "$(ip -j -s link show xeth2 | jq '.[0].stats64.tx.bytes')"
	check_eq "the 24 stats went in one batch" 24 "$(jq -r 'select(.sent) | .sent' /tmp/hold.jsonl)"
	ip link set xm0 down
	wait $dp
	check_eq "admin-down ends the connection" true "$(jq -r 'select(has("eof")) | .eof' /tmp/hold.jsonl)"
	check_eq "and drops the carrier" 0 "$(cat /sys/class/net/xeth1/carrier)"
	ip link del xm0
}

run_cases
finish
