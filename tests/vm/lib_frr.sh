# FRR (Debian's frr package) in the rig's guests, sourced after lib.sh by
# scenarios and benchmarks that run a real routing daemon.
#
# The guest's root is the host's, read-only: each instance keeps its pid
# files, sockets, configuration and logs in its own directory under
# $FRR_DIR (a tmpfs), and is started per namespace with its own -N.
# frr_start NAME NS CONF starts zebra, staticd and bgpd of instance NAME in
# namespace NS ("-": this one) with bgpd's configuration CONF (and zebra's
# extra options FRR_ZEBRA_ARGS);
# frr_vtysh NAME CMD... asks it.

FRR_DIR=${FRR_DIR:-/tmp/frr}
FRR_BIN=/usr/lib/frr

frr_start() { # frr_start NAME NS BGPD-CONF: zebra, staticd, bgpd of NAME in NS
	local name=$1 ns=$2 conf=$3 d=$FRR_DIR/$1 pre=() dm
	[ "$ns" = - ] || pre=(ip netns exec "$ns")
	mkdir -p "$d"
	cp "$conf" "$d/bgpd.conf"
	printf 'hostname %s\nlog file %s/zebra.log\n' "$name" "$d" >"$d/zebra.conf"
	printf 'hostname %s\nlog file %s/staticd.log\n' "$name" "$d" >"$d/staticd.conf"
	chown -R frr:frr "$d"
	for dm in zebra staticd bgpd; do
		local extra=()
		# FRR_ZEBRA_ARGS: zebra's own options (--asic-offload, say)
		[ "$dm" = zebra ] && read -ra extra <<<"${FRR_ZEBRA_ARGS:-}"
		# -P 0: no TCP vty; the instance's vty sockets are in $d.
		"${pre[@]}" "$FRR_BIN/$dm" -d -N "$name" -i "$d/$dm.pid" \
			-z "$d/zserv.api" --vty_socket "$d" -f "$d/$dm.conf" \
			-u frr -g frr -P 0 "${extra[@]}" >>"$d/start.log" 2>&1 || return 1
	done
}

frr_vtysh() { # frr_vtysh NAME CMD...: each CMD a vtysh command (-c)
	local name=$1 a=()
	shift
	for c; do a+=(-c "$c"); done
	# Not -N: with it, vtysh looks for the sockets in a directory below
	# --vty_socket's.
	vtysh --vty_socket "$FRR_DIR/$name" "${a[@]}" 2>/dev/null
}

frr_stop() { # frr_stop NAME: ends the instance's daemons (by their pid files)
	local dm pid
	for dm in bgpd staticd zebra; do
		read -r pid <"$FRR_DIR/$1/$dm.pid" 2>/dev/null && kill "$pid" 2>/dev/null
	done
	return 0
}

frr_established() { # frr_established NAME PEER: the session with PEER is up
	# (jq 1.6 -e passes on empty input: compare its output instead)
	[ "$(frr_vtysh "$1" "show bgp neighbors $2 json" |
		jq --arg p "$2" '.[$p].bgpState == "Established"')" = true ]
}

frr_pfx_rcvd() { # frr_pfx_rcvd NAME PEER AFI: prefixes accepted from PEER
	frr_vtysh "$1" "show bgp $3 unicast summary json" |
		jq -r --arg p "$2" '.peers[$p].pfxRcd // 0'
}

frr_networks() { # frr_networks N FAMILY: N "network" lines (4: /28s in
	# 100.64.0.0/10 from 100.64.0.0; 6: /64s from 2001:db8:8000::)
	awk -v n="$1" -v f="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (f == 4) {
				a = 100 * 16777216 + 64 * 65536 + i * 16
				printf "  network %d.%d.%d.%d/28\n", int(a / 16777216), int(a / 65536) % 256, int(a / 256) % 256, a % 256
			} else
				printf "  network 2001:db8:%x:%x::/64\n", 32768 + int(i / 65536), i % 65536
		}
	}'
}
