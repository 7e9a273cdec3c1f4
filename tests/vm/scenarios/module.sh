#!/bin/bash
# The module loads, registers its link kind, and unloads leaving nothing behind.
. "$(dirname "$0")/../lib.sh"

ALL_CASES="load reload"

case_load() {
	check "insmod xeth.ko" load_xeth
	check "xeth is listed in /proc/modules" grep -q '^xeth ' /proc/modules
	check "the module has no taint beyond out-of-tree" \
		bash -c '[ "$(cat /sys/module/xeth/taint)" = O ] || [ "$(cat /sys/module/xeth/taint)" = OE ]'
	check_eq "refcount is 0 with no devices" 0 "$(cat /sys/module/xeth/refcnt)"
	check "ip link add succeeds while loaded" ip link add xm0 type xeth-mux
	check "the mux holds no module reference that blocks rmmod" ip link del xm0
	check "rmmod xeth" rmmod xeth
	check_fails "xeth is gone from /proc/modules" grep -q '^xeth ' /proc/modules
	check_fails "the xeth-mux kind is gone with the module" ip link add xm1 type xeth-mux
	check_eq "no xeth-mux links remain" "" "$(links_of_kind xeth-mux)"
}

case_reload() {
	check "insmod again after rmmod" load_xeth
	check "rmmod again" rmmod xeth
}

run_cases
finish
