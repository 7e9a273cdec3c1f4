"""A mux's side-band dump against rtnl: proxies, xids, namespaces and
ifindexes, addresses, members; and nothing told before the dump."""
import collections
import socket
import struct
import time

import sbclient  # the decoder of what the kernel sends

from .kinds import PROXIES, SB_KIND
from .netlink import IFF_UP, Rtnl, addr_dump
from .netns import net_id
from .timescale import SCALE


class DumpChecks:
    """Mixed into Fuzzer: a dump it makes itself, on a connection of its
    own while its clients are paused (checkpoint.py)."""

    def sb_dump(self, m):
        """A DUMP_IFINFO of mux m: its messages up to BREAK and those that
        follow until quiet, or None when the connection ended."""
        with self.netns.inside(m.ns):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            s.connect("\0" + m.name)
        except OSError as e:
            self.fail("sideband", f"cannot connect to @{m.name}, which is up: {e}")
            s.close()
            return None
        self.client_count(m.id, "connects", 1)
        # a daemon that has not asked for a dump is told nothing
        s.settimeout(0.2 * SCALE)
        try:
            early = s.recv(16384)
        except socket.timeout:
            early = None
        if early is not None:
            self.fail("sideband", f"@{m.name}: a message before any dump: {early[:40].hex() or 'EOF'}")
            s.close()
            return None
        s.send(sbclient.header(8))
        self.client_count(m.id, "sent", 1)
        msgs, broke = [], False
        s.settimeout(30 * SCALE)
        end = None
        try:
            while True:
                if broke:
                    # REG and NETNS_ADD follow BREAK; live events may go on
                    s.settimeout(0.5 * SCALE)
                    end = end or time.monotonic() + 5 * SCALE
                    if time.monotonic() > end:
                        return msgs
                b = s.recv(16384)
                if not b:
                    return None
                self.client_count(m.id, "received", 1)
                msg = sbclient.decode(b)
                msgs.append(msg)
                broke = broke or msg["kind"] == "BREAK"
        except socket.timeout:
            if not broke:
                self.fail("sideband", f"@{m.name}: no BREAK within {30 * SCALE:.0f} s")
                return None
            return msgs
        except (IndexError, struct.error, ValueError) as e:
            self.fail("sideband", f"@{m.name}: an undecodable message in the dump: {e!r}")
            return None
        finally:
            s.close()

    def check_dump(self, m):
        """The dump names every proxy of the mux, anywhere, as rtnl has it:
        name, kind, xid, admin state, namespace and ifindex (REG), its
        addresses and the lag and bridge members (CHANGE_UPPER_XID). A
        difference is looked at again: the system is quiet at a checkpoint
        but not still (IPv6 configures itself, a carrier hold runs out), and
        only one that stays is a finding."""
        for attempt in range(3):
            problems = self.check_dump_once(m)
            if not problems:
                if attempt:
                    self.notes["side-band dump matched rtnl on a second look"] += 1
                return
            time.sleep(0.5 * SCALE)
        for text in problems:
            self.fail("sideband", text)

    def check_dump_once(self, m):
        """What differs between a dump of mux m and rtnl; nothing when the
        dump could not be had (that is a finding of its own already)."""
        w = self.world
        problems = []
        for _ in range(3):  # a live event past a tiny sb_txq_max resyncs
            msgs = self.sb_dump(m)
            if msgs is not None:
                break
        else:
            self.fail("sideband", f"@{m.name}: three dumps in a row ended without BREAK")
            return []
        self.sb_checked += 1
        brk = next(i for i, x in enumerate(msgs) if x["kind"] == "BREAK")
        dump = {x["ifname"]: x for x in msgs[:brk] if x["kind"] == "IFINFO"}
        regs = {x["ifname"]: x for x in msgs[brk:] if x["kind"] == "IFINFO" and x["reason"] == "REG"}
        proxies = {d.name: d for d in w.of(PROXIES) if d.mux == m.id}
        if set(dump) != set(proxies):
            problems.append(f"@{m.name}: the dump has {sorted(set(dump) - set(proxies))} that rtnl has not, "
                      f"misses {sorted(set(proxies) - set(dump))}")
        nets = {ns: net_id(ns) for ns in [""] + sorted(w.nss)}
        xids = {n: x["xid"] for n, x in dump.items()}
        shift = 20 if m.encap else 12
        for n, d in proxies.items():
            x, r = dump.get(n), regs.get(n)
            if x is None:
                continue
            want = {"devkind": SB_KIND[d.kind], "up": d.up}
            got = {"devkind": x["devkind"], "up": bool(x["flags"] & IFF_UP)}
            if d.kind == "port":
                want["xid"], got["xid"] = d.xid, x["xid"]
            if d.kind == "vlan" and d.lower in w.devs:
                lo = w.devs[d.lower]
                want["xid"], got["xid"] = xids.get(lo.name, -1) | d.vid << shift, x["xid"]
            if r is None:
                got["reg"] = None
            else:
                got["reg"] = (r["net"], r["ifindex"])
            want["reg"] = (nets.get(d.ns), d.ifindex)
            if want != got:
                problems.append(f"@{m.name}: {n}: the dump says {got}, rtnl {want}")
        problems += self.check_addrs(m, msgs[:brk], proxies, xids)
        members = {(x["upper"], x["lower"]) for x in msgs[:brk] if x["kind"] == "CHANGE_UPPER_XID"}
        want = set()
        for d in proxies.values():
            up = w.devs.get(d.master) if d.master is not None else None
            if up is not None and up.kind in ("lag", "bridge"):
                want.add((xids.get(up.name), xids.get(d.name)))
        if members != want:
            problems.append(f"@{m.name}: members (upper, lower xid) {sorted(members)}, rtnl has {sorted(want)}")
        return problems

    def check_addrs(self, m, msgs, proxies, xids):
        """The dump's IFA and IFA6 of each proxy are its addresses (none
        for a bridge's members), as RTM_GETADDR has them."""
        w = self.world
        problems = []
        kernel = {}
        for ns in sorted({d.ns for d in proxies.values()}):
            with self.netns.inside(ns):
                r = Rtnl()
            try:
                kernel[ns] = addr_dump(r)
            finally:
                r.close()
        told = collections.defaultdict(set)
        for x in msgs:
            if x["kind"] == "IFA":
                plen = bin(int.from_bytes(socket.inet_aton(x["mask"]), "big")).count("1")
                told[x["xid"]].add((x["address"], plen))
            elif x["kind"] == "IFA6":
                told[x["xid"]].add((x["address"], x["length"]))
        for n, d in proxies.items():
            if n not in xids:
                continue
            up = w.devs.get(d.master) if d.master is not None else None
            want = set() if up is not None and up.kind == "bridge" else kernel[d.ns].get(d.ifindex, set())
            got = told.get(xids[n], set())
            if got != want:
                problems.append(f"@{m.name}: {n}'s addresses: the dump says {sorted(got)}, rtnl {sorted(want)}")
                self.log.write(f"# op {self.done}: @{m.name} {n} (xid {xids[n]}): the dump's addresses {sorted(got)}, "
                               f"rtnl's {sorted(want)}; the dump:\n")
                for x in msgs:
                    self.log.write(f"#   {x}\n")
        return problems
