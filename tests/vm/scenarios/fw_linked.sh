#!/bin/bash
# A mux from an ACPI table (tests/vm/acpi/fw_linked.asl) that names its
# lower links: the guest's virtio-net NIC by its permanent MAC (settings
# .json gives the NIC 02:00:5e:0f:00:01) and a veth by name ("swl1").
# Each joins the mux when it appears; the mux works in linked mode; the
# lowers are found again after unbind/bind of the mux and after their
# driver is reloaded.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_fw.sh"
. "$(dirname "$0")/../lib_frames.sh"

NIC_MAC=02:00:5e:0f:00:01
MUX=$(fw_dev '\_SB_.XMUX')
sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
modprobe veth
modprobe bridge

nic() { ip -j link show | jq -r --arg m "$NIC_MAC" '.[] | select(.address == $m and (.linkinfo.info_kind // "") == "") | .ifname'; }
master_of() { ip -j link show "$1" | jq -r '.[0].master // "none"'; }
lowers() { ip -j link show master xeth-mux 2>/dev/null | jq -r '[.[].ifname] | sort | join(" ")'; }
has_lowers() { [ "$(lowers)" = "$1" ]; }

NIC_BEFORE=$(nic)
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }

ALL_CASES="ports lowers linked_mode driver_reload unbind_bind unload"

# the firmware's mux and ports, before any lower link
case_ports() {
	check "the firmware's mux is a platform device" test -n "$MUX"
	check_eq "no driver has the NIC yet" "" "$NIC_BEFORE"
	check "the mux (default name xeth-mux) and two ports (xeth%d) appear" \
		wait_for 10 has_links "xeth-mux xeth0 xeth1"
	check_eq "defaults: vlan encap, one queue each way" "vlan 1 1" \
		"$(info xeth-mux linkinfo.info_data.encap) $(info xeth-mux num_tx_queues) $(info xeth-mux num_rx_queues)"
	check_eq "the ports have the firmware's MACs" "02:00:5e:20:00:01 02:00:5e:20:00:02" \
		"$(for d in xeth0 xeth1; do info $d address; done | sort | xargs)"
	check_eq "default port stat names (16, rx-unicast first)" "16 rx-unicast:" \
		"$(ethtool -S xeth0 | awk 'NR > 1 { n++ } NR == 2 { f = $1 } END { print n, f }')"
	check_eq "no private flags without priv-flags" "" \
		"$(ethtool --show-priv-flags xeth0 | awk -F: 'NR > 1 && NF > 1 { print $1 }')"
	check_eq "the mux has no lower link yet" "" "$(lowers)"
}

# lower links appear and join the mux: the NIC by its permanent MAC, a
# veth by name
case_lowers() {
	check "modprobe virtio_net" modprobe virtio_net
	has_nic() { [ -n "$(nic)" ]; }
	check "the NIC appears" wait_for 10 has_nic
	NIC=$(nic)
	check "the NIC ($NIC) joins the mux: found by its permanent MAC" wait_for 5 has_lowers "$NIC"
	check "the kernel log says so" bash -c "dmesg | grep -q 'xeth-mux: lower link $NIC'"
	check "a veth swl0/swl1p" ip link add swl0 type veth peer name swl1p
	check_eq "swl0 is not named by the firmware" none "$(master_of swl0)"
	check "renamed to swl1, one of the mux's link-akas" ip link set swl0 name swl1
	check_eq "swl1 joins the mux" "$NIC swl1" "$(lowers)"
	check_eq "the mux put the lowers in promiscuous mode" "1 1" \
		"$(ip -d -j link show "$NIC" | jq '.[0].promiscuity') $(ip -d -j link show swl1 | jq '.[0].promiscuity')"
}

case_linked_mode() {
	local before
	needs lowers
	check "every link up" ip -batch - <<-EOT
	link set $NIC up
	link set swl1 up
	link set swl1p up
	link set xeth-mux up
	link set xeth0 up
	EOT
	XID=$(info xeth0 linkinfo.info_data.xid)
	declare -A MAC
	for d in xeth0 swl1p; do MAC[$d]=$(mac_of "$d"); done
	DST=02000000fe01
	PEER=02000000fe02
	ETYPE=88b5
	vlan_tag() { printf '8100%04x' $((($1 << 13) | $2)); }
	check "a daemon gives xeth0 carrier" rs daemon-carrier xeth-mux "$XID"
	check "xeth0 is up" wait_up xeth0
	before=$(mux_counters xeth-mux)
	cap_start "$NIC" swl1p
	check "xeth0 transmits a frame" rs send xeth0 "$DST${MAC[xeth0]}$ETYPE$(payload "fw linked: tx from xeth0")"
	cap_stop
	check_eq "it leaves through one lower link, with xeth0's xid ($XID) in its tag" \
		"$(hx "$DST ${MAC[xeth0]} $(vlan_tag 0 "$XID") $ETYPE $(payload "fw linked: tx from xeth0")")" \
		"$(frames_with "$(payload "fw linked: tx from xeth0")" | awk '{ print $2 }')"
	check_eq "ethtool -S xeth-mux: tx-to-lower +1" "tx-to-lower=+1" "$(delta "$before" "$(mux_counters xeth-mux)")"
	# The lower a frame leaves through follows its flow hash, whose seed the
	# kernel draws at boot, and frames of one ethertype hash alike: so which
	# lower the frame above took is chance. Frames of 16 ethertypes take both
	# (all on one: a chance of 2 in 65536), so every run has the proxy's
	# transmit go into both lowers' transmit paths: the NIC's takes its queue's
	# lock, the veth's none. (On 6.12-debug lockdep caught the proxy holding a
	# lock of its own over the NIC's, in a run whose frame took the NIC; a
	# 6.1-debug run whose frame took the veth had passed.)
	local spread t
	spread=$(payload "fw linked: both lowers")
	before=$(mux_counters xeth-mux)
	cap_start "$NIC" swl1p
	for t in {0..15}; do
		rs send xeth0 "$DST${MAC[xeth0]}88b$(printf %x "$t")$spread" >/dev/null ||
			not_ok "xeth0 transmits a frame of ethertype 88b$(printf %x "$t")"
	done
	cap_stop
	check_eq "frames of 16 ethertypes leave through both lower links" \
		"$(printf '%s\n' "$NIC" swl1p | sort | paste -sd' ')" "$(ifnames_with "$spread")"
	check_eq "ethtool -S xeth-mux: tx-to-lower +16" "tx-to-lower=+16" "$(delta "$before" "$(mux_counters xeth-mux)")"
	before=$(mux_counters xeth-mux)
	cap_start --incoming-only xeth0
	check "the switch (swl1p) sends xeth0 a tagged frame" rs send \
		swl1p "${MAC[xeth0]}$PEER$(vlan_tag 0 "$XID")$ETYPE$(payload "fw linked: to xeth0")"
	cap_stop
	check_eq "xeth0 receives it untagged" \
		"0 $(hx "${MAC[xeth0]} $PEER $ETYPE $(payload "fw linked: to xeth0")")" "$(frames_on xeth0)"
	check_eq "ethtool -S xeth-mux: rx-from-lower +1" "rx-from-lower=+1" "$(delta "$before" "$(mux_counters xeth-mux)")"
	check "the daemon disconnects" rs daemon-close
}

# the lowers' driver goes and comes back
case_driver_reload() {
	needs lowers
	check "rmmod virtio_net" rmmod virtio_net
	check_eq "the NIC left the mux; the mux keeps swl1" "swl1" "$(lowers)"
	check "modprobe virtio_net again" modprobe virtio_net
	check "the NIC joins the mux again" wait_for 10 has_lowers "$NIC swl1"
}

case_unbind_bind() {
	local bad i
	needs lowers
	check "unbind the mux" unbind "$MUXDRV" "$MUX"
	check_eq "the mux and its ports are gone" "" "$(xeth_links)"
	check_eq "the lowers are free and out of promiscuous mode" "none 0 none 0" \
		"$(master_of "$NIC") $(ip -d -j link show "$NIC" | jq '.[0].promiscuity') $(master_of swl1) $(ip -d -j link show swl1 | jq '.[0].promiscuity')"
	check "bind the mux" bind "$MUXDRV" "$MUX"
	check "the mux finds both lowers, present before it" wait_for 10 has_lowers "$NIC swl1"
	check "its ports come back" wait_for 10 has_links "xeth-mux xeth0 xeth1"
	bad=
	for i in $(seq 10); do
		unbind "$MUXDRV" "$MUX" || bad+=" unbind#$i"
		[ -z "$(xeth_links)" ] || bad+=" left#$i"
		[ "$(master_of swl1)" = none ] || bad+=" swl1#$i"
		bind "$MUXDRV" "$MUX" || bad+=" bind#$i"
		wait_for 10 has_links "xeth-mux xeth0 xeth1" || bad+=" back#$i:$(xeth_links)"
		has_lowers "$NIC swl1" || bad+=" lowers#$i:$(lowers)"
	done
	check_eq "ten unbind/bind rounds: mux, ports and both lowers each time" "" "$bad"
}

case_unload() {
	needs lowers
	check "rmmod xeth" rmmod xeth
	check_eq "the lowers are free" "none none" "$(master_of "$NIC") $(master_of swl1)"
	check "a Linux bridge can take the NIC's rx handler" ip -batch - <<-EOT
	link add br0 type bridge
	link set $NIC master br0
	EOT
	check_eq "the kernel log has no splat" "" "$(splats)"
	check_eq "and no probe error" "" "$(dmesg | grep -E 'xeth-(mux|port) PRP0001.*(property|cannot|taken)' || true)"
}

run_cases
finish
