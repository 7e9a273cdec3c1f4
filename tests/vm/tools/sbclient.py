#!/usr/bin/env python3
"""A scriptable side-band daemon for the VM scenarios (python3 stdlib).

    sbclient.py MUX < SCRIPT      one JSON line per event on stdout

It speaks the protocol (version 2) as docs/protocol.md gives it, independently
of the kernel's header, so that a test compares the two. Script lines:

    connect                  connect to @MUX; prints {"connect": "ok"|error}
    dump                     DUMP_IFINFO; prints messages up to BREAK and
                             what follows it until the socket is quiet
    fibdump                  DUMP_FIBINFO; prints messages up to BREAK
    read SECS                prints what arrives within SECS
    readuntil FILE           prints what arrives until FILE exists and then
                             until the socket is quiet (600 s at most)
    sh CMD...                runs a shell command; prints its exit code
    carrier XID 0|1 | speed XID MBPS | linkstat XID INDEX COUNT
    ethstat XID INDEX COUNT  daemon-to-kernel messages
    ext BITS                 EXT_ENABLE with these extension bits
    offload RESULT PREFIX [table=T] [tos=T] [cookie=latest|prev|N] [net=N]
                             FIB_OFFLOAD with one result (none, offload,
                             trap, failed or a number) for the route of
                             PREFIX (any table unless given) that FIBENTRY
                             or FIB6ENTRY last told, with the cookie of
                             that message (latest), of the one before
                             (prev), or N
    offloadall RESULT        FIB_OFFLOAD for every route told, batched
    next PREFIX              prints what arrives until a FIBENTRY or
                             FIB6ENTRY tells of PREFIX again (60 s at most)

Its output is flushed whenever it waits, for the socket or for the next
script line, so that a scenario may feed it a line at a time.
    raw HEX                  sends bytes as they are
    close                    closes the connection
    mark TEXT                prints {"mark": TEXT}
"""
import json
import os
import select
import socket
import struct
import subprocess
import sys
import time

# the rig's time scale (tests/vm/calibrate.ts): every wait grows with it
SCALE = float(os.environ.get("XETH_TIME_SCALE", "1"))

VERSION = 2
KINDS = [
    "BREAK", "LINK_STAT", "ETHTOOL_STAT", "ETHTOOL_FLAGS", "ETHTOOL_SETTINGS",
    "LINK_MODES_SUPPORTED", "LINK_MODES_ADVERTISING", "LINK_MODES_LP_ADVERTISING",
    "DUMP_IFINFO", "CARRIER", "SPEED", "IFINFO", "IFA", "IFA6", "DUMP_FIBINFO",
    "FIBENTRY", "FIB6ENTRY", "NEIGH_UPDATE", "CHANGE_UPPER_XID", "NETNS_ADD",
    "NETNS_DEL", "EXT_ENABLE", "LINK_MODES_EXT", "FIB_OFFLOAD",
]
FIB_RESULTS = {"none": 0, "offload": 1, "trap": 2, "failed": 3}
# results in one FIB_OFFLOAD at most: (9728 - 24) / 40
FIB_RESULTS_MAX = 242
K = {name: i for i, name in enumerate(KINDS)}
REASONS = ["NEW", "DEL", "UP", "DOWN", "DUMP", "REG", "UNREG", "FEATURES"]


def header(kind):
    return bytes(14) + bytes([VERSION, kind])


def decode(b):
    if len(b) < 16:
        return {"kind": "SHORT", "len": len(b)}
    if any(b[:14]) or b[14] != VERSION:
        return {"kind": "BAD_HEADER", "hex": b[:16].hex()}
    kind = KINDS[b[15]] if b[15] < len(KINDS) else f"KIND_{b[15]}"
    m = {"kind": kind, "len": len(b)}
    body = b[16:]
    if kind == "IFINFO":
        xid, kdata, name, net, ifindex, flags, addr, dkind, reason, feat = \
            struct.unpack("=II16sQiI6sBBQ", body[:56])
        m.update(xid=xid, kdata=kdata, ifname=name.rstrip(b"\0").decode(),
                 net=net, ifindex=ifindex, flags=flags, addr=addr.hex(":"),
                 devkind=dkind, reason=REASONS[reason], features=feat)
    elif kind == "IFA":
        xid, event = struct.unpack("=II", body[:8])
        m.update(xid=xid, event=event, address=socket.inet_ntoa(body[8:12]),
                 mask=socket.inet_ntoa(body[12:16]))
    elif kind == "IFA6":
        xid, event = struct.unpack("=II", body[:8])
        m.update(xid=xid, event=event,
                 address=socket.inet_ntop(socket.AF_INET6, body[8:24]),
                 length=body[24])
    elif kind == "ETHTOOL_SETTINGS":
        xid, speed = struct.unpack("=II", body[:8])
        m.update(xid=xid, speed=speed, duplex=body[8], port=body[9],
                 autoneg=body[11])
    elif kind == "ETHTOOL_FLAGS":
        m.update(zip(("xid", "flags"), struct.unpack("=II", body[:8])))
    elif kind.startswith("LINK_MODES_") and kind != "LINK_MODES_EXT":
        xid, _, modes = struct.unpack("=IIQ", body[:16])
        m.update(xid=xid, modes=modes)
    elif kind == "CHANGE_UPPER_XID":
        upper, lower, linking = struct.unpack("=IIB", body[:9])
        m.update(upper=upper, lower=lower, linking=linking)
    elif kind == "FIBENTRY":
        net, addr, mask, event, nhs, tos, rtype, table = \
            struct.unpack("=Q4s4sBBBBI", body[:24])
        hops = []
        for i in range(nhs):
            ifindex, weight, flags, gw, scope = \
                struct.unpack_from("=iiI4sB", body, 24 + 24 * i)
            hops.append({"ifindex": ifindex, "weight": weight, "flags": flags,
                         "gw": socket.inet_ntoa(gw), "scope": scope})
        m.update(net=net, prefix=f"{socket.inet_ntoa(addr)}/{bin(int.from_bytes(mask, 'big')).count('1')}",
                 event=event, tos=tos, type=rtype, table=table, nh=hops)
        cookie_at(m, body, 24 + 24 * nhs)
    elif kind == "FIB6ENTRY":
        net, addr, length, event, nsib, rtype, table = \
            struct.unpack("=Q16sBBBBI", body[:32])
        hops = []
        for i in range(1 + nsib):
            ifindex, weight, flags, _, gw = struct.unpack_from("=iiII16s", body, 32 + 32 * i)
            hops.append({"ifindex": ifindex, "weight": weight, "flags": flags,
                         "gw": socket.inet_ntop(socket.AF_INET6, gw)})
        m.update(net=net, prefix=f"{socket.inet_ntop(socket.AF_INET6, addr)}/{length}",
                 event=event, type=rtype, table=table, nh=hops)
        cookie_at(m, body, 32 + 32 * (1 + nsib))
    elif kind == "NEIGH_UPDATE":
        net, ifindex, family, alen = struct.unpack("=QiBB", body[:14])
        dst = body[16:16 + alen]
        fam = socket.AF_INET if family == socket.AF_INET else socket.AF_INET6
        m.update(net=net, ifindex=ifindex, family=family,
                 dst=socket.inet_ntop(fam, dst), lladdr=body[32:38].hex(":"))
    elif kind == "LINK_MODES_EXT":
        xid, which, nwords = struct.unpack("=IBB", body[:6])
        words = struct.unpack_from(f"={nwords}Q", body, 8)
        m.update(xid=xid, which=which, nwords=nwords,
                 bits=[64 * w + b for w, v in enumerate(words) for b in range(64) if v >> b & 1])
    elif kind in ("NETNS_ADD", "NETNS_DEL"):
        (m["net"],) = struct.unpack("=Q", body[:8])
    return m


def cookie_at(m, body, off):
    """The fib-offload cookie after a route's hops, when there is one."""
    if len(body) == off + 8:
        (m["cookie"],) = struct.unpack_from("=Q", body, off)
    elif len(body) != off:
        m["trailing"] = len(body) - off


def fib_result(m, result, cookie):
    """A struct xeth_fib_result for the route of message m."""
    addr, length = m["prefix"].split("/")
    if m["kind"] == "FIBENTRY":
        family, packed = socket.AF_INET, socket.inet_aton(addr) + bytes(12)
    else:
        family, packed = socket.AF_INET6, socket.inet_pton(socket.AF_INET6, addr)
    return struct.pack("=QQ16sIBBBB", m["net"], cookie, packed, m["table"],
                       family, int(length), m.get("tos", 0), result)


def fib_offload(results):
    return header(K["FIB_OFFLOAD"]) + struct.pack("=II", len(results), 0) + b"".join(results)


def out(obj):
    # written out whenever the client is about to wait (flush below): a
    # write per message costs a guest under TCG more than the decoding
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")


def flush():
    sys.stdout.flush()


class Session:
    def __init__(self, mux):
        self.mux = mux
        self.sock = None
        # messages already read, oldest first
        self.pending = []
        # route key -> the FIBENTRY/FIB6ENTRY messages told of it, in order
        self.routes = {}

    def decode(self, b):
        """Decodes a message, keeping what it tells of a route."""
        m = decode(b)
        if m["kind"] in ("FIBENTRY", "FIB6ENTRY"):
            key = (m["net"], m["table"], m["kind"], m["prefix"])
            self.routes.setdefault(key, []).append(m)
        return m

    def told(self, prefix, table=None, net=None):
        """The messages told of a prefix, oldest first."""
        for (n, t, _, p), ms in self.routes.items():
            if p == prefix and (table is None or t == table) and (net is None or n == net):
                return ms
        return []

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect("\0" + self.mux)
        except OSError as e:
            out({"connect": e.strerror})
            return
        self.sock = s
        self.pending = []
        out({"connect": "ok"})

    def recv(self, timeout):
        """One message, None on timeout; closes on EOF."""
        if self.pending:
            return self.pending.pop(0)
        if not self.sock:
            return None
        flush()
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return None
        # what is queued, up to a batch, without waiting again
        while len(self.pending) < 256:
            try:
                b = self.sock.recv(16384, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            except OSError as e:
                b = b""
                out({"error": e.strerror})
            if not b:
                if self.pending:
                    break  # the EOF again, once these are read
                out({"eof": True})
                self.sock.close()
                self.sock = None
                return None
            self.pending.append(b)
        return self.pending.pop(0) if self.pending else None

    def until_break(self, idle=10.0 * SCALE):
        """Messages up to BREAK; gives up after idle seconds of silence."""
        while True:
            b = self.recv(idle)
            if b is None:
                if self.sock:
                    out({"timeout": "no BREAK"})
                return
            m = self.decode(b)
            out(m)
            if m["kind"] == "BREAK":
                return

    def read(self, secs, quiet=None):
        end = time.monotonic() + secs
        while time.monotonic() < end:
            # a slow guest can pass the end between the test and here
            wait = max(0.0, end - time.monotonic())
            b = self.recv(min(wait, quiet) if quiet else wait)
            if b is None:
                return
            out(self.decode(b))

    def send(self, data):
        if not self.sock:
            out({"send": "not connected"})
            return
        try:
            self.sock.send(data)
        except OSError as e:
            out({"send": e.strerror})


def main():
    s = Session(sys.argv[1])
    while True:
        flush()
        line = sys.stdin.readline()
        if not line:
            break
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        op, args = w[0], w[1:]
        if op == "connect":
            s.connect()
        elif op == "dump":
            s.send(header(K["DUMP_IFINFO"]))
            s.until_break()
            s.read(5.0 * SCALE, quiet=0.5 * SCALE)
        elif op == "fibdump":
            s.send(header(K["DUMP_FIBINFO"]))
            s.until_break()
        elif op == "read":
            s.read(float(args[0]) * SCALE)
        elif op == "readuntil":
            end = time.monotonic() + 600 * SCALE
            while s.sock and not os.path.exists(args[0]) and time.monotonic() < end:
                s.read(0.2)
            if s.sock and not os.path.exists(args[0]):
                out({"timeout": f"no {args[0]}"})
            s.read(600 * SCALE, quiet=0.5 * SCALE)
        elif op == "sh":
            flush()
            cmd = line.split(None, 1)[1]
            r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
            out({"sh": cmd.strip(), "rc": r.returncode})
        elif op == "carrier":
            s.send(header(K["CARRIER"]) + struct.pack("=IB3x", int(args[0]), int(args[1])))
        elif op == "speed":
            s.send(header(K["SPEED"]) + struct.pack("=II", int(args[0]), int(args[1])))
        elif op in ("linkstat", "ethstat"):
            kind = K["LINK_STAT"] if op == "linkstat" else K["ETHTOOL_STAT"]
            s.send(header(kind) + struct.pack("=IIQ", *map(int, args)))
        elif op == "ext":
            s.send(header(K["EXT_ENABLE"]) + struct.pack("=Q", int(args[0], 0)))
        elif op == "offload":
            opts = dict(a.split("=", 1) for a in args[2:])
            told = s.told(args[1], int(opts["table"]) if "table" in opts else None,
                          int(opts["net"]) if "net" in opts else None)
            if not told:
                out({"offload": f"nothing told of {args[1]}"})
                continue
            which = opts.get("cookie", "latest")
            if which == "latest":
                cookie = told[-1].get("cookie", 0)
            elif which == "prev":
                cookie = told[-2].get("cookie", 0) if len(told) > 1 else 0
            else:
                cookie = int(which, 0)
            m = dict(told[-1])
            if "tos" in opts:
                m["tos"] = int(opts["tos"], 0)
            result = FIB_RESULTS.get(args[0])
            result = int(args[0], 0) if result is None else result
            s.send(fib_offload([fib_result(m, result, cookie)]))
            out({"offload": args[1], "result": result, "cookie": cookie})
        elif op == "next":
            n = len(s.told(args[0]))
            end = time.monotonic() + 60 * SCALE
            while s.sock and len(s.told(args[0])) == n and time.monotonic() < end:
                b = s.recv(end - time.monotonic())
                if b is not None:
                    out(s.decode(b))
            if len(s.told(args[0])) == n:
                out({"timeout": f"nothing more told of {args[0]}"})
        elif op == "offloadall":
            result = FIB_RESULTS.get(args[0])
            result = int(args[0], 0) if result is None else result
            all_ = [fib_result(ms[-1], result, ms[-1].get("cookie", 0))
                    for ms in s.routes.values()]
            for i in range(0, len(all_), FIB_RESULTS_MAX):
                s.send(fib_offload(all_[i:i + FIB_RESULTS_MAX]))
            out({"offloadall": len(all_), "result": result})
        elif op == "raw":
            s.send(bytes.fromhex(args[0]) if args else b"")
        elif op == "close":
            if s.sock:
                s.sock.close()
                s.sock = None
            s.pending = []
        elif op == "mark":
            out({"mark": " ".join(args)})
        else:
            sys.exit(f"sbclient: unknown script line: {line.strip()}")


if __name__ == "__main__":
    try:
        main()
    finally:
        flush()
