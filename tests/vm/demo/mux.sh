#!/bin/bash
# The demo's guest side: a link-less switch of four ports, SWITCHD with the
# software SWITCH forwarding for it, and four test hosts on veth pairs
# attached to the ports; traffic crosses it routed and bridged, then
# SWITCHD shows its links, FIB and counters.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"

say() { printf '\n== %s\n' "$*"; }
run() { # run CMD...: prints the command, runs it
	printf '$ %s\n' "$*"
	"$@"
}

say "kernel $(uname -r): insmod xeth.ko"
check "insmod $XETH_KO" load_xeth
sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

say "a link-less switch: mux xm0, ports xeth1-xeth4, bridge br0 of xeth3 and xeth4"
run ip link add xm0 type xeth-mux
run ip link set xm0 up
for i in 1 2 3 4; do
	run ip link add xeth$i link xm0 type xeth-port xid $i
	ip link set xeth$i up
done
run ip link add br0 link xeth3 type xeth-bridge
run ip link set xeth4 master br0
ip link set br0 up
run ip addr add 10.1.0.1/24 dev xeth1
run ip addr add 10.2.0.1/24 dev xeth2
run ip addr add 10.3.0.1/24 dev br0
ip addr add 2001:db8:1::1/64 dev xeth1 nodad
ip addr add 2001:db8:2::1/64 dev xeth2 nodad
ip addr add 2001:db8:3::1/64 dev br0 nodad

say "four hosts (network namespaces h1-h4), each on a veth pair whose other end s1-s4 is a port's wire"
sw_host h1 s1 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
sw_host h2 s2 10.2.0.2/24 10.2.0.1 2001:db8:2::2/64 2001:db8:2::1
sw_host h3 s3 10.3.0.3/24 10.3.0.1 2001:db8:3::3/64 2001:db8:3::1
sw_host h4 s4 10.3.0.4/24 10.3.0.1 2001:db8:3::4/64 2001:db8:3::1
for h in h1 h2 h3 h4; do
	printf '%s: %s\n' $h "$(ip -n $h -br addr show dev eth0 | awk '{print $3, $4}')"
done

say "SWITCHD with the software switch: deno task switchd --mux xm0 --attach xeth1=s1 ... --attach xeth4=s4"
sw_start --attach xeth1=s1 --attach xeth2=s2 --attach xeth3=s3 --attach xeth4=s4
check_eq "SWITCHD connects, dumps the kernel's state and goes live" 0 $?
check "the ports get carrier from their wires" sw_wait 10 sh -c \
	'for p in xeth1 xeth2 xeth3 xeth4; do ip link show $p | grep -q LOWER_UP || exit 1; done'

say "traffic: routed between subnets, bridged within one"
check "h1 -> h2, routed (IPv4): ping 10.2.0.2" sw_ping h1 10.2.0.2
check "h1 -> h2, routed (IPv6): ping 2001:db8:2::2" sw_ping h1 2001:db8:2::2
routed0=$(sw_stat routed)
ip netns exec h1 ping -c 4 -i 0.3 -W 3 10.2.0.2 | grep -E 'ttl=|transmitted'
sleep 0.6
routed=$(($(sw_stat routed) - routed0))
check "the software switch routed those 4 echoes and 4 replies itself ($routed routed; Linux answered only the first ARP and ND)" \
	[ $routed -ge 8 ]
check "h3 -> h4, bridged on br0: ping 10.3.0.4" sw_ping h3 10.3.0.4
check "h4 -> h1, from the bridge to a routed port: ping 10.1.0.2" sw_ping h4 10.1.0.2
out=$(sw_xfer h1 h2 10.2.0.2 5001 8000000)
echo "TCP h1 -> h2: $out"
check "a TCP transfer h1 -> h2 arrives intact" grep -q "digest ok" <<<"$out"
out=$(sw_xfer h3 h4 10.3.0.4 5002 8000000)
echo "TCP h3 -> h4: $out"
check "a TCP transfer h3 -> h4 (bridged) arrives intact" grep -q "digest ok" <<<"$out"
out=$(ip netns exec h1 ping -c 1 -t 1 -W 3 10.2.0.2 || true)
printf '%s\n' "$out" | grep -i exceeded
check "TTL 1 is handed to Linux, which answers time exceeded" grep -q "Time to live exceeded" <<<"$out"

sleep 1.2
say "xeth-switchd show links"
sw_show links
say "xeth-switchd show fib (main table)"
sw_show fib | grep -E '^(net|prefix|ns|NET)|table 254| 254 ' | head -20
say "xeth-switchd show counters"
sw_show counters
say "xeth-switchd show switch (the software switch's own figures)"
sw_show switch | grep -E '^(switch|routes4|routes6|neighbours|fdb|forwarded|routed|exceptions|exception\.(group|ttl|no-neighbour|local)|drops|ports): '
say "ip -s link show xeth2 (the switch's counters, relayed by SWITCHD)"
ip -s link show xeth2
check "its mirror equals the kernel (ip -j route, addresses, neighbours)" \
	deno run -A --cached-only "$XETH_ROOT/tests/vm/tools/mirror_compare.ts" "$SW_CTL" compare
sw_stop
check_eq "SWITCHD stops on SIGTERM with status 0" 0 $?
say "clean up: rmmod xeth"
check "unload the module (and every device with it)" rmmod xeth
finish
