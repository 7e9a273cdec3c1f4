"""After every batch: the kernel's devices against the model."""
import struct
import time

from .kinds import KIND_OF, PROXIES, XETH
from .netlink import IFF_UP
from .timescale import SCALE


class Reconciler:
    """Mixed into Fuzzer: its world follows the kernel's devices."""

    def dumps(self):
        """(namespace, its devices) for the model's namespaces that are
        there: the second looks of reconcile happen after the first found
        one gone, which is a finding already."""
        for ns in [""] + sorted(self.world.nss):
            try:
                yield ns, self.dump(ns)
            except FileNotFoundError:
                continue

    def reconcile(self):
        """Compares the kernel's devices with the model's, which then
        follows the kernel. What differs is a finding: the kernel did not
        do what the documented semantics say (or the model is wrong)."""
        w = self.world
        seen = {}
        for ns in [""] + sorted(w.nss):
            try:
                links = self.dump(ns)
            except FileNotFoundError:
                self.fail("semantics", f"namespace {ns} is gone")
                continue
            for x in links:
                if x["name"] == "lo" or x["name"].startswith("cz"):
                    continue
                seen[x["name"]] = (ns, x)
        byname = {d.name: d for d in w.devs.values()}
        extra = [name for name, (ns, x) in seen.items() if name not in byname and x["kind"].startswith("xeth-")]
        if extra:
            # Still there a moment later? (A transient one points at a
            # cleanup in two steps; the snapshot in the log tells more.)
            time.sleep(0.5 * SCALE)
            later = {x["name"] for ns, links in self.dumps() for x in links}
            self.log.write(f"# op {self.done}: unexpected {extra}; half a second later "
                           f"{sorted(set(extra) & later)} remain; the kernel's devices:\n")
            for ns, links in self.dumps():
                for x in links:
                    self.log.write(f"#   {ns or 'init'} {x['index']} {x['name']} {x['kind']} master {x['master']} "
                                   f"flags {x['flags']:#x}\n")
        for name, (ns, x) in seen.items():
            d = byname.get(name)
            if d is None:
                if x["kind"].startswith("xeth-"):
                    self.fail("semantics", f"an {x['kind']} {name} in {ns or 'init'} that should not exist")
                continue
            if d.ns != ns:
                self.fail("semantics", f"{d.kind} {name} is in {ns or 'init'}, not in {d.ns or 'init'}")
                d.ns = ns
            if KIND_OF.get(x["kind"]) != d.kind:
                self.fail("semantics", f"{name} is an {x['kind'] or 'unknown kind'}, not a {d.kind}")
            d.ifindex, d.up = x["index"], bool(x["flags"] & IFF_UP)
            data = x["data"]
            if d.kind == "port" and 1 in data:
                d.xid = struct.unpack("=I", data[1])[0]
            elif d.kind == "vlan" and 1 in data:
                d.vid = struct.unpack("=H", data[1])[0]
            elif d.kind == "mux" and 1 in data:
                d.encap = data[1][0]
            elif d.kind == "loopback" and 1 in data:
                d.channel = data[1][0]
            x["dev"] = d
        for d in list(w.devs.values()):
            if d.name not in seen:
                later = {x["name"]: ns for ns, links in self.dumps() for x in links}
                self.fail("semantics", f"{d.kind} {d.name} (in {d.ns or 'init'}) is gone"
                          f"{f' (but it is in {later[d.name] or 0} a moment later)' if d.name in later else ''}")
                w.devs.pop(d.id)
        # masters, where both ends share a namespace (an index means
        # nothing in another one)
        idx = {(d.ns, d.ifindex): d for d in w.devs.values()}
        for name, (ns, x) in seen.items():
            d = x.get("dev")
            if d is None:
                continue
            m = w.devs.get(d.master) if d.master is not None else None
            if d.master is not None and m is None:
                d.master = None
            if m is None:
                got = idx.get((ns, x["master"])) if x["master"] else None
                if got is not None and got.kind in XETH:
                    self.fail("semantics", f"{name} is enslaved to {got.name}, which the model says it is not")
                    d.master = got.id
            elif m.ns == ns and x["master"] != m.ifindex:
                self.fail("semantics", f"{name} is not enslaved to {m.name} (master index {x['master']})")
                d.master = None
        for d in w.devs.values():
            if d.kind in PROXIES and d.mux not in w.devs:
                self.fail("semantics", f"{d.kind} {d.name} outlived its mux")
            if d.lower is not None and d.lower not in w.devs:
                self.fail("semantics", f"{d.kind} {d.name} outlived its lower")
        if not w.loaded and any(x["kind"].startswith("xeth-") for _, x in seen.values()):
            self.fail("rmmod", "xeth devices without the module: " +
                      " ".join(n for n, (_, x) in seen.items() if x["kind"].startswith("xeth-")))
        # the side-band clients' muxes: up ones, with their ports' xids
        self.targets = [
            {"id": m.id, "name": m.name, "ns": m.ns,
             "xids": tuple(d.xid for d in w.of(("port",)) if d.mux == m.id and d.xid)}
            for m in w.of(("mux",)) if m.up
        ]
