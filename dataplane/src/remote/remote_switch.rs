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
//!
//! Calls come from any thread (SWITCHD makes them on Deno's worker
//! threads, so that its event loop does not wait for the network), and
//! one at a time go over the connection: a call waits for the one before
//! it, each at most [`super::client::CALL_TIMEOUT`] (connecting
//! [`super::client::CONNECT_TIMEOUT`]). [`RemoteSwitch::close`],
//! [`RemoteSwitch::generation`] and [`RemoteSwitch::wait_published`] never
//! wait for the connection.

use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::client::Client;
use super::ProgramError;
use crate::error::Error;
use crate::switch::Report;

/// How often the far switch publishes (its thread's tick): what `wait`
/// waits at most, since it does not ask over the connection (a wait there
/// would hold the connection from the calls that program the switch).
const TICK: Duration = Duration::from_millis(250);

pub struct RemoteSwitch {
    addr: String,
    /// SWITCHD's mux, here: its port stat names are reported from here.
    mux: String,
    /// The connection, held by a call for as long as it runs.
    conn: Mutex<Option<Client>>,
    /// The connection's socket again, for [`RemoteSwitch::close`] to shut
    /// down without waiting for a call that holds `conn`.
    socket: Mutex<Option<TcpStream>>,
    generation: AtomicU64,
    closed: AtomicBool,
    /// Publications as `wait` counts them, and its wake-up on close.
    ticks: Mutex<u64>,
    tick_cv: Condvar,
}

impl RemoteSwitch {
    /// A switch at `addr` (HOST:PORT); connects now, so that a wrong
    /// address or a switch with another controller is said at once.
    pub fn connect(addr: &str, mux: &str) -> Result<RemoteSwitch, Error> {
        let (client, socket) = dial(addr)?;
        Ok(RemoteSwitch {
            addr: addr.to_owned(),
            mux: mux.to_owned(),
            conn: Mutex::new(Some(client)),
            socket: Mutex::new(Some(socket)),
            generation: AtomicU64::new(1),
            closed: AtomicBool::new(false),
            ticks: Mutex::new(0),
            tick_cv: Condvar::new(),
        })
    }

    /// Connections made so far: it moves on when a call had to connect
    /// again.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    fn closed_error() -> Error {
        Error::described(libc::EBADF, "the remote switch is closed")
    }

    /// Runs `f` on the connection, connecting first when there is none;
    /// a failed connection is dropped, for the next call to make anew.
    fn with<T>(&self, f: impl FnOnce(&mut Client) -> Result<T, (Error, bool)>) -> Result<T, Error> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Self::closed_error());
        }
        let mut conn = lock(&self.conn);
        // closed while this call waited for the one before it
        if self.closed.load(Ordering::SeqCst) {
            return Err(Self::closed_error());
        }
        if conn.is_none() {
            let (client, socket) = dial(&self.addr)?;
            *lock(&self.socket) = Some(socket);
            // A close between the check above and now found no socket to
            // shut down: this call must not use the connection it made.
            if self.closed.load(Ordering::SeqCst) {
                self.shut_down();
                return Err(Self::closed_error());
            }
            *conn = Some(client);
            self.generation.fetch_add(1, Ordering::SeqCst);
        }
        let r = f(conn.as_mut().expect("connected above"));
        match r {
            Ok(v) => Ok(v),
            Err((e, lost)) => {
                if lost {
                    *conn = None;
                    *lock(&self.socket) = None;
                }
                Err(e)
            }
        }
    }

    /// Applies program records; a request that got no answer failed as a
    /// whole ([`ProgramError::Failed`]).
    pub fn program(&self, records: &[u8]) -> Result<usize, ProgramError> {
        let mut refused = None;
        self.with(|c| {
            c.program(records).map_err(|e| match e {
                ProgramError::Refused(r) => {
                    let lost = is_lost(&r.error);
                    let error = r.error.clone();
                    refused = Some(r);
                    (error, lost)
                }
                ProgramError::Failed(e) => lost(e),
            })
        })
        .map_err(|error| match refused {
            Some(r) => ProgramError::Refused(r),
            None => ProgramError::Failed(error),
        })
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
        self.with(|c| c.report(what).map_err(lost))
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

    /// Closes the switch's handle: a call in flight fails at once (its
    /// socket is shut down), later ones fail with `EBADF`. Does not wait
    /// for the call in flight.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.shut_down();
        drop(self.ticks.lock().unwrap());
        self.tick_cv.notify_all();
    }

    fn shut_down(&self) {
        if let Some(s) = lock(&self.socket).take() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

/// Connects to the switch at `addr`: the client, and its socket for
/// [`RemoteSwitch::close`]; errors name the switch.
fn dial(addr: &str) -> Result<(Client, TcpStream), Error> {
    let named = |e: Error| Error::described(e.errno(), format!("the switch at {addr}: {e}"));
    let (client, _) = Client::connect(addr).map_err(named)?;
    let socket = client.socket().map_err(|e| named(e.into()))?;
    Ok((client, socket))
}

/// A lock whose holder panicked is still good here: the connection is
/// replaced or dropped whole, never left half-changed.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
