//! C ABI of [`crate::switch`]: software SWITCHes are integer handles.
//!
//! SWITCHD programs one with text and reads reports as text, a call per
//! batch; frames never cross this boundary.

use std::sync::Arc;

use super::{guard, in_slice, out_buf};
use crate::encap::Encap;
use crate::error::Error;
use crate::handles::Handles;
use crate::switch::{Report, SoftwareSwitch};

static SWITCHES: Handles<SoftwareSwitch> = Handles::new();

fn switch(h: usize) -> Result<Arc<SoftwareSwitch>, Error> {
    SWITCHES.get(h).map_err(|_| {
        Error::described(
            libc::EBADF,
            format!("switch handle {h} is not open (closed already, or never returned by open)"),
        )
    })
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
        Ok(SWITCHES.insert(SoftwareSwitch::open(name, Encap::try_from(encap)?)?))
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

/// Applies `len` bytes of program text (see [`crate::switch::program`]).
/// Returns the number of operations applied, or -errno with a message
/// naming the first bad line (those before it stay applied).
///
/// # Safety
///
/// `text` must be valid for reads of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_switch_program(h: usize, text: *const u8, len: usize) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let bytes = unsafe { in_slice(text, len) }?;
        let text = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("program text is not UTF-8"))?;
        switch(h)?.program(text)
    })
}

/// Writes report `what` (0 ports, 1 counters, 2 summary, 3 ethtool names,
/// 4 mux stat names, 5 fib; see
/// [`crate::switch::Report`]) into `buf`, without a NUL. Returns its
/// length, or `-ENOSPC` when `len` is too small (the message gives the
/// size needed).
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
        let text = switch(h)?.report(Report::try_from(what)?);
        // SAFETY: the caller's contract above is out_buf's.
        let out = unsafe { out_buf(buf, len) }?;
        if out.len() < text.len() {
            return Err(Error::described(
                libc::ENOSPC,
                format!(
                    "report needs {} bytes, buffer has {}",
                    text.len(),
                    out.len()
                ),
            ));
        }
        out[..text.len()].copy_from_slice(text.as_bytes());
        Ok(text.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(h: usize, text: &[u8]) -> isize {
        // SAFETY: text is a live slice of that length.
        unsafe { xeth_dp_switch_program(h, text.as_ptr(), text.len()) }
    }

    fn report(h: usize, what: u8, buf: &mut [u8]) -> isize {
        // SAFETY: buf is a live slice of that length borrowed exclusively.
        unsafe { xeth_dp_switch_report(h, what, buf.as_mut_ptr(), buf.len()) }
    }

    fn open(name: &[u8], encap: u8) -> isize {
        // SAFETY: name is a live slice of that length.
        unsafe { xeth_dp_switch_open(name.as_ptr(), name.len(), encap) }
    }

    #[test]
    fn open_program_report_close() {
        let h = open(b"xsw-ffi-none", 0);
        assert!(h > 0, "{h}");
        let h = h as usize;
        let text = b"link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nroute 1 254 10.0.0.0/8 1 10\n";
        assert_eq!(program(h, text), 2);
        assert_eq!(
            program(h, b"route 1 254 10.0.0.0/99 1 10"),
            -(libc::EINVAL as isize)
        );
        let mut buf = vec![0u8; 4096];
        let n = report(h, 2, &mut buf);
        assert!(n > 0);
        let s = std::str::from_utf8(&buf[..n as usize]).unwrap();
        assert!(s.contains("routes4 1\n") && s.contains("links 1\n"), "{s}");
        assert_eq!(report(h, 2, &mut buf[..3]), -(libc::ENOSPC as isize));
        let n = report(h, 5, &mut buf);
        assert_eq!(&buf[..n as usize], b"route 1 254 10.0.0.0/8 1 10\n");
        assert_eq!(report(h, 9, &mut buf), -(libc::EINVAL as isize));
        assert_eq!(report(h, 4, &mut buf), 0, "no such mux: no names");
        assert_eq!(xeth_dp_switch_close(h), 0);
        assert_eq!(xeth_dp_switch_close(h), -(libc::EBADF as isize));
        assert_eq!(program(h, b"clear"), -(libc::EBADF as isize));
        assert_eq!(open(b"xsw-ffi-none", 7), -(libc::EINVAL as isize));
    }
}
