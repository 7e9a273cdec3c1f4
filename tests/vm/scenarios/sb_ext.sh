#!/bin/bash
# ethtool -s on a port reaches the daemon (ETHTOOL_SETTINGS, advertised
# link modes); the link-modes extension carries modes past bit 63 only to
# a daemon that enabled it after reading the mux's extensions file.
. "$(dirname "$0")/../lib.sh"

SB="python3 $XETH_ROOT/tests/vm/tools/sbclient.py"
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }
ip link add xm0 type xeth-mux
ip link add xeth1 link xm0 type xeth-port xid 7
ip link set xm0 up

# 25000baseCR/Full is bit 31, 400000baseCR8/Full bit 73, 400000baseKR4/Full bit 85
ALL_CASES="classic ext unknown_bits"

# a daemon that did not enable the extension
case_classic() {
	local classic
	check_eq "the mux lists its extensions" "0 link-modes-ext|1 fib-offload" \
		"$(paste -sd'|' /sys/class/net/xm0/xeth/extensions)"
	$SB xm0 >/tmp/classic.jsonl <<-'SCRIPT'
	connect
	dump
	mark classic
	sh ethtool -s xeth1 autoneg on advertise 0x2000000000080000000
	read 0.5
	close
	SCRIPT
	classic=$(sed -n '/"mark":"classic"/,$p' /tmp/classic.jsonl)
	jc() { jq -s -r "$1" <<<"$classic"; }
	check_eq "ethtool -s: ETHTOOL_SETTINGS with autoneg on" '7 1' \
		"$(jc '.[] | select(.kind == "ETHTOOL_SETTINGS") | "\(.xid) \(.autoneg)"')"
	check_eq "ethtool -s: the classic message has the modes below bit 64" "$((1 << 31))" \
		"$(jc '.[] | select(.kind == "LINK_MODES_ADVERTISING") | .modes')"
	check_eq "no extension messages for a daemon that did not enable them" 0 \
		"$(grep -c LINK_MODES_EXT /tmp/classic.jsonl)"
	check "ethtool shows what was asked" bash -c "ethtool xeth1 | grep -A3 'Advertised link modes' | grep -q 25000baseCR/Full"
}

# a daemon that enabled it: the dump and live changes carry every bit
case_ext() {
	local dumped ext
	$SB xm0 >/tmp/ext.jsonl <<-'SCRIPT'
	connect
	ext 1
	dump
	mark ext
	sh ethtool -s xeth1 autoneg on advertise 0x2002000000000080000000
	read 0.5
	close
	SCRIPT
	dumped=$(sed -n '1,/"mark":"ext"/p' /tmp/ext.jsonl)
	check_eq "dump with the extension: one LINK_MODES_EXT per bitmap" '0 1 2' \
		"$(jq -s -r '[.[] | select(.kind == "LINK_MODES_EXT") | .which] | join(" ")' <<<"$dumped")"
	check "dump: the supported bitmap reaches past bit 63" \
		test "$(jq -s '[.[] | select(.kind == "LINK_MODES_EXT" and .which == 0)][0].bits | max' <<<"$dumped")" -gt 63
	ext=$(sed -n '/"mark":"ext"/,$p' /tmp/ext.jsonl)
	check_eq "live: the whole advertised bitmap, bits 31, 73 and 85" '1 31,73,85' \
		"$(jq -s -r '.[] | select(.kind == "LINK_MODES_EXT") | "\(.which) \(.bits | join(","))"' <<<"$ext")"
	check_eq "live: the classic message still comes first" 'LINK_MODES_ADVERTISING LINK_MODES_EXT' \
		"$(jq -s -r '[.[] | select((.kind // "") | startswith("LINK_MODES")) | .kind] | join(" ")' <<<"$ext")"
}

# extension bits this kernel does not know turn the extension off
case_unknown_bits() {
	local last
	$SB xm0 >/tmp/unknown.jsonl <<-'SCRIPT'
	connect
	ext 1
	dump
	ext 0xfe
	mark unknown-bits
	sh ethtool -s xeth1 autoneg off speed 100000 duplex full
	read 0.5
	close
	SCRIPT
	last=$(sed -n '/"mark":"unknown-bits"/,$p' /tmp/unknown.jsonl)
	check_eq "bits this kernel does not know turn the extension off" 0 \
		"$(grep -c LINK_MODES_EXT <<<"$last")"
	check_eq "autoneg off with a speed reaches the daemon" '0 100000 1' \
		"$(jq -s -r '.[] | select(.kind == "ETHTOOL_SETTINGS") | "\(.autoneg) \(.speed) \(.duplex)"' <<<"$last")"
}

run_cases
finish
