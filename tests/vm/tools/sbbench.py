#!/usr/bin/env python3
"""Side-band benchmarks, run in a VM guest by bench/vm/sb_bench.sh.

    sbbench.py latency MUX DEV GW COUNT   route add (netlink) -> FIBENTRY
    sbbench.py bulk MUX COUNT4 COUNT6 BATCH4 BATCH6
        runs "ip -batch" on both files with a connected daemon and reports
        the time until it holds every route

Prints JSON lines with the figures. No pass/fail on speed.
"""
import json
import socket
import statistics
import struct
import subprocess
import sys
import time

RTM_NEWROUTE, RTM_DELROUTE = 24, 25
NLM_F_REQUEST, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL = 1, 4, 0x400, 0x200
RTA_DST, RTA_OIF, RTA_GATEWAY = 1, 4, 5


def attr(kind, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + b"\0" * ((4 - n % 4) % 4)


def route_msg(kind, flags, dst, ifindex, gw, seq):
    # rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type; flags
    body = struct.pack("=BBBBBBBBI", socket.AF_INET, 32, 0, 0, 254, 4, 0, 1, 0)
    body += attr(RTA_DST, socket.inet_aton(dst))
    body += attr(RTA_GATEWAY, socket.inet_aton(gw))
    body += attr(RTA_OIF, struct.pack("=i", ifindex))
    return struct.pack("=IHHII", 16 + len(body), kind, flags, seq, 0) + body


def connect(mux):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("\0" + mux)
    return s


def daemon(mux):
    s = connect(mux)
    for kind in (8, 14):  # DUMP_IFINFO, DUMP_FIBINFO: then live
        s.send(bytes(14) + bytes([2, kind]))
        while True:
            b = s.recv(16384)
            if len(b) == 16 and b[15] == 0:
                break
    return s


def fib_prefix(b):
    """(address, prefix length) of a FIBENTRY, None for other messages."""
    if len(b) >= 40 and b[15] == 15:
        mask = int.from_bytes(b[28:32], "big")
        return socket.inet_ntoa(b[24:28]), bin(mask).count("1"), b[32]
    return None


def latency(mux, dev, gw, count):
    s = daemon(mux)
    nl = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    ifindex = socket.if_nametoindex(dev)
    samples = []
    for i in range(count):
        dst = f"198.51.{i >> 8 & 255}.{i & 255}"
        msg = route_msg(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL,
                        dst, ifindex, gw, i + 1)
        t0 = time.perf_counter()
        nl.send(msg)
        while True:
            p = fib_prefix(s.recv(16384))
            if p and p[0] == dst and p[2] != 3:
                break
        samples.append((time.perf_counter() - t0) * 1e6)
        time.sleep(0.005)  # idle between samples: the latency of a quiet system
    samples.sort()
    print(json.dumps({
        "metric": "idle_latency_us", "samples": count,
        "median": round(statistics.median(samples), 1),
        "p99": round(samples[min(count - 1, int(count * 0.99))], 1),
        "min": round(samples[0], 1), "max": round(samples[-1], 1),
    }))


def route_key(b):
    """The route a FIBENTRY/FIB6ENTRY adds, None for others and deletions."""
    if len(b) >= 40 and b[15] == 15 and b[32] != 3:
        return (4, b[24:28], b[28:32])
    if len(b) >= 80 and b[15] == 16 and b[41] != 3:
        return (6, b[24:40], b[40])
    return None


def bulk(mux, count4, count6, batch4, batch6):
    """Time until a daemon holds every route, following resyncs: when the
    kernel closes the connection (queue bound), reconnect and dump."""
    want = count4 + count6
    mine = (lambda k: (k[0] == 4 and k[1][0] == 10) or
            (k[0] == 6 and k[1][:4] == bytes.fromhex("20010db8") and k[1][4] >= 1))
    s = daemon(mux)
    held = set()
    resyncs = 0
    t0 = time.perf_counter()
    ip = subprocess.Popen(f"ip -batch {batch4} && ip -6 -batch {batch6}", shell=True)
    while len(held) < want:
        b = s.recv(16384)
        if not b:
            resyncs += 1
            held.clear()
            s = connect(mux)
            s.send(bytes(14) + bytes([2, 8]))
            s.send(bytes(14) + bytes([2, 14]))
            continue
        k = route_key(b)
        if k and mine(k):
            held.add(k)
    t_daemon = time.perf_counter() - t0
    ip.wait()
    print(json.dumps({"metric": "bulk_daemon_s", "routes": len(held),
                      "resyncs": resyncs, "seconds": round(t_daemon, 2)}))


def main():
    if sys.argv[1] == "latency":
        latency(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif sys.argv[1] == "bulk":
        bulk(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
