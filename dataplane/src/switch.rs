//! The software SWITCH of switch-less mode: a model of a switch chip that
//! forwards between real Linux interfaces ("attached ports", e.g. veth
//! pairs into test hosts) and hands Linux, through the mux, what a chip
//! would hand its CPU.
//!
//! SWITCHD programs it with text ([`program`]) built from its mirror of
//! the kernel: proxies, routes, neighbours, and which port is attached to
//! which interface. The forwarding itself ([`forward`]) runs on the
//! switch's own thread ([`engine`]); TypeScript never sees a frame. What
//! SWITCHD reads back are reports: the ports' carrier and speed (from the
//! attached interfaces), counters per proxy, and a summary.
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
pub mod tables;

use crate::encap::Encap;
use crate::error::Error;
use crate::packet::{Iface, PacketSocket, RingConfig};
use engine::{Cmd, Shared, Snapshot};
use program::{parse_line, Op};
use tables::Tables;

/// Which report [`SoftwareSwitch::report`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    /// `XID IFNAME CARRIER SPEED` per attached port.
    Ports,
    /// `XID`, 8 LINK_STAT counts and the ethtool counts of
    /// [`Report::EthtoolNames`] per proxy.
    Counters,
    /// `NAME VALUE` lines.
    Summary,
    /// The names of the ethtool counts that follow the 8 LINK_STAT counts
    /// in [`Report::Counters`], one per line.
    EthtoolNames,
    /// The mux's port stat names (`ethtool -S` of its ports), one per line,
    /// from sysfs; empty when the mux is missing. Read here rather than in
    /// SWITCHD because Deno lets only --allow-all read /sys.
    MuxStatNames,
    /// Every route held, as the sorted `route` lines that program them.
    Fib,
}

impl TryFrom<u8> for Report {
    type Error = Error;

    fn try_from(v: u8) -> Result<Self, Error> {
        match v {
            0 => Ok(Report::Ports),
            1 => Ok(Report::Counters),
            2 => Ok(Report::Summary),
            3 => Ok(Report::EthtoolNames),
            4 => Ok(Report::MuxStatNames),
            5 => Ok(Report::Fib),
            _ => Err(Error::InvalidArgument(
                "report must be 0 (ports), 1 (counters), 2 (summary), 3 (ethtool names), 4 (mux stat names) or 5 (fib)",
            )),
        }
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
        if mux.is_empty() || mux.len() >= libc::IFNAMSIZ || mux.contains(['\0', '/', ' ']) {
            return Err(Error::InvalidArgument("bad mux name"));
        }
        let shared = Arc::new(Shared {
            mux: mux.to_owned(),
            encap,
            tables: RwLock::new(Tables::default()),
            cmds: Mutex::new(Vec::new()),
            wake: EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?,
            stop: AtomicBool::new(false),
            snapshot: Mutex::new(Snapshot::default()),
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

    /// Applies program text (see [`program`]); returns the number of lines
    /// applied. On a bad line it stops there, and the error names the line
    /// (1-based) and what is wrong; the lines before it stay applied.
    pub fn program(&self, text: &str) -> Result<usize, Error> {
        let mut ops = Vec::new();
        let mut bad = None;
        for (i, line) in text.lines().enumerate() {
            match parse_line(line) {
                Ok(Some(op)) => ops.push((i + 1, op)),
                Ok(None) => {}
                Err(e) => {
                    bad = Some(Error::described(
                        libc::EINVAL,
                        format!("line {}: {e}", i + 1),
                    ));
                    break;
                }
            }
        }
        let mut applied = 0;
        let mut tables = self.shared.tables.write().unwrap();
        for (n, op) in ops {
            match op {
                Op::Attach(xid, ifname) => {
                    tables.commit();
                    drop(tables);
                    let r = self.attach(xid, &ifname);
                    tables = self.shared.tables.write().unwrap();
                    r.map_err(|e| {
                        Error::described(e.errno(), format!("line {n}: attach {xid} {ifname}: {e}"))
                    })?;
                }
                Op::Detach(xid) => self.command(Cmd::Detach(xid)),
                op => tables.stage(op),
            }
            applied += 1;
        }
        tables.commit();
        drop(tables);
        self.shared.wake();
        self.wait_for_commands();
        match bad {
            Some(e) => Err(e),
            None => Ok(applied),
        }
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

    /// The report `what`, as text (one line per item, `\n` terminated).
    /// Counts are those the thread last published (at most
    /// [`engine::TICK_MS`] old).
    pub fn report(&self, what: Report) -> String {
        use std::fmt::Write;
        let snap = self.shared.snapshot.lock().unwrap().clone();
        let mut s = String::new();
        match what {
            Report::Ports => {
                for p in &snap.ports {
                    let _ = writeln!(
                        s,
                        "{} {} {} {}",
                        p.xid,
                        p.ifname,
                        u8::from(p.state.carrier),
                        p.state.speed_mbps
                    );
                }
            }
            Report::Counters => {
                for (x, c) in &snap.counters {
                    let _ = write!(s, "{x}");
                    for v in c {
                        let _ = write!(s, " {v}");
                    }
                    s.push('\n');
                }
            }
            Report::EthtoolNames => {
                for e in counts::Ethtool::ALL {
                    s.push_str(e.name());
                    s.push('\n');
                }
            }
            Report::MuxStatNames => {
                let path = format!("/sys/class/net/{}/xeth/ethtool_stat_names", self.shared.mux);
                s = std::fs::read_to_string(path).unwrap_or_default();
            }
            Report::Fib => {
                let lines = self.shared.tables.read().unwrap().route_lines();
                s.reserve(lines.iter().map(|l| l.len() + 1).sum());
                for l in lines {
                    s.push_str(&l);
                    s.push('\n');
                }
            }
            Report::Summary => {
                for (k, v) in self.shared.tables.read().unwrap().counts() {
                    let _ = writeln!(s, "{k} {v}");
                }
                for (k, v) in &snap.stats {
                    let _ = writeln!(s, "{k} {v}");
                }
            }
        }
        s
    }

    /// Stops and joins the thread; later calls do nothing.
    pub fn close(&self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.wake();
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

#[cfg(test)]
mod tests;
