#!/bin/bash
# A link-less mux and four ports from an ACPI table (tests/vm/acpi/
# fw_ports.asl): their properties in ip, ethtool and the side-band,
# ports that behave as rtnl ports do, and unbind/bind of the platform
# devices (ten times over) with a clean kernel log.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_fw.sh"

SB="python3 $XETH_ROOT/tests/vm/tools/sbclient.py"
ALL="xeth0 xeth1 xeth2 xeth3 xm0"

MUX=$(fw_dev '\_SB_.XMUX') && P1=$(fw_dev '\_SB_.XP01') && P2=$(fw_dev '\_SB_.XP02') &&
	P3=$(fw_dev '\_SB_.XP03') && P4=$(fw_dev '\_SB_.XP04')
check "the firmware's five PRP0001 devices are platform devices" test -n "$P4"

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
check "the mux and its four ports appear" wait_for 10 has_links "$ALL"
check_eq "the mux device is bound to xeth-mux" xeth-mux "$(bound_to "$MUX")"
check_eq "the port devices are bound to xeth-port" "xeth-port xeth-port xeth-port xeth-port" \
	"$(bound_to "$P1") $(bound_to "$P2") $(bound_to "$P3") $(bound_to "$P4")"

ALL_CASES="properties eeprom rtnl_ports sideband unbind_bind race unload"

# --- properties --------------------------------------------------------------
case_properties() {
	check_eq "xm0 is an xeth-mux with the firmware's encap (vpls)" "xeth-mux vpls" \
		"$(info xm0 linkinfo.info_kind) $(info xm0 linkinfo.info_data.encap)"
	check_eq "xm0 has the firmware's txqs and rxqs (2, 3)" "2 3" \
		"$(info xm0 num_tx_queues) $(info xm0 num_rx_queues)"
	for i in 1 2 3; do
		check_eq "xeth$i has the firmware's MAC address" "02:00:5e:10:00:0$i" "$(info xeth$i address)"
		check_eq "xeth$i is a port on xm0" "xeth-port xm0" "$(info xeth$i linkinfo.info_kind) $(info xeth$i link)"
	done
	check_eq "xeth1's MAC is permanent (addr_assign_type 0)" 0 "$(cat /sys/class/net/xeth1/addr_assign_type)"
	check_eq "the nameless port is xeth0 (xeth%d), with a random MAC (type 1)" "xeth-port 1" \
		"$(info xeth0 linkinfo.info_kind) $(cat /sys/class/net/xeth0/addr_assign_type)"
	check_eq "xeth3 has the firmware's txqs and rxqs (4, 2)" "4 2" \
		"$(info xeth3 num_tx_queues) $(info xeth3 num_rx_queues)"
	check_eq "ports get xids from 3999 down, as rtnl ports" "3996 3997 3998 3999" \
		"$(for d in xeth0 xeth1 xeth2 xeth3; do info $d linkinfo.info_data.xid; done | sort | xargs)"
	check_eq "ethtool -i xeth1: driver xeth, bus-info its platform device" "xeth $P1" \
		"$(ethtool -i xeth1 | awk '/^driver:/ { d = $2 } /^bus-info:/ { b = $2 } END { print d, b }')"
	check_eq "ethtool -i xm0: bus-info the mux's platform device" "$MUX" \
		"$(ethtool -i xm0 | awk '/^bus-info:/ { print $2 }')"
	check_eq "the netdev's device is the platform device" "$P2" \
		"$(basename "$(readlink /sys/class/net/xeth2/device)")"
	check_eq "ethtool --show-priv-flags xeth1: the firmware's flags, all off" \
		"fec-rs:off fec-baser:off loopback-phy:off" \
		"$(ethtool --show-priv-flags xeth1 | awk -F' *: *' 'NR > 1 { printf "%s%s:%s", s, $1, $2; s = " " }')"
	check "ethtool --set-priv-flags xeth1 fec-baser on" ethtool --set-priv-flags xeth1 fec-baser on
	check_eq "the flag is on, the others off" "fec-rs:off fec-baser:on loopback-phy:off" \
		"$(ethtool --show-priv-flags xeth1 | awk -F' *: *' 'NR > 1 { printf "%s%s:%s", s, $1, $2; s = " " }')"
	check_fails "an unknown flag is refused" ethtool --set-priv-flags xeth1 no-such-flag on
	check_eq "ethtool -S xeth2: the firmware's stat names" "rx-good tx-good rx-fcs-errors fw-stat-4" \
		"$(ethtool -S xeth2 | awk -F: 'NR > 1 { gsub(/ /, "", $1); printf "%s%s", s, $1; s = " " }')"
	check_eq "the mux shows its flag names in sysfs" "fec-rs fec-baser loopback-phy" \
		"$(xargs </sys/class/net/xm0/xeth/priv_flag_names)"
	check_eq "and its stat names" "rx-good tx-good rx-fcs-errors fw-stat-4" \
		"$(xargs </sys/class/net/xm0/xeth/ethtool_stat_names)"
}

# xeth1's module EEPROM is on i2c-0 (qsfp-bus 0) at the mux's first
# qsfp-i2c-addrs (0x60), where QEMU's i2c-ddc answers with an EDID: its
# 8-byte header stands in for a module's identifier bytes.
case_eeprom() {
	check "modprobe i2c-piix4 (the SMBus of the guest's PIIX4)" modprobe i2c-piix4
	check_eq "i2c-0 is the PIIX4 SMBus" "SMBus PIIX4 adapter" "$(cut -c1-19 /sys/bus/i2c/devices/i2c-0/name)"
	check_eq "ethtool -m xeth1: the EEPROM at 0x60 on qsfp-bus 0 (an EDID header)" \
		"00 ff ff ff ff ff ff 00" \
		"$(ethtool -m xeth1 hex on | awk '$1 == "0x0000:" { print $2, $3, $4, $5, $6, $7, $8, $9 }')"
	check_eq "256 bytes of it (SFF-8079 for an unknown identifier)" 16 \
		"$(ethtool -m xeth1 hex on | grep -c '^0x0')"
	check_fails "ethtool -m xeth2: no qsfp-bus, no module EEPROM" ethtool -m xeth2
	check_fails "ethtool -m xeth3: qsfp-bus 7 does not exist" ethtool -m xeth3
}

# --- as rtnl ports -------------------------------------------------------------
case_rtnl_ports() {
	check "a fifth port takes the last room of the firmware's 5 (ip link add)" \
		ip link add xeth9 link xm0 type xeth-port
	check_eq "a sixth does not fit" \
		'Error: the mux has no room for another port (firmware "ports").' \
		"$(ip link add xeth8 link xm0 type xeth-port 2>&1)"
	check_fails "no xeth8 was left behind" ip link show xeth8
	check "ip link del xeth9" ip link del xeth9
	check "an xeth-vlan on a firmware port" ip link add xeth2.100 link xeth2 type xeth-vlan
	check "a lag of two firmware ports" ip link add lag1 link xeth0 type xeth-lag
	check "the second member joins" ip link set xeth3 master lag1
	check "ip link set xm0 up, xeth1 up" ip -batch - <<-EOT
	link set xm0 up
	link set xeth1 up
	EOT
}

# --- side-band --------------------------------------------------------------------
case_sideband() {
	local xid1 xid2
	needs properties rtnl_ports
	xid1=$(info xeth1 linkinfo.info_data.xid)
	xid2=$(info xeth2 linkinfo.info_data.xid)
	LOG=/tmp/sb.jsonl
	$SB xm0 >"$LOG" <<-SCRIPT
	connect
	dump
	mark live
	sh ethtool --set-priv-flags xeth2 loopback-phy on fec-rs on
	read 0.5
	ethstat $xid2 2 77
	carrier $xid1 1
	sh bash "\$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'ethtool -S xeth2 | grep -q "rx-fcs-errors: 77"'
	sh bash "\$XETH_ROOT/tests/vm/tools/wait_for.sh" 10 'test "\$(cat /sys/class/net/xeth1/carrier)" = 1'
	close
	SCRIPT
	before_live() { jq -c -s '(map(.mark == "live") | index(true)) as $i | .[:$i][]' "$LOG"; }
	after_live() { jq -c -s '(map(.mark == "live") | index(true)) as $i | .[$i + 1:][]' "$LOG"; }
	check_eq "the daemon connects" '{"connect":"ok"}' "$(head -1 "$LOG")"
	check_eq "the IFINFO dump has the four firmware ports with their MACs" \
		"xeth0 xeth1/02:00:5e:10:00:01 xeth2/02:00:5e:10:00:02 xeth3/02:00:5e:10:00:03" \
		"$(before_live | jq -r 'select(.kind == "IFINFO" and .reason == "DUMP" and .devkind == 1) | if .ifname == "xeth0" then .ifname else "\(.ifname)/\(.addr)" end' | sort | xargs)"
	check_eq "the dump's ETHTOOL_FLAGS: xeth1 has fec-baser (bit 1), xeth2 none" \
		"$(printf '%s\n' "$xid1:2" "$xid2:0" | sort | xargs)" \
		"$(before_live | jq -r --argjson a "$xid1" --argjson b "$xid2" 'select(.kind == "ETHTOOL_FLAGS" and (.xid == $a or .xid == $b)) | "\(.xid):\(.flags)"' | sort | xargs)"
	check_eq "ethtool --set-priv-flags xeth2 sends ETHTOOL_FLAGS live (bits 0 and 2)" \
		"{\"kind\":\"ETHTOOL_FLAGS\",\"len\":24,\"xid\":$xid2,\"flags\":5}" \
		"$(after_live | jq -c 'select(.kind == "ETHTOOL_FLAGS")')"
	check_eq "ethtool, then ETHTOOL_STAT and CARRIER from the daemon, reach firmware ports" "0 0 0" \
		"$(after_live | jq -r 'select(.sh) | .rc' | xargs)"
}

# --- unbind and bind --------------------------------------------------------------
case_unbind_bind() {
	local bad i
	needs rtnl_ports
	check "unbind xeth2's platform device" unbind "$PORTDRV" "$P2"
	check_eq "xeth2 and its VLAN are gone, nothing else" "lag1 xeth0 xeth1 xeth3 xm0" "$(xeth_links)"
	check "bind it again" bind "$PORTDRV" "$P2"
	check_eq "xeth2 is back with its MAC" "02:00:5e:10:00:02" "$(info xeth2 address)"

	# A firmware port's probe that finds no room fails for good: an rtnl
	# port takes only the rooms that no firmware port names.
	check "unbind xeth2's device again" unbind "$PORTDRV" "$P2"
	check "an rtnl port takes the free room" ip link add xeth9 link xm0 type xeth-port
	check_eq "but not the unbound xeth2's, which the mux keeps for it" \
		"Error: the mux's free rooms are kept for its firmware ports (firmware \"ports\")." \
		"$(ip link add xeth8 link xm0 type xeth-port 2>&1)"
	check "bind xeth2's device" bind "$PORTDRV" "$P2"
	check_eq "xeth2 is back in its room" "02:00:5e:10:00:02" "$(info xeth2 address)"
	check "ip link del xeth9" ip link del xeth9

	check "ip link del of a firmware port" ip link del xeth1
	check_eq "its device stays bound, without a netdev" xeth-port "$(bound_to "$P1")"
	check "an rtnl port takes the free room" ip link add xeth9 link xm0 type xeth-port
	check_eq "but not the deleted xeth1's" \
		"Error: the mux's free rooms are kept for its firmware ports (firmware \"ports\")." \
		"$(ip link add xeth8 link xm0 type xeth-port 2>&1)"
	check "ip link del xeth9" ip link del xeth9
	check "unbind and bind bring it back" bash -c "echo $P1 >$PORTDRV/unbind && echo $P1 >$PORTDRV/bind"
	check_eq "xeth1 is back" "02:00:5e:10:00:01" "$(info xeth1 address)"

	check "unbind the mux" unbind "$MUXDRV" "$MUX"
	check_eq "every xeth link went with it (rtnl-made ones too)" "" "$(xeth_links)"
	check_eq "its ports were unbound first" "none none none none" \
		"$(bound_to "$P1") $(bound_to "$P2") $(bound_to "$P3") $(bound_to "$P4")"
	check_fails "a port bound before its mux waits (EPROBE_DEFER)" bind "$PORTDRV" "$P1"
	check_eq "and has no netdev" "" "$(xeth_links)"
	check "bind the mux" bind "$MUXDRV" "$MUX"
	check "the mux and all four ports come back" wait_for 10 has_links "$ALL"

	bad=
	for i in $(seq 10); do
		unbind "$MUXDRV" "$MUX" || bad+=" unbind#$i"
		[ -z "$(xeth_links)" ] || bad+=" left#$i:$(xeth_links)"
		bind "$MUXDRV" "$MUX" || bad+=" bind#$i"
		wait_for 10 has_links "$ALL" || bad+=" back#$i:$(xeth_links)"
	done
	check_eq "ten unbind/bind rounds of the mux: gone and back each time" "" "$bad"
	bad=
	for i in $(seq 10); do
		unbind "$PORTDRV" "$P3" && bind "$PORTDRV" "$P3" || bad+=" #$i"
	done
	check_eq "ten unbind/bind rounds of a port" "" "$bad"
	check_eq "still the same links" "$ALL" "$(xeth_links)"
}

# At once: the mux unbound and bound, a port unbound and bound, rtnl ports
# added and deleted on the mux (in its one free room). Nothing may hang
# (RTNL against probe and remove, device links against both).
case_race() {
	race() {
		local i
		for i in $(seq 10); do unbind "$MUXDRV" "$MUX"; bind "$MUXDRV" "$MUX"; done 2>/dev/null &
		for i in $(seq 10); do unbind "$PORTDRV" "$P2"; bind "$PORTDRV" "$P2"; done 2>/dev/null &
		for i in $(seq 30); do
			ip link add xtmp link xm0 type xeth-port && ip link set xtmp up && ip link del xtmp
		done 2>/dev/null &
		wait
	}
	check "mux and port bind/unbind with rtnl ports coming and going, at once ($(scaled 60) s at most)" \
		timeout "$(scaled 60)" bash -c "$(declare -f race bind unbind); MUXDRV=$MUXDRV PORTDRV=$PORTDRV MUX=$MUX P2=$P2 race"
	ip link del xtmp 2>/dev/null
	[ "$(bound_to "$MUX")" = xeth-mux ] || bind "$MUXDRV" "$MUX"
	# a port unbound last, while its mux was away, is neither bound nor deferred
	[ "$(bound_to "$P2")" = xeth-port ] || bind "$PORTDRV" "$P2" 2>/dev/null
	check "then the mux and all four ports are there" wait_for 10 has_links "$ALL"
}

case_unload() {
	check "ip link del of the firmware mux" ip link del xm0
	check_eq "the ports went with it" "" "$(xeth_links)"
	check "unbind the mux with its netdev already gone" unbind "$MUXDRV" "$MUX"
	check "bind it" bind "$MUXDRV" "$MUX"
	check "everything comes back" wait_for 10 has_links "$ALL"

	check "rmmod xeth" rmmod xeth
	check_eq "no xeth link is left" "" "$(xeth_links)"
	check "insmod again" load_xeth
	check "the firmware's mux and ports come back" wait_for 10 has_links "$ALL"
	check "rmmod xeth" rmmod xeth
	check_eq "the kernel log has no splat" "" "$(splats)"
	check_eq "and no probe error" "" "$(dmesg | grep -E 'xeth-(mux|port) PRP0001.*(property|cannot|taken)' || true)"
}

run_cases
finish
