#!/usr/bin/env python3
"""Sends one RTM_NEWLINK with hand-made IFLA_INFO_DATA attributes and
prints the kernel's answer, extack message included.

iproute2 always sends well-formed attributes; this is how the tests send
ones of the wrong size or type.

    nlraw.py newlink NAME KIND [--link DEV] [--data TYPE:HEX ...]
    nlraw.py batch < requests    (one "NAME KIND [options]" per line)

Prints "ok" or "error <strerror>: <extack message>" per request; exits 1
when one failed. A batch costs one interpreter start, which matters in a
TCG guest reading Python from a 9p share.
"""
import argparse
import os
import socket
import struct
import sys

NETLINK_ROUTE = 0
SOL_NETLINK = 270
NETLINK_EXT_ACK = 11
RTM_NEWLINK = 16
NLMSG_ERROR = 2
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE = 1, 4, 0x200, 0x400
NLM_F_ACK_TLVS = 0x200
NLMSGERR_ATTR_MSG = 1
IFLA_IFNAME, IFLA_LINK, IFLA_LINKINFO = 3, 5, 18
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
NLA_F_NESTED = 0x8000


def attr(kind, payload):
    length = 4 + len(payload)
    pad = (4 - length % 4) % 4
    return struct.pack("=HH", length, kind) + payload + b"\0" * pad


def newlink(name, kind, link, data):
    info = attr(IFLA_INFO_KIND, kind.encode() + b"\0")
    info += attr(IFLA_INFO_DATA | NLA_F_NESTED, b"".join(attr(t, v) for t, v in data))
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, 0, 0, 0)
    body += attr(IFLA_IFNAME, name.encode() + b"\0")
    if link is not None:
        body += attr(IFLA_LINK, struct.pack("=I", socket.if_nametoindex(link)))
    body += attr(IFLA_LINKINFO | NLA_F_NESTED, info)
    flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL
    return struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK, flags, 1, 0) + body


def ack_message(msg):
    """(errno, extack text) from an NLMSG_ERROR."""
    length, kind, flags, _, _ = struct.unpack_from("=IHHII", msg)
    if kind != NLMSG_ERROR:
        raise SystemExit(f"unexpected answer type {kind}")
    (err,) = struct.unpack_from("=i", msg, 16)
    text = ""
    if flags & NLM_F_ACK_TLVS:
        (orig_len,) = struct.unpack_from("=I", msg, 20)
        # the request is echoed in full unless the kernel capped it
        off = 20 + (16 if flags & 0x100 else orig_len)
        while off + 4 <= length:
            alen, atype = struct.unpack_from("=HH", msg, off)
            if alen < 4:
                break
            if atype == NLMSGERR_ATTR_MSG:
                text = msg[off + 4:off + alen].rstrip(b"\0").decode()
            off += (alen + 3) & ~3
    return -err, text


def request_parser():
    p = argparse.ArgumentParser(prog="nlraw.py newlink")
    p.add_argument("name")
    p.add_argument("kind")
    p.add_argument("--link")
    p.add_argument("--data", action="append", default=[],
                   help="TYPE:HEX, an IFLA_INFO_DATA attribute")
    return p


def run(sock, args):
    a = request_parser().parse_args(args)
    data = []
    for d in a.data:
        t, _, h = d.partition(":")
        data.append((int(t), bytes.fromhex(h)))
    sock.sendto(newlink(a.name, a.kind, a.link, data), (0, 0))
    errno, text = ack_message(sock.recv(65536))
    if errno == 0:
        print("ok", flush=True)
        return True
    print(f"error {os.strerror(errno)}: {text}", flush=True)
    return False


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("newlink", "batch"):
        raise SystemExit(__doc__)
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
    sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
    if sys.argv[1] == "newlink":
        return 0 if run(sock, sys.argv[2:]) else 1
    ok = True
    for line in sys.stdin:
        if line.strip():
            ok = run(sock, line.split()) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
