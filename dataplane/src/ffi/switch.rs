//! C ABI of [`crate::switch`]: software SWITCHes are integer handles.
//!
//! SWITCHD programs one with a stream of records and reads its reports as
//! streams of records ([`crate::records`]), a call per batch; frames never
//! cross this boundary. Sizes come back as numbers: a report call returns
//! the report's size, and writes it only when the buffer holds it.
//!
//! A handle's switch may be on another machine ([`RemoteSwitch`]), where a
//! call waits for the network: SWITCHD runs those calls on Deno's worker
//! threads (`nonblocking`), so every call here may come from any thread,
//! several at once. The calls that can reach the network (connect,
//! program, capacity, report) take an error buffer for their message
//! ([`super::guard_into`]). Calls on one handle do not wait for each other
//! here except where they share state: a remote switch's connection
//! (one request at a time) and the unread route results.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{err_buf, guard, guard_into, in_slice, out_buf, out_slice};
use crate::encap::Encap;
use crate::error::Error;
use crate::handles::Handles;
use crate::remote::remote_switch::RemoteSwitch;
use crate::remote::ProgramError;
use crate::switch::{capacity_from_wire, program, Report, SoftwareSwitch};

/// Where a handle's switch runs.
enum Place {
    Local(SoftwareSwitch),
    Remote(RemoteSwitch),
}

/// A handle's switch: in this process, or on another machine.
struct Sw {
    place: Place,
    /// A route-results report its caller had no room for: route results
    /// are taken as they are reported, so the caller, asking again with
    /// room, gets these first. Held for the whole of a route-results
    /// report, so that two at once cannot take the same results or lose
    /// some.
    unread_results: Mutex<Option<Vec<u8>>>,
}

impl Sw {
    fn new(place: Place) -> Sw {
        Sw {
            place,
            unread_results: Mutex::new(None),
        }
    }

    fn program(&self, records: &[u8]) -> Result<usize, ProgramError> {
        match &self.place {
            Place::Local(s) => s.program(records).map_err(ProgramError::Refused),
            Place::Remote(s) => s.program(records),
        }
    }

    fn set_capacity(&self, v4: Option<usize>, v6: Option<usize>) -> Result<(), Error> {
        match &self.place {
            Place::Local(s) => {
                s.set_capacity(v4, v6);
                Ok(())
            }
            Place::Remote(s) => s.set_capacity(v4, v6),
        }
    }

    fn fetch(&self, what: Report) -> Result<Vec<u8>, Error> {
        match &self.place {
            Place::Local(s) => Ok(s.report(what)),
            Place::Remote(s) => s.report(what),
        }
    }

    /// Report `what` into `out` when it fits; its size either way. Route
    /// results that did not fit are kept for the next such report.
    fn report_into(&self, what: Report, out: &mut [u8]) -> Result<usize, Error> {
        if what != Report::RouteResults {
            return Ok(sized(&self.fetch(what)?, out));
        }
        let mut unread = self
            .unread_results
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let records = match unread.take() {
            Some(r) => r,
            None => self.fetch(what)?,
        };
        let n = sized(&records, out);
        if n > out.len() {
            *unread = Some(records);
        }
        Ok(n)
    }

    fn wait_published(&self, after: u64, timeout: Duration) -> u64 {
        match &self.place {
            Place::Local(s) => s.wait_published(after, timeout),
            Place::Remote(s) => s.wait_published(after, timeout),
        }
    }

    /// A remote switch's ports are only known by asking: it answers with
    /// its tick, as `wait_published` does.
    fn wait_links(&self, after: u64, timeout: Duration) -> u64 {
        match &self.place {
            Place::Local(s) => s.wait_links(after, timeout),
            Place::Remote(s) => s.wait_published(after, timeout),
        }
    }

    fn generation(&self) -> u64 {
        match &self.place {
            Place::Local(_) => 1,
            Place::Remote(s) => s.generation(),
        }
    }

    fn close(&self) {
        match &self.place {
            Place::Local(s) => s.close(),
            Place::Remote(s) => s.close(),
        }
    }
}

static SWITCHES: Handles<Sw> = Handles::new();

/// What [`xeth_dp_switch_program`] writes to `done` when no record was
/// refused: the call failed as a whole, and what it applied is unknown.
pub(crate) const NONE_REFUSED: u32 = u32::MAX;

fn switch(h: usize) -> Result<Arc<Sw>, Error> {
    SWITCHES.get(h).map_err(|_| {
        Error::described(
            libc::EBADF,
            format!("switch handle {h} is not open (closed already, or never returned by open)"),
        )
    })
}

/// Copies `data` into `out` when it fits; returns its length either way.
fn sized(data: &[u8], out: &mut [u8]) -> usize {
    if let Some(dst) = out.get_mut(..data.len()) {
        dst.copy_from_slice(data);
    }
    data.len()
}

/// Starts a software SWITCH for the mux named `mux` (`len` bytes, no NUL)
/// with encapsulation `encap` (0 vlan, 1 vpls). The mux need not exist:
/// the switch's thread opens its socket when it appears.
///
/// Returns a handle (>= 1) or -errno (`-EINVAL` for a bad name or encap).
///
/// # Safety
///
/// `mux` must be valid for reads of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_open(mux: *const u8, len: usize, encap: u8) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let bytes = unsafe { in_slice(mux, len) }?;
        let name = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("mux name is not UTF-8"))?;
        let sw = SoftwareSwitch::open(name, Encap::try_from(encap)?)?;
        Ok(SWITCHES.insert(Sw::new(Place::Local(sw))))
    })
}

/// Connects to a SWITCH on another machine (`xeth-switch`) at `addr`
/// (`len` bytes, HOST:PORT, no NUL) for the mux `mux` of this machine
/// (`mux_len` bytes; its port stat names are read here) and returns a
/// handle the other calls take as they take a local switch's. A lost
/// connection is made again by the call after the one that failed;
/// [`xeth_dp_switch_generation`] then moves on. Waits for the network (3 s
/// at most to connect, 5 s for the answer): call it off the JavaScript
/// thread.
///
/// Returns a handle (>= 1) or -errno: `-ECONNREFUSED` when nothing
/// listens, `-EBUSY` when the switch has a controller already; the
/// message in `err`.
///
/// # Safety
///
/// `addr` must be valid for reads of `len` bytes and `mux` of `mux_len`
/// bytes during the call; `err` as [`super::err_buf`] says.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_connect(
    addr: *const u8,
    len: usize,
    mux: *const u8,
    mux_len: usize,
    err: *mut u8,
    err_len: usize,
) -> isize {
    // SAFETY: the caller's contract above is err_buf's.
    let err = unsafe { err_buf(err, err_len) };
    guard_into(err, || {
        // SAFETY: the caller's contract above is in_slice's.
        let bytes = unsafe { in_slice(addr, len) }?;
        let addr = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("address is not UTF-8"))?;
        // SAFETY: as above.
        let bytes = unsafe { in_slice(mux, mux_len) }?;
        let mux = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("mux name is not UTF-8"))?;
        let sw = RemoteSwitch::connect(addr, mux)?;
        Ok(SWITCHES.insert(Sw::new(Place::Remote(sw))))
    })
}

/// The number of connections a remote switch's handle has made (1 for a
/// local switch): when it moves on, the switch was out of reach and the
/// caller programs it anew. >= 1 or `-EBADF`. Never waits.
#[no_mangle]
pub extern "C" fn xeth_dp_switch_generation(h: usize) -> isize {
    guard(|| {
        let g = switch(h)?.generation();
        usize::try_from(g).map_err(|_| Error::Overflow)
    })
}

/// Releases the handle and stops the switch: a local one's thread is
/// joined; a remote one's connection is shut down without waiting for a
/// call in flight, which then fails at once. 0 or `-EBADF`.
#[no_mangle]
pub extern "C" fn xeth_dp_switch_close(h: usize) -> isize {
    guard(|| {
        switch(h)?;
        SWITCHES.remove(h)?.close();
        Ok(0)
    })
}

/// Applies a stream of `len` bytes of program records. Returns the number
/// of records applied, or -errno with a message (in `err`) naming the
/// first record refused ("record N: why"); the records before it stay
/// applied, and `done[0]` says how many they are: the refused record's
/// 0-based place. When no record was refused, because the call failed as
/// a whole (a remote switch out of reach, a closed handle), `done[0]` is
/// [`NONE_REFUSED`] (`u32::MAX`): what the call did is unknown.
///
/// # Safety
///
/// `records` must be valid for reads of `len` bytes, and `done` for
/// writes of one u32, during the call; `err` as [`super::err_buf`] says.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_program(
    h: usize,
    records: *const u8,
    len: usize,
    done: *mut u32,
    err: *mut u8,
    err_len: usize,
) -> isize {
    // SAFETY: the caller's contract above is err_buf's.
    let err = unsafe { err_buf(err, err_len) };
    guard_into(err, || {
        // SAFETY: the caller's contract above is in_slice's and out_slice's.
        let bytes = unsafe { in_slice(records, len) }?;
        // SAFETY: as above.
        let out = unsafe { out_slice(done, 1) }?;
        out[0] = NONE_REFUSED;
        match switch(h)?.program(bytes) {
            Ok(n) => Ok(n),
            Err(ProgramError::Refused(r)) => {
                out[0] = u32::try_from(r.done).unwrap_or(NONE_REFUSED - 1);
                Err(r.error)
            }
            Err(ProgramError::Failed(e)) => Err(e),
        }
    })
}

/// Sets how many IPv4 (`v4`) and IPv6 (`v6`) routes the switch holds, as
/// a chip's tables would; `u64::MAX`: no limit (the default). Routes past
/// it wait, in arrival order, for deletions to make room. 0 or -errno,
/// the message in `err`.
///
/// # Safety
///
/// `err` as [`super::err_buf`] says.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_capacity(
    h: usize,
    v4: u64,
    v6: u64,
    err: *mut u8,
    err_len: usize,
) -> isize {
    // SAFETY: the caller's contract above is err_buf's.
    let err = unsafe { err_buf(err, err_len) };
    guard_into(err, || {
        let sw = switch(h)?;
        sw.set_capacity(capacity_from_wire(v4), capacity_from_wire(v6))?;
        Ok(0)
    })
}

/// Builds report `what` (0 ports, 1 counters, 2 summary, 3 ethtool names,
/// 4 mux stat names, 5 fib, 6 route results, 7 route status; see
/// [`crate::switch::Report`]), a stream of records, and returns its size;
/// it is written into `buf` only when `len` holds it (otherwise call again
/// with at least that much room: route results not written are given
/// then). -errno with the message in `err`.
///
/// # Safety
///
/// `buf` must be valid for writes of `len` bytes during the call and not
/// accessed by anyone else meanwhile; `err` as [`super::err_buf`] says.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_report(
    h: usize,
    what: u8,
    buf: *mut u8,
    len: usize,
    err: *mut u8,
    err_len: usize,
) -> isize {
    // SAFETY: the caller's contract above is err_buf's.
    let err = unsafe { err_buf(err, err_len) };
    guard_into(err, || {
        let sw = switch(h)?;
        let what = Report::try_from(what)?;
        // SAFETY: the caller's contract above is out_buf's.
        let out = unsafe { out_buf(buf, len) }?;
        sw.report_into(what, out)
    })
}

/// Waits until the switch's thread publishes state newer than `after`
/// (its tick, or an attach or detach taken), `timeout_ms` at most, or the
/// switch is closed; returns the number of the latest publication, which
/// the caller passes as `after` next time. Blocks: declare it nonblocking.
#[no_mangle]
pub extern "C" fn xeth_dp_switch_wait(h: usize, after: u64, timeout_ms: u32) -> isize {
    guard(|| {
        let seq = switch(h)?.wait_published(after, Duration::from_millis(timeout_ms.into()));
        usize::try_from(seq).map_err(|_| Error::Overflow)
    })
}

/// As [`xeth_dp_switch_wait`], for a publication whose ports differ from
/// the one before (attached or detached, a carrier or a speed changed), so
/// that a caller relaying link state is not woken on every tick; returns
/// the number of such changes (a remote switch: of its ticks). Blocks:
/// declare it nonblocking.
#[no_mangle]
pub extern "C" fn xeth_dp_switch_wait_links(h: usize, after: u64, timeout_ms: u32) -> isize {
    guard(|| {
        let seq = switch(h)?.wait_links(after, Duration::from_millis(timeout_ms.into()));
        usize::try_from(seq).map_err(|_| Error::Overflow)
    })
}

/// Renders a stream of records as text, a line per record (see
/// [`crate::switch::program::render`]), for diagnostics and tests; returns
/// the text's size and writes it into `out` only when `len` holds it.
///
/// # Safety
///
/// `records` must be valid for reads of `records_len` bytes and `out` for
/// writes of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_records_text(
    records: *const u8,
    records_len: usize,
    out: *mut u8,
    len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's and out_buf's.
        let bytes = unsafe { in_slice(records, records_len) }?;
        // SAFETY: as above.
        let out = unsafe { out_buf(out, len) }?;
        let text = program::render(bytes).map_err(|e| Error::described(libc::EINVAL, e))?;
        Ok(sized(text.as_bytes(), out))
    })
}

/// The records of program text (see [`crate::switch::program`]), for
/// diagnostics and tests: returns their size and writes them into `out`
/// only when `len` holds them; -EINVAL with "line N: why" for bad text.
///
/// # Safety
///
/// `text` must be valid for reads of `text_len` bytes and `out` for
/// writes of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_records_parse(
    text: *const u8,
    text_len: usize,
    out: *mut u8,
    len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's and out_buf's.
        let bytes = unsafe { in_slice(text, text_len) }?;
        // SAFETY: as above.
        let out = unsafe { out_buf(out, len) }?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("program text is not UTF-8"))?;
        let records = program::parse_text(text).map_err(|e| Error::described(libc::EINVAL, e))?;
        Ok(sized(&records, out))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::switch::report;

    fn parse(text: &str) -> Vec<u8> {
        let mut out = vec![0u8; 4096];
        // SAFETY: both slices are live for their lengths.
        let n = unsafe { xeth_dp_records_parse(text.as_ptr(), text.len(), out.as_mut_ptr(), 4096) };
        assert!(n > 0, "{n}");
        out.truncate(n as usize);
        out
    }

    /// The message of a call's error buffer, checked against this
    /// thread's last error (the same, where both are read).
    fn message(r: isize, err: &[u8]) -> String {
        let n = err.iter().position(|&b| b == 0).unwrap();
        let text = String::from_utf8(err[..n].to_vec()).unwrap();
        if r < 0 {
            let mut buf = [0u8; 1024];
            // SAFETY: buf is a live local array of buf.len() bytes.
            let m = unsafe { crate::ffi::xeth_dp_last_error(buf.as_mut_ptr(), buf.len()) };
            assert_eq!(text.as_bytes(), &buf[..m as usize]);
        }
        text
    }

    fn program_err(h: usize, records: &[u8], applied: &mut u32) -> (isize, String) {
        let mut err = [0u8; 1024];
        // SAFETY: records, applied and err are live for their lengths.
        let r = unsafe {
            xeth_dp_switch_program(
                h,
                records.as_ptr(),
                records.len(),
                applied,
                err.as_mut_ptr(),
                err.len(),
            )
        };
        (r, message(r, &err))
    }

    fn program(h: usize, records: &[u8], applied: &mut u32) -> isize {
        program_err(h, records, applied).0
    }

    fn report_err(h: usize, what: u8, buf: &mut [u8]) -> (isize, String) {
        let mut err = [0u8; 1024];
        // SAFETY: buf and err are live slices of their lengths borrowed
        // exclusively.
        let r = unsafe {
            xeth_dp_switch_report(
                h,
                what,
                buf.as_mut_ptr(),
                buf.len(),
                err.as_mut_ptr(),
                err.len(),
            )
        };
        (r, message(r, &err))
    }

    fn report(h: usize, what: u8, buf: &mut [u8]) -> isize {
        report_err(h, what, buf).0
    }

    fn capacity(h: usize, v4: u64, v6: u64) -> isize {
        let mut err = [0u8; 256];
        // SAFETY: err is a live local array of err.len() bytes.
        let r = unsafe { xeth_dp_switch_capacity(h, v4, v6, err.as_mut_ptr(), err.len()) };
        message(r, &err);
        r
    }

    fn connect(addr: &str) -> (isize, String) {
        let mut err = [0u8; 1024];
        let mux = b"xsw-ffi-nomux";
        // SAFETY: addr, mux and err are live for their lengths.
        let r = unsafe {
            xeth_dp_switch_connect(
                addr.as_ptr(),
                addr.len(),
                mux.as_ptr(),
                mux.len(),
                err.as_mut_ptr(),
                err.len(),
            )
        };
        (r, message(r, &err))
    }

    fn open(name: &[u8], encap: u8) -> isize {
        // SAFETY: name is a live slice of that length.
        unsafe { xeth_dp_switch_open(name.as_ptr(), name.len(), encap) }
    }

    fn text(records: &[u8]) -> String {
        let mut out = vec![0u8; 4096];
        // SAFETY: both slices are live for their lengths.
        let n = unsafe {
            xeth_dp_records_text(records.as_ptr(), records.len(), out.as_mut_ptr(), out.len())
        };
        assert!(n >= 0, "{n}");
        String::from_utf8(out[..n as usize].to_vec()).unwrap()
    }

    #[test]
    fn open_program_report_close() {
        let h = open(b"xsw-ffi-none", 0);
        assert!(h > 0, "{h}");
        let h = h as usize;
        let mut applied = 7u32;
        let records =
            parse("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nroute 1 254 10.0.0.0/8 1 10\n");
        assert_eq!(program(h, &records, &mut applied), 2);
        // A bad record: the ones before it apply, and it is named.
        let mut bad = parse("unlink 11\nroute 1 254 10.0.0.0/8 1 10\n");
        use crate::records::layout::{hop4, route4};
        let plen = bad.len() - route4::SIZE - hop4::SIZE + route4::plen;
        bad[plen] = 99;
        assert_eq!(program(h, &bad, &mut applied), -(libc::EINVAL as isize));
        assert_eq!(applied, 1);
        assert_eq!(program(h, b"junk", &mut applied), -(libc::EINVAL as isize));
        assert_eq!(applied, 0);
        let mut buf = vec![0u8; 4096];
        let n = report(h, 2, &mut buf);
        assert!(n > 0);
        let s = report::text(&buf[..n as usize]).unwrap();
        assert!(s.contains("routes4 1\n") && s.contains("links 1\n"), "{s}");
        // Too small: the size, nothing written.
        let mut small = vec![0u8; 3];
        assert_eq!(report(h, 2, &mut small), n);
        assert_eq!(small, [0, 0, 0]);
        let n = report(h, 5, &mut buf);
        assert_eq!(text(&buf[..n as usize]), "route 1 254 10.0.0.0/8 1 10\n");
        // A capacity: what did not fit is failed, and said so.
        assert_eq!(capacity(h, 1, u64::MAX), 0);
        let n = report(h, 7, &mut buf);
        assert_eq!(
            report::text(&buf[..n as usize]).unwrap(),
            "result 1 254 10.0.0.0/8 forwarded\n"
        );
        let more = parse("route 1 254 10.1.0.0/16 1 10\n");
        assert_eq!(program(h, &more, &mut applied), 1);
        // Too small: said again by the next call.
        let mut small = vec![0u8; 8];
        let n = report(h, 6, &mut small);
        assert!(n > 8);
        let n = report(h, 6, &mut buf);
        assert_eq!(
            report::text(&buf[..n as usize]).unwrap(),
            "result 1 254 10.1.0.0/16 failed\n"
        );
        assert_eq!(capacity(h + 1000, 1, 1), -(libc::EBADF as isize));
        assert_eq!(report(h, 9, &mut buf), -(libc::EINVAL as isize));
        let n = report(h, 4, &mut buf);
        assert_eq!(text(&buf[..n as usize]), "", "no such mux: no names");
        let t = std::time::Instant::now();
        let seq = xeth_dp_switch_wait(h, 0, 5000);
        assert!(seq > 0, "{seq}");
        assert!(
            xeth_dp_switch_wait(h, seq as u64, 2000) > seq,
            "the next tick publishes again"
        );
        // both waits ended by a publish (the sequence numbers say so); the
        // bound only catches a wait that ran to its timeout, and is loose
        // for a busy machine
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
        // No port attached: only the first publication changed the ports;
        // a wait for the next change runs to its timeout.
        assert_eq!(xeth_dp_switch_wait_links(h, 0, 5000), 1);
        assert_eq!(xeth_dp_switch_wait_links(h, 1, 600), 1);
        assert_eq!(xeth_dp_switch_close(h), 0);
        assert_eq!(xeth_dp_switch_close(h), -(libc::EBADF as isize));
        let (r, why) = program_err(h, &parse("clear"), &mut applied);
        assert_eq!(r, -(libc::EBADF as isize));
        assert!(why.contains("is not open"), "{why}");
        assert_eq!(applied, NONE_REFUSED, "no record refused: the call failed");
        assert_eq!(xeth_dp_switch_wait(h, 0, 0), -(libc::EBADF as isize));
        assert_eq!(xeth_dp_switch_wait_links(h, 0, 0), -(libc::EBADF as isize));
        assert_eq!(open(b"xsw-ffi-none", 7), -(libc::EINVAL as isize));
    }

    #[test]
    fn a_wait_ends_when_the_switch_closes() {
        let h = open(b"xsw-ffi-wait", 0) as usize;
        let seq = xeth_dp_switch_wait(h, 0, 5000);
        let sw = switch(h).unwrap();
        let t = std::time::Instant::now();
        let waiter =
            std::thread::spawn(move || sw.wait_published(u64::MAX, Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(xeth_dp_switch_close(h), 0);
        let last = waiter.join().unwrap();
        assert!(last as isize >= seq);
        // well under the waiter's 30 s: the close ended it
        assert!(t.elapsed() < Duration::from_secs(15), "{:?}", t.elapsed());
    }

    #[test]
    fn text_and_parse_refuse_what_they_cannot_read() {
        let mut out = vec![0u8; 64];
        let t = b"clear\nfrobnicate";
        // SAFETY: both slices are live for their lengths.
        let n = unsafe { xeth_dp_records_parse(t.as_ptr(), t.len(), out.as_mut_ptr(), out.len()) };
        assert_eq!(n, -(libc::EINVAL as isize));
        // SAFETY: as above.
        let n = unsafe { xeth_dp_records_text(t.as_ptr(), t.len(), out.as_mut_ptr(), out.len()) };
        assert_eq!(n, -(libc::EINVAL as isize));
    }

    /// Over FFI, a remote switch whose peer went silent or went away:
    /// the call fails within its bound with a message in its error
    /// buffer, as a whole (no record refused), and a close does not wait
    /// for a call in flight.
    #[test]
    fn a_remote_peer_that_is_cut_or_silent_fails_the_call_with_its_reason() {
        use crate::remote::client::CALL_TIMEOUT;
        use crate::remote::tests::hello_then;
        let records = parse("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -");
        let (h, why) = connect(&hello_then(true).to_string());
        assert!(h > 0, "{h}: {why}");
        let h = h as usize;
        let mut applied = 7u32;
        let (r, why) = program_err(h, &records, &mut applied);
        assert_eq!(r, -(libc::ECONNRESET as isize), "{why}");
        assert!(why.contains("closed the connection"), "{why}");
        assert_eq!(applied, NONE_REFUSED);
        // the next call connects again, and finds nothing listening now
        let (r, why) = report_err(h, 2, &mut [0u8; 64]);
        assert!(
            r < 0 && why.contains("the switch at 127.0.0.1:"),
            "{r}: {why}"
        );
        assert_eq!(xeth_dp_switch_close(h), 0);

        let (h, why) = connect(&hello_then(false).to_string());
        assert!(h > 0, "{h}: {why}");
        let h = h as usize;
        let call = std::thread::spawn(move || report_err(h, 2, &mut [0u8; 64]));
        std::thread::sleep(Duration::from_millis(200));
        let t = std::time::Instant::now();
        assert_eq!(xeth_dp_switch_close(h), 0);
        // under the call's 5 s timeout, which a busy machine may stretch
        // a little: the status below says what ended the call
        assert!(t.elapsed() < CALL_TIMEOUT, "close waited");
        let (r, why) = call.join().unwrap();
        // ended by the close (its socket shut down), not by its timeout
        assert!(
            r == -(libc::ECONNRESET as isize) || r == -(libc::EBADF as isize),
            "{r}: {why}"
        );
    }

    #[test]
    fn a_silent_remote_peer_fails_the_call_after_its_bound() {
        use crate::remote::client::CALL_TIMEOUT;
        use crate::remote::tests::hello_then;
        let (h, why) = connect(&hello_then(false).to_string());
        assert!(h > 0, "{h}: {why}");
        let t = std::time::Instant::now();
        let (r, why) = report_err(h as usize, 2, &mut [0u8; 64]);
        assert_eq!(r, -(libc::ETIMEDOUT as isize), "{why}");
        assert_eq!(why, "no answer within 5 s");
        assert!(t.elapsed() >= CALL_TIMEOUT - Duration::from_millis(100));
        // The call ends, it does not hang. Nothing is measured here, so
        // the bound is generous: under a CPU hog a fresh-clone run saw
        // this call take 15.08 s, three times its timeout.
        assert!(t.elapsed() < CALL_TIMEOUT * 12, "{:?}", t.elapsed());
        assert_eq!(xeth_dp_switch_close(h as usize), 0);
    }

    #[test]
    fn route_results_too_large_for_the_buffer_are_given_by_the_next_report() {
        let h = open(b"xsw-ffi-unread", 0) as usize;
        let mut applied = 0;
        let mut buf = vec![0u8; 4096];
        assert_eq!(
            report(h, 6, &mut buf),
            16,
            "nothing yet; collecting from here on"
        );
        let routes = parse("route 1 254 10.1.0.0/16 1 10\nroute 1 254 10.2.0.0/16 1 10");
        assert_eq!(program(h, &routes, &mut applied), 2);
        let n = report(h, 6, &mut [0u8; 8]);
        assert!(n > 8);
        // From any thread: the handle's, not the thread's.
        let again = std::thread::spawn(move || {
            let mut buf = vec![0u8; 4096];
            let m = report(h, 6, &mut buf);
            (m, buf)
        });
        let (m, buf) = again.join().unwrap();
        assert_eq!(m, n);
        let text = report::text(&buf[..m as usize]).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert_eq!(report(h, 6, &mut vec![0u8; 4096]), 16, "taken");
        assert_eq!(xeth_dp_switch_close(h), 0);
    }
}
