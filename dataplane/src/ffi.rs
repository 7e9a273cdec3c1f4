//! The C ABI of the data plane: every `extern "C"` function of the crate.
//!
//! Conventions, shared by every function here so that the Deno side can wrap
//! them uniformly:
//!
//! * A function that can fail returns `isize`: a non-negative value on
//!   success, `-errno` on failure.
//! * On failure the message is kept per thread, like `errno`, and read with
//!   [`xeth_dp_last_error`] right after the failing call. Succeeding calls do
//!   not clear it. Deno runs non-`nonblocking` FFI calls on the JavaScript
//!   thread, so the message is found on the thread that made the call.
//! * A call that may wait on the network (the remote SWITCH's: connect,
//!   program, capacity, report) is declared `nonblocking` by SWITCHD and
//!   runs on one of Deno's worker threads, where a per-thread message
//!   would be lost to the caller: such a call also takes an error buffer
//!   (`err`, `err_len`) and writes the message of its failure there,
//!   NUL-terminated and cut to fit ([`guard_into`]).
//! * Output strings are written NUL-terminated into a caller-owned buffer;
//!   the return value is their length without the NUL.
//! * No panic crosses this boundary: `guard` catches it and reports
//!   `-EIO` with a `panic: ...` message.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};

use crate::error::Error;
use crate::{ABI_VERSION, VERSION};

mod punt;
mod sideband;
mod switch;
#[cfg(test)]
mod typescript;
mod vfio;

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Returns the ABI version of this library ([`crate::ABI_VERSION`]).
///
/// SWITCHD calls this first and refuses a library whose version differs
/// from the one it expects, before calling anything else.
#[no_mangle]
pub extern "C" fn xeth_dp_abi_version() -> u32 {
    ABI_VERSION
}

/// Writes the crate version, NUL-terminated, into `buf`.
///
/// Returns the number of bytes written without the NUL, `-ERANGE` when
/// `len` is too small, or `-EINVAL` when `buf` is null.
///
/// # Safety
///
/// `buf` must be null or valid for writes of `len` bytes, and must not be
/// read or written by anyone else during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_version(buf: *mut u8, len: usize) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is exactly out_buf's.
        let out = unsafe { out_buf(buf, len) }?;
        write_cstr(out, VERSION)
    })
}

/// Copies this thread's last error message, NUL-terminated, into `buf`.
///
/// Returns its length without the NUL: 0 when no call on this thread has
/// failed yet. Returns `-ERANGE` when `len` is too small (the caller should
/// retry with a larger buffer) or `-EINVAL` when `buf` is null. Failing here
/// leaves the stored message in place.
///
/// # Safety
///
/// Same as [`xeth_dp_version`].
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_last_error(buf: *mut u8, len: usize) -> isize {
    // Not through guard(): a failure to fetch the message must not replace
    // the message being fetched.
    to_return(catch(|| {
        // SAFETY: the caller's contract above is exactly out_buf's.
        let out = unsafe { out_buf(buf, len) }?;
        LAST_ERROR.with(|e| write_cstr(out, &e.borrow()))
    }))
}

/// Runs the body of an exported function: its error or panic becomes
/// `-errno` plus a stored message, its success the non-negative return.
pub(crate) fn guard<F>(f: F) -> isize
where
    F: FnOnce() -> Result<usize, Error>,
{
    match catch(f) {
        Ok(n) => n,
        Err(e) => {
            set_last_error(&e);
            -(e.errno() as isize)
        }
    }
}

/// As [`guard`], for a function that may run off the JavaScript thread:
/// the message of a failure is also written into the caller's error
/// buffer `err` ([`err_buf`]), NUL-terminated and cut at a character
/// boundary to fit.
pub(crate) fn guard_into<F>(err: Option<&mut [u8]>, f: F) -> isize
where
    F: FnOnce() -> Result<usize, Error>,
{
    match catch(f) {
        Ok(n) => n,
        Err(e) => {
            set_last_error(&e);
            if let Some(out) = err {
                write_cstr_cut(out, &e.to_string().replace('\0', "\\0"));
            }
            -(e.errno() as isize)
        }
    }
}

/// Views a caller's error buffer of `len` bytes for [`guard_into`]: none
/// when `err` is null or `len` is 0.
///
/// # Safety
///
/// As [`out_buf`]'s.
pub(crate) unsafe fn err_buf<'a>(err: *mut u8, len: usize) -> Option<&'a mut [u8]> {
    if len == 0 {
        return None;
    }
    // SAFETY: the caller's contract above is out_buf's.
    unsafe { out_buf(err, len) }.ok()
}

/// Copies as much of `s` as fits into `out` with a NUL after it (`out` is
/// not empty), cut at a character boundary.
fn write_cstr_cut(out: &mut [u8], s: &str) {
    let mut n = s.len().min(out.len() - 1);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    out[..n].copy_from_slice(&s.as_bytes()[..n]);
    out[n] = 0;
}

/// Runs `f`, turning a panic into [`Error::Panic`] and a success value
/// into the C return value.
fn catch<F>(f: F) -> Result<isize, Error>
where
    F: FnOnce() -> Result<usize, Error>,
{
    // AssertUnwindSafe: after a panic nothing `f` captured is used again;
    // the only state that outlives the call, LAST_ERROR, is written after
    // unwinding has finished.
    let r = match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(Error::Panic(panic_message(payload.as_ref()))),
    };
    // A success value must stay non-negative, or the caller would read it
    // as an errno.
    r.and_then(|n| isize::try_from(n).map_err(|_| Error::Overflow))
}

fn to_return(r: Result<isize, Error>) -> isize {
    r.unwrap_or_else(|e| -(e.errno() as isize))
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(no message)".to_owned()
    }
}

fn set_last_error(e: &Error) {
    // A NUL inside the message would cut it short for a C reader.
    let msg = e.to_string().replace('\0', "\\0");
    // try_with: during thread teardown the slot may be gone; losing the
    // message then is better than panicking across the boundary.
    let _ = LAST_ERROR.try_with(|slot| *slot.borrow_mut() = msg);
}

/// Views a caller's output buffer as a slice.
///
/// # Safety
///
/// `buf` must be null or valid for writes of `len` bytes for `'a`, and not
/// accessed through any other pointer during `'a`.
pub(crate) unsafe fn out_buf<'a>(buf: *mut u8, len: usize) -> Result<&'a mut [u8], Error> {
    if buf.is_null() {
        return Err(Error::InvalidArgument("null buffer"));
    }
    // from_raw_parts_mut requires it; no real buffer is this large, so a
    // length past it is a caller bug, not something to truncate.
    if len > isize::MAX as usize {
        return Err(Error::InvalidArgument("buffer length exceeds isize::MAX"));
    }
    // SAFETY: buf is non-null and len is within isize::MAX (checked above);
    // validity for len bytes and exclusive access for 'a are the caller's
    // contract; u8 has no alignment or initialisation requirement.
    Ok(unsafe { std::slice::from_raw_parts_mut(buf, len) })
}

/// Views a caller's input array of `len` elements as a slice.
///
/// A null pointer is accepted only with `len == 0` (Deno passes null for an
/// empty buffer), giving an empty slice.
///
/// # Safety
///
/// `ptr` must be null or valid for reads of `len` elements of `T` for `'a`,
/// and not written by anyone during `'a`.
pub(crate) unsafe fn in_slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], Error> {
    check_array(ptr, len)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: check_array proved ptr non-null, aligned for T, and len
    // elements within isize::MAX bytes; validity and the absence of writers
    // for 'a are the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Views a caller's output array of `len` elements as a mutable slice; null
/// only with `len == 0`, as for [`in_slice`].
///
/// # Safety
///
/// `ptr` must be null or valid for reads and writes of `len` elements of
/// `T` for `'a`, and not accessed through any other pointer during `'a`;
/// every bit pattern must be a valid `T` (true of the integer types used).
pub(crate) unsafe fn out_slice<'a, T>(ptr: *mut T, len: usize) -> Result<&'a mut [T], Error> {
    check_array(ptr, len)?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: as in in_slice, plus exclusive access for 'a from the
    // caller's contract.
    Ok(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

fn check_array<T>(ptr: *const T, len: usize) -> Result<(), Error> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(())
        } else {
            Err(Error::InvalidArgument("null array with a non-zero length"))
        };
    }
    if (ptr as usize) % std::mem::align_of::<T>() != 0 {
        return Err(Error::InvalidArgument("misaligned array"));
    }
    match len.checked_mul(std::mem::size_of::<T>()) {
        Some(bytes) if bytes <= isize::MAX as usize => Ok(()),
        _ => Err(Error::InvalidArgument(
            "array length exceeds isize::MAX bytes",
        )),
    }
}

/// Copies `s` plus a NUL into `out`, returning `s.len()`.
pub(crate) fn write_cstr(out: &mut [u8], s: &str) -> Result<usize, Error> {
    let needed = s.len() + 1;
    if out.len() < needed {
        return Err(Error::BufferTooSmall {
            needed,
            got: out.len(),
        });
    }
    out[..s.len()].copy_from_slice(s.as_bytes());
    out[s.len()] = 0;
    Ok(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        let mut buf = [0u8; 256];
        // SAFETY: buf is a live local array of buf.len() bytes.
        let n = unsafe { xeth_dp_last_error(buf.as_mut_ptr(), buf.len()) };
        assert!(n >= 0, "xeth_dp_last_error failed: {n}");
        let n = n as usize;
        assert_eq!(buf[n], 0, "missing NUL terminator");
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn abi_version_is_the_crate_constant() {
        assert_eq!(xeth_dp_abi_version(), ABI_VERSION);
    }

    #[test]
    fn version_round_trips() {
        let mut buf = [0xffu8; 32];
        // SAFETY: buf is a live local array of buf.len() bytes.
        let n = unsafe { xeth_dp_version(buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, VERSION.len() as isize);
        assert_eq!(&buf[..VERSION.len()], VERSION.as_bytes());
        assert_eq!(buf[VERSION.len()], 0);
    }

    #[test]
    fn version_fits_exactly_with_its_nul() {
        let mut buf = vec![0xffu8; VERSION.len() + 1];
        // SAFETY: buf is a live Vec of buf.len() bytes.
        let n = unsafe { xeth_dp_version(buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, VERSION.len() as isize);
    }

    #[test]
    fn version_into_short_buffer_is_erange_and_leaves_it_alone() {
        let mut buf = vec![0xffu8; VERSION.len()];
        // SAFETY: buf is a live Vec of buf.len() bytes.
        let n = unsafe { xeth_dp_version(buf.as_mut_ptr(), buf.len()) };
        assert_eq!(n, -(libc::ERANGE as isize));
        assert!(buf.iter().all(|&b| b == 0xff));
        assert!(last_error().starts_with("buffer too small"));
    }

    #[test]
    fn version_into_null_is_einval() {
        // SAFETY: a null buffer is allowed by the contract.
        let n = unsafe { xeth_dp_version(std::ptr::null_mut(), 16) };
        assert_eq!(n, -(libc::EINVAL as isize));
        assert_eq!(last_error(), "invalid argument: null buffer");
    }

    #[test]
    fn out_buf_rejects_null_and_oversized_lengths() {
        // SAFETY: null is allowed by out_buf's contract.
        let r = unsafe { out_buf(std::ptr::null_mut(), 1) };
        assert_eq!(r.unwrap_err(), Error::InvalidArgument("null buffer"));

        let mut b = 0u8;
        // SAFETY: out_buf rejects this length before building a slice, so
        // the pointer is never used beyond its one valid byte.
        let r = unsafe { out_buf(&mut b, usize::MAX) };
        assert!(matches!(r, Err(Error::InvalidArgument(_))));
    }

    #[test]
    fn out_buf_views_the_whole_buffer() {
        let mut buf = [0u8; 8];
        // SAFETY: buf is a live local array of buf.len() bytes, and is only
        // used through the returned slice while it lives.
        let s = unsafe { out_buf(buf.as_mut_ptr(), buf.len()) }.unwrap();
        assert_eq!(s.len(), 8);
        s[7] = 7;
        assert_eq!(buf[7], 7);
    }

    #[test]
    fn last_error_is_empty_until_a_call_fails() {
        // Each test runs on its own thread, so this one starts clean.
        assert_eq!(last_error(), "");
    }

    #[test]
    fn last_error_survives_a_successful_call() {
        assert!(guard(|| Err(Error::Os(libc::ENOENT))) < 0);
        assert!(guard(|| Ok(0)) == 0);
        assert!(last_error().contains("No such file or directory"));
    }

    #[test]
    fn last_error_into_short_buffer_keeps_the_message() {
        assert_eq!(
            guard(|| Err(Error::InvalidArgument("a long enough message"))),
            -(libc::EINVAL as isize)
        );
        let mut small = [0u8; 4];
        // SAFETY: small is a live local array of small.len() bytes.
        let n = unsafe { xeth_dp_last_error(small.as_mut_ptr(), small.len()) };
        assert_eq!(n, -(libc::ERANGE as isize));
        assert_eq!(last_error(), "invalid argument: a long enough message");
    }

    #[test]
    fn last_error_into_null_is_einval() {
        // SAFETY: a null buffer is allowed by the contract.
        let n = unsafe { xeth_dp_last_error(std::ptr::null_mut(), 0) };
        assert_eq!(n, -(libc::EINVAL as isize));
    }

    #[test]
    fn guard_returns_success_values() {
        assert_eq!(guard(|| Ok(42)), 42);
    }

    #[test]
    fn guard_turns_errors_into_negative_errno() {
        assert_eq!(
            guard(|| Err(Error::Os(libc::EPERM))),
            -(libc::EPERM as isize)
        );
        assert!(last_error().contains("Operation not permitted"));
    }

    #[test]
    fn guard_contains_panics() {
        let n = guard(|| panic!("boom {}", 7));
        assert_eq!(n, -(libc::EIO as isize));
        assert_eq!(last_error(), "panic: boom 7");

        let n = guard(|| panic!("static"));
        assert_eq!(n, -(libc::EIO as isize));
        assert_eq!(last_error(), "panic: static");

        let n = guard(|| std::panic::panic_any(17u32));
        assert_eq!(n, -(libc::EIO as isize));
        assert_eq!(last_error(), "panic: (no message)");
    }

    #[test]
    fn guard_rejects_success_values_that_look_like_errors() {
        assert_eq!(guard(|| Ok(usize::MAX)), -(libc::EOVERFLOW as isize));
        assert_eq!(last_error(), "result does not fit the return type");
    }

    #[test]
    fn stored_messages_have_no_interior_nul() {
        let n = guard(|| panic!("a\0b"));
        assert_eq!(n, -(libc::EIO as isize));
        assert_eq!(last_error(), "panic: a\\0b");
    }

    #[test]
    fn in_and_out_slices_check_null_alignment_and_size() {
        // SAFETY: null with length 0 is allowed by the contract.
        assert!(unsafe { in_slice::<u32>(std::ptr::null(), 0) }
            .unwrap()
            .is_empty());
        // SAFETY: null is rejected before use.
        let e = unsafe { in_slice::<u32>(std::ptr::null(), 1) }.unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        let mut words = [0u32; 4];
        let bytes = words.as_mut_ptr().cast::<u8>();
        // SAFETY: the misaligned pointer is rejected before use.
        let e = unsafe { out_slice::<u32>(bytes.wrapping_add(1).cast(), 1) }.unwrap_err();
        assert_eq!(e, Error::InvalidArgument("misaligned array"));
        // SAFETY: the length is rejected before the pointer is used.
        let e = unsafe { in_slice::<u32>(words.as_ptr(), usize::MAX / 2) }.unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        // SAFETY: words is a live local array of 4 u32.
        let s = unsafe { out_slice(words.as_mut_ptr(), 4) }.unwrap();
        s[3] = 9;
        assert_eq!(words[3], 9);
        // SAFETY: words is a live local array of 4 u32.
        assert_eq!(unsafe { in_slice(words.as_ptr(), 4) }.unwrap()[3], 9);
    }

    #[test]
    fn guard_into_writes_the_message_into_the_callers_buffer() {
        let mut err = [0xffu8; 64];
        let n = guard_into(Some(&mut err), || {
            Err(Error::described(libc::ETIMEDOUT, "no answer"))
        });
        assert_eq!(n, -(libc::ETIMEDOUT as isize));
        assert_eq!(&err[..10], b"no answer\0");
        assert_eq!(last_error(), "no answer", "and kept for this thread too");
        // Cut to fit, at a character boundary.
        let mut small = [0xffu8; 4];
        let n = guard_into(Some(&mut small), || Err(Error::described(5, "aé\0b")));
        assert_eq!(n, -5);
        assert_eq!(&small, b"a\xc3\xa9\0");
        let mut tiny = [0xffu8; 2];
        guard_into(Some(&mut tiny), || Err(Error::described(5, "é")));
        assert_eq!(tiny, [0, 0xff]);
        // None: nothing written; a success writes nothing.
        assert_eq!(
            guard_into(None, || Err(Error::Os(libc::EIO))),
            -(libc::EIO as isize)
        );
        let mut untouched = [0xffu8; 8];
        assert_eq!(guard_into(Some(&mut untouched), || Ok(3)), 3);
        assert_eq!(untouched, [0xff; 8]);
    }

    #[test]
    fn err_buf_is_none_for_null_or_empty() {
        // SAFETY: null is allowed by the contract.
        assert!(unsafe { err_buf(std::ptr::null_mut(), 8) }.is_none());
        let mut b = [0u8; 4];
        // SAFETY: b is a live local array; a length of 0 is not read.
        assert!(unsafe { err_buf(b.as_mut_ptr(), 0) }.is_none());
        // SAFETY: b is a live local array of b.len() bytes.
        let whole = unsafe { err_buf(b.as_mut_ptr(), 4) };
        assert_eq!(whole.map(|s| s.len()), Some(4));
    }

    #[test]
    fn write_cstr_terminates() {
        let mut buf = [0xffu8; 4];
        assert_eq!(write_cstr(&mut buf, "abc"), Ok(3));
        assert_eq!(&buf, b"abc\0");
        assert_eq!(write_cstr(&mut buf[..1], ""), Ok(0));
        assert_eq!(
            write_cstr(&mut buf[..0], ""),
            Err(Error::BufferTooSmall { needed: 1, got: 0 })
        );
    }
}
