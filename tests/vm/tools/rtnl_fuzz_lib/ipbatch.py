"""ip commands through long-lived `ip -force -batch -` processes, one per
namespace: a process start costs more than most operations under TCG."""
import os
import re
import select
import subprocess
import time

from .timescale import SCALE


class IpHung(Exception):
    """ip did not finish a batch (hung), or exited (exited=True)."""

    def __init__(self, text, exited=False):
        super().__init__(text)
        self.exited = exited


class IpProc:
    """`ip [-n NS] -force -batch -`, fed a batch at a time. A failed command
    makes ip print its error, then "Command failed -:LINE"; a batch ends
    with a command that always fails, so its line says the batch is done
    (stderr is unbuffered; stdout, which we do not need, is)."""

    MARK = "link show dev fz-mark"

    def __init__(self, ns):
        self.ns = ns
        args = ["ip"] + (["-n", ns] if ns else []) + ["-force", "-batch", "-"]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        self.lineno = 0
        self.buf = b""
        # ip keeps a cache of names and indexes; a move between namespaces
        # leaves it wrong (a device back in a namespace has a new index,
        # or another device has its old one), and `link show` refreshes it
        self.stale = False
        self.warnings = 0

    def close(self):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=30 * SCALE)
        except (OSError, subprocess.TimeoutExpired):
            self.p.kill()
            self.p.wait()

    def run(self, cmds, timeout):
        """Each command's error lines, None for those that succeeded."""
        if self.stale:
            cmds_sent = ["link show"] + cmds
            self.stale = False
        else:
            cmds_sent = cmds
        first = self.lineno + 1 + (len(cmds_sent) - len(cmds))
        self.lineno += len(cmds_sent) + 1
        mark = self.lineno
        data = "".join(c + "\n" for c in cmds_sent) + self.MARK + "\n"
        try:
            os.write(self.p.stdin.fileno(), data.encode())
        except BrokenPipeError:
            raise IpHung(f"ip {self.ns or 'init'} is gone (exit {self.p.poll()})", True)
        errs, pending = {}, []
        end = time.monotonic() + timeout
        fd = self.p.stderr.fileno()
        while True:
            while b"\n" in self.buf:
                raw, self.buf = self.buf.split(b"\n", 1)
                line = raw.decode(errors="replace")
                m = re.fullmatch(r"Command failed -:(\d+)", line)
                if m:
                    if int(m[1]) == mark:
                        return [errs.get(first + i) for i in range(len(cmds))]
                    errs[int(m[1])], pending = pending, []
                elif line.startswith("Warning:"):
                    self.warnings += 1
                else:
                    pending.append(line)
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise IpHung(f"ip {self.ns or 'init'} did not finish a batch in {timeout:.0f} s: " +
                             " ; ".join(cmds))
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                raise IpHung(f"ip {self.ns or 'init'} exited ({self.p.wait()}) during: " + " ; ".join(cmds), True)
            self.buf += chunk


def classify(lines):
    """What became of a command: ok; refused by the kernel with an extack
    message (ip prints "Error: MSG."), without one ("RTNETLINK answers:
    STRERROR"); or refused by ip before the kernel saw it (a name it could
    not resolve)."""
    if lines is None:
        return "ok", ""
    for line in lines:
        if line.startswith("RTNETLINK answers: "):
            return "nomsg", line[len("RTNETLINK answers: "):]
        if line.startswith("Error: "):
            return "msg", line[len("Error: "):]
    return "user", " / ".join(lines)[:160]
