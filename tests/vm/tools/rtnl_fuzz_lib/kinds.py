"""The device kinds: the fuzzer's short names, rtnl's kinds, the
side-band's numbers."""

KINDS = {
    "mux": "xeth-mux", "port": "xeth-port", "vlan": "xeth-vlan",
    "lag": "xeth-lag", "bridge": "xeth-bridge", "loopback": "xeth-loopback",
    "veth": "veth",
}
KIND_OF = {v: k for k, v in KINDS.items()}
# the kinds a mux carries, and every kind of the module's
PROXIES = ("port", "vlan", "lag", "bridge", "loopback")
XETH = PROXIES + ("mux",)
# the side-band's device kinds (docs/protocol.md, "Values")
SB_KIND = {"port": 1, "vlan": 2, "bridge": 3, "lag": 4, "loopback": 5}
