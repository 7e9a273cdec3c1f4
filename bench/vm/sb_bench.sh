#!/bin/bash
# Side-band benchmarks (numbers, no pass/fail on speed):
#  - idle latency: a route added through netlink -> the daemon holds its
#    FIBENTRY; median and p99 of XETH_BENCH_SAMPLES (200)
#  - bulk: XETH_BENCH_ROUTES4 IPv4 + XETH_BENCH_ROUTES6 IPv6 routes
#    (default 1000000 + 200000) by ip -batch; the kernel's insert time
#    without the module, then the time until a connected daemon holds them
#    all, and the ratio.
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
ip link set xeth1 down # takes its routes with it
ip link set xeth1 up
ip addr add 192.0.2.1/24 dev xeth1 2>/dev/null
ip addr add 2001:db8::1/64 dev xeth1 nodad 2>/dev/null
check_eq "switchd: the routes are gone before it starts" 0 "$(count_routes xeth1)"
deno run -A --cached-only "$XETH_ROOT/main.ts" --mux xm0 --control $CTL --log-level warning 2>/tmp/switchd.log &
sw=$!
TOOL="deno run -A --cached-only $T/mirror_compare.ts $CTL"
$TOOL wait live 120
base=$(deno run -A --cached-only "$XETH_ROOT/main.ts" show session --control $CTL --json | jq .routes)
t0=$(now)
bash /tmp/insert.sh
t_ip=$(now)
check_eq "switchd: the kernel inserted every route" $((SW4 + SW6)) "$(count_routes xeth1)"
(while sleep 10; do echo "# switchd: kernel side: $(ethtool -S xm0 | awk '/sb-(txq-depth|tx-msgs|resyncs|connects)/ { printf "%s %s ", $1, $2 }')"; done) &
mon=$!
at=$($TOOL wait-routes $((base + SW4 + SW6)) 1500)
echo "# switchd: reached at $at"
t1=$(jq .mirror_at <<<"$at")
t2=$(jq .switch_at <<<"$at")
kill $mon
switch_routes() { deno run -A --cached-only "$XETH_ROOT/main.ts" show switch --control $CTL --json | jq '(.routes4 | tonumber) + (.routes6 | tonumber)'; }
counters=$(deno run -A --cached-only "$XETH_ROOT/main.ts" show counters --control $CTL --json)
echo "# switchd: $(jq -c . <<<"$counters")"
sw_rss=$(awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' /proc/$sw/status)
sw_hwm=$(awk '/^VmHWM:/ { printf "%d", $2 / 1024 }' /proc/$sw/status)
echo "# switchd: resident ${sw_rss} MiB now, ${sw_hwm} MiB at most"
sed 's/^/# switchd log: /' /tmp/switchd.log | tail -5
switchd=$(secs "$t0" "$t1")
check_eq "switchd: its mirror got every route" $((base + SW4 + SW6)) \
	"$(deno run -A --cached-only "$XETH_ROOT/main.ts" show session --control $CTL --json | jq .routes)"
# It programs its software switch in the same turn as it updates the mirror.
check_eq "switchd: its software switch holds every route too" $((base + SW4 + SW6)) "$(switch_routes)"
kill -TERM $sw
wait $sw
ip_s=$(secs "$t0" "$t_ip")
switch_s=$(secs "$t0" "$t2")
sw_ratio=$(awk -v d="$switchd" -v k="$ip_s" 'BEGIN { printf "%.2f", d / k }')
# Against the kernel alone only when SWITCHD had the whole batch.
sw_kernel_ratio=null
[ "$SW4" = "$N4" ] && [ "$SW6" = "$N6" ] &&
	sw_kernel_ratio=$(awk -v d="$switch_s" -v k="$kernel" 'BEGIN { printf "%.2f", d / k }')
echo "# bulk: $((SW4 + SW6)) routes: ip done at ${ip_s}s, SWITCHD's mirror holds all at ${switchd}s, its switch at ${switch_s}s; ratio to ip ${sw_ratio}, switch to the kernel alone ${sw_kernel_ratio}"
echo "bench: {\"idle_latency_us\": $(jq -c '{median, p99}' <<<"$lat"), \"bulk_routes\": $((N4 + N6)), \"sb_txq_max\": $TXQ, \"kernel_s\": $kernel, \"daemon_s\": $daemon, \"resyncs\": $(jq .resyncs <<<"$out"), \"ratio\": $ratio, \"switchd_routes\": $((SW4 + SW6)), \"switchd_ip_s\": $ip_s, \"switchd_mirror_s\": $switchd, \"switchd_switch_s\": $switch_s, \"switchd_ratio\": $sw_ratio, \"switch_over_kernel\": $sw_kernel_ratio, \"switchd_resyncs\": $(jq .disconnects <<<"$counters"), \"switchd_rss_mib\": $sw_hwm}"
finish
