"""The ioctls ethtool makes: -K, -s, -S, the strings, private flags,
driver and module info."""
from .ethtool import (ETH_SS_PRIV_FLAGS, ETHTOOL_GDRVINFO, ETHTOOL_GMODULEINFO, ETHTOOL_GPFLAGS,
                      ETHTOOL_SPFLAGS, Ethtool)
from .libc import errname
from .op import Op, nothing


class EthtoolOps:
    """A family of Generators (generators.py)."""

    def g_ethtool(self, w):
        rng = self.rng
        what = rng.choice(["features", "features", "slink", "slink", "glink", "stats",
                           "strings", "pflags", "drvinfo", "module"])
        ports = w.of(("port",))
        d = self.pick(ports if ports and what in ("slink", "pflags") and rng.random() < 0.6 else w.of(None))
        if d is None:
            return None
        name, ns, id = d.name, d.ns, d.id
        p = {}
        if what == "features":
            p["valid"] = 1 << self.l2fw if rng.random() < 0.7 else rng.getrandbits(32 * self.feature_words)
            p["req"] = rng.getrandbits(32 * self.feature_words)
            text = f"ethtool -K {name} valid {p['valid']:#x} requested {p['req']:#x}"
        elif what == "slink":
            p["speed"] = rng.choice([10, 100, 1000, 10000, 25000, 100000, 400000, 0, 0xffffffff,
                                     rng.getrandbits(32)])
            p["duplex"] = rng.choice([0, 1, 0xff, rng.randrange(256)])
            p["autoneg"] = rng.choice([0, 1, rng.randrange(256)])
            p["adv"] = rng.getrandbits(64)
            p["nw"] = rng.random() < 0.05  # a wrong nwords
            p["ms"] = rng.random() < 0.05  # master_slave_cfg, which ioctls may not set
            text = f"ethtool -s {name} speed {p['speed']} duplex {p['duplex']} autoneg {p['autoneg']} advertise {p['adv']:#x}{' (bad nwords)' if p['nw'] else ''}{' (master-slave)' if p['ms'] else ''}"
        elif what == "strings":
            p["sset"] = rng.randrange(20)
            text = f"ethtool GSTRINGS {name} set {p['sset']}"
        elif what == "pflags":
            p["set"] = rng.random() < 0.5
            p["flags"] = rng.choice([0, 1, 3, rng.getrandbits(32)])
            text = f"ethtool --set-priv-flags {name} {p['flags']:#x}" if p["set"] else f"ethtool --show-priv-flags {name}"
        else:
            text = f"ethtool {what} {name}"

        def run():
            et = Ethtool()
            try:
                if what == "features":
                    et.set_features(name, self.feature_words, p["valid"], p["req"])
                elif what == "slink":
                    f, nw, masks = et.link_settings(name)
                    f[1], f[2], f[5] = p["speed"], p["duplex"], p["autoneg"]
                    if p["ms"]:
                        f[11] = 1
                    if p["nw"]:
                        f[9] = nw + 1
                    masks[nw] = p["adv"] & 0xffffffff
                    masks[nw + 1] = p["adv"] >> 32
                    et.set_link_settings(name, f, masks)
                elif what == "glink":
                    et.link_settings(name)
                elif what == "stats":
                    et.stats(name)
                elif what == "strings":
                    n = et.count(name, p["sset"])
                    if n is not None:
                        et.strings(name, p["sset"], n)
                elif what == "pflags":
                    if p["set"]:
                        et.value(name, ETHTOOL_SPFLAGS, p["flags"])
                    else:
                        # as ethtool's ioctl path shows them: the names,
                        # then the bits
                        n = et.count(name, ETH_SS_PRIV_FLAGS)
                        if n is not None:
                            et.strings(name, ETH_SS_PRIV_FLAGS, n)
                        et.value(name, ETHTOOL_GPFLAGS)
                elif what == "drvinfo":
                    et.plain(name, ETHTOOL_GDRVINFO, 192)
                elif what == "module":
                    et.plain(name, ETHTOOL_GMODULEINFO, 40)
            except OSError as e:
                return "ioctl", errname(e.errno)
            finally:
                et.close()
            return "ok", ""

        def bad(w):
            x = w.devs.get(id)
            if x is None:
                return None
            if what == "slink" and (p["nw"] or p["ms"]):
                return "a malformed ETHTOOL_SLINKSETTINGS"
            if what == "slink" and x.kind != "port":
                return f"ethtool -s on a {x.kind}"
            return None
        return Op(f"ethtool/{what}", f"[{ns or 'init'}] {text}", ns,
                  py=lambda: self.py_in(ns, run), effect=nothing, bad=bad)
