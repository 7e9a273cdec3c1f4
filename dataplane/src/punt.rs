//! The exception path of a mux whose switch is a chip driven from user
//! space (unlinked-switch mode): a raw `AF_PACKET` socket on the mux.
//!
//! A [`Punt`] binds a packet socket to the mux, with a memory-mapped
//! receive ring (both from [`crate::packet`]), and runs one thread that
//!
//! * drains the ring, decapsulates each frame with [`crate::encap`] and
//!   hands it to a [`FrameSink`] (the caller's, given to
//!   [`Punt::open_with_sink`], or by default a [`capture::CaptureSink`]
//!   that counts and optionally keeps copies);
//! * transmits frames queued with [`Punt::send`], encapsulated, in batches
//!   of up to 64 per `sendmmsg`. Exceptions (frames with the exception
//!   mark, which the mux hands to the proxy's receive path: the way the
//!   switch sends a frame up to Linux) have their own queue and leave
//!   before any bulk frame ([`queue`] documents the policy).
//!
//! Frames never cross into TypeScript one by one: SWITCHD reads counters
//! ([`Punt::stats`]) and, for diagnostics and tests only, captured frames
//! in batches.
//!
//! The software SWITCH of switch-less mode does not use a punt: its own
//! thread owns a packet socket on the mux, reads proxy transmits and
//! writes exceptions there ([`crate::switch`]). `docs/architecture.md`
//! says which component carries exceptions in each mode.
//!
//! # Ring layout: TPACKET_V2, by measurement
//!
//! `cargo bench --bench punt_latency` (as root) sends
//! timestamped exceptions through a veth pair in a network namespace into
//! a punt and prints the time from just before `sendmmsg` on the peer to
//! the sink call on the punt thread. Three runs on the development host (2
//! cores shared with other work, kernel 6.18), in microseconds, median /
//! p99 (ranges over the runs):
//!
//! | pattern | V2 | V3, 1 ms retire timer | V3, kernel's timer |
//! |---|---|---|---|
//! | sparse, 1 frame per ms | 3.8-7.0 / 15-191 | 535-560 / 1051-2317 | 4013-4125 / 7988-7997 |
//! | bursts, 32 frames per 2 ms | 45-62 / 93-2925 | 520-636 / 1007-2808 | 4018-4252 / 8003-8385 |
//!
//! (The burst figures include sending the whole burst; the large p99s are
//! other load on the shared cores.) V3 with a 1 ms timer also lost frames
//! (4 and 15 of 1000, `rx_ring_drops`) in two of three sparse runs: every
//! block it retires holds one frame, so a short stall of the thread
//! freezes all four blocks.
//!
//! V3 hands a block over only when it is full or its retire timer (at
//! least 1 ms) fires, so a lone exception waits for the timer; V2 hands
//! over, and wakes the thread, per frame. Exceptions are sparse and
//! latency-sensitive, hence V2 is the default ([`RingConfig::default`]);
//! V3 stays selectable ([`RingConfig::v3`]).

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use nix::sys::eventfd::{EfdFlags, EventFd};

pub mod capture;
pub mod counters;
pub mod queue;
pub mod record;
mod worker;

pub use crate::packet::{Iface, RingConfig, RingVersion};
pub use capture::{CaptureQueue, Captured};
pub use counters::{Stats, STAT_NAMES};
pub use queue::Class;

use crate::encap::{encap_into, encapsulated_len, Encap};
use crate::error::Error;
use crate::packet::PacketSocket;
use counters::{add, Counters};
use queue::TxQueue;
use worker::Shared;

/// A decapsulated frame handed to a [`FrameSink`].
#[derive(Debug, Clone, Copy)]
pub struct RxFrame<'a> {
    /// The proxy's xid.
    pub xid: u32,
    /// PCP of the first tag or TC of the first label.
    pub priority: u8,
    /// The mux transmitted it (`PACKET_OUTGOING`): on a link-less mux,
    /// every proxy transmit.
    pub outgoing: bool,
    /// The proxy frame (destination, source, ethertype, payload). It lives
    /// in the receive ring and is valid only during the call.
    pub frame: &'a [u8],
}

impl RxFrame<'_> {
    /// True when it carried the exception mark.
    pub fn exception(&self) -> bool {
        self.priority == crate::encap::EXCEPTION_PRIORITY
    }
}

/// Where a punt's thread delivers received frames.
pub trait FrameSink: Send {
    /// One frame; called on the punt thread, in ring order.
    fn receive(&mut self, frame: &RxFrame<'_>);
    /// Called after each batch of [`FrameSink::receive`] calls (at most
    /// 256 frames, or one V3 block), e.g. to flush forwarded frames.
    fn end_batch(&mut self) {}
}

/// How to open a [`Punt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The mux netdev.
    pub iface: Iface,
    /// The mux's encapsulation.
    pub encap: Encap,
    /// The receive ring.
    pub ring: RingConfig,
    /// Bound of each transmit queue (exceptions, bulk), in frames.
    pub tx_queue: usize,
    /// Bound of the default sink's capture queue; 0 only counts.
    pub capture: usize,
}

impl Config {
    /// Defaults: V2 ring, 1024 frames per transmit queue, no capture.
    pub fn new(iface: Iface, encap: Encap) -> Config {
        Config {
            iface,
            encap,
            ring: RingConfig::default(),
            tx_queue: 1024,
            capture: 0,
        }
    }
}

/// An open punt socket and its thread; [`Punt::close`] (or drop) stops and
/// joins the thread.
pub struct Punt {
    shared: Arc<Shared>,
    capture: Arc<CaptureQueue>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Punt {
    /// Opens a punt whose received frames go to the default capture sink
    /// (counted, and kept when `cfg.capture` > 0).
    pub fn open(cfg: Config) -> Result<Punt, Error> {
        Self::open_inner(cfg, None)
    }

    /// Opens a punt whose received frames go to `sink`.
    pub fn open_with_sink(cfg: Config, sink: Box<dyn FrameSink>) -> Result<Punt, Error> {
        Self::open_inner(cfg, Some(sink))
    }

    fn open_inner(cfg: Config, sink: Option<Box<dyn FrameSink>>) -> Result<Punt, Error> {
        if cfg.tx_queue == 0 {
            return Err(Error::InvalidArgument("transmit queue bound must be > 0"));
        }
        let (socket, ring) = PacketSocket::open(&cfg.iface, &cfg.ring)?;
        let counters = Arc::new(Counters::default());
        let capture = Arc::new(CaptureQueue::new(if sink.is_some() {
            0
        } else {
            cfg.capture
        }));
        let sink = sink.unwrap_or_else(|| {
            Box::new(capture::CaptureSink::new(capture.clone(), counters.clone()))
        });
        let shared = Arc::new(Shared {
            encap: cfg.encap,
            socket,
            queue: TxQueue::new(cfg.tx_queue),
            counters,
            wake: EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?,
            wake_pending: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            failed: AtomicI32::new(0),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("xeth-punt".into())
            .spawn(move || worker::run(s, ring, sink))?;
        Ok(Punt {
            shared,
            capture,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// The mux's encapsulation.
    pub fn encap(&self) -> Encap {
        self.shared.encap
    }

    /// The ifindex of the mux.
    pub fn ifindex(&self) -> u32 {
        self.shared.socket.ifindex()
    }

    /// Queues the proxy frame `frame` of `xid` for transmission to the mux,
    /// encapsulated, with the exception mark when `exception` (then the mux
    /// hands it to the proxy's receive path instead of transmitting it).
    ///
    /// Fails with `EINVAL` for an xid the encapsulation cannot carry or a
    /// frame shorter than an Ethernet header, `ENOBUFS` when the queue of
    /// its class is full (counted as `tx_queue_drops`), `ESHUTDOWN` after
    /// [`Punt::close`].
    pub fn send(&self, xid: u32, exception: bool, frame: &[u8]) -> Result<(), Error> {
        self.check_running()?;
        let s = &self.shared;
        let mut buf = s.queue.buffer();
        buf.resize(encapsulated_len(s.encap, xid, frame.len())?, 0);
        encap_into(s.encap, xid, exception, frame, &mut buf)?;
        let class = if exception {
            Class::Exception
        } else {
            Class::Bulk
        };
        if s.queue.push(class, buf).is_err() {
            add(&s.counters.tx_queue_drops, 1);
            s.wake();
            return Err(Error::described(
                libc::ENOBUFS,
                "punt transmit queue full; the frame was dropped",
            ));
        }
        s.wake();
        Ok(())
    }

    fn check_running(&self) -> Result<(), Error> {
        if self.shared.stop.load(Ordering::SeqCst) {
            return Err(Error::described(libc::ESHUTDOWN, "punt socket is closed"));
        }
        match self.shared.failed.load(Ordering::SeqCst) {
            0 => Ok(()),
            e => Err(Error::described(
                e,
                format!(
                    "punt thread stopped: {}",
                    std::io::Error::from_raw_os_error(e)
                ),
            )),
        }
    }

    /// A snapshot of the counters. Reading it also collects the kernel's
    /// count of ring drops (`PACKET_STATISTICS`, which resets on read) into
    /// `rx_ring_drops`.
    pub fn stats(&self) -> Stats {
        if let Ok(d) = self.shared.socket.take_drops() {
            add(&self.shared.counters.rx_ring_drops, d);
        }
        self.shared.counters.snapshot()
    }

    /// The default sink's capture queue (empty when capture is off or a
    /// sink of the caller's receives the frames).
    pub fn captured(&self) -> &CaptureQueue {
        &self.capture
    }

    /// Stops the thread and waits for it; frames still queued get one
    /// last non-blocking flush. Later sends fail with `ESHUTDOWN`. Safe to
    /// call twice.
    pub fn close(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Written unconditionally: a pending flag may belong to a wake-up
        // the thread consumed before it saw stop.
        let _ = self.shared.wake.write(1);
        let handle = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }
}

impl Drop for Punt {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encap::{encap_into, OuterTag};
    use crate::packet::testnet::{is_root, VethNs};
    use crate::packet::SendScratch;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// A proxy frame: dst, src, an experimental ethertype, `n` bytes.
    fn inner(tag: u8, n: usize) -> Vec<u8> {
        let mut f = vec![0x02, 0, 0, 0, 0, 0xd, 0x02, 0, 0, 0, 0, tag, 0x88, 0xb5];
        f.extend((0..n).map(|i| (i as u8).wrapping_add(tag)));
        f
    }

    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let t = Instant::now();
        while !done() {
            assert!(
                t.elapsed() < Duration::from_secs(5),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn skip() -> bool {
        if is_root() {
            return false;
        }
        eprintln!("SKIP: punt veth tests need root (network namespaces, packet sockets)");
        true
    }

    /// A peer socket on the other end of the veth, to inject and observe
    /// raw frames.
    struct Peer {
        sock: PacketSocket,
        ring: crate::packet::RxRing,
        scratch: SendScratch,
    }

    impl Peer {
        fn open(ifname: &str) -> Peer {
            let (sock, ring) =
                PacketSocket::open(&Iface::Name(ifname.into()), &RingConfig::default()).unwrap();
            Peer {
                sock,
                ring,
                scratch: SendScratch::default(),
            }
        }

        fn send(&mut self, frames: &[&[u8]]) {
            let mut done = 0;
            while done < frames.len() {
                match self.sock.send_batch(&frames[done..], &mut self.scratch) {
                    Ok(n) => done += n,
                    Err(nix::errno::Errno::EAGAIN) => std::thread::yield_now(),
                    Err(e) => panic!("peer send: {e}"),
                }
            }
        }

        /// Frames as they were on the wire: a tag the kernel moved into
        /// metadata goes back where it was.
        fn recv(&mut self, want: usize) -> Vec<Vec<u8>> {
            let mut got = Vec::new();
            wait_for("frames at the peer", || {
                self.ring.drain(64, |s| got.push(wire(s.data, s.tag)));
                got.len() >= want
            });
            got
        }
    }

    fn wire(data: &[u8], tag: Option<OuterTag>) -> Vec<u8> {
        let mut v = data.to_vec();
        if let Some(t) = tag {
            let mut t4 = t.tpid.to_be_bytes().to_vec();
            t4.extend(t.tci.to_be_bytes());
            v.splice(12..12, t4);
        }
        v
    }

    fn encapped(encap: Encap, xid: u32, exception: bool, inner: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; encapsulated_len(encap, xid, inner.len()).unwrap()];
        encap_into(encap, xid, exception, inner, &mut out).unwrap();
        out
    }

    fn xids(encap: Encap) -> [u32; 3] {
        match encap {
            Encap::Vlan => [3999, 3000, 3999 | 100 << 12],
            Encap::Vpls => [3999, 70000, 3999 | 100 << 20],
        }
    }

    fn rx_case(encap: Encap, ring: RingConfig, tag: &str) {
        let net = VethNs::new(tag).unwrap();
        let a = net.a.clone();
        let (punt, mut peer) = net.run_in(|| {
            let mut cfg = Config::new(Iface::Name(a), encap);
            cfg.ring = ring;
            cfg.capture = 64;
            (Punt::open(cfg).unwrap(), Peer::open(&net.b))
        });
        let mut frames = Vec::new();
        let mut want = Vec::new();
        for (k, xid) in xids(encap).into_iter().enumerate() {
            for exception in [false, true] {
                let i = inner(k as u8, 46 + k);
                frames.push(encapped(encap, xid, exception, &i));
                want.push((xid, exception, i));
            }
        }
        // A jumbo frame, and a frame that is not ours (untagged).
        let big = inner(9, 9000);
        frames.push(encapped(encap, xids(encap)[2], false, &big));
        want.push((xids(encap)[2], false, big));
        frames.push(inner(1, 50));
        let refs: Vec<&[u8]> = frames.iter().map(|f| &f[..]).collect();
        peer.send(&refs);
        wait_for("all frames counted", || {
            let s = punt.stats();
            s.rx_frames + s.rx_decap_errors >= frames.len() as u64
        });
        let s = punt.stats();
        assert_eq!(s.rx_frames, want.len() as u64);
        assert_eq!(s.rx_decap_errors, 1);
        assert_eq!(s.rx_truncated + s.rx_ring_drops, 0);
        assert_eq!(
            s.rx_bytes,
            frames[..want.len()]
                .iter()
                .map(|f| f.len() as u64)
                .sum::<u64>()
        );
        for (xid, exception, i) in want {
            let c = punt.captured().pop().expect("a captured frame");
            assert_eq!((c.xid, c.exception(), c.outgoing), (xid, exception, false));
            assert_eq!(c.frame, i, "xid {xid:#x}");
        }
        assert!(punt.captured().is_empty());
    }

    #[test]
    fn rx_vlan_v2() {
        if !skip() {
            rx_case(Encap::Vlan, RingConfig::default(), "rl2");
        }
    }

    #[test]
    fn rx_vpls_v2() {
        if !skip() {
            rx_case(Encap::Vpls, RingConfig::default(), "rp2");
        }
    }

    #[test]
    fn rx_vlan_v3() {
        if !skip() {
            rx_case(Encap::Vlan, RingConfig::v3(), "rl3");
        }
    }

    #[test]
    fn rx_vpls_v3() {
        if !skip() {
            rx_case(Encap::Vpls, RingConfig::v3(), "rp3");
        }
    }

    fn tx_case(encap: Encap, tag: &str) {
        let net = VethNs::new(tag).unwrap();
        let a = net.a.clone();
        let (punt, mut peer) = net.run_in(|| {
            (
                Punt::open(Config::new(Iface::Name(a), encap)).unwrap(),
                Peer::open(&net.b),
            )
        });
        let mut want = Vec::new();
        for (k, xid) in xids(encap).into_iter().enumerate() {
            for exception in [false, true] {
                let i = inner(k as u8, 50);
                punt.send(xid, exception, &i).unwrap();
                want.push(encapped(encap, xid, exception, &i));
            }
        }
        let mut got = peer.recv(want.len());
        // Exceptions may overtake bulk frames; within a class, order holds.
        let key = |f: &Vec<u8>| f.clone();
        got.sort_by_key(key);
        want.sort_by_key(key);
        assert_eq!(got, want);
        let s = punt.stats();
        assert_eq!((s.tx_frames, s.tx_exceptions, s.tx_errors), (6, 3, 0));
        assert_eq!(s.tx_bytes, want.iter().map(|f| f.len() as u64).sum::<u64>());
        assert!(s.tx_batches >= 1 && s.tx_batches <= 6);
        // The mark is where the uapi header puts it: PCP of the first tag,
        // TC of the first label.
        let marked = |f: &Vec<u8>| match encap {
            Encap::Vlan => f[14] >> 5 == 7,
            Encap::Vpls => (f[16] >> 1) & 7 == 7,
        };
        assert_eq!(got.iter().filter(|f| marked(f)).count(), 3);
    }

    #[test]
    fn tx_vlan() {
        if !skip() {
            tx_case(Encap::Vlan, "tl");
        }
    }

    #[test]
    fn tx_vpls() {
        if !skip() {
            tx_case(Encap::Vpls, "tp");
        }
    }

    /// A sink that blocks on its first frame until told to go on.
    struct Gate {
        entered: mpsc::Sender<()>,
        go: mpsc::Receiver<()>,
        first: bool,
    }

    impl FrameSink for Gate {
        fn receive(&mut self, _: &RxFrame<'_>) {
            if self.first {
                self.first = false;
                self.entered.send(()).unwrap();
                self.go.recv().unwrap();
            }
        }
    }

    #[test]
    fn full_ring_drops_and_counters_add_up() {
        if skip() {
            return;
        }
        let net = VethNs::new("drop").unwrap();
        let a = net.a.clone();
        let (entered_tx, entered) = mpsc::channel();
        let (go, go_rx) = mpsc::channel();
        // 8 slots of 2 KiB.
        let ring = RingConfig {
            block_size: 4096,
            block_count: 4,
            frame_size: 2048,
            ..RingConfig::default()
        };
        let (punt, mut peer) = net.run_in(|| {
            let mut cfg = Config::new(Iface::Name(a), Encap::Vlan);
            cfg.ring = ring;
            let sink = Gate {
                entered: entered_tx,
                go: go_rx,
                first: true,
            };
            (
                Punt::open_with_sink(cfg, Box::new(sink)).unwrap(),
                Peer::open(&net.b),
            )
        });
        let f = encapped(Encap::Vlan, 5, false, &inner(0, 100));
        peer.send(&[&f]);
        entered.recv_timeout(Duration::from_secs(5)).unwrap();
        // The thread holds slot 0. Slot 1 takes a frame too long for it
        // (truncated), slots 2-7 six more frames, the other 13 are dropped.
        let long = encapped(Encap::Vlan, 5, false, &inner(0, 3000));
        let mut frames: Vec<&[u8]> = vec![&long];
        frames.extend(std::iter::repeat_n(&f[..], 19));
        peer.send(&frames);
        std::thread::sleep(Duration::from_millis(50));
        go.send(()).unwrap();
        wait_for("ring drained", || {
            let s = punt.stats();
            s.rx_frames + s.rx_truncated + s.rx_ring_drops >= 21
        });
        let s = punt.stats();
        assert_eq!(s.rx_frames + s.rx_truncated + s.rx_ring_drops, 21);
        assert_eq!(s.rx_truncated, 1);
        assert_eq!(s.rx_ring_drops, 13);
        assert_eq!(s.rx_frames, 7);
        assert_eq!(s.rx_decap_errors, 0);
    }

    #[test]
    fn close_stops_and_joins_and_later_sends_fail() {
        if skip() {
            return;
        }
        let net = VethNs::new("cls").unwrap();
        let a = net.a.clone();
        let punt = net.run_in(|| Punt::open(Config::new(Iface::Name(a), Encap::Vlan)).unwrap());
        let t = Instant::now();
        punt.close();
        // the thread stops at once, not after some timeout of its own; the
        // bound is loose for a busy machine
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(punt.thread.lock().unwrap().is_none());
        let e = punt.send(5, false, &inner(0, 10)).unwrap_err();
        assert_eq!(e.errno(), libc::ESHUTDOWN);
        punt.close();
        drop(punt);
    }

    #[test]
    fn send_checks_its_input_and_bounds_its_queues() {
        if skip() {
            return;
        }
        let net = VethNs::new("snd").unwrap();
        let a = net.a.clone();
        // Queues of 2 frames: a burst from this thread outruns the punt
        // thread now and then; whatever is refused must be counted.
        let punt = net.run_in(|| {
            let mut cfg = Config::new(Iface::Name(a), Encap::Vpls);
            cfg.tx_queue = 2;
            Punt::open(cfg).unwrap()
        });
        assert_eq!(punt.encap(), Encap::Vpls);
        assert!(punt.ifindex() > 0);
        assert_eq!(
            punt.send(15, false, &inner(0, 10)),
            Err(crate::encap::XID_RANGE)
        );
        assert_eq!(
            punt.send(16, false, &inner(0, 10)[..13]),
            Err(crate::encap::SHORT_INNER)
        );
        let mut refused = 0u64;
        for _ in 0..2000 {
            match punt.send(16, false, &inner(0, 10)) {
                Ok(()) => {}
                Err(e) => {
                    assert_eq!(e.errno(), libc::ENOBUFS);
                    refused += 1;
                }
            }
        }
        wait_for("queue drained", || {
            let s = punt.stats();
            s.tx_frames + s.tx_errors + refused >= 2000
        });
        let s = punt.stats();
        assert_eq!(s.tx_queue_drops, refused);
        assert_eq!(s.tx_frames + s.tx_errors + s.tx_queue_drops, 2000);
    }

    #[test]
    fn open_fails_cleanly() {
        let e = Punt::open(Config::new(Iface::Name("xeth-nope0".into()), Encap::Vlan))
            .err()
            .unwrap();
        assert_eq!(e.errno(), libc::ENODEV);
        let mut cfg = Config::new(Iface::Index(1), Encap::Vlan);
        cfg.tx_queue = 0;
        assert!(Punt::open(cfg).is_err());
        let mut cfg = Config::new(Iface::Index(1), Encap::Vlan);
        cfg.ring.frame_size = 100;
        assert_eq!(Punt::open(cfg).err().unwrap().errno(), libc::EINVAL);
    }
}
