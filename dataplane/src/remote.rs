//! SWITCHD and a SWITCH on another machine (`xeth-switch`): the
//! programming interface of [`crate::ffi::switch`] carried over a stream
//! connection, such as TCP inside a WireGuard tunnel.
//!
//! Every message is a frame: its length (u32, little-endian, at most
//! [`MAX_FRAME`]) and that many bytes. A request is an [`Op`] byte and its
//! arguments; each request has one reply, in order: a status (i64,
//! little-endian; negative: -errno) and a payload.
//!
//! | op         | arguments                 | status            | payload                               |
//! |------------|---------------------------|-------------------|---------------------------------------|
//! | `hello`    | version u32               | 0                 | version u32, encap u8, uplink name    |
//! | `program`  | program records           | records applied   | on error: records applied u32, text   |
//! | `capacity` | v4 u64, v6 u64 (MAX: none)| 0                 |                                       |
//! | `report`   | report u8                 | 0                 | report records                        |
//! | `wait`     | after u64, timeout ms u32 | publication       |                                       |
//!
//! Any other error's payload is its text. The switch serves one
//! controller at a time: another gets a `-EBUSY` reply naming the one
//! connected, and is closed. The switch's tables outlive a controller: a
//! new one (or the same one, back after the tunnel was down) finds them
//! as they were, and resynchronises by reading the `fib` report.

pub mod client;
pub mod remote_switch;
pub mod server;
#[cfg(test)]
pub(crate) mod tests;

use std::io::{self, Read, Write};

use crate::error::Error;
use crate::switch::Refused;

/// The protocol's version; `hello` refuses another.
pub const VERSION: u32 = 1;

/// The largest frame either side sends or accepts, as large as the
/// largest report SWITCHD reads through the library.
pub const MAX_FRAME: usize = 256 << 20;

/// Requests, by their first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Op {
    Hello = 0,
    Program = 1,
    Capacity = 2,
    Report = 3,
    Wait = 4,
}

impl Op {
    pub const ALL: [Op; 5] = [Op::Hello, Op::Program, Op::Capacity, Op::Report, Op::Wait];

    pub fn name(self) -> &'static str {
        match self {
            Op::Hello => "hello",
            Op::Program => "program",
            Op::Capacity => "capacity",
            Op::Report => "report",
            Op::Wait => "wait",
        }
    }
}

impl TryFrom<u8> for Op {
    type Error = Error;

    fn try_from(v: u8) -> Result<Self, Error> {
        Op::ALL
            .into_iter()
            .find(|&o| o as u8 == v)
            .ok_or_else(|| Error::described(libc::EINVAL, format!("unknown request {v}")))
    }
}

/// Why a program request failed.
#[derive(Debug)]
pub enum ProgramError {
    /// The switch refused a record; the ones before it were applied.
    Refused(Refused),
    /// The request failed as a whole, without an answer (the connection
    /// was lost or could not be made, the handle was closed): what the
    /// switch applied of it is unknown.
    Failed(Error),
}

impl ProgramError {
    pub fn error(&self) -> &Error {
        match self {
            ProgramError::Refused(r) => &r.error,
            ProgramError::Failed(e) => e,
        }
    }
}

/// Reads one frame; `None` at the end of the stream between frames.
pub fn read_frame(r: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a frame of {len} bytes, more than the {MAX_FRAME} allowed"),
        ));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body)?;
    Ok(Some(body))
}

/// Writes one frame of the concatenated `parts`.
pub fn write_frame(w: &mut impl Write, parts: &[&[u8]]) -> io::Result<()> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let len32 = u32::try_from(len)
        .ok()
        .filter(|_| len <= MAX_FRAME)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "frame too large"))?;
    let mut buf = Vec::with_capacity(4 + len);
    buf.extend_from_slice(&len32.to_le_bytes());
    for p in parts {
        buf.extend_from_slice(p);
    }
    w.write_all(&buf)?;
    w.flush()
}

/// A reply's status and payload, split.
pub fn split_reply(body: &[u8]) -> io::Result<(i64, &[u8])> {
    let (status, payload) = body.split_first_chunk::<8>().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "a reply shorter than its status",
        )
    })?;
    Ok((i64::from_le_bytes(*status), payload))
}

/// Little-endian fields of a request's arguments, in order.
pub(crate) struct Args<'a>(pub &'a [u8]);

impl Args<'_> {
    fn take<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let (head, rest) = self.0.split_first_chunk::<N>().ok_or_else(|| {
            Error::described(libc::EINVAL, format!("request too short for its {what}"))
        })?;
        self.0 = rest;
        Ok(*head)
    }

    pub fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take::<1>(what)?[0])
    }

    pub fn u32(&mut self, what: &'static str) -> Result<u32, Error> {
        Ok(u32::from_le_bytes(self.take(what)?))
    }

    pub fn u64(&mut self, what: &'static str) -> Result<u64, Error> {
        Ok(u64::from_le_bytes(self.take(what)?))
    }
}

#[cfg(test)]
mod frame_tests {
    use super::*;

    #[test]
    fn frames_round_trip_and_end_cleanly() {
        let mut wire = Vec::new();
        write_frame(&mut wire, &[&[1, 2], &[3]]).unwrap();
        write_frame(&mut wire, &[]).unwrap();
        let mut r = &wire[..];
        assert_eq!(read_frame(&mut r).unwrap(), Some(vec![1, 2, 3]));
        assert_eq!(read_frame(&mut r).unwrap(), Some(vec![]));
        assert_eq!(read_frame(&mut r).unwrap(), None);
    }

    #[test]
    fn a_cut_or_oversized_frame_is_an_error() {
        let mut wire = Vec::new();
        write_frame(&mut wire, &[&[1, 2, 3]]).unwrap();
        let mut cut = &wire[..5];
        assert_eq!(
            read_frame(&mut cut).unwrap_err().kind(),
            io::ErrorKind::UnexpectedEof
        );
        let big = ((MAX_FRAME + 1) as u32).to_le_bytes();
        let e = read_frame(&mut &big[..]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(e.to_string().contains("more than"), "{e}");
    }

    #[test]
    fn ops_by_number_and_short_arguments() {
        for (i, o) in Op::ALL.into_iter().enumerate() {
            assert_eq!(o as usize, i, "{}", o.name());
            assert_eq!(Op::try_from(o as u8), Ok(o));
        }
        assert!(Op::try_from(Op::ALL.len() as u8).is_err());
        let mut a = Args(&[7, 1, 0, 0]);
        assert_eq!(a.u8("x").unwrap(), 7);
        let e = a.u32("after").unwrap_err();
        assert!(e.to_string().contains("its after"), "{e}");
        assert!(split_reply(&[0; 7]).is_err());
        assert_eq!(split_reply(&[0xff; 9]).unwrap(), (-1, &[0xff][..]));
    }
}
