"""Addresses, routes, neighbours and nexthops on proxies: what the
side-band tells as IFA, FIBENTRY and NEIGH_UPDATE."""
import socket
import struct

from .kinds import PROXIES
from .netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_REQUEST, Rtnl, nla, outcome
from .op import Op, nothing


class L3Ops:
    """A family of Generators (generators.py)."""

    def g_addr(self, w):
        rng = self.rng
        d = self.pick(w.of(PROXIES + ("veth", "mux")))
        if d is None:
            return None
        id = d.id
        r = rng.random()
        if r < 0.45:
            a = f"10.{rng.randrange(16)}.{rng.randrange(16)}.{rng.randrange(1, 255)}/{rng.choice([8, 16, 24, 24, 31, 32])}"
            cmd, add = f"addr add {a} dev {d.name}", a
        elif r < 0.75:
            a = f"2001:db8:{rng.randrange(16):x}::{rng.randrange(1, 65535):x}/{rng.choice([48, 64, 64, 128])}"
            cmd, add = f"addr add {a} dev {d.name} nodad", a
        elif r < 0.95 and d.addrs:
            a = rng.choice(d.addrs)
            cmd, add = f"addr del {a} dev {d.name}", None
        else:
            a = None
            cmd, add = f"addr flush dev {d.name}", None

        def effect(w, oc):
            x = w.devs.get(id)
            if oc != "ok" or x is None:
                return
            if add:
                x.addrs.append(add)
            elif a:
                x.addrs = [y for y in x.addrs if y != a]
            else:
                x.addrs = []
        return Op("addr", f"[{d.ns or 'init'}] {cmd}", d.ns, cmd, effect=effect)

    def g_route(self, w):
        rng = self.rng
        d = self.pick_up(w.of(PROXIES))
        if d is None:
            return None
        ns = d.ns
        devs = w.of(PROXIES, ns)
        v6 = rng.random() < 0.35
        if v6:
            pfx = f"2001:db8:8{rng.randrange(16):x}{rng.randrange(16):x}::/64"
            gw = lambda: f"2001:db8::{rng.randrange(1, 255):x}"  # noqa: E731
        else:
            pfx = f"10.{128 + rng.randrange(16)}.{rng.randrange(16)}.0/24"
            gw = lambda: f"10.255.{rng.randrange(16)}.{rng.randrange(1, 255)}"  # noqa: E731
        table = " table 100" if rng.random() < 0.15 else ""
        r = rng.random()
        verb = "replace" if rng.random() < 0.2 else "add"
        if r < 0.3:
            cmd = f"route {verb} {pfx}{table} dev {d.name}"
        elif r < 0.55:
            cmd = f"route {verb} {pfx}{table} via {gw()} dev {d.name} onlink"
        elif r < 0.7:
            e = self.pick_up(devs)
            cmd = f"route {verb} {pfx}{table} nexthop via {gw()} dev {d.name} onlink nexthop via {gw()} dev {e.name} onlink"
        elif r < 0.75:
            cmd = f"route {verb} {rng.choice(['blackhole', 'unreachable', 'prohibit'])} {pfx}{table}"
        elif r < 0.8 and w.nhids.get(ns):
            cmd = f"route {verb} {pfx}{table} nhid {rng.choice(w.nhids[ns])}"
        else:
            old = self.pick(w.routes.get(ns, []))
            if old is None:
                return None
            cmd = f"route del {old}"

        alone = " nexthop " in cmd

        def effect(w, oc):
            # what was asked, whatever became of it: a route's fate may hang
            # on a carrier the side-band daemon sets on its own clock, and
            # the sequence must not
            if cmd.startswith("route del"):
                w.routes[ns] = [x for x in w.routes[ns] if f"route del {x}" != cmd]
            elif pfx + table not in w.routes[ns]:
                w.routes[ns].append(pfx + table)
        return Op("route", f"[{ns or 'init'}] {cmd}", ns, cmd, effect=effect, alone=alone)

    def g_neigh(self, w):
        """A neighbour on a proxy (the side-band's NEIGH_UPDATE). Through
        this process's netlink: ip neigh exits on an error, batch or not."""
        rng = self.rng
        d = self.pick_up(w.of(PROXIES))
        if d is None:
            return None
        name, ns = d.name, d.ns
        v6 = rng.random() < 0.5
        if v6:
            dst = socket.inet_pton(socket.AF_INET6, f"2001:db8:{rng.randrange(16):x}::{rng.randrange(1, 255):x}")
        else:
            dst = bytes([10, rng.randrange(16), rng.randrange(16), rng.randrange(1, 255)])
        mac = bytes([2, 0, 0x5e, rng.randrange(256), rng.randrange(256), rng.randrange(256)])
        add = rng.random() < 0.75
        state = rng.choice([0x80, 0x02, 0x04])  # NUD_PERMANENT, REACHABLE, STALE
        fam = socket.AF_INET6 if v6 else socket.AF_INET
        lladdr = f" lladdr {mac.hex(':')} nud {state:#x}" if add else ""
        text = f"neigh {'replace' if add else 'del'} {socket.inet_ntop(fam, dst)}{lladdr} dev {name}"

        def run():
            try:
                idx = socket.if_nametoindex(name)
            except OSError:
                return "user", f"no {name}"
            r = Rtnl()
            try:
                body = struct.pack("=BxxxiHBB", fam, idx, state if add else 0, 0, 0) + nla(1, dst)
                if add:
                    body += nla(2, mac)
                flags = NLM_F_REQUEST | NLM_F_ACK | (NLM_F_CREATE | 0x100 if add else 0)
                r.send(28 if add else 29, flags, body)  # RTM_NEWNEIGH, RTM_DELNEIGH
                err, msg = r.ack()
            finally:
                r.close()
            return outcome(err, msg)
        return Op("neigh", f"[{ns or 'init'}] {text}", ns, py=lambda: self.py_in(ns, run), effect=nothing)

    def g_nexthop(self, w):
        rng = self.rng
        d = self.pick_up(w.of(PROXIES))
        if d is None:
            return None
        ns = d.ns
        ids = w.nhids.get(ns, [])
        nid = rng.randrange(1, 64)
        r = rng.random()
        if r < 0.35:
            cmd = f"nexthop replace id {nid} dev {d.name}"
        elif r < 0.65:
            gw = rng.choice([f"10.255.{rng.randrange(16)}.{rng.randrange(1, 255)}",
                             f"2001:db8::{rng.randrange(1, 255):x}"])
            cmd = f"nexthop replace id {nid} via {gw} dev {d.name} onlink"
        elif r < 0.8 and len(ids) >= 2:
            a, b = rng.sample(ids, 2)
            cmd = f"nexthop replace id {nid + 64} group {a}/{b}"
            nid += 64
        elif ids:
            nid = rng.choice(ids)
            cmd = f"nexthop del id {nid}"
        else:
            return None

        def effect(w, oc):
            # asked for, not made: a nexthop object needs carrier, which the
            # side-band daemon sets on its own clock; the sequence must not
            # depend on it
            if cmd.startswith("nexthop del"):
                w.nhids[ns] = [x for x in w.nhids[ns] if x != nid]
            elif nid not in w.nhids[ns]:
                w.nhids[ns].append(nid)
        return Op("nexthop", f"[{ns or 'init'}] {cmd}", ns, cmd, effect=effect)
