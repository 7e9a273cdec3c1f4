"""Hand-made RTM_NEWLINK requests with attributes no ip would send."""
import socket
import struct

from .kinds import KINDS, PROXIES
from .netlink import IFLA_ADDRESS, RTM_NEWLINK, Rtnl, newlink, nla, outcome
from .op import Op


class RawOps:
    """A family of Generators (generators.py)."""

    def g_raw(self, w):
        """A hand-made RTM_NEWLINK with attributes no ip would send: every
        variant is invalid, and its refusal must say why."""
        rng = self.rng
        kind = rng.choice(["mux", "port", "port", "vlan", "vlan", "loopback", "lag", "bridge", "change"])
        ns = self.pick_ns(w, 0.7)
        name = self.fresh("r")
        link, data, extra, why = None, [], b"", ""
        create = True
        if kind == "mux":
            v = rng.randrange(4)
            if v == 0:
                data, why = [(1, rng.choice([b"", b"\x01\x00", b"\x01\x00\x00\x00"]))], "encap of the wrong size"
            elif v == 1:
                data, why = [(1, bytes([rng.randint(2, 255)]))], "encap out of range"
            elif v == 2:
                link, why = "#999999", "a lower link that does not exist"
            else:
                extra = nla(IFLA_ADDRESS, rng.choice([b"\x02\x00\x00\x00\x00", b"\x01\x00\x5e\x00\x00\x01"]))
                why = "a MAC address of the wrong size or multicast"
        elif kind == "port":
            mux = self.pick(w.of(("mux",), ns))
            v = rng.randrange(4)
            link = mux.name if mux else None
            if v == 0 or mux is None:
                link, why = rng.choice([None, "#999999"]), "no mux"
            elif v == 1:
                data, why = [(1, rng.choice([b"", b"\x07\x00", bytes(8)]))], "xid of the wrong size"
            elif v == 2:
                bad_xid = rng.choice([0, 15, 1 << 20, 0xffffffff] if mux.encap else [0, 4095, 1 << 20])
                data, why = [(1, struct.pack("=I", bad_xid))], f"xid {bad_xid} out of range"
            else:
                link = self.pick([d.name for d in w.of(PROXIES + ("veth",), ns)] or ["lo"])
                why = "a link that is no mux"
        elif kind == "vlan":
            low = self.pick(w.of(("port", "lag"), ns))
            link = low.name if low else None
            v = rng.randrange(3)
            if v == 0 or low is None:
                link, why = rng.choice([None, "lo", "#999999"]), "no port or lag"
            elif v == 1:
                data, why = [(1, rng.choice([b"\x05", bytes(4), b""]))], "vid of the wrong size"
            else:
                data, why = [(1, struct.pack("=H", rng.choice([0, 4095, 65535])))], "vid out of range"
        elif kind == "loopback":
            mux = self.pick(w.of(("mux",), ns))
            link = mux.name if mux else None
            if mux is None or rng.random() < 0.3:
                link, why = rng.choice([None, "lo"]), "no mux"
            else:
                data, why = [(1, rng.choice([b"", b"\x01\x00", bytes(4)]))], "channel of the wrong size"
        elif kind in ("lag", "bridge"):
            link = self.pick([d.name for d in w.of(("mux", "loopback", "veth"), ns)] + ["lo", None, "#999999"])
            why = "a first member that cannot be one"
        else:
            d = self.pick(w.of(("port", "vlan", "mux", "loopback", "lag", "bridge"), ns))
            if d is None:
                return None
            kind, name, create = d.kind, d.name, False
            data = {"port": [(1, struct.pack("=I", 4094))], "vlan": [(1, struct.pack("=H", 4094))],
                    "mux": [(1, b"\x01")], "loopback": [(1, b"\x09")],
                    "lag": [(1, b"\x01")], "bridge": []}[d.kind]
            why = None  # judged on the model when it runs, below
            id = d.id
        if rng.random() < 0.1 and create and kind != "mux":
            # what the mux refuses, proxies must refuse too
            extra = nla(IFLA_ADDRESS, rng.choice([b"\x02\x00\x00\x00\x00", b"\x01\x00\x5e\x00\x00\x01",
                                                  bytes(6)]))
            why = "a MAC address of the wrong size, multicast or zero"

        def change_bad(w):
            x = w.devs.get(id)
            if x is None or x.kind in ("lag", "bridge"):
                return None
            now = {"port": x.xid, "vlan": x.vid, "mux": x.encap, "loopback": x.channel}[x.kind]
            want = {"port": 4094, "vlan": 4094, "mux": 1, "loopback": 9}[x.kind]
            return None if now == want else f"a change of {x.kind} {x.name}'s attribute ({now} to {want})"

        def run():
            r = Rtnl()
            try:
                idx = None
                if link == "#999999":
                    idx = 999999
                elif link is not None:
                    try:
                        idx = socket.if_nametoindex(link)
                    except OSError:
                        return "user", f"no {link}"
                flags, body = newlink(name, KINDS[kind], idx, data, create, extra)
                r.send(RTM_NEWLINK, flags, body)
                err, msg = r.ack()
            finally:
                r.close()
            return outcome(err, msg)

        def effect(w, oc):
            # a refusal is expected; a request that passed made a device
            # the model does not know: the reconcile will say so
            pass
        text = f"raw newlink {name} {KINDS[kind]}{'' if create else ' (change)'} link {link} data {[(t, v.hex()) for t, v in data]} {extra.hex()}"
        return Op(f"raw/{kind}" if create else f"raw/change/{kind}", f"[{ns or 'init'}] {text}", ns,
                  py=lambda: self.py_in(ns, run), effect=effect,
                  bad=(lambda w: why) if why else (None if create else change_bad),
                  ours=lambda w: w.loaded and (create or w.named(name, ns) is not None))
