#!/bin/bash
# BGP convergence with a real routing daemon (FRR from Debian), through the
# software SWITCH and through plain Linux, side by side in one boot, for
# each route count in XETH_BENCH_BGP_ROUTES (default "10000 100000"):
#  - linux_s: FRR in namespace r1 peers over eBGP with FRR in p1 across a
#    veth pair (no xeth); from the session's establishment until r1's
#    kernel holds the N routes p1 announces (the route in the kernel is the
#    end point)
#  - switch_s: the same FRR pair, the switch's side on the proxies of a
#    link-less mux and the peer in host h1 behind port xeth1 of SWITCHD's
#    software SWITCH (the session itself runs through the switch); from
#    the session's establishment until the software SWITCH holds the N
#    routes: the moment SWITCHD says it last programmed the switch, read
#    by mirror_compare.ts once a second until the switch holds them all
#    (so how often it asks does not change the figure)
#  - switch_kernel_s: in that run, until the switch's kernel FIB held them
#  - ratio = switch_s / linux_s: what the switch adds to Linux alone
# Each size runs XETH_BENCH_BGP_ROUNDS (3) rounds of both, Linux then the
# switch; the figures are the medians, each round's are printed.
# Establishment is FRR's own (bgpTimerUpMsec, read afterwards), so no
# polling delays it; the kernels' route counts come from
# /proc/net/fib_triestat (cheap at 100k routes), every 250 ms.
# Numbers, no pass/fail on speed: the checks say that each run converged.
# Run: XETH_BENCH_BGP_ROUTES=10000 deno task vm --kernel 6.12 bench/vm/bgp_convergence.sh
. "$(dirname "$0")/../../tests/vm/lib.sh"
. "$(dirname "$0")/../../tests/vm/lib_switch.sh"
. "$(dirname "$0")/../../tests/vm/lib_frr.sh"

SIZES=${XETH_BENCH_BGP_ROUTES:-10000 100000}
ROUNDS=${XETH_BENCH_BGP_ROUNDS:-3}
MC="deno run -A --cached-only $XETH_ROOT/tests/vm/tools/mirror_compare.ts $SW_CTL"
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a - b }'; }

main_prefixes() { # main_prefixes [NS]: IPv4 prefixes in the main table
	local pre=()
	[ -n "${1:-}" ] && pre=(ip netns exec "$1")
	"${pre[@]}" awk '/^Main:/ { m = 1 } m && /Prefixes:/ { print $2; exit }' /proc/net/fib_triestat
}
wait_prefixes() { # wait_prefixes NS|"" N SECS: prints when the main table held N
	local until=$(($(date +%s) + $3))
	while [ "$(main_prefixes "$1")" -lt "$2" ]; do
		[ "$(date +%s)" -lt "$until" ] || return 1
		sleep 0.25
	done
	now
}
established_at() { # established_at NAME PEER: when the session came up
	local t up
	t=$(now)
	up=$(frr_vtysh "$1" "show bgp neighbors $2 json" | jq --arg p "$2" '.[$p].bgpTimerUpMsec')
	awk -v t="$t" -v u="$up" 'BEGIN { printf "%.3f", t - u / 1000 }'
}
bgpd_conf() { # bgpd_conf NAME AS ID PEER PEER-AS N: an IPv4 speaker
	cat <<EOF
hostname $1
log file $FRR_DIR/$1/bgpd.log
router bgp $2
 bgp router-id $3
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor $4 remote-as $5
 address-family ipv4 unicast
EOF
	frr_networks "$6" 4
	echo " exit-address-family"
}

# --- plain Linux: r1 <-> p1 over a veth pair ---------------------------------
modprobe -q veth
for ns in r1 p1; do
	ip netns add $ns
	ip -n $ns link set lo up
done
ip -n r1 link add eth0 type veth peer name eth0 netns p1
ip -n r1 addr add 10.9.0.1/24 dev eth0
ip -n p1 addr add 10.9.0.2/24 dev eth0
ip -n r1 link set eth0 up
ip -n p1 link set eth0 up

# --- the switch: xeth1 <-> h1 through the software SWITCH -------------------
sw_mux 1 || { not_ok "a link-less mux with port 1"; finish; exit 1; }
ip addr add 10.1.0.1/24 dev xeth1
sw_host h1 s1 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
sw_start --attach xeth1=s1
check_eq "SWITCHD is live with xeth1 attached" 0 $?
check "h1 is reachable through the switch" sw_wait 30 ping -c1 -W2 10.1.0.2
base=$(($(sw_stat routes4) + $(sw_stat routes6)))

# One pass of each kind: sets linux_s, or switch_s and switch_kernel_s.
linux_pass() { # linux_pass N TAG
	local n=$1 done_at est
	bgpd_conf lr$2 65001 10.9.0.1 10.9.0.2 65002 0 >/tmp/lr.conf
	bgpd_conf lp$2 65002 10.9.0.2 10.9.0.1 65001 "$n" >/tmp/lp.conf
	frr_start lr$2 r1 /tmp/lr.conf && frr_start lp$2 p1 /tmp/lp.conf
	done_at=$(wait_prefixes r1 $((base_r1 + n)) 1800)
	check "Linux ($2): r1's kernel holds the $n routes" [ -n "$done_at" ]
	est=$(established_at lr$2 10.9.0.2)
	linux_s=$(sub "$done_at" "$est")
	frr_stop lp$2
	frr_stop lr$2
	# zebra takes its routes with it: gone before the next pass
	check "Linux ($2): the routes leave r1 with FRR" wait_for 300 at_most r1 "$base_r1"
}
switch_pass() { # switch_pass N TAG
	local n=$1 kernel_at switch_at est waiter
	bgpd_conf sw$2 65001 10.1.0.1 10.1.0.2 65002 0 >/tmp/sw.conf
	bgpd_conf h$2 65002 10.1.0.2 10.1.0.1 65001 "$n" >/tmp/h.conf
	# The watcher first: Deno takes seconds to start under TCG, which
	# would count against the switch at small N.
	rm -f /tmp/watching
	$MC wait-routes $((base + n)) 1800 --ready /tmp/watching >/tmp/wait.json &
	waiter=$!
	check "switch ($2): the watcher asks SWITCHD" wait_for 120 test -e /tmp/watching
	frr_start sw$2 - /tmp/sw.conf && frr_start h$2 h1 /tmp/h.conf
	kernel_at=$(wait_prefixes "" $((base_k + n)) 1800)
	wait $waiter
	check_eq "switch ($2): the software SWITCH holds the $n routes" 0 $?
	switch_at=$(jq -r .switch_at /tmp/wait.json)
	est=$(established_at sw$2 10.1.0.2)
	switch_s=$(sub "$switch_at" "$est")
	switch_kernel_s=$(sub "$kernel_at" "$est")
	check "switch ($2): the SWITCH's routes equal the kernel's" $MC compare-switch
	# Withdrawn when the peer goes: wait for it before the next pass.
	frr_stop h$2
	frr_stop sw$2
	check "switch ($2): the routes leave with the peer" $MC wait-routes "$base" 600 --at-most
}
at_most() { [ "$(main_prefixes "$1")" -le "$2" ]; } # at_most NS|"" N
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

json="\"kernel\": \"$(uname -r)\", \"rounds\": $ROUNDS"
base_r1=$(main_prefixes r1)
base_k=$(main_prefixes)
for n in $SIZES; do
	ls_all="" ss_all="" sk_all=""
	for r in $(seq "$ROUNDS"); do
		# Linux first, then the switch, in every round: both meet the
		# same moments of the machine's load, and medians keep one
		# lucky or unlucky pass (FRR's timers alone swing a pass by
		# seconds) from deciding the ratio.
		linux_pass "$n" "${n}r$r"
		switch_pass "$n" "${n}r$r"
		echo "# $n routes, round $r: linux_s=$linux_s switch_kernel_s=$switch_kernel_s switch_s=$switch_s"
		ls_all="$ls_all $linux_s" ss_all="$ss_all $switch_s" sk_all="$sk_all $switch_kernel_s"
	done
	linux_s=$(median <<<"$ls_all")
	switch_s=$(median <<<"$ss_all")
	switch_kernel_s=$(median <<<"$sk_all")
	ratio=$(awk -v s="$switch_s" -v l="$linux_s" 'BEGIN { printf "%.2f", s / l }')
	echo "# $n routes, medians of $ROUNDS: linux_s=$linux_s switch_kernel_s=$switch_kernel_s switch_s=$switch_s ratio=$ratio"
	json="$json, \"linux_s_$n\": $linux_s, \"switch_kernel_s_$n\": $switch_kernel_s, \"switch_s_$n\": $switch_s, \"ratio_$n\": $ratio"
done
echo "bench: {$json}"
sw_stop
finish
