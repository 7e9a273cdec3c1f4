"""rtnetlink from this process: requests with their extack answers, and
the link and address dumps the checks compare with the model."""
import collections
import socket
import struct

from .libc import errname

SOL_NETLINK, NETLINK_EXT_ACK, NETLINK_CAP_ACK = 270, 11, 10
RTM_NEWLINK, RTM_GETLINK = 16, 18
NLMSG_ERROR, NLMSG_DONE = 2, 3
NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP = 1, 4, 0x300
NLM_F_EXCL, NLM_F_CREATE = 0x200, 0x400
NLM_F_CAPPED, NLM_F_ACK_TLVS = 0x100, 0x200
NLM_F_DUMP_INTR = 0x10
IFLA_ADDRESS, IFLA_IFNAME, IFLA_MTU, IFLA_LINK = 1, 3, 4, 5
IFLA_MASTER, IFLA_LINKINFO, IFLA_STATS64 = 10, 18, 23
IFLA_INFO_KIND, IFLA_INFO_DATA = 1, 2
NLA_F_NESTED = 0x8000
IFF_UP = 1


def nla(kind, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, kind) + payload + bytes((4 - n % 4) % 4)


def nla_parse(b, off, end):
    out = {}
    while off + 4 <= end:
        n, kind = struct.unpack_from("=HH", b, off)
        if n < 4:
            break
        out[kind & 0x3fff] = b[off + 4:off + n]
        off += (n + 3) & ~3
    return out


class Rtnl:
    """A route netlink socket in the namespace it is made in."""

    def __init__(self):
        s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        s.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        # the error answer without an echo of the request
        s.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((0, 0))
        self.s, self.seq = s, 0

    def close(self):
        self.s.close()

    def send(self, kind, flags, body):
        self.seq += 1
        self.s.send(struct.pack("=IHHII", 16 + len(body), kind, flags, self.seq, 0) + body)

    def ack(self):
        """(errno, extack message) of the last request."""
        while True:
            b = self.s.recv(1 << 16)
            off = 0
            while off + 16 <= len(b):
                n, kind, flags, seq, _ = struct.unpack_from("=IHHII", b, off)
                if kind == NLMSG_ERROR and seq == self.seq:
                    (err,) = struct.unpack_from("=i", b, off + 16)
                    msg = ""
                    if flags & NLM_F_ACK_TLVS:
                        inner = 16 if flags & NLM_F_CAPPED else struct.unpack_from("=I", b, off + 20)[0]
                        a = nla_parse(b, off + 20 + inner, off + n)
                        msg = a.get(1, b"").rstrip(b"\0").decode(errors="replace")
                    return -err, msg
                off += (n + 3) & ~3

    def links(self):
        """Every link of the namespace: dicts of what the fuzzer reads. A
        dump comes in parts, each under RTNL but not all of them at once: a
        device list that changed between two parts (NLM_F_DUMP_INTR) may
        have lost a device or shown one twice, and is dumped again."""
        for _ in range(10):
            out, intr = self.links_once()
            if not intr:
                return out
        return out

    def dump(self, kind, body, answer, what, parse):
        """A dump request: parse(buffer, offset of the message, its end)
        for each answer of that kind, and whether the kernel said a part
        was inconsistent (NLM_F_DUMP_INTR)."""
        self.send(kind, NLM_F_REQUEST | NLM_F_DUMP, body)
        out, intr = [], False
        while True:
            b = self.s.recv(1 << 20)
            off = 0
            while off + 16 <= len(b):
                n, kind, flags, seq, _ = struct.unpack_from("=IHHII", b, off)
                intr = intr or bool(flags & NLM_F_DUMP_INTR)
                if kind == NLMSG_DONE:
                    return out, intr
                if kind == NLMSG_ERROR:
                    raise OSError(-struct.unpack_from("=i", b, off + 16)[0], what)
                if kind == answer and seq == self.seq:
                    out.append(parse(b, off, off + n))
                off += (n + 3) & ~3

    def links_once(self):
        return self.dump(RTM_GETLINK, struct.pack("=BxHiII", 0, 0, 0, 0, 0), RTM_NEWLINK, "link dump", link_of)


def link_of(b, off, end):
    _, _, index, flags, _ = struct.unpack_from("=BxHiII", b, off + 16)
    a = nla_parse(b, off + 32, end)
    info = nla_parse(a[IFLA_LINKINFO], 0, len(a[IFLA_LINKINFO])) if IFLA_LINKINFO in a else {}
    data = info.get(IFLA_INFO_DATA)
    return {
        "name": a[IFLA_IFNAME].rstrip(b"\0").decode(),
        "index": index, "flags": flags,
        "mtu": struct.unpack("=I", a[IFLA_MTU])[0] if IFLA_MTU in a else 0,
        "master": struct.unpack("=I", a[IFLA_MASTER])[0] if IFLA_MASTER in a else 0,
        "kind": info.get(IFLA_INFO_KIND, b"").rstrip(b"\0").decode(),
        "data": nla_parse(data, 0, len(data)) if data else {},
        "stats": a.get(IFLA_STATS64, b""),
    }


def outcome(err, msg):
    """An rtnetlink answer as the fuzzer's outcome: ok, refused with an
    extack message, or refused without one."""
    if err == 0:
        return "ok", ""
    return ("msg", f"{msg} ({errname(err)})") if msg else ("nomsg", errname(err))


def addr_dump(r):
    """{ifindex: {(address, prefix length)}} of a namespace (RTM_GETADDR),
    dumped again while the kernel says a part of it was inconsistent."""
    for _ in range(10):
        out, intr = addr_dump_once(r)
        if not intr:
            break
    return out


def addr_dump_once(r):
    found, intr = r.dump(22, struct.pack("=BBBBI", 0, 0, 0, 0, 0), 20, "address dump", address_of)  # RTM_GETADDR, RTM_NEWADDR
    out = collections.defaultdict(set)
    for index, address in found:
        if address:
            out[index].add(address)
    return out, intr


def address_of(b, off, end):
    """(ifindex, (address, prefix length) or None) of an RTM_NEWADDR."""
    fam, plen, _, _, index = struct.unpack_from("=BBBBI", b, off + 16)
    a = nla_parse(b, off + 24, end)
    raw = a.get(2 if fam == socket.AF_INET else 1, a.get(1))  # IFA_LOCAL, IFA_ADDRESS
    return index, (socket.inet_ntop(fam, raw), plen) if raw else None


def newlink(name, kind, link=None, data=(), create=True, extra=b""):
    """An RTM_NEWLINK body: data are (type, bytes) IFLA_INFO_DATA attributes."""
    info = nla(IFLA_INFO_KIND, kind.encode() + b"\0")
    if data is not None:
        info += nla(IFLA_INFO_DATA | NLA_F_NESTED, b"".join(nla(t, v) for t, v in data))
    body = struct.pack("=BxHiII", 0, 0, 0, 0, 0) + nla(IFLA_IFNAME, name.encode() + b"\0")
    if link is not None:
        body += nla(IFLA_LINK, struct.pack("=I", link))
    body += extra + nla(IFLA_LINKINFO | NLA_F_NESTED, info)
    flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_CREATE | NLM_F_EXCL if create else 0)
    return flags, body
