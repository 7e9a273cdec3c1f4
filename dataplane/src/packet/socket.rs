//! A raw `AF_PACKET` socket bound to one netdev, with a memory-mapped
//! receive ring, transmitting in batches with `sendmmsg`.
//!
//! nix has no wrappers for the `SOL_PACKET` options or `sockaddr_ll`, so
//! those few calls are raw libc, each in a small function of its own.

use std::mem::size_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};

use super::ring::{RingConfig, RingVersion, RxRing};
use crate::error::Error;

/// The netdev a packet socket binds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Iface {
    /// By name, looked up when the socket is opened.
    Name(String),
    /// By ifindex.
    Index(u32),
}

impl Iface {
    /// The ifindex, looking the name up in the caller's network namespace.
    pub fn index(&self) -> Result<u32, Error> {
        match self {
            Iface::Index(0) => Err(Error::InvalidArgument("ifindex 0")),
            Iface::Index(i) => Ok(*i),
            Iface::Name(n) => {
                if n.is_empty() || n.len() >= libc::IFNAMSIZ || n.contains('\0') {
                    return Err(Error::InvalidArgument("bad interface name"));
                }
                nix::net::if_::if_nametoindex(n.as_str()).map_err(|e| {
                    Error::described(
                        e as i32,
                        format!("no interface {n} in this network namespace: {e}"),
                    )
                })
            }
        }
    }
}

/// A raw packet socket bound to one netdev.
#[derive(Debug)]
pub struct PacketSocket {
    fd: OwnedFd,
    ifindex: u32,
}

const ETH_P_ALL_BE: u16 = (libc::ETH_P_ALL as u16).to_be();

impl PacketSocket {
    /// Opens a non-blocking packet socket on `iface` with a receive ring.
    ///
    /// The socket is created with protocol 0 (receiving nothing), given its
    /// ring, and only then bound with `ETH_P_ALL` to the netdev, so that
    /// no frame of another netdev ever reaches the ring.
    pub fn open(iface: &Iface, ring: &RingConfig) -> Result<(PacketSocket, RxRing), Error> {
        let ifindex = iface.index()?;
        ring.validate()?;
        let fd = socket(
            AddressFamily::Packet,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            None,
        )
        .map_err(|e| {
            if e == Errno::EPERM {
                Error::described(
                    libc::EPERM,
                    "cannot open a packet socket: needs CAP_NET_RAW (run SWITCHD as root)",
                )
            } else {
                e.into()
            }
        })?;
        let version = match ring.version {
            RingVersion::V2 => libc::tpacket_versions::TPACKET_V2,
            RingVersion::V3 => libc::tpacket_versions::TPACKET_V3,
        } as libc::c_int;
        setsockopt(fd.as_fd(), libc::PACKET_VERSION, &version)?;
        match ring.version {
            RingVersion::V2 => setsockopt(fd.as_fd(), libc::PACKET_RX_RING, &ring.req())?,
            RingVersion::V3 => setsockopt(fd.as_fd(), libc::PACKET_RX_RING, &ring.req3())?,
        }
        let rx = RxRing::map(fd.as_fd(), ring)?;
        bind(fd.as_fd(), ifindex)?;
        Ok((PacketSocket { fd, ifindex }, rx))
    }

    /// The ifindex the socket is bound to.
    pub fn ifindex(&self) -> u32 {
        self.ifindex
    }

    /// The socket, for poll.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Frames the kernel dropped because the ring was full since the last
    /// call (reading `PACKET_STATISTICS` resets it).
    pub fn take_drops(&self) -> Result<u64, Error> {
        let mut st = libc::tpacket_stats_v3 {
            tp_packets: 0,
            tp_drops: 0,
            tp_freeze_q_cnt: 0,
        };
        getsockopt(self.fd.as_fd(), libc::PACKET_STATISTICS, &mut st)?;
        Ok(u64::from(st.tp_drops))
    }

    /// Puts the netdev in promiscuous mode for as long as the socket is
    /// open (`PACKET_MR_PROMISC`): a switch port receives every frame on its
    /// wire, not only those for its own MAC address.
    pub fn set_promisc(&self) -> Result<(), Error> {
        let mr = libc::packet_mreq {
            mr_ifindex: self.ifindex as i32,
            mr_type: libc::PACKET_MR_PROMISC as u16,
            mr_alen: 0,
            mr_address: [0; 8],
        };
        setsockopt(self.fd.as_fd(), libc::PACKET_ADD_MEMBERSHIP, &mr)
    }

    /// True when the netdev named `ifname`, in the socket's network
    /// namespace, is operationally up (`IFF_RUNNING`: up and with
    /// carrier). Asked through this socket rather than sysfs, whose view
    /// is the namespace that mounted it, not the caller's.
    pub fn running(&self, ifname: &str) -> Result<bool, Error> {
        // SAFETY: ifreq is a plain C struct (name bytes and a union of
        // plain fields) for which all-zero bytes are valid.
        let mut ifr: libc::ifreq = unsafe { std::mem::zeroed() };
        if ifname.len() >= ifr.ifr_name.len() {
            return Err(Error::InvalidArgument("bad interface name"));
        }
        for (d, s) in ifr.ifr_name.iter_mut().zip(ifname.bytes()) {
            *d = s as libc::c_char;
        }
        // SAFETY: SIOCGIFFLAGS reads the NUL-terminated name from ifr and
        // writes only ifr_flags into it; ifr is a live ifreq we own for the
        // call, and fd is an open socket.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), libc::SIOCGIFFLAGS, &mut ifr) };
        Errno::result(r).map_err(Error::from)?;
        // SAFETY: after a successful SIOCGIFFLAGS, ifr_flags is the
        // member the kernel wrote.
        let flags = unsafe { ifr.ifr_ifru.ifru_flags };
        Ok(i32::from(flags) & libc::IFF_RUNNING != 0)
    }

    /// Sends `frames` with one `sendmmsg`; returns how many the kernel
    /// took (a prefix of `frames`). `scratch` holds the message headers
    /// between calls so that a batch allocates nothing once warmed up.
    pub fn send_batch(&self, frames: &[&[u8]], scratch: &mut SendScratch) -> Result<usize, Errno> {
        if frames.is_empty() {
            return Ok(0);
        }
        sendmmsg(self.fd.as_fd(), frames, scratch)
    }
}

/// Message headers reused by [`PacketSocket::send_batch`].
#[derive(Default)]
pub struct SendScratch {
    iovs: Vec<libc::iovec>,
    hdrs: Vec<libc::mmsghdr>,
}

// SAFETY: the raw pointers inside are only written and used during one
// sendmmsg() call, which borrows the frames they point to; between calls
// they dangle unused, so moving the scratch to another thread is harmless.
unsafe impl Send for SendScratch {}

/// `setsockopt(fd, SOL_PACKET, name, value)`.
fn setsockopt<T: Copy>(fd: BorrowedFd<'_>, name: libc::c_int, value: &T) -> Result<(), Error> {
    // SAFETY: value points to a live, initialised T of size_of::<T>() bytes
    // that the kernel only reads; fd is an open socket borrowed for the
    // call. The T used here are plain C structs (tpacket_req, tpacket_req3)
    // or a c_int, as the option expects.
    let r = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            name,
            (value as *const T).cast(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    Errno::result(r).map(drop).map_err(Error::from)
}

/// `getsockopt(fd, SOL_PACKET, name, value)`.
fn getsockopt<T: Copy>(fd: BorrowedFd<'_>, name: libc::c_int, value: &mut T) -> Result<(), Error> {
    let mut len = size_of::<T>() as libc::socklen_t;
    // SAFETY: value points to a live T of len bytes that we own exclusively
    // for the call; the kernel writes at most len bytes and stores the
    // length written in len. T is a plain C struct (any bytes are valid).
    let r = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_PACKET,
            name,
            (value as *mut T).cast(),
            &mut len,
        )
    };
    Errno::result(r).map(drop).map_err(Error::from)
}

/// Binds the socket to every protocol on `ifindex`.
fn bind(fd: BorrowedFd<'_>, ifindex: u32) -> Result<(), Error> {
    let sll = libc::sockaddr_ll {
        sll_family: libc::AF_PACKET as u16,
        sll_protocol: ETH_P_ALL_BE,
        sll_ifindex: ifindex as i32,
        sll_hatype: 0,
        sll_pkttype: 0,
        sll_halen: 0,
        sll_addr: [0; 8],
    };
    // SAFETY: sll is a live, initialised sockaddr_ll and the length passed
    // is its size; the kernel only reads it. fd is an open socket.
    let r = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    Errno::result(r).map(drop).map_err(Error::from)
}

/// One `sendmmsg` of `frames` on a bound packet socket (no addresses).
fn sendmmsg(fd: BorrowedFd<'_>, frames: &[&[u8]], s: &mut SendScratch) -> Result<usize, Errno> {
    let n = frames.len().min(libc::UIO_MAXIOV as usize);
    s.iovs.clear();
    s.iovs.extend(frames[..n].iter().map(|f| libc::iovec {
        iov_base: f.as_ptr() as *mut libc::c_void,
        iov_len: f.len(),
    }));
    s.hdrs.clear();
    for iov in s.iovs.iter_mut() {
        // SAFETY: mmsghdr is a plain C struct for which all-zero bytes are
        // valid (null pointers, zero lengths).
        let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
        h.msg_hdr.msg_iov = iov;
        h.msg_hdr.msg_iovlen = 1;
        s.hdrs.push(h);
    }
    // SAFETY: hdrs holds n initialised headers, each pointing to one iovec
    // in iovs, which point into the frames borrowed for this call; the
    // kernel reads the frames and iovecs and writes only msg_len into the
    // headers, which we own. Neither vector is resized during the call.
    let r = unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            s.hdrs.as_mut_ptr(),
            n as libc::c_uint,
            libc::MSG_DONTWAIT,
        )
    };
    Errno::result(r).map(|sent| sent as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iface_index_checks_its_input() {
        assert!(Iface::Index(0).index().is_err());
        assert_eq!(Iface::Index(7).index(), Ok(7));
        assert!(Iface::Name(String::new()).index().is_err());
        assert!(Iface::Name("x".repeat(16)).index().is_err());
        assert!(Iface::Name("a\0b".into()).index().is_err());
        assert_eq!(Iface::Name("lo".into()).index(), Ok(1));
        let e = Iface::Name("xeth-no-such".into()).index().unwrap_err();
        assert_eq!(e.errno(), libc::ENODEV);
        assert!(e.to_string().contains("no interface xeth-no-such"), "{e}");
    }

    #[test]
    fn sockopts_and_sendmmsg_on_loopback() {
        if !super::super::testnet::is_root() {
            eprintln!("SKIP: needs root for a packet socket");
            return;
        }
        let (sock, _ring) =
            PacketSocket::open(&Iface::Name("lo".into()), &RingConfig::default()).unwrap();
        assert_eq!(sock.ifindex(), 1);
        assert_eq!(sock.take_drops(), Ok(0));
        // Two frames to nowhere on lo (an unused ethertype).
        let mut f = vec![0u8; 60];
        f[12..14].copy_from_slice(&[0x88, 0xb5]);
        let mut scratch = SendScratch::default();
        assert_eq!(sock.send_batch(&[&f, &f], &mut scratch), Ok(2));
        assert_eq!(sock.send_batch(&[], &mut scratch), Ok(0));
        // Too short for an Ethernet header: the kernel refuses it.
        assert_eq!(
            sock.send_batch(&[&f[..5]], &mut scratch),
            Err(Errno::EINVAL)
        );
        // getsockopt with an unknown option is an error, not garbage.
        let mut v = 0i32;
        assert!(getsockopt(sock.fd(), 9999, &mut v).is_err());
        assert!(setsockopt(sock.fd(), libc::PACKET_VERSION, &99i32).is_err());
    }
}
