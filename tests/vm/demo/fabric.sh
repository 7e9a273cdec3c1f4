#!/bin/bash
# The fabric demo's guest side (./run demo --fabric): lab/fabric.yaml built
# by deno task lab, BGP converging, a traceroute across leaf, spine, leaf,
# ping between every pair of hosts, and each switch's routed count.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"

. "$(dirname "$0")/../lib_lab.sh"
say() { printf '\n== %s\n' "$*"; }
lab() { # lab ARGS...: prints the command as a user types it, runs it
	printf '$ deno task lab %s\n' "${*//$XETH_ROOT\//}"
	$LAB "$@"
}

say "kernel $(uname -r): insmod xeth.ko"
check "insmod $XETH_KO" load_xeth

say "the fabric: deno task lab up lab/fabric.yaml"
sed -n '/^links:/,$p' "$FILE"
t0=$SECONDS
lab up "$FILE"
check_eq "lab up builds the fabric (in $((SECONDS - t0)) s, Deno's own start included)" 0 $?

say "FRR: eBGP between leaves and spines; leaf1 learns h3's subnet over both spines"
check "two next hops for 10.2.1.0/24 on leaf1" wait_for 180 has_hops leaf1 10.2.1.0/24 2
lab exec "$FILE" leaf1 -- ip route show 10.2.1.0/24
lab exec "$FILE" leaf1 -- vtysh --vty_socket /run/xeth-lab/fab/frr/leaf1 -c 'show bgp summary'

say "traceroute from h1 to h3: leaf1, a spine, leaf2, h3"
out=$(lab exec "$FILE" h1 -- traceroute -n -N 1 -q 1 -w "$(scaled 3)" 10.2.1.2 2>&1)
printf '%s\n' "$out"
check "h3 answers the traceroute" grep -q ' 10\.2\.1\.2 ' <<<"$out"

say "every host pings every other one, IPv4 and IPv6"
declare -A A4=([h1]=10.1.1.2 [h2]=10.1.2.2 [h3]=10.2.1.2 [h4]=10.2.2.2)
declare -A A6=([h1]=2001:db8:1:1::2 [h2]=2001:db8:1:2::2 [h3]=2001:db8:2:1::2 [h4]=2001:db8:2:2::2)
reaches() { sw_ping "fab-$1" "${A4[$2]}" && sw_ping "fab-$1" "${A6[$2]}"; }
for a in h1 h2 h3 h4; do
	for b in h1 h2 h3 h4; do
		[ $a = $b ] && continue
		check "$a -> $b: ${A4[$b]} and ${A6[$b]}" reaches "$a" "$b"
	done
done

say "deno task lab show lab/fabric.yaml: each switch's SWITCHD, and what its software switch routed"
lab show "$FILE"

say "deno task lab down lab/fabric.yaml"
lab down "$FILE"
check_eq "lab down removes every namespace" "" "$(ip netns list)"
check "unload the module" rmmod xeth
finish
