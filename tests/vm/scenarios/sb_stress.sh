#!/bin/bash
# Side-band under abuse: 100k fuzzed messages; a stalled daemon while tens
# of thousands of routes arrive (memory stays bounded, the resync restores
# the full state); a daemon killed mid-dump reconnects to the same state.
. "$(dirname "$0")/../lib.sh"

T=$XETH_ROOT/tests/vm/tools
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
sb_stat() { ethtool -S xm0 | awk -v k="$1:" '$1 == k { print $2 }'; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }

ip link add xm0 type xeth-mux
ip link set xm0 up
ip link add xeth1 link xm0 type xeth-port xid 7
ip link add xeth2 link xm0 type xeth-port xid 8
ip link set xeth1 up
ip addr add 192.0.2.1/24 dev xeth1

# fuzz
out=$(python3 "$T/sbfuzz.py" xm0 100000 --seed 7 --xids 7,8)
echo "# fuzz: $out"
check_eq "fuzz: 100000 messages sent" 100000 "$(jq .sent <<<"$out")"
check_eq "fuzz: the session still answers a dump" true "$(jq .dump_answered <<<"$out")"
check "fuzz: invalid messages were counted" test "$(sb_stat sb-rx-invalid)" -gt 50000
echo "# fuzz: sb-rx-invalid=$(sb_stat sb-rx-invalid) sb-resyncs=$(sb_stat sb-resyncs)"

# overload: a daemon that stops reading while 30000 routes arrive
N=30000
python3 - "$N" >/tmp/routes <<'PY'
import sys
n = int(sys.argv[1])
for i in range(n):
    print(f"route add 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32 via 192.0.2.2 dev xeth1")
PY
sed 's/^route add/route del/' /tmp/routes >/tmp/unroutes
settle() { sleep 2; slab_kb; }
# what the routes themselves cost, with no daemon
s0=$(settle); ip -batch /tmp/routes; s1=$(settle); ip -batch /tmp/unroutes
txq_default=$(cat /sys/module/xeth/parameters/sb_txq_max)
echo 64 >/sys/module/xeth/parameters/sb_txq_max
s2=$(settle)
python3 "$T/sbclient.py" xm0 >/tmp/stall.jsonl <<'SCRIPT'
connect
dump
fibdump
sh ip -batch /tmp/routes
read 2
SCRIPT
s3=$(settle)
echo "# overload: slab grew $((s1 - s0)) kB for $N routes alone, $((s3 - s2)) kB with a stalled daemon"
check "overload: the stalled daemon was disconnected" grep -q '"eof":true' /tmp/stall.jsonl
check "overload: resyncs were counted" test "$(sb_stat sb-resyncs)" -ge 1
check "overload: live events queued never passed the bound" \
	test "$(sb_stat sb-txq-high-water)" -le 64
# a queued message costs well over 64 bytes; 30000 of them would show
check "overload: no memory beyond the routes' own (slack 16 bytes a route)" \
	test $((s3 - s2)) -lt $((s1 - s0 + N * 16 / 1024))
echo "$txq_default" >/sys/module/xeth/parameters/sb_txq_max
printf 'connect\ndump\nfibdump\nclose\n' | python3 "$T/sbclient.py" xm0 >/tmp/resync.jsonl
got=$(jq -r 'select(.kind == "FIBENTRY" and (.prefix | startswith("10."))) | .prefix' /tmp/resync.jsonl | sort -u | wc -l)
check_eq "overload: after the resync the daemon holds every route" "$N" "$got"
kernel=$(ip -j route show | jq '[.[] | select(.dst | startswith("10."))] | length')
check_eq "overload: as many as the kernel has" "$kernel" "$got"

# a FIB dump while routes keep changing is complete, or the daemon is made
# to resync: never an incomplete dump ending in BREAK
python3 - >/tmp/churn <<'PY'
for i in range(20000):
    print(f"route add 11.{i >> 8 & 255}.{i & 255}.0/24 via 192.0.2.2 dev xeth1")
PY
python3 "$T/sbclient.py" xm0 >/tmp/churn.jsonl <<'SCRIPT'
connect
dump
sh ip -batch /tmp/churn >/dev/null 2>&1 &
fibdump
read 40
SCRIPT
wait
held() { jq -r 'select(.kind == "FIBENTRY" and (.prefix | startswith("11.")) and .event != 3) | .prefix' "$1" | sort -u | wc -l; }
if grep -q '"eof":true' /tmp/churn.jsonl; then
	echo "# churn: the daemon was made to resync"
	printf 'connect\ndump\nfibdump\nclose\n' | python3 "$T/sbclient.py" xm0 >/tmp/churn2.jsonl
	check_eq "churn: after the resync the daemon holds every route" 20000 "$(held /tmp/churn2.jsonl)"
else
	echo "# churn: the dump was consistent"
	check_eq "churn: dump and live updates hold every route" 20000 "$(held /tmp/churn.jsonl)"
fi

# a daemon killed mid-dump, then a clean dump: the same state
printf 'connect\ndump\nfibdump\nclose\n' | python3 "$T/sbclient.py" xm0 >/tmp/clean.jsonl &
sleep 0.5
kill -9 $! 2>/dev/null
wait 2>/dev/null
printf 'connect\ndump\nfibdump\nclose\n' | python3 "$T/sbclient.py" xm0 >/tmp/again.jsonl
printf 'connect\ndump\nfibdump\nclose\n' | python3 "$T/sbclient.py" xm0 >/tmp/again2.jsonl
norm() { jq -c 'select(.kind) | del(.len)' "$1" | sort; }
check_eq "reconnect: two dumps after a killed one are identical" \
	"$(norm /tmp/again.jsonl | md5sum)" "$(norm /tmp/again2.jsonl | md5sum)"
check "reconnect: and complete" test "$(grep -c '"kind":"FIBENTRY"' /tmp/again.jsonl)" -gt "$N"
finish
