//! The forwarding thread of the software SWITCH.
//!
//! It owns every socket the switch forwards through: the packet socket on
//! the mux (frames Linux transmits through proxies arrive there as
//! `PACKET_OUTGOING`, and exceptions leave there with the mark) and one
//! per attached port (the port's "wire"). One pass of its loop:
//!
//! 1. takes attach and detach commands from the programming side;
//! 2. on a tick (every [`TICK_MS`]): reads the ports' carrier and speed,
//!    (re)opens the mux's socket when the mux appeared or was re-created,
//!    ages the FDB, publishes counters for reports;
//! 3. waits in `poll` for frames, a command or the next tick;
//! 4. with the tables read-locked once, drains every ring through the
//!    [`Forwarder`] into per-socket output queues;
//! 5. sends each queue with one `sendmmsg` per batch of frames.
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

use super::fdb::Fdb;
use super::forward::{Drop, Exception, Forwarder, Out};
use super::linkstate::{self, LinkState};
use super::packet::{build, Pkt};
use super::tables::Tables;
use crate::encap::{decap, encap_into, Encap, OuterTag, EXCEPTION_PRIORITY};
use crate::punt::ring::RxRing;
use crate::punt::socket::{PacketSocket, SendScratch};
use crate::punt::{Iface, RingConfig};

/// Milliseconds between ticks.
pub const TICK_MS: u64 = 250;
/// Frames drained from one ring per pass.
const RX_BUDGET: usize = 256;
/// Frames per `sendmmsg`.
const TX_BATCH: usize = 64;

/// LINK_STAT indexes the switch counts (struct rtnl_link_stats64 order).
pub const RX_PACKETS: usize = 0;
pub const TX_PACKETS: usize = 1;
pub const RX_BYTES: usize = 2;
pub const TX_BYTES: usize = 3;
pub const RX_DROPPED: usize = 6;
pub const TX_DROPPED: usize = 7;
/// LINK_STAT counts kept, followed by the ethtool ones.
pub const LINK_COUNTS: usize = 8;

/// What a port counts in ethtool terms (`ethtool -S`), by the names of
/// the module's default port stat names; SWITCHD relays each to the index
/// the mux gives that name, so that a mux with other names still works.
pub const ETHTOOL_NAMES: [&str; 13] = [
    "rx-unicast",
    "rx-multicast",
    "rx-broadcast",
    "rx-octets",
    "rx-oversize",
    "rx-discards",
    "tx-unicast",
    "tx-multicast",
    "tx-broadcast",
    "tx-octets",
    "tx-discards",
    "tx-errors",
    "link-down-events",
];
const E_RX_CAST: usize = LINK_COUNTS;
const E_RX_OCTETS: usize = LINK_COUNTS + 3;
const E_RX_OVERSIZE: usize = LINK_COUNTS + 4;
const E_RX_DISCARDS: usize = LINK_COUNTS + 5;
const E_TX_CAST: usize = LINK_COUNTS + 6;
const E_TX_OCTETS: usize = LINK_COUNTS + 9;
const E_TX_DISCARDS: usize = LINK_COUNTS + 10;
const E_TX_ERRORS: usize = LINK_COUNTS + 11;
const E_LINK_DOWN: usize = LINK_COUNTS + 12;

/// Counters per proxy: LINK_STAT indexes 0-7, then [`ETHTOOL_NAMES`].
pub type Counts = [u64; LINK_COUNTS + ETHTOOL_NAMES.len()];

/// 0 unicast, 1 multicast, 2 broadcast, by destination address.
fn cast(frame: &[u8]) -> usize {
    match frame.get(..6) {
        Some([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) => 2,
        Some(d) if d[0] & 1 != 0 => 1,
        _ => 0,
    }
}

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
    pub ports: Vec<PortReport>,
    pub counters: BTreeMap<u32, Counts>,
    pub stats: BTreeMap<String, u64>,
}

/// What the thread and the switch's handle share.
pub(crate) struct Shared {
    pub mux: String,
    pub encap: Encap,
    pub tables: RwLock<Tables>,
    pub cmds: Mutex<Vec<Cmd>>,
    pub wake: EventFd,
    pub stop: AtomicBool,
    pub snapshot: Mutex<Snapshot>,
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
            (TX_DROPPED, E_TX_DISCARDS)
        } else {
            (RX_DROPPED, E_RX_DISCARDS)
        };
        self.count(xid, i, 1);
        self.count(xid, e, 1);
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
    let start = Instant::now();
    let mut ports: Vec<PortIo> = Vec::new();
    let mut mux: Option<MuxIo> = None;
    let mut fdb = Fdb::default();
    let mut generation = u64::MAX;
    let mut scratch = Vec::new();
    let mut tagged = Vec::new();
    let mut q = Outq {
        encap: shared.encap,
        slot_of: HashMap::new(),
        usable: HashSet::new(),
        per_port: Vec::new(),
        to_mux: Vec::new(),
        pool: Vec::new(),
        counters: HashMap::new(),
        stats: Stats::default(),
    };
    let mut next_tick = 0u64;
    let mut busy = false;
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let cmds = std::mem::take(&mut *shared.cmds.lock().unwrap());
        let taken = cmds.len() as u64;
        let mut changed = taken > 0;
        for c in cmds {
            match c {
                Cmd::Attach {
                    xid,
                    ifname,
                    socket,
                    ring,
                } => {
                    ports.retain(|p| p.xid != xid);
                    ports.push(PortIo {
                        xid,
                        state: linkstate::read(&socket, &ifname),
                        ifname,
                        socket,
                        ring,
                        scratch: SendScratch::default(),
                    });
                }
                Cmd::Detach(xid) => ports.retain(|p| p.xid != xid),
            }
        }
        let now = now_ms(start);
        if now >= next_tick {
            next_tick = now + TICK_MS;
            for p in ports.iter_mut() {
                let was = p.state.carrier;
                p.state = linkstate::read(&p.socket, &p.ifname);
                if was && !p.state.carrier {
                    q.count(p.xid, E_LINK_DOWN, 1);
                }
            }
            changed = true;
            for p in ports.iter() {
                let d = p.socket.take_drops().unwrap_or(0);
                q.stats.port_ring_drops += d;
                q.count(p.xid, RX_DROPPED, d);
                q.count(p.xid, E_RX_DISCARDS, d);
            }
            if let Some(m) = &mux {
                q.stats.mux_ring_drops += m.socket.take_drops().unwrap_or(0);
            }
            tend_mux(&shared, &mut mux, &mut q.stats);
            fdb.age(now);
        }
        if changed {
            q.slot_of = ports.iter().enumerate().map(|(i, p)| (p.xid, i)).collect();
            q.usable = ports
                .iter()
                .filter(|p| p.state.carrier)
                .map(|p| p.xid)
                .collect();
            q.per_port.resize_with(ports.len(), Vec::new);
            publish(&shared, &ports, &q, fdb.len(), mux.is_some());
            if taken > 0 {
                *shared.done.lock().unwrap() += taken;
                shared.done_cv.notify_all();
            }
        }
        // Wait for frames, a command or the tick.
        {
            let mut fds = Vec::with_capacity(ports.len() + 2);
            fds.push(PollFd::new(shared.wake.as_fd(), PollFlags::POLLIN));
            if let Some(m) = &mux {
                fds.push(PollFd::new(m.socket.fd(), PollFlags::POLLIN));
            }
            for p in &ports {
                fds.push(PollFd::new(p.socket.fd(), PollFlags::POLLIN));
            }
            let wait = if busy {
                0
            } else {
                next_tick.saturating_sub(now_ms(start)).min(TICK_MS) as u16
            };
            match poll(&mut fds, PollTimeout::from(wait)) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(_) => return,
            }
            if fds[0]
                .revents()
                .is_some_and(|r| r.contains(PollFlags::POLLIN))
            {
                let _ = shared.wake.read();
            }
            // A netdev that went down leaves ENETDOWN on its socket, which
            // poll reports until it is read; the socket itself resumes
            // when the netdev comes back up.
            let sockets = mux
                .as_ref()
                .map(|m| &m.socket)
                .into_iter()
                .chain(ports.iter().map(|p| &p.socket));
            for (fd, socket) in fds[1..].iter().zip(sockets) {
                if fd.revents().is_some_and(|r| r.contains(PollFlags::POLLERR)) {
                    let _ = nix::sys::socket::getsockopt(
                        &socket.fd(),
                        nix::sys::socket::sockopt::SocketError,
                    );
                }
            }
        }
        // Forward.
        busy = false;
        let tables = shared.tables.read().unwrap();
        if tables.generation != generation {
            generation = tables.generation;
            fdb.retain(|br, m| tables.members(br).contains(&m));
        }
        let mut fw = Forwarder {
            tables: &tables,
            fdb: &mut fdb,
            now_ms: now_ms(start),
            scratch: &mut scratch,
        };
        if let Some(m) = mux.as_mut() {
            let encap = shared.encap;
            let n = m.ring.drain(RX_BUDGET, |slot| {
                if slot.pkttype != libc::PACKET_OUTGOING {
                    return;
                }
                match decap(encap, slot.data, slot.tag) {
                    Ok(d) if d.priority != EXCEPTION_PRIORITY => {
                        q.stats.from_linux += 1;
                        fw.from_linux(d.xid, &slot.data[d.offset..], &mut q);
                    }
                    Ok(_) => {}
                    Err(_) => q.stats.encap_errors += 1,
                }
            });
            busy |= n >= RX_BUDGET;
        }
        for p in ports.iter_mut() {
            let xid = p.xid;
            let n = p.ring.drain(RX_BUDGET, |slot| {
                if slot.pkttype == libc::PACKET_OUTGOING {
                    return;
                }
                if (slot.data.len() as u64) < u64::from(slot.len) {
                    q.stats.truncated += 1;
                    q.count(xid, RX_DROPPED, 1);
                    q.count(xid, E_RX_OVERSIZE, 1);
                    return;
                }
                q.count(xid, RX_PACKETS, 1);
                q.count(xid, RX_BYTES, u64::from(slot.len));
                q.count(xid, E_RX_CAST + cast(slot.data), 1);
                q.count(xid, E_RX_OCTETS, u64::from(slot.len));
                let frame: &[u8] = match slot.tag {
                    Some(t) => {
                        retag(&mut tagged, slot.data, t);
                        &tagged
                    }
                    None => slot.data,
                };
                fw.from_port(xid, frame, &mut q);
            });
            busy |= n >= RX_BUDGET;
        }
        drop(tables);
        // Transmit.
        for (i, p) in ports.iter_mut().enumerate() {
            let frames = std::mem::take(&mut q.per_port[i]);
            if frames.is_empty() {
                continue;
            }
            let (sent, bytes, lost, err) = send_all(&p.socket, &mut p.scratch, &frames);
            q.stats.forwarded += sent;
            q.count(p.xid, TX_PACKETS, sent);
            q.count(p.xid, TX_BYTES, bytes);
            q.count(p.xid, E_TX_OCTETS, bytes);
            q.count(p.xid, TX_DROPPED, lost);
            for f in &frames[..sent as usize] {
                q.count(p.xid, E_TX_CAST + cast(f), 1);
            }
            if err {
                q.stats.tx_errors += lost;
                q.count(p.xid, E_TX_ERRORS, lost);
            } else {
                q.stats.tx_full += lost;
                q.count(p.xid, E_TX_DISCARDS, lost);
            }
            q.pool.extend(frames);
        }
        let frames = std::mem::take(&mut q.to_mux);
        if !frames.is_empty() {
            match mux.as_mut() {
                Some(m) => {
                    let (_, _, lost, _) = send_all(&m.socket, &mut m.scratch, &frames);
                    q.stats.tx_errors += lost;
                }
                None => q.stats.tx_errors += frames.len() as u64,
            }
            q.pool.extend(frames);
        }
        q.pool.truncate(4096);
    }
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
    };
    *shared.snapshot.lock().unwrap() = snap;
}
