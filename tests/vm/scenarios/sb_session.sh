#!/bin/bash
# Side-band sessions: who may connect, a newer daemon replacing an older
# one, the bounded queue's resync, admin-down and rmmod with a daemon on.
. "$(dirname "$0")/../lib.sh"

SB="python3 $XETH_ROOT/tests/vm/tools/sbclient.py"
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
sb_stat() { ethtool -S xm0 | awk -v k="$1:" '$1 == k { print $2 }'; }
has() { grep -qF "$2" "$1"; } # has FILE TEXT

ip link add xm0 type xeth-mux
ip link add xeth1 link xm0 type xeth-port xid 7
ip link set xm0 up

ALL_CASES="access replace queue admin_down rename rmmod"

# access: an unprivileged peer is accepted by the socket layer, then
# refused by the mux
case_access() {
	printf 'connect\nread 30\n' |
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
			--bounding-set=-all $SB xm0 >/tmp/nobody.jsonl 2>&1
	check "an unprivileged peer is disconnected" has /tmp/nobody.jsonl '{"eof":true}'
	check_eq "and counted as refused" 1 "$(sb_stat sb-refused-peers)"
	check_eq "and never counted as connected" 0 "$(sb_stat sb-connects)"
	printf 'connect\ndump\nclose\n' | $SB xm0 >/tmp/root.jsonl
	check "root is served" has /tmp/root.jsonl '"kind":"BREAK"'
}

# a newer daemon replaces an older one
case_replace() {
	local first
	printf 'connect\ndump\nread 60\n' | $SB xm0 >/tmp/first.jsonl &
	first=$!
	wait_for 30 has /tmp/first.jsonl BREAK
	printf 'connect\ndump\nclose\n' | $SB xm0 >/tmp/second.jsonl
	wait $first
	check "the first daemon sees EOF" has /tmp/first.jsonl '{"eof":true}'
	check "the second one is served" has /tmp/second.jsonl '"kind":"BREAK"'
	check_eq "one replacement counted" 1 "$(sb_stat sb-replaced)"
}

# the bounded queue: a daemon that stops reading is disconnected once the
# socket and 16 queued messages are full, and may resync by dumping again
case_queue() {
	local txq_default
	txq_default=$(cat /sys/module/xeth/parameters/sb_txq_max)
	echo 16 >/sys/module/xeth/parameters/sb_txq_max
	for _ in $(seq 300); do echo "link set xeth1 up"; echo "link set xeth1 down"; done >/tmp/flap
	$SB xm0 >/tmp/overrun.jsonl <<-'SCRIPT'
	connect
	dump
	sh ip -batch /tmp/flap
	read 30
	connect
	dump
	close
	SCRIPT
	check "a stalled daemon is disconnected" has /tmp/overrun.jsonl '{"eof":true}'
	check_eq "one resync counted" 1 "$(sb_stat sb-resyncs)"
	check "the queue never grew past its bound" test "$(sb_stat sb-txq-high-water)" -le 16
	check_eq "it reconnects and dumps" 2 "$(grep -c '"kind":"BREAK"' /tmp/overrun.jsonl)"
	check_eq "nothing stays queued without a daemon" 0 "$(sb_stat sb-txq-depth)"
	echo "$txq_default" >/sys/module/xeth/parameters/sb_txq_max
}

# admin-down closes the connection and the listener
case_admin_down() {
	$SB xm0 >/tmp/down.jsonl <<-'SCRIPT'
	connect
	dump
	sh ip link set xm0 down
	read 30
	connect
	SCRIPT
	check "admin-down disconnects the daemon" has /tmp/down.jsonl '{"eof":true}'
	check "and stops listening" has /tmp/down.jsonl '{"connect":"Connection refused"}'
	ip link set xm0 up
}

# a renamed mux listens on its new name
case_rename() {
	ip link set xm0 down
	ip link set xm0 name xm9
	ip link set xm9 up
	check "listening under the new name" bash -c "printf 'connect\n' | $SB xm9 | grep -q '\"ok\"'"
	ip link set xm9 down
	ip link set xm9 name xm0
	ip link set xm0 up
}

# rmmod with a daemon connected
case_rmmod() {
	local reader
	printf 'connect\ndump\nread 60\n' | $SB xm0 >/tmp/rmmod.jsonl &
	reader=$!
	wait_for 30 has /tmp/rmmod.jsonl BREAK
	check "rmmod with a daemon connected" rmmod xeth
	wait $reader
	check "the daemon sees EOF" has /tmp/rmmod.jsonl '{"eof":true}'
}

run_cases
finish
