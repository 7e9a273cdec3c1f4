#!/usr/bin/env python3
"""Asks a running SWITCHD over its control socket (switchd/control.ts)
what `deno task switchd show WHAT --json` prints, for VM scenarios that
read its figures often: a guest under TCG starts Python in a second or
two, Deno with SWITCHD's modules in ten or more.

    control.py SOCKET WHAT
"""
import json
import socket
import sys


def main():
    path, what = sys.argv[1], sys.argv[2]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall((json.dumps({"show": what}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        b = s.recv(1 << 16)
        if not b:
            break
        buf += b
    s.close()
    reply = json.loads(buf)
    if not reply.get("ok"):
        sys.exit(f"control.py: xeth-switchd refused: {reply.get('error')}")
    print(json.dumps(reply["result"], indent=2))


if __name__ == "__main__":
    main()
