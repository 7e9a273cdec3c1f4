"""ip link del and set: up/down, mtu, master and nomaster, namespace,
name, MAC address, and the kind's attributes (changelink)."""
import os
import re

from .kinds import KINDS, XETH
from .op import Op, nothing

# devices that are up may be renamed from Linux 6.8 (before: EBUSY)
LIVE_RENAME = tuple(int(x) for x in re.findall(r"\d+", os.uname().release)[:2]) >= (6, 8)


class LinkOps:
    """A family of Generators (generators.py)."""

    def g_del(self, w):
        devs = w.of(None)
        if not devs:
            return None
        # a mux takes everything on it: rarer
        d = self.rng.choice([x for x in devs for _ in range(1 if x.kind == "mux" else 4)])
        cmd = f"link del {d.name}"
        id = d.id

        def effect(w, oc):
            if oc == "ok":
                w.delete(id)
        return Op(f"del/{d.kind}", f"[{d.ns or 'init'}] {cmd}", d.ns, cmd, effect=effect)

    def g_updown(self, w):
        devs = w.of(None)
        if not devs:
            return None
        # muxes up: the side-band clients need listeners
        d = self.rng.choice([x for x in devs for _ in range(4 if x.kind == "mux" else 1)])
        up = self.rng.random() < 0.75
        cmd = f"link set {d.name} {'up' if up else 'down'}"
        id = d.id

        def effect(w, oc):
            if oc == "ok" and id in w.devs:
                w.devs[id].up = up
        return Op(f"set/{'up' if up else 'down'}", f"[{d.ns or 'init'}] {cmd}", d.ns, cmd, effect=effect)

    def g_mtu(self, w):
        d = self.pick(w.of(None))
        if d is None:
            return None
        r = self.rng.random()
        if r < 0.6:
            mtu = self.rng.randint(1280, 9000)
        elif r < 0.8:
            mtu = self.rng.randint(68, 1279)
        elif r < 0.9:
            mtu = 1500
        else:
            mtu = self.rng.choice([0, 67, 65536, 1 << 30])
        cmd = f"link set {d.name} mtu {mtu}"
        return Op("set/mtu", f"[{d.ns or 'init'}] {cmd}", d.ns, cmd, effect=nothing,
                  bad=lambda w: "mtu out of range" if mtu < 68 or mtu > 65535 else None)

    def g_master(self, w):
        rng = self.rng
        m = self.pick(w.of(None))
        if m is None:
            return None
        ns = m.ns
        if rng.random() < 0.7:
            if m.kind == "port":
                ups = [d for d in w.of(("lag", "bridge"), ns) if d.mux == m.mux]
            elif m.kind in ("lag", "vlan"):
                ups = [d for d in w.of(("bridge",), ns) if d.mux == m.mux]
            elif m.kind == "veth":
                ups = w.of(("mux",), ns)
            else:
                ups = []
        else:
            ups = w.of(None, ns)
        u = self.pick(ups)
        if u is None:
            return None
        mid, uid = m.id, u.id
        cmd = f"link set {m.name} master {u.name}"

        def verdict(w):
            """None when the request should pass, else why it must not."""
            M, U = w.devs.get(mid), w.devs.get(uid)
            if M is None or U is None or M.ns != U.ns:
                return None
            if M.master == uid:
                return None
            if U.kind == "lag":
                if M.kind != "port":
                    return "an xeth-lag takes only ports"
                return "a member of another mux" if M.mux != U.mux else None
            if U.kind == "bridge":
                if M.kind not in ("port", "lag", "vlan"):
                    return "an xeth-bridge takes only ports, lags and vlans"
                return "a member of another mux" if M.mux != U.mux else None
            if U.kind == "mux":
                if M.kind != "veth":
                    return "a mux's lower link must be a plain Ethernet device"
                if len([d for d in w.of(("veth",)) if d.master == uid]) >= 8:
                    return "a mux has 8 lower links already"
                return None
            return f"a {U.kind} takes no members"

        def ours(w):
            U = w.devs.get(uid)
            return U is not None and U.kind in XETH

        def effect(w, oc):
            M = w.devs.get(mid)
            if M is None or oc not in ("ok", "msg", "nomsg") or M.master == uid:
                return
            # the kernel releases the old master before it asks the new
            # one, which may then refuse
            M.master = None
            if oc == "ok":
                M.master = uid
        # (ip exits when it cannot find the master)
        return Op("set/master", f"[{ns or 'init'}] {cmd}", ns, cmd, effect=effect,
                  bad=verdict, ours=ours, alone=True)

    def g_nomaster(self, w):
        devs = w.of(None)
        m = self.pick([d for d in devs if d.master is not None] or devs)
        if m is None:
            return None
        cmd = f"link set {m.name} nomaster"
        mid = m.id

        def effect(w, oc):
            if oc == "ok" and mid in w.devs:
                w.devs[mid].master = None
        return Op("set/nomaster", f"[{m.ns or 'init'}] {cmd}", m.ns, cmd, effect=effect)

    def g_move(self, w):
        d = self.pick(w.of(None))
        if d is None:
            return None
        to = self.pick([n for n in [""] + sorted(w.nss) if n != d.ns])
        if to is None:
            return None
        cmd = f"link set {d.name} netns {to or 1}"
        id = d.id

        def effect(w, oc):
            if oc == "ok" and id in w.devs:
                w.move(w.devs[id], to)
        return Op(f"set/netns/{d.kind}", f"[{d.ns or 'init'}] {cmd}", d.ns, cmd, effect=effect, moves=True,
                  alone=bool(to))

    def g_rename(self, w):
        d = self.pick(w.of(None))
        if d is None:
            return None
        new = self.fresh("n")
        cmd = f"link set {d.name} name {new}"
        id = d.id

        def effect(w, oc):
            if oc == "ok" and id in w.devs:
                w.devs[id].name = new

        def bad(w):
            # before 6.8 a device that is up keeps its name (EBUSY); from
            # 6.8 it may be renamed, and a mux's side-band listener follows
            x = w.devs.get(id)
            return "renamed while up" if x is not None and x.up and not LIVE_RENAME else None
        return Op("set/name", f"[{d.ns or 'init'}] {cmd}", d.ns, cmd, effect=effect, bad=bad, moves=True)

    def g_address(self, w):
        d = self.pick(w.of(None))
        if d is None:
            return None
        mac = self.rng.choice(["02:%02x:%02x:%02x:%02x:%02x" % tuple(self.rng.randrange(256) for _ in range(5)),
                               "01:00:5e:00:00:03", "00:00:00:00:00:00"])
        cmd = f"link set {d.name} address {mac}"
        return Op("set/address", f"[{d.ns or 'init'}] {cmd}", d.ns, cmd, effect=nothing,
                  bad=lambda w: "a multicast or zero MAC address" if not mac.startswith("02") else None)

    def g_settype(self, w):
        """ip link set DEV type KIND [OPTION]: a change of an xeth kind's
        attributes (changelink)."""
        rng = self.rng
        d = self.pick(w.of(XETH))
        if d is None:
            return None
        kind = d.kind if rng.random() < 0.8 else rng.choice(XETH)
        opt = rng.choice({
            "mux": ["", "encap vlan", "encap vpls"],
            "port": ["", f"xid {rng.randint(1, 4094)}", f"xid {d.xid}" if d.xid else ""],
            "vlan": ["", f"vid {rng.randint(1, 4094)}", f"vid {d.vid}"],
            "loopback": ["", f"channel {rng.randrange(256)}", f"channel {d.channel}"],
            "lag": [""], "bridge": [""],
        }[kind])
        cmd = f"link set {d.name} type {KINDS[kind]}{' ' + opt if opt else ''}"
        id = d.id

        def ours(w):
            x = w.devs.get(id)
            return x is not None and x.kind == kind and bool(opt)

        def bad(w):
            """A change of what a device was made with (the same value is
            no change)."""
            x = w.devs.get(id)
            if x is None or x.kind != kind or not opt:
                return None
            key, val = opt.split()
            now = {"encap": ["vlan", "vpls"][x.encap], "xid": str(x.xid), "vid": str(x.vid),
                   "channel": str(x.channel)}[key]
            return None if val == now else f"{key} {now} changed to {val}"
        return Op(f"set/type/{kind}", f"[{d.ns or 'init'}] {cmd}", d.ns, cmd, effect=nothing, ours=ours, bad=bad)
