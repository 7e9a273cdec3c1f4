#!/bin/bash
# rtnl fuzzer: random sequences of ip link add/set/del of every xeth kind
# with random options, valid and invalid; master/nomaster, up/down, mtu,
# names, moves between namespaces and deletion of namespaces that hold our
# devices; ethtool -K/-s on proxies; addresses, routes, nexthops and
# neighbours on them; module parameters, the mux's sysfs names, rmmod and
# insmod; all while a side-band daemon connects, dumps and goes at random
# and a second client injects fuzzed messages. tests/vm/tools/rtnl_fuzz.py
# does it all from one process, the ip commands through long-lived
# `ip -batch` processes: a process start costs more than most operations
# under TCG.
#
# Seeded: the seed is printed first; XETH_VM_FUZZ_SEED=N replays one
# (the same operations while the kernel answers the same: the digest in
# the summary tells), XETH_VM_FUZZ_OPS=N sets the count:
#   XETH_VM_FUZZ_SEED=1234 ./run vm --jobs 1 --kernel 6.12 rtnl_fuzz
# XETH_VM_FUZZ_KDIR=DIR fuzzes another build of the module, DIR/<kernel
# release>/xeth.ko (an older commit's, built with XETH_KMOD_SRC and
# XETH_KMOD_OUT under build/: the guest sees the host's tree, not its /tmp).
# The checks (the tool's report) are listed in
# tests/vm/tools/rtnl_fuzz_lib/report.py; a failed one shows its first
# findings, and the end of the operation log is printed.
# A failed run keeps the whole log and the report with its results, in
# build/vm/runs/<time>/<kernel>-boot<N>/rtnl_fuzz/ (the rig removes the
# directory of a run that passed).
. "$(dirname "$0")/../lib.sh"

[ -z "$XETH_VM_FUZZ_KDIR" ] || XETH_KO=$XETH_ROOT/$XETH_VM_FUZZ_KDIR/$(uname -r)/xeth.ko

T=$XETH_ROOT/tests/vm/tools
# the rig's name of this kernel: 6.1, 6.12, 6.1-debug, 6.12-debug
KERNEL=$(uname -r | cut -d. -f1,2)
case $(uname -r) in *-xeth-debug) KERNEL=$KERNEL-debug ;; esac
SEED=${XETH_VM_FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
# A debug kernel makes about 3.5 operations a second against 60 on Debian's
# (KASAN and lockdep under TCG): fewer, so that the run fits its timeout.
case $KERNEL in
*-debug) OPS=${XETH_VM_FUZZ_OPS:-$(sized 800 30000)} ;;
*) OPS=${XETH_VM_FUZZ_OPS:-$(sized 3000 100000)} ;;
esac
# a checkpoint (side-band dumps against rtnl, counters) every so many
CHECK_EVERY=${XETH_VM_FUZZ_CHECK_EVERY:-$(sized 500 5000)}
LOG=/tmp/rtnl_fuzz.log
REPORT=/tmp/rtnl_fuzz.json

echo "# rtnl_fuzz: seed $SEED, $OPS operations${XETH_VM_FUZZ_KDIR:+ of $XETH_KO}; replay with" \
	"${XETH_VM_FUZZ_KDIR:+XETH_VM_FUZZ_KDIR=$XETH_VM_FUZZ_KDIR }XETH_VM_FUZZ_SEED=$SEED XETH_VM_FUZZ_OPS=$OPS" \
	"./run vm --jobs 1 --kernel $KERNEL rtnl_fuzz"

ALL_CASES="fuzz"

case_fuzz() {
	local rc n name okv detail
	# veth for the muxes' lower links and the namespaces' canaries
	modprobe veth 2>/dev/null
	load_xeth || {
		not_ok "insmod xeth.ko"
		return
	}
	python3 "$T/rtnl_fuzz.py" --seed "$SEED" --ops "$OPS" --ko "$XETH_KO" \
		--check-every "$CHECK_EVERY" --report "$REPORT" --log "$LOG"
	rc=$?
	if [ $rc != 0 ] || [ ! -s "$REPORT" ]; then
		not_ok "rtnl_fuzz.py ran (exit $rc)" "$(tail -40 "$LOG" 2>/dev/null)"
		return
	fi
	n=$(jq '.checks | length' "$REPORT")
	for ((i = 0; i < n; i++)); do
		name=$(jq -r ".checks[$i].name" "$REPORT")
		okv=$(jq -r ".checks[$i].ok" "$REPORT")
		if [ "$okv" = true ]; then
			ok "$name"
		else
			detail=$(jq -r ".checks[$i].detail[]" "$REPORT")
			not_ok "$name" "$detail"
			failed=1
		fi
	done
	echo "# rtnl_fuzz: refusals without an extack message, by kind (core paths included): $(jq -c .nomsg "$REPORT")"
	echo "# rtnl_fuzz: the most frequent refusals:"
	jq -r '.top_refusals[]' "$REPORT" | sed 's/^/#   /'
	echo "# rtnl_fuzz: side-band clients: $(jq -c .sideband "$REPORT")"
	echo "# rtnl_fuzz: devices after each batch: $(jq -c .world "$REPORT")"
	echo "# rtnl_fuzz: notes: $(jq -c .notes "$REPORT")"
	if [ -n "$failed" ]; then
		echo "# rtnl_fuzz: the last operations (seed $SEED):"
		tail -60 "$LOG" | sed 's/^/#   /'
	fi
	# kept beside the run's other logs
	[ -n "$XETH_OUT" ] && cp "$LOG" "$REPORT" "$XETH_OUT/" 2>/dev/null
}

failed=
run_cases
finish
