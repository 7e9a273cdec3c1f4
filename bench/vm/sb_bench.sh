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

# the kernel alone: a dummy device, no xeth module
modprobe dummy
ip link add d0 type dummy
setup d0
sed -i 's/\$DEV/d0/' /tmp/r4 /tmp/r6
t0=$(now)
ip -batch /tmp/r4 && ip -6 -batch /tmp/r6
t1=$(now)
kernel=$(secs "$t0" "$t1")
ip link del d0
echo "# kernel alone: $((N4 + N6)) routes in ${kernel}s"
check "the kernel inserted every route" true

load_xeth
ip link add xm0 type xeth-mux
ip link set xm0 up
ip link add xeth1 link xm0 type xeth-port xid 7
setup xeth1
lat=$(python3 "$T/sbbench.py" latency xm0 xeth1 192.0.2.2 "$SAMPLES")
echo "# $lat"
check_eq "latency: every sample measured" "$SAMPLES" "$(jq .samples <<<"$lat")"

sed -i 's/ dev d0$/ dev xeth1/' /tmp/r4 /tmp/r6
out=$(python3 "$T/sbbench.py" bulk xm0 "$N4" "$N6" /tmp/r4 /tmp/r6)
echo "# $out"
daemon=$(jq .seconds <<<"$out")
echo "# bulk: the daemon followed $(jq .resyncs <<<"$out") resyncs"
check_eq "bulk: the daemon got every route" $((N4 + N6)) "$(jq .routes <<<"$out")"
ratio=$(awk -v d="$daemon" -v k="$kernel" 'BEGIN { printf "%.2f", d / k }')
echo "# bulk: kernel alone ${kernel}s, daemon holds all ${daemon}s, ratio ${ratio}"
echo "bench: {\"idle_latency_us\": $(jq -c '{median, p99}' <<<"$lat"), \"bulk_routes\": $((N4 + N6)), \"kernel_s\": $kernel, \"daemon_s\": $daemon, \"resyncs\": $(jq .resyncs <<<"$out"), \"ratio\": $ratio}"
finish
