//! C ABI of [`crate::sideband`]: connections are integer handles.
//!
//! `xeth_dp_sideband_wait` is meant to be called off the JavaScript thread
//! (Deno's `nonblocking: true`); its failures are rare and reported by
//! errno alone, because the last-error message is kept on the thread that
//! made the call.

use std::sync::Arc;

use super::{guard, in_slice, out_slice};
use crate::error::Error;
use crate::handles::Handles;
use crate::sideband::Sideband;

static CONNECTIONS: Handles<Sideband> = Handles::new();

fn conn(h: usize) -> Result<Arc<Sideband>, Error> {
    CONNECTIONS.get(h).map_err(|_| {
        Error::described(
            libc::EBADF,
            format!(
                "side-band handle {h} is not open (closed already, or never returned by connect)"
            ),
        )
    })
}

/// Connects to the side-band socket `@name` of a mux in the caller's
/// network namespace. `name` is `len` bytes, without a NUL.
///
/// Returns a handle (>= 1) or -errno: `-ECONNREFUSED` when nothing
/// listens (the mux is missing or down), `-EINVAL` for a bad name.
///
/// # Safety
///
/// `name` must be valid for reads of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_sideband_connect(name: *const u8, len: usize) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let bytes = unsafe { in_slice(name, len) }?;
        let name = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("mux name is not UTF-8"))?;
        Ok(CONNECTIONS.insert(Sideband::connect(name)?))
    })
}

/// The bit of side-band extension `ext` (`ext_len` bytes, e.g.
/// `fib-offload`) if the mux `mux` (`len` bytes) lists it in its sysfs
/// extensions file; -ENOENT when it does not (or has no such file),
/// -EINVAL for a bad name. Here rather than in SWITCHD because Deno reads
/// /sys only with --allow-all.
///
/// # Safety
///
/// `mux` and `ext` must be valid for reads of `len` and `ext_len` bytes
/// during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_sideband_extension(
    mux: *const u8,
    len: usize,
    ext: *const u8,
    ext_len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let mux = unsafe { in_slice(mux, len) }?;
        // SAFETY: as above.
        let ext = unsafe { in_slice(ext, ext_len) }?;
        let utf8 = |b| std::str::from_utf8(b).map_err(|_| Error::InvalidArgument("not UTF-8"));
        match crate::sideband::extension_bit(utf8(mux)?, utf8(ext)?)? {
            Some(bit) => Ok(bit as usize),
            None => Err(Error::described(
                libc::ENOENT,
                "the mux does not offer that extension",
            )),
        }
    })
}

/// Returns the connection's socket descriptor, for readiness watching.
/// It stays owned by the connection: do not close it.
#[no_mangle]
pub extern "C" fn xeth_dp_sideband_fd(h: usize) -> isize {
    guard(|| Ok(conn(h)?.fd() as usize))
}

/// Receives up to `max` messages without blocking, packed back to back in
/// `buf`, with their lengths in `lens`. Returns the number received (0 if
/// none is waiting) or -errno; `-ECONNRESET` when the kernel closed the
/// connection. Each message needs 9728 bytes of `buf` while receiving.
///
/// # Safety
///
/// `buf` must be valid for writes of `buf_len` bytes and `lens` (aligned)
/// for writes of `max` u32, both unused by anyone else during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_sideband_recv(
    h: usize,
    buf: *mut u8,
    buf_len: usize,
    lens: *mut u32,
    max: usize,
) -> isize {
    guard(|| {
        let c = conn(h)?;
        // SAFETY: the caller's contract above is out_slice's, for both.
        let (buf, lens) = unsafe { (out_slice(buf, buf_len)?, out_slice(lens, max)?) };
        c.recv_batch(buf, lens)
    })
}

/// Sends `n` messages packed back to back in `buf` (lengths in `lens`)
/// without blocking. Returns how many were sent, fewer than `n` when the
/// socket is full, or -errno; `-ECONNRESET` when the kernel closed it.
///
/// # Safety
///
/// `buf` must be valid for reads of `buf_len` bytes and `lens` (aligned)
/// for reads of `n` u32 during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_sideband_send(
    h: usize,
    buf: *const u8,
    buf_len: usize,
    lens: *const u32,
    n: usize,
) -> isize {
    guard(|| {
        let c = conn(h)?;
        // SAFETY: the caller's contract above is in_slice's, for both.
        let (buf, lens) = unsafe { (in_slice(buf, buf_len)?, in_slice(lens, n)?) };
        c.send_batch(buf, lens)
    })
}

/// Waits up to `timeout_ms` (-1: no limit) for the readiness bits in
/// `want` (1 readable, 2 writable). Returns the bits that hold, plus 4 for
/// a hang-up and 8 when `xeth_dp_sideband_wake` was called; 0 on timeout.
#[no_mangle]
pub extern "C" fn xeth_dp_sideband_wait(h: usize, want: u32, timeout_ms: i32) -> isize {
    guard(|| Ok(conn(h)?.wait(want, timeout_ms)? as usize))
}

/// Makes a pending or the next `xeth_dp_sideband_wait` on this handle
/// return at once. Callable from any thread.
#[no_mangle]
pub extern "C" fn xeth_dp_sideband_wake(h: usize) -> isize {
    guard(|| conn(h)?.wake().map(|_| 0))
}

/// Closes the connection. A wait in progress on another thread returns
/// (woken) first; the socket closes when that call has let go of it.
#[no_mangle]
pub extern "C" fn xeth_dp_sideband_close(h: usize) -> isize {
    guard(|| {
        let c = CONNECTIONS.remove(h).map_err(|_| {
            Error::described(libc::EBADF, format!("side-band handle {h} is not open"))
        })?;
        c.wake()?;
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_handles_are_ebadf() {
        assert_eq!(xeth_dp_sideband_fd(0), -(libc::EBADF as isize));
        assert_eq!(xeth_dp_sideband_wait(12345, 1, 0), -(libc::EBADF as isize));
        assert_eq!(xeth_dp_sideband_close(12345), -(libc::EBADF as isize));
    }

    #[test]
    fn connect_refused_and_bad_name() {
        let name = b"xdpt-ffi-none";
        // SAFETY: name is a live byte string of name.len() bytes.
        let r = unsafe { xeth_dp_sideband_connect(name.as_ptr(), name.len()) };
        assert_eq!(r, -(libc::ECONNREFUSED as isize));
        let bad = [0xffu8, 0xfe];
        // SAFETY: bad is a live array of 2 bytes.
        let r = unsafe { xeth_dp_sideband_connect(bad.as_ptr(), bad.len()) };
        assert_eq!(r, -(libc::EINVAL as isize));
    }
}
