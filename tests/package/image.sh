#!/usr/bin/env bash
# image.sh: the Debian bookworm system the package test boots, made with
# debootstrap from the machine's Debian mirror and cached outside the clone,
# so that later runs (and other clones on this machine) reuse it.
#
#   bash tests/package/image.sh [ALIAS...]    prints the image's directory
#
# ALIAS: the kernels the image holds with their headers, 6.1 and/or 6.12
# (default: both). The quick package test boots an image with 6.1 alone, so
# that DKMS builds once; --full boots one with both.
#
# The directory, $XETH_PKGTEST_CACHE/<key> (default cache:
# /var/cache/xeth-switchd-pkgtest), holds:
#   rootfs.img              ext4 root file system (raw; runs boot qcow2
#                           overlays of it and never write it)
#   vmlinuz-REL initrd.img-REL   each kernel's boot files, from the image
#   kernels                 "ALIAS RELEASE" lines, one per ALIAS
# The key is a hash of this script, scripts/kernels.sh and the aliases:
# change any and the next run builds a new image. Images unused for 14 days are removed.
#
# The system: systemd as init, apt, iproute2, dkms with gcc and make, the
# project's kernels with their headers (6.1 from bookworm, 6.12 from
# bookworm-backports, scripts/kernels.sh), and xeth-pkgtest.service, which
# runs the test's stage script from the 9p share "pkgtest" and powers off.
# Needs root (debootstrap, chroot).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/kernels.sh
. "$ROOT/scripts/kernels.sh"

ALIASES=("$@")
[ ${#ALIASES[@]} -gt 0 ] || ALIASES=(6.1 6.12)
for a in "${ALIASES[@]}"; do
	case $a in 6.1 | 6.12) ;; *)
		echo "image: unknown kernel alias $a (6.1, 6.12)" >&2
		exit 2
		;;
	esac
done

CACHE=${XETH_PKGTEST_CACHE:-/var/cache/xeth-switchd-pkgtest}
SUITE=bookworm
# Pulled in by debootstrap (minbase) before the rest: init and the tools
# the test's stages use.
BASE="systemd-sysv,udev,kmod,iproute2,procps,jq"
# Installed with apt in the chroot: what xeth-dkms needs to build for both
# kernels, so that installing the packages in the guest needs no network.
PKGS="dkms gcc make libc6-dev initramfs-tools"
BACKPORTS_PKGS=
for a in "${ALIASES[@]}"; do
	case $a in
	6.1) PKGS="$PKGS $XETH_K61_PKGS" ;;
	6.12) BACKPORTS_PKGS=$XETH_K612_PKGS ;;
	esac
done

say() { echo "image: $*" >&2; }
t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0))s"; }

key=$({ cat "$0" "$ROOT/scripts/kernels.sh"; echo "${ALIASES[*]}"; } | sha256sum | cut -c1-16)
DIR=$CACHE/$SUITE-$(IFS=-; echo "${ALIASES[*]}")-$key
mkdir -p "$CACHE"
# One builder at a time on this machine; the others wait and reuse.
exec 9>"$CACHE/.lock"
flock 9

# Old images go when unused for two weeks.
find "$CACHE" -mindepth 2 -maxdepth 2 -name last-used -mtime +14 -printf '%h\n' |
	while read -r old; do
		[ "$old" = "$DIR" ] || rm -rf "$old"
	done

if [ -f "$DIR/kernels" ]; then
	touch "$DIR/last-used"
	echo "$DIR"
	exit 0
fi

# The machine's own Debian mirror (as bootstrap.sh finds it); the chroot
# gets the host's apt sources, so it sees the same kernels the host has.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '/^deb .*bookworm/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { say "no Debian mirror in /etc/apt/sources.list*"; exit 1; }
[ -e /etc/apt/sources.list.d/xeth-backports.sources ] ||
	{ say "no bookworm-backports source: run ./run build first"; exit 1; }

# rm -rf of a tree with the host's /dev or /sys bound into it would empty
# them: refuse while anything below is mounted, and never cross devices.
remove_tree() {
	if awk -v p="$1/" 'index($5 "/", p) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
		say "$1 still has mounts below it; not removing it"
		return 1
	fi
	rm -rf --one-file-system "$1"
}

WORK=$DIR.tmp
R=$WORK/root
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount -R "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" 2>/dev/null || true
	done
	mounted=()
}
trap cleanup EXIT
for m in proc sys dev; do # a build that was killed may have left these
	umount -R "$R/$m" 2>/dev/null || true
done
remove_tree "$WORK"
remove_tree "$DIR"
mkdir -p "$WORK"

say "debootstrap $SUITE from $mirror (minbase + $BASE)"
debootstrap --variant=minbase --include="$BASE" "$SUITE" "$R" "$mirror" >"$WORK/debootstrap.log" 2>&1 ||
	{ tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
say "debootstrap done ($(elapsed))"

rm -f "$R/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list.d/xeth-backports.sources; do
	[ -e "$f" ] && cp "$f" "$R$f"
done
for m in proc sys dev; do
	mount --rbind "/$m" "$R/$m"
	mounted+=("$R/$m")
done
# No service starts in the chroot; dpkg need not sync every file here.
printf '#!/bin/sh\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
echo force-unsafe-io >"$R/etc/dpkg/dpkg.cfg.d/xeth-pkgtest-unsafe-io"
# Drivers a VM never loads stay out of the kernels (dpkg's path-exclude,
# as minimal Debian images do): each DKMS install runs depmod over every
# module of its kernel, and under TCG that costs minutes. Documentation
# goes too.
{
	for d in drivers/media sound drivers/iio drivers/comedi drivers/net/wireless net/wireless \
		net/mac80211 drivers/gpu drivers/infiniband net/bluetooth drivers/bluetooth \
		drivers/staging drivers/hwmon drivers/isdn drivers/input drivers/hid drivers/usb \
		drivers/mtd drivers/nfc net/nfc drivers/scsi drivers/ata drivers/target \
		drivers/net/ethernet drivers/net/usb drivers/net/can drivers/net/arcnet drivers/net/wan \
		drivers/net/hamradio drivers/net/ieee802154 drivers/net/phy net/6lowpan net/ieee802154 \
		drivers/platform drivers/watchdog drivers/misc drivers/video drivers/leds drivers/w1 \
		drivers/edac drivers/mmc drivers/atm drivers/thermal drivers/power drivers/hwtracing \
		drivers/nvme drivers/memstick drivers/pcmcia drivers/firewire drivers/ptp drivers/rtc \
		drivers/spi drivers/uio drivers/vfio; do
		echo "path-exclude=/lib/modules/*/kernel/$d/*"
	done
	echo "path-exclude=/usr/share/doc/*"
	echo "path-include=/usr/share/doc/*/copyright"
	echo "path-exclude=/usr/share/man/*"
	echo "path-exclude=/usr/share/locale/*"
} >"$R/etc/dpkg/dpkg.cfg.d/xeth-pkgtest-excludes"
# The initramfs needs only what finds and mounts the root disk.
mkdir -p "$R/etc/initramfs-tools/conf.d"
echo MODULES=list >"$R/etc/initramfs-tools/conf.d/xeth-pkgtest"
printf 'virtio_pci\nvirtio_blk\next4\n' >>"$R/etc/initramfs-tools/modules"

in_root() { chroot "$R" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
{
	in_root apt-get update -q
	# shellcheck disable=SC2086
	in_root apt-get install -y -q --no-install-recommends $PKGS
	if [ -n "$BACKPORTS_PKGS" ]; then
		# shellcheck disable=SC2086
		in_root apt-get install -y -q --no-install-recommends -t bookworm-backports $BACKPORTS_PKGS
	fi
} >"$WORK/apt.log" 2>&1 || { tail -n 30 "$WORK/apt.log" >&2; exit 1; }
say "kernels, headers, dkms installed ($(elapsed))"

rm -f "$R/usr/sbin/policy-rc.d" "$R/etc/dpkg/dpkg.cfg.d/xeth-pkgtest-unsafe-io"
in_root apt-get clean
rm -rf "$R"/var/lib/apt/lists/*
cleanup

echo pkgtest >"$R/etc/hostname"
printf '127.0.1.1\tpkgtest\n' >>"$R/etc/hosts"
echo '/dev/vda / ext4 defaults 0 1' >"$R/etc/fstab"
# Nothing the test does not need: no logins, no timers.
for u in serial-getty@ttyS0.service getty@tty1.service getty-static.service apt-daily.timer \
	apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer dpkg-db-backup.timer; do
	ln -sf /dev/null "$R/etc/systemd/system/$u"
done

cat >"$R/usr/local/sbin/xeth-pkgtest" <<'EOF'
#!/bin/sh
# Runs the package test's stage script from the host's 9p share, then
# powers off whatever happened: the host reads the results from the share.
# Output goes to the journal (with times) and the console (the host).
modprobe -a 9pnet_virtio 9p
mkdir -p /mnt/pkgtest
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 pkgtest /mnt/pkgtest; then
	/bin/bash /mnt/pkgtest/stage.sh </dev/null 2>&1
	sync
	umount /mnt/pkgtest
else
	echo "xeth-pkgtest: cannot mount the pkgtest share"
fi
systemctl poweroff --no-block
EOF
chmod 755 "$R/usr/local/sbin/xeth-pkgtest"
cat >"$R/etc/systemd/system/xeth-pkgtest.service" <<'EOF'
[Unit]
Description=xeth package test stage (from the host's pkgtest share)
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/xeth-pkgtest
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
EOF
ln -sf /etc/systemd/system/xeth-pkgtest.service "$R/etc/systemd/system/multi-user.target.wants/"

: >"$WORK/kernels"
for alias in "${ALIASES[@]}"; do
	rel=
	for d in $(ls -1d "$R/usr/src/linux-headers-$alias".*-amd64 2>/dev/null | sort -rV); do
		r=${d#"$R/usr/src/linux-headers-"}
		[ -e "$R/boot/vmlinuz-$r" ] && { rel=$r; break; }
	done
	[ -n "$rel" ] || { say "no $alias kernel with headers in the image"; exit 1; }
	cp "$R/boot/vmlinuz-$rel" "$R/boot/initrd.img-$rel" "$WORK/"
	echo "$alias $rel" >>"$WORK/kernels"
done

# Room for the packages and two DKMS builds; the file is sparse.
size_mb=$(($(du -sm "$R" | cut -f1) + 1536))
mkfs.ext4 -q -L root -d "$R" "$WORK/rootfs.img" "${size_mb}M" >&2
remove_tree "$R"
touch "$WORK/last-used"
mv "$WORK" "$DIR"
say "built $DIR in $(elapsed)"
echo "$DIR"
