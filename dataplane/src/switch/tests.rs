//! The software SWITCH on real veth pairs: two test hosts in namespaces
//! of their own, the switch's ports attached to the other ends in a third
//! namespace (needs root; skipped otherwise).

use std::fs::File;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::{Duration, Instant};

use super::*;
use crate::packet::testnet::is_root;

fn sh(args: &[&str]) -> Result<String, String> {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .map_err(|e| format!("{}: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Namespaces `sw` (the switch's side), `h1` and `h2` (hosts), with
/// veths sw:p1 - h1:eth0 and sw:p2 - h2:eth0; deleted on drop.
struct Net {
    sw: String,
    h: [String; 2],
}

const HMAC: [&str; 2] = ["02:00:00:00:01:01", "02:00:00:00:01:02"];

impl Net {
    fn new(tag: &str) -> Net {
        let pid = std::process::id() % 100_000;
        let n = Net {
            sw: format!("xsw-{pid}-{tag}"),
            h: [format!("xsw-{pid}-{tag}-h1"), format!("xsw-{pid}-{tag}-h2")],
        };
        for ns in [&n.sw, &n.h[0], &n.h[1]] {
            let _ = sh(&["ip", "netns", "del", ns]);
            sh(&["ip", "netns", "add", ns]).unwrap();
            for key in ["all", "default"] {
                let _ = sh(&[
                    "ip",
                    "netns",
                    "exec",
                    ns,
                    "sysctl",
                    "-qw",
                    &format!("net.ipv6.conf.{key}.disable_ipv6=1"),
                ]);
            }
        }
        for (i, mac) in HMAC.iter().enumerate() {
            let p = format!("p{}", i + 1);
            sh(&[
                "ip", "-n", &n.sw, "link", "add", &p, "type", "veth", "peer", "name", "eth0",
                "netns", &n.h[i],
            ])
            .unwrap();
            sh(&["ip", "-n", &n.sw, "link", "set", &p, "up"]).unwrap();
            sh(&["ip", "-n", &n.h[i], "link", "set", "eth0", "address", mac]).unwrap();
            sh(&["ip", "-n", &n.h[i], "link", "set", "eth0", "up"]).unwrap();
            sh(&[
                "ip", "netns", "exec", &n.h[i], "ethtool", "-K", "eth0", "tx", "off", "tso", "off",
                "gso", "off",
            ])
            .unwrap();
        }
        n
    }

    fn host(&self, i: usize, args: &[&str]) -> Result<String, String> {
        let mut a = vec!["ip", "netns", "exec", &self.h[i]];
        a.extend_from_slice(args);
        sh(&a)
    }

    /// Runs `f` on a thread in the switch's namespace; the switch's thread
    /// and sockets made there stay in it.
    fn in_sw<T: Send>(&self, f: impl FnOnce() -> T + Send) -> T {
        Net::in_ns(&self.sw, f)
    }

    /// Runs `f` on a thread in namespace `ns`.
    fn in_ns<T: Send>(ns: &str, f: impl FnOnce() -> T + Send) -> T {
        std::thread::scope(|s| {
            s.spawn(|| {
                enter(ns);
                f()
            })
            .join()
            .unwrap()
        })
    }
}

/// Moves the calling thread into namespace `ns`.
fn enter(ns: &str) {
    let path = format!("/run/netns/{ns}");
    let ns = File::open(&path).unwrap();
    // SAFETY: setns only changes this thread's network namespace; ns is an
    // open namespace file.
    let r = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(r, 0, "setns {path}");
}

impl std::ops::Drop for Net {
    fn drop(&mut self) {
        for ns in [&self.sw, &self.h[0], &self.h[1]] {
            let _ = sh(&["ip", "netns", "del", ns]);
        }
    }
}

fn summary(sw: &SoftwareSwitch) -> std::collections::HashMap<String, u64> {
    sw.report_text(Report::Summary)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k.to_owned(), v.parse().unwrap()))
        .collect()
}

/// Waits for two publications of the switch's thread, so that what it
/// counted before the call is in the next report.
fn settle(sw: &SoftwareSwitch) {
    let mut seq = sw.wait_published(0, Duration::ZERO);
    for _ in 0..2 {
        let next = sw.wait_published(seq, Duration::from_secs(60));
        assert!(next > seq, "the switch published nothing in 60 s");
        seq = next;
    }
}

fn ping(net: &Net, from: usize, to: &str, extra: &[&str]) -> bool {
    let mut a = vec!["ping", "-c", "2", "-i", "0.2", "-W", "2"];
    a.extend_from_slice(extra);
    a.push(to);
    net.host(from, &a).is_ok()
}

#[test]
fn bridges_two_hosts() {
    if !is_root() {
        eprintln!("SKIP: needs root for namespaces and packet sockets");
        return;
    }
    let net = Net::new("br");
    net.host(0, &["ip", "addr", "add", "10.9.0.1/24", "dev", "eth0"])
        .unwrap();
    net.host(1, &["ip", "addr", "add", "10.9.0.2/24", "dev", "eth0"])
        .unwrap();
    let sw = net.in_sw(|| {
        let sw = SoftwareSwitch::open("xsw-no-mux", Encap::Vlan).unwrap();
        sw.program_text(
            "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\n\
             link 11 port 1 1 1 02:00:00:00:00:0b - 0 - -\n\
             attach 10 p1\nattach 11 p2\n",
        )
        .unwrap();
        sw
    });
    // Not bridged: routed ports drop frames not for their MAC.
    assert!(
        !ping(&net, 0, "10.9.0.2", &[]),
        "ping crossed unbridged ports"
    );
    settle(&sw);
    let s = summary(&sw);
    assert!(
        s["drop.not-for-us"] > 0 || s["exception.group"] > 0,
        "{s:?}"
    );
    // Bridged: ARP floods, replies are learned and forwarded.
    assert_eq!(
        sw.program_text(
            "link 10 port 1 1 1 02:00:00:00:00:0a - 0 3000 -\n\
             link 11 port 1 1 1 02:00:00:00:00:0b - 0 3000 -\n\
             link 3000 bridge 1 1 1 02:00:00:00:30:00 - 0 - -\n"
        ),
        Ok(3)
    );
    // The host gave up on ARP for 10.9.0.2 above; make it ask again.
    net.host(0, &["ip", "neigh", "flush", "dev", "eth0"])
        .unwrap();
    assert!(ping(&net, 0, "10.9.0.2", &[]), "ping across the bridge");
    settle(&sw);
    let s = summary(&sw);
    assert!(s["fdb"] >= 2, "{s:?}");
    assert!(s["forwarded"] >= 4, "{s:?}");
    let counters = sw.report_text(Report::Counters);
    for x in ["10", "11"] {
        let line = counters
            .lines()
            .find(|l| l.split(' ').next() == Some(x))
            .unwrap_or_else(|| panic!("no counters for {x}: {counters}"));
        let v: Vec<u64> = line
            .split(' ')
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        assert!(v[0] >= 2 && v[1] >= 2, "xid {x}: {line}");
        assert_eq!(v.len(), 8 + counts::Ethtool::ALL.len(), "{line}");
        // rx-unicast + rx-broadcast (ARP) cover rx_packets; octets agree.
        assert_eq!(v[8] + v[9] + v[10], v[0], "xid {x}: {line}");
        assert_eq!(v[11], v[2], "xid {x}: {line}");
        assert_eq!(v[14] + v[15] + v[16], v[1], "xid {x}: {line}");
    }
    let ports = sw.report_text(Report::Ports);
    assert!(
        ports.contains("10 p1 1 ") && ports.contains("11 p2 1 "),
        "{ports}"
    );
    // Carrier follows the wire: the host's end down, the port's carrier
    // off, and that change (only it) wakes a wait for link changes.
    let links = sw.wait_links(0, Duration::ZERO);
    assert!(links > 0, "the first publication counts as a change");
    settle(&sw);
    assert_eq!(
        sw.wait_links(links, Duration::ZERO),
        links,
        "ticks without a link change"
    );
    net.host(1, &["ip", "link", "set", "eth0", "down"]).unwrap();
    assert!(
        sw.wait_links(links, Duration::from_secs(60)) > links,
        "no link change published in 60 s after the carrier went"
    );
    assert!(
        sw.report_text(Report::Ports).contains("11 p2 0 0"),
        "{}",
        sw.report_text(Report::Ports)
    );
    assert_eq!(s["mux-open"], 0, "no mux of that name");
    sw.close();
}

#[test]
fn routes_between_two_subnets() {
    if !is_root() {
        eprintln!("SKIP: needs root for namespaces and packet sockets");
        return;
    }
    let net = Net::new("rt");
    for (i, (a, gw, gwmac)) in [
        ("10.1.0.2/24", "10.1.0.1", "02:00:00:00:00:0a"),
        ("10.2.0.2/24", "10.2.0.1", "02:00:00:00:00:0b"),
    ]
    .into_iter()
    .enumerate()
    {
        net.host(i, &["ip", "addr", "add", a, "dev", "eth0"])
            .unwrap();
        net.host(i, &["ip", "route", "add", "default", "via", gw])
            .unwrap();
        // No Linux behind the switch in this test to answer ARP for the
        // gateway.
        net.host(
            i,
            &["ip", "neigh", "add", gw, "lladdr", gwmac, "dev", "eth0"],
        )
        .unwrap();
    }
    let sw = net.in_sw(|| SoftwareSwitch::open("xsw-no-mux", Encap::Vlan).unwrap());
    let program = format!(
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - 10.1.0.1\n\
         link 11 port 1 1 1 02:00:00:00:00:0b - 0 - 10.2.0.1\n\
         route 1 254 10.1.0.0/24 1 10\n\
         route 1 254 10.2.0.0/24 1 11\n\
         neigh 1 10 10.1.0.2 {}\n\
         neigh 1 11 10.2.0.2 {}\n",
        HMAC[0], HMAC[1]
    );
    net.in_sw(|| {
        sw.program_text(&program).unwrap();
        sw.program_text("attach 10 p1\nattach 11 p2").unwrap();
    });
    assert!(ping(&net, 0, "10.2.0.2", &[]), "routed ping");
    // The reply's TTL tells it was routed once each way (64 - 1).
    let out = net
        .host(0, &["ping", "-c", "1", "-W", "2", "10.2.0.2"])
        .unwrap();
    assert!(out.contains("ttl=63"), "{out}");
    // TTL 1: the switch hands it to Linux instead (none here: no reply).
    assert!(!ping(&net, 0, "10.2.0.2", &["-t", "1"]));
    settle(&sw);
    let s = summary(&sw);
    assert!(s["routed"] >= 6, "{s:?}");
    assert!(s["exception.ttl"] >= 2, "{s:?}");
    assert_eq!(s["routes4"], 2);
    // Without the neighbour the switch punts instead of guessing.
    sw.program_text("unneigh 1 11 10.2.0.2").unwrap();
    assert!(!ping(&net, 0, "10.2.0.2", &[]));
    settle(&sw);
    assert!(summary(&sw)["exception.no-neighbour"] >= 2);
}

#[test]
fn program_errors_name_the_line_and_keep_what_came_before() {
    let sw = SoftwareSwitch::open("xsw-no-mux", Encap::Vlan).unwrap();
    let e = sw
        .program_text("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nlink 11 port\n")
        .unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
    assert!(
        e.to_string().contains("line 2: `link` takes 10 fields"),
        "{e}"
    );
    assert!(sw.report_text(Report::Summary).contains("links 1\n"));
    let e = sw.program_text("attach 10 xsw-no-such-if").unwrap_err();
    assert_eq!(e.errno(), libc::ENODEV);
    assert!(
        e.to_string()
            .contains("line 1: attach 10 xsw-no-such-if: no interface"),
        "{e}"
    );
    let e = sw.program_text("attach 10 xsw-no-mux").unwrap_err();
    assert!(e.to_string().contains("not to its own mux"), "{e}");
    assert!(SoftwareSwitch::open("", Encap::Vlan).is_err());
    assert!(SoftwareSwitch::open("a/b", Encap::Vlan).is_err());
    let t = Instant::now();
    sw.close();
    sw.close();
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "close waits for one tick at most"
    );
}

#[test]
fn reports_by_number() {
    for (i, r) in Report::ALL.into_iter().enumerate() {
        assert_eq!(r as usize, i, "{} out of order", r.name());
        assert_eq!(Report::try_from(r as u8), Ok(r));
    }
    let e = Report::try_from(Report::ALL.len() as u8).unwrap_err();
    assert_eq!(e.errno(), libc::EINVAL);
    let text = e.to_string();
    assert!(text.contains("5 (fib)") && text.contains("not 8"), "{text}");
}

/// A switch elsewhere (`xeth-switch`): its uplink is p2, whose far end
/// (h2's eth0) stands for the lower link of a linked vlan mux, and a
/// packet socket there for the mux: it sends what the proxy of xid 10
/// transmits (an ARP request, tagged with VLAN 10) and reads what the
/// switch sends back. The switch is programmed over TCP, as SWITCHD
/// programs it. The request leaves on the port of xid 10, h1 answers the
/// proxy's MAC, and the answer is an exception: up the uplink, tagged
/// for xid 10 and marked.
#[test]
fn a_remote_switch_takes_the_mux_frames_from_its_uplink() {
    use crate::encap::{decap, EXCEPTION_PRIORITY};
    use crate::packet::{Iface, PacketSocket, RingConfig, SendScratch};
    use crate::remote::{client::Client, server::Server};
    use std::sync::Arc;
    if !is_root() {
        eprintln!("SKIP: needs root for namespaces and packet sockets");
        return;
    }
    let net = Net::new("up");
    let proxy_mac = [2u8, 0, 0, 0, 0, 0x0a];
    net.host(0, &["ip", "addr", "add", "10.9.0.2/24", "dev", "eth0"])
        .unwrap();
    let sw =
        net.in_sw(|| Arc::new(SoftwareSwitch::open_on("p2", Encap::Vlan, Uplink::Tunnel).unwrap()));
    let server = Arc::new(Server::bind("127.0.0.1:0", sw.clone(), "p2", Encap::Vlan).unwrap());
    let addr = server.local_addr().unwrap();
    let s = server.clone();
    // where xeth-switch runs: the ports it attaches are named there
    let sw_ns = net.sw.clone();
    std::thread::spawn(move || {
        enter(&sw_ns);
        s.serve(|_| {})
    });
    let (mut c, hello) = Client::connect(addr).unwrap();
    assert_eq!(hello.uplink, "p2");
    let records =
        program::parse_text("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - 10.9.0.1\nattach 10 p1\n")
            .unwrap();
    assert_eq!(
        c.program(&records).map_err(|r| r.error().to_string()),
        Ok(2)
    );

    let mut arp = vec![0xffu8; 6];
    arp.extend_from_slice(&proxy_mac);
    arp.extend_from_slice(&[0x81, 0x00, 0x00, 10, 0x08, 0x06]);
    arp.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&proxy_mac);
    arp.extend_from_slice(&[10, 9, 0, 1, 0, 0, 0, 0, 0, 0, 10, 9, 0, 2]);
    let answer = Net::in_ns(&net.h[1], || {
        let (sock, mut ring) =
            PacketSocket::open(&Iface::Name("eth0".into()), &RingConfig::default()).unwrap();
        let mut scratch = SendScratch::default();
        let until = Instant::now() + Duration::from_secs(20);
        let mut next_send = Instant::now();
        while Instant::now() < until {
            // again now and then: the switch's socket on its uplink may
            // not be open yet (it opens on its next tick)
            if Instant::now() >= next_send {
                sock.send_batch(&[&arp], &mut scratch).unwrap();
                next_send = Instant::now() + Duration::from_millis(500);
            }
            let mut got = None;
            ring.drain(64, |slot| {
                if slot.pkttype == libc::PACKET_OUTGOING {
                    return;
                }
                if let Ok(d) = decap(Encap::Vlan, slot.data, slot.tag) {
                    let f = &slot.data[d.offset..];
                    if f.len() >= 22 && f[12..14] == [8, 6] && f[20..22] == [0, 2] {
                        got = Some((d.xid, d.priority, f[..6].to_vec()));
                    }
                }
            });
            if got.is_some() {
                return got;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    });
    let (xid, prio, dst) = answer.expect("h1's ARP answer came up the uplink within 20 s");
    assert_eq!(xid, 10);
    assert_eq!(prio, EXCEPTION_PRIORITY, "marked as an exception");
    assert_eq!(dst, proxy_mac, "to the proxy");
    settle(&sw);
    let s = summary(&sw);
    assert!(s["from-linux"] >= 1, "{s:?}");
    assert_eq!(s["mux-open"], 1, "the uplink is open: {s:?}");
    sw.close();
}
