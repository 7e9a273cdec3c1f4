#!/usr/bin/env python3
"""A TCP transfer between two test hosts, checked end to end.

  tcp_xfer.py serve PORT          accept one connection, read to EOF, answer
                                  with the byte count and SHA-256 of what came
  tcp_xfer.py send ADDR PORT N    send N random bytes, print
                                  "N bytes in S s (R Mbit/s), digest ok" and
                                  exit 0 only when the server saw exactly them
"""

import hashlib
import os
import socket
import sys
import time


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


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "send":
        sys.exit(send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
