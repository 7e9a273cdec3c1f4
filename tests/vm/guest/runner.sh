#!/bin/bash
# Runs a batch of scenarios, one after the other, inside the guest's chroot
# of the host root. BATCH lists one scenario a line: NAME PATH [CASES]
# (CASES comma-separated). Each leaves OUT/NAME/{output.log,dmesg.log,rc};
# between scenarios the guest is put back as it booted (guest/reset.sh).
# The console lines "xrig: running NAME" and "xrig: done NAME" tell the
# host which scenario runs; a kernel splat or a guest that cannot be put
# back ends the batch, and the host runs the rest in a new guest.
ROOT=$1 OUT=$2 BATCH=$3
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root XETH_ROOT=$ROOT XETH_OUT=$OUT
export DENO_DIR=$ROOT/.tools/deno-dir DENO_NO_UPDATE_CHECK=1
PATH=$ROOT/.tools/bin:$PATH
cd "$ROOT" || exit 1
# settings the rig passes on (XETH_TIME_SCALE, XETH_FULL, XETH_BENCH_*, XETH_VM_*)
[ -f "$OUT/env" ] && . "$OUT/env"
ip link set lo up
# A guest with links to a peer guest (tests/vm/peer.ts) has its NICs'
# driver now, before the snapshot: the reset between scenarios keeps the
# links the guest had then. Other guests' scenarios bind NICs themselves
# (fw_linked checks that none has a driver before it binds one).
[ -z "$XETH_PEER_SIDE" ] || modprobe virtio_net
. "$ROOT/tests/vm/guest/reset.sh"
reset_snapshot

# A debug kernel's kmemleak (scripts/build-debug-kernel.sh): what booting
# left is not the scenarios' business; after each scenario, once the guest
# is put back (its objects freed, the module removed), what nothing
# references any more is reported into its kernel log, where the host
# finds it as a splat.
KMEMLEAK=/sys/kernel/debug/kmemleak
[ -w "$KMEMLEAK" ] && echo clear >"$KMEMLEAK"
kmemleak_report() { # kmemleak_report: suspected leaks, "kmemleak: " lines
	[ -w "$KMEMLEAK" ] || return 0
	# two scans: an object freed by RCU after the first is not reported
	echo scan >"$KMEMLEAK"
	sleep 1
	echo scan >"$KMEMLEAK"
	sed 's/^/kmemleak: /' "$KMEMLEAK"
	echo clear >"$KMEMLEAK"
}

while read -r name path cases; do
	[ -n "$name" ] || continue
	d=$OUT/$name
	mkdir -p "$d"
	: >"$d/started"
	echo "xrig: running $name on $(uname -r)"
	echo "xrig: running $name" >/dev/kmsg
	# Its output goes to a file that tail shows on the console: a daemon
	# it leaves running may hold its output open, so nothing here waits
	# for the end of that output, only for the scenario's own process.
	# Made before tail starts: the scenario's redirection may come later.
	: >"$d/output.log"
	XETH_OUT=$d XETH_CASES=${cases//,/ } setsid bash "$path" </dev/null >>"$d/output.log" 2>&1 &
	pid=$!
	tail -s 0.2 -n +1 -f --pid=$pid "$d/output.log" &
	tail=$!
	wait $pid
	rc=$?
	wait $tail
	problem=$(reset_guest 2>&1)
	dmesg >"$d/dmesg.log"
	kmemleak_report >>"$d/dmesg.log"
	dmesg -C
	if [ -n "$problem" ]; then
		printf '%s\n' "$problem" | sed 's/^/# xrig: /' | tee -a "$d/output.log"
	fi
	echo "$rc" >"$d/rc"
	sync
	echo "xrig: done $name"
	if grep -qE -f "$OUT/splats" "$d/dmesg.log"; then
		echo "xrig: the kernel logged a splat during $name: the rest of the batch needs a fresh guest"
		break
	fi
	if [ -n "$problem" ]; then
		echo "xrig: the guest could not be put back after $name: the rest of the batch needs a fresh guest"
		break
	fi
done <"$BATCH"
sync
