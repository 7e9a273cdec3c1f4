//! C ABI of [`crate::switch`]: software SWITCHes are integer handles.
//!
//! SWITCHD programs one with a stream of records and reads its reports as
//! streams of records ([`crate::records`]), a call per batch; frames never
//! cross this boundary. Sizes come back as numbers: a report call returns
//! the report's size, and writes it only when the buffer holds it.

use std::sync::Arc;
use std::time::Duration;

use super::{guard, in_slice, out_buf, out_slice};
use crate::encap::Encap;
use crate::error::Error;
use crate::handles::Handles;
use crate::remote::remote_switch::RemoteSwitch;
use crate::switch::{program, Refused, Report, SoftwareSwitch};

/// A handle's switch: in this process, or on another machine.
enum Sw {
    Local(SoftwareSwitch),
    Remote(RemoteSwitch),
}

impl Sw {
    fn program(&self, records: &[u8]) -> Result<usize, Refused> {
        match self {
            Sw::Local(s) => s.program(records),
            Sw::Remote(s) => s.program(records),
        }
    }

    fn set_capacity(&self, v4: Option<usize>, v6: Option<usize>) -> Result<(), Error> {
        match self {
            Sw::Local(s) => {
                s.set_capacity(v4, v6);
                Ok(())
            }
            Sw::Remote(s) => s.set_capacity(v4, v6),
        }
    }

    fn report(&self, what: Report) -> Result<Vec<u8>, Error> {
        match self {
            Sw::Local(s) => Ok(s.report(what)),
            Sw::Remote(s) => s.report(what),
        }
    }

    fn unread(&self, what: Report, records: Vec<u8>) {
        match self {
            Sw::Local(s) => s.unread(what, records),
            Sw::Remote(s) => s.unread(what, records),
        }
    }

    fn wait_published(&self, after: u64, timeout: Duration) -> u64 {
        match self {
            Sw::Local(s) => s.wait_published(after, timeout),
            Sw::Remote(s) => s.wait_published(after, timeout),
        }
    }

    fn generation(&self) -> u64 {
        match self {
            Sw::Local(_) => 1,
            Sw::Remote(s) => s.generation(),
        }
    }

    fn close(&self) {
        match self {
            Sw::Local(s) => s.close(),
            Sw::Remote(s) => s.close(),
        }
    }
}

static SWITCHES: Handles<Sw> = Handles::new();

fn switch(h: usize) -> Result<Arc<Sw>, Error> {
    SWITCHES.get(h).map_err(|_| {
        Error::described(
            libc::EBADF,
            format!("switch handle {h} is not open (closed already, or never returned by open)"),
        )
    })
}

/// Copies `data` into `out` when it fits; returns its length either way.
fn sized(data: &[u8], out: &mut [u8]) -> Result<usize, Error> {
    if let Some(dst) = out.get_mut(..data.len()) {
        dst.copy_from_slice(data);
    }
    Ok(data.len())
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
        Ok(SWITCHES.insert(Sw::Local(SoftwareSwitch::open(
            name,
            Encap::try_from(encap)?,
        )?)))
    })
}

/// Connects to a SWITCH on another machine (`xeth-switch`) at `addr`
/// (`len` bytes, HOST:PORT, no NUL) for the mux `mux` of this machine
/// (`mux_len` bytes; its port stat names are read here) and returns a
/// handle the other calls take as they take a local switch's. A lost connection is made again by
/// the call after the one that failed; [`xeth_dp_switch_generation`] then
/// moves on.
///
/// Returns a handle (>= 1) or -errno: `-ECONNREFUSED` when nothing
/// listens, `-EBUSY` when the switch has a controller already.
///
/// # Safety
///
/// `addr` must be valid for reads of `len` bytes and `mux` of `mux_len`
/// bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_connect(
    addr: *const u8,
    len: usize,
    mux: *const u8,
    mux_len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let bytes = unsafe { in_slice(addr, len) }?;
        let addr = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("address is not UTF-8"))?;
        // SAFETY: as above.
        let bytes = unsafe { in_slice(mux, mux_len) }?;
        let mux = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("mux name is not UTF-8"))?;
        Ok(SWITCHES.insert(Sw::Remote(RemoteSwitch::connect(addr, mux)?)))
    })
}

/// The number of connections a remote switch's handle has made (1 for a
/// local switch): when it moves on, the switch was out of reach and the
/// caller programs it anew. >= 1 or `-EBADF`.
#[no_mangle]
pub extern "C" fn xeth_dp_switch_generation(h: usize) -> isize {
    guard(|| {
        let g = switch(h)?.generation();
        usize::try_from(g).map_err(|_| Error::Overflow)
    })
}

/// Stops the switch's thread and releases the handle; 0 or `-EBADF`.
#[no_mangle]
pub extern "C" fn xeth_dp_switch_close(h: usize) -> isize {
    guard(|| {
        switch(h)?;
        SWITCHES.remove(h)?.close();
        Ok(0)
    })
}

/// Applies a stream of `len` bytes of program records. Returns the number
/// of records applied, or -errno with a message naming the first record
/// refused ("record N: why"); the records before it stay applied, and
/// `done[0]` says how many they are: the refused record's 0-based place.
///
/// # Safety
///
/// `records` must be valid for reads of `len` bytes, and `done` for
/// writes of one u32, during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_program(
    h: usize,
    records: *const u8,
    len: usize,
    done: *mut u32,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's and out_slice's.
        let bytes = unsafe { in_slice(records, len) }?;
        // SAFETY: as above.
        let out = unsafe { out_slice(done, 1) }?;
        match switch(h)?.program(bytes) {
            Ok(n) => Ok(n),
            Err(refused) => {
                out[0] = u32::try_from(refused.done).unwrap_or(u32::MAX);
                Err(refused.error)
            }
        }
    })
}

/// Sets how many IPv4 (`v4`) and IPv6 (`v6`) routes the switch holds, as
/// a chip's tables would; `u64::MAX`: no limit (the default). Routes past
/// it wait, in arrival order, for deletions to make room. 0 or -errno.
#[no_mangle]
pub extern "C" fn xeth_dp_switch_capacity(h: usize, v4: u64, v6: u64) -> isize {
    guard(|| {
        let limit = |v: u64| (v != u64::MAX).then(|| usize::try_from(v).unwrap_or(usize::MAX));
        switch(h)?.set_capacity(limit(v4), limit(v6))?;
        Ok(0)
    })
}

/// Builds report `what` (0 ports, 1 counters, 2 summary, 3 ethtool names,
/// 4 mux stat names, 5 fib, 6 route results, 7 route status; see
/// [`crate::switch::Report`]), a stream of
/// records, and returns its size; it is written into `buf` only when `len`
/// holds it (otherwise call again with at least that much room).
///
/// # Safety
///
/// `buf` must be valid for writes of `len` bytes during the call and not
/// accessed by anyone else meanwhile.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_report(
    h: usize,
    what: u8,
    buf: *mut u8,
    len: usize,
) -> isize {
    guard(|| {
        let sw = switch(h)?;
        let what = Report::try_from(what)?;
        let records = sw.report(what)?;
        // SAFETY: the caller's contract above is out_buf's.
        let out = unsafe { out_buf(buf, len) }?;
        let n = sized(&records, out)?;
        if n > out.len() {
            // Route results are taken as they are reported: the caller
            // asks again with room, and must get them then.
            sw.unread(what, records);
        }
        Ok(n)
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
        sized(text.as_bytes(), out)
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
        sized(&records, out)
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

    fn program(h: usize, records: &[u8], applied: &mut u32) -> isize {
        // SAFETY: records is a live slice of that length, applied a live u32.
        unsafe { xeth_dp_switch_program(h, records.as_ptr(), records.len(), applied) }
    }

    fn report(h: usize, what: u8, buf: &mut [u8]) -> isize {
        // SAFETY: buf is a live slice of that length borrowed exclusively.
        unsafe { xeth_dp_switch_report(h, what, buf.as_mut_ptr(), buf.len()) }
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
        assert_eq!(xeth_dp_switch_capacity(h, 1, u64::MAX), 0);
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
        assert_eq!(
            xeth_dp_switch_capacity(h + 1000, 1, 1),
            -(libc::EBADF as isize)
        );
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
        assert!(t.elapsed() < std::time::Duration::from_secs(4));
        assert_eq!(xeth_dp_switch_close(h), 0);
        assert_eq!(xeth_dp_switch_close(h), -(libc::EBADF as isize));
        assert_eq!(
            program(h, &parse("clear"), &mut applied),
            -(libc::EBADF as isize)
        );
        assert_eq!(xeth_dp_switch_wait(h, 0, 0), -(libc::EBADF as isize));
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
        assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
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
}
