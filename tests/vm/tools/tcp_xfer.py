#!/usr/bin/env python3
"""A TCP transfer between two test hosts, checked end to end.

  tcp_xfer.py serve PORT          accept one connection, read to EOF, answer
                                  with the byte count and SHA-256 of what came
  tcp_xfer.py send ADDR PORT N    send N random bytes, print
                                  "N bytes in S s (R Mbit/s), digest ok" and
                                  exit 0 only when the server saw exactly them
  tcp_xfer.py pairs N SPEC...     one process runs many transfers of N bytes,
                                  one after another; SPEC is
                                  NAME:FROM_NS:TO_NS:ADDR (a namespace of
                                  /run/netns, or "-" for this one) and each
                                  prints "NAME N bytes in S s (R Mbit/s),
                                  digest ok|MISMATCH|ERROR ..."; exit 0 only
                                  when every transfer arrived intact

Starting Python costs seconds under TCG; "pairs" pays it once for a whole
table of transfers: each socket is created in its namespace (setns on this
thread, then back), and keeps that namespace afterwards.
"""

import ctypes
import hashlib
import os
import socket
import sys
import threading
import time

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


# the rig's time scale (tests/vm/calibrate.ts): every wait grows with it
SCALE = float(os.environ.get("XETH_TIME_SCALE", "1"))


def serve(port: int) -> None:
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(1)
    # A client that never comes must not hang the scenario.
    s.settimeout(60 * SCALE)
    c, _ = s.accept()
    c.settimeout(60 * SCALE)
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.sendall(f"{n} {h.hexdigest()}\n".encode())
    c.close()


def send(addr: str, port: int, n: int) -> int:
    data = os.urandom(n)
    # The server may still be starting (a Python start takes seconds
    # under TCG): retry a refused connection for a while.
    deadline = time.monotonic() + 30 * SCALE
    while True:
        try:
            c = socket.create_connection((addr, port), timeout=60 * SCALE)
            break
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    t0 = time.monotonic()
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    answer = b""
    while not answer.endswith(b"\n"):
        b = c.recv(256)
        if not b:
            break
        answer += b
    dt = time.monotonic() - t0
    want = f"{n} {hashlib.sha256(data).hexdigest()}"
    ok = answer.decode().strip() == want
    rate = n * 8 / dt / 1e6
    print(f"{n} bytes in {dt:.2f} s ({rate:.1f} Mbit/s), digest {'ok' if ok else 'MISMATCH: ' + answer.decode().strip()}")
    return 0 if ok else 1


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def socket_in(ns: str, family: int) -> socket.socket:
    """A TCP socket of network namespace ns ("-": this thread's own)."""
    if ns == "-":
        return socket.socket(family)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        _setns(there)
        try:
            return socket.socket(family)
        finally:
            _setns(home)
    finally:
        os.close(there)
        os.close(home)


def pair(src: str, dst: str, addr: str, port: int, data: bytes) -> str:
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    ls = socket_in(dst, family)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    ls.settimeout(60)
    got = {}

    def serve() -> None:
        try:
            c, _ = ls.accept()
            c.settimeout(60)
            h = hashlib.sha256()
            n = 0
            while True:
                b = c.recv(1 << 16)
                if not b:
                    break
                h.update(b)
                n += len(b)
            got["answer"] = (n, h.hexdigest())
            c.close()
        except OSError as e:
            got["error"] = f"server: {e}"
        finally:
            ls.close()

    t = threading.Thread(target=serve)
    t.start()
    c = socket_in(src, family)
    c.settimeout(60)
    t0 = time.monotonic()
    try:
        c.connect((addr, port))
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
    except OSError as e:
        got.setdefault("error", f"client: {e}")
    finally:
        t.join()
        c.close()
    dt = time.monotonic() - t0
    n = len(data)
    if "answer" not in got:
        return f"{n} bytes in {dt:.2f} s (0.0 Mbit/s), digest ERROR {got.get('error')}"
    ok = got["answer"] == (n, hashlib.sha256(data).hexdigest())
    # The server has read the last byte when it is done: that is the time.
    rate = n * 8 / dt / 1e6
    return f"{n} bytes in {dt:.2f} s ({rate:.1f} Mbit/s), digest {'ok' if ok else 'MISMATCH'}"


def pairs(n: int, specs: list[str]) -> int:
    data = os.urandom(n)
    bad = 0
    for i, spec in enumerate(specs):
        name, src, dst, addr = spec.split(":", 3)
        line = pair(src, dst, addr, 6000 + i, data)
        bad += not line.endswith("digest ok")
        print(f"{name} {line}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        sys.exit(send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    elif len(sys.argv) >= 4 and sys.argv[1] == "pairs":
        sys.exit(pairs(int(sys.argv[2]), sys.argv[3:]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
