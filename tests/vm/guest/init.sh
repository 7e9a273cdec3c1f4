#!/bin/busybox sh
# /init of the rig's initramfs: mount the host's root (read-only) and the
# results share over virtio-9p, chroot into the host and run the scenario.
/bin/busybox --install -s /bin
export PATH=/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

for w in $(cat /proc/cmdline); do
	case "$w" in
	xrig_out=*) OUT=${w#xrig_out=} ;;
	xrig_run=*) RUN=${w#xrig_run=} ;;
	xrig_root=*) ROOT=${w#xrig_root=} ;;
	esac
done

fail() {
	echo "xrig: $*" >/dev/console
	echo o >/proc/sysrq-trigger
	sleep 10
}

for m in $(cat /modules/order); do
	insmod "/modules/$m" || fail "insmod $m failed"
done

H=/mnt/host
opts=trans=virtio,version=9p2000.L,msize=262144
# cache=loose: the guest keeps what it read of the host's root in its own
# page cache. Without it every program start reads its binary anew over 9p
# (Deno's 100 MB, ip, python3 at each call): switch_offload on 6.1 took 57 s
# of processor time against 34 s with it (2026-12-05, side by side). The
# host does not change that tree while a guest runs: the rig builds first,
# and what the host writes for a guest (env, batch) is on the results share,
# which stays uncached.
mount -t 9p -o "$opts,ro,cache=loose" host "$H" || fail "cannot mount the host root"
mount -t proc proc "$H/proc"
mount -t sysfs sysfs "$H/sys"
mount -t devtmpfs devtmpfs "$H/dev"
# What udev would add: process substitution in bash needs /dev/fd.
ln -sf /proc/self/fd "$H/dev/fd"
ln -sf /proc/self/fd/0 "$H/dev/stdin"
ln -sf /proc/self/fd/1 "$H/dev/stdout"
ln -sf /proc/self/fd/2 "$H/dev/stderr"
mkdir -p "$H/dev/pts"
mount -t devpts devpts "$H/dev/pts" 2>/dev/null
mount -t debugfs debugfs "$H/sys/kernel/debug" 2>/dev/null
# Writable scratch space where programs expect it. A project under one of
# those (a CI clone in /tmp) is kept visible: bound aside first, then back
# onto an empty directory in the tmpfs.
mount -o bind "$H$ROOT" /mnt/host2 || fail "cannot bind $ROOT"
for d in tmp run root var/tmp; do
	mount -t tmpfs tmpfs "$H/$d"
done
if [ ! -d "$H$ROOT/tests/vm" ]; then
	mkdir -p "$H$ROOT"
	mount -o bind /mnt/host2 "$H$ROOT" || fail "cannot show $ROOT in the guest"
fi
# The results share lands on the host path it comes from, so paths are the
# same inside and outside the guest.
mount -t 9p -o "$opts" out "$H$OUT" || fail "cannot mount the results share"

chroot "$H" /bin/bash "$ROOT/tests/vm/guest/runner.sh" "$ROOT" "$OUT" "$RUN" \
	</dev/console >/dev/console 2>&1

sync
umount "$H$OUT" 2>/dev/null
echo o >/proc/sysrq-trigger
sleep 10
