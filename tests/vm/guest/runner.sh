#!/bin/bash
# Runs one scenario inside the guest's chroot of the host root and leaves
# its output, exit code and the guest's dmesg in the results share.
ROOT=$1 OUT=$2 RUN=$3
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root XETH_ROOT=$ROOT XETH_OUT=$OUT
export DENO_DIR=$ROOT/.tools/deno-dir DENO_NO_UPDATE_CHECK=1
PATH=$ROOT/.tools/bin:$PATH
cd "$ROOT" || exit 1
# settings the rig passes on (XETH_BENCH_*, XETH_VM_*)
[ -f "$OUT/env" ] && . "$OUT/env"
ip link set lo up

echo "xrig: running $RUN on $(uname -r)"
bash "$RUN" 2>&1 | tee "$OUT/output.log"
rc=${PIPESTATUS[0]}
dmesg >"$OUT/dmesg.log"
echo "$rc" >"$OUT/rc"
sync
