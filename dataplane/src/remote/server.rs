//! The switch's side of [`crate::remote`]: a listening socket, one
//! controller at a time, each request applied to the switch.

use std::io::{self, BufReader, BufWriter};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::socket::{setsockopt, sockopt};

use super::{read_frame, write_frame, Args, Op, VERSION};
use crate::encap::Encap;
use crate::error::Error;
use crate::switch::{capacity_from_wire, Report, SoftwareSwitch};

/// The longest `wait` a request may ask for: a controller that asks for
/// more gets this, and asks again.
const MAX_WAIT: Duration = Duration::from_secs(2);

/// How long a controller may stay silent before another may take its
/// place: SWITCHD asks for reports every few seconds, so one that said
/// nothing for this long lost its way here (a tunnel cut), and its own
/// reconnection must not wait for keepalives to end the old connection.
pub const STALE_AFTER: Duration = Duration::from_secs(10);

/// The controller being served: who, its connection, when it last asked.
struct Controller {
    peer: SocketAddr,
    stream: TcpStream,
    last: Arc<Mutex<Instant>>,
}

/// A software SWITCH served on a listening socket.
pub struct Server {
    listener: TcpListener,
    switch: Arc<SoftwareSwitch>,
    uplink: String,
    encap: Encap,
    controller: Arc<Mutex<Option<Controller>>>,
    stale_after: Duration,
}

impl Server {
    pub fn bind(
        addr: impl ToSocketAddrs,
        switch: Arc<SoftwareSwitch>,
        uplink: &str,
        encap: Encap,
    ) -> io::Result<Server> {
        Ok(Server {
            listener: TcpListener::bind(addr)?,
            switch,
            uplink: uplink.to_owned(),
            encap,
            controller: Arc::new(Mutex::new(None)),
            stale_after: STALE_AFTER,
        })
    }

    /// Another bound than [`STALE_AFTER`] (for tests).
    pub fn stale_after(mut self, d: Duration) -> Server {
        self.stale_after = d;
        self
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts controllers until the listening socket fails; `log` gets a
    /// line for each controller that comes, goes, or is refused.
    pub fn serve(&self, log: impl Fn(&str) + Send + Sync + Clone + 'static) -> io::Result<()> {
        loop {
            let (stream, peer) = self.listener.accept()?;
            let mut current = self.controller.lock().unwrap();
            if let Some(c) = current.as_ref() {
                let silent = c.last.lock().unwrap().elapsed();
                if silent < self.stale_after {
                    log(&format!("refused {peer}: {} is the controller", c.peer));
                    let text = format!(
                        "this switch has a controller already ({}); it serves one at a time",
                        c.peer
                    );
                    let _ = write_frame(
                        &mut &stream,
                        &[&(-i64::from(libc::EBUSY)).to_le_bytes(), text.as_bytes()],
                    );
                    continue;
                }
                log(&format!(
                    "{peer} takes the place of {}, silent for {} s",
                    c.peer,
                    silent.as_secs()
                ));
                let _ = c.stream.shutdown(Shutdown::Both);
            }
            let last = Arc::new(Mutex::new(Instant::now()));
            *current = Some(Controller {
                peer,
                stream: stream.try_clone()?,
                last: last.clone(),
            });
            drop(current);
            log(&format!("controller {peer} connected"));
            let (sw, controller, log) = (self.switch.clone(), self.controller.clone(), log.clone());
            let hello = hello_payload(self.encap, &self.uplink);
            std::thread::Builder::new()
                .name("xeth-switch-ctl".into())
                .spawn(move || {
                    let how = match session(&sw, &hello, stream, &last) {
                        Ok(()) => "closed the connection".to_owned(),
                        Err(e) => format!("went away: {e}"),
                    };
                    let mut c = controller.lock().unwrap();
                    // unless another took its place meanwhile
                    if c.as_ref().is_some_and(|c| c.peer == peer) {
                        *c = None;
                    }
                    drop(c);
                    log(&format!(
                        "controller {peer} {how}; the tables stay as they are"
                    ));
                })?;
        }
    }
}

fn hello_payload(encap: Encap, uplink: &str) -> Vec<u8> {
    let mut p = VERSION.to_le_bytes().to_vec();
    p.push(encap as u8);
    p.extend_from_slice(uplink.as_bytes());
    p
}

/// Serves one controller until it closes the connection or the
/// connection fails. Keepalives end a connection whose peer is gone for
/// good (its tunnel never came back) within half a minute, so that the
/// switch takes a new controller.
fn session(
    sw: &SoftwareSwitch,
    hello: &[u8],
    stream: TcpStream,
    last: &Mutex<Instant>,
) -> io::Result<()> {
    stream.set_nodelay(true)?;
    setsockopt(&stream, sockopt::KeepAlive, &true)?;
    setsockopt(&stream, sockopt::TcpKeepIdle, &10)?;
    setsockopt(&stream, sockopt::TcpKeepInterval, &5)?;
    setsockopt(&stream, sockopt::TcpKeepCount, &4)?;
    let mut r = BufReader::new(&stream);
    let mut w = BufWriter::new(&stream);
    while let Some(req) = read_frame(&mut r)? {
        *last.lock().unwrap() = Instant::now();
        let (status, payload) = match apply(sw, hello, &req) {
            Ok(ok) => ok,
            Err((e, prefix)) => {
                let mut p = prefix;
                p.extend_from_slice(e.to_string().as_bytes());
                (-i64::from(e.errno()), p)
            }
        };
        write_frame(&mut w, &[&status.to_le_bytes(), &payload])?;
    }
    Ok(())
}

type Applied = Result<(i64, Vec<u8>), (Error, Vec<u8>)>;

/// One request: its status and payload, or its error and what comes
/// before the error's text in the payload.
fn apply(sw: &SoftwareSwitch, hello: &[u8], req: &[u8]) -> Applied {
    let plain = |e: Error| (e, Vec::new());
    let (&op, rest) = req
        .split_first()
        .ok_or_else(|| plain(Error::described(libc::EINVAL, "an empty request")))?;
    let mut args = Args(rest);
    match Op::try_from(op).map_err(plain)? {
        Op::Hello => {
            let v = args.u32("version").map_err(plain)?;
            if v != VERSION {
                return Err(plain(Error::described(
                    libc::EPROTO,
                    format!("the controller speaks version {v}, this switch {VERSION}: update one of them"),
                )));
            }
            Ok((0, hello.to_vec()))
        }
        Op::Program => match sw.program(rest) {
            Ok(n) => Ok((n as i64, Vec::new())),
            Err(refused) => {
                let done = u32::try_from(refused.done).unwrap_or(u32::MAX);
                Err((refused.error, done.to_le_bytes().to_vec()))
            }
        },
        Op::Capacity => {
            let v4 = args.u64("IPv4 capacity").map_err(plain)?;
            let v6 = args.u64("IPv6 capacity").map_err(plain)?;
            sw.set_capacity(capacity_from_wire(v4), capacity_from_wire(v6));
            Ok((0, Vec::new()))
        }
        Op::Report => {
            let what = Report::try_from(args.u8("report").map_err(plain)?).map_err(plain)?;
            Ok((0, sw.report(what)))
        }
        Op::Wait => {
            let after = args.u64("after").map_err(plain)?;
            let ms = args.u32("timeout").map_err(plain)?;
            let timeout = Duration::from_millis(ms.into()).min(MAX_WAIT);
            let seq = sw.wait_published(after, timeout);
            Ok((i64::try_from(seq).unwrap_or(i64::MAX), Vec::new()))
        }
    }
}
