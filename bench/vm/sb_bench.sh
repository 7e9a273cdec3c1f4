#!/bin/bash
# Side-band benchmarks (numbers, no pass/fail on speed):
#  - idle latency: a route added through netlink -> the daemon holds its
#    FIBENTRY; median and p99 of XETH_BENCH_SAMPLES (200)
#  - bulk: XETH_BENCH_ROUTES4 IPv4 + XETH_BENCH_ROUTES6 IPv6 routes
#    (default 1000000 + 200000) by ip -batch; the kernel's insert time
#    without the module, then the time until a connected daemon holds them
#    all, and the ratio.
#  - the same batch with SWITCHD as the daemon, twice in the boot: without
#    the FIB offload feedback (--no-fib-offload), then with it; the time
#    until its mirror and its software switch hold every route, its peak
#    memory, and the feedback's cost (feedback_ratio: switch time with it
#    over without)
# Run: deno task vm --kernel 6.12 bench/vm/sb_bench.sh (XETH_BENCH_* in the
# environment of the rig reach the guest)
. "$(dirname "$0")/../../tests/vm/lib.sh"

T=$XETH_ROOT/tests/vm/tools
SAMPLES=${XETH_BENCH_SAMPLES:-200}
N4=${XETH_BENCH_ROUTES4:-1000000}
N6=${XETH_BENCH_ROUTES6:-200000}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

python3 - "$N4" "$N6" <<'PY'
import sys
n4, n6 = int(sys.argv[1]), int(sys.argv[2])
with open("/tmp/r4", "w") as f:
    for i in range(n4):
        f.write(f"route add 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32 via 192.0.2.2 dev $DEV\n")
with open("/tmp/r6", "w") as f:
    for i in range(n6):
        f.write(f"route add 2001:db8:{(i >> 16) + 0x100:x}:{i & 0xffff:x}::/64 via 2001:db8::2 dev $DEV\n")
PY
setup() { # setup DEV: a device to route through
	ip link set "$1" up
	ip addr add 192.0.2.1/24 dev "$1"
	ip addr add 2001:db8::1/64 dev "$1" nodad
}

# ip -batch keeps about 4 KB per command it has run: a million in one
# process ran a 3 GiB guest out of memory (the OOM killer took ip). Chunks
# of 50k lines, one ip each, keep it small.
insert() { # insert: every chunk of /tmp/r4 and /tmp/r6; fails on the first error
	local f
	for f in /tmp/r4.*; do ip -batch "$f" || return 1; done
	for f in /tmp/r6.*; do ip -6 -batch "$f" || return 1; done
}
count_routes() { # count_routes DEV: the benchmark's routes through DEV
	echo $(($(ip -4 route show dev "$1" | grep -c '^10\.') + $(ip -6 route show dev "$1" | grep -c '^2001:db8:10')))
}

# the kernel alone: a dummy device, no xeth module
modprobe dummy
ip link add d0 type dummy
setup d0
sed -i 's/\$DEV/d0/' /tmp/r4 /tmp/r6
split -l 50000 -d -a 3 /tmp/r4 /tmp/r4.
split -l 50000 -d -a 3 /tmp/r6 /tmp/r6.
t0=$(now)
insert
rc=$?
t1=$(now)
kernel=$(secs "$t0" "$t1")
echo "# kernel alone: $((N4 + N6)) routes in ${kernel}s"
check_eq "the kernel alone inserted every route" "0 $((N4 + N6))" \
	"$rc $(count_routes d0)"
ip link del d0

load_xeth
ip link add xm0 type xeth-mux
ip link set xm0 up
ip link add xeth1 link xm0 type xeth-port xid 7
setup xeth1
lat=$(python3 "$T/sbbench.py" latency xm0 xeth1 192.0.2.2 "$SAMPLES")
echo "# $lat"
check_eq "latency: every sample measured" "$SAMPLES" "$(jq .samples <<<"$lat")"

sed -i 's/ dev d0$/ dev xeth1/' /tmp/r4 /tmp/r6 /tmp/r4.* /tmp/r6.*
TXQ=${XETH_BENCH_TXQ:-$(cat /sys/module/xeth/parameters/sb_txq_max)}
echo "$TXQ" >/sys/module/xeth/parameters/sb_txq_max
echo "# bulk: side-band queue bound sb_txq_max=$TXQ"
declare -f insert >/tmp/insert.sh
echo insert >>/tmp/insert.sh
out=$(deno run -A --cached-only "$T/sbbulk.ts" xm0 "$N4" "$N6" /tmp/insert.sh)
echo "# $out"
echo "# side-band counters: $(ethtool -S xm0 | awk '/sb-/ { printf "%s %s ", $1, $2 }')"
dmesg | grep -iE 'xeth|out of memory|page allocation failure' | tail -5 | sed 's/^/# dmesg: /'
free -m | sed 's/^/# /' 
daemon=$(jq .seconds <<<"$out")
echo "# bulk: the daemon followed $(jq .resyncs <<<"$out") resyncs"
check_eq "bulk: the kernel inserted every route" $((N4 + N6)) "$(count_routes xeth1)"
check_eq "bulk: the daemon got every route" $((N4 + N6)) "$(jq .routes <<<"$out")"
ratio=$(awk -v d="$daemon" -v k="$kernel" 'BEGIN { printf "%.2f", d / k }')
echo "# bulk: kernel alone ${kernel}s, daemon holds all ${daemon}s, ratio ${ratio}"

# The same batch again with SWITCHD itself as the daemon: the time until
# its mirror holds every route, and until its software switch does (both
# read through its control socket). XETH_BENCH_SWITCHD_ROUTES4/6 take a
# part of the batch instead (default: all of it).
SW4=${XETH_BENCH_SWITCHD_ROUTES4:-$N4}
SW6=${XETH_BENCH_SWITCHD_ROUTES6:-$N6}
if [ "$SW4" -gt "$N4" ] || [ "$SW6" -gt "$N6" ]; then
	not_ok "XETH_BENCH_SWITCHD_ROUTES4/6 ($SW4/$SW6) must not exceed XETH_BENCH_ROUTES4/6 ($N4/$N6)"
	finish
	exit 1
fi
rm -f /tmp/r4.* /tmp/r6.*
head -n "$SW4" /tmp/r4 | split -l 50000 -d -a 3 - /tmp/r4.
head -n "$SW6" /tmp/r6 | split -l 50000 -d -a 3 - /tmp/r6.
CTL=/tmp/switchd.sock
TOOL="deno run -A --cached-only $T/mirror_compare.ts $CTL"
show() { deno run -A --cached-only "$XETH_ROOT/main.ts" show "$@" --control $CTL --json; }
mux_stat() { ethtool -S xm0 | awk -v k="$1:" '$1 == k { print $2 }'; }
# switchd_pass NAME RESULTS SWITCHD-ARGS...: the batch from no route to
# all of them with SWITCHD connected, then at least RESULTS FIB_OFFLOAD
# results taken by the module; sets ip_s (ip done), mirror_s and switch_s
# (its mirror and its software switch hold all), hwm (its peak resident
# MiB), resyncs and results (the results the module took)
results_since() { # results_since R0 N: N results or more since R0
	[ $(($(mux_stat sb-fib-offload-results) - $1)) -ge "$2" ]
}
switchd_pass() {
	local name=$1 want=$2 sw base t0 t_ip t1 t2 at mon counters r0
	shift 2
	ip link set xeth1 down # takes its routes with it
	ip link set xeth1 up
	ip addr add 192.0.2.1/24 dev xeth1 2>/dev/null
	ip addr add 2001:db8::1/64 dev xeth1 nodad 2>/dev/null
	check_eq "$name: the routes are gone before SWITCHD starts" 0 "$(count_routes xeth1)"
	r0=$(mux_stat sb-fib-offload-results)
	deno run -A --cached-only "$XETH_ROOT/main.ts" --mux xm0 --control $CTL --log-level warning "$@" 2>/tmp/switchd.log &
	sw=$!
	$TOOL wait live 120
	base=$(show session | jq .routes)
	t0=$(now)
	bash /tmp/insert.sh
	t_ip=$(now)
	check_eq "$name: the kernel inserted every route" $((SW4 + SW6)) "$(count_routes xeth1)"
	(while sleep 10; do echo "# $name: kernel side: $(ethtool -S xm0 | awk '/sb-(txq-depth|tx-msgs|resyncs|connects|fib-offload-results)/ { printf "%s %s ", $1, $2 }')"; done) &
	mon=$!
	at=$($TOOL wait-routes $((base + SW4 + SW6)) 1500)
	echo "# $name: reached at $at"
	t1=$(jq .mirror_at <<<"$at")
	t2=$(jq .switch_at <<<"$at")
	kill $mon
	counters=$(show counters)
	echo "# $name: $(jq -c . <<<"$counters")"
	hwm=$(awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' /proc/$sw/status)
	echo "# $name: resident $(awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' /proc/$sw/status) MiB now, $hwm MiB at most"
	sed "s/^/# $name: switchd log: /" /tmp/switchd.log | tail -5
	check_eq "$name: its mirror got every route" $((base + SW4 + SW6)) "$(show session | jq .routes)"
	# It programs its software switch in the same turn as it updates the mirror.
	check_eq "$name: its software switch holds every route too" $((base + SW4 + SW6)) \
		"$(show switch | jq '(.routes4 | tonumber) + (.routes6 | tonumber)')"
	# the results go out after the switch took the routes: wait for them
	wait_for 600 results_since "$r0" "$want"
	results=$(($(mux_stat sb-fib-offload-results) - r0))
	kill -TERM $sw
	wait $sw
	resyncs=$(jq .disconnects <<<"$counters")
	ip_s=$(secs "$t0" "$t_ip")
	mirror_s=$(secs "$t0" "$t1")
	switch_s=$(secs "$t0" "$t2")
}

# Both in one boot: without the offload feedback, then with it (the
# default, the module's flags set on every route).
switchd_pass plain 0 --no-fib-offload
check_eq "plain: the module got no offload result" 0 "$results"
plain_switch_s=$switch_s plain_ip_s=$ip_s plain_hwm=$hwm
switchd_pass feedback $((SW4 + SW6))
check "feedback: the module got a result for every route ($results)" [ "$results" -ge $((SW4 + SW6)) ]
switchd=$mirror_s
sw_hwm=$hwm
sw_ratio=$(awk -v d="$switchd" -v k="$ip_s" 'BEGIN { printf "%.2f", d / k }')
feedback_ratio=$(awk -v a="$switch_s" -v b="$plain_switch_s" 'BEGIN { printf "%.2f", a / b }')
# Against the kernel alone only when SWITCHD had the whole batch.
sw_kernel_ratio=null
[ "$SW4" = "$N4" ] && [ "$SW6" = "$N6" ] &&
	sw_kernel_ratio=$(awk -v d="$switch_s" -v k="$kernel" 'BEGIN { printf "%.2f", d / k }')
echo "# bulk: $((SW4 + SW6)) routes: ip done at ${ip_s}s, SWITCHD's mirror holds all at ${switchd}s, its switch at ${switch_s}s; ratio to ip ${sw_ratio}, switch to the kernel alone ${sw_kernel_ratio}"
echo "# feedback: switch holds all at ${switch_s}s with it, ${plain_switch_s}s without (ratio ${feedback_ratio}; ip done at ${ip_s}s and ${plain_ip_s}s); SWITCHD at most ${sw_hwm} MiB with it, ${plain_hwm} MiB without"
echo "bench: {\"idle_latency_us\": $(jq -c '{median, p99}' <<<"$lat"), \"bulk_routes\": $((N4 + N6)), \"sb_txq_max\": $TXQ, \"kernel_s\": $kernel, \"daemon_s\": $daemon, \"resyncs\": $(jq .resyncs <<<"$out"), \"ratio\": $ratio, \"switchd_routes\": $((SW4 + SW6)), \"switchd_ip_s\": $ip_s, \"switchd_mirror_s\": $switchd, \"switchd_switch_s\": $switch_s, \"switchd_ratio\": $sw_ratio, \"switch_over_kernel\": $sw_kernel_ratio, \"switchd_resyncs\": $resyncs, \"switchd_rss_mib\": $sw_hwm, \"plain_ip_s\": $plain_ip_s, \"plain_switch_s\": $plain_switch_s, \"plain_rss_mib\": $plain_hwm, \"feedback_ratio\": $feedback_ratio}"
finish
