//! C ABI of [`crate::punt`]: punt sockets are integer handles.
//!
//! Frames cross this boundary only in batches of records (see
//! [`crate::punt::record`]): to send many at once, and to read what the
//! default sink captured (a diagnostic path for tests and tools; a frame
//! consumer inside the library would give the punt its own sink).

use std::sync::Arc;

use super::{guard, in_slice, out_buf, out_slice, write_cstr};
use crate::encap::Encap;
use crate::error::Error;
use crate::handles::Handles;
use crate::punt::record::{records, FLAG_EXCEPTION};
use crate::punt::{Config, Iface, Punt, RingConfig, STAT_NAMES};

static PUNTS: Handles<Punt> = Handles::new();

/// `ring` of [`xeth_dp_punt_open`]: the default layout ([`RING_V2`]).
pub const RING_DEFAULT: u8 = 0;
/// `ring` of [`xeth_dp_punt_open`]: `TPACKET_V2`.
pub const RING_V2: u8 = 2;
/// `ring` of [`xeth_dp_punt_open`]: `TPACKET_V3`.
pub const RING_V3: u8 = 3;

fn punt(h: usize) -> Result<Arc<Punt>, Error> {
    PUNTS.get(h).map_err(|_| {
        Error::described(
            libc::EBADF,
            format!("punt handle {h} is not open (closed already, or never returned by open)"),
        )
    })
}

/// Opens a punt socket on the netdev `ifname` (`len` bytes, no NUL) of the
/// caller's network namespace and starts its thread.
///
/// * `encap`: the mux's encapsulation, 0 vlan or 1 vpls.
/// * `ring`: receive ring layout, 0 default (TPACKET_V2), 2 V2, 3 V3.
/// * `capture`: how many received frames the default sink keeps for
///   [`xeth_dp_punt_recv_batch`]; 0 only counts them.
///
/// Returns a handle (>= 1) or -errno: `-ENODEV` when there is no such
/// netdev, `-EPERM` without CAP_NET_RAW, `-EINVAL` for a bad argument.
///
/// # Safety
///
/// `ifname` must be valid for reads of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_punt_open(
    ifname: *const u8,
    len: usize,
    encap: u8,
    ring: u8,
    capture: u32,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let bytes = unsafe { in_slice(ifname, len) }?;
        let name = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("interface name is not UTF-8"))?;
        let mut cfg = Config::new(Iface::Name(name.to_owned()), Encap::try_from(encap)?);
        cfg.ring = match ring {
            RING_DEFAULT | RING_V2 => RingConfig::default(),
            RING_V3 => RingConfig::v3(),
            _ => return Err(Error::InvalidArgument("ring must be 0, 2 or 3")),
        };
        cfg.capture = capture as usize;
        Ok(PUNTS.insert(Punt::open(cfg)?))
    })
}

/// Stops the punt's thread, waits for it, and releases the handle. Frames
/// still queued get one last non-blocking transmit. Returns 0 or `-EBADF`.
#[no_mangle]
pub extern "C" fn xeth_dp_punt_close(h: usize) -> isize {
    guard(|| {
        punt(h)?;
        PUNTS.remove(h)?.close();
        Ok(0)
    })
}

/// Writes up to `n` counters into `out`, in this order (u64 each):
/// rx_frames, rx_bytes, rx_decap_errors, rx_truncated, rx_ring_drops,
/// tx_frames, tx_bytes, tx_exceptions, tx_errors, tx_queue_drops,
/// tx_batches, capture_drops (see [`crate::punt::Stats`]).
///
/// Returns the number written: min(n, 12); later versions may append
/// counters, never reorder them.
///
/// # Safety
///
/// `out` must be null (only with `n` 0) or valid and 8-aligned for writes
/// of `n` u64 during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_punt_stats(h: usize, out: *mut u64, n: usize) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is out_slice's.
        let out = unsafe { out_slice(out, n) }?;
        let all = punt(h)?.stats().to_array();
        let k = out.len().min(STAT_NAMES.len());
        out[..k].copy_from_slice(&all[..k]);
        Ok(k)
    })
}

/// Writes the names of the counters of [`xeth_dp_punt_stats`], in its
/// order, one per line (each ending in `\n`), NUL-terminated, into `buf`.
///
/// Returns the length without the NUL, `-ERANGE` when `len` is too small
/// or `-EINVAL` when `buf` is null.
///
/// # Safety
///
/// `buf` must be null or valid for writes of `len` bytes, and must not be
/// read or written by anyone else during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_punt_stat_names(buf: *mut u8, len: usize) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is exactly out_buf's.
        let out = unsafe { out_buf(buf, len) }?;
        let names: String = STAT_NAMES.iter().map(|n| format!("{n}\n")).collect();
        write_cstr(out, &names)
    })
}

/// Queues the proxy frame `frame` (`len` bytes: destination, source,
/// ethertype, payload) of `xid` for transmission to the mux, encapsulated;
/// with the exception mark when `exception` is non-zero. Returns 0 or
/// -errno: `-EINVAL` (xid out of range for the encapsulation, frame shorter
/// than 14 bytes), `-ENOBUFS` (queue full, counted as tx_queue_drops).
///
/// # Safety
///
/// `frame` must be valid for reads of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_punt_send(
    h: usize,
    xid: u32,
    exception: u8,
    frame: *const u8,
    len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let frame = unsafe { in_slice(frame, len) }?;
        punt(h)?.send(xid, exception != 0, frame)?;
        Ok(0)
    })
}

/// Queues the frames of `len` bytes of records at `buf` (the record format
/// of [`crate::punt::record`]; flag bit 0 asks for the exception mark,
/// priority is ignored). All records are checked before any is queued:
/// one malformed record or bad xid fails the call with `-EINVAL`.
///
/// Returns the number of frames queued; fewer than given when a queue
/// filled up (the rest are counted as tx_queue_drops).
///
/// # Safety
///
/// `buf` must be valid for reads of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_punt_send_batch(h: usize, buf: *const u8, len: usize) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let buf = unsafe { in_slice(buf, len) }?;
        let p = punt(h)?;
        let all = records(buf).collect::<Result<Vec<_>, _>>()?;
        for r in &all {
            crate::encap::encapsulated_len(p.encap(), r.xid, r.frame.len())?;
            if r.frame.len() < crate::encap::ETH_HLEN {
                return Err(crate::encap::SHORT_INNER);
            }
        }
        let mut queued = 0;
        for r in &all {
            match p.send(r.xid, r.flags & FLAG_EXCEPTION != 0, r.frame) {
                Ok(()) => queued += 1,
                Err(e) if e.errno() == libc::ENOBUFS => {}
                Err(e) => return Err(e),
            }
        }
        Ok(queued)
    })
}

/// Moves captured frames (see `capture` of [`xeth_dp_punt_open`]) into
/// `buf` as records, as many whole ones as fit, and returns the bytes
/// written: 0 when none is waiting. `-ERANGE` when the oldest does not fit
/// (the message says how many bytes it needs; it stays queued).
///
/// A diagnostic path for tests and tools, read in batches; not a per-frame
/// interface.
///
/// # Safety
///
/// `buf` must be valid for writes of `len` bytes during the call, and not
/// accessed through any other pointer meanwhile.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_punt_recv_batch(h: usize, buf: *mut u8, len: usize) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is out_buf's.
        let out = unsafe { out_buf(buf, len) }?;
        punt(h)?.captured().take_records(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::punt::record::{Record, RECORD_HDR};

    fn last_error() -> String {
        let mut buf = [0u8; 256];
        // SAFETY: buf is a live local array of buf.len() bytes.
        let n = unsafe { super::super::xeth_dp_last_error(buf.as_mut_ptr(), buf.len()) };
        String::from_utf8(buf[..n as usize].to_vec()).unwrap()
    }

    fn is_root() -> bool {
        std::fs::read_to_string("/proc/self/status")
            .map(|s| s.lines().any(|l| l.starts_with("Uid:\t0\t0")))
            .unwrap_or(false)
    }

    fn open(name: &str, encap: u8, ring: u8, capture: u32) -> isize {
        // SAFETY: name is a live &str of name.len() bytes.
        unsafe { xeth_dp_punt_open(name.as_ptr(), name.len(), encap, ring, capture) }
    }

    const EINVAL: isize = -(libc::EINVAL as isize);
    const EBADF: isize = -(libc::EBADF as isize);

    #[test]
    fn stat_names_are_the_counters_in_order() {
        let mut buf = [0u8; 512];
        // SAFETY: buf is a live local array of buf.len() bytes.
        let n = unsafe { xeth_dp_punt_stat_names(buf.as_mut_ptr(), buf.len()) };
        assert!(n > 0, "{n}");
        let text = std::str::from_utf8(&buf[..n as usize]).unwrap();
        assert_eq!(text.lines().collect::<Vec<_>>(), STAT_NAMES);
        assert!(text.ends_with('\n'));
        assert_eq!(buf[n as usize], 0);
        // SAFETY: as above, with a shorter length.
        let short = unsafe { xeth_dp_punt_stat_names(buf.as_mut_ptr(), 8) };
        assert_eq!(short, -(libc::ERANGE as isize));
    }

    #[test]
    fn open_rejects_bad_arguments() {
        assert_eq!(open("lo", 2, 0, 0), EINVAL);
        assert!(last_error().contains("encap"));
        assert_eq!(open("lo", 0, 1, 0), EINVAL);
        assert!(last_error().contains("ring"));
        assert_eq!(open("xeth-nope0", 0, 0, 0), -(libc::ENODEV as isize));
        assert!(last_error().contains("no interface xeth-nope0"));
        // SAFETY: a null name is allowed by the contract (in_slice checks).
        let r = unsafe { xeth_dp_punt_open(std::ptr::null(), 3, 0, 0, 0) };
        assert_eq!(r, EINVAL);
        let bad = [0xffu8, 0xfe];
        // SAFETY: bad is a live array of 2 bytes.
        let r = unsafe { xeth_dp_punt_open(bad.as_ptr(), 2, 0, 0, 0) };
        assert_eq!(r, EINVAL);
        assert!(last_error().contains("UTF-8"));
    }

    #[test]
    fn unknown_handles_are_ebadf() {
        assert_eq!(xeth_dp_punt_close(0), EBADF);
        assert!(last_error().contains("punt handle 0 is not open"));
        let mut out = [0u64; 12];
        // SAFETY: out is a live array of 12 u64.
        let r = unsafe { xeth_dp_punt_stats(123_456, out.as_mut_ptr(), 12) };
        assert_eq!(r, EBADF);
        let f = [0u8; 14];
        // SAFETY: f is a live array of 14 bytes.
        let r = unsafe { xeth_dp_punt_send(123_456, 5, 0, f.as_ptr(), 14) };
        assert_eq!(r, EBADF);
        // SAFETY: f is a live array of 14 bytes.
        let r = unsafe { xeth_dp_punt_send_batch(123_456, f.as_ptr(), 0) };
        assert_eq!(r, EBADF);
        let mut b = [0u8; 64];
        // SAFETY: b is a live array of 64 bytes.
        let r = unsafe { xeth_dp_punt_recv_batch(123_456, b.as_mut_ptr(), 64) };
        assert_eq!(r, EBADF);
    }

    /// Every call on a live handle, on loopback (whose traffic the punt
    /// counts as decap errors; nothing here depends on it).
    #[test]
    fn calls_on_a_live_handle() {
        if !is_root() {
            eprintln!("SKIP: needs root for a packet socket");
            return;
        }
        let h = open("lo", 1, 3, 4);
        assert!(h > 0, "{}", last_error());
        let h = h as usize;

        let mut out = [u64::MAX; 14];
        // SAFETY: out is a live array of 14 u64.
        let r = unsafe { xeth_dp_punt_stats(h, out.as_mut_ptr(), out.len()) };
        assert_eq!(r, 12);
        assert_eq!(out[12], u64::MAX);
        // SAFETY: out is a live array of at least 3 u64.
        let r = unsafe { xeth_dp_punt_stats(h, out.as_mut_ptr(), 3) };
        assert_eq!(r, 3);
        // SAFETY: null with n 0 is allowed.
        let r = unsafe { xeth_dp_punt_stats(h, std::ptr::null_mut(), 0) };
        assert_eq!(r, 0);

        let frame = [0x02u8; 60];
        // SAFETY: frame is a live array of 60 bytes.
        let r = unsafe { xeth_dp_punt_send(h, 15, 0, frame.as_ptr(), 60) };
        assert_eq!(r, EINVAL, "xid 15 is a reserved MPLS label");
        // SAFETY: frame is a live array of 60 bytes.
        let r = unsafe { xeth_dp_punt_send(h, 16, 1, frame.as_ptr(), 60) };
        assert_eq!(r, 0, "{}", last_error());

        let mut batch = vec![0u8; 3 * (RECORD_HDR + 60)];
        let mut at = 0;
        for xid in [16u32, 17, 18] {
            let r = Record {
                xid,
                priority: 0,
                flags: (xid & 1) as u8,
                frame: &frame,
            };
            at += r.write(&mut batch[at..]).unwrap();
        }
        // SAFETY: batch is a live Vec of batch.len() bytes.
        let r = unsafe { xeth_dp_punt_send_batch(h, batch.as_ptr(), batch.len()) };
        assert_eq!(r, 3, "{}", last_error());
        // A cut record fails the whole batch.
        // SAFETY: batch is a live Vec of more than len - 1 bytes.
        let r = unsafe { xeth_dp_punt_send_batch(h, batch.as_ptr(), batch.len() - 1) };
        assert_eq!(r, EINVAL);
        assert_eq!(last_error(), "invalid argument: truncated record");

        let mut buf = [0u8; 16];
        // SAFETY: buf is a live array of 16 bytes.
        let r = unsafe { xeth_dp_punt_recv_batch(h, buf.as_mut_ptr(), buf.len()) };
        assert!(r == 0 || r == -(libc::ERANGE as isize), "{r}");
        // SAFETY: a null buffer is allowed by the contract (out_buf checks).
        let r = unsafe { xeth_dp_punt_recv_batch(h, std::ptr::null_mut(), 8) };
        assert_eq!(r, EINVAL);

        assert_eq!(xeth_dp_punt_close(h), 0);
        assert_eq!(xeth_dp_punt_close(h), EBADF);
    }
}
