#!/usr/bin/env python3
"""Raw AF_PACKET frames for the VM scenarios (python3 stdlib only).

  rawsock.py send IFACE HEX [IFACE HEX ...] [--count N] [--via-qdisc]
      write each frame HEX (a whole Ethernet frame without FCS; spaces and
      colons are ignored) to its IFACE, in the order given, N times over;
      a frame that the kernel refuses is reported on stderr, the others
      are still sent, and the exit status is 1

  rawsock.py capture IFACE [IFACE ...] --count N --timeout S
                 [--outgoing-only | --incoming-only] [--ready-file F]
      print one JSON line {"pkttype": N, "hex": "...", "ifname": "..."}
      per frame seen on the IFACEs (ETH_P_ALL); stop after N frames or S
      seconds, and exit 0 either way.  F is created once every socket is
      bound, so a script can start the capture in the background, wait for
      F, then send.  pkttype is the sll_pkttype: 0 host, 1 broadcast,
      2 multicast, 3 other host, 4 outgoing.

  rawsock.py flood IFACE HEX [--count N] [--seconds S] [--via-qdisc]
      write HEX to IFACE as fast as possible (sendmmsg batches), N times or
      for S seconds, whichever ends first; prints one JSON line
      {"sent": N, "seconds": T, "fps": F, "busy": B} (B: ENOBUFS retries).

  rawsock.py batch
      one process for a whole scenario (python starts slowly in the VMs):
      reads commands from stdin, one per line, words split on blanks (so
      a HEX has none here), and answers each with its output lines, then
      "= STATUS" (0 is success):
        send [--count N] [--via-qdisc] IFACE HEX [IFACE HEX ...]
            as above; errors are reported as output lines
        capture [--incoming-only | --outgoing-only] IFACE [IFACE ...]
            binds the sockets, then answers: frames sent after the answer
            are caught (a new capture replaces the previous one)
        stop [--grace S]
            waits S seconds (0.1, times the time scale) for frames in flight, then answers with
            the JSON line of every frame caught since "capture", as the
            capture command prints them, and closes the sockets
        daemon-carrier MUX XID [XID ...]
            connects to the side-band socket of MUX as its daemon would
            (once: the connection stays until daemon-close or the end of
            input) and reports carrier on for each port XID (CARRIER
            messages); ports have no carrier until a daemon says so
        daemon-close
            closes that connection (the mux then drops port carrier)

send and flood use PACKET_QDISC_BYPASS unless --via-qdisc: the frame goes
straight to the driver's ndo_start_xmit.  Either way the core drops frames
for a device without carrier: through the qdisc (noop while carrier is
off) silently, counted as the device's tx_dropped; with the bypass, send
fails with ENOBUFS.

A VLAN tag that the receive path moved into the skb's metadata (veth, for
one, untags 802.1Q/802.1ad frames before the packet taps see them) is put
back from PACKET_AUXDATA, as libpcap does, so "hex" is the frame as it was
on the wire.
"""
import argparse
import errno
import json
import os
import select
import socket
import struct
import sys
import time

# the rig's time scale (tests/vm/calibrate.ts): every wait grows with it
SCALE = float(os.environ.get("XETH_TIME_SCALE", "1"))

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_QDISC_BYPASS = 20
TP_STATUS_VLAN_VALID = 0x10
TP_STATUS_VLAN_TPID_VALID = 0x40
PACKET_OUTGOING = 4
# struct tpacket_auxdata: status, len, snaplen (u32); mac, net,
# vlan_tci, vlan_tpid (u16)
AUXDATA = struct.Struct("=IIIHHHH")
BUSY = (errno.ENOBUFS, errno.EAGAIN)


def die(msg):
    print(f"rawsock: {msg}", file=sys.stderr)
    sys.exit(2)


def frame_of(text):
    h = "".join(text.split()).replace(":", "")
    try:
        b = bytes.fromhex(h)
    except ValueError as e:
        raise ValueError(f"bad hex frame {text!r}: {e}") from None
    if len(b) < 14:
        raise ValueError(f"a frame needs at least 14 bytes, got {len(b)}")
    return b


def tx_socket(iface, via_qdisc):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    # protocol 0: the socket receives nothing, so it never fills up
    s.bind((iface, 0))
    if not via_qdisc:
        s.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    return s


def cmd_send(a, say=None):
    say = say or (lambda m: print(m, file=sys.stderr))
    if len(a.pairs) % 2:
        say("rawsock: send takes IFACE HEX pairs")
        return 2
    try:
        frames = [(a.pairs[i], frame_of(a.pairs[i + 1]))
                  for i in range(0, len(a.pairs), 2)]
    except ValueError as e:
        say(f"rawsock: {e}")
        return 2
    socks = {}
    try:
        for iface, _ in frames:
            if iface not in socks:
                try:
                    socks[iface] = tx_socket(iface, a.via_qdisc)
                except OSError as e:
                    say(f"rawsock: {iface}: {e}")
                    return 2
        failed = 0
        for _ in range(a.count):
            for iface, frame in frames:
                # one refused frame does not keep the others from going out
                try:
                    n = socks[iface].send(frame)
                except OSError as e:
                    say(f"rawsock: send on {iface}: {e}")
                    failed += 1
                    continue
                if n != len(frame):
                    say(f"rawsock: short send on {iface}: {n} of "
                        f"{len(frame)} bytes")
                    failed += 1
        return 1 if failed else 0
    finally:
        for s in socks.values():
            s.close()


def restore_vlan(data, ancdata):
    for level, typ, cdata in ancdata:
        if level != SOL_PACKET or typ != PACKET_AUXDATA:
            continue
        if len(cdata) < AUXDATA.size:
            continue
        status, _, _, _, _, tci, tpid = AUXDATA.unpack_from(cdata)
        if not status & TP_STATUS_VLAN_VALID:
            continue
        if not status & TP_STATUS_VLAN_TPID_VALID:
            tpid = 0x8100
        return data[:12] + struct.pack("!HH", tpid, tci) + data[12:]
    return data


def rx_sockets(ifaces):
    socks = {}
    try:
        for iface in ifaces:
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                              socket.htons(ETH_P_ALL))
            socks[s] = iface
            s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.bind((iface, ETH_P_ALL))
    except OSError as e:
        for s in socks:
            s.close()
        raise OSError(e.errno, f"{iface}: {e.strerror}") from None
    return socks


CMSG_SPACE = socket.CMSG_SPACE(AUXDATA.size)


def receive(s, iface, a, flags=0):
    """The JSON line of the next frame on s; None when a filter drops it;
    raises BlockingIOError when there is none (with MSG_DONTWAIT)."""
    try:
        data, anc, _, addr = s.recvmsg(65536, CMSG_SPACE, flags)
    except BlockingIOError:
        raise
    except OSError as e:
        # the device went down or away under the socket
        print(f"rawsock: {iface}: {e}", file=sys.stderr)
        return None
    pkttype = addr[2]
    if a.outgoing_only and pkttype != PACKET_OUTGOING:
        return None
    if a.incoming_only and pkttype == PACKET_OUTGOING:
        return None
    data = restore_vlan(data, anc)
    return json.dumps({"pkttype": pkttype, "hex": data.hex(),
                       "ifname": iface})


def cmd_capture(a):
    try:
        socks = rx_sockets(a.ifaces)
    except OSError as e:
        die(str(e))
    if a.ready_file:
        with open(a.ready_file, "w"):
            pass
    deadline = time.monotonic() + a.timeout * SCALE
    got = 0
    while got < a.count:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(list(socks), [], [], left)
        for s in ready:
            if got >= a.count:
                break
            line = receive(s, socks[s], a)
            if line is not None:
                print(line, flush=True)
                got += 1
    return 0


class Batch:
    """rawsock.py batch: the commands of one scenario in one process."""

    def __init__(self, parser):
        self.parser = parser
        self.socks = {}
        self.filt = None
        self.daemon = None

    def close(self):
        for s in self.socks:
            s.close()
        self.socks = {}

    def run(self, words, say):
        if words[0] == "send":
            a = self.parser["send"].parse_args(words[1:])
            return cmd_send(a, say)
        if words[0] == "capture":
            a = self.parser["capture"].parse_args(words[1:])
            self.close()
            try:
                self.socks = rx_sockets(a.ifaces)
            except OSError as e:
                say(f"rawsock: {e}")
                return 2
            self.filt = a
            return 0
        if words[0] == "stop":
            a = self.parser["stop"].parse_args(words[1:])
            time.sleep(a.grace * SCALE)  # frames still on their way (scaled)
            for s, iface in self.socks.items():
                while True:
                    try:
                        line = receive(s, iface, self.filt, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        break
                    if line is not None:
                        say(line)
            self.close()
            return 0
        if words[0] == "daemon-carrier" and len(words) >= 3:
            if self.daemon is None:
                d = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                try:
                    d.connect("\0" + words[1])
                except OSError as e:
                    d.close()
                    say(f"rawsock: side-band of {words[1]}: {e}")
                    return 1
                self.daemon = d
            for xid in words[2:]:
                # header: 14 zero bytes, version 2, kind 9 (CARRIER);
                # body: xid u32, flag u8, pad[3]
                self.daemon.send(bytes(14) + bytes([2, 9]) +
                                 struct.pack("=IB3x", int(xid), 1))
            return 0
        if words[0] == "daemon-close":
            if self.daemon is not None:
                self.daemon.close()
                self.daemon = None
            return 0
        say(f"rawsock: unknown batch command {words[0]!r}")
        return 2

    def loop(self):
        out = sys.stdout

        def say(m):
            out.write(m + "\n")

        for line in sys.stdin:
            words = line.split()
            if not words:
                continue
            try:
                st = self.run(words, say)
            except SystemExit as e:  # argparse refused the command
                st = e.code if isinstance(e.code, int) else 2
            except Exception as e:  # keep serving the scenario
                say(f"rawsock: {words[0]}: {e!r}")
                st = 2
            out.write(f"= {st}\n")
            out.flush()
        self.close()
        return 0


def sendmmsg_batch(sock, frame, batch):
    """A function that sends up to `batch` copies of frame with one
    sendmmsg(2); None when libc has none."""
    import ctypes
    import ctypes.util

    class Iovec(ctypes.Structure):
        _fields_ = [("iov_base", ctypes.c_void_p),
                    ("iov_len", ctypes.c_size_t)]

    class Msghdr(ctypes.Structure):
        _fields_ = [("msg_name", ctypes.c_void_p),
                    ("msg_namelen", ctypes.c_uint32),
                    ("msg_iov", ctypes.POINTER(Iovec)),
                    ("msg_iovlen", ctypes.c_size_t),
                    ("msg_control", ctypes.c_void_p),
                    ("msg_controllen", ctypes.c_size_t),
                    ("msg_flags", ctypes.c_int)]

    class Mmsghdr(ctypes.Structure):
        _fields_ = [("msg_hdr", Msghdr), ("msg_len", ctypes.c_uint)]

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6",
                           use_errno=True)
        fn = libc.sendmmsg
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.POINTER(Mmsghdr), ctypes.c_uint,
                   ctypes.c_int]
    fn.restype = ctypes.c_int
    buf = ctypes.create_string_buffer(frame, len(frame))
    iov = Iovec(ctypes.cast(buf, ctypes.c_void_p), len(frame))
    msgs = (Mmsghdr * batch)()
    for m in msgs:
        m.msg_hdr.msg_iov = ctypes.pointer(iov)
        m.msg_hdr.msg_iovlen = 1
    fd = sock.fileno()

    def send(n):
        r = fn(fd, msgs, n, 0)
        if r < 0:
            raise OSError(ctypes.get_errno(), "sendmmsg")
        return r
    send.keep = (buf, iov, msgs)
    return send


def cmd_flood(a):
    try:
        frame = frame_of(a.hex)
    except ValueError as e:
        die(str(e))
    if a.count <= 0 and a.seconds <= 0:
        die("flood needs --count or --seconds")
    s = tx_socket(a.iface, a.via_qdisc)
    limit = a.count if a.count > 0 else float("inf")
    batch = 256

    send = sendmmsg_batch(s, frame, batch)
    if send is None:
        def send(n):
            for i in range(n):
                try:
                    s.send(frame)
                except OSError:
                    if i:
                        return i
                    raise
            return n

    sent = busy = 0
    t0 = time.monotonic()
    end = t0 + a.seconds if a.seconds > 0 else float("inf")
    while sent < limit and time.monotonic() < end:
        try:
            sent += send(int(min(batch, limit - sent)))
        except OSError as e:
            if e.errno not in BUSY:
                die(f"flood on {a.iface}: {e}")
            busy += 1
    t = time.monotonic() - t0
    print(json.dumps({"sent": sent, "seconds": round(t, 6),
                      "fps": round(sent / t) if t > 0 else 0,
                      "busy": busy}))
    return 0


def main():
    p = argparse.ArgumentParser(prog="rawsock.py", description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("send", help="write frames")
    s.add_argument("pairs", nargs="+", metavar="IFACE HEX")
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--via-qdisc", action="store_true",
                   help="through the device's qdisc (default: bypass it)")
    s.set_defaults(fn=cmd_send)

    c = sub.add_parser("capture", help="print frames as JSON lines")
    c.add_argument("ifaces", nargs="+", metavar="IFACE")
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--timeout", type=float, required=True)
    g = c.add_mutually_exclusive_group()
    g.add_argument("--outgoing-only", action="store_true")
    g.add_argument("--incoming-only", action="store_true")
    c.add_argument("--ready-file")
    c.set_defaults(fn=cmd_capture)

    f = sub.add_parser("flood", help="write one frame many times")
    f.add_argument("iface")
    f.add_argument("hex")
    f.add_argument("--count", type=int, default=0)
    f.add_argument("--seconds", type=float, default=0)
    f.add_argument("--via-qdisc", action="store_true",
                   help="through the device's qdisc (default: bypass it)")
    f.set_defaults(fn=cmd_flood)

    b = sub.add_parser("batch", help="commands from stdin, one process")
    b.set_defaults(fn=None)

    if len(sys.argv) > 1 and sys.argv[1] == "batch":
        st = argparse.ArgumentParser(prog="stop")
        st.add_argument("--grace", type=float, default=0.1)
        bc = argparse.ArgumentParser(prog="capture")
        bc.add_argument("ifaces", nargs="+", metavar="IFACE")
        g = bc.add_mutually_exclusive_group()
        g.add_argument("--outgoing-only", action="store_true")
        g.add_argument("--incoming-only", action="store_true")
        return Batch({"send": s, "capture": bc, "stop": st}).loop()

    a = p.parse_args()
    return a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
