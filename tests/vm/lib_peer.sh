# shellcheck shell=bash
# Two machines: a scenario with a peer guest (settings.json "peer",
# tests/vm/peer.ts). Sourced by the scenario and by the peer
# (guest/peer.sh). Each guest finds its two links by the MACs the rig
# gave them: the wan (PEER_WAN), which the scenario tests, and ctl
# (PEER_CTL), over which the scenario drives the peer (on_peer) so that
# the wan carries only what the scenario puts on it. They keep the names
# the kernel gave them: the guest's reset between scenarios puts back
# the links it booted with, by name.

PEER_CTL_NET=10.255.255
PEER_CTL_PORT=7000
# the ctl address of each side
declare -A PEER_CTL_ADDR=([scenario]=$PEER_CTL_NET.1 [peer]=$PEER_CTL_NET.2)

_peer_nic() { # _peer_nic MAC: the interface with that address
	ip -j link show | jq -r --arg m "$1" '.[] | select(.address == $m) | .ifname'
}

# peer_links: finds this guest's two links (sets and exports PEER_WAN and
# PEER_CTL), brings them up, and gives ctl its address. The wan gets no
# address here (it is the scenario's), nor IPv6 (whose own chatter would
# be on it).
peer_links() {
	local link mac dev
	[ -n "$XETH_PEER_SIDE" ] || {
		echo "no peer links: the rig gives them to scenarios with \"peer\" in settings.json" >&2
		return 1
	}
	modprobe virtio_net || return 1
	for link in WAN CTL; do
		mac=XETH_PEER_${link}_MAC
		dev=
		for _ in $(seq 50); do
			dev=$(_peer_nic "${!mac}")
			[ -n "$dev" ] && break
			sleep 0.1
		done
		[ -n "$dev" ] || {
			echo "no interface has ${!mac} (the ${link,,} link)" >&2
			return 1
		}
		export "PEER_$link=$dev"
		sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1" || return 1
		ip link set "$dev" up || return 1
	done
	ip addr add "${PEER_CTL_ADDR[$XETH_PEER_SIDE]}/30" dev "$PEER_CTL"
}

# on_peer CMD...: runs CMD (quoted as given) in the peer, with bash, its
# output (stdout and stderr) printed here, its status returned; 255 when
# the peer is out of reach. A command that leaves a process running must
# send that process's output elsewhere (a file), or the call waits for it.
on_peer() {
	local fd out rc
	exec {fd}<>"/dev/tcp/${PEER_CTL_ADDR[peer]}/$PEER_CTL_PORT" 2>/dev/null || return 255
	printf '%s\n' "$(printf '%q ' "$@" | base64 -w0)" >&"$fd"
	out=$(cat <&"$fd")
	exec {fd}<&-
	case "$out" in
	*"xrig-peer-rc="*) ;;
	*) return 255 ;;
	esac
	rc=${out##*xrig-peer-rc=}
	out=${out%xrig-peer-rc=*}
	# the agent's line break before its status line
	printf '%s' "${out%$'\n'}"
	return "$rc"
}

# peer_ready [SECS]: waits until the peer's agent answers
peer_ready() {
	wait_for "${1:-120}" on_peer true
}

# peer_bye: ends the peer's agent, and so the peer guest
peer_bye() {
	on_peer __xrig_bye >/dev/null 2>&1
	return 0
}
