#!/usr/bin/env bash
# build-kmod.sh KREL: builds kernel/ (and the rig's test fixtures) with W=1
# against the headers of KREL into build/kernel/KREL (or $XETH_KMOD_OUT;
# XETH_KMOD_CLEAN=1 starts from an empty directory; XETH_KMOD_SRC builds
# another source tree; XETH_KMOD_KDIR another kernel tree). Any compiler warning fails.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KREL=$1
# XETH_KMOD_KDIR: a kernel build tree instead of Debian's headers (the
# debug kernels, scripts/build-debug-kernel.sh)
KDIR=${XETH_KMOD_KDIR:-/usr/src/linux-headers-$KREL}
[ -d "$KDIR" ] || [ ! -d "/lib/modules/$KREL/build" ] || KDIR=/lib/modules/$KREL/build
OUT=${XETH_KMOD_OUT:-$ROOT/build/kernel/$KREL}
[ -z "${XETH_KMOD_CLEAN:-}" ] || rm -rf "$OUT"
[ -d "$KDIR" ] || { echo "no headers for $KREL in $KDIR" >&2; exit 1; }

build() { # build SRC DST
	local src=$1 dst=$2 log
	mkdir -p "$dst"
	# Only sources are copied: build products stay in dst between runs.
	(cd "$src" && find . -path ./iproute2 -prune -o -type f \( -name '*.c' -o -name '*.h' -o -name Kbuild \) \
		-exec cp -pu --parents {} "$dst" \;)
	log=$(make -C "$KDIR" M="$dst" W=1 modules 2>&1) || { echo "$log"; return 1; }
	echo "$log"
	if grep -E 'warning:|error:' <<<"$log" >/dev/null; then
		echo "build-kmod: $src has warnings against $KREL (W=1 must be clean)" >&2
		return 1
	fi
}

build "${XETH_KMOD_SRC:-$ROOT/kernel}" "$OUT"
[ -z "${XETH_KMOD_SRC:-}" ] || exit 0
for f in "$ROOT"/tests/vm/fixtures/*/Kbuild; do
	[ -e "$f" ] || continue
	d=$(dirname "$f")
	build "$d" "$OUT/fixtures/$(basename "$d")"
done
