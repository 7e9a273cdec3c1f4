#!/bin/bash
# Side-band teardown in every order: a daemon's socket outlives the mux,
# its namespace or the module, and closes afterwards; its close must not
# reach the module's code or memory. One case per order, each on a fresh
# insmod and ending with the module removed, so that a later close finds
# no module text. A case writes "sb_teardown: case NAME" to the kernel log
# first, and each daemon names its process sb-ID, so an oops is pinned to
# its case both here and in the rig's dmesg excerpt.
#
# XETH_VM_SB_HOLD (default 60) is how many seconds the long_hold daemon
# keeps its socket after rmmod. long_hold starts first and closes last,
# so its minute passes while the other cases run. Some cases alone:
#   ./run vm --jobs 1 --kernel 6.1 sb_teardown:rmmod,replace
. "$(dirname "$0")/../lib.sh"

T=$XETH_ROOT/tests/vm/tools
HOLD=${XETH_VM_SB_HOLD:-60}
W=/tmp/sbt
mkdir -p $W
NS=sbt

has() { grep -qF "$2" "$1"; } # has FILE TEXT

mark() { # mark CASE: in the output and the kernel log
	echo "# case $1"
	echo "sb_teardown: case $1" >/dev/kmsg
}

check_no_splat() { # check_no_splat CASE: nothing logged since its mark
	local s
	s=$(dmesg | sed -n "/sb_teardown: case $1\$/,\$p" |
		grep -E -A 8 'Oops|BUG:|WARNING:|general protection|Kernel panic|refcount_t:')
	if [ -z "$s" ]; then
		ok "$1: the kernel logged no oops, BUG or WARNING"
	else
		not_ok "$1: the kernel logged no oops, BUG or WARNING" "$s"
	fi
}

wait_check() { # wait_check DESC SECS CMD...: polls CMD for SECS (scaled),
	# a check either way; a timeout says so
	local desc=$1 secs end
	secs=$(scaled "$2")
	end=$((SECONDS + secs))
	shift 2
	until "$@" >/dev/null 2>&1; do
		if [ $SECONDS -ge $end ]; then
			not_ok "$desc" "timed out after ${secs}s waiting for: $*"
			return 1
		fi
		sleep 0.1
	done
	ok "$desc"
}

sb_stat() { ethtool -S xm | awk -v k="$1:" '$1 == k { print $2 }'; }
sb_stat_gt() { [ "$(sb_stat "$1")" -gt "$2" ]; } # sb_stat_gt NAME N

# fresh [NS]: insmod; a link-less mux xm (in NS) with ports xeth1 (xid 7)
# and xeth2 (xid 8), everything up. With NS, a third port, xeth9, is moved
# to the initial namespace: it lives as long as the mux does.
fresh() {
	local ns=$1
	load_xeth || return 1
	ip ${ns:+-n "$ns"} -batch - <<-EOF || return 1
		link add xm type xeth-mux
		link add xeth1 link xm type xeth-port xid 7
		link add xeth2 link xm type xeth-port xid 8
		link set xeth1 up
		link set xeth2 up
		link set xm up
	EOF
	[ -z "$ns" ] || ip -n "$ns" -batch - <<-EOF
		link add xeth9 link xm type xeth-port xid 9
		link set xeth9 netns 1
	EOF
}

# daemon ID NS [sbhold.py options]: a daemon connects to @xm from NS, in
# the background; $W/ID.jsonl is its output, touching $W/ID.go closes it.
# (ip netns exec execs the command: the pid is the daemon's.)
daemon() {
	local id=$1 ns=$2
	shift 2
	rm -f "$W/$id".*
	set -- python3 -S "$T/sbhold.py" xm --name "sb-$id" --go "$W/$id.go" "$@"
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@" >"$W/$id.jsonl" 2>&1 &
	else
		"$@" >"$W/$id.jsonl" 2>&1 &
	fi
	echo $! >"$W/$id.pid"
}

ports_up() { # ports_up NS: the daemon's CARRIER reached both ports
	[[ $(ip ${1:+-n "$1"} -o link show xeth1) == *LOWER_UP* ]] &&
		[[ $(ip ${1:+-n "$1"} -o link show xeth2) == *LOWER_UP* ]]
}

connected() { # connected CASE ID NS: connect, and CARRIER on both ports
	wait_check "$1: daemon $2 connected" 60 has "$W/$2.jsonl" '{"connect":"ok"}' &&
		wait_check "$1: its CARRIER reached the ports" 60 ports_up "$3"
}

exited() { # exited PID: gone, or a zombie waiting for us
	[ ! -e "/proc/$1" ] || [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ]
}

# release CASE ID...: each daemon closes its socket now; each must exit 0
# (an oops in its close kills it) having closed it, or never have had one
# (refused while the module went).
release() {
	local c=$1 id pid rc
	shift
	for id in "$@"; do touch "$W/$id.go"; done
	for id in "$@"; do
		pid=$(cat "$W/$id.pid")
		wait_check "$c: daemon $id ends" 60 exited "$pid" || continue
		wait "$pid"
		rc=$?
		if [ "$rc" = 0 ] && { has "$W/$id.jsonl" '{"closed":true}' ||
			! has "$W/$id.jsonl" '{"connect":"ok"}'; }; then
			ok "$c: daemon $id closed its socket"
		else
			not_ok "$c: daemon $id closed its socket" "exit code $rc" \
				"$(cat "$W/$id.jsonl")"
		fi
	done
}

gone() { ! grep -q '^xeth ' /proc/modules; }
no_link() { ! ip link show "$1"; }

check_rmmod() { # check_rmmod CASE
	check "$1: rmmod xeth" rmmod xeth
	check "$1: the module is gone" gone
}

# Started first, closed last: the daemon keeps its socket to a removed
# module's connection for HOLD seconds, whatever runs meanwhile.
long_hold_start() {
	mark long_hold
	fresh || { not_ok "long_hold: insmod and mux"; return; }
	daemon long "" --carrier 7,8
	connected long_hold long ""
	check_rmmod long_hold
	t_long=$SECONDS
}

long_hold_end() {
	local left=$((HOLD - (SECONDS - t_long)))
	mark long_hold_close
	[ $left -le 0 ] || sleep $left
	echo "# long_hold: closing $((SECONDS - t_long)) s after rmmod"
	release long_hold long
	check_no_splat long_hold_close
}

# The report: the mux deleted, the module removed, then the daemon goes.
# Its socket still holds the kernel's unread dump answer, whose buffers
# belong to the module's end of the connection.
order_del_rmmod() {
	mark del_rmmod
	fresh || { not_ok "del_rmmod: insmod and mux"; return; }
	daemon d "" --carrier 7,8 --dump
	connected del_rmmod d ""
	wait_check "del_rmmod: the dump answer waits unread in the daemon's socket" 60 \
		sb_stat_gt sb-tx-msgs 10
	check "del_rmmod: ip link del xm" ip link del xm
	check_rmmod del_rmmod
	release del_rmmod d
	check_no_splat del_rmmod
}

order_down_rmmod() {
	mark down_rmmod
	fresh || { not_ok "down_rmmod: insmod and mux"; return; }
	daemon d "" --carrier 7,8
	connected down_rmmod d ""
	check "down_rmmod: ip link set xm down" ip link set xm down
	check_rmmod down_rmmod
	release down_rmmod d
	check_no_splat down_rmmod
}

order_rmmod() {
	mark rmmod
	fresh || { not_ok "rmmod: insmod and mux"; return; }
	daemon d "" --carrier 7,8
	connected rmmod d ""
	check_rmmod rmmod
	release rmmod d
	check_no_splat rmmod
}

# blocked CASE ID WHERE: the daemon sleeps in the kernel, in WHERE
blocked() {
	wait_check "$1: daemon $2 blocks" 60 has "$W/$2.jsonl" '"blocked"' &&
		wait_check "$1: daemon $2 sleeps in $3" 60 \
			grep -q "$3" "/proc/$(cat "$W/$2.pid")/wchan"
}

order_recv() {
	mark recv
	fresh || { not_ok "recv: insmod and mux"; return; }
	daemon d "" --carrier 7,8 --wait recv
	connected recv d ""
	blocked recv d skb_wait_for_more_packets
	check_rmmod recv
	wait_check "recv: the blocked recv() returns EOF" 60 has "$W/d.jsonl" '{"eof":true}'
	release recv d
	check_no_splat recv
}

order_poll() {
	mark poll
	fresh || { not_ok "poll: insmod and mux"; return; }
	daemon d "" --carrier 7,8 --wait poll
	connected poll d ""
	blocked poll d poll
	check_rmmod poll
	wait_check "poll: the blocked poll() sees the hang-up" 60 has "$W/d.jsonl" '"hup"'
	release poll d
	check_no_splat poll
}

# The namespace is deleted with the daemon in it: it lives on (the
# daemon's socket holds it) until the daemon goes; then it dies, and the
# mux with it.
order_netns_close() {
	mark netns_close
	ip netns add $NS
	fresh $NS || { not_ok "netns_close: insmod and mux in $NS"; return; }
	daemon d $NS --carrier 7,8
	connected netns_close d $NS
	check "netns_close: ip netns del $NS" ip netns del $NS
	check "netns_close: the mux lives on with its daemon (xeth9 is here)" \
		ip link show xeth9
	release netns_close d
	wait_check "netns_close: the namespace dies with the daemon, the mux with it" 60 \
		no_link xeth9
	check_rmmod netns_close
	check_no_splat netns_close
}

# The same, but the module goes while the namespace lives on.
order_netns_rmmod() {
	mark netns_rmmod
	ip netns add $NS
	fresh $NS || { not_ok "netns_rmmod: insmod and mux in $NS"; return; }
	daemon d $NS --carrier 7,8
	connected netns_rmmod d $NS
	check "netns_rmmod: ip netns del $NS" ip netns del $NS
	check_rmmod netns_rmmod
	check_fails "netns_rmmod: rmmod took the mux (xeth9 went with it)" ip link show xeth9
	release netns_rmmod d
	check_no_splat netns_rmmod
}

# Daemons replace each other, r3 connecting while r2 replaces r1; then a
# burst of connections races rmmod until the listener is gone (accepted
# and replaced, waiting in the listener's backlog of 4, or refused), or
# until 2000 connected first, and r2 and r3 close meanwhile. One process
# makes r2 and r3, one the burst: python starts slowly here.
order_replace() {
	mark replace
	fresh || { not_ok "replace: insmod and mux"; return; }
	daemon r1 "" --carrier 7,8
	connected replace r1 ""
	daemon r23 "" --count 2 --carrier 7
	wait_check "replace: three daemons served" 60 sb_stat_gt sb-connects 2
	check_eq "replace: two replaced" 2 "$(sb_stat sb-replaced)"
	rm -f $W/burst
	daemon burst "" --start $W/burst --count 2000
	wait_check "replace: the burst is ready" 60 has $W/burst.jsonl '{"ready":true}'
	touch $W/burst $W/r23.go
	check_rmmod replace
	wait_check "replace: the burst ends" 120 has $W/burst.jsonl '"connected":'
	echo "# replace: the burst: $(grep '"connected":' $W/burst.jsonl)"
	release replace r1 r23 burst
	check_no_splat replace
}

# A daemon goes while carrier_hold_ms holds the ports' carrier: the
# pending drop (delayed work) must not outlive the mux or the module.
hold_pending() { # hold_pending CASE: a daemon came and went, a drop pending
	fresh || { not_ok "$1: insmod and mux"; return 1; }
	echo 600000 >/sys/module/xeth/parameters/carrier_hold_ms
	daemon d "" --carrier 7,8
	connected "$1" d ""
	release "$1" d
	check "$1: the ports keep their carrier, a drop pending" ports_up ""
}

order_hold_rmmod() {
	mark hold_rmmod
	hold_pending hold_rmmod || return
	check_rmmod hold_rmmod
	check_no_splat hold_rmmod
}

order_hold_del() {
	mark hold_del
	hold_pending hold_del || return
	check "hold_del: ip link del xm" ip link del xm
	check_rmmod hold_del
	check_no_splat hold_del
}

# Each order starts from a fresh insmod and leaves no module behind.
run_order() { # run_order NAME
	local t=$SECONDS
	"order_$1"
	echo "# case $1: $((SECONDS - t)) s"
	gone || rmmod xeth
	ip netns del $NS 2>/dev/null
}

ALL_CASES="long_hold del_rmmod down_rmmod rmmod recv poll netns_close netns_rmmod replace hold_rmmod hold_del"

# long_hold's daemon closes after every other case ran (below).
case_long_hold() { long_hold_start; }
case_del_rmmod() { run_order del_rmmod; }
case_down_rmmod() { run_order down_rmmod; }
case_rmmod() { run_order rmmod; }
case_recv() { run_order recv; }
case_poll() { run_order poll; }
case_netns_close() { run_order netns_close; }
case_netns_rmmod() { run_order netns_rmmod; }
case_replace() { run_order replace; }
case_hold_rmmod() { run_order hold_rmmod; }
case_hold_del() { run_order hold_del; }

t0=$SECONDS
t_long=
run_cases
if [ -n "$t_long" ]; then long_hold_end; fi
echo "# sb_teardown: $((SECONDS - t0)) s"
finish
