//! The record format in which frames cross the C ABI in batches: captured
//! frames out of `xeth_dp_punt_recv_batch`, frames to send into
//! `xeth_dp_punt_send_batch`.
//!
//! Records follow each other without padding. Each is a 12-byte header in
//! host byte order, then the proxy frame (no encapsulation):
//!
//! | off | size | field |
//! |---|---|---|
//! | 0 | 4 | xid (u32) |
//! | 4 | 4 | frame length in bytes (u32) |
//! | 8 | 1 | priority (PCP or TC of the first tag or label; 0 on send) |
//! | 9 | 1 | flags: bit 0 [`FLAG_EXCEPTION`], bit 1 [`FLAG_OUTGOING`] |
//! | 10 | 2 | reserved, 0 |
//! | 12 | len | the frame |

use crate::error::Error;

/// Bytes of a record header.
pub const RECORD_HDR: usize = 12;
/// Where the header's fields start.
pub const XID_AT: usize = 0;
/// See [`XID_AT`].
pub const LEN_AT: usize = 4;
/// See [`XID_AT`].
pub const PRIORITY_AT: usize = 8;
/// See [`XID_AT`].
pub const FLAGS_AT: usize = 9;
/// The frame carries (recv) or gets (send) the exception mark.
pub const FLAG_EXCEPTION: u8 = 1 << 0;
/// Received only: the netdev transmitted the frame (`PACKET_OUTGOING`),
/// as a link-less mux does with every proxy transmit.
pub const FLAG_OUTGOING: u8 = 1 << 1;

/// One record, borrowing its frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The proxy's xid.
    pub xid: u32,
    /// Priority (recv) or 0 (send).
    pub priority: u8,
    /// [`FLAG_EXCEPTION`], [`FLAG_OUTGOING`].
    pub flags: u8,
    /// The proxy frame.
    pub frame: &'a [u8],
}

impl Record<'_> {
    /// Bytes the record takes.
    pub fn size(&self) -> usize {
        RECORD_HDR + self.frame.len()
    }

    /// Writes the record at the start of `out`; returns its size, or `None`
    /// (writing nothing) when it does not fit.
    pub fn write(&self, out: &mut [u8]) -> Option<usize> {
        let n = self.size();
        let len = u32::try_from(self.frame.len()).ok()?;
        let out = out.get_mut(..n)?;
        out[XID_AT..XID_AT + 4].copy_from_slice(&self.xid.to_ne_bytes());
        out[LEN_AT..LEN_AT + 4].copy_from_slice(&len.to_ne_bytes());
        out[PRIORITY_AT] = self.priority;
        out[FLAGS_AT] = self.flags;
        out[FLAGS_AT + 1..RECORD_HDR].fill(0);
        out[RECORD_HDR..].copy_from_slice(self.frame);
        Some(n)
    }
}

/// Iterates over the records of `buf`; yields an error (and then stops) at
/// a record that runs past the end.
pub fn records(buf: &[u8]) -> Records<'_> {
    Records { buf, off: 0 }
}

/// Iterator of [`records`].
#[derive(Debug)]
pub struct Records<'a> {
    buf: &'a [u8],
    off: usize,
}

const TRUNCATED_RECORD: Error = Error::InvalidArgument("truncated record");

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let rest = &self.buf[self.off..];
        if rest.is_empty() {
            return None;
        }
        // Stop after an error: the rest cannot be framed.
        self.off = self.buf.len();
        if rest.len() < RECORD_HDR {
            return Some(Err(TRUNCATED_RECORD));
        }
        let word = |i: usize| u32::from_ne_bytes([rest[i], rest[i + 1], rest[i + 2], rest[i + 3]]);
        let len = word(LEN_AT) as usize;
        let Some(frame) = rest.get(RECORD_HDR..RECORD_HDR + len) else {
            return Some(Err(TRUNCATED_RECORD));
        };
        self.off = self.buf.len() - rest.len() + RECORD_HDR + len;
        Some(Ok(Record {
            xid: word(XID_AT),
            priority: rest[PRIORITY_AT],
            flags: rest[FLAGS_AT],
            frame,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let a = Record {
            xid: 3999,
            priority: 7,
            flags: FLAG_EXCEPTION | FLAG_OUTGOING,
            frame: &[1, 2, 3],
        };
        let b = Record {
            xid: 5 | 9 << 12,
            priority: 0,
            flags: 0,
            frame: &[],
        };
        let mut buf = vec![0xffu8; 40];
        let n = a.write(&mut buf).unwrap();
        assert_eq!(n, 15);
        let m = b.write(&mut buf[n..]).unwrap();
        assert_eq!(m, 12);
        assert_eq!(&buf[..4], &3999u32.to_ne_bytes());
        assert_eq!(&buf[4..8], &3u32.to_ne_bytes());
        assert_eq!(&buf[8..12], &[7, 3, 0, 0]);
        let got: Vec<_> = records(&buf[..n + m]).collect();
        assert_eq!(got, [Ok(a), Ok(b)]);
    }

    #[test]
    fn write_refuses_what_does_not_fit() {
        let r = Record {
            xid: 1,
            priority: 0,
            flags: 0,
            frame: &[0; 10],
        };
        let mut buf = [0xeeu8; 21];
        assert_eq!(r.write(&mut buf), None);
        assert!(buf.iter().all(|&b| b == 0xee));
        let mut buf = [0u8; 22];
        assert_eq!(r.write(&mut buf), Some(22));
    }

    #[test]
    fn truncated_records_are_errors() {
        let r = Record {
            xid: 1,
            priority: 0,
            flags: 0,
            frame: &[9; 10],
        };
        let mut buf = vec![0u8; 22];
        r.write(&mut buf).unwrap();
        for len in 1..22 {
            let got: Vec<_> = records(&buf[..len]).collect();
            assert_eq!(got, [Err(TRUNCATED_RECORD)], "len {len}");
        }
        assert_eq!(records(&[]).count(), 0);
        // A good record, then garbage: the good one, then one error.
        buf.extend([1, 2, 3]);
        let got: Vec<_> = records(&buf).collect();
        assert_eq!(got.len(), 2);
        assert!(got[0].is_ok());
        assert!(got[1].is_err());
    }
}
