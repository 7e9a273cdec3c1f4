#!/usr/bin/env python3
"""Plays the kernel's side of side-band sessions for switchd/session_test.ts.

usage: fake_kernel.py NAME SCRIPT.json

SCRIPT is {"connections": [CONN, ...]}; connection i is served by CONN:
  {"ifinfo": [HEX...], "fibinfo": [HEX...], "live": [HEX...],
   "redump": [HEX...], "then": "close" | "hold"}
On DUMP_IFINFO (kind 8) it sends "ifinfo" then BREAK, on DUMP_FIBINFO
(kind 14) "fibinfo" then BREAK, then "live"; on any later DUMP_FIBINFO,
"redump" then BREAK. "close" ends the connection after the dumps (both,
with a "redump"), "hold" when the client closes it. Other daemon messages are
recorded. Once the last connection is accepted the listener closes, so
later connects are refused. Prints "listening", then one JSON line per
connection with the kinds it received.
"""
import json
import socket
import sys

BREAK = bytes(14) + bytes([2, 0])


def serve(conn, c):
    """The kinds received on CONN until the client or the script ends it."""
    got = []
    try:
        serve_into(conn, c, got)
    except (BrokenPipeError, ConnectionResetError):
        # the client may close while a dump is still on its way: what it
        # sent until then is the answer
        pass
    return got


def serve_into(conn, c, got):
    dumps = 0
    wanted = 2 if "redump" in c else 1
    while True:
        m = conn.recv(65536)
        if not m:
            return
        kind = m[15] if len(m) >= 16 else -1
        got.append(kind)
        if kind == 8:
            for h in c.get("ifinfo", []):
                conn.send(bytes.fromhex(h))
            conn.send(BREAK)
        elif kind == 14 and dumps == 0:
            for h in c.get("fibinfo", []):
                conn.send(bytes.fromhex(h))
            conn.send(BREAK)
            for h in c.get("live", []):
                conn.send(bytes.fromhex(h))
            dumps += 1
        elif kind == 14:
            for h in c.get("redump", []):
                conn.send(bytes.fromhex(h))
            conn.send(BREAK)
            dumps += 1
        if dumps >= wanted and c.get("then", "close") == "close":
            return


def main():
    name, script = sys.argv[1], json.load(open(sys.argv[2]))
    ls = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ls.bind("\0" + name)
    ls.listen(1)
    print("listening", flush=True)
    conns = script["connections"]
    for i, c in enumerate(conns):
        conn, _ = ls.accept()
        if i == len(conns) - 1:
            # No more connections wanted: refuse them from now on. Closed
            # only after the last one ended, the listener would take a
            # client's quick reconnect into its backlog, a connect more.
            ls.close()
        got = serve(conn, c)
        conn.close()
        print(json.dumps({"received": got}), flush=True)


main()
