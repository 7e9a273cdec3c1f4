#!/usr/bin/env python3
"""Side-band daemons that hold their connections until told to close
(python3 stdlib), for the teardown scenarios (sb_teardown.sh).

    sbhold.py MUX [options]          one JSON line per step on stdout

    --name NAME       the process name (comm) the kernel logs show
    --count N         up to N connections, one after the other, as N
                      daemons would make them (default 1), until one is
                      refused; each newer one replaces the older ones
    --start FILE      connect once FILE exists (polled 10 times a second)
    --carrier XIDS    CARRIER on for these ports (comma list), on each
    --dump            DUMP_IFINFO, its answer left unread in the socket
    --wait MODE       idle (default): only wait for the go file
                      recv: block in recv() until EOF, then wait for it
                      poll: block in poll() until the peer hangs up, then
                            wait for it (one connection)
    --go FILE         close the sockets once FILE exists (polled 10 times
                      a second); without it, close at once

Lines: {"ready": true} (with --start); {"connect": "ok" or the error} and
{"sent": true} (one connection) or {"connected": N, "then": the error or
null} (more); {"blocked": MODE} just before a blocking call, {"eof": true}
or {"hup": EVENTS} when the kernel's end went away; {"closing": true} and
{"closed": true} around the close() of them all. The exit code is 0 unless
an argument is wrong; a refused connection is reported, not fatal, since
tearing down while daemons connect refuses some. Run it with python3 -S:
it needs no site packages, whose start-up costs seconds in a guest (as a
python process does: hence --count).
"""
import ctypes
import json
import os
import resource
import select
import socket
import struct
import sys
import time

VERSION = 2
KIND_DUMP_IFINFO = 8
KIND_CARRIER = 9


def header(kind):
    return bytes(14) + bytes([VERSION, kind])


def out(obj):
    print(json.dumps(obj, separators=(",", ":")), flush=True)


def set_comm(name):
    """PR_SET_NAME: the oops line "Comm: NAME" tells whose close it was."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


def wait_file(path):
    if path is None:
        return
    while not os.path.exists(path):
        time.sleep(0.1)


def block(sock, mode):
    out({"blocked": mode})
    if mode == "recv":
        while True:
            try:
                b = sock.recv(16384)
            except OSError as e:
                out({"recv": e.strerror})
                return
            if not b:
                out({"eof": True})
                return
    elif mode == "poll":
        p = select.poll()
        p.register(sock, select.POLLHUP | select.POLLRDHUP)
        while True:
            for _, ev in p.poll():
                if ev & (select.POLLHUP | select.POLLRDHUP | select.POLLERR):
                    out({"hup": ev})
                    return


def connect(a, say):
    """One daemon's connection and its first messages; an error string if
    it was refused."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        s.connect("\0" + a.mux)
    except OSError as e:
        s.close()
        say({"connect": e.strerror})
        return e.strerror
    say({"connect": "ok"})
    try:
        for xid in filter(None, a.carrier.split(",")):
            s.send(header(KIND_CARRIER) + struct.pack("=IB3x", int(xid), 1))
        if a.dump:
            s.send(header(KIND_DUMP_IFINFO))
    except OSError as e:
        say({"send": e.strerror})
    say({"sent": True})
    return s


def connect_all(a):
    if a.count == 1:
        s = connect(a, out)
        return [] if isinstance(s, str) else [s]
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = a.count + 64
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    socks, err = [], None
    while len(socks) < a.count:
        s = connect(a, lambda _: None)
        if isinstance(s, str):
            err = s
            break
        socks.append(s)
    out({"connected": len(socks), "then": err})
    return socks


class Opts(dict):
    __getattr__ = dict.__getitem__


def args(argv):
    """The options above (argparse alone would add to the start-up)."""
    a = {"name": None, "count": "1", "start": None, "carrier": "",
         "dump": False, "wait": "idle", "go": None}
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__)
    a["mux"], rest = argv[0], argv[1:]
    while rest:
        opt, rest = rest[0].removeprefix("--"), rest[1:]
        if opt == "dump":
            a["dump"] = True
        elif opt in a and opt != "mux" and rest:
            a[opt], rest = rest[0], rest[1:]
        else:
            sys.exit(f"sbhold: bad option --{opt}\n{__doc__}")
    if a["wait"] not in ("idle", "recv", "poll") or not a["count"].isdigit():
        sys.exit(f"sbhold: bad --wait or --count\n{__doc__}")
    a["count"] = int(a["count"])
    return Opts(a)


def main():
    a = args(sys.argv[1:])
    if a.name:
        set_comm(a.name)
    if a.start:
        out({"ready": True})
        wait_file(a.start)
    socks = connect_all(a)
    if socks and a.wait != "idle":
        block(socks[-1], a.wait)
    if not socks:
        return
    wait_file(a.go)
    out({"closing": True})
    for s in socks:
        s.close()
    out({"closed": True})


if __name__ == "__main__":
    sys.exit(main())
