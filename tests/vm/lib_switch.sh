# Test hosts and SWITCHD for the software SWITCH (sourced after lib.sh by
# the demo and tests/vm/scenarios/switch_*.sh).
#
# A host is a network namespace with one end of a veth pair; the other end
# (the "wire") stays in the switch's namespace and a port is attached to
# it with --attach. Hosts' ends offload nothing: the switch sees frames as
# a wire would carry them (no 64 KiB TSO frames, no partial checksums).

SW_CTL=${SW_CTL:-/tmp/switchd.sock}
# Modules do not load on demand in the rig's guests.
modprobe -q veth
modprobe -q 8021q
modprobe -q bonding
SW_RUN="deno run --allow-ffi --allow-env --allow-read --allow-write --allow-net --cached-only $XETH_ROOT/main.ts"

sw_mux() { # sw_mux XID...: xeth loaded, routing on, link-less mux xm0 with
	# ports xethXID (xid XID), all up
	load_xeth || return 1
	sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip link add xm0 type xeth-mux && ip link set xm0 up || return 1
	local i
	for i; do
		ip link add "xeth$i" link xm0 type xeth-port xid "$i" &&
			ip link set "xeth$i" up || return 1
	done
}

sw_xfer() { # sw_xfer FROM TO ADDR PORT BYTES: a TCP transfer from host FROM to
	# host TO (listening on ADDR:PORT); prints the sender's line, status 0
	# when every byte arrived intact
	local srv out rc
	ip netns exec "$2" python3 "$XETH_ROOT/tests/vm/tools/tcp_xfer.py" serve "$4" &
	srv=$!
	out=$(ip netns exec "$1" python3 "$XETH_ROOT/tests/vm/tools/tcp_xfer.py" send "$3" "$4" "$5")
	rc=$?
	wait "$srv"
	echo "$out"
	[ $rc -eq 0 ] && grep -q "digest ok" <<<"$out"
}

sw_wire() { # sw_wire NS WIRE DEV: a veth WIRE here, its peer DEV in NS
	local ns=$1 wire=$2 dev=$3
	[ -e "/run/netns/$ns" ] || ip netns add "$ns"
	ip -n "$ns" link set lo up
	ip link add "$wire" type veth peer name "$dev" netns "$ns"
	# The wire carries the hosts' frames, nothing of its own: no IPv6, and
	# no ARP, or Linux here answers a host's ARP for a switch address
	# with the wire's own MAC (arp_ignore 0 answers for any local address
	# on any interface), the host sends there, and Linux routes around
	# the switch.
	sysctl -qw "net.ipv6.conf.$wire.disable_ipv6=1"
	ip link set "$wire" arp off up
	ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off >/dev/null
	ip -n "$ns" link set "$dev" up
}

sw_host() { # sw_host NS WIRE ADDR4/LEN GW4 ADDR6/LEN GW6: a host on eth0
	local ns=$1
	sw_wire "$ns" "$2" eth0
	ip -n "$ns" addr add "$3" dev eth0
	ip -n "$ns" route add default via "$4"
	ip -n "$ns" addr add "$5" dev eth0 nodad
	ip -n "$ns" -6 route add default via "$6"
}

sw_start() { # sw_start SWITCHD-ARGS...: starts SWITCHD (sets SW_PID), waits
	# until it is live; call it directly, not inside check (a subshell)
	$SW_RUN --mux "${SW_MUX:-xm0}" --control "$SW_CTL" --stats-interval 1 "$@" \
		>/tmp/switchd.out 2>/tmp/switchd.log &
	SW_PID=$!
	deno run -A --cached-only "$XETH_ROOT/tests/vm/tools/mirror_compare.ts" \
		"$SW_CTL" wait live 120 >/dev/null
}

sw_show() { # sw_show WHAT [--json]
	$SW_RUN show "$@" --control "$SW_CTL"
}

# The figures of `show switch`, asked for without starting Deno
# (switchd_ask): sw_stat NAME asks for one; sw_stats asks once and
# keeps them for sw_figure NAME.
sw_stat() { # sw_stat NAME: a figure of `show switch`
	switchd_ask "$SW_CTL" switch | jq -r ".[\"$1\"] // 0 | tonumber"
}
sw_stats() { SW_STATS=$(switchd_ask "$SW_CTL" switch); }
sw_figure() { jq -r ".[\"$1\"] // 0 | tonumber" <<<"$SW_STATS"; }

sw_stop() { # stops SWITCHD with SIGTERM; returns its exit status
	kill -TERM "$SW_PID"
	wait "$SW_PID"
}

sw_ping() { # sw_ping NS ADDR [PING-ARGS...]: 3 echo replies within 10 s
	# (scaled). -w, not -W: with replies coming, -W gives up on a late one
	# two round trips after the last request, and a busy guest is late.
	local ns=$1 a=$2
	shift 2
	ip netns exec "$ns" ping -q -c 3 -i 0.3 -w "$(scaled 10)" "$@" "$a"
}

sw_wait() { # sw_wait SECS CMD...: wait_for (lib.sh)
	wait_for "$@"
}
