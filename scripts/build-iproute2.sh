#!/usr/bin/env bash
# build-iproute2.sh [--check]: builds the xeth link plugins for ip(8)
# (kernel/iproute2) into build/iproute2/link_<kind>.so, the directory that
# tests and VM scenarios give ip as IP_LIB_DIR. Plugins that are up to date
# are not rebuilt; any compiler or linker warning fails the build.
# --check only tells, by the exit status, whether everything is up to date.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
make=(make --no-print-directory -C "$ROOT/kernel/iproute2" O="$ROOT/build/iproute2")

if [ "${1:-}" = --check ]; then
	exec "${make[@]}" -q
fi
"${make[@]}"
