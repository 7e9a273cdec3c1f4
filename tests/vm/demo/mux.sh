#!/bin/bash
# The demo's guest side: load the module, create a link-less mux, show it.
. "$(dirname "$0")/../lib.sh"

say() { printf '\n== %s\n' "$*"; }

say "kernel $(uname -r): loading $XETH_KO"
check "insmod xeth.ko" load_xeth
say "ip link add xeth-mux type xeth-mux; ip link set xeth-mux up"
check "create the mux" ip link add xeth-mux type xeth-mux
check "bring it up" ip link set xeth-mux up
say "ip -d link show xeth-mux"
ip -d link show xeth-mux
say "SWITCHD (deno task switchd --version) in this guest"
check "SWITCHD loads its data plane here" deno run --allow-ffi --allow-env --allow-read main.ts --version
say "clean up: ip link del xeth-mux; rmmod xeth"
check "delete the mux" ip link del xeth-mux
check "unload the module" rmmod xeth
finish
