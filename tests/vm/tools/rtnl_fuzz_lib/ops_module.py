"""The module itself: the mux's sysfs names, module parameters, rmmod
(also racing a batch of ip commands) and insmod."""
import ctypes
import os
import threading
import time

from .ipbatch import classify
from .kinds import XETH
from .kmod import SYS_DELETE_MODULE, SYS_FINIT_MODULE, read_param, read_refcnt
from .libc import LIBC, errname
from .op import Op, nothing
from .timescale import SCALE


class ModuleOps:
    """A family of Generators (generators.py)."""

    def g_sysfs(self, w):
        rng = self.rng
        mux = self.pick(w.of(("mux",), ""))
        if mux is None:
            return None
        f = rng.choice(["ethtool_stat_names", "priv_flag_names", "extensions"])
        r = rng.random()
        if f == "extensions":
            content = None
        elif r < 0.2:
            content = ""
        elif r < 0.8:
            content = "\n".join(f"s{i}-{rng.randrange(1000)}" for i in range(rng.randint(1, 40))) + "\n"
        else:
            content = "\n".join("x" * rng.randint(1, 40) for _ in range(rng.randint(1, 600)))
        name = mux.name
        text = f"sysfs {name}/xeth/{f} {'read' if content is None else f'write {len(content)} bytes'}"

        def run():
            path = f"/sys/class/net/{name}/xeth/{f}"
            try:
                if content is None:
                    with open(path) as fh:
                        fh.read()
                else:
                    fd = os.open(path, os.O_WRONLY)
                    try:
                        os.write(fd, content.encode())
                    finally:
                        os.close(fd)
            except OSError as e:
                return ("user", "gone") if e.errno == 2 else ("ioctl", errname(e.errno))
            return "ok", ""
        return Op(f"sysfs/{f}", f"[init] {text}", "", py=run, effect=nothing)

    def g_param(self, w):
        rng = self.rng
        name = rng.choice(["sb_txq_max", "carrier_hold_ms"])
        v = rng.choice([1, 2, 16, 64, 4096, 65536]) if name == "sb_txq_max" else rng.choice([0, 0, 50, 500])

        def run():
            try:
                with open(f"/sys/module/xeth/parameters/{name}", "w") as fh:
                    fh.write(f"{v}\n")
            except OSError as e:
                return ("user", "no module") if e.errno == 2 else ("ioctl", errname(e.errno))
            if name == "sb_txq_max":
                self.txq_max_ever = max(self.txq_max_ever, v)
            return "ok", ""
        return Op(f"param/{name}", f"[init] echo {v} > /sys/module/xeth/parameters/{name}", "",
                  py=run, effect=nothing)

    def g_rmmod(self, w):
        """rmmod xeth: in use (devices in several namespaces, addresses,
        routes, side-band clients connected) or idle; it takes everything."""
        busy = bool(w.of(XETH))

        def run():
            self.notes[f"refcnt {read_refcnt()} before rmmod"] += 1
            if LIBC.syscall(SYS_DELETE_MODULE, b"xeth", os.O_NONBLOCK) == 0:
                for p in self.ips.values():
                    p.stale = True
                return "ok", ""
            e = ctypes.get_errno()
            refs = read_refcnt()
            if e == 16 and refs:  # EBUSY while something holds it: as it should
                self.notes["rmmod refused while held"] += 1
            return "ioctl", f"{errname(e)} (refcnt {refs})"

        def effect(w, oc):
            if oc == "ok":
                w.unloaded()
        label = "rmmod/busy" if busy else ("rmmod/idle" if w.loaded else "rmmod/unloaded")
        return Op(label, "[init] rmmod xeth", "", py=run,
                  effect=effect, sync=True, bad=lambda w: None if w.loaded else "not loaded")

    def g_rmmod_race(self, w):
        """rmmod racing a batch of ip commands on the muxes of init_net (new
        muxes and ports, up, down, deletes) and the side-band clients'
        connections. What the batch made before the module went, the
        module takes with it; what came after is refused ("Unknown device
        type"): either way nothing of xeth is left, so the model is the
        same whatever the timing."""
        rng = self.rng
        muxes = [d.name for d in w.of(("mux",), "")]
        cmds = []
        for _ in range(rng.randint(5, 30)):
            r = rng.random()
            if r < 0.25 or not muxes:
                name = self.fresh("xm")
                muxes.append(name)
                cmds.append(f"link add {name} up type xeth-mux")
            elif r < 0.6:
                cmds.append(f"link add {self.fresh('p')} link {rng.choice(muxes)} up type xeth-port")
            elif r < 0.8:
                cmds.append(f"link set {rng.choice(muxes)} {rng.choice(['up', 'down'])}")
            else:
                cmds.append(f"link del {rng.choice(muxes)}")
        delay = rng.uniform(0, 0.3)

        def run():
            result = {}

            def rmmod():
                time.sleep(delay * SCALE)
                end = time.monotonic() + 30 * SCALE
                while True:
                    if LIBC.syscall(SYS_DELETE_MODULE, b"xeth", os.O_NONBLOCK) == 0:
                        result["ok"] = True
                        return
                    e = ctypes.get_errno()
                    if time.monotonic() > end:
                        result["err"] = f"{errname(e)} (refcnt {read_refcnt()})"
                        return
                    time.sleep(0.01)
            t = threading.Thread(target=rmmod)
            t.start()
            errs = self.ip("").run(cmds, 120 * SCALE)
            t.join()
            for p in self.ips.values():
                p.stale = True
            for c, e in zip(cmds, errs):
                self.notes[f"rmmod race: ip {classify(e)[0]}"] += 1
                self.log.write(f"  (race) {c} => {' / '.join(e) if e else 'ok'}\n")
            if not result.get("ok"):
                self.fail("rmmod", f"rmmod racing ip: {result.get('err')}")
                return "ioctl", result.get("err", "?")
            return "ok", ""

        def effect(w, oc):
            if oc == "ok":
                w.unloaded()
        return Op("rmmod/race", f"[init] rmmod xeth after {delay:.2f} s of: {' ; '.join(cmds)}", "",
                  py=run, effect=effect, sync=True, bad=lambda w: None if w.loaded else "not loaded")

    def g_insmod(self, w):
        rng = self.rng
        params = " ".join(x for x in [
            f"sb_txq_max={rng.choice([64, 4096, 65536])}" if rng.random() < 0.4 else "",
            f"carrier_hold_ms={rng.choice([0, 100])}" if rng.random() < 0.3 else "",
        ] if x)

        def run():
            fd = os.open(self.a.ko, os.O_RDONLY)
            try:
                r = LIBC.syscall(SYS_FINIT_MODULE, fd, params.encode(), 0)
            finally:
                os.close(fd)
            if r != 0:
                return "ioctl", errname(ctypes.get_errno())
            self.txq_max_ever = read_param("sb_txq_max") or 65536
            return "ok", ""

        def effect(w, oc):
            if oc == "ok":
                w.loaded = True
        return Op("insmod", f"[init] insmod xeth.ko {params}", "", py=run, effect=effect,
                  sync=True, bad=lambda w: "loaded already" if w.loaded else None)
