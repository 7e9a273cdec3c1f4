"""The side-band clients, each on its own thread and clock: a daemon that
connects, dumps, follows live events and goes (decoding with sbclient.py),
and a client that injects fuzzed messages (sbfuzz.py)."""
import collections
import random
import select
import socket
import struct
import threading
import time

import sbclient  # the decoder of what the kernel sends
import sbfuzz  # fuzzed daemon messages

from .netns import Netns
from .timescale import SCALE


class SbThread(threading.Thread):
    """A side-band client on its own thread; pauses when asked (the
    checkpoints talk to the muxes alone)."""

    def __init__(self, fz, seed, name):
        super().__init__(daemon=True, name=name)
        self.fz = fz
        self.rng = random.Random(seed)
        self.pause_req = threading.Event()
        self.idle = threading.Event()
        self.stop_req = threading.Event()
        self.sock = None
        self.stats = collections.Counter()
        self.errors = []
        self.netns = None

    def run(self):
        self.netns = Netns()
        try:
            while not self.stop_req.is_set():
                if self.hold():
                    self.session()
        except Exception as e:  # noqa: BLE001  a crash is a finding, told in the report
            self.error(f"{self.name} crashed: {e!r}")
        finally:
            self.close()
            self.idle.set()

    def error(self, text):
        self.stats["errors"] += 1
        if len(self.errors) < 20:
            self.errors.append(text)

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None

    def hold(self):
        """False once stopped; waits while paused, its socket closed."""
        if self.pause_req.is_set():
            self.close()
            # the pauser clears it before asking: a set here is an answer
            self.idle.set()
            while self.pause_req.is_set() and not self.stop_req.is_set():
                time.sleep(0.02)
        return not self.stop_req.is_set()

    def connect(self, t):
        s = None
        try:
            with self.netns.inside(t["ns"]):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            # a full backlog blocks connect(); the module's work empties it
            s.settimeout(10 * SCALE)
            s.connect("\0" + t["name"])
        except OSError:
            if s:
                s.close()  # one made in a namespace would hold it
            self.stats["connect-refused"] += 1
            time.sleep(0.05)
            return None
        s.setblocking(False)
        self.sock = s
        self.stats["connects"] += 1
        self.fz.client_count(t["id"], "connects", 1)
        return s

    def send(self, t, data):
        try:
            self.sock.send(data)
        except BlockingIOError:
            return None
        except OSError:
            return False
        self.stats["sent"] += 1
        self.fz.client_count(t["id"], "sent", 1)
        return True


class SbDaemon(SbThread):
    """Connects to a random mux, enables random extensions, dumps, asks for
    the FIB, tells carrier and speed, follows live events a while, goes.
    Every message the kernel sends must decode as docs/protocol.md says."""

    K2D = {"BREAK", "ETHTOOL_FLAGS", "ETHTOOL_SETTINGS", "LINK_MODES_SUPPORTED",
           "LINK_MODES_ADVERTISING", "LINK_MODES_LP_ADVERTISING", "IFINFO", "IFA",
           "IFA6", "FIBENTRY", "FIB6ENTRY", "NEIGH_UPDATE", "CHANGE_UPPER_XID",
           "NETNS_ADD", "NETNS_DEL"}

    def recv(self, t, ext, timeout):
        """The next message (decoded), "eof", or None after timeout."""
        end = time.monotonic() + timeout
        while True:
            if self.pause_req.is_set() or self.stop_req.is_set():
                return "eof"
            try:
                b = self.sock.recv(16384)
            except BlockingIOError:
                left = end - time.monotonic()
                if left <= 0:
                    return None
                select.select([self.sock], [], [], min(left, 0.1))
                continue
            except OSError:
                return "eof"
            if not b:
                return "eof"
            self.stats["received"] += 1
            self.fz.client_count(t["id"], "received", 1)
            return self.check(b, ext)

    def check(self, b, ext):
        try:
            m = sbclient.decode(b)
        except (IndexError, struct.error, ValueError, OSError) as e:
            self.error(f"undecodable message ({e!r}): {b[:64].hex()}")
            return {"kind": "?"}
        kinds = self.K2D | ({"LINK_MODES_EXT"} if ext & 1 else set())
        if m["kind"] not in kinds:
            self.error(f"a message the kernel must not send here (extensions {ext}): {m}")
        elif m["kind"] in ("FIBENTRY", "FIB6ENTRY") and ("trailing" in m or ("cookie" in m) != bool(ext & 2)):
            self.error(f"a route message of the wrong size (extensions {ext}): {m}")
        return m

    def until_break(self, t, ext):
        """Messages up to BREAK: "break", "eof" or "timeout". A dump the
        kernel stops answering while the connection lives is a finding."""
        while True:
            m = self.recv(t, ext, 30 * SCALE)
            if m is None:
                self.error(f"no BREAK within {30 * SCALE:.0f} s of silence from @{t['name']}")
                return "timeout"
            if m == "eof":
                self.stats["dump-eof"] += 1
                return "eof"
            if m["kind"] == "BREAK":
                self.stats["breaks"] += 1
                return "break"

    def session(self):
        t = self.fz.target(self.rng)
        if t is None or self.connect(t) is None:
            time.sleep(0.05)
            return
        rng = self.rng
        ext = rng.choice([0, 0, 1, 2, 3])
        if ext:
            self.send(t, sbclient.header(21) + struct.pack("=Q", ext))
        self.send(t, sbclient.header(8))
        if self.until_break(t, ext) == "break" and rng.random() < 0.6:
            self.send(t, sbclient.header(14))
            self.until_break(t, ext)
        for _ in range(rng.randrange(4)):
            if not self.sock:
                break
            xid = rng.choice(t["xids"] or [1])
            r = rng.random()
            if r < 0.6:
                msg = sbclient.header(9) + struct.pack("=IB3x", xid, rng.randrange(2))
            elif r < 0.8:
                msg = sbclient.header(10) + struct.pack("=II", xid, rng.choice([1000, 10000, 100000]))
            else:
                msg = sbclient.header(1) + struct.pack("=IIQ", xid, rng.randrange(24), rng.randrange(1 << 40))
            if self.send(t, msg) is False:
                break
        end = time.monotonic() + rng.uniform(0, 0.5) * SCALE
        while self.sock and time.monotonic() < end:
            if self.recv(t, ext, end - time.monotonic()) == "eof":
                break
        self.close()
        time.sleep(rng.uniform(0, 0.2))


class SbFuzzer(SbThread):
    """Bursts of sbfuzz.py's messages at random muxes: noise, mutated and
    valid messages, now and then a dump request."""

    def drain(self, t):
        while True:
            try:
                b = self.sock.recv(16384)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not b:
                return False
            self.stats["received"] += 1
            self.fz.client_count(t["id"], "received", 1)

    def session(self):
        t = self.fz.target(self.rng)
        if t is None or self.connect(t) is None:
            time.sleep(0.05)
            return
        xids = list(t["xids"]) or [1]
        for i in range(self.rng.randrange(1, 200)):
            if self.pause_req.is_set() or self.stop_req.is_set():
                break
            r = self.send(t, sbfuzz.message(self.rng, xids))
            if r is False:
                break
            if r is None:
                select.select([self.sock], [self.sock], [], 0.2)
            if i % 32 == 31 and not self.drain(t):
                break
        if self.sock:
            self.drain(t)
        self.close()
        time.sleep(self.rng.uniform(0.05, 0.3))
