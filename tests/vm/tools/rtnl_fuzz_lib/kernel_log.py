"""The kernel's log (/dev/kmsg) from the start of the run: splats with
the lines around them, and marks of the fuzzer's own."""
import collections
import os
import re

# The rig's splat patterns (tests/vm/verdict.ts), checked after every batch
# so that a splat is pinned to the operations that caused it.
SPLAT = re.compile("|".join([
    r"\bOops\b", r"\bBUG:", r"kernel BUG at", r"\bWARNING:",
    r"general protection fault", r"Kernel panic",
    r"possible (circular|recursive) locking", r"inconsistent lock state",
    r"suspicious RCU usage", r"rcu: INFO: .* stall",
    r"INFO: task .* blocked for more than", r"\bUBSAN:", r"\bKASAN:",
    r"\bkmemleak:.*unreferenced", r"refcount_t: ",
    r"unregister_netdevice: waiting for",
]))


class KernelLog:
    def __init__(self):
        self.kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
        os.lseek(self.kmsg, 0, os.SEEK_END)
        # the lines before a splat, and how many after it are still to keep
        self.tail = collections.deque(maxlen=30)
        self.splat_context = 0
        self.splats = []

    def scan(self):
        """Reads what the kernel logged since the last scan: the first splat
        line in it, or None."""
        first = None
        while True:
            try:
                rec = os.read(self.kmsg, 8192)
            except BlockingIOError:
                return first
            except BrokenPipeError:  # records overwritten before we read them
                continue
            msg = rec.decode(errors="replace").split(";", 1)[-1].split("\n", 1)[0]
            if self.splat_context:
                self.splats.append(msg)
                self.splat_context -= 1
            elif SPLAT.search(msg):
                self.splats.extend(["(before) " + m for m in self.tail])
                self.splats.append(msg)
                self.splat_context = 40
                first = first or msg
            self.tail.append(msg)

    @staticmethod
    def mark(text):
        """A line in the kernel's log: where the fuzzer was, for whoever
        reads the guest's dmesg."""
        try:
            fd = os.open("/dev/kmsg", os.O_WRONLY)
            os.write(fd, f"rtnl_fuzz: {text}\n".encode())
            os.close(fd)
        except OSError:
            pass
