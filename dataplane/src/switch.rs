//! The software SWITCH of switch-less mode: a model of a switch chip that
//! forwards between real Linux interfaces ("attached ports", e.g. veth
//! pairs into test hosts) and hands Linux, through the mux, what a chip
//! would hand its CPU.
//!
//! SWITCHD programs it with records ([`crate::records`], read into the
//! operations of [`program`]) built from its mirror of the kernel:
//! proxies, routes, neighbours, and which port is attached to which
//! interface. The forwarding itself ([`forward`]) runs on the switch's own
//! thread ([`engine`]); TypeScript never sees a frame. What SWITCHD reads
//! back are reports, records too ([`report`]): the ports' carrier and
//! speed (from the attached interfaces), counters per proxy, a summary,
//! and the routes held.
//!
//! The switch carries its own exceptions: what it hands Linux leaves
//! through its own packet socket on the mux ([`crate::packet`]) with the
//! exception mark, and what Linux transmits through a proxy arrives there.
//! The punt ([`crate::punt`]) is not involved.
//!
//! Attached interfaces must not offload segmentation or checksums to the
//! switch: a packet socket sees a 64 KiB TSO frame or a partial checksum
//! as it is, and no switch forwards those. Give hosts' veth ends
//! `ethtool -K DEV tso off gso off tx off` (the demo does). Nor may they
//! take part in the host's own networking (no addresses, `arp off`, IPv6
//! disabled): Linux would answer a host's ARP for a switch address on the
//! wire with the wire's MAC and route around the switch.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use nix::sys::eventfd::{EfdFlags, EventFd};

pub mod counts;
pub mod engine;
pub mod fdb;
pub mod forward;
pub mod linkstate;
pub mod lpm;
pub mod packet;
pub mod program;
pub mod report;
pub mod room;
pub mod tables;
pub mod uplink;

use crate::encap::Encap;
use crate::error::Error;
use crate::packet::{Iface, PacketSocket, RingConfig};
use crate::records;
use engine::{Cmd, Shared, Snapshot};
use program::{parse_line, wire, Op};
use report::Item;
use tables::Tables;
pub use uplink::Uplink;

/// Which report [`SoftwareSwitch::report`] writes (records of
/// [`report`], or of [`program`] for the routes). The discriminant is the
/// `what` of `xeth_dp_switch_report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Report {
    /// A `port` record per attached port.
    Ports = 0,
    /// A `counters` record per proxy: 8 LINK_STAT counts and the ethtool
    /// counts of [`Report::EthtoolNames`].
    Counters = 1,
    /// A `count` record per named count.
    Summary = 2,
    /// `name` records: the ethtool counts that follow the 8 LINK_STAT
    /// counts of [`Report::Counters`].
    EthtoolNames = 3,
    /// `name` records: the mux's port stat names (`ethtool -S` of its
    /// ports), from sysfs; none when the mux is missing. Read here rather
    /// than in SWITCHD because Deno lets only --allow-all read /sys.
    MuxStatNames = 4,
    /// Every route held, as the `route4` and `route6` records that program
    /// them, sorted.
    Fib = 5,
    /// A `route_result` record per route whose outcome (forwarded,
    /// trapped, failed) was decided since the last such report, in order;
    /// none are collected before the first.
    RouteResults = 6,
    /// A `route_result` record per route held or waiting for room, and
    /// pending outcomes dropped (this says them all).
    RouteStatus = 7,
}

impl Report {
    /// Every report, in the order of their numbers.
    pub const ALL: [Report; 8] = [
        Report::Ports,
        Report::Counters,
        Report::Summary,
        Report::EthtoolNames,
        Report::MuxStatNames,
        Report::Fib,
        Report::RouteResults,
        Report::RouteStatus,
    ];

    /// Its name, as SWITCHD asks for it (ffi/switch.ts).
    pub fn name(self) -> &'static str {
        match self {
            Report::Ports => "ports",
            Report::Counters => "counters",
            Report::Summary => "summary",
            Report::EthtoolNames => "ethtool-names",
            Report::MuxStatNames => "mux-stat-names",
            Report::Fib => "fib",
            Report::RouteResults => "route-results",
            Report::RouteStatus => "route-status",
        }
    }
}

/// A program that stopped at an operation the switch refused; the ones
/// before it were applied.
#[derive(Debug)]
pub struct Refused {
    /// Operations (records or lines) before the refused one.
    pub done: usize,
    pub error: Error,
}

/// A route capacity as the C ABI and the program connection carry it (a
/// u64: the number of routes, `u64::MAX` for no limit) as
/// [`SoftwareSwitch::set_capacity`] takes it.
pub fn capacity_from_wire(v: u64) -> Option<usize> {
    (v != u64::MAX).then(|| usize::try_from(v).unwrap_or(usize::MAX))
}

/// The other way: what [`capacity_from_wire`] reads back.
pub fn capacity_to_wire(v: Option<usize>) -> u64 {
    v.map_or(u64::MAX, |v| u64::try_from(v).unwrap_or(u64::MAX))
}

impl TryFrom<u8> for Report {
    type Error = Error;

    fn try_from(v: u8) -> Result<Self, Error> {
        Report::ALL
            .into_iter()
            .find(|&r| r as u8 == v)
            .ok_or_else(|| {
                let known: Vec<String> = Report::ALL
                    .iter()
                    .map(|&r| format!("{} ({})", r as u8, r.name()))
                    .collect();
                Error::described(
                    libc::EINVAL,
                    format!("report must be one of {}, not {v}", known.join(", ")),
                )
            })
    }
}

/// A running software SWITCH; [`SoftwareSwitch::close`] (or drop) stops
/// its thread.
pub struct SoftwareSwitch {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl SoftwareSwitch {
    /// Starts a switch for the mux named `mux` with encapsulation `encap`.
    /// The mux need not exist yet: the thread opens its socket when it
    /// appears (and again when it is re-created).
    pub fn open(mux: &str, encap: Encap) -> Result<SoftwareSwitch, Error> {
        SoftwareSwitch::open_on(mux, encap, Uplink::Mux)
    }

    /// Starts a switch whose Linux side is the interface `name`, of the
    /// kind `uplink` (see [`Uplink`]); `open` is `open_on` a mux.
    pub fn open_on(name: &str, encap: Encap, uplink: Uplink) -> Result<SoftwareSwitch, Error> {
        if name.is_empty() || name.len() >= libc::IFNAMSIZ || name.contains(['\0', '/', ' ']) {
            return Err(Error::InvalidArgument("bad mux name"));
        }
        let shared = Arc::new(Shared {
            mux: name.to_owned(),
            uplink,
            encap,
            tables: RwLock::new(Tables::default()),
            cmds: Mutex::new(Vec::new()),
            wake: EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?,
            stop: AtomicBool::new(false),
            snapshot: Mutex::new(Snapshot::default()),
            published: Condvar::new(),
            done: Mutex::new(0),
            done_cv: Condvar::new(),
            issued: AtomicU64::new(0),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("xeth-switch".into())
            .spawn(move || engine::run(s))?;
        Ok(SoftwareSwitch {
            shared,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Applies a stream of program records; returns how many it applied.
    /// At a record it cannot read or apply it stops, with the error naming
    /// the record (1-based) and what is wrong; the records before it stay
    /// applied.
    pub fn program(&self, records: &[u8]) -> Result<usize, Refused> {
        let reader = records::Reader::new(records).map_err(|e| Refused {
            done: 0,
            error: Error::described(libc::EINVAL, e),
        })?;
        let mut ops = Vec::with_capacity(reader.records());
        let mut bad = None;
        let mut read = 0;
        for r in reader {
            let r = r.and_then(|r| {
                wire::decode(&r)
                    .map(|op| (r.index + 1, op))
                    .map_err(|e| format!("record {}: {e}", r.index + 1))
            });
            match r {
                Ok((n, op)) => {
                    read = n;
                    if let Some(op) = op {
                        ops.push((n, op));
                    }
                }
                Err(e) => {
                    bad = Some((read, Error::described(libc::EINVAL, e)));
                    break;
                }
            }
        }
        self.apply(ops, "record", bad)
    }

    /// Applies program text (see [`program`]), for tests and diagnostics;
    /// returns the number of lines applied. On a bad line it stops there,
    /// and the error names the line (1-based) and what is wrong; the lines
    /// before it stay applied.
    pub fn program_text(&self, text: &str) -> Result<usize, Error> {
        let mut ops = Vec::new();
        let mut bad = None;
        for (i, line) in text.lines().enumerate() {
            match parse_line(line) {
                Ok(Some(op)) => ops.push((i + 1, op)),
                Ok(None) => {}
                Err(e) => {
                    let e = Error::described(libc::EINVAL, format!("line {}: {e}", i + 1));
                    bad = Some((i, e));
                    break;
                }
            }
        }
        self.apply(ops, "line", bad).map_err(|r| r.error)
    }

    /// Applies `ops` (each with its 1-based place, for errors: `what` N)
    /// under one write lock, then returns `bad` (the operations before the
    /// bad one, and why) if there is one.
    fn apply(
        &self,
        ops: Vec<(usize, Op)>,
        what: &str,
        bad: Option<(usize, Error)>,
    ) -> Result<usize, Refused> {
        let mut applied = 0;
        // Attach and detach go to the thread; the tables need no word to
        // it, since it reads them afresh for every batch of frames.
        let mut commands = 0;
        let mut tables = self.shared.tables.write().unwrap();
        for (n, op) in ops {
            match op {
                Op::Attach(xid, ifname) => {
                    tables.commit();
                    drop(tables);
                    let r = self.attach(xid, &ifname);
                    tables = self.shared.tables.write().unwrap();
                    if let Err(e) = r {
                        tables.commit();
                        drop(tables);
                        if commands > 0 {
                            self.wait_for_commands();
                        }
                        return Err(Refused {
                            done: n - 1,
                            error: Error::described(
                                e.errno(),
                                format!("{what} {n}: attach {xid} {ifname}: {e}"),
                            ),
                        });
                    }
                    commands += 1;
                }
                Op::Detach(xid) => {
                    self.command(Cmd::Detach(xid));
                    commands += 1;
                }
                op => tables.stage(op),
            }
            applied += 1;
        }
        tables.commit();
        drop(tables);
        if commands > 0 {
            self.wait_for_commands();
        }
        match bad {
            Some((done, error)) => Err(Refused { done, error }),
            None => Ok(applied),
        }
    }

    /// Sets how many IPv4 and IPv6 routes the switch holds, as a chip's
    /// tables would (None: no limit); see [`tables::Tables::set_capacity`].
    pub fn set_capacity(&self, v4: Option<usize>, v6: Option<usize>) {
        self.shared.tables.write().unwrap().set_capacity(v4, v6);
    }

    /// Waits until the thread publishes a snapshot newer than `after`
    /// (every tick, [`engine::TICK_MS`], and after attach and detach), at
    /// most `timeout`, or until the switch is closed. Returns the number of
    /// the latest snapshot, which a caller gives as `after` next time.
    pub fn wait_published(&self, after: u64, timeout: Duration) -> u64 {
        self.wait_for(|s| s.seq, after, timeout)
    }

    /// As [`Self::wait_published`], for a snapshot whose ports differ
    /// from the one before (attached or detached, a carrier or a speed
    /// changed): returns the number of that kind of change, which a caller
    /// gives as `after` next time. The first snapshot counts as one.
    pub fn wait_links(&self, after: u64, timeout: Duration) -> u64 {
        self.wait_for(|s| s.links_seq, after, timeout)
    }

    /// Waits until the snapshot's number `of` passes `after`, `timeout` at
    /// most, or the switch is closed; returns that number.
    fn wait_for(&self, of: fn(&Snapshot) -> u64, after: u64, timeout: Duration) -> u64 {
        let snap = self.shared.snapshot.lock().unwrap();
        let (snap, _) = self
            .shared
            .published
            .wait_timeout_while(snap, timeout, |s| {
                of(s) <= after && !self.shared.stop.load(Ordering::SeqCst)
            })
            .unwrap();
        of(&snap)
    }

    fn attach(&self, xid: u32, ifname: &str) -> Result<(), Error> {
        if ifname == self.shared.mux {
            return Err(Error::described(
                libc::EINVAL,
                "a port is attached to another interface, not to its own mux",
            ));
        }
        let (socket, ring) =
            PacketSocket::open(&Iface::Name(ifname.to_owned()), &RingConfig::default())?;
        socket.set_promisc()?;
        self.command(Cmd::Attach {
            xid,
            ifname: ifname.to_owned(),
            socket,
            ring,
        });
        Ok(())
    }

    fn command(&self, c: Cmd) {
        self.shared.cmds.lock().unwrap().push(c);
        self.shared.issued.fetch_add(1, Ordering::SeqCst);
        self.shared.wake();
    }

    /// Waits (a second at most) until the thread has taken every attach
    /// and detach sent so far and published the ports that result.
    fn wait_for_commands(&self) {
        let want = self.shared.issued.load(Ordering::SeqCst);
        let done = self.shared.done.lock().unwrap();
        let _ = self
            .shared
            .done_cv
            .wait_timeout_while(done, Duration::from_secs(1), |d| *d < want);
    }

    /// The report `what`, as a stream of records. Counts are those the
    /// thread last published (at most [`engine::TICK_MS`] old).
    pub fn report(&self, what: Report) -> Vec<u8> {
        let items: Vec<Item> = match what {
            Report::Fib => return self.shared.tables.read().unwrap().route_records(),
            Report::RouteResults => {
                return self.shared.tables.write().unwrap().route_results(false)
            }
            Report::RouteStatus => return self.shared.tables.write().unwrap().route_results(true),
            Report::Ports => {
                let snap = self.shared.snapshot.lock().unwrap();
                snap.ports
                    .iter()
                    .map(|p| Item::Port {
                        xid: p.xid,
                        ifname: p.ifname.clone(),
                        carrier: p.state.carrier,
                        speed_mbps: p.state.speed_mbps,
                    })
                    .collect()
            }
            Report::Counters => {
                let snap = self.shared.snapshot.lock().unwrap();
                snap.counters
                    .iter()
                    .map(|(x, c)| Item::Counters {
                        xid: *x,
                        counts: c.to_vec(),
                    })
                    .collect()
            }
            Report::EthtoolNames => names(counts::Ethtool::ALL.iter().map(|e| e.name())),
            Report::MuxStatNames => mux_stat_names(&self.shared.mux),
            Report::Summary => {
                let mut items: Vec<Item> = self
                    .shared
                    .tables
                    .read()
                    .unwrap()
                    .counts()
                    .into_iter()
                    .map(|(k, v)| Item::Count {
                        name: k.to_owned(),
                        value: v,
                    })
                    .collect();
                let snap = self.shared.snapshot.lock().unwrap();
                items.extend(snap.stats.iter().map(|(k, v)| Item::Count {
                    name: k.clone(),
                    value: *v,
                }));
                items
            }
        };
        report::encode(&items)
    }

    /// A report as the lines of text it renders as, for tests and
    /// diagnostics.
    pub fn report_text(&self, what: Report) -> String {
        let records = self.report(what);
        let text = match what {
            Report::Fib | Report::RouteResults | Report::RouteStatus => program::render(&records),
            _ => report::text(&records),
        };
        // The switch's own records: it reads what it writes.
        text.unwrap_or_else(|e| format!("# unreadable report: {e}\n"))
    }

    /// Stops and joins the thread; later calls do nothing.
    pub fn close(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake();
        // Under the lock, so that a waiter cannot miss it between checking
        // `stop` and waiting.
        drop(self.shared.snapshot.lock().unwrap());
        self.shared.published.notify_all();
        if let Some(t) = self.thread.lock().unwrap().take() {
            let _ = t.join();
        }
    }
}

impl std::ops::Drop for SoftwareSwitch {
    fn drop(&mut self) {
        self.close();
    }
}

/// The `name` items of the mux's port stat names, from sysfs; none when
/// there is no such mux here. A SWITCH on another machine reports the
/// names of SWITCHD's own mux (crate::remote::remote_switch).
pub(crate) fn mux_stat_names(mux: &str) -> Vec<Item> {
    let path = format!("/sys/class/net/{mux}/xeth/ethtool_stat_names");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    names(text.lines().filter(|l| !l.is_empty()))
}

/// `name` records of a list.
fn names<'a>(list: impl Iterator<Item = &'a str>) -> Vec<Item> {
    list.enumerate()
        .map(|(i, n)| Item::Name {
            index: u16::try_from(i).unwrap_or(u16::MAX),
            name: n.to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
