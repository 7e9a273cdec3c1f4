#!/usr/bin/env bash
# build-debug-kernel.sh SERIES: a debug kernel for the VM rig (SERIES 6.1 or
# 6.12), built from Debian's own source package (linux-source-SERIES) with
# the config of Debian's kernel of that series plus memory-safety and
# locking checks: KASAN (generic), lockdep (PROVE_LOCKING, PROVE_RCU),
# DEBUG_ATOMIC_SLEEP, DEBUG_OBJECTS for work and timers, KMEMLEAK (scanned
# by the rig after each scenario), the netdev and netns reference trackers,
# DEBUG_NET and list debugging.
#
# Only the modules the guests load are built (localmodconfig against the
# list below), and no debug info (kallsyms names every frame of a report):
# that is what makes the build fit a small machine.
#
# The result is cached outside the clone, keyed by the source version and
# a hash of the base config, the module list and the options:
#   $XETH_DEBUG_KERNELS (default /var/cache/xeth-debug-kernels)/SERIES-KEY/
#     vmlinuz, kernel.json (release, paths), tree/ (the build tree, for
#     out-of-tree modules), modules/lib/modules/RELEASE
# and /lib/modules/RELEASE links to its modules, so that the guests (which
# run in the host's tree) find them. Then xeth.ko is built against it into
# build/kernel/RELEASE (scripts/build-kmod.sh). A second run finds the
# cache and only rebuilds xeth.ko. A changed module list or option set
# starts from a copy of the last build of the same source, so that kbuild
# rebuilds only what the change touches (xeth_debug_seed in kernels.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERIES=${1:?usage: build-debug-kernel.sh 6.1|6.12}
case "$SERIES" in
6.1 | 6.12) ;;
*)
	echo "build-debug-kernel: no debug kernel for \"$SERIES\": use 6.1 or 6.12" >&2
	exit 2
	;;
esac
. "$ROOT/scripts/kernels.sh"
CACHE=$XETH_DEBUG_CACHE
JOBS=${XETH_JOBS:-$(nproc)}
say() { echo "debug-kernel $SERIES: $*"; }

# What the guests load (the scenarios modprobe them: a guest's kernel
# cannot load a module by itself) and what 9p, the NICs and the rig's
# devices need. localmodconfig keeps these and what they depend on.
MODULES="virtio_pci 9pnet_virtio 9p virtio_net veth bridge 8021q bonding vrf
dummy macvlan ip_gre wireguard sch_ingress cls_basic em_meta act_gact
vfio vfio_pci vfio_iommu_type1 i2c_piix4 mpls_router mpls_iptunnel mpls_gso
tun uio uio_pci_generic"

# The checks, on top of Debian's config.
DEBUG_ON="KASAN KASAN_GENERIC KASAN_OUTLINE KASAN_VMALLOC PROVE_LOCKING
PROVE_RCU DEBUG_ATOMIC_SLEEP DEBUG_OBJECTS DEBUG_OBJECTS_WORK
DEBUG_OBJECTS_TIMERS DEBUG_KMEMLEAK REF_TRACKER NET_DEV_REFCNT_TRACKER
NET_NS_REFCNT_TRACKER DEBUG_NET DEBUG_LIST DEBUG_INFO_NONE
MODULE_COMPRESS_NONE"
# Off: debug info and BTF (build time, size); module signing (Debian's key
# is not here); the background kmemleak scan (the rig scans after each
# scenario, and a scan costs a lot under TCG).
DEBUG_OFF="DEBUG_INFO DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT DEBUG_INFO_BTF
DEBUG_INFO_BTF_MODULES MODULE_SIG MODULE_SIG_ALL DEBUG_KMEMLEAK_AUTO_SCAN
DEBUG_KMEMLEAK_DEFAULT_OFF KASAN_INLINE"

# what a kernel build needs beyond the module builds' toolchain
need=""
for tool in flex bison bc pahole; do command -v "$tool" >/dev/null || need=1; done
[ -e /usr/include/libelf.h ] && [ -e /usr/include/openssl/ssl.h ] || need=1
if [ -n "$need" ]; then
	say "installing the kernel build's tools (flex bison bc dwarves libelf-dev libssl-dev)"
	apt-get install -y flex bison bc dwarves libelf-dev libssl-dev >/dev/null
fi

tarball=/usr/src/linux-source-$SERIES.tar.xz
if [ ! -f "$tarball" ]; then
	say "installing linux-source-$SERIES (Debian's source of the series)"
	apt-get install -y "linux-source-$SERIES" >/dev/null
fi
srcver=$(dpkg-query -W -f '${Version}' "linux-source-$SERIES")
base=$(find /boot -maxdepth 1 -name "config-$SERIES.*-amd64" | sort -V | tail -n 1)
[ -n "$base" ] || {
	echo "build-debug-kernel: no Debian $SERIES kernel config in /boot: run ./run build first" >&2
	exit 1
}
key=$({
	cat "$base"
	echo "$srcver $MODULES $DEBUG_ON $DEBUG_OFF"
} | sha256sum | cut -c1-12)
dir=$CACHE/$SERIES-$key

# a changed module list or option set starts from the last build's tree
seed=$(xeth_debug_seed "$SERIES" "$srcver" "$dir")

configure() { # the tree of $dir, unpacked (or copied) and configured
	rm -rf "$dir"
	mkdir -p "$dir"
	if [ -n "$seed" ]; then
		say "copying the tree of $seed (same source $srcver) into $dir"
		cp -a "$seed/tree" "$dir/tree"
		xeth_tree_moved "$seed/tree" "$dir/tree"
	else
		say "unpacking Debian's source $srcver into $dir"
		tar -xJf "$tarball" -C "$dir"
		mv "$dir/linux-source-$SERIES" "$dir/tree"
	fi
	cd "$dir/tree"
	cp "$base" .config
	# Debian's config names its signing certificates, which the source
	# package does not carry
	scripts/config --set-str SYSTEM_TRUSTED_KEYS "" --set-str SYSTEM_REVOCATION_KEYS "" \
		--set-str LOCALVERSION "-xeth-debug" --disable LOCALVERSION_AUTO
	for m in $MODULES; do printf '%s 16384 0 - Live 0x0\n' "$m"; done >"$dir/lsmod"
	make -s olddefconfig
	make -s LSMOD="$dir/lsmod" localmodconfig </dev/null >/dev/null 2>&1
	for o in $DEBUG_ON; do scripts/config --enable "$o"; done
	for o in $DEBUG_OFF; do scripts/config --disable "$o"; done
	make -s olddefconfig
	for o in $DEBUG_ON; do
		grep -q "^CONFIG_$o=y" .config || say "note: CONFIG_$o is not set in this series"
	done
	: >"$dir/configured"
}

if [ ! -f "$dir/kernel.json" ]; then
	t0=$SECONDS
	# an interrupted build goes on where it stopped
	if [ -f "$dir/configured" ]; then
		say "going on with the build in $dir"
	else
		configure
	fi
	cd "$dir/tree"
	say "building with $JOBS jobs (the first build of a series takes long: see README)"
	make -s -j"$JOBS" bzImage modules
	release=$(make -s kernelrelease)
	make -s INSTALL_MOD_PATH="$dir/modules" modules_install
	rm -f "$dir/modules/lib/modules/$release/build" "$dir/modules/lib/modules/$release/source"
	ln -s "$dir/tree" "$dir/modules/lib/modules/$release/build"
	cp arch/x86/boot/bzImage "$dir/vmlinuz"
	printf '{"series": "%s", "release": "%s", "source": "%s", "seconds": %d}\n' \
		"$SERIES" "$release" "$srcver" $((SECONDS - t0)) >"$dir/kernel.json"
	say "built $release in $((SECONDS - t0)) s"
fi
release=$(xeth_debug_release "$dir/kernel.json")
ln -sfn "$dir/modules/lib/modules/$release" "/lib/modules/$release"
# the newest build of the series, for the rig
ln -sfn "$dir" "$CACHE/$SERIES"
XETH_KMOD_KDIR=$dir/tree bash "$ROOT/scripts/build-kmod.sh" "$release" >/dev/null
say "$release is ready: deno task vm --kernel $SERIES-debug ..."
