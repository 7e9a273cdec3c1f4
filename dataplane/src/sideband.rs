//! The side-band connection to an xeth mux.
//!
//! The mux listens on the abstract `SOCK_SEQPACKET` address `@<mux name>`
//! in its network namespace (see `docs/protocol.md`). Deno cannot open
//! such sockets, so SWITCHD connects through this module and moves messages
//! in batches: one `recvmmsg` fills many messages into a caller-owned
//! buffer, one `sendmmsg` sends many. The socket is non-blocking; a caller
//! waits for readiness with [`Sideband::wait`], which a [`Sideband::wake`]
//! from any thread interrupts (so that a shutdown never hangs on an idle
//! kernel).

use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, UnixAddr};

use crate::error::Error;

/// Largest side-band message: a jumbo frame (docs/protocol.md, "Transport").
pub const MAX_MESSAGE: usize = crate::uapi::XETH_MSG_MAX_SIZE;

/// Longest interface name the kernel accepts, without its NUL (IFNAMSIZ-1).
pub const MAX_NAME: usize = libc::IFNAMSIZ - 1;

/// Most messages one [`Sideband::recv_batch`] or [`Sideband::send_batch`]
/// moves; it bounds the iovec and mmsghdr arrays kept on the stack.
pub const MAX_BATCH: usize = 256;

/// Readiness bits, as [`Sideband::wait`] takes and returns them.
pub mod ready {
    /// A message (or the end of the connection) can be received.
    pub const READABLE: u32 = 1;
    /// A message can be sent.
    pub const WRITABLE: u32 = 2;
    /// The kernel closed the connection (the mux went down, was deleted,
    /// or a newer daemon connected).
    pub const HANGUP: u32 = 4;
    /// [`super::Sideband::wake`] was called.
    pub const WOKEN: u32 = 8;
}

/// One connection to a mux's side-band socket.
#[derive(Debug)]
pub struct Sideband {
    sock: OwnedFd,
    wake: EventFd,
    name: String,
}

impl Sideband {
    /// Connects to `@name` in the caller's network namespace.
    pub fn connect(name: &str) -> Result<Sideband, Error> {
        check_name(name)?;
        let sock = socket::socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )?;
        let addr = UnixAddr::new_abstract(name.as_bytes())?;
        socket::connect(sock.as_raw_fd(), &addr).map_err(|e| connect_error(name, e))?;
        let wake = EventFd::from_flags(EfdFlags::EFD_NONBLOCK | EfdFlags::EFD_CLOEXEC)?;
        Ok(Sideband {
            sock,
            wake,
            name: name.to_owned(),
        })
    }

    /// The socket's file descriptor, for callers that watch readiness
    /// themselves. It stays owned by this connection.
    pub fn fd(&self) -> RawFd {
        self.sock.as_raw_fd()
    }

    /// The mux name this connection was made to.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Receives up to `lens.len()` messages without blocking.
    ///
    /// Messages are packed back to back at the start of `buf`; `lens[i]` is
    /// the length of the i-th. At most `buf.len() / MAX_MESSAGE` messages
    /// are taken per call, because each must have room for the largest one
    /// before the kernel says how long it is. Returns the number received,
    /// 0 when none is waiting, and `ECONNRESET` when the kernel closed the
    /// connection.
    pub fn recv_batch(&self, buf: &mut [u8], lens: &mut [u32]) -> Result<usize, Error> {
        let slots = (buf.len() / MAX_MESSAGE).min(lens.len()).min(MAX_BATCH);
        if slots == 0 {
            return Err(Error::InvalidArgument(
                "receive buffer must hold at least one 9728-byte message and one length",
            ));
        }
        let got = match recvmmsg_slots(self.sock.as_fd(), &mut buf[..slots * MAX_MESSAGE], lens) {
            Ok(n) => n,
            Err(Errno::EAGAIN) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        // A SEQPACKET peer that closed reads as one empty message; the
        // kernel never sends empty messages, so it only means the end.
        if got == 0 || lens[0] == 0 {
            return Err(self.closed());
        }
        // Messages after an empty one belong to no one: the connection
        // ended there. Deliver what came before it.
        let got = lens[..got].iter().position(|&l| l == 0).unwrap_or(got);
        compact(buf, &lens[..got]);
        Ok(got)
    }

    /// Sends the messages packed back to back in `buf` with lengths `lens`,
    /// without blocking. Returns how many were sent: fewer than asked (0
    /// included) when the socket is full; wait for [`ready::WRITABLE`] and
    /// send the rest.
    pub fn send_batch(&self, buf: &[u8], lens: &[u32]) -> Result<usize, Error> {
        let n = lens.len().min(MAX_BATCH);
        let total: usize = lens[..n].iter().map(|&l| l as usize).sum();
        if total > buf.len() {
            return Err(Error::InvalidArgument(
                "message lengths add up to more than the buffer",
            ));
        }
        if lens[..n]
            .iter()
            .any(|&l| l == 0 || l as usize > MAX_MESSAGE)
        {
            return Err(Error::InvalidArgument(
                "message length must be 1 to 9728 bytes",
            ));
        }
        if n == 0 {
            return Ok(0);
        }
        match sendmmsg_packed(self.sock.as_fd(), &buf[..total], &lens[..n]) {
            Ok(sent) => Ok(sent),
            Err(Errno::EAGAIN) => Ok(0),
            Err(Errno::EPIPE) | Err(Errno::ECONNRESET) | Err(Errno::ENOTCONN) => Err(self.closed()),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits until one of `want` ([`ready`] bits) holds, the connection is
    /// hung up, [`Sideband::wake`] is called, or `timeout_ms` passes (-1:
    /// no limit). Returns the [`ready`] bits that hold; 0 on timeout.
    pub fn wait(&self, want: u32, timeout_ms: i32) -> Result<u32, Error> {
        let mut events = PollFlags::empty();
        if want & ready::READABLE != 0 {
            events |= PollFlags::POLLIN;
        }
        if want & ready::WRITABLE != 0 {
            events |= PollFlags::POLLOUT;
        }
        let timeout = if timeout_ms < 0 {
            PollTimeout::NONE
        } else {
            PollTimeout::try_from(timeout_ms as u32)
                .map_err(|_| Error::InvalidArgument("timeout too large"))?
        };
        let mut fds = [
            PollFd::new(self.sock.as_fd(), events),
            PollFd::new(self.wake.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, timeout) {
            Ok(_) => {}
            // A signal is not an answer; the caller loops on 0.
            Err(Errno::EINTR) => return Ok(0),
            Err(e) => return Err(e.into()),
        }
        let sock = fds[0].revents().unwrap_or(PollFlags::empty());
        let woken = fds[1].revents().unwrap_or(PollFlags::empty());
        let mut out = 0;
        if sock.contains(PollFlags::POLLIN) {
            out |= ready::READABLE;
        }
        if sock.contains(PollFlags::POLLOUT) {
            out |= ready::WRITABLE;
        }
        if sock.intersects(PollFlags::POLLHUP | PollFlags::POLLERR) {
            out |= ready::HANGUP;
        }
        if woken.contains(PollFlags::POLLIN) {
            // Consume the wake so that the next wait blocks again; EAGAIN
            // means another waiter already consumed it.
            match self.wake.read() {
                Ok(_) | Err(Errno::EAGAIN) => {}
                Err(e) => return Err(e.into()),
            }
            out |= ready::WOKEN;
        }
        Ok(out)
    }

    /// Makes a current or the next [`Sideband::wait`] return with
    /// [`ready::WOKEN`]. Safe from any thread.
    pub fn wake(&self) -> Result<(), Error> {
        match self.wake.write(1) {
            // EAGAIN: the counter is saturated, so a wake is pending anyway.
            Ok(_) | Err(Errno::EAGAIN) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn closed(&self) -> Error {
        Error::described(
            libc::ECONNRESET,
            format!(
                "side-band @{} closed by the kernel (mux down or deleted, or another daemon connected); reconnect and dump again",
                self.name
            ),
        )
    }
}

/// The bit of the side-band extension `ext` (`fib-offload`, ...) if the
/// mux `mux` offers it: its `/sys/class/net/<mux>/xeth/extensions` lists
/// one `<bit> <name>` per line (docs/protocol.md, "Extensions"). None when
/// it does not, or has no such file (an older module, or no such mux).
pub fn extension_bit(mux: &str, ext: &str) -> Result<Option<u32>, Error> {
    check_name(mux)?;
    let path = format!("/sys/class/net/{mux}/xeth/extensions");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    Ok(parse_extensions(&text)
        .into_iter()
        .find(|(_, n)| n == ext)
        .map(|(b, _)| b))
}

/// The `<bit> <name>` lines of an extensions file; others are skipped.
fn parse_extensions(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|l| {
            let (bit, name) = l.trim().split_once(' ')?;
            let bit: u32 = bit.parse().ok()?;
            (bit < 64).then(|| (bit, name.trim().to_owned()))
        })
        .collect()
}

fn check_name(name: &str) -> Result<(), Error> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(Error::InvalidArgument(
            "mux name must be 1 to 15 bytes (an interface name)",
        ));
    }
    if name
        .bytes()
        .any(|b| b == 0 || b == b'/' || b.is_ascii_whitespace())
    {
        return Err(Error::InvalidArgument(
            "mux name must not contain NUL, '/' or white space",
        ));
    }
    Ok(())
}

fn connect_error(name: &str, e: Errno) -> Error {
    match e {
        Errno::ECONNREFUSED | Errno::ENOENT => Error::described(
            e as i32,
            format!(
                "nothing listens on @{name} in this network namespace: create the mux \
                 (ip link add {name} type xeth-mux) and set it up (ip link set {name} up)"
            ),
        ),
        Errno::EAGAIN => {
            Error::described(e as i32, format!("@{name} has a full accept queue; retry"))
        }
        _ => Error::described(
            e as i32,
            format!(
                "connect to @{name}: {}",
                std::io::Error::from_raw_os_error(e as i32)
            ),
        ),
    }
}

/// Moves the messages received into fixed `MAX_MESSAGE` slots of `buf`
/// back to back. Each message moves left or stays, so copying in order
/// never overwrites one not yet moved.
fn compact(buf: &mut [u8], lens: &[u32]) {
    let mut at = 0;
    for (i, &len) in lens.iter().enumerate() {
        let from = i * MAX_MESSAGE;
        let len = len as usize;
        if from != at {
            buf.copy_within(from..from + len, at);
        }
        at += len;
    }
}

/// `recvmmsg` into consecutive `MAX_MESSAGE` slots of `buf` (whose length
/// is a multiple of it, at most `MAX_BATCH` slots), with `MSG_DONTWAIT`.
/// Writes each message's length into `lens` and returns the count.
fn recvmmsg_slots(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &mut [u8],
    lens: &mut [u32],
) -> Result<usize, Errno> {
    let slots = buf.len() / MAX_MESSAGE;
    debug_assert!(slots <= MAX_BATCH && slots <= lens.len());
    let mut iov: [libc::iovec; MAX_BATCH] = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; MAX_BATCH];
    // SAFETY: mmsghdr is a plain C struct of pointers and integers, for
    // which all-zero bytes are a valid value (null pointers, zero lengths).
    let mut hdrs: [libc::mmsghdr; MAX_BATCH] = unsafe { std::mem::zeroed() };
    for (i, chunk) in buf.chunks_exact_mut(MAX_MESSAGE).enumerate() {
        iov[i].iov_base = chunk.as_mut_ptr().cast();
        iov[i].iov_len = chunk.len();
        hdrs[i].msg_hdr.msg_iov = &mut iov[i];
        hdrs[i].msg_hdr.msg_iovlen = 1;
    }
    // SAFETY: hdrs[..slots] each point at one iovec that covers a distinct
    // MAX_MESSAGE chunk of buf, which is borrowed mutably for this call;
    // names and control buffers are null with zero length; the kernel
    // writes at most iov_len bytes per message and msg_len per header.
    let n = unsafe {
        libc::recvmmsg(
            fd.as_raw_fd(),
            hdrs.as_mut_ptr(),
            slots as libc::c_uint,
            libc::MSG_DONTWAIT,
            std::ptr::null_mut(),
        )
    };
    let n = Errno::result(n)? as usize;
    for i in 0..n {
        // A message longer than a slot is cut short by the kernel; the
        // protocol caps messages at MAX_MESSAGE, so only a broken peer
        // does it, and the decoder will reject the short message.
        lens[i] = hdrs[i].msg_len;
    }
    Ok(n)
}

/// `sendmmsg` of the messages packed back to back in `buf` (exactly the
/// sum of `lens`, at most `MAX_BATCH` of them) with `MSG_DONTWAIT |
/// MSG_NOSIGNAL`. Returns how many were sent.
fn sendmmsg_packed(
    fd: std::os::fd::BorrowedFd<'_>,
    buf: &[u8],
    lens: &[u32],
) -> Result<usize, Errno> {
    debug_assert!(lens.len() <= MAX_BATCH);
    debug_assert_eq!(lens.iter().map(|&l| l as usize).sum::<usize>(), buf.len());
    let mut iov: [libc::iovec; MAX_BATCH] = [libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }; MAX_BATCH];
    // SAFETY: as in recvmmsg_slots, all-zero mmsghdrs are valid values.
    let mut hdrs: [libc::mmsghdr; MAX_BATCH] = unsafe { std::mem::zeroed() };
    let mut at = 0;
    for (i, &len) in lens.iter().enumerate() {
        let len = len as usize;
        // The kernel only reads through iov_base for sends; the cast to
        // *mut is what iovec's C type requires.
        iov[i].iov_base = buf[at..at + len].as_ptr() as *mut libc::c_void;
        iov[i].iov_len = len;
        hdrs[i].msg_hdr.msg_iov = &mut iov[i];
        hdrs[i].msg_hdr.msg_iovlen = 1;
        at += len;
    }
    // SAFETY: hdrs[..lens.len()] each point at one iovec covering a slice
    // of buf, which outlives the call; for a send the kernel only reads
    // those bytes and writes msg_len; names and control are null/zero.
    let n = unsafe {
        libc::sendmmsg(
            fd.as_raw_fd(),
            hdrs.as_mut_ptr(),
            lens.len() as libc::c_uint,
            libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
        )
    };
    Ok(Errno::result(n)? as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A listener on a unique abstract name, made by the test.
    struct Listener {
        fd: OwnedFd,
        name: String,
    }

    fn listener() -> Listener {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "xdpt{}.{}",
            std::process::id() % 100_000,
            N.fetch_add(1, Ordering::Relaxed)
        );
        let fd = socket::socket(
            AddressFamily::Unix,
            SockType::SeqPacket,
            SockFlag::SOCK_CLOEXEC,
            None,
        )
        .unwrap();
        let addr = UnixAddr::new_abstract(name.as_bytes()).unwrap();
        socket::bind(fd.as_raw_fd(), &addr).unwrap();
        socket::listen(&fd, socket::Backlog::new(4).unwrap()).unwrap();
        Listener { fd, name }
    }

    fn accept(l: &Listener) -> OwnedFd {
        socket::accept(&l.fd).unwrap()
    }

    fn send(fd: &OwnedFd, msg: &[u8]) {
        let n = socket::send(fd.as_raw_fd(), msg, socket::MsgFlags::empty()).unwrap();
        assert_eq!(n, msg.len());
    }

    fn message(i: usize, len: usize) -> Vec<u8> {
        (0..len).map(|j| (i * 31 + j) as u8).collect()
    }

    #[test]
    fn connect_to_nothing_says_what_to_do() {
        let e = Sideband::connect("xdpt-none-0").unwrap_err();
        assert_eq!(e.errno(), libc::ECONNREFUSED);
        let text = e.to_string();
        assert!(text.contains("nothing listens on @xdpt-none-0"), "{text}");
        assert!(text.contains("ip link set xdpt-none-0 up"), "{text}");
    }

    #[test]
    fn bad_names_are_rejected_before_connecting() {
        for bad in ["", "sixteen-bytes-xx", "a/b", "a b", "a\0b"] {
            let e = Sideband::connect(bad).unwrap_err();
            assert_eq!(e.errno(), libc::EINVAL, "{bad:?}");
        }
    }

    #[test]
    fn receives_many_messages_per_call_packed_in_order() {
        let l = listener();
        let sb = Sideband::connect(&l.name).unwrap();
        let peer = accept(&l);
        let sizes = [16usize, 9728, 40, 1, 300, 9728, 16];
        for (i, &s) in sizes.iter().enumerate() {
            send(&peer, &message(i, s));
        }
        let mut buf = vec![0u8; 4 * MAX_MESSAGE + 100];
        let mut lens = [0u32; 16];
        let mut got = Vec::new();
        let mut calls = 0;
        while got.len() < sizes.len() {
            let n = sb.recv_batch(&mut buf, &mut lens).unwrap();
            assert!(n <= 4, "more messages than slots: {n}");
            calls += 1;
            let mut at = 0;
            for &len in &lens[..n] {
                got.push(buf[at..at + len as usize].to_vec());
                at += len as usize;
            }
            assert!(calls < 10, "messages missing");
        }
        assert_eq!(calls, 2, "4 slots then 3 messages");
        for (i, &s) in sizes.iter().enumerate() {
            assert_eq!(got[i], message(i, s), "message {i}");
        }
        assert_eq!(sb.recv_batch(&mut buf, &mut lens).unwrap(), 0);
    }

    #[test]
    fn receive_buffer_must_hold_one_message() {
        let l = listener();
        let sb = Sideband::connect(&l.name).unwrap();
        let mut small = vec![0u8; MAX_MESSAGE - 1];
        let e = sb.recv_batch(&mut small, &mut [0u32; 4]).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        let mut buf = vec![0u8; MAX_MESSAGE];
        let e = sb.recv_batch(&mut buf, &mut []).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
    }

    #[test]
    fn peer_close_is_econnreset_after_pending_messages() {
        let l = listener();
        let sb = Sideband::connect(&l.name).unwrap();
        let peer = accept(&l);
        send(&peer, &message(1, 24));
        drop(peer);
        let mut buf = vec![0u8; 2 * MAX_MESSAGE];
        let mut lens = [0u32; 2];
        assert_eq!(sb.recv_batch(&mut buf, &mut lens).unwrap(), 1);
        assert_eq!(&buf[..24], &message(1, 24)[..]);
        let e = sb.recv_batch(&mut buf, &mut lens).unwrap_err();
        assert_eq!(e.errno(), libc::ECONNRESET);
        assert!(e.to_string().contains("reconnect and dump again"));
    }

    #[test]
    fn sends_a_batch_as_separate_messages() {
        let l = listener();
        let sb = Sideband::connect(&l.name).unwrap();
        let peer = accept(&l);
        let msgs: Vec<Vec<u8>> = (0..5).map(|i| message(i, 16 + 8 * i)).collect();
        let lens: Vec<u32> = msgs.iter().map(|m| m.len() as u32).collect();
        let packed: Vec<u8> = msgs.concat();
        assert_eq!(sb.send_batch(&packed, &lens).unwrap(), 5);
        for m in &msgs {
            let mut b = [0u8; 128];
            let n = socket::recv(peer.as_raw_fd(), &mut b, socket::MsgFlags::empty()).unwrap();
            assert_eq!(&b[..n], &m[..]);
        }
    }

    #[test]
    fn send_rejects_inconsistent_lengths() {
        let l = listener();
        let sb = Sideband::connect(&l.name).unwrap();
        let e = sb.send_batch(&[0u8; 10], &[8, 8]).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        let e = sb.send_batch(&[0u8; 10], &[0]).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        let big = vec![0u8; MAX_MESSAGE + 1];
        let e = sb.send_batch(&big, &[big.len() as u32]).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        assert_eq!(sb.send_batch(&[], &[]).unwrap(), 0);
    }

    #[test]
    fn send_to_a_full_socket_sends_part_then_nothing() {
        let l = listener();
        let sb = Sideband::connect(&l.name).unwrap();
        let _peer = accept(&l);
        let msg = vec![7u8; 4096];
        let lens = vec![4096u32; 64];
        let packed = msg.repeat(64);
        let mut total = 0;
        loop {
            let n = sb.send_batch(&packed, &lens).unwrap();
            if n == 0 {
                break;
            }
            total += n;
            assert!(total < 1_000_000, "socket never filled");
        }
        assert!(total > 0);
        assert_eq!(sb.wait(ready::WRITABLE, 0).unwrap() & ready::WRITABLE, 0);
    }

    #[test]
    fn send_after_peer_close_is_econnreset() {
        let l = listener();
        let sb = Sideband::connect(&l.name).unwrap();
        drop(accept(&l));
        let e = sb.send_batch(&[0u8; 16], &[16]).unwrap_err();
        assert_eq!(e.errno(), libc::ECONNRESET);
        assert_ne!(sb.wait(ready::READABLE, 0).unwrap() & ready::HANGUP, 0);
    }

    #[test]
    fn wait_reports_readable_timeout_and_wake() {
        let l = listener();
        let sb = Sideband::connect(&l.name).unwrap();
        let peer = accept(&l);
        assert_eq!(sb.wait(ready::READABLE, 10).unwrap(), 0);
        assert_eq!(
            sb.wait(ready::WRITABLE, 0).unwrap(),
            ready::WRITABLE,
            "an empty socket is writable"
        );
        send(&peer, &message(0, 16));
        assert_eq!(sb.wait(ready::READABLE, 1000).unwrap(), ready::READABLE);

        let sb = std::sync::Arc::new(sb);
        let waiter = {
            let sb = sb.clone();
            std::thread::spawn(move || sb.wait(0, -1).unwrap())
        };
        std::thread::sleep(std::time::Duration::from_millis(20));
        sb.wake().unwrap();
        assert_eq!(waiter.join().unwrap(), ready::WOKEN);
        // The wake was consumed: the next wait times out.
        assert_eq!(sb.wait(0, 0).unwrap(), 0);
    }

    #[test]
    fn extensions_file_lines_are_bits_and_names() {
        let text = "0 link-modes-ext\n1 fib-offload\nbad line\n64 past-u64\n\n";
        assert_eq!(
            parse_extensions(text),
            [(0, "link-modes-ext".into()), (1, "fib-offload".into())]
        );
        assert_eq!(extension_bit("xdpt-none-0", "fib-offload").unwrap(), None);
        assert!(extension_bit("a/b", "fib-offload").is_err());
    }

    #[test]
    fn compact_packs_slots() {
        let mut buf = vec![0u8; 3 * MAX_MESSAGE];
        buf[..2].copy_from_slice(b"ab");
        buf[MAX_MESSAGE..MAX_MESSAGE + 3].copy_from_slice(b"cde");
        buf[2 * MAX_MESSAGE] = b'f';
        compact(&mut buf, &[2, 3, 1]);
        assert_eq!(&buf[..6], b"abcdef");
    }
}
