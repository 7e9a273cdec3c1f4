#!/usr/bin/env python3
"""Side-band fuzzer: sends random and mutated daemon messages to @MUX,
draining whatever the kernel answers, then checks that a dump still ends
with BREAK.

    sbfuzz.py MUX COUNT [--seed N] [--xids 7,8]

Prints one JSON line: sent, disconnects seen, and whether the final dump
answered.
"""
import argparse
import json
import os
import random
import select
import socket
import struct
import time

# the rig's time scale (tests/vm/calibrate.ts): every wait grows with it
SCALE = float(os.environ.get("XETH_TIME_SCALE", "1"))

VERSION = 2


def header(kind, version=VERSION):
    return bytes(14) + bytes([version, kind])


def valid(rng, xids):
    """A well-formed daemon message."""
    kind = rng.choice([1, 2, 9, 10])
    xid = rng.choice(xids + [rng.randrange(1 << 32)])
    if kind in (1, 2):
        return header(kind) + struct.pack("=IIQ", xid, rng.randrange(600), rng.randrange(1 << 64))
    if kind == 9:
        return header(kind) + struct.pack("=IB3x", xid, rng.randrange(2))
    return header(kind) + struct.pack("=II", xid, rng.randrange(1 << 32))


def message(rng, xids):
    r = rng.random()
    if r < 0.3:  # noise of any length, occasionally beyond the maximum
        n = rng.randrange(0, 64) if rng.random() < 0.9 else rng.randrange(9000, 12000)
        return rng.randbytes(n)
    if r < 0.6:  # a valid message with a few bytes changed
        b = bytearray(valid(rng, xids))
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if r < 0.75:  # a good header, any kind, any length
        return header(rng.randrange(256)) + rng.randbytes(rng.randrange(0, 80))
    if r < 0.8:  # a good header with the wrong version
        return header(rng.randrange(21), rng.choice([0, 1, 3, 255])) + bytes(16)
    if r < 0.99:
        return valid(rng, xids)
    return header(8)  # DUMP_IFINFO now and then


def connect(mux):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect("\0" + mux)
    s.setblocking(False)
    return s


def drain(s):
    """Reads what is waiting; False when the kernel closed the connection."""
    while True:
        try:
            b = s.recv(16384)
        except BlockingIOError:
            return True
        if not b:
            return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mux")
    p.add_argument("count", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--xids", default="7")
    a = p.parse_args()
    rng = random.Random(a.seed)
    xids = [int(x) for x in a.xids.split(",")]
    s = connect(a.mux)
    sent = disconnects = 0
    while sent < a.count:
        try:
            s.send(message(rng, xids))
            sent += 1
        except BlockingIOError:
            select.select([s], [s], [], 1.0)
        except OSError:
            disconnects += 1
            s = connect(a.mux)
        if sent % 64 == 0 and not drain(s):
            disconnects += 1
            s = connect(a.mux)
    # the session must still answer a dump
    s.setblocking(True)
    s.settimeout(10 * SCALE)
    s.send(header(8))
    answered = False
    end = time.monotonic() + 10 * SCALE
    try:
        while time.monotonic() < end:
            b = s.recv(16384)
            if not b:
                break
            if len(b) == 16 and b[15] == 0:
                answered = True
                break
    except socket.timeout:
        pass
    print(json.dumps({"sent": sent, "disconnects": disconnects, "dump_answered": answered}))


if __name__ == "__main__":
    main()
