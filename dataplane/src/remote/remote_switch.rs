//! A SWITCH on another machine as the library's switch handles see it:
//! the same calls as [`crate::switch::SoftwareSwitch`], each a request on
//! the program connection ([`super::client::Client`]).
//!
//! The connection is made on the first call and made again on the call
//! after one failed, so a tunnel that went down and came back needs
//! nothing from the caller but a resync: each new connection counts in
//! [`RemoteSwitch::generation`], and records sent while the connection was
//! down were refused (their call failed), so the caller programs the
//! switch anew (clear, then everything) when the generation moves on.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::client::Client;
use crate::error::Error;
use crate::switch::{Refused, Report};

/// How often the far switch publishes (its thread's tick): what `wait`
/// waits at most, since it does not ask over the connection (a wait there
/// would hold the connection from the calls that program the switch).
const TICK: Duration = Duration::from_millis(250);

pub struct RemoteSwitch {
    addr: String,
    /// SWITCHD's mux, here: its port stat names are reported from here.
    mux: String,
    conn: Mutex<Option<Client>>,
    generation: AtomicU64,
    closed: AtomicBool,
    /// A route-results report its caller had no room for (as the local
    /// switch keeps one): given again, first, by the next one.
    unread_results: Mutex<Option<Vec<u8>>>,
    /// Publications as `wait` counts them, and its wake-up on close.
    ticks: Mutex<u64>,
    tick_cv: Condvar,
}

impl RemoteSwitch {
    /// A switch at `addr` (HOST:PORT); connects now, so that a wrong
    /// address or a switch with another controller is said at once.
    pub fn connect(addr: &str, mux: &str) -> Result<RemoteSwitch, Error> {
        let (client, _) = Client::connect(addr)
            .map_err(|e| Error::described(e.errno(), format!("the switch at {addr}: {e}")))?;
        Ok(RemoteSwitch {
            addr: addr.to_owned(),
            mux: mux.to_owned(),
            conn: Mutex::new(Some(client)),
            generation: AtomicU64::new(1),
            closed: AtomicBool::new(false),
            unread_results: Mutex::new(None),
            ticks: Mutex::new(0),
            tick_cv: Condvar::new(),
        })
    }

    /// Connections made so far: it moves on when a call had to connect
    /// again.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Runs `f` on the connection, connecting first when there is none;
    /// a failed connection is dropped, for the next call to make anew.
    fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, (Error, bool)>) -> Result<T, Error> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::described(libc::EBADF, "the remote switch is closed"));
        }
        let mut conn = self.conn.lock().unwrap();
        if conn.is_none() {
            let (c, _) = Client::connect(&self.addr).map_err(|e| {
                Error::described(e.errno(), format!("the switch at {}: {e}", self.addr))
            })?;
            *conn = Some(c);
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        let r = f(conn.as_mut().expect("connected above"));
        match r {
            Ok(v) => Ok(v),
            Err((e, lost)) => {
                if lost {
                    *conn = None;
                }
                Err(e)
            }
        }
    }

    pub fn program(&self, records: &[u8]) -> Result<usize, Refused> {
        let mut done = 0;
        self.with(|c| {
            c.program(records).map_err(|r| {
                done = r.done;
                let lost = is_lost(&r.error);
                (r.error, lost)
            })
        })
        .map_err(|error| Refused { done, error })
    }

    pub fn set_capacity(&self, v4: Option<usize>, v6: Option<usize>) -> Result<(), Error> {
        self.with(|c| c.set_capacity(v4, v6).map_err(lost))
    }

    pub fn report(&self, what: Report) -> Result<Vec<u8>, Error> {
        // `ethtool -S` of the proxies here lists this machine's mux's names
        if what == Report::MuxStatNames {
            return Ok(crate::switch::report::encode(
                &crate::switch::mux_stat_names(&self.mux),
            ));
        }
        if what == Report::RouteResults {
            if let Some(r) = self.unread_results.lock().unwrap().take() {
                return Ok(r);
            }
        }
        self.with(|c| c.report(what).map_err(lost))
    }

    /// Keeps a route-results report the caller could not take.
    pub fn unread(&self, what: Report, records: Vec<u8>) {
        if what == Report::RouteResults {
            *self.unread_results.lock().unwrap() = Some(records);
        }
    }

    /// Returns after the far switch's tick (or at once once closed), with
    /// the next publication's number.
    pub fn wait_published(&self, after: u64, timeout: Duration) -> u64 {
        let ticks = self.ticks.lock().unwrap();
        let (mut ticks, _) = self
            .tick_cv
            .wait_timeout_while(ticks, timeout.min(TICK), |_| {
                !self.closed.load(Ordering::SeqCst)
            })
            .unwrap();
        *ticks = (*ticks).max(after) + 1;
        *ticks
    }

    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        drop(self.ticks.lock().unwrap());
        self.tick_cv.notify_all();
        *self.conn.lock().unwrap() = None;
    }
}

/// Whether an error means the connection is gone (rather than a refusal
/// the switch sent back over it).
fn is_lost(e: &Error) -> bool {
    [
        libc::ECONNRESET,
        libc::ECONNREFUSED,
        libc::EPIPE,
        libc::ENOTCONN,
        libc::ETIMEDOUT,
        libc::EHOSTUNREACH,
        libc::ENETUNREACH,
        libc::EIO,
        libc::EPROTO,
    ]
    .contains(&e.errno())
}

fn lost(e: Error) -> (Error, bool) {
    let l = is_lost(&e);
    (e, l)
}
