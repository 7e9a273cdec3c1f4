"""Namespaces made (each with a canary) and deleted, with the devices
that are in them."""
import time

from .ipbatch import classify
from .op import Op
from .timescale import SCALE


class NetnsOps:
    """A family of Generators (generators.py)."""

    def g_netns(self, w):
        """A namespace made, or one deleted."""
        if len(w.nss) < 3 and (not w.nss or self.rng.random() < 0.5):
            return self.netns_add_op(self.fresh("fz"))
        if not w.nss:
            return None
        return self.netns_del_op(self.rng.choice(sorted(w.nss)))

    def netns_add_op(self, ns):
        """A namespace with a canary: a veth whose init_net end goes once
        the namespace's devices are gone (netns cleanup runs in a work
        item, after ip netns del returns)."""
        canary = "cz" + ns[2:]
        cmds = [f"netns add {ns}", f"link add {canary} type veth peer name {canary}p netns {ns}"]

        def add():
            errs = self.ip("").run(cmds, 60 * SCALE)
            oc = classify(errs[0])
            if oc[0] == "ok" and errs[1] is not None:
                self.fail("namespaces", f"no canary for {ns}: {classify(errs[1])}")
            return oc

        def effect(w, oc):
            if oc == "ok":
                w.nss[ns] = canary
        return Op("netns/add", f"[init] {' ; '.join(cmds)}", py=add, effect=effect)

    def netns_del_op(self, ns):
        """ip netns del, then a wait for the cleanup: its ports back in
        init_net, everything else of it gone. A namespace that does not go
        is held by something (a reference the module leaked, say)."""
        def delete():
            # An ip -n NS is in it, and holds it; and ip keeps the fd of
            # every namespace a command named ("link set DEV netns NS"
            # opens /run/netns/NS and never closes it), which holds that
            # namespace as long as the ip runs: in batch mode, for good.
            for n in list(self.ips):
                self.close_ip(n)
            oc = classify(self.ip("").run([f"netns del {ns}"], 60 * SCALE)[0])
            if oc[0] != "ok":
                return oc
            # (by its name: the model learns of a namespace made in this
            # batch only after the batch)
            canary = "cz" + ns[2:]
            end = time.monotonic() + 60 * SCALE
            while canary and time.monotonic() < end:
                if not any(x["name"] == canary for x in self.dump("")):
                    break
                time.sleep(0.05)
            else:
                if canary:
                    self.fail("namespaces", f"{ns} was not cleaned up within {60 * SCALE:.0f} s of its deletion: something holds it")
            for p in self.ips.values():
                p.stale = True  # its ports came back to init_net
            return oc

        def effect(w, oc):
            if oc == "ok":
                w.netns_gone(ns)
        return Op("netns/del", f"[init] netns del {ns}", py=delete, effect=effect, sync=True)
