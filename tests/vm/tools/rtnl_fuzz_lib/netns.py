"""Network namespaces, entered per thread, and named as the side-band
names them."""
import contextlib
import os

from .libc import LIBC, oserror

CLONE_NEWNET = 0x40000000
# the side-band's name of init_net (docs/protocol.md)
XETH_NET_INIT = 1


class Netns:
    """Enters a network namespace for the calling thread only (setns is per
    thread): sockets made inside belong to it. Each thread needs its own."""

    def __init__(self):
        self.home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)

    @contextlib.contextmanager
    def inside(self, ns):
        if not ns:
            yield
            return
        fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            if LIBC.setns(fd, CLONE_NEWNET):
                raise oserror()
        finally:
            os.close(fd)
        try:
            yield
        finally:
            if LIBC.setns(self.home, CLONE_NEWNET):
                raise SystemExit("rtnl_fuzz: cannot return to the initial namespace")


def net_id(ns):
    """A namespace as the side-band names it: 1 or its inode number."""
    return XETH_NET_INIT if not ns else os.stat(f"/run/netns/{ns}").st_ino
