# Helpers for the frame scenarios (encap, linked, fw_linked), sourced
# after lib.sh.
# Every program started in the guest costs time (python over a second),
# so one rawsock process serves the whole scenario, counters are read from
# sysfs with bash builtins and each capture is parsed once.

RAWSOCK=$XETH_ROOT/tests/vm/tools/rawsock.py
coproc RS { exec python3 "$RAWSOCK" batch; }
# rs COMMAND ARGS...: one rawsock batch command (send, capture, stop);
# prints its output and returns its status
rs() {
	local line
	echo "$*" >&"${RS[1]}" || { echo "rawsock batch is gone"; return 99; }
	while IFS= read -r line <&"${RS[0]}"; do
		[[ $line == "= "* ]] && return "${line#= }"
		printf '%s\n' "$line"
	done
	echo "rawsock batch is gone"
	return 99
}
# cap_start [--incoming-only|--outgoing-only] IFACE...: frames sent from now
# on are caught; cap_stop reads them into CAP, "ifname pkttype hex" lines
cap_start() {
	local out
	out=$(rs capture "$@") || not_ok "capture on $* started" "$out"
}
cap_stop() {
	local out
	out=$(rs stop) # not in a pipeline: subshells there lose the coproc
	CAP=$(jq -rR 'fromjson? | "\(.ifname) \(.pkttype) \(.hex)"' <<<"$out")
}
nap() { read -rt "$1" <> <(:) || :; } # sleep without starting a program
hx() { local s=${*// /}; s=${s//:/}; echo "${s,,}"; } # hex without separators
mac_of() { local m; read -r m <"/sys/class/net/$1/address"; echo "${m//:/}"; }
# payload TEXT: 46 bytes of hex naming the frame (a 60-byte untagged frame)
payload() {
	local t s= i
	printf -v t '%-46.46s' "$1"
	for ((i = 0; i < 46; i++)); do printf -v s '%s%02x' "$s" "'${t:i:1}"; done
	echo "$s"
}
# "name=value ..." of a mux's ethtool -S counters, in ethtool's order
mux_counters() {
	local k v s=
	while read -r k v; do [[ $k == *: ]] && s+="${s:+ }${k%:}=$v"; done < <(ethtool -S "${1:-xm0}")
	echo "$s"
}
# "name=value ..." of a link's counters (/sys/class/net/DEV/statistics,
# the numbers that ip -s link shows)
STATS="rx_packets rx_bytes rx_dropped rx_errors rx_nohandler tx_packets tx_bytes tx_dropped tx_errors"
link_counters() {
	local f v s=
	for f in $STATS; do read -r v <"/sys/class/net/$1/statistics/$f"; s+="${s:+ }$f=$v"; done
	echo "$s"
}
# snap ARRAY DEV...: ARRAY[DEV]=$(link_counters DEV)
snap() {
	local -n _snap=$1
	local d
	shift
	for d; do _snap[$d]=$(link_counters "$d"); done
}
# delta BEFORE AFTER: "name=+n ..." for each counter that changed; "none"
delta() {
	local -A old
	local kv k v out=
	for kv in $1; do old[${kv%%=*}]=${kv#*=}; done
	for kv in $2; do
		k=${kv%%=*} v=${kv#*=}
		[ "$v" != "${old[$k]}" ] && out+="${out:+ }$k=+$((v - ${old[$k]:-0}))"
	done
	echo "${out:-none}"
}
# ldelta DEV: DEV's counters now against the snapshot in LB[DEV]
ldelta() { delta "${LB[$1]}" "$(link_counters "$1")"; }
# frames_on IFACE: "pkttype hex" of each frame in CAP caught on IFACE
frames_on() {
	local i p h out=
	while read -r i p h; do [ "$i" = "$1" ] && out+="${out:+$'\n'}$p $h"; done <<<"$CAP"
	echo "$out"
}
# frames_with HEX: "pkttype hex" of each frame in CAP that contains HEX
frames_with() {
	local i p h out=
	while read -r i p h; do [[ $h == *"$1"* ]] && out+="${out:+$'\n'}$p $h"; done <<<"$CAP"
	echo "$out"
}
# ifnames_with HEX: the interfaces in CAP that caught a frame containing
# HEX, sorted, on one line
ifnames_with() {
	local i p h
	while read -r i p h; do [[ $h == *"$1"* ]] && echo "$i"; done <<<"$CAP" | sort -u | paste -sd' '
}
cap_count() { local n=0 l; while read -r l; do [ -n "$l" ] && n=$((n + 1)); done <<<"$CAP"; echo $n; }
# prio_count DEV: count DEV's received frames by skb priority (a clsact
# ingress filter per priority; it takes the frames from the taps, so DEV's
# rx_dropped counts those that no protocol takes); prio_hits DEV:
# "priority=frames ..."
prio_count() {
	local p cmds="qdisc add dev $1 clsact"
	for p in 0 1 2 3 4 5 6 7; do
		cmds+=$'\n'"filter add dev $1 ingress pref $((p + 1)) basic match \"meta(priority eq $p)\" action ok"
	done
	tc -batch - <<<"$cmds"
}
prio_hits() { # (tc -j prints the ematch unquoted: not JSON)
	local line pref= out=
	while read -r line; do
		if [[ $line =~ pref\ ([0-9]+)\ basic.*handle ]]; then
			pref=${BASH_REMATCH[1]}
		elif [[ -n $pref && $line =~ ^Sent\ [0-9]+\ bytes\ ([0-9]+)\ pkt ]]; then
			[ "${BASH_REMATCH[1]}" = 0 ] || out+="${out:+ }$((pref - 1))=${BASH_REMATCH[1]}"
			pref=
		fi
	done < <(tc -s filter show dev "$1" ingress)
	echo "$out"
}
# operstates DEV...: "DEV=operstate ..."
operstates() {
	local d o s=
	for d; do read -r o <"/sys/class/net/$d/operstate"; s+="${s:+ }$d=$o"; done
	echo "$s"
}
# wait_up DEV...: until every DEV is operationally up (10 s at most, scaled)
wait_up() {
	local d up end=$((SECONDS + $(scaled 10)))
	while :; do
		up=1
		for d; do [ "$(operstates "$d")" = "$d=up" ] || up=; done
		[ -n "$up" ] && return 0
		[ $SECONDS -lt $end ] || return 1
		nap 0.1
	done
}

# nocarrier_pass TAPS DEV...: each DEV (a port without carrier, or what
# stands on one) sends a frame the way the stack does; like a front-panel
# port without link it drops it (the noop qdisc) and nothing reaches TAPS
nocarrier_pass() {
	local taps=$1 d before
	shift
	before=$(mux_counters)
	snap LB "$@"
	cap_start "$taps"
	for d; do
		rs send --via-qdisc "$d" "$DST${MAC[$d]}$ETYPE$(payload "no carrier: tx from $d")" >/dev/null
	done
	cap_stop
	check_eq "no carrier: nothing reaches $taps" 0 "$(cap_count)"
	check_eq "no carrier: ethtool -S xm0 does not move" none "$(delta "$before" "$(mux_counters)")"
	# the core counts the noop qdisc's drop in tx_dropped on 6.12, not on 6.1
	for d; do
		check "no carrier: $d transmits nothing" \
			bash -c '[[ $1 == none || $1 == "tx_dropped=+1" ]]' _ "$(ldelta "$d")"
	done
}
