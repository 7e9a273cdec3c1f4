"""The ethtool ioctls (SIOCETHTOOL), as ethtool makes them."""
import ctypes
import fcntl
import socket
import struct

SIOCETHTOOL = 0x8946
ETHTOOL_GDRVINFO, ETHTOOL_GLINK, ETHTOOL_GSTRINGS, ETHTOOL_GSTATS = 0x03, 0x0a, 0x1b, 0x1d
ETHTOOL_GPFLAGS, ETHTOOL_SPFLAGS, ETHTOOL_GSSET_INFO = 0x27, 0x28, 0x37
ETHTOOL_GFEATURES, ETHTOOL_SFEATURES, ETHTOOL_GMODULEINFO = 0x3a, 0x3b, 0x42
ETHTOOL_GLINKSETTINGS, ETHTOOL_SLINKSETTINGS = 0x4c, 0x4d
ETH_SS_STATS, ETH_SS_PRIV_FLAGS, ETH_SS_FEATURES = 1, 2, 4
LINKSETTINGS = struct.Struct("=IIBBBBBBBbBBBB7I")


class Ethtool:
    """The ethtool ioctls, on a socket of the namespace it is made in."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def close(self):
        self.s.close()

    def call(self, dev, buf):
        """buf: a ctypes buffer the kernel reads and writes in place."""
        ifr = struct.pack("=16sQ", dev.encode(), ctypes.addressof(buf)) + bytes(16)
        fcntl.ioctl(self.s.fileno(), SIOCETHTOOL, ifr)

    def count(self, dev, sset):
        """Strings in a set, None when the device has no such set."""
        buf = ctypes.create_string_buffer(struct.pack("=IIQI", ETHTOOL_GSSET_INFO, 0, 1 << sset, 0))
        self.call(dev, buf)
        _, _, mask, n = struct.unpack("=IIQI", buf.raw[:20])
        return n if mask >> sset & 1 else None

    def strings(self, dev, sset, n):
        """The set's strings. The kernel writes as many as it has now, or
        none when n is not that number: never past a buffer of n."""
        buf = ctypes.create_string_buffer(struct.pack("=III", ETHTOOL_GSTRINGS, sset, n) + bytes(32 * n))
        self.call(dev, buf)
        got = struct.unpack("=III", buf.raw[:12])[2]
        return [buf.raw[12 + 32 * i:44 + 32 * i].rstrip(b"\0").decode(errors="replace") for i in range(got)]

    def stats(self, dev):
        """{name: value} of ethtool -S. GSTATS writes as many values as the
        device has now, whatever n says: the buffer has room to spare."""
        n = self.count(dev, ETH_SS_STATS)
        if not n:
            return {}
        names = self.strings(dev, ETH_SS_STATS, n)
        buf = ctypes.create_string_buffer(struct.pack("=II", ETHTOOL_GSTATS, n) + bytes(8 * (n + 64)))
        self.call(dev, buf)
        got = struct.unpack("=II", buf.raw[:8])[1]
        vals = struct.unpack_from(f"={got}Q", buf.raw, 8)
        return dict(zip(names, vals))

    def value(self, dev, cmd, data=0):
        buf = ctypes.create_string_buffer(struct.pack("=II", cmd, data))
        self.call(dev, buf)
        return struct.unpack("=II", buf.raw[:8])[1]

    def plain(self, dev, cmd, size):
        buf = ctypes.create_string_buffer(struct.pack("=I", cmd) + bytes(size))
        self.call(dev, buf)

    def set_features(self, dev, words, valid, requested):
        blocks = b"".join(struct.pack("=II", valid >> 32 * i & 0xffffffff,
                                      requested >> 32 * i & 0xffffffff) for i in range(words))
        buf = ctypes.create_string_buffer(struct.pack("=II", ETHTOOL_SFEATURES, words) + blocks)
        self.call(dev, buf)

    def link_settings(self, dev):
        """(fields, nwords, masks) after ethtool's nwords handshake."""
        buf = ctypes.create_string_buffer(LINKSETTINGS.pack(ETHTOOL_GLINKSETTINGS, *[0] * 20) + bytes(96))
        self.call(dev, buf)
        f = list(LINKSETTINGS.unpack(buf.raw[:48]))
        nw = -f[9]
        if nw <= 0:
            raise OSError(71, "no nwords handshake")
        f[9] = nw
        buf = ctypes.create_string_buffer(LINKSETTINGS.pack(*f) + bytes(12 * nw))
        self.call(dev, buf)
        f = list(LINKSETTINGS.unpack(buf.raw[:48]))
        return f, nw, list(struct.unpack_from(f"={3 * nw}I", buf.raw, 48))

    def set_link_settings(self, dev, f, masks):
        f = list(f)
        f[0] = ETHTOOL_SLINKSETTINGS
        buf = ctypes.create_string_buffer(LINKSETTINGS.pack(*f) + struct.pack(f"={len(masks)}I", *masks))
        self.call(dev, buf)
