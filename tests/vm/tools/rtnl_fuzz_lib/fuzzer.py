"""The fuzzer: batches of operations planned on a copy of the model, run,
their answers applied to the model, checked; the side-band clients
alongside; the teardown at the end."""
import collections
import contextlib
import ctypes
import hashlib
import os
import random
import threading
import time

from .checkpoint import Checkpoints
from .dump_check import DumpChecks
from .ethtool import ETH_SS_FEATURES, Ethtool
from .generators import Generators
from .ipbatch import IpHung, IpProc, classify
from .kernel_log import KernelLog
from .kinds import XETH
from .kmod import SYS_DELETE_MODULE, read_param, read_refcnt
from .libc import LIBC, errname
from .netlink import Rtnl
from .netns import Netns
from .reconcile import Reconciler
from .sideband import SbDaemon, SbFuzzer
from .timescale import SCALE
from .world import World


class Fuzzer(Generators, Reconciler, Checkpoints, DumpChecks):
    """One run, a: the command line's arguments (rtnl_fuzz.py). Its parts
    are mixed in: the operations' generators, the reconcile after each
    batch, the checkpoints and the side-band dump checks; each reads and
    sets the state made here."""

    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.world = World()
        self.netns = Netns()
        self.ips = {}
        self.names = collections.Counter()
        self.next_id = 1
        self.digest = hashlib.sha256()
        self.done = 0
        self.log = open(a.log, "w")
        # per op kind: ops, ok, refused with message, without, before the kernel
        self.by_kind = collections.defaultdict(collections.Counter)
        self.nomsg_msgs = collections.Counter()
        self.msgs = collections.Counter()
        self.fails = collections.defaultdict(list)
        self.notes = collections.Counter()
        self.abort = None
        self.txq_max_ever = read_param("sb_txq_max") or 65536
        self.client = collections.defaultdict(collections.Counter)
        self.client_lock = threading.Lock()
        self.targets = []
        self.klog = KernelLog()
        et = Ethtool()
        n = et.count("lo", ETH_SS_FEATURES)
        self.features = et.strings("lo", ETH_SS_FEATURES, n)
        et.close()
        self.feature_words = (len(self.features) + 31) // 32
        self.l2fw = self.features.index("l2-fwd-offload")
        self.checkpoints = 0
        self.sb_checked = 0
        self.threads = []
        self.elapsed = 0.0
        self.sizes = collections.Counter()
        # seconds per phase of a batch: where a slow kernel's time goes
        self.phases = collections.Counter()
        # and per kind of operation
        self.op_seconds = collections.Counter()

    # -- bookkeeping

    @contextlib.contextmanager
    def timed(self, phase):
        t0 = time.monotonic()
        try:
            yield
        finally:
            self.phases[phase] += time.monotonic() - t0

    def fail(self, check, text):
        """A finding under one of the report's checks (first 20 kept)."""
        self.notes[check] += 1
        if len(self.fails[check]) < 20:
            self.fails[check].append(f"op {self.done}: {text}")
        if self.notes[check] <= 3:  # as it happens, for a run that times out
            print(f"# rtnl_fuzz: finding ({check}) at op {self.done}: {text}", flush=True)

    def fresh(self, prefix):
        self.names[prefix] += 1
        return f"{prefix}{self.names[prefix]}"

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def client_count(self, mux_id, what, n):
        with self.client_lock:
            self.client[mux_id][what] += n

    def target(self, rng):
        t = self.targets
        return rng.choice(t) if t else None

    def ip(self, ns):
        p = self.ips.get(ns)
        if p is None or p.p.poll() is not None:
            p = self.ips[ns] = IpProc(ns)
        return p

    def close_ip(self, ns):
        p = self.ips.pop(ns, None)
        if p:
            p.close()

    # -- kernel log

    def scan_dmesg(self):
        splat = self.klog.scan()
        if splat:
            self.abort = self.abort or f"kernel splat after op {self.done}: {splat}"

    # -- planning

    def plan(self, n):
        """A batch planned on a copy of the model, each op assumed to do
        what it should (refused when it must be)."""
        w = self.world.copy()
        ops = []
        gens = self.generators(w)
        weights = [g[1] for g in gens]
        while len(ops) < n:
            op = None
            for _ in range(20):
                gen = self.rng.choices(gens, weights)[0][0]
                op = gen(w)
                if op is not None:
                    break
            if op is None:
                break
            ops.append(op)
            self.digest.update(op.text.encode() + b"\n")
            op.effect(w, "msg" if op.bad and op.bad(w) else "ok")
            if op.sync:
                break
            # the weights follow the model, but not within a batch: cheap
            # and still deterministic
        return ops

    # -- running

    def slow(self, what, t0):
        """Says what took long: a run that times out shows where it went."""
        dt = time.monotonic() - t0
        if dt > 5 * SCALE:
            print(f"# rtnl_fuzz: op {self.done}: {what} took {dt:.1f} s", flush=True)

    def execute(self, ops):
        """Each op's (class, message): consecutive ip ops of a namespace go
        to its ip process as one batch."""
        out = [None] * len(ops)
        i = 0
        while i < len(ops):
            op = ops[i]
            if op.cmd is None:
                t0 = time.monotonic()
                out[i] = op.py()
                self.slow(op.text, t0)
                self.op_seconds[op.kind] += time.monotonic() - t0
                i += 1
                continue
            j = i + 1
            while (not op.alone and j < len(ops) and ops[j].cmd is not None and ops[j].ns == op.ns
                   and not ops[j].alone):
                j += 1
            if op.ns and op.ns not in self.world.nss and not os.path.exists(f"/run/netns/{op.ns}"):
                for k in range(i, j):
                    out[k] = ("user", f"no namespace {op.ns}")
            else:
                t0 = time.monotonic()
                try:
                    errs = self.ip(op.ns).run([o.cmd for o in ops[i:j]], 120 * SCALE)
                except IpHung as e:
                    if not (e.exited and op.alone):
                        raise
                    self.close_ip(op.ns)
                    errs = [[f"ip exited: {e}"]]
                self.slow(f"a batch of {j - i} ip commands in {op.ns or 'init'}", t0)
                # a batch's time, shared by its commands
                share = (time.monotonic() - t0) / (j - i)
                for o in ops[i:j]:
                    self.op_seconds[o.kind] += share
                for k, e in enumerate(errs):
                    out[i + k] = classify(e)
            if any(o.moves for o in ops[i:j]):
                for p in self.ips.values():
                    p.stale = True
            i = j
        return out

    def apply(self, ops, outcomes):
        w = self.world
        for op, (oc, msg) in zip(ops, outcomes):
            self.done += 1
            why = op.bad(w) if op.bad else None
            ours = op.ours(w) if op.ours else False
            k = self.by_kind[op.kind]
            k["ops"] += 1
            k[oc] += 1
            if oc != "ok":
                self.msgs[(op.kind, oc, msg)] += 1
            if oc == "nomsg":
                self.nomsg_msgs[f"{op.kind}: {msg}"] += 1
                if ours:
                    self.fail("extack", f"{op.text} => refused without a message: {msg}")
            if why and oc == "ok":
                self.fail("refused", f"{op.text} => accepted, though {why}")
            self.log.write(f"{self.done} {op.text} => {oc} {msg}{f' (must refuse: {why})' if why else ''}\n")
            # the model cannot follow what the kernel should have refused
            # (a port on lo has no mux): the device it made is left for
            # reconcile, which reports it as one that should not exist
            if not (why and oc == "ok"):
                op.effect(w, oc)

    def dump(self, ns):
        with self.netns.inside(ns):
            r = Rtnl()
        try:
            return r.links()
        finally:
            r.close()

    # -- the run

    def batch(self, n):
        with self.timed("plan"):
            ops = self.plan(n)
        if not ops:
            return
        with self.timed("operations"):
            outcomes = self.execute(ops)
        self.apply(ops, outcomes)
        with self.timed("reconcile"):
            self.reconcile()
        with self.timed("kernel log"):
            self.scan_dmesg()
        # how much there was to fuzz: devices after each batch
        n = len(self.world.of(XETH))
        self.sizes["batches"] += 1
        self.sizes["xeth devices"] += n
        self.sizes["most xeth devices"] = max(self.sizes["most xeth devices"], n)
        self.sizes["up"] += len([d for d in self.world.of(XETH) if d.up])

    def teardown(self):
        """Every mux deleted: no xeth device may be left anywhere; then the
        namespaces go, and rmmod must succeed."""
        w = self.world
        if not w.loaded:
            self.batch_of([self.g_insmod(w)])
        for m in w.of(("mux",)):
            errs = self.ip(m.ns).run([f"link del {m.name}"], 120 * SCALE)
            if errs[0] is not None:
                self.fail("teardown", f"ip link del {m.name}: {classify(errs[0])}")
            else:
                w.delete(m.id)
        left = []
        for ns in [""] + sorted(w.nss):
            left += [f"{x['name']} ({x['kind']}, {ns or 'init'})" for x in self.dump(ns)
                     if x["kind"].startswith("xeth-")]
        if left:
            self.fail("teardown", "xeth devices left after deleting every mux: " + " ".join(left))
        for ns in sorted(w.nss):
            self.batch_of([self.netns_del_op(ns)])
        for d in w.of(("veth",)):
            if d.name in [x["name"] for x in self.dump(d.ns)]:
                self.ip(d.ns).run([f"link del {d.name}"], 60 * SCALE)
        for ns, p in list(self.ips.items()):
            self.close_ip(ns)
        end = time.monotonic() + 30 * SCALE
        while True:
            if LIBC.syscall(SYS_DELETE_MODULE, b"xeth", os.O_NONBLOCK) == 0:
                break
            e = ctypes.get_errno()
            if time.monotonic() > end:
                self.fail("rmmod", f"rmmod xeth at the end: {errname(e)} (refcnt {read_refcnt()})")
                break
            time.sleep(0.2)
        if os.path.exists("/sys/module/xeth"):
            self.fail("rmmod", "the module is still there after rmmod")
        time.sleep(0.5)
        self.scan_dmesg()

    def batch_of(self, ops):
        ops = [o for o in ops if o is not None]
        for o in ops:
            self.digest.update(o.text.encode() + b"\n")
        self.apply(ops, self.execute(ops))
        self.reconcile()

    def run(self):
        a = self.a
        self.reconcile()
        self.threads = [SbDaemon(self, a.seed ^ 0x5bd, "sb-daemon"), SbFuzzer(self, a.seed ^ 0x5bf, "sb-fuzzer")]
        for t in self.threads:
            t.start()
        t0 = time.monotonic()
        next_check = a.check_every
        next_progress = max(1, a.ops // 10)
        try:
            while self.done < a.ops and not self.abort:
                self.batch(min(self.rng.randint(10, 60), a.ops - self.done))
                if self.done >= next_check:
                    with self.timed("checkpoints"):
                        self.checkpoint()
                    next_check += a.check_every
                if self.done >= next_progress:
                    el = time.monotonic() - t0
                    print(f"# rtnl_fuzz: {self.done}/{a.ops} operations in {el:.0f} s ({self.done / el:.1f}/s)", flush=True)
                    next_progress += max(1, a.ops // 10)
        except IpHung as e:
            self.abort = str(e)
        self.elapsed = time.monotonic() - t0
        for t in self.threads:
            t.stop_req.set()
        for t in self.threads:
            t.join(30 * SCALE)
        if not self.abort:
            self.checkpoint()
            self.scan_dmesg()
        if not self.abort:
            try:
                self.teardown()
            except IpHung as e:
                self.abort = str(e)
        self.log.close()
