//! The program connection over real TCP on the loopback: one controller
//! at a time, tables that outlive a controller, errors that say why.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::client::Client;
use super::server::Server;
use super::{read_frame, split_reply, write_frame, Op};
use crate::encap::Encap;
use crate::switch::{program, Report, SoftwareSwitch, Uplink};

/// A switch on an uplink that does not exist (programming needs none),
/// served on a free loopback port; the server's log lines are kept.
fn served() -> (SocketAddr, Arc<SoftwareSwitch>, Arc<Mutex<Vec<String>>>) {
    served_stale(super::server::STALE_AFTER)
}

fn served_stale(stale: Duration) -> (SocketAddr, Arc<SoftwareSwitch>, Arc<Mutex<Vec<String>>>) {
    let sw =
        Arc::new(SoftwareSwitch::open_on("xsw-no-uplink", Encap::Vpls, Uplink::Tunnel).unwrap());
    let server = Server::bind("127.0.0.1:0", sw.clone(), "xsw-no-uplink", Encap::Vpls)
        .unwrap()
        .stale_after(stale);
    let addr = server.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    std::thread::spawn(move || server.serve(move |line| l.lock().unwrap().push(line.to_owned())));
    (addr, sw, log)
}

/// The `links` count of the switch's summary.
fn links(c: &mut Client) -> u64 {
    let summary = c.report(Report::Summary).unwrap();
    let text = program::render(&summary).unwrap();
    text.lines()
        .find_map(|l| {
            let t: Vec<&str> = l.split(' ').collect();
            let i = t.iter().position(|&w| w == "links")?;
            t.get(i + 1)?.parse().ok()
        })
        .unwrap_or_else(|| panic!("no links count in {text}"))
}

/// Waits (the server notices a closed connection on its own thread) until
/// the log has a line containing `what`; 30 s at most.
fn logged(log: &Mutex<Vec<String>>, what: &str) -> bool {
    for _ in 0..300 {
        if log.lock().unwrap().iter().any(|l| l.contains(what)) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn one_controller_at_a_time_and_the_tables_outlive_it() {
    let (addr, sw, log) = served();
    let (mut first, hello) = Client::connect(addr).unwrap();
    assert_eq!(hello.uplink, "xsw-no-uplink");
    assert_eq!(hello.encap, Encap::Vpls);
    let records = program::parse_text(
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nlink 11 port 1 1 1 02:00:00:00:00:0b - 0 - -\n",
    )
    .unwrap();
    assert_eq!(
        first.program(&records).map_err(|e| e.error().to_string()),
        Ok(2)
    );
    assert_eq!(links(&mut first), 2);

    let e = Client::connect(addr)
        .err()
        .expect("a second controller is refused");
    assert_eq!(e.errno(), libc::EBUSY);
    assert!(
        e.to_string()
            .contains("has a controller already (127.0.0.1:"),
        "{e}"
    );
    assert!(logged(&log, "refused"));

    drop(first);
    assert!(logged(
        &log,
        "closed the connection; the tables stay as they are"
    ));
    let (mut again, _) = Client::connect(addr).unwrap();
    assert_eq!(links(&mut again), 2, "kept");
    sw.close();
}

#[test]
fn refusals_name_the_record_and_keep_what_came_before() {
    let (addr, sw, _) = served();
    let (mut c, _) = Client::connect(addr).unwrap();
    let records = program::parse_text(
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nattach 10 xsw-no-such-if\n",
    )
    .unwrap();
    let r = match c.program(&records) {
        Err(super::ProgramError::Refused(r)) => r,
        other => panic!("not a refusal: {other:?}"),
    };
    assert_eq!(r.done, 1);
    assert_eq!(r.error.errno(), libc::ENODEV);
    assert!(
        r.error
            .to_string()
            .contains("record 2: attach 10 xsw-no-such-if"),
        "{}",
        r.error
    );
    assert_eq!(links(&mut c), 1);
    let e = c.report(Report::Summary).map(|_| ());
    assert!(e.is_ok(), "the connection serves on after a refusal");
    c.set_capacity(Some(1), None).unwrap();
    let seq = c.wait_published(0, Duration::from_secs(5)).unwrap();
    assert!(seq >= 1, "the switch's thread publishes: {seq}");
    sw.close();
}

/// A peer that speaks another version, or sends nonsense, gets an error
/// it can read, and the connection stays usable for the next request.
#[test]
fn bad_requests_get_reasons() {
    let (addr, sw, log) = served();
    let mut s = TcpStream::connect(addr).unwrap();
    let mut ask = |parts: &[&[u8]]| {
        write_frame(&mut s, parts).unwrap();
        let body = read_frame(&mut s).unwrap().unwrap();
        let (status, payload) = split_reply(&body).unwrap();
        (status, String::from_utf8_lossy(payload).into_owned())
    };
    let (st, text) = ask(&[&[Op::Hello as u8], &99u32.to_le_bytes()]);
    assert_eq!(st, -i64::from(libc::EPROTO));
    assert!(text.contains("version 99, this switch 1"), "{text}");
    let (st, text) = ask(&[&[42]]);
    assert_eq!(st, -i64::from(libc::EINVAL));
    assert!(text.contains("unknown request 42"), "{text}");
    let (st, text) = ask(&[&[Op::Wait as u8, 1, 2]]);
    assert_eq!(st, -i64::from(libc::EINVAL));
    assert!(text.contains("too short for its after"), "{text}");
    let (st, text) = ask(&[&[Op::Report as u8, 200]]);
    assert_eq!(st, -i64::from(libc::EINVAL));
    assert!(text.contains("not 200"), "{text}");
    let (st, _) = ask(&[]);
    assert_eq!(st, -i64::from(libc::EINVAL));
    let (st, _) = ask(&[&[Op::Hello as u8], &1u32.to_le_bytes()]);
    assert_eq!(st, 0, "still served");
    // a frame cut short ends the connection, not the switch
    s.write_all(&[9, 0, 0, 0, 1]).unwrap();
    drop(s);
    assert!(logged(&log, "went away"));
    let (mut c, _) = Client::connect(addr).unwrap();
    assert!(c.report(Report::Ports).is_ok());
    sw.close();
}

/// A controller that lost its way (a tunnel cut: it says nothing) gives
/// its place to the next one once it has been silent long enough, without
/// waiting for keepalives to end its connection.
#[test]
fn a_silent_controller_gives_its_place() {
    let stale = Duration::from_secs(2);
    let (addr, sw, log) = served_stale(stale);
    let (mut first, _) = Client::connect(addr).unwrap();
    assert!(first.report(Report::Summary).is_ok());
    std::thread::sleep(stale + Duration::from_millis(500));
    let (mut second, _) = Client::connect(addr).unwrap();
    assert!(logged(&log, "takes the place of 127.0.0.1:"));
    assert!(
        first.report(Report::Summary).is_err(),
        "the first one's connection is closed"
    );
    assert!(logged(&log, "the tables stay as they are"));
    // The first one's end must not free the second one's place: while the
    // second keeps asking, a third is refused.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s = stop.clone();
    let talker = std::thread::spawn(move || {
        while !s.load(std::sync::atomic::Ordering::SeqCst) {
            second.report(Report::Summary).unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    std::thread::sleep(Duration::from_millis(200));
    let e = Client::connect(addr)
        .err()
        .expect("the second is the controller");
    assert_eq!(e.errno(), libc::EBUSY);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    talker.join().unwrap();
    sw.close();
}

/// A switch's answer to the hello: status 0, our version, VLAN
/// encapsulation, then `name`.
fn hello_reply(name: &[u8]) -> Vec<u8> {
    let mut reply = 0i64.to_le_bytes().to_vec();
    reply.extend_from_slice(&super::VERSION.to_le_bytes());
    reply.push(Encap::Vlan as u8);
    reply.extend_from_slice(name);
    reply
}

/// A peer that answers the hello of one controller and then, with
/// `close`, closes the connection (a switch that went away), or keeps it
/// open and says nothing more (a tunnel that lost its way). Nothing
/// listens after that one connection.
pub(crate) fn hello_then(close: bool) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        drop(listener);
        read_frame(&mut s).unwrap();
        write_frame(&mut s, &[&hello_reply(b"fake")]).unwrap();
        if !close {
            // read until the controller closes; answer nothing
            while let Ok(Some(_)) = read_frame(&mut s) {}
        }
    });
    addr
}

/// A peer that answers the hello, then closes with the next request in
/// its buffer unread: its kernel resets the connection instead of ending
/// it, which the request's writer sees as ECONNRESET, not as an end.
fn hello_then_reset() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        read_frame(&mut s).unwrap();
        write_frame(&mut s, &[&hello_reply(b"")]).unwrap();
        // wait for the request to arrive, and leave it unread
        let mut b = [0u8; 1];
        s.peek(&mut b).unwrap();
    });
    addr
}

#[test]
fn a_switch_that_resets_the_connection_closed_it() {
    let (mut c, _) = Client::connect(hello_then_reset()).unwrap();
    let rec = program::parse_text("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -").unwrap();
    let e = match c.program(&rec) {
        Err(super::ProgramError::Failed(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(e.errno(), libc::ECONNRESET, "{e}");
    assert_eq!(e.to_string(), "the switch closed the connection");
}
