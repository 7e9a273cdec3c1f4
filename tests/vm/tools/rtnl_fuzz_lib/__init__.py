"""The rtnl fuzzer's parts (tests/vm/tools/rtnl_fuzz.py is its entry point).

The run:
    fuzzer.py       Fuzzer: plans batches of operations on a copy of the
                    model, runs them, applies the kernel's answers to the
                    model, checks at intervals, tears down
    report.py       the checks and counts of the report, from a Fuzzer
The operations (each g_* returns an Op for the model, or None):
    op.py           Op: one operation and what it does to the model
    generators.py   Generators: the weights of the g_* and their helpers,
                    mixing in the ops_*.py families:
    ops_add.py      ip link add of every kind (and veth pairs)
    ops_link.py     ip link del and set: up/down, mtu, master, namespace,
                    name, address, type (changelink)
    ops_l3.py       addresses, routes, neighbours and nexthops on proxies
    ops_netns.py    namespaces made and deleted
    ops_ethtool.py  the ioctls ethtool makes
    ops_raw.py      hand-made RTM_NEWLINK requests no ip would send
    ops_module.py   the mux's sysfs names, module parameters, rmmod, insmod
The model and the checks against the kernel:
    world.py        Dev, World: the devices the kernel should hold
    reconcile.py    Reconciler: the kernel's devices against the model
    checkpoint.py   Checkpoints: the side-band clients paused, each mux's
                    counters
    dump_check.py   DumpChecks: a mux's side-band dump against rtnl
    kernel_log.py   KernelLog: splats in /dev/kmsg
The kernel's interfaces:
    netlink.py      rtnetlink requests and dumps (links, addresses)
    ethtool.py      the ethtool ioctls
    ipbatch.py      long-lived `ip -batch` processes
    sideband.py     the side-band clients' threads (a daemon, a fuzzer)
    netns.py        namespaces entered per thread
    kmod.py         the module's syscalls and /sys/module files
    libc.py         libc's syscalls through ctypes, errno names
    kinds.py        the device kinds' names
    timescale.py    the rig's time scale
"""
import os
import sys

# sbclient.py (the decoder of what the kernel sends) and sbfuzz.py (fuzzed
# daemon messages) are plain modules beside this package, in
# tests/vm/tools: importable by name from any of its modules, however the
# package was reached
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
