#!/bin/bash
# Route flags tell the truth about the SWITCH (the fib-offload extension):
# SWITCHD's software SWITCH with a capacity (--fib-capacity) holds 100
# test routes past what Linux had; of 150 added, the last 50 show
# rt_offload_failed in `ip route` and the rest rt_offload; traffic to a
# failed route's destination still reaches its host, forwarded by Linux;
# deleting 60 makes room and every remaining route is offloaded; IPv6
# likewise at a smaller scale; SWITCHD killed, the kernel clears the flags.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_switch.sh"

sw_mux 1 2 || { not_ok "a link-less mux with ports 1 2"; finish; exit 1; }
ip addr add 10.1.0.1/24 dev xeth1
ip addr add 2001:db8:1::1/64 dev xeth1 nodad
ip addr add 10.2.0.1/24 dev xeth2
ip addr add 2001:db8:2::1/64 dev xeth2 nodad
sw_host h1 s1 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
sw_host h2 s2 10.2.0.2/24 10.2.0.1 2001:db8:2::2/64 2001:db8:2::1
# h2 answers for the first and the last test route's destinations
ip -n h2 addr add 10.100.0.1/32 dev lo
ip -n h2 addr add 10.100.149.1/32 dev lo
ip -n h2 addr add 2001:db8:100:1d::1/128 dev lo

N4=150 N6=30
# What Linux holds before the test routes: the SWITCH gets room for that
# and 100 (IPv4) or 20 (IPv6) more.
BASE4=$(ip -j -4 route show table all | jq length)
BASE6=$(ip -j -6 route show table all | jq length)
CAP4=$((BASE4 + 100)) CAP6=$((BASE6 + 20))
sw_start --attach xeth1=s1 --attach xeth2=s2 --fib-capacity "ipv4=$CAP4,ipv6=$CAP6"
SW_STARTED=$?

routes() { # routes FAMILY FLAG: how many routes of `ip route show table all` have FLAG
	ip -j "$1" route show table all | jq "[.[] | select((.flags // []) | index(\"$2\"))] | length"
}
unflagged() { # unflagged FAMILY: routes with none of the three flags, of
	# those the kernel tells the switch of: the first of each prefix and
	# table (the kernel notifies only the route in use: fe80::/64 on three
	# links is one route to a switch, and only the first has flags, as
	# with a chip's driver)
	ip -j "$1" route show table all |
		jq '[reduce .[] as $r ({}; "\($r.table // "main") \($r.dst)" as $k | if has($k) then . else .[$k] = $r end)
			| .[] | select((.flags // []) as $f | ["rt_offload", "rt_trap", "rt_offload_failed"] | all(. as $x | $f | index($x) | not))] | length'
}
failed_prefixes() { # failed_prefixes FAMILY: the failed routes' prefixes, sorted
	ip -j "$1" route show table all |
		jq -r '.[] | select((.flags // []) | index("rt_offload_failed")) | .dst' | sort | tr '\n' ' '
}
batch4() { # batch4 VERB FROM TO: routes 10.100.I.0/24 via h2
	local i
	for ((i = $2; i < $3; i++)); do echo "route $1 10.100.$i.0/24 via 10.2.0.2 dev xeth2"; done | ip -batch -
}
batch6() { # batch6 VERB FROM TO: routes 2001:db8:100:I::/64 via h2
	local i
	for ((i = $2; i < $3; i++)); do
		printf 'route %s 2001:db8:100:%x::/64 via 2001:db8:2::2 dev xeth2\n' "$1" "$i"
	done | ip -6 -batch -
}

sw_holds() { # sw_holds N4 N6: the SWITCH holds exactly N4 and N6 routes
	sw_stats
	[ "$(sw_figure routes4) $(sw_figure routes6)" = "$1 $2" ]
}

ALL_CASES="start flags ipv4_full linux_forwards retry ipv6 killed"

case_start() {
	check_eq "SWITCHD starts with --fib-capacity ipv4=$CAP4,ipv6=$CAP6" 0 "$SW_STARTED"
	check "SWITCHD asked the kernel for fib-offload" \
		sw_wait 10 grep -q "asked @xm0 for extensions 0x2" /tmp/switchd.log
	# the dump that follows the extension takes its time: wait for it, and
	# let the checks below say what the SWITCH held if it never got there
	sw_wait 20 sw_holds "$BASE4" "$BASE6" || true
	sw_stats
	check_eq "the SWITCH holds every IPv4 route Linux has ($BASE4)" "$BASE4" "$(sw_figure routes4)"
	check_eq "and every IPv6 route ($BASE6)" "$BASE6" "$(sw_figure routes6)"
	check_eq "show switch: its capacity" "$CAP4 $CAP6" "$(sw_figure capacity4) $(sw_figure capacity6)"
}

# every route the kernel dumped carries the SWITCH's verdict
case_flags() {
	needs start
	check "every IPv4 route has offload, trap or offload_failed" sw_wait 20 yields 0 unflagged -4
	check "every IPv6 route too" sw_wait 20 yields 0 unflagged -6
	check_eq "a connected route through a port is offloaded" 1 \
		"$(ip -j route show 10.1.0.0/24 | jq '[.[] | select(.flags | index("rt_offload"))] | length')"
	check_eq "a local route is trapped" 1 \
		"$(ip -j route show table local 10.1.0.1 | jq '[.[] | select(.flags | index("rt_trap"))] | length')"
	check_eq "nothing failed yet" 0 "$(routes -4 rt_offload_failed)"
}

case_ipv4_full() {
	needs start
	local want i
	batch4 add 0 "$N4"
	all_flagged() { [ "$(unflagged -4)" = 0 ] && [ "$(routes -4 rt_offload_failed)" = 50 ]; }
	check "150 routes added, 100 fit: exactly 50 show offload_failed" sw_wait 30 all_flagged
	want=$(for ((i = 100; i < N4; i++)); do echo "10.100.$i.0/24"; done | sort | tr '\n' ' ')
	check_eq "the failed ones are the last 50 added" "$want" "$(failed_prefixes -4)"
	check_eq "the first 100 show offload" 100 \
		"$(ip -j route show root 10.100.0.0/16 | jq '[.[] | select(.flags | index("rt_offload"))] | length')"
	sw_stats
	check_eq "show switch: capacity reached, 50 failed" "$CAP4 $CAP4 50" \
		"$(sw_figure routes4) $(sw_figure capacity4) $(sw_figure routes4.failed)"
}

# a failed route is not in the SWITCH: its traffic misses there and
# Linux forwards it; an offloaded one the SWITCH routes itself
case_linux_forwards() {
	needs ipv4_full
	local nr0 nr1 r0 r1
	check "h1 reaches 10.100.0.1 (offloaded route)" sw_ping h1 10.100.0.1
	nr0=$(sw_stat exception.no-route) r0=$(sw_stat routed)
	check "h1 reaches 10.100.149.1 through the failed 10.100.149.0/24" sw_ping h1 10.100.149.1
	handed() { nr1=$(sw_stat exception.no-route) && [ $((nr1 - nr0)) -ge 3 ]; }
	sw_wait 10 handed
	check "the SWITCH handed those echoes to Linux ($nr0 -> $nr1 no-route exceptions)" \
		[ $((nr1 - nr0)) -ge 3 ]
	r1=$(sw_stat routed)
	check "and routed the replies itself ($r0 -> $r1)" [ $((r1 - r0)) -ge 3 ]
	check "the SWITCH's routes equal the kernel's offloaded and trapped ones" \
		deno run -A --cached-only "$XETH_ROOT/tests/vm/tools/mirror_compare.ts" "$SW_CTL" compare-switch
}

case_retry() {
	needs ipv4_full
	batch4 del 0 60
	none_failed() { [ "$(routes -4 rt_offload_failed)" = 0 ] && [ "$(unflagged -4)" = 0 ]; }
	check "60 deleted: the 50 that waited are offloaded, none failed" sw_wait 30 none_failed
	check_eq "all 90 test routes left show offload" 90 \
		"$(ip -j route show root 10.100.0.0/16 | jq '[.[] | select(.flags | index("rt_offload"))] | length')"
	sw_stats
	check_eq "show switch: 10 free, none failed" "$((CAP4 - 10)) 0" \
		"$(sw_figure routes4) $(sw_figure routes4.failed)"
	check "h1 reaches 10.100.149.1, now through the SWITCH" sw_ping h1 10.100.149.1
}

case_ipv6() {
	local free
	needs start
	# The ports' link-local routes come with their carrier, after BASE6:
	# the room left is what the SWITCH says (20 unless those took some).
	free=$((CAP6 - $(sw_stat routes6)))
	batch6 add 0 "$N6"
	full6() { [ "$(unflagged -6)" = 0 ] && [ "$(routes -6 rt_offload_failed)" = $((N6 - free)) ]; }
	check "IPv6: 30 routes added, $free fit: exactly $((N6 - free)) show offload_failed" sw_wait 30 full6
	check_eq "the failed ones are the last $((N6 - free)) added" \
		"$(for ((i = free; i < N6; i++)); do printf '2001:db8:100:%x::/64\n' "$i"; done | sort | tr '\n' ' ')" \
		"$(failed_prefixes -6)"
	check "h1 reaches 2001:db8:100:1d::1 through a failed route (Linux forwards)" \
		sw_ping h1 2001:db8:100:1d::1
	batch6 del 0 15
	none6() { [ "$(routes -6 rt_offload_failed)" = 0 ] && [ "$(unflagged -6)" = 0 ]; }
	check "IPv6: 15 deleted, none failed" sw_wait 30 none6
}

case_killed() {
	needs start
	kill -KILL "$SW_PID"
	wait "$SW_PID" 2>/dev/null
	cleared() {
		for f in rt_offload rt_trap rt_offload_failed; do
			[ "$(routes -4 $f)" = 0 ] && [ "$(routes -6 $f)" = 0 ] || return 1
		done
	}
	check "SWITCHD killed: no route keeps a flag" sw_wait 20 cleared
}

run_cases
if [ $_tap_fail -gt 0 ]; then
	sw_show switch 2>/dev/null || true
	sw_show counters 2>/dev/null | grep fib_offload || true
	ip route show table all | grep -v "^10\.100\." | head -30
	ip -6 route show table all | grep -v "^2001:db8:100:" | head -30
	tail -20 /tmp/switchd.log
fi
finish
