"""ip link add of every xeth kind, with random options, valid and invalid;
and veth pairs, the muxes' lower links."""
from .kinds import PROXIES, XETH
from .op import Op
from .world import Dev, xid_valid


class AddOps:
    """A family of Generators (generators.py)."""

    def add_op(self, kind, ns, cmd, make, bad=None, ours=None):
        """An ip link add: make(world) returns the new Dev when it passed.
        Some come up as they are made (rtnl opens them in the same request,
        and a failed open undoes the registration)."""
        up = self.rng.random() < 0.3
        if up:
            cmd = cmd.replace(" type ", " up type ", 1)

        def effect(w, oc):
            if oc == "ok":
                before = set(w.devs)
                make(w)
                for id in set(w.devs) - before:
                    w.devs[id].up = up
        return Op(kind, f"[{ns or 'init'}] {cmd}", ns, cmd, effect=effect, bad=bad,
                  ours=ours or (lambda w: w.loaded), alone=" netns fz" in cmd)

    def g_add_mux(self, w):
        rng = self.rng
        ns = self.pick_ns(w, 0.75)
        name, id = self.fresh("xm"), self.new_id()
        encap = rng.choice([None, "vlan", "vpls"])
        lower = None
        r = rng.random()
        if r < 0.3:
            lower = self.pick([d.name for d in w.of(("veth",), ns) if d.master is None])
        elif r < 0.4:
            lower = self.pick(["lo"] + [d.name for d in w.of(XETH, ns)] +
                              [d.name for d in w.of(("veth",), ns) if d.master is not None])
        mac = ""
        if rng.random() < 0.05:
            mac = " address " + rng.choice(["01:00:5e:00:00:01", "00:00:00:00:00:00", "02:00:00:00:00:01"])
        cmd = f"link add {name}{mac}{f' link {lower}' if lower else ''} type xeth-mux{f' encap {encap}' if encap else ''}"

        def bad(w):
            if mac and mac != " address 02:00:00:00:00:01":
                return "a multicast or zero MAC address"
            if lower is None:
                return None
            if lower == "lo":
                return "lo is not an Ethernet lower link"
            d = w.named(lower, ns)
            if d is None:
                return None
            if d.kind != "veth":
                return "an xeth device as a lower link"
            if d.master is not None:
                return "a lower link that is enslaved already"
            return None

        def make(w):
            d = w.add(Dev(id, name, "mux", ns))
            d.encap = 1 if encap == "vpls" else 0
            low = w.named(lower, ns) if lower else None
            if low is not None:
                low.master = id
        return self.add_op("add/mux", ns, cmd, make, bad)

    def g_add_port(self, w):
        rng = self.rng
        mux = self.pick(w.of(("mux",)))
        if mux is None:
            return None
        ns = mux.ns
        name, id = self.fresh("p"), self.new_id()
        link = mux.name
        if rng.random() < 0.08:
            link = self.pick([d.name for d in w.of(None, ns) if d.kind != "mux"] + ["lo"])
        xid = None
        r = rng.random()
        if r < 0.35:
            pass
        elif r < 0.7:
            xid = rng.randint(16, 0xfffff) if mux.encap else rng.randint(1, 4094)
        elif r < 0.85:
            xid = self.pick([d.xid for d in w.of(("port",)) if d.mux == mux.id and d.xid])
        else:
            xid = rng.choice([0, 1, 15, 1 << 20, 0xffffffff] if mux.encap else [0, 4095, 4096, 65535, 0xffffffff])
        dest = None
        if rng.random() < 0.15:
            dest = self.pick([n for n in [""] + sorted(w.nss) if n != ns])
        mac = ""
        if rng.random() < 0.04:
            mac = " address 01:00:5e:00:00:02"
        destarg = "" if dest is None else f" netns {dest or 1}"
        cmd = f"link add {name}{destarg}{mac} link {link} type xeth-port{'' if xid is None else f' xid {xid}'}"

        def bad(w):
            m = w.named(link, ns)
            if m is None and link != "lo":
                return None
            if link == "lo" or m.kind != "mux":
                return "the link of a port is not a mux"
            if mac:
                return "a multicast MAC address"
            if xid is not None:
                if not xid_valid(m.encap, xid):
                    return f"xid {xid} out of range for the encap"
                if any(d.xid == xid for d in w.of(("port",)) if d.mux == m.id):
                    return f"xid {xid} is taken"
            return None

        def make(w):
            m = w.named(link, ns)
            d = w.add(Dev(id, name, "port", ns if dest is None else dest))
            d.mux = d.lower = m.id
            d.xid = xid
        return self.add_op("add/port", ns, cmd, make, bad)

    def g_add_loopback(self, w):
        rng = self.rng
        mux = self.pick(w.of(("mux",)))
        if mux is None:
            return None
        ns = mux.ns
        name, id = self.fresh("lb"), self.new_id()
        link = mux.name
        if rng.random() < 0.1:
            link = self.pick([d.name for d in w.of(PROXIES + ("veth",), ns)] + ["lo"])
        ch = None if rng.random() < 0.4 else rng.randrange(256)
        cmd = f"link add {name} link {link} type xeth-loopback{'' if ch is None else f' channel {ch}'}"

        def bad(w):
            m = w.named(link, ns)
            if link == "lo" or (m is not None and m.kind != "mux"):
                return "the link of a loopback is not a mux"
            return None

        def make(w):
            d = w.add(Dev(id, name, "loopback", ns))
            d.mux = d.lower = w.named(link, ns).id
            d.channel = ch or 0
        return self.add_op("add/loopback", ns, cmd, make, bad)

    def g_add_vlan(self, w):
        rng = self.rng
        low = self.pick(w.of(("port", "lag")))
        if low is None:
            return None
        ns = low.ns
        link = low.name
        if rng.random() < 0.1:
            link = self.pick([d.name for d in w.of(("mux", "loopback", "bridge", "vlan", "veth"), ns)] + ["lo"])
        used = [d.vid for d in w.of(("vlan",)) if d.lower == low.id]
        vid = self.pick(used) if used and rng.random() < 0.2 else rng.randint(1, 4094)
        id = self.new_id()
        style = rng.random()
        dotted = f"{link}.{vid}"
        if style < 0.4 and len(dotted) < 16 and dotted not in self.names:
            # NAME.VID gives the vid; such a name is used once per run
            self.names[dotted] += 1
            name, args, novid = dotted, "", False
        elif style < 0.45:
            name, args, novid = self.fresh("v"), "", True
        else:
            name, args, novid = self.fresh("v"), f" vid {vid}", False
        cmd = f"link add {name} link {link} type xeth-vlan{args}"

        def bad(w):
            lo = w.named(link, ns)
            if link == "lo" or (lo is not None and lo.kind not in ("port", "lag")):
                return "the link of a vlan is not a port or lag"
            if lo is None:
                return None
            if novid:
                return "no vid and no NAME.VID"
            if any(d.vid == vid for d in w.of(("vlan",)) if d.lower == lo.id):
                return f"vid {vid} is on that lower already"
            return None

        def make(w):
            lo = w.named(link, ns)
            d = w.add(Dev(id, name, "vlan", ns))
            d.lower, d.mux, d.vid = lo.id, lo.mux, vid
        return self.add_op("add/vlan", ns, cmd, make, bad)

    def g_add_upper(self, w, kind, takes):
        rng = self.rng
        first = self.pick(w.of(takes))
        if first is None:
            return None
        ns = first.ns
        link = first.name
        if rng.random() < 0.12:
            link = self.pick([d.name for d in w.of(None, ns) if d.kind not in takes] + ["lo"])
        name, id = self.fresh(kind if kind == "lag" else "br"), self.new_id()
        cmd = f"link add {name} link {link} type xeth-{kind}"

        def bad(w):
            m = w.named(link, ns)
            if link == "lo" or (m is not None and m.kind not in takes):
                return f"an xeth-{kind} does not take a {m.kind if m else 'lo'}"
            if m is not None and m.master is not None:
                return "the first member is enslaved already"
            return None

        def make(w):
            m = w.named(link, ns)
            d = w.add(Dev(id, name, kind, ns))
            d.mux = m.mux
            m.master = id
        return self.add_op(f"add/{kind}", ns, cmd, make, bad)

    def g_add_lag(self, w):
        return self.g_add_upper(w, "lag", ("port",))

    def g_add_bridge(self, w):
        return self.g_add_upper(w, "bridge", ("port", "lag", "vlan"))

    def g_add_veth(self, w):
        if len(w.of(("veth",))) >= 8:
            return None
        name = self.fresh("ve")
        a, b = self.new_id(), self.new_id()
        cmd = f"link add {name} type veth peer name {name}p"

        def effect(w, oc):
            if oc == "ok":
                x = w.add(Dev(a, name, "veth", ""))
                y = w.add(Dev(b, name + "p", "veth", ""))
                x.peer, y.peer = b, a
        return Op("add/veth", f"[init] {cmd}", "", cmd, effect=effect)
