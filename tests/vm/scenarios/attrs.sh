#!/bin/bash
# Attributes are validated by their declared sizes (xeth 3.x read the u32
# xid as u16 and the u8 channel as u16): wrong sizes are rejected with an
# extack message, right ones accepted. Requests are hand-made (nlraw.py),
# all sent by one Python process; the answers are checked in order.
. "$(dirname "$0")/../lib.sh"

load_xeth || { not_ok "insmod xeth.ko"; finish; exit 1; }

SIZE="error Numerical result out of range: binary attribute size out of range"
RANGE="error Numerical result out of range"
descs=() wants=() reqs=()
expect() { # expect DESCRIPTION EXPECTED-PREFIX REQUEST...
	descs+=("$1")
	wants+=("$2")
	shift 2
	reqs+=("$*")
}

expect "mux: encap as u8 accepted" ok xm0 xeth-mux --data 1:01
expect "mux: encap as u32 rejected" "$SIZE" xm1 xeth-mux --data 1:01000000
expect "mux: encap 2 rejected" "error Invalid argument: encap must be 0 (vlan) or 1 (vpls)" \
	xm1 xeth-mux --data 1:02
expect "mux: an empty encap rejected" "$SIZE" xm1 xeth-mux --data 1:
expect "port: xid as u32 accepted" ok p1 xeth-port --link xm0 --data 1:40000000
expect "port: xid as u16 rejected" "$SIZE" p2 xeth-port --link xm0 --data 1:4100
expect "port: xid as u64 rejected" "$SIZE" p2 xeth-port --link xm0 --data 1:4100000000000000
expect "port: xid 15 out of vpls range" "$RANGE: xid out of range: 16-1048575 with vpls encap" \
	p2 xeth-port --link xm0 --data 1:0f000000
expect "port: the largest vpls xid accepted" ok p3 xeth-port --link xm0 --data 1:ffff0f00
expect "vlan: vid as u16 accepted" ok v1 xeth-vlan --link p1 --data 1:0a00
expect "vlan: vid as u8 rejected" "$SIZE" v2 xeth-vlan --link p1 --data 1:0b
expect "vlan: vid as u32 rejected" "$SIZE" v2 xeth-vlan --link p1 --data 1:0b000000
expect "vlan: vid 0 rejected" "$RANGE: vid out of range: 1-4094" v2 xeth-vlan --link p1 --data 1:0000
expect "vlan: vid 4095 rejected" "$RANGE: vid out of range: 1-4094" v2 xeth-vlan --link p1 --data 1:ff0f
expect "loopback: channel as u8 accepted" ok l1 xeth-loopback --link xm0 --data 1:05
expect "loopback: channel as u16 rejected" "$SIZE" l2 xeth-loopback --link xm0 --data 1:0500

ALL_CASES="requests readback leftovers"

# every request, in one process; each answer as expected
case_requests() {
	local got i
	mapfile -t got < <(printf '%s\n' "${reqs[@]}" | python3 "$XETH_ROOT/tests/vm/tools/nlraw.py" batch 2>&1)
	for i in "${!descs[@]}"; do
		if [[ ${got[$i]} == "${wants[$i]}"* ]]; then
			ok "${descs[$i]}"
		else
			not_ok "${descs[$i]}" "request: ${reqs[$i]}" "expected: ${wants[$i]}" "got: ${got[$i]}"
		fi
	done
}

# what the accepted requests made
case_readback() {
	needs requests
	value() { ip -d -j link show "$1" | jq -r ".[0].linkinfo.info_data.$2"; }
	check_eq "mux: encap vpls set" vpls "$(value xm0 encap)"
	check_eq "port: xid 64 read as u32" 64 "$(value p1 xid)"
	check_eq "port: xid 1048575" 1048575 "$(value p3 xid)"
	check_eq "vlan: vid 10" 10 "$(value v1 vid)"
	check_eq "loopback: channel 5" 5 "$(value l1 channel)"
}

# the rejected requests made nothing
case_leftovers() {
	needs requests
	for d in xm1 p2 v2 l2; do
		check_fails "nothing named $d was left behind" ip link show "$d"
	done
	check "rmmod" rmmod xeth
}

run_cases
finish
