#!/bin/bash
# The demo's guest side: load the module, build a small link-less switch
# (a mux, two ports, a VLAN, a lag), show it, let a side-band client dump
# it, then run SWITCHD on it and show what it mirrored.
. "$(dirname "$0")/../lib.sh"

say() { printf '\n== %s\n' "$*"; }

say "kernel $(uname -r): insmod $XETH_KO"
check "insmod xeth.ko" load_xeth
say "a link-less mux with two ports, a VLAN and a lag"
check "ip link add xeth-mux type xeth-mux" ip link add xeth-mux type xeth-mux
check "ip link add xeth1 link xeth-mux type xeth-port xid 1" \
	ip link add xeth1 link xeth-mux type xeth-port xid 1
check "ip link add xeth2 link xeth-mux type xeth-port xid 2" \
	ip link add xeth2 link xeth-mux type xeth-port xid 2
check "ip link add xeth1.100 link xeth1 type xeth-vlan" \
	ip link add xeth1.100 link xeth1 type xeth-vlan
check "ip link add lag1 link xeth2 type xeth-lag" ip link add lag1 link xeth2 type xeth-lag
check "ip link set xeth-mux up" ip link set xeth-mux up
ip addr add 192.0.2.1/24 dev xeth1
say "ip -d link show (xeth devices)"
ip -d link show | grep -A2 -E '^[0-9]+: (xeth|lag)'
say "a side-band client on @xeth-mux: DUMP_IFINFO, DUMP_FIBINFO"
printf 'connect\ndump\nfibdump\nclose\n' |
	python3 "$XETH_ROOT/tests/vm/tools/sbclient.py" xeth-mux >/tmp/demo.jsonl
jq -r 'select(.kind) | [.kind, (.reason // ""), (.xid // .prefix // .net // "" | tostring), (.ifname // "")] | join(" ")' \
	/tmp/demo.jsonl | sort | uniq -c | sort -rn | head -20
check "the dump ended with BREAK" grep -q '"kind":"BREAK"' /tmp/demo.jsonl
say "ethtool -S xeth-mux (side-band counters)"
ethtool -S xeth-mux | grep -E 'sb-(tx|rx)-msgs|sb-connects'
say "SWITCHD (deno task switchd --mux xeth-mux) in this guest"
SW="deno run --allow-ffi --allow-env --allow-read --allow-write --allow-net --cached-only main.ts"
ip link set xeth1 up
ip route add 203.0.113.0/24 via 192.0.2.2 dev xeth1
$SW --mux xeth-mux --control /tmp/switchd.sock 2>/tmp/switchd.log &
sw=$!
check "SWITCHD connects, dumps and goes live" \
	deno run -A --cached-only tests/vm/tools/mirror_compare.ts /tmp/switchd.sock wait live 120
say "xeth-switchd show session / links / fib"
$SW show session --control /tmp/switchd.sock
$SW show links --control /tmp/switchd.sock
$SW show fib --control /tmp/switchd.sock | grep -E 'prefix|203\.0\.113|192\.0\.2'
check "its mirror equals the kernel (ip -j route, addresses, neighbours)" \
	deno run -A --cached-only tests/vm/tools/mirror_compare.ts /tmp/switchd.sock compare
kill -TERM $sw
wait $sw
check_eq "SWITCHD stops on SIGTERM with status 0" 0 $?
say "clean up: rmmod xeth"
check "unload the module (and every device with it)" rmmod xeth
finish
