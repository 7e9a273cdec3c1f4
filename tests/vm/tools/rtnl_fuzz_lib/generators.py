"""The operations' generators and how often each is drawn."""
from .kinds import PROXIES
from .ops_add import AddOps
from .ops_ethtool import EthtoolOps
from .ops_l3 import L3Ops
from .ops_link import LinkOps
from .ops_module import ModuleOps
from .ops_netns import NetnsOps
from .ops_raw import RawOps


class Generators(AddOps, LinkOps, L3Ops, NetnsOps, EthtoolOps, RawOps, ModuleOps):
    """Each g_* (in the ops_*.py families) returns an Op for the model w, or
    None when it does not apply. Mixed into Fuzzer, whose rng draws every
    choice (the sequence is a function of the seed and the kernel's
    answers), and whose ip processes, namespaces and findings the ops
    use."""

    def pick_ns(self, w, init_bias=0.6):
        if not w.nss or self.rng.random() < init_bias:
            return ""
        return self.rng.choice(sorted(w.nss))

    def pick(self, lst):
        return self.rng.choice(lst) if lst else None

    def pick_up(self, devs):
        """Mostly a device that is up: routes through one that is down are
        refused before they reach anything of the module's."""
        up = [d for d in devs if d.up]
        return self.pick(up if up and self.rng.random() < 0.85 else devs)

    def generators(self, w):
        if not w.loaded:
            return [(self.g_insmod, 30), (self.g_add_port, 2), (self.g_add_mux, 2),
                    (self.g_netns, 1), (self.g_updown, 1), (self.g_rmmod, 1)]
        muxes = len(w.of(("mux",)))
        proxies = len(w.of(PROXIES))
        room = proxies < 48
        return [
            (self.g_add_mux, 4 if muxes < 2 else (1 if muxes < 4 else 0.05)),
            (self.g_add_port, 9 if room else 0.5),
            (self.g_add_loopback, 2 if room else 0.2),
            (self.g_add_vlan, 5 if room else 0.5),
            (self.g_add_lag, 2 if room else 0.2),
            (self.g_add_bridge, 2 if room else 0.2),
            (self.g_add_veth, 0.6),
            (self.g_del, 4 if room else 10),
            (self.g_updown, 9),
            (self.g_mtu, 2),
            (self.g_master, 5),
            (self.g_nomaster, 2),
            (self.g_move, 3),
            (self.g_rename, 1),
            (self.g_address, 1),
            (self.g_settype, 1.5),
            (self.g_addr, 5),
            (self.g_route, 5),
            (self.g_neigh, 1.5),
            (self.g_nexthop, 1.5),
            (self.g_netns, 1.2),
            (self.g_ethtool, 6),
            (self.g_raw, 3),
            (self.g_sysfs, 0.7),
            (self.g_param, 0.4),
            (self.g_rmmod, 0.2),
            (self.g_rmmod_race, 0.1),
            (self.g_insmod, 0.05),
        ]

    def py_in(self, ns, fn):
        """fn(), with the calling thread in namespace ns; (class, message)."""
        try:
            with self.netns.inside(ns):
                return fn()
        except FileNotFoundError:
            return "user", f"no namespace {ns}"
