#!/bin/bash
# Side-band under abuse: fuzzed messages; a stalled daemon while thousands
# of routes arrive (the queue stays within sb_txq_max, memory stays
# bounded, the resync restores the full state); a FIB dump while routes
# change; a daemon killed mid-dump reconnects to the same state.
#
# The loads are just large enough to prove that: a stalled daemon's socket
# fills after a few hundred messages, so thousands of routes overrun the
# 64-message bound many times over. XETH_FULL=1 (`deno task test --full`)
# runs the heavy ones: 100000 fuzzed messages, 30000 and 20000 routes.
. "$(dirname "$0")/../lib.sh"

T=$XETH_ROOT/tests/vm/tools
FUZZ=$(sized 10000 100000)
N=$(sized 5000 30000)     # routes that arrive while the daemon stalls
CHURN=$(sized 3000 20000) # routes that arrive during a FIB dump
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
sb_stat() { ethtool -S xm0 | awk -v k="$1:" '$1 == k { print $2 }'; }
# Unreclaimable slab: what queued messages and routes cost, without the
# caches of files that programs open (those come and go).
slab_kb() { awk '/^SUnreclaim:/ { print $2 }' /proc/meminfo; }
sb() { python3 "$T/sbclient.py" xm0; }

ip link add xm0 type xeth-mux
ip link set xm0 up
ip link add xeth1 link xm0 type xeth-port xid 7
ip link add xeth2 link xm0 type xeth-port xid 8
ip link set xeth1 up
ip addr add 192.0.2.1/24 dev xeth1

awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
	printf "route add 10.%d.%d.%d/32 via 192.0.2.2 dev xeth1\n", int(i / 65536) % 256, int(i / 256) % 256, i % 256 }' >/tmp/routes
sed 's/^route add/route del/' /tmp/routes >/tmp/unroutes
routes_in_kernel() { ip route show root 10.0.0.0/8 | wc -l; }
have_routes() { # the N routes of the overload, in the kernel
	[ "$(routes_in_kernel)" -ge "$N" ] || ip -force -batch /tmp/routes 2>/dev/null
}
# FIBENTRY prefixes under PREFIX. of a session's log, not deleted, once each
held() { # held FILE PREFIX
	jq -r --arg p "$2." 'select(.kind == "FIBENTRY" and (.prefix | startswith($p)) and .event != 3) | .prefix' "$1" |
		sort -u | wc -l
}

ALL_CASES="fuzz overload churn reconnect"

case_fuzz() {
	local out
	out=$(python3 "$T/sbfuzz.py" xm0 "$FUZZ" --seed 7 --xids 7,8)
	echo "# fuzz: $out"
	check_eq "fuzz: $FUZZ messages sent" "$FUZZ" "$(jq .sent <<<"$out")"
	check_eq "fuzz: the session still answers a dump" true "$(jq .dump_answered <<<"$out")"
	# about 9 in 10 are invalid
	check "fuzz: invalid messages were counted (more than half)" \
		test "$(sb_stat sb-rx-invalid)" -gt $((FUZZ / 2))
	echo "# fuzz: sb-rx-invalid=$(sb_stat sb-rx-invalid) sb-resyncs=$(sb_stat sb-resyncs)"
}

# overload: a daemon that stops reading while N routes arrive
case_overload() {
	local s0 s1 s2 s3 txq_default got kernel
	settle() { sleep "$(scaled 2)"; slab_kb; }
	[ "$(routes_in_kernel)" = 0 ] || ip -force -batch /tmp/unroutes 2>/dev/null
	# what the routes themselves cost, with no daemon
	s0=$(settle)
	ip -batch /tmp/routes
	s1=$(settle)
	ip -batch /tmp/unroutes
	txq_default=$(cat /sys/module/xeth/parameters/sb_txq_max)
	echo 64 >/sys/module/xeth/parameters/sb_txq_max
	s2=$(settle)
	sb >/tmp/stall.jsonl <<'SCRIPT'
connect
dump
fibdump
sh ip -batch /tmp/routes
read 2
SCRIPT
	s3=$(settle)
	echo "# overload: unreclaimable slab grew $((s1 - s0)) kB for $N routes alone, $((s3 - s2)) kB with a stalled daemon"
	check "overload: the stalled daemon was disconnected" grep -q '"eof":true' /tmp/stall.jsonl
	check "overload: resyncs were counted" test "$(sb_stat sb-resyncs)" -ge 1
	check "overload: live events queued never passed the bound" \
		test "$(sb_stat sb-txq-high-water)" -le 64
	# a queued message costs well over 64 bytes; N of them would show
	check "overload: no memory beyond the routes' own (slack 16 bytes a route)" \
		test $((s3 - s2)) -lt $((s1 - s0 + N * 16 / 1024))
	echo "$txq_default" >/sys/module/xeth/parameters/sb_txq_max
	printf 'connect\ndump\nfibdump\nclose\n' | sb >/tmp/resync.jsonl
	got=$(held /tmp/resync.jsonl 10)
	check_eq "overload: after the resync the daemon holds every route" "$N" "$got"
	kernel=$(routes_in_kernel)
	check_eq "overload: as many as the kernel has" "$kernel" "$got"
}

# a FIB dump while routes keep changing is complete, or the daemon is made
# to resync: never an incomplete dump ending in BREAK
case_churn() {
	have_routes # a longer dump, for the changes to overlap it
	awk -v n="$CHURN" 'BEGIN { for (i = 0; i < n; i++)
		printf "route add 11.%d.%d.0/24 via 192.0.2.2 dev xeth1\n", int(i / 256) % 256, i % 256 }' >/tmp/churn
	rm -f /tmp/churn.done
	sb >/tmp/churn.jsonl <<'SCRIPT'
connect
dump
sh (ip -batch /tmp/churn; touch /tmp/churn.done) >/dev/null 2>&1 &
fibdump
readuntil /tmp/churn.done
SCRIPT
	if grep -q '"eof":true' /tmp/churn.jsonl; then
		echo "# churn: the daemon was made to resync"
		printf 'connect\ndump\nfibdump\nclose\n' | sb >/tmp/churn2.jsonl
		check_eq "churn: after the resync the daemon holds every route" "$CHURN" "$(held /tmp/churn2.jsonl 11)"
	else
		echo "# churn: the dump was consistent ($(grep -c '"kind":"FIBENTRY"' /tmp/churn.jsonl) FIB messages)"
		check_eq "churn: dump and live updates hold every route" "$CHURN" "$(held /tmp/churn.jsonl 11)"
	fi
}

# a daemon killed mid-dump, then a clean dump: the same state
case_reconnect() {
	local dumper
	have_routes
	python3 "$T/sbclient.py" xm0 >/tmp/killed.jsonl < <(printf 'connect\ndump\nfibdump\nclose\n') &
	dumper=$!
	wait_for 60 grep -q '"kind":"FIBENTRY"' /tmp/killed.jsonl
	kill -9 $dumper 2>/dev/null
	wait $dumper 2>/dev/null
	# (a BREAK ends the link dump, another the FIB dump)
	echo "# reconnect: killed after $(grep -c '"kind":"FIBENTRY"' /tmp/killed.jsonl) FIB entries and $(grep -c '"kind":"BREAK"' /tmp/killed.jsonl) BREAK"
	printf 'connect\ndump\nfibdump\nclose\n' | sb >/tmp/again.jsonl
	printf 'connect\ndump\nfibdump\nclose\n' | sb >/tmp/again2.jsonl
	norm() { jq -c 'select(.kind) | del(.len)' "$1" | sort; }
	check_eq "reconnect: two dumps after a killed one are identical" \
		"$(norm /tmp/again.jsonl | md5sum)" "$(norm /tmp/again2.jsonl | md5sum)"
	check "reconnect: and complete" test "$(grep -c '"kind":"FIBENTRY"' /tmp/again.jsonl)" -gt "$N"
}

run_cases
finish
