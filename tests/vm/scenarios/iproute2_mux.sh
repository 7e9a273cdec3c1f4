#!/bin/bash
# ip's xeth-mux plugin (kernel/iproute2) with the real module: "encap" goes
# to the kernel as IFLA_XETH_MUX_ENCAP and comes back in ip -d link show,
# in JSON and in text. The plugins are built on the host beforehand
# (scripts/build-iproute2.sh); the guest sees them through the shared root.
. "$(dirname "$0")/../lib.sh"

export IP_LIB_DIR=$XETH_ROOT/build/iproute2

if [ ! -e "$IP_LIB_DIR/link_xeth-mux.so" ]; then
	not_ok "the ip plugins are built" "run scripts/build-iproute2.sh on the host"
	finish
	exit 1
fi
load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }

encap_of() { ip -d -j link show "$1" | jq -r '.[0].linkinfo.info_data.encap'; }

ALL_CASES="encap errors unload"

# encap reaches the kernel and comes back, in JSON and text
case_encap() {
	check "ip link add xm0 type xeth-mux encap vpls" \
		ip link add xm0 type xeth-mux encap vpls
	check_eq "ip -d -j shows encap vpls in info_data" vpls "$(encap_of xm0)"
	check "ip -d link show prints encap vpls after the kind" \
		bash -c "ip -d link show xm0 | grep -qw 'xeth-mux encap vpls'"
	check "ip link add xm1 type xeth-mux (no encap)" ip link add xm1 type xeth-mux
	check_eq "without encap the mux uses vlan" vlan "$(encap_of xm1)"
	check "ip link add xm2 type xeth-mux encap vlan" \
		ip link add xm2 type xeth-mux encap vlan
	check_eq "encap vlan reads back" vlan "$(encap_of xm2)"
	check "ip -d link show xm2 prints encap vlan" \
		bash -c "ip -d link show xm2 | grep -qw 'xeth-mux encap vlan'"
	check_eq "ip -d -j lists every mux with its encap" "xm0 vpls,xm1 vlan,xm2 vlan" \
		"$(ip -d -j link show | jq -r '[.[] | select(.linkinfo.info_kind == "xeth-mux")
			| "\(.ifname) \(.linkinfo.info_data.encap)"] | sort | join(",")')"
}

# what the plugin refuses, and that the attribute is its work
case_errors() {
	local out
	out=$(ip link add xm3 type xeth-mux encap bogus 2>&1)
	check_eq "encap bogus: ip exits 1, the plugin's refusal" 1 "$?"
	check_eq "encap bogus: the plugin names the accepted values" \
		'Error: xeth-mux: invalid encap "bogus", expected vlan|vpls' "$out"
	check_fails "encap bogus created nothing" ip link show xm3
	out=$(ip link add xm3 type xeth-mux help 2>&1)
	check_eq "help: ip exits 1 and creates nothing" 1 "$?"
	check_eq "help prints the plugin's usage" \
		"Usage: ip link add ... type xeth-mux [ encap { vlan | vpls } ]" \
		"$(head -n 1 <<<"$out")"
	# Proves that the attribute above came from the plugin, not from some
	# other ip that knows the kind.
	check_fails "without the plugin ip cannot parse encap" \
		env IP_LIB_DIR=/nonexistent ip link add xm3 type xeth-mux encap vpls
}

case_unload() {
	needs encap
	check "ip link del xm0" ip link del xm0
	check "ip link del xm1" ip link del xm1
	check "rmmod with xm2 present" rmmod xeth
	check_eq "no mux is left" "" "$(links_of_kind xeth-mux)"
}

run_cases
finish
