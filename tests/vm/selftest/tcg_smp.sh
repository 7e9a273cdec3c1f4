#!/bin/bash
# The rig itself: a guest with two vCPUs survives kernel text patching.
# Flipping sched_schedstats patches the scheduler's static-key sites while
# the other vCPU runs them (two pipelines keep both busy switching tasks).
# Under multi-threaded TCG this oopses on a stale int3 within seconds;
# the rig runs TCG single-threaded so that it does not (tests/vm/qemu.ts).
# No xeth module is involved. A rig self-test (tests/vm/rig_test.ts runs it
# on both kernels), not a feature scenario.
. "$(dirname "$0")/../lib.sh"

check_eq "the guest has two vCPUs" 2 "$(nproc)"
yes | cat >/dev/null &
yes | cat >/dev/null &
# 10 s (a full run: 30 s) and 200 flips at least; a slow machine gets
# longer for them. Multi-threaded TCG failed within seconds.
end=$((SECONDS + $(sized 10 30))) limit=$((SECONDS + $(scaled 120)))
n=0
while [ $SECONDS -lt $end ] || [ $n -lt 200 -a $SECONDS -lt $limit ]; do
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		echo 1 >/proc/sys/kernel/sched_schedstats
		echo 0 >/proc/sys/kernel/sched_schedstats
	done
	n=$((n + 20))
	dmesg | grep -q "Oops" && break
done
kill %1 %2
check "static keys flipped while both vCPUs ran ($n flips)" [ "$n" -ge 200 ]
check_eq "and the kernel logged no oops" "" "$(dmesg | grep -E 'Oops|BUG:' | head -3)"
finish
