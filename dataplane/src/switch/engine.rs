//! The forwarding thread of the software SWITCH.
//!
//! It owns every socket the switch forwards through: the packet socket on
//! the mux (frames Linux transmits through proxies arrive there as
//! `PACKET_OUTGOING`, and exceptions leave there with the mark) and one
//! per attached port (the port's "wire"). One pass of its loop:
//!
//! 1. takes attach and detach commands from the programming side
//!    (`take_commands`);
//! 2. on a tick (every [`TICK_MS`]): reads the ports' carrier (their
//!    speed when carrier comes, and every [`SPEED_TICKS`]), (re)opens the
//!    mux's socket when the mux appeared or was re-created (looked for
//!    every [`MUX_TICKS`] while it is open), ages the FDB (`tick`),
//!    publishes counters for reports (`publish`);
//! 3. waits in `poll` for frames, a command or the next tick (`wait`);
//! 4. with the tables read-locked once, drains every ring through the
//!    [`Forwarder`] into per-socket output queues (`forward`: `from_linux`
//!    for the mux, `from_wire` for each port);
//! 5. sends each queue with one `sendmmsg` per batch of frames
//!    (`transmit`).
//!
//! A full transmit queue of a port drops (a switch drops on a congested
//! port rather than stall the others) and counts it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::Instant;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::eventfd::EventFd;

use super::counts::{
    Counts, Ethtool, RX_BYTES, RX_DROPPED, RX_PACKETS, TX_BYTES, TX_DROPPED, TX_PACKETS,
};
use super::fdb::Fdb;
use super::forward::{Drop, Exception, Forwarder, Out};
use super::linkstate::{self, LinkState};
use super::packet::{build, Pkt};
use super::tables::Tables;
use super::uplink::Uplink;
use crate::encap::{decap, encap_into, Encap, OuterTag, EXCEPTION_PRIORITY};
use crate::packet::{Iface, PacketSocket, RingConfig, RxRing, SendScratch};

/// Milliseconds between ticks.
pub const TICK_MS: u64 = 250;
/// Ticks between readings of a port's speed while its carrier stays:
/// speed comes from sysfs (two files), which costs far more than the
/// carrier's one ioctl, and a new speed comes with a carrier flap anyway
/// (a renegotiation); this catches a driver that changes it without one.
const SPEED_TICKS: u64 = 16;
/// Ticks between looking the open mux up by name, to find it re-created.
/// Its socket says at once when the mux went down or away (`POLLERR`),
/// which looks at the next tick.
const MUX_TICKS: u64 = 4;
/// Frames drained from one ring per pass.
const RX_BUDGET: usize = 256;
/// Frames per `sendmmsg`.
const TX_BATCH: usize = 64;

/// A request from the programming side.
pub(crate) enum Cmd {
    Attach {
        xid: u32,
        ifname: String,
        socket: PacketSocket,
        ring: RxRing,
    },
    Detach(u32),
}

/// One attached port, as reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortReport {
    pub xid: u32,
    pub ifname: String,
    pub state: LinkState,
}

/// What the thread publishes for reports.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Bumped by every publication, for waiters ([`Shared::published`]).
    pub seq: u64,
    /// Bumped by the publications whose ports (the set, or a carrier or a
    /// speed) differ from the one before: the relay waits for this one, so
    /// that an idle switch does not wake it every tick.
    pub links_seq: u64,
    pub ports: Vec<PortReport>,
    pub counters: BTreeMap<u32, Counts>,
    pub stats: BTreeMap<String, u64>,
}

/// What the thread and the switch's handle share.
pub(crate) struct Shared {
    /// The interface of the switch's Linux side: the mux, or the uplink
    /// of a switch elsewhere ([`Uplink`]).
    pub mux: String,
    pub uplink: Uplink,
    pub encap: Encap,
    pub tables: RwLock<Tables>,
    pub cmds: Mutex<Vec<Cmd>>,
    pub wake: EventFd,
    pub stop: AtomicBool,
    pub snapshot: Mutex<Snapshot>,
    /// Notified with each new snapshot (and on close).
    pub published: Condvar,
    /// Commands the thread has taken and published the result of, so that
    /// an attach or detach is in the next report once `program` returns.
    pub done: Mutex<u64>,
    pub done_cv: Condvar,
    /// Commands sent so far.
    pub issued: std::sync::atomic::AtomicU64,
}

impl Shared {
    pub fn wake(&self) {
        // EAGAIN only when the counter is at its maximum: awake anyway.
        let _ = self.wake.write(1);
    }
}

struct PortIo {
    xid: u32,
    ifname: String,
    socket: PacketSocket,
    ring: RxRing,
    state: LinkState,
    scratch: SendScratch,
}

struct MuxIo {
    socket: PacketSocket,
    ring: RxRing,
    scratch: SendScratch,
}

/// Summary counters, by name in reports.
#[derive(Default)]
struct Stats {
    exceptions: [u64; Exception::ALL.len()],
    drops: [u64; Drop::ALL.len()],
    forwarded: u64,
    routed: u64,
    from_linux: u64,
    tx_full: u64,
    tx_errors: u64,
    truncated: u64,
    mux_opens: u64,
    encap_errors: u64,
    /// Frames the kernel dropped because a receive ring was full
    /// (`PACKET_STATISTICS`): of the mux (Linux's transmits) and of ports.
    mux_ring_drops: u64,
    port_ring_drops: u64,
}

/// The forwarding output of one pass: frames per port and for the mux,
/// in buffers recycled through `pool`.
struct Outq {
    encap: Encap,
    slot_of: HashMap<u32, usize>,
    usable: HashSet<u32>,
    per_port: Vec<Vec<Vec<u8>>>,
    to_mux: Vec<Vec<u8>>,
    pool: Vec<Vec<u8>>,
    counters: HashMap<u32, Counts>,
    stats: Stats,
}

impl Outq {
    fn buf(&mut self) -> Vec<u8> {
        self.pool.pop().unwrap_or_else(|| Vec::with_capacity(2048))
    }

    fn count(&mut self, xid: u32, i: usize, n: u64) {
        self.counters.entry(xid).or_default()[i] += n;
    }
}

impl Out for Outq {
    fn usable(&self, port: u32) -> bool {
        self.usable.contains(&port)
    }

    fn port(&mut self, port: u32, pkt: &Pkt<'_>, vid: Option<u16>) {
        let Some(&slot) = self.slot_of.get(&port) else {
            return self.dropped(port, Drop::NoPort);
        };
        let mut b = self.buf();
        build(&mut b, pkt, vid);
        self.per_port[slot].push(b);
    }

    fn linux(&mut self, xid: u32, pkt: &Pkt<'_>, why: Exception) {
        self.stats.exceptions[why as usize] += 1;
        let mut inner = self.buf();
        build(&mut inner, pkt, None);
        let mut b = self.buf();
        b.resize(inner.len() + 16, 0);
        match encap_into(self.encap, xid, true, &inner, &mut b) {
            Ok(n) => {
                b.truncate(n);
                self.to_mux.push(b);
            }
            Err(_) => {
                self.stats.encap_errors += 1;
                self.pool.push(b);
            }
        }
        self.pool.push(inner);
    }

    fn dropped(&mut self, xid: u32, why: Drop) {
        self.stats.drops[why as usize] += 1;
        let (i, e) = if why == Drop::NoPort {
            (TX_DROPPED, Ethtool::TxDiscards)
        } else {
            (RX_DROPPED, Ethtool::RxDiscards)
        };
        self.count(xid, i, 1);
        self.count(xid, e.index(), 1);
    }

    fn routed(&mut self) {
        self.stats.routed += 1;
    }
}

fn now_ms(start: Instant) -> u64 {
    start.elapsed().as_millis() as u64
}

/// The thread's body; returns when `stop` is set.
pub(crate) fn run(shared: Arc<Shared>) {
    let mut e = Engine::new(shared);
    loop {
        if e.shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let taken = e.take_commands();
        let ticked = e.tick();
        if taken > 0 || ticked {
            e.publish(taken);
        }
        if !e.wait() {
            return;
        }
        e.forward();
        e.transmit();
    }
}

/// The thread's state between passes.
struct Engine {
    shared: Arc<Shared>,
    start: Instant,
    ports: Vec<PortIo>,
    mux: Option<MuxIo>,
    fdb: Fdb,
    /// The tables' generation the FDB was last pruned for.
    generation: u64,
    scratch: Vec<u8>,
    /// A received frame with its tag put back.
    tagged: Vec<u8>,
    q: Outq,
    next_tick: u64,
    /// Ticks so far, for what is done every few.
    ticks: u64,
    /// The mux's socket reported an error (the mux went down or away):
    /// look it up on the next tick.
    mux_error: bool,
    /// The last pass drained a full budget from some ring: poll no longer
    /// than it takes to look.
    busy: bool,
}

impl Engine {
    fn new(shared: Arc<Shared>) -> Engine {
        let encap = shared.encap;
        Engine {
            shared,
            start: Instant::now(),
            ports: Vec::new(),
            mux: None,
            fdb: Fdb::default(),
            generation: u64::MAX,
            scratch: Vec::new(),
            tagged: Vec::new(),
            q: Outq {
                encap,
                slot_of: HashMap::new(),
                usable: HashSet::new(),
                per_port: Vec::new(),
                to_mux: Vec::new(),
                pool: Vec::new(),
                counters: HashMap::new(),
                stats: Stats::default(),
            },
            next_tick: 0,
            ticks: 0,
            mux_error: false,
            busy: false,
        }
    }

    /// Takes the attach and detach commands sent so far; returns how many.
    fn take_commands(&mut self) -> u64 {
        let cmds = std::mem::take(&mut *self.shared.cmds.lock().unwrap());
        let taken = cmds.len() as u64;
        for c in cmds {
            match c {
                Cmd::Attach {
                    xid,
                    ifname,
                    socket,
                    ring,
                } => {
                    self.ports.retain(|p| p.xid != xid);
                    self.ports.push(PortIo {
                        xid,
                        state: linkstate::read(&socket, &ifname),
                        ifname,
                        socket,
                        ring,
                        scratch: SendScratch::default(),
                    });
                }
                Cmd::Detach(xid) => self.ports.retain(|p| p.xid != xid),
            }
        }
        taken
    }

    /// On a tick: reads the ports' link state, tends the mux's socket and
    /// ages the FDB. Returns whether it was time to.
    fn tick(&mut self) -> bool {
        let now = now_ms(self.start);
        if now < self.next_tick {
            return false;
        }
        self.next_tick = now + TICK_MS;
        self.ticks += 1;
        let speed_due = self.ticks % SPEED_TICKS == 0;
        for p in self.ports.iter_mut() {
            let was = p.state.carrier;
            p.state = linkstate::update(&p.socket, &p.ifname, p.state, speed_due);
            if was && !p.state.carrier {
                self.q.count(p.xid, Ethtool::LinkDownEvents.index(), 1);
            }
        }
        for p in self.ports.iter() {
            let d = p.socket.take_drops().unwrap_or(0);
            self.q.stats.port_ring_drops += d;
            self.q.count(p.xid, RX_DROPPED, d);
            self.q.count(p.xid, Ethtool::RxDiscards.index(), d);
        }
        if let Some(m) = &self.mux {
            self.q.stats.mux_ring_drops += m.socket.take_drops().unwrap_or(0);
        }
        if self.mux.is_none() || self.mux_error || self.ticks % MUX_TICKS == 0 {
            self.mux_error = false;
            tend_mux(&self.shared, &mut self.mux, &mut self.q.stats);
        }
        self.fdb.age(now);
        true
    }

    /// Brings the output queues in line with the ports, publishes a
    /// snapshot, and tells the programming side that `taken` commands are
    /// done.
    fn publish(&mut self, taken: u64) {
        let q = &mut self.q;
        q.slot_of = self
            .ports
            .iter()
            .enumerate()
            .map(|(i, p)| (p.xid, i))
            .collect();
        q.usable = self
            .ports
            .iter()
            .filter(|p| p.state.carrier)
            .map(|p| p.xid)
            .collect();
        q.per_port.resize_with(self.ports.len(), Vec::new);
        publish(
            &self.shared,
            &self.ports,
            q,
            self.fdb.len(),
            self.mux.is_some(),
        );
        if taken > 0 {
            *self.shared.done.lock().unwrap() += taken;
            self.shared.done_cv.notify_all();
        }
    }

    /// Waits for frames, a command or the tick. False when `poll` failed
    /// for good.
    fn wait(&mut self) -> bool {
        let mut fds = Vec::with_capacity(self.ports.len() + 2);
        fds.push(PollFd::new(self.shared.wake.as_fd(), PollFlags::POLLIN));
        if let Some(m) = &self.mux {
            fds.push(PollFd::new(m.socket.fd(), PollFlags::POLLIN));
        }
        for p in &self.ports {
            fds.push(PollFd::new(p.socket.fd(), PollFlags::POLLIN));
        }
        let wait = if self.busy {
            0
        } else {
            self.next_tick
                .saturating_sub(now_ms(self.start))
                .min(TICK_MS) as u16
        };
        match poll(&mut fds, PollTimeout::from(wait)) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(_) => return false,
        }
        if fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLIN))
        {
            let _ = self.shared.wake.read();
        }
        let sockets = self
            .mux
            .as_ref()
            .map(|m| &m.socket)
            .into_iter()
            .chain(self.ports.iter().map(|p| &p.socket));
        if clear_socket_errors(&fds[1..], sockets) && self.mux.is_some() {
            self.mux_error = true;
        }
        true
    }

    /// With the tables read-locked once, drains every ring through the
    /// [`Forwarder`] into the output queues.
    fn forward(&mut self) {
        self.busy = false;
        let tables = self.shared.tables.read().unwrap();
        if tables.generation != self.generation {
            self.generation = tables.generation;
            self.fdb.retain(|br, m| tables.members(br).contains(&m));
        }
        let mut fw = Forwarder {
            tables: &tables,
            fdb: &mut self.fdb,
            now_ms: now_ms(self.start),
            scratch: &mut self.scratch,
        };
        if let Some(m) = self.mux.as_mut() {
            let n = from_linux(
                m,
                self.shared.encap,
                self.shared.uplink,
                &mut fw,
                &mut self.q,
            );
            self.busy |= n >= RX_BUDGET;
        }
        for p in self.ports.iter_mut() {
            let n = from_wire(p, &mut fw, &mut self.q, &mut self.tagged);
            self.busy |= n >= RX_BUDGET;
        }
    }

    /// Sends each port's queue and the mux's, counting what could not go.
    fn transmit(&mut self) {
        let q = &mut self.q;
        for (i, p) in self.ports.iter_mut().enumerate() {
            let frames = std::mem::take(&mut q.per_port[i]);
            if frames.is_empty() {
                continue;
            }
            let (sent, bytes, lost, err) = send_all(&p.socket, &mut p.scratch, &frames);
            q.stats.forwarded += sent;
            q.count(p.xid, TX_PACKETS, sent);
            q.count(p.xid, TX_BYTES, bytes);
            q.count(p.xid, Ethtool::TxOctets.index(), bytes);
            q.count(p.xid, TX_DROPPED, lost);
            for f in &frames[..sent as usize] {
                q.count(p.xid, Ethtool::tx(f).index(), 1);
            }
            if err {
                q.stats.tx_errors += lost;
                q.count(p.xid, Ethtool::TxErrors.index(), lost);
            } else {
                q.stats.tx_full += lost;
                q.count(p.xid, Ethtool::TxDiscards.index(), lost);
            }
            q.pool.extend(frames);
        }
        let frames = std::mem::take(&mut q.to_mux);
        if !frames.is_empty() {
            match self.mux.as_mut() {
                Some(m) => {
                    // A full mux queue under a burst of exceptions is
                    // congestion, as on a port; an error is a refusal.
                    let (_, _, lost, err) = send_all(&m.socket, &mut m.scratch, &frames);
                    if err {
                        q.stats.tx_errors += lost;
                    } else {
                        q.stats.tx_full += lost;
                    }
                }
                None => q.stats.tx_errors += frames.len() as u64,
            }
            q.pool.extend(frames);
        }
        q.pool.truncate(4096);
    }
}

/// Drains the mux's ring: what Linux transmitted through a proxy
/// (`PACKET_OUTGOING`, without the exception mark) is forwarded. Returns
/// the frames drained.
fn from_linux(
    m: &mut MuxIo,
    encap: Encap,
    uplink: Uplink,
    fw: &mut Forwarder<'_>,
    q: &mut Outq,
) -> usize {
    m.ring.drain(RX_BUDGET, |slot| {
        if !uplink.from_linux(slot.pkttype) {
            return;
        }
        match decap(encap, slot.data, slot.tag) {
            Ok(d) if d.priority != EXCEPTION_PRIORITY => {
                q.stats.from_linux += 1;
                fw.from_linux(d.xid, &slot.data[d.offset..], q);
            }
            Ok(_) => {}
            Err(_) => q.stats.encap_errors += 1,
        }
    })
}

/// Drains a port's ring: what arrived on its wire is counted and
/// forwarded. Returns the frames drained.
fn from_wire(p: &mut PortIo, fw: &mut Forwarder<'_>, q: &mut Outq, tagged: &mut Vec<u8>) -> usize {
    let xid = p.xid;
    p.ring.drain(RX_BUDGET, |slot| {
        if slot.pkttype == libc::PACKET_OUTGOING {
            return;
        }
        if (slot.data.len() as u64) < u64::from(slot.len) {
            q.stats.truncated += 1;
            q.count(xid, RX_DROPPED, 1);
            q.count(xid, Ethtool::RxOversize.index(), 1);
            return;
        }
        q.count(xid, RX_PACKETS, 1);
        q.count(xid, RX_BYTES, u64::from(slot.len));
        q.count(xid, Ethtool::rx(slot.data).index(), 1);
        q.count(xid, Ethtool::RxOctets.index(), u64::from(slot.len));
        let frame: &[u8] = match slot.tag {
            Some(t) => {
                retag(tagged, slot.data, t);
                tagged
            }
            None => slot.data,
        };
        fw.from_port(xid, frame, q);
    })
}

/// A netdev that went down leaves ENETDOWN on its socket, which poll
/// reports until it is read; the socket itself resumes when the netdev
/// comes back up. `fds` are the sockets' poll entries, in their order.
/// Returns whether the first socket had one.
fn clear_socket_errors<'a>(
    fds: &[PollFd<'_>],
    sockets: impl Iterator<Item = &'a PacketSocket>,
) -> bool {
    let mut first = false;
    for (i, (fd, socket)) in fds.iter().zip(sockets).enumerate() {
        if fd.revents().is_some_and(|r| r.contains(PollFlags::POLLERR)) {
            first |= i == 0;
            let _ =
                nix::sys::socket::getsockopt(&socket.fd(), nix::sys::socket::sockopt::SocketError);
        }
    }
    first
}

/// Inserts the tag the kernel took out of a received frame back into it.
fn retag(out: &mut Vec<u8>, frame: &[u8], t: OuterTag) {
    out.clear();
    if frame.len() < 12 {
        out.extend_from_slice(frame);
        return;
    }
    out.extend_from_slice(&frame[..12]);
    out.extend_from_slice(&t.tpid.to_be_bytes());
    out.extend_from_slice(&t.tci.to_be_bytes());
    out.extend_from_slice(&frame[12..]);
}

/// Sends `frames` in batches; returns (sent, bytes sent, not sent,
/// whether an error other than a full queue stopped it).
fn send_all(
    socket: &PacketSocket,
    scratch: &mut SendScratch,
    frames: &[Vec<u8>],
) -> (u64, u64, u64, bool) {
    let mut sent = 0usize;
    let mut bytes = 0u64;
    let mut refs: Vec<&[u8]> = Vec::with_capacity(TX_BATCH);
    while sent < frames.len() {
        refs.clear();
        refs.extend(frames[sent..].iter().take(TX_BATCH).map(|f| f.as_slice()));
        match socket.send_batch(&refs, scratch) {
            Ok(0) | Err(Errno::EAGAIN) => {
                return (sent as u64, bytes, (frames.len() - sent) as u64, false)
            }
            Ok(n) => {
                bytes += frames[sent..sent + n]
                    .iter()
                    .map(|f| f.len() as u64)
                    .sum::<u64>();
                sent += n;
            }
            // Any other error fails the rest of the batch: counted as
            // errors, not retried.
            Err(_) => return (sent as u64, bytes, (frames.len() - sent) as u64, true),
        }
    }
    (sent as u64, bytes, 0, false)
}

/// Opens the mux's socket when the mux exists and it is not open, or was
/// opened on an ifindex the name no longer has (the mux was re-created).
fn tend_mux(shared: &Shared, mux: &mut Option<MuxIo>, stats: &mut Stats) {
    let current = Iface::Name(shared.mux.clone()).index().ok();
    if let Some(m) = mux {
        if Some(m.socket.ifindex()) == current {
            return;
        }
        *mux = None;
    }
    let Some(ifindex) = current else {
        return;
    };
    if let Ok((socket, ring)) = PacketSocket::open(&Iface::Index(ifindex), &RingConfig::default()) {
        stats.mux_opens += 1;
        *mux = Some(MuxIo {
            socket,
            ring,
            scratch: SendScratch::default(),
        });
    }
}

fn publish(shared: &Shared, ports: &[PortIo], q: &Outq, fdb: usize, mux_open: bool) {
    let mut stats = BTreeMap::new();
    let s = &q.stats;
    let mut put = |k: &str, v: u64| {
        stats.insert(k.to_owned(), v);
    };
    put("fdb", fdb as u64);
    put("forwarded", s.forwarded);
    put("routed", s.routed);
    put("from-linux", s.from_linux);
    put("exceptions", s.exceptions.iter().sum());
    for (e, n) in Exception::ALL.iter().zip(s.exceptions) {
        put(&format!("exception.{}", e.name()), n);
    }
    put("drops", s.drops.iter().sum());
    for (d, n) in Drop::ALL.iter().zip(s.drops) {
        put(&format!("drop.{}", d.name()), n);
    }
    put("tx-full", s.tx_full);
    put("tx-errors", s.tx_errors);
    put("rx-truncated", s.truncated);
    put("encap-errors", s.encap_errors);
    put("rx-ring-drops.mux", s.mux_ring_drops);
    put("rx-ring-drops.ports", s.port_ring_drops);
    put("mux-open", u64::from(mux_open));
    put("mux-opens", s.mux_opens);
    put("ports", ports.len() as u64);
    let snap = Snapshot {
        ports: ports
            .iter()
            .map(|p| PortReport {
                xid: p.xid,
                ifname: p.ifname.clone(),
                state: p.state,
            })
            .collect(),
        counters: q.counters.iter().map(|(k, v)| (*k, *v)).collect(),
        stats,
        seq: 0,
        links_seq: 0,
    };
    let mut s = shared.snapshot.lock().unwrap();
    let seq = s.seq + 1;
    let links_seq = s.links_seq + u64::from(s.ports != snap.ports || s.seq == 0);
    *s = Snapshot {
        seq,
        links_seq,
        ..snap
    };
    drop(s);
    shared.published.notify_all();
}
