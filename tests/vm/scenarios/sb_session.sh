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

ALL_CASES="access replace queue admin_down rename carrier_hold rmmod"

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

# carrier_hold_ms: a daemon's going drops the ports' carrier at once by
# default, or after the hold unless a daemon connects meanwhile
carrier_hold() { echo "$1" >/sys/module/xeth/parameters/carrier_hold_ms; }
lower_up() { [[ $(ip -o link show "$1") == *LOWER_UP* ]]; }
carrier_down() { ! lower_up "$1"; }
case_carrier_hold() {
	local drops hold up
	# the client's own check that its CARRIER arrived, before it goes
	up="sh timeout $(scaled 10) sh -c 'until ip -o link show xeth1 | grep -q LOWER_UP; do sleep 0.1; done'"
	ip link set xeth1 up
	carrier_hold 0
	printf 'connect\ncarrier 7 1\n%s\nclose\n' "$up" | $SB xm0 >/tmp/hold0.jsonl
	check "a daemon's CARRIER raises the port's carrier" has /tmp/hold0.jsonl '"rc":0'
	check "without a hold, the daemon's going drops it" wait_for 10 carrier_down xeth1
	drops=$(sb_stat sb-carrier-drops)

	carrier_hold 600000
	printf 'connect\ncarrier 7 1\n%s\nclose\n' "$up" | $SB xm0 >/tmp/hold1.jsonl
	check "with a hold, the port keeps its carrier after the daemon's EOF" lower_up xeth1
	check_eq "and no drop is counted" "$drops" "$(sb_stat sb-carrier-drops)"
	ip link set xm0 down
	check "the mux going down drops it at once" wait_for 10 carrier_down xeth1
	check_eq "and counts no hold expiry" "$drops" "$(sb_stat sb-carrier-drops)"
	ip link set xm0 up

	# One client goes and comes back at once: a hold of a few seconds
	# (scaled) is far longer than its reconnect; it then stays for twice
	# the hold without sending CARRIER again.
	hold=$(($(scaled 3) * 1000))
	carrier_hold "$hold"
	$SB xm0 >/tmp/hold2.jsonl <<-SCRIPT
	connect
	carrier 7 1
	$up
	close
	connect
	read $((2 * hold / 1000 + 1))
	close
	SCRIPT
	check "a daemon back within the hold keeps the carrier beyond it" lower_up xeth1
	check_eq "and no drop is counted" "$drops" "$(sb_stat sb-carrier-drops)"
	check "once it goes for good, the hold expires: carrier drops" \
		wait_for $((hold / 500 + 10)) carrier_down xeth1
	check_eq "and the expiry is counted" $((drops + 1)) "$(sb_stat sb-carrier-drops)"
	carrier_hold 0
	ip link set xeth1 down
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
