#!/bin/bash
# Muxes and ports with bad properties from an ACPI table (tests/vm/acpi/
# fw_bad.asl): each probe fails with its own kernel log line, and nothing
# half-registered stays behind; the good mux takes only the ports it has
# room for; a port waits for a mux that ip link makes later.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib_fw.sh"

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
two_ports() { [ "$(xeth_links | wc -w)" = 3 ]; }
wait_for 10 two_ports
LINKS=$(xeth_links)

ALL_CASES="probes deferred reload"

case_probes() {
	local full n d
	check "the good mux and two of its three ports appear" wait_for 10 two_ports
	check "they are xmok and two of xeth1-xeth3" \
		grep -Eqx 'xeth[123] xeth[123] xmok' <<<"$LINKS"

	# expect_log NODE MESSAGE: NODE's device is unbound and logged MESSAGE
	expect_log() {
		local dev log
		dev=$(fw_dev "\\_SB_.$1") || { not_ok "$1: no platform device"; return; }
		log=$(dmesg | grep -F "$dev: " | grep -F "$2")
		if [ -n "$log" ] && [ "$(bound_to "$dev")" = none ]; then
			ok "$1 ($dev) fails: $2"
		else
			not_ok "$1 ($dev) fails: $2" "bound to: $(bound_to "$dev")" \
				"its log: $(dmesg | grep -F "$dev: ")"
		fi
	}
	expect_log BM01 'property "encap" is 5, not 0-1'
	expect_log BM02 'property "ports" is 5000, not 1-4094'
	expect_log BM03 'property "name" is not a string'
	expect_log BM04 'name "lo" is taken by another interface'
	expect_log BM05 'property "priv-flags" is not a list of strings'
	expect_log BM06 'property "link0-mac-address" is not 6 bytes'
	expect_log BM07 'property "encap" is not a u8'
	expect_log BM08 'property "stat-names": "a-stat-name-of-forty-characters-and-more" is empty or longer than 31 characters'
	expect_log BP04 'name "xmok" is taken by another interface'
	expect_log BP05 'property "mac-address": 01:00:5e:00:00:01 is not a unicast MAC address'
	expect_log BP06 'property "mux": lo is not an xeth-mux'
	expect_log BP07 'property "txqs" is 0, not 1-255'
	expect_log BP08 'property "qsfp-bus" is not a u8'
	check_eq "xeth-mux logs every failed probe at error level" 13 \
		"$(dmesg --level=err | grep -cE 'xeth-(mux|port) PRP0001:[0-9a-f]+: (property|name)')"

	full=
	for n in BP01 BP02 BP03; do
		d=$(fw_dev "\\_SB_.$n")
		[ "$(bound_to "$d")" = none ] && full+="$n:$(dmesg | grep -F "$d: " | grep -o 'cannot add port.*' | head -1)"
	done
	check_eq "the third port of a mux with room for two fails, and says why" \
		'cannot add port xeth? to mux xmok: the mux has no room for another port (firmware "ports") (-ENOSPC)' \
		"$(sed 's/xeth[123]/xeth?/' <<<"${full#BP0?:}")"
	check_eq "only the good devices are bound" "1 2" \
		"$(ls -d "$MUXDRV"/PRP* | wc -l) $(ls -d "$PORTDRV"/PRP* | wc -l)"
	check_eq "no bad mux left a netdev behind" "" \
		"$(ip -j link show | jq -r '.[].ifname' | grep -E '^bad-' || true)"
}

# A port waits for a mux of its name, whoever makes it.
case_deferred() {
	local xp9
	xp9=$(fw_dev '\_SB_.BP09')
	check_eq "xeth9 waits for mux \"later\" (unbound, deferred)" none "$(bound_to "$xp9")"
	check "ip link add later type xeth-mux" ip link add later type xeth-mux
	on_later() { [ "$(info xeth9 link 2>/dev/null)" = later ]; }
	check "xeth9 appears on it" wait_for 10 on_later
	check_eq "bound to xeth-port" xeth-port "$(bound_to "$xp9")"
	check "ip link del later takes xeth9 with it" ip link del later
	check_fails "xeth9 is gone" ip link show xeth9
	check "unbind and bind xeth9's device: it waits again" \
		bash -c "echo $xp9 >$PORTDRV/unbind; ! echo $xp9 >$PORTDRV/bind"
	check "a new mux \"later\" takes it" ip link add later type xeth-mux
	check "xeth9 appears again" wait_for 10 ip link show xeth9
}

case_reload() {
	check "rmmod xeth" rmmod xeth
	check_eq "no xeth link is left" "" "$(xeth_links)"
	echo "fw_bad: insmod again" >/dev/kmsg
	check "insmod again" load_xeth
	check "the same two ports come back" wait_for 10 has_links "$LINKS"
	check_eq "and the same 13 probes fail again" 13 \
		"$(dmesg | sed '1,/fw_bad: insmod again/d' | grep -cE 'xeth-(mux|port) PRP0001:[0-9a-f]+: (property|name)')"
	check "rmmod xeth" rmmod xeth
	check_eq "the kernel log has no splat" "" "$(splats)"
}

run_cases
finish
