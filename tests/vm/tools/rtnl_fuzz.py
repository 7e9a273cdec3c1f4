#!/usr/bin/env python3
"""rtnl fuzzer for the xeth module (tests/vm/scenarios/rtnl_fuzz.sh).

    rtnl_fuzz.py --seed N --ops N --ko PATH [--report FILE] [--log FILE]
                 [--check-every N]

One long-lived process issues random operations in batches: ip link
add/set/del of every xeth kind with random options, valid and invalid
(through long-lived `ip -force -batch -` processes, one per namespace,
so that no process starts per operation); master/nomaster; up/down; mtu;
renames; moves between namespaces and deletion of namespaces that hold
our devices; addresses, routes, nexthops and neighbours on proxies;
ethtool -K/-s/-S and friends (the ioctls ethtool makes); hand-made
RTM_NEWLINK requests with malformed attributes; module parameters and
the mux's sysfs names; rmmod and insmod, rmmod also racing a batch of
ip link commands. Meanwhile a side-band daemon
connects to random muxes, dumps, follows live events and goes (decoding
with sbclient.py), and a second client injects fuzzed messages
(sbfuzz.py).

The sequence is a function of the seed and of the kernel's answers: the
generator plans each batch on a copy of its model of the devices, and
the model follows what the kernel accepted. A replay with the same seed
makes the same operations as long as the kernel answers the same; the
report's digest of the operations shows whether it did. (The side-band
clients run on their own clocks: they change carrier and counters; the
few answers that hang on carrier, a nexthop object's, do not steer the
sequence.)

The checks, at intervals (--check-every) and at the end, are listed in
rtnl_fuzz_lib/report.py; the parts of the fuzzer in
rtnl_fuzz_lib/__init__.py.

Progress lines ("# ...") go to stdout; the report (checks, counts) is a
JSON object in --report.
"""
import argparse
import json
import os
import sys

from rtnl_fuzz_lib.fuzzer import Fuzzer  # this file's directory is on sys.path
from rtnl_fuzz_lib.report import report


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--ops", type=int, required=True)
    p.add_argument("--ko", required=True)
    p.add_argument("--report", default="/tmp/rtnl_fuzz.json")
    p.add_argument("--log", default="/tmp/rtnl_fuzz.log")
    p.add_argument("--check-every", type=int, default=500)
    a = p.parse_args()
    fz = Fuzzer(a)
    fz.run()
    r = report(fz)
    with open(a.report, "w") as f:
        json.dump(r, f)
    kinds = ", ".join(f"{k} {v['ops']}/{v['ops'] - v.get('ok', 0)}" for k, v in r["by_kind"].items())
    print(f"# rtnl_fuzz: seed {a.seed}: {r['ops']} operations in {r['seconds']} s ({r['ops_per_s']}/s), "
          f"digest {r['digest']}; {r['refused']} refused: {r['with_message']} with an extack message, "
          f"{r['without_message']} without, {r['before_kernel']} by ip before the kernel, "
          f"{r['other_refusals']} ioctl/sysfs/module errors", flush=True)
    phases = ", ".join(f"{k} {v} s" for k, v in r["phases"].items())
    print(f"# rtnl_fuzz: where the time went: {phases}", flush=True)
    slowest = ", ".join(f"{k} {v} s" for k, v in r["slowest_kinds"].items())
    print(f"# rtnl_fuzz: the operations that took the most of it, by kind: {slowest}", flush=True)
    print(f"# rtnl_fuzz: by kind (operations/refused): {kinds}", flush=True)
    # the daemon threads may be stuck in a syscall: do not wait for them
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
