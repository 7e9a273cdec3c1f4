#!/bin/bash
# fib-offload (XETH_EXT_FIB_OFFLOAD): a daemon that enabled it gets a cookie
# after each FIBENTRY and FIB6ENTRY and answers with FIB_OFFLOAD results,
# which the kernel shows as the routes' flags (ip route: rt_offload,
# rt_trap, rt_offload_failed): IPv4 and IPv6, multipath and siblings; a
# result for an older version of a route is stale, counted and ignored;
# the flags go when the daemon does, and when the mux, the module or a
# namespace goes while routes are flagged, nothing is left held. A daemon
# without the extension sees the messages of old.
#
# The daemon is tools/sbclient.py, fed a line at a time (say) while the
# checks run against the real routes.
. "$(dirname "$0")/../lib.sh"

T=$XETH_ROOT/tests/vm/tools
W=/tmp/sbo
mkdir -p $W
FLAG_RE='rt_offload_failed|rt_offload|rt_trap'

sb_stat() { ethtool -S xm0 | awk -v k="$1:" '$1 == k { print $2 }'; }
stat_is() { [ "$(sb_stat "$1")" = "$2" ]; } # stat_is NAME VALUE

# flags FAMILY PREFIX [NS]: the route flags ip shows for PREFIX (-4 or -6)
flags() {
	ip ${3:+-n "$3"} "$1" route show "$2" | grep -owE "$FLAG_RE" | sort | xargs
}
flags_are() { local want=$1; shift; [ "$(flags "$@")" = "$want" ]; } # flags_are EXPECTED FAMILY PREFIX [NS]
no_flags() { # no_flags [NS]: no route of any table has a flag
	! ip ${1:+-n "$1"} -4 route show table all | grep -qwE "$FLAG_RE" &&
		! ip ${1:+-n "$1"} -6 route show table all | grep -qwE "$FLAG_RE"
}

wait_check() { # wait_check DESC SECS CMD...: polls CMD for SECS (scaled)
	local desc=$1 secs end out
	secs=$(scaled "$2")
	end=$((SECONDS + secs))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $end ]; then
			out=$("$@" 2>&1)
			not_ok "$desc" "timed out after ${secs}s waiting for: $*" "$out"
			return 1
		fi
		sleep 0.1
	done
	ok "$desc"
}

mark() { # mark CASE: in the kernel log, for check_no_splat
	echo "sb_offload: case $1" >/dev/kmsg
}
check_no_splat() { # check_no_splat CASE: nothing logged since its mark
	local s
	s=$(dmesg | sed -n "/sb_offload: case $1\$/,\$p" |
		grep -E -A 8 'Oops|BUG:|WARNING:|general protection|refcount_t:|unregister_netdevice: waiting')
	if [ -z "$s" ]; then
		ok "$1: the kernel logged no oops, BUG, WARNING or held device"
	else
		not_ok "$1: the kernel logged no oops, BUG, WARNING or held device" "$s"
	fi
}

# The daemon: sbclient.py on @xm0, its script fed a line at a time by say,
# its output in $LOG.
CLIENT=
client() { # client NAME
	LOG=$W/$1.jsonl
	exec 3> >(exec python3 "$T/sbclient.py" xm0 >"$LOG" 2>&1)
	CLIENT=$!
}
say() { printf '%s\n' "$@" >&3; }
synced() { # synced NAME: the daemon got through what it was told before
	say "mark $1"
	wait_for 60 grep -qF "\"mark\":\"$1\"" "$LOG" ||
		not_ok "the daemon gets to mark $1" "$(tail -5 "$LOG")"
}
client_end() {
	[ -n "$CLIENT" ] || return 0
	say close
	exec 3>&-
	wait "$CLIENT"
	CLIENT=
}
# the daemon with the extension, dumped: connect, enable, both dumps
client_ext() { # client_ext NAME
	client "$1"
	say connect "ext 2" dump fibdump
	synced "$1-dumped"
}

# mux: the link-less xm0 with ports xeth1 (xid 7) and xeth2 (xid 8), up,
# addressed, with a route, an IPv4 multipath route, an IPv6 route and an
# IPv6 multipath route (siblings); the module first if it is not loaded
mux() {
	[ -d /sys/module/xeth ] || load_xeth || return 1
	ip link show xm0 >/dev/null 2>&1 && return 0
	ip -batch - <<-'EOF'
		link add xm0 type xeth-mux
		link add xeth1 link xm0 type xeth-port xid 7
		link add xeth2 link xm0 type xeth-port xid 8
		link set xeth1 up
		link set xeth2 up
		link set xm0 up
		addr add 192.0.2.1/24 dev xeth1
		addr add 192.0.3.1/24 dev xeth2
		addr add 2001:db8::1/64 dev xeth1 nodad
		addr add 2001:db8:3::1/64 dev xeth2 nodad
		route add 203.0.113.0/24 via 192.0.2.2 dev xeth1
		route add 198.18.0.0/15 nexthop via 192.0.2.2 dev xeth1 nexthop via 192.0.3.2 dev xeth2
		route add 2001:db8:1::/48 via 2001:db8::2 dev xeth1
		route add 2001:db8:2::/48 nexthop via 2001:db8::2 dev xeth1 nexthop via 2001:db8:3::2 dev xeth2
	EOF
}

# dummy NAME [NS]: a dummy device with an IPv4 and an IPv6 route through it
dummy() {
	modprobe dummy 2>/dev/null
	ip ${2:+-n "$2"} -batch - <<-EOF
		link add $1 type dummy
		link set $1 up
		addr add 10.9.0.1/24 dev $1
		route add 10.99.0.0/16 via 10.9.0.2 dev $1
		route add 2001:db8:99::/48 dev $1
	EOF
}

mark start
sysctl -qw net.ipv4.fib_notify_on_flag_change=1 net.ipv6.fib_notify_on_flag_change=1
mux || { not_ok "insmod xeth.ko, make xm0"; finish; exit 1; }

ALL_CASES="extensions classic flags siblings stale invalid disconnect mux_delete netns_delete rmmod"

case_extensions() {
	mux
	check_eq "the mux lists fib-offload as extension 1" "0 link-modes-ext|1 fib-offload" \
		"$(paste -sd'|' /sys/class/net/xm0/xeth/extensions)"
}

# a daemon that did not enable it: the messages of old, and its results
# are refused
case_classic() {
	local invalid
	mux
	invalid=$(sb_stat sb-rx-invalid)
	client classic
	say connect dump fibdump "offload offload 203.0.113.0/24"
	synced classic
	client_end
	check_eq "no cookie after any FIBENTRY or FIB6ENTRY (their exact old size)" 0 \
		"$(jq -s '[.[] | select(has("cookie") or has("trailing") or has("timeout")) |
			select(.kind == "FIBENTRY" or .kind == "FIB6ENTRY" or has("timeout"))] | length' "$LOG")"
	check "the dump told the routes all the same" grep -qF '"prefix":"2001:db8:2::/48"' "$LOG"
	wait_check "FIB_OFFLOAD without the extension is invalid" 20 \
		stat_is sb-rx-invalid $((invalid + 1))
	check_eq "and flags nothing" "" "$(flags -4 203.0.113.0/24)"
}

# results set the flags, and ip monitor sees them change
case_flags() {
	local told mon results
	mux
	results=$(sb_stat sb-fib-offload-results)
	ip monitor route >$W/monitor.txt 2>&1 &
	mon=$!
	client_ext flags
	told=$(jq -s '[.[] | select(.kind == "FIBENTRY" or .kind == "FIB6ENTRY")]' "$LOG")
	check "every FIBENTRY and FIB6ENTRY has a cookie, none 0" \
		jq -e 'length > 10 and all(.cookie > 0) and all(has("trailing") | not)' <<<"$told"
	# SWITCHD relies on the order (docs/protocol.md): a higher cookie, a
	# later message
	check "each one a cookie of its own, rising in the order they came" \
		jq -e '. as $t | [range(1; length) | $t[.].cookie > $t[. - 1].cookie] | all' <<<"$told"
	check "the mux holds a record per route told" test "$(sb_stat sb-fib-offload-routes)" -gt 10
	say "offload offload 203.0.113.0/24" "offload trap 198.18.0.0/15" \
		"offload failed 2001:db8:1::/48" "offload offload 2001:db8:2::/48"
	wait_check "IPv4: offload" 20 flags_are rt_offload -4 203.0.113.0/24
	wait_check "IPv4 multipath: trap" 20 flags_are rt_trap -4 198.18.0.0/15
	wait_check "IPv6: offload_failed" 20 flags_are rt_offload_failed -6 2001:db8:1::/48
	wait_check "IPv6 multipath: offload" 20 flags_are rt_offload -6 2001:db8:2::/48
	wait_check "four results applied" 20 stat_is sb-fib-offload-results $((results + 4))
	check_eq "a route no result named has no flag" "" "$(flags -4 192.0.2.0/24)"
	say "offload none 198.18.0.0/15"
	wait_check "result none clears them" 20 flags_are "" -4 198.18.0.0/15
	say "offload trap 198.18.0.0/15"
	wait_check "and trap again" 20 flags_are rt_trap -4 198.18.0.0/15
	kill "$mon"
	wait "$mon" 2>/dev/null
	check "ip monitor (fib_notify_on_flag_change) saw IPv4 offload" \
		grep -qE '^203\.0\.113\.0/24 .*\brt_offload\b' $W/monitor.txt
	check "ip monitor saw IPv6 offload_failed" \
		grep -qE '^2001:db8:1::/48 .*\brt_offload_failed\b' $W/monitor.txt
}

# each sibling of an IPv6 multipath route has the flags: what stays of it
# keeps them, and an appended one gets them with the next result
case_siblings() {
	needs flags
	say "sh ip -6 route del 2001:db8:2::/48 via 2001:db8::2 dev xeth1" "next 2001:db8:2::/48"
	synced sibling-deleted
	check_eq "a sibling deleted: the other one still has offload" rt_offload "$(flags -6 2001:db8:2::/48)"
	say "sh ip -6 route append 2001:db8:2::/48 via 2001:db8::4 dev xeth1" "next 2001:db8:2::/48" \
		"offload trap 2001:db8:2::/48"
	wait_check "a sibling appended, a result: trap" 20 flags_are rt_trap -6 2001:db8:2::/48
	say "sh ip -6 route del 2001:db8:2::/48 via 2001:db8:3::2 dev xeth2" "next 2001:db8:2::/48"
	synced first-deleted
	check_eq "the appended sibling has it too" rt_trap "$(flags -6 2001:db8:2::/48)"
}

# a result with the cookie of a replaced route is stale: counted, ignored
case_stale() {
	local stale
	needs flags
	stale=$(sb_stat sb-fib-offload-stale)
	say "sh ip route replace 203.0.113.0/24 via 192.0.2.3 dev xeth1" "next 203.0.113.0/24" \
		"sh ip -6 route replace 2001:db8:1::/48 via 2001:db8::3 dev xeth1" "next 2001:db8:1::/48" \
		"offload offload 203.0.113.0/24 cookie=prev" "offload offload 2001:db8:1::/48 cookie=prev"
	wait_check "two stale results counted" 20 stat_is sb-fib-offload-stale $((stale + 2))
	check_eq "the IPv4 route that replaced it has no flag" "" "$(flags -4 203.0.113.0/24)"
	check_eq "nor the IPv6 one" "" "$(flags -6 2001:db8:1::/48)"
	say "offload offload 203.0.113.0/24" "offload trap 2001:db8:1::/48"
	wait_check "the latest cookie flags the new IPv4 route" 20 flags_are rt_offload -4 203.0.113.0/24
	wait_check "and the new IPv6 one" 20 flags_are rt_trap -6 2001:db8:1::/48
	say "offload none 203.0.113.0/24 tos=4"
	wait_check "a result for another tos is stale" 20 stat_is sb-fib-offload-stale $((stale + 3))
	check_eq "and leaves the flag" rt_offload "$(flags -4 203.0.113.0/24)"
}

# malformed FIB_OFFLOAD: counted as invalid, nothing flagged
case_invalid() {
	local invalid results h result
	needs flags
	invalid=$(sb_stat sb-rx-invalid)
	results=$(sb_stat sb-fib-offload-results)
	h=$(printf '%028d0217' 0)
	result=$(printf '%080d' 0)
	say "raw ${h}0000000000000000" \
		"raw ${h}0100000000000000$(printf '%072d07000000' 0)" \
		"raw ${h}0100000000000000$(printf '%072d02000009' 0)" \
		"raw ${h}0200000000000000${result}" \
		"raw ${h}f300000000000000$(for _ in $(seq 242); do printf %s "$result"; done)"
	synced invalid
	wait_check "no result, a bad family, a bad result, a short batch, too many: five invalid" 20 \
		stat_is sb-rx-invalid $((invalid + 5))
	check_eq "none applied" "$results" "$(sb_stat sb-fib-offload-results)"
}

# the daemon goes: every flag it set goes with it
case_disconnect() {
	needs flags
	if no_flags; then not_ok "routes are flagged before"; else ok "routes are flagged before"; fi
	client_end
	wait_check "the daemon gone, no route has a flag" 20 no_flags
	check_eq "and the mux holds no route" 0 "$(sb_stat sb-fib-offload-routes)"
	check_no_splat start
}

# flag_dummy CASE [NS]: a daemon with the extension; the dummy's routes
# (in NS) flagged
flag_dummy() {
	client_ext "$1"
	say "offload offload 10.99.0.0/16" "offload trap 2001:db8:99::/48"
	wait_check "$1: the dummy's IPv4 route flagged" 20 flags_are rt_offload -4 10.99.0.0/16 "$2"
	wait_check "$1: and its IPv6 route" 20 flags_are rt_trap -6 2001:db8:99::/48 "$2"
}

case_mux_delete() {
	client_end
	mark mux_delete
	mux
	dummy dummy0
	flag_dummy mux_delete
	ip link del xm0
	check_eq "mux deleted: the flags went" "" "$(flags -4 10.99.0.0/16)$(flags -6 2001:db8:99::/48)"
	check "and nothing holds the dummy's routes: it is deleted" timeout "$(scaled 30)" ip link del dummy0
	say "read 2"
	client_end
	check_eq "the daemon saw EOF" 1 "$(grep -c '"eof"' "$LOG")"
	check_no_splat mux_delete
}

# held: how many routes the daemon was told of and holds, those of
# namespace NET aside (the mux's records, which sb-fib-offload-routes counts)
held() {
	jq -s --argjson ns "$1" '[.[] | select(.kind == "FIBENTRY" or .kind == "FIB6ENTRY") |
		select(.net != $ns)] | group_by([.net, .table, .kind, .prefix]) |
		map(select(.[-1].event != 3)) | length' "$LOG"
}

# the mux in the initial namespace, xeth1 and a dummy in ns1; unreachable
# routes there go with no device, so only the FIB's own exit would delete
# them: their records must go with the module's pernet exit before it
case_netns_delete() {
	local ns1
	client_end
	mark netns_delete
	mux
	ip netns add ns1
	ns1=$(ip netns exec ns1 stat -L -c %i /proc/self/ns/net)
	ip link set xeth1 netns ns1
	ip -n ns1 link set xeth1 up
	dummy dummy1 ns1
	ip -n ns1 route add unreachable 10.98.0.0/16
	ip -n ns1 route add unreachable 2001:db8:98::/48
	flag_dummy netns_delete ns1
	say "offload offload 10.98.0.0/16" "offload trap 2001:db8:98::/48"
	wait_check "netns_delete: unreachable routes flagged" 20 flags_are rt_offload -4 10.98.0.0/16 ns1
	ip netns del ns1
	wait_check "ns1 deleted with flagged routes: xeth1 is back" 30 ip link show xeth1
	# namespaces are cleaned up one after another: this one's port comes
	# back only if ns1's devices were freed, nothing holding their routes
	ip netns add ns2
	ip link set xeth2 netns ns2
	ip netns del ns2
	wait_check "a later namespace is cleaned up: ns1 left nothing held" 60 ip link show xeth2
	say "read 2"
	synced netns-gone
	check_eq "the mux holds no route of ns1 (sb-fib-offload-routes)" "$(held "$ns1")" \
		"$(sb_stat sb-fib-offload-routes)"
	client_end
	check_no_splat netns_delete
}

case_rmmod() {
	client_end
	mark rmmod
	mux
	ip link show dummy0 >/dev/null 2>&1 || dummy dummy0
	flag_dummy rmmod
	check "rmmod with flagged routes" rmmod xeth
	check_eq "the flags went" "" "$(flags -4 10.99.0.0/16)$(flags -6 2001:db8:99::/48)"
	check "nothing holds the dummy's routes: it is deleted" timeout "$(scaled 30)" ip link del dummy0
	client_end
	check_no_splat rmmod
}

run_cases
client_end
finish
