"""The model: what the kernel holds, as far as the fuzzer knows, and the
documented semantics that change it (cascading deletes, ports refunded
to init_net, namespaces cleaned up)."""
import collections
import copy

from .kinds import XETH


class Dev:
    """A device of the model: its relations are the fuzzer's ids of the
    other devices (names change)."""

    def __init__(self, id, name, kind, ns):
        self.id, self.name, self.kind, self.ns = id, name, kind, ns
        self.mux = None     # proxies: the mux's id
        self.lower = None   # ports and loopbacks: the mux; vlans: port or lag
        self.master = None  # the xeth lag or bridge, or (veth) the mux
        self.peer = None    # veth: the other end
        self.xid = None     # ports: from the kernel (IFLA_XETH_PORT_XID)
        self.vid = None     # vlans
        self.encap = 0      # muxes: 0 vlan, 1 vpls
        self.channel = None
        self.up = False
        self.ifindex = 0
        self.addrs = []     # addresses the fuzzer added


class World:
    """What the kernel holds, as far as the fuzzer knows: its devices by
    an id of the fuzzer's (names change), namespaces with their canaries."""

    def __init__(self):
        self.devs = {}
        self.nss = {}        # name -> its canary veth's name in init_net
        self.loaded = True
        self.routes = collections.defaultdict(list)  # ns -> "PREFIX [table T]"
        self.nhids = collections.defaultdict(list)   # ns -> nexthop ids

    def copy(self):
        return copy.deepcopy(self)

    def named(self, name, ns=None):
        for d in self.devs.values():
            if d.name == name and (ns is None or d.ns == ns):
                return d
        return None

    def of(self, kinds=None, ns=None):
        return [d for d in self.devs.values()
                if (kinds is None or d.kind in kinds) and (ns is None or d.ns == ns)]

    def add(self, d):
        self.devs[d.id] = d
        return d

    def delete(self, id):
        """The device and what the documented semantics take with it: a
        mux its proxies, a port or lag its vlans, a veth its peer; the
        members of a lag or bridge (and a mux's lower links) are released."""
        d = self.devs.pop(id, None)
        if d is None:
            return
        for o in list(self.devs.values()):
            if o.id in self.devs and (o.lower == id or (d.kind == "mux" and o.mux == id)):
                self.delete(o.id)
        for o in self.devs.values():
            if o.master == id:
                o.master = None
        if d.peer is not None:
            self.delete(d.peer)

    def move(self, d, ns):
        d.ns, d.up = ns, False
        # a lower link that leaves the mux's namespace leaves the mux (the
        # module's NETDEV_UNREGISTER handler)
        if d.kind == "veth" and d.master is not None:
            d.master = None

    def netns_gone(self, ns):
        """A namespace deleted: ports return to init_net (netns_refund),
        then everything else in it is deleted (dellink)."""
        for d in self.of(("port",), ns):
            self.move(d, "")
        for d in self.of(None, ns):
            self.delete(d.id)
        self.nss.pop(ns, None)
        self.routes.pop(ns, None)
        self.nhids.pop(ns, None)

    def unloaded(self):
        for d in self.of(XETH):
            self.delete(d.id)
        self.loaded = False
        self.routes.clear()
        self.nhids.clear()


def xid_valid(encap, xid):
    return 16 <= xid <= 0xfffff if encap == 1 else 1 <= xid < 0xfff

