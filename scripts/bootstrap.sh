#!/usr/bin/env bash
# Installs what a fresh Debian bookworm machine lacks and builds every part.
# Idempotent: when everything is in place it prints one line.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/kernels.sh
. "$ROOT/scripts/kernels.sh"

DENO_VERSION=2.9.6
TOOLS="$ROOT/.tools"
BUILD="$ROOT/build"
LOG="$BUILD/bootstrap.log"
mkdir -p "$BUILD"
: >"$LOG"

did_work=0
t_all=$(date +%s.%N)

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1fs", b - a }'; }

# step NAME CHECK_FN DO_FN: runs DO_FN when CHECK_FN fails; one line per step that worked.
step() {
	local name=$1 check=$2 do=$3 t
	if "$check" >>"$LOG" 2>&1; then
		return 0
	fi
	t=$(date +%s.%N)
	printf 'bootstrap: %-28s ' "$name"
	if ! "$do" >>"$LOG" 2>&1; then
		echo "FAILED after $(elapsed "$t")"
		echo "bootstrap: last lines of $LOG:" >&2
		tail -n 25 "$LOG" >&2
		exit 1
	fi
	echo "done in $(elapsed "$t")"
	did_work=1
}

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "bootstrap: need root to run: $*" >&2
		return 1
	fi
}

# dpkg-dev, lintian: the Debian packages (scripts/package.ts); debootstrap,
# qemu-utils: their test's system (tests/package/).
APT_PKGS="qemu-system-x86 busybox-static iproute2 ethtool iputils-ping traceroute tcpdump wireguard-tools jq python3 strace kmod xz-utils make gcc libc6-dev linux-source-6.1 acpica-tools dpkg-dev lintian debootstrap qemu-utils $XETH_K61_PKGS"

pkgs_missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
	done
}

check_apt() { [ -z "$(pkgs_missing $APT_PKGS $XETH_K612_PKGS)" ]; }

# bookworm-backports gets its own sources file, with the URI of the
# machine's own Debian mirror (never a host name of ours).
add_backports() {
	local f=/etc/apt/sources.list.d/xeth-backports.sources uri
	[ -e "$f" ] && return 0
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
	if [ -z "$uri" ]; then
		uri=$(awk '/^deb .*bookworm/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
	fi
	[ -n "$uri" ] || { echo "no Debian mirror found in /etc/apt/sources.list*"; return 1; }
	printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$uri" | as_root tee "$f"
}

do_apt() {
	add_backports
	as_root apt-get update -q
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $APT_PKGS
	# shellcheck disable=SC2086
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-t bookworm-backports $XETH_K612_PKGS
}

DENO="$TOOLS/bin/deno"
check_deno() { [ -x "$DENO" ] && "$DENO" --version | grep -q "^deno $DENO_VERSION "; }
do_deno() {
	command -v npm >/dev/null || { echo "npm is required to install Deno"; return 1; }
	rm -rf "$TOOLS/npm"
	npm install --prefix "$TOOLS/npm" --no-audit --no-fund --ignore-scripts "deno@$DENO_VERSION"
	mkdir -p "$TOOLS/bin"
	ln -sf ../npm/node_modules/@deno/linux-x64-glibc/deno "$DENO"
	check_deno
}

# Deno's npm packages, cached inside the project so that VM guests (which
# see the host root read-only) find them.
export DENO_DIR="$TOOLS/deno-dir"
check_deno_cache() { [ -f "$TOOLS/.deno-cache-stamp" ] && [ "$TOOLS/.deno-cache-stamp" -nt "$ROOT/deno.lock" ]; }
do_deno_cache() {
	(cd "$ROOT" && "$DENO" install --frozen)
	touch "$TOOLS/.deno-cache-stamp"
}

CARGO_MANIFEST="$ROOT/dataplane/Cargo.toml"
DP_LIB="$ROOT/dataplane/target/release/libxeth_dataplane.so"
newer_sources() { # newer_sources TARGET DIR...: true when a source is newer than TARGET
	local target=$1
	shift
	[ ! -e "$target" ] || [ -n "$(find "$@" -newer "$target" -type f -print -quit 2>/dev/null)" ]
}
# dataplane/Cargo.toml's rust-version; Debian bookworm's cargo (1.63) is
# too old for vfio-ioctls and its dependencies.
RUST_MIN=1.85
rust_too_old() { # rust_too_old: true (and says what to do) when cargo is missing or older than RUST_MIN
	local v
	v=$(cargo --version 2>/dev/null | awk '{print $2}')
	if [ -z "$v" ] || [ "$(printf '%s\n%s\n' "$RUST_MIN" "$v" | sort -V | head -n1)" != "$RUST_MIN" ]; then
		echo "bootstrap: the dataplane needs Rust >= $RUST_MIN (found: ${v:-no cargo});" \
			"install it with rustup: curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal" \
			"--component clippy,rustfmt, then put ~/.cargo/bin on PATH" >&2
		return 0
	fi
	return 1
}
check_dataplane() {
	if rust_too_old; then exit 1; fi
	! newer_sources "$DP_LIB" "$ROOT/dataplane/src" "$CARGO_MANIFEST" "$ROOT/dataplane/Cargo.lock"
}
do_dataplane() { cargo build --release --locked --manifest-path "$CARGO_MANIFEST"; }

# The module is built out of tree once per kernel, each in its own copy of
# the sources so that objects of one kernel never leak into another's build.
kmod_dir() { echo "$BUILD/kernel/$1"; }
check_kmod() {
	! newer_sources "$(kmod_dir "$KREL")/xeth.ko" "$ROOT/kernel"/*.[ch] "$ROOT/kernel/Kbuild" \
		"$ROOT/kernel/include" "$ROOT/tests/vm/fixtures"
}
# make leaves xeth.ko alone when only a fixture changed: the touch keeps
# check_kmod from building again on every run
do_kmod() { bash "$ROOT/scripts/build-kmod.sh" "$KREL" && touch "$(kmod_dir "$KREL")/xeth.ko"; }

step "apt packages" check_apt do_apt

# FRR, for the VM scenarios and benchmarks that run a routing daemon in
# guests. Installing it must not start it here (its service would run
# zebra in this machine's own namespace): a policy-rc.d refuses the start
# while apt runs, and the service is left disabled.
check_frr() { [ -z "$(pkgs_missing frr)" ]; }
do_frr() {
	local policy=/usr/sbin/policy-rc.d ours=0 rc=0
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\n# xeth bootstrap: no service starts while it installs frr\nexit 101\n' |
			as_root tee "$policy" >/dev/null && as_root chmod 755 "$policy" && ours=1
	fi
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends frr || rc=$?
	[ $ours = 1 ] && as_root rm -f "$policy"
	if command -v systemctl >/dev/null; then
		as_root systemctl disable frr.service || true
		as_root systemctl stop frr.service 2>/dev/null || true
	fi
	return $rc
}
step "frr (service left off)" check_frr do_frr
step "deno $DENO_VERSION" check_deno do_deno
step "deno npm cache" check_deno_cache do_deno_cache
step "dataplane (cargo --release)" check_dataplane do_dataplane
for alias in 6.1 6.12; do
	KREL=$(xeth_kernel_release "$alias") || { echo "bootstrap: kernel $alias headers missing" >&2; exit 1; }
	step "xeth.ko for $KREL" check_kmod do_kmod
done
# The debug kernels found in their cache (scripts/build-debug-kernel.sh):
# their xeth.ko is rebuilt like the others when the sources change, so
# that `--kernel 6.1-debug` never tests an older module.
for alias in 6.1 6.12; do
	info=$XETH_DEBUG_CACHE/$alias/kernel.json
	[ -f "$info" ] || continue
	KREL=$(xeth_debug_release "$info")
	if [ -z "$KREL" ] || [ ! -d "/lib/modules/$KREL/build" ]; then continue; fi
	step "xeth.ko for $KREL (debug kernel)" check_kmod do_kmod
done

# ACPI tables of the VM scenarios (tests/vm/acpi/NAME.asl -> build/acpi/NAME.aml,
# which settings.json names in a scenario's acpiTables)
ACPI_SRC="$ROOT/tests/vm/acpi"
ACPI_OUT="$BUILD/acpi"
check_acpi() {
	local f
	for f in "$ACPI_SRC"/*.asl; do
		[ -e "$f" ] || continue
		[ "$ACPI_OUT/$(basename "$f" .asl).aml" -nt "$f" ] || return 1
	done
}
do_acpi() {
	local f
	mkdir -p "$ACPI_OUT"
	for f in "$ACPI_SRC"/*.asl; do
		[ -e "$f" ] || continue
		iasl -vs -p "$ACPI_OUT/$(basename "$f" .asl)" "$f" || return 1
	done
}
step "ACPI tables (iasl)" check_acpi do_acpi

# checkpatch.pl, the kernel style reference, from Debian's kernel source
CHECKPATCH_DIR="$TOOLS/checkpatch"
check_checkpatch() { [ -f "$CHECKPATCH_DIR/checkpatch.pl" ]; }
do_checkpatch() {
	local tmp
	tmp=$(mktemp -d)
	tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$tmp" \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch
	rm -rf "$CHECKPATCH_DIR"
	mv "$tmp/linux-source-6.1/scripts" "$CHECKPATCH_DIR"
	rm -rf "$tmp"
}
step "checkpatch.pl (linux-source-6.1)" check_checkpatch do_checkpatch

# iproute2 link plugins (ip's own parser loads them: IP_LIB_DIR)
check_iproute2() { bash "$ROOT/scripts/build-iproute2.sh" --check; }
do_iproute2() { bash "$ROOT/scripts/build-iproute2.sh"; }
step "ip link plugins" check_iproute2 do_iproute2

if [ "$did_work" = 0 ]; then
	echo "bootstrap: up to date ($(elapsed "$t_all"))"
fi
