//! The controller's side of [`crate::remote`]: one connection, one call
//! at a time. [`super::remote_switch::RemoteSwitch`] holds one for
//! SWITCHD's switch handles (through the FFI), tools and tests use it
//! directly.

use std::io::{self, BufReader, BufWriter};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::{read_frame, split_reply, write_frame, Op, ProgramError, VERSION};
use crate::encap::Encap;
use crate::error::Error;
use crate::switch::{capacity_to_wire, Refused, Report};

/// How long a connection may take to be made.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a call may wait for its answer.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What the switch says of itself in reply to `hello`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hello {
    pub version: u32,
    pub encap: Encap,
    pub uplink: String,
}

/// A connection to a remote SWITCH.
pub struct Client {
    r: BufReader<TcpStream>,
    w: BufWriter<TcpStream>,
}

/// The switch went away: its end closed, or reset because it closed
/// with our request unread (which of the two is a race of the peer's
/// close with our write, so both say the same).
fn closed_error() -> Error {
    Error::described(libc::ECONNRESET, "the switch closed the connection")
}

fn io_error(e: io::Error) -> Error {
    match e.kind() {
        // a read or write timeout: the switch stopped answering
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::described(
            libc::ETIMEDOUT,
            format!("no answer within {} s", CALL_TIMEOUT.as_secs()),
        ),
        io::ErrorKind::ConnectionReset | io::ErrorKind::BrokenPipe => closed_error(),
        _ => Error::described(e.raw_os_error().unwrap_or(libc::EIO), e.to_string()),
    }
}

impl Client {
    /// Connects and says hello; a switch that has a controller already
    /// refuses with `EBUSY`.
    pub fn connect(addr: impl ToSocketAddrs) -> Result<(Client, Hello), Error> {
        let addrs: Vec<_> = addr.to_socket_addrs().map_err(io_error)?.collect();
        let first = addrs
            .first()
            .ok_or_else(|| Error::described(libc::EINVAL, "no address to connect to"))?;
        let stream = TcpStream::connect_timeout(first, CONNECT_TIMEOUT).map_err(io_error)?;
        stream.set_nodelay(true).map_err(io_error)?;
        // A call whose answer does not come within this is failed, and the
        // connection made again by the next: a tunnel that lost its way
        // must not hold SWITCHD's program calls (which run off its event
        // loop, in order) for longer.
        stream
            .set_read_timeout(Some(CALL_TIMEOUT))
            .map_err(io_error)?;
        stream
            .set_write_timeout(Some(CALL_TIMEOUT))
            .map_err(io_error)?;
        let mut c = Client {
            r: BufReader::new(stream.try_clone().map_err(io_error)?),
            w: BufWriter::new(stream),
        };
        let hello = c.hello()?;
        Ok((c, hello))
    }

    /// The connection's socket again, for another thread to shut down.
    pub fn socket(&self) -> io::Result<TcpStream> {
        self.w.get_ref().try_clone()
    }

    fn call(&mut self, parts: &[&[u8]]) -> Result<(i64, Vec<u8>), Error> {
        write_frame(&mut self.w, parts).map_err(io_error)?;
        let body = read_frame(&mut self.r)
            .map_err(io_error)?
            .ok_or_else(closed_error)?;
        let (status, payload) = split_reply(&body).map_err(io_error)?;
        Ok((status, payload.to_vec()))
    }

    /// The call's status, or its error with the payload's text.
    fn checked(&mut self, parts: &[&[u8]]) -> Result<(i64, Vec<u8>), Error> {
        let (status, payload) = self.call(parts)?;
        if status < 0 {
            let errno = i32::try_from(-status).unwrap_or(libc::EIO);
            return Err(Error::described(errno, String::from_utf8_lossy(&payload)));
        }
        Ok((status, payload))
    }

    pub fn hello(&mut self) -> Result<Hello, Error> {
        let (_, p) = self.checked(&[&[Op::Hello as u8], &VERSION.to_le_bytes()])?;
        let bad = || Error::described(libc::EPROTO, "a short hello");
        let (version, rest) = p.split_first_chunk::<4>().ok_or_else(bad)?;
        let (&encap, name) = rest.split_first().ok_or_else(bad)?;
        Ok(Hello {
            version: u32::from_le_bytes(*version),
            encap: Encap::try_from(encap)?,
            uplink: String::from_utf8_lossy(name).into_owned(),
        })
    }

    /// As [`crate::switch::SoftwareSwitch::program`]; a request that got
    /// no answer failed as a whole.
    pub fn program(&mut self, records: &[u8]) -> Result<usize, ProgramError> {
        let (status, payload) = self
            .call(&[&[Op::Program as u8], records])
            .map_err(ProgramError::Failed)?;
        if status >= 0 {
            return Ok(usize::try_from(status).unwrap_or(usize::MAX));
        }
        let errno = i32::try_from(-status).unwrap_or(libc::EIO);
        let (done, text) = payload
            .split_first_chunk::<4>()
            .map(|(d, t)| (u32::from_le_bytes(*d) as usize, t))
            .unwrap_or((0, &payload[..]));
        Err(ProgramError::Refused(Refused {
            done,
            error: Error::described(errno, String::from_utf8_lossy(text)),
        }))
    }

    pub fn set_capacity(&mut self, v4: Option<usize>, v6: Option<usize>) -> Result<(), Error> {
        let n = |v| capacity_to_wire(v).to_le_bytes();
        self.checked(&[&[Op::Capacity as u8], &n(v4), &n(v6)])?;
        Ok(())
    }

    pub fn report(&mut self, what: Report) -> Result<Vec<u8>, Error> {
        Ok(self.checked(&[&[Op::Report as u8, what as u8]])?.1)
    }

    /// As [`crate::switch::SoftwareSwitch::wait_published`]; the switch
    /// waits 2 s at most.
    pub fn wait_published(&mut self, after: u64, timeout: Duration) -> Result<u64, Error> {
        let ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX);
        let (seq, _) =
            self.checked(&[&[Op::Wait as u8], &after.to_le_bytes(), &ms.to_le_bytes()])?;
        Ok(seq as u64)
    }
}
