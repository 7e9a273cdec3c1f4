"""At intervals and at the end: the side-band clients paused, each up
mux's dump against rtnl (dump_check.py), each mux's counters against its
stats and the clients' counts."""
import struct
import time

from .ethtool import Ethtool
from .timescale import SCALE


class Checkpoints:
    """Mixed into Fuzzer: pauses its side-band threads, reads its
    clients' counts."""

    def pause_clients(self, pause):
        live = [t for t in self.threads if t.is_alive()]
        for t in live:
            if pause:
                t.idle.clear()
                t.pause_req.set()
            else:
                t.pause_req.clear()
        if pause:
            for t in live:
                if not t.idle.wait(60 * SCALE) and t.is_alive():
                    self.fail("sideband", f"{t.name} did not pause within {60 * SCALE:.0f} s")

    def checkpoint(self):
        """With the clients paused: each up mux's dump against rtnl, each
        mux's counters against its stats and the clients' counts."""
        self.checkpoints += 1
        self.klog.mark(f"checkpoint at op {self.done}")
        if not self.world.loaded:
            return
        t0 = time.monotonic()
        self.pause_clients(True)
        self.slow("pausing the side-band clients", t0)
        try:
            for m in self.world.of(("mux",)):
                if m.up:
                    t0 = time.monotonic()
                    self.check_dump(m)
                    self.slow(f"the side-band dump of {m.name}", t0)
            # the module ends a connection in its work: give it time
            for m in self.world.of(("mux",)):
                t0 = time.monotonic()
                self.check_counters(m)
                self.slow(f"the counters of {m.name}", t0)
        finally:
            self.pause_clients(False)

    def mux_stats(self, m):
        with self.netns.inside(m.ns):
            et = Ethtool()
        try:
            return et.stats(m.name)
        finally:
            et.close()

    def check_counters(self, m):
        """ethtool -S MUX against ip -s (the same frames counted twice) and
        against what the clients did; once no connection is left, no queued
        message or recorded route either."""
        problems = None
        for _ in range(20):  # frames in flight between two counts
            try:
                s = self.mux_stats(m)
                x = next(x for x in self.dump(m.ns) if x["name"] == m.name)
            except (OSError, StopIteration) as e:
                self.fail("counters", f"{m.name}: cannot read its counters: {e!r}")
                return
            st = struct.unpack_from("=24Q", x["stats"]) if len(x["stats"]) >= 192 else None
            if st is None:
                self.fail("counters", f"{m.name}: no IFLA_STATS64")
                return
            rx_packets, tx_packets, tx_dropped, rx_nohandler = st[0], st[1], st[7], st[23]
            with self.client_lock:
                c = dict(self.client[m.id])
            problems = []

            def want(cond, text):
                if not cond:
                    problems.append(text)
            want(rx_packets == s["rx-from-lower"], f"rx_packets {rx_packets} != rx-from-lower {s['rx-from-lower']}")
            want(tx_packets == s["tx-to-daemon"] + s["daemon-to-lower"],
                 f"tx_packets {tx_packets} != tx-to-daemon {s['tx-to-daemon']} + daemon-to-lower {s['daemon-to-lower']}")
            want(tx_dropped >= s["tx-no-path"], f"tx_dropped {tx_dropped} < tx-no-path {s['tx-no-path']}")
            want(rx_nohandler == s["rx-nohandler"], f"rx_nohandler {rx_nohandler} != rx-nohandler {s['rx-nohandler']}")
            want(s["sb-refused-peers"] == 0, f"sb-refused-peers {s['sb-refused-peers']} (every client is root)")
            want(s["sb-connects"] <= c.get("connects", 0),
                 f"sb-connects {s['sb-connects']} > the clients' {c.get('connects', 0)}")
            want(s["sb-replaced"] <= max(0, s["sb-connects"] - 1),
                 f"sb-replaced {s['sb-replaced']} with sb-connects {s['sb-connects']}")
            want(s["sb-rx-msgs"] <= c.get("sent", 0), f"sb-rx-msgs {s['sb-rx-msgs']} > sent {c.get('sent', 0)}")
            want(c.get("received", 0) <= s["sb-tx-msgs"],
                 f"the clients received {c.get('received', 0)} > sb-tx-msgs {s['sb-tx-msgs']}")
            want(s["sb-txq-high-water"] <= self.txq_max_ever,
                 f"sb-txq-high-water {s['sb-txq-high-water']} > sb_txq_max {self.txq_max_ever}")
            want(s["sb-txq-depth"] == 0, f"sb-txq-depth {s['sb-txq-depth']} with no connection")
            want(s["sb-fib-offload-routes"] == 0, f"sb-fib-offload-routes {s['sb-fib-offload-routes']} with no connection")
            if not problems:
                return
            time.sleep(0.1 * SCALE)
        self.fail("counters", f"{m.name}: " + "; ".join(problems))
