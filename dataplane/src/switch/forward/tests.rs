use std::collections::HashSet;

use super::*;
use crate::switch::packet::testing::{arp, ipv4, ipv6};
use crate::switch::packet::{build, Mac, ETH_P_IP};
use crate::switch::program::parse_line;

const MA: Mac = [2, 0, 0, 0, 0, 0xa];
const MB: Mac = [2, 0, 0, 0, 0, 0xb];
const MBR: Mac = [2, 0, 0, 0, 0x30, 0];
const H1: Mac = [2, 0, 0, 0, 1, 1];
const H2: Mac = [2, 0, 0, 0, 1, 2];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Port(u32, Option<u16>, Vec<u8>),
    Linux(u32, Exception),
    Drop(u32, Drop),
}

#[derive(Default)]
struct Rec {
    ev: Vec<Ev>,
    unusable: HashSet<u32>,
    routed: usize,
}

impl Out for Rec {
    fn usable(&self, port: u32) -> bool {
        !self.unusable.contains(&port)
    }
    fn port(&mut self, port: u32, pkt: &Pkt<'_>, vid: Option<u16>) {
        let mut f = Vec::new();
        build(&mut f, pkt, vid);
        self.ev.push(Ev::Port(port, vid, f));
    }
    fn linux(&mut self, xid: u32, _: &Pkt<'_>, why: Exception) {
        self.ev.push(Ev::Linux(xid, why));
    }
    fn dropped(&mut self, xid: u32, why: Drop) {
        self.ev.push(Ev::Drop(xid, why));
    }
    fn routed(&mut self) {
        self.routed += 1;
    }
}

struct Sw {
    t: Tables,
    fdb: Fdb,
    scratch: Vec<u8>,
    now: u64,
}

impl Sw {
    fn new(lines: &[&str]) -> Sw {
        let mut t = Tables::default();
        for l in lines {
            t.apply(parse_line(l).unwrap().unwrap());
        }
        Sw {
            t,
            fdb: Fdb::default(),
            scratch: Vec::new(),
            now: 0,
        }
    }

    fn fw(&mut self) -> Forwarder<'_> {
        Forwarder {
            tables: &self.t,
            fdb: &mut self.fdb,
            now_ms: self.now,
            scratch: &mut self.scratch,
        }
    }

    fn wire(&mut self, port: u32, frame: &[u8]) -> Rec {
        let mut r = Rec::default();
        self.fw().from_port(port, frame, &mut r);
        r
    }

    fn wire_with(&mut self, port: u32, frame: &[u8], mut r: Rec) -> Rec {
        r.ev.clear();
        self.fw().from_port(port, frame, &mut r);
        r
    }

    fn linux(&mut self, xid: u32, frame: &[u8]) -> Rec {
        let mut r = Rec::default();
        self.fw().from_linux(xid, frame, &mut r);
        r
    }
}

/// Ports 10 and 11 in bridge 3000 (10.0.0.1); port 12 routed
/// (10.2.0.1, 2001:db8:2::1); routes and a neighbour behind port 12.
fn sw() -> Sw {
    Sw::new(&[
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 3000 -",
        "link 11 port 1 1 1 02:00:00:00:00:0b - 0 3000 -",
        "link 12 port 1 1 1 02:00:00:00:00:0c - 0 - 10.2.0.1,2001:db8:2::1",
        "link 3000 bridge 1 1 1 02:00:00:00:30:00 - 0 - 10.0.0.1",
        "route 1 254 10.0.0.0/24 1 3000",
        "route 1 254 10.2.0.0/24 1 12",
        "route 1 254 10.3.0.0/16 1 12@10.2.0.5",
        "route 1 254 10.4.0.0/16 6 -",
        "route 1 254 10.5.0.0/16 1 ?",
        "route 1 254 2001:db8:2::/64 1 12",
        "neigh 1 12 10.2.0.5 02:00:00:00:01:05",
        "neigh 1 12 2001:db8:2::5 02:00:00:00:01:06",
        "neigh 1 3000 10.0.0.2 02:00:00:00:01:02",
    ])
}

fn v4(dst: Mac, s: [u8; 4], d: [u8; 4], ttl: u8) -> Vec<u8> {
    ipv4(dst, H1, s, d, ttl, 80)
}

#[test]
fn bridge_learns_floods_and_forwards() {
    let mut s = sw();
    // Unknown unicast floods to the other member only.
    let r = s.wire(10, &v4(H2, [10, 0, 0, 9], [10, 0, 0, 8], 64));
    assert_eq!(r.ev.len(), 1);
    assert!(matches!(&r.ev[0], Ev::Port(11, None, f) if f[..6] == H2));
    // H2 answers from port 11: H1 was learned on 10, so it goes there only.
    let back = ipv4(H1, H2, [10, 0, 0, 8], [10, 0, 0, 9], 64, 80);
    let r = s.wire(11, &back);
    assert_eq!(r.ev, vec![Ev::Port(10, None, back.clone())]);
    assert_eq!(s.fdb.len(), 2);
    // To a station on the port it came from: filtered.
    let r = s.wire(11, &ipv4(H2, H2, [1, 1, 1, 1], [2, 2, 2, 2], 9, 1));
    assert_eq!(r.ev, vec![Ev::Drop(11, Drop::Filtered)]);
    // Broadcast: the other member and the bridge's own interface.
    let r = s.wire(10, &arp(H1));
    assert_eq!(r.ev.len(), 2);
    assert!(matches!(r.ev[0], Ev::Port(11, None, _)));
    assert_eq!(r.ev[1], Ev::Linux(3000, Exception::Group));
    // Aged out: floods again.
    s.now = crate::switch::fdb::AGEING_MS + 1;
    let r = s.wire(11, &back);
    assert_eq!(r.ev, vec![Ev::Port(10, None, back)]);
}

#[test]
fn routes_ipv4_with_rewrite() {
    let mut s = sw();
    let f = v4(MBR, [10, 0, 0, 9], [10, 3, 7, 7], 64);
    let r = s.wire(10, &f);
    assert_eq!(r.routed, 1);
    let [Ev::Port(12, None, out)] = r.ev.as_slice() else {
        panic!("{:?}", r.ev)
    };
    assert_eq!(out[..6], [2, 0, 0, 0, 1, 5], "next hop's MAC");
    assert_eq!(out[6..12], [2, 0, 0, 0, 0, 0xc], "egress proxy's MAC");
    assert_eq!(out[14 + 8], 63, "TTL");
    assert_eq!(crate::switch::packet::checksum(&out[14..34]), 0);
    assert_eq!(out[14 + 12..], f[14 + 12..], "addresses and payload");
    // Connected route: the destination is the neighbour.
    let r = s.wire(10, &v4(MBR, [10, 0, 0, 9], [10, 2, 0, 5], 64));
    assert!(matches!(&r.ev[..], [Ev::Port(12, None, o)] if o[..6] == [2, 0, 0, 0, 1, 5]));
    // Back into the bridge: the FDB decides the member.
    s.fdb.learn(3000, [2, 0, 0, 0, 1, 2], 11, 0);
    let r = s.wire(
        12,
        &ipv4(
            [2, 0, 0, 0, 0, 0xc],
            H1,
            [10, 2, 0, 5],
            [10, 0, 0, 2],
            64,
            1,
        ),
    );
    assert_eq!(r.ev.len(), 1);
    assert!(matches!(&r.ev[0], Ev::Port(11, None, o) if o[6..12] == MBR));
}

#[test]
fn routes_ipv6() {
    let mut s = sw();
    let f = ipv6(
        MBR,
        H1,
        "2001:db8:1::9".parse().unwrap(),
        "2001:db8:2::5".parse().unwrap(),
        2,
    );
    let r = s.wire(10, &f);
    let [Ev::Port(12, None, out)] = r.ev.as_slice() else {
        panic!("{:?}", r.ev)
    };
    assert_eq!(out[..6], [2, 0, 0, 0, 1, 6]);
    assert_eq!(out[14 + 7], 1, "hop limit");
    // Link-local and multicast destinations, and hop limit 1, go to Linux.
    for (d, h, why) in [
        ("fe80::5", 64, Exception::Local),
        ("ff02::1", 64, Exception::Local),
        ("2001:db8:2::1", 64, Exception::Local),
        ("2001:db8:2::5", 1, Exception::Ttl),
        ("2001:db8:3::5", 64, Exception::NoRoute),
        ("2001:db8:2::7", 64, Exception::NoNeighbour),
    ] {
        let f = ipv6(
            MBR,
            H1,
            "2001:db8:1::9".parse().unwrap(),
            d.parse().unwrap(),
            h,
        );
        assert_eq!(s.wire(10, &f).ev, vec![Ev::Linux(3000, why)], "{d}");
    }
}

#[test]
fn exceptions_for_what_linux_must_answer() {
    let mut s = sw();
    let cases: [([u8; 4], u8, Exception); 7] = [
        ([10, 2, 0, 1], 64, Exception::Local),
        ([10, 0, 0, 1], 64, Exception::Local),
        ([224, 0, 0, 5], 64, Exception::Local),
        ([10, 3, 0, 1], 1, Exception::Ttl),
        ([10, 9, 0, 1], 64, Exception::NoRoute),
        ([10, 4, 0, 1], 64, Exception::RouteType),
        ([10, 5, 0, 1], 64, Exception::ForeignHop),
    ];
    for (d, ttl, why) in cases {
        let r = s.wire(12, &ipv4(MB, H1, [10, 2, 0, 5], d, ttl, 1));
        // port 12's MAC is ...0c, not MB: not for us.
        assert_eq!(r.ev, vec![Ev::Drop(12, Drop::NotForUs)]);
        let mc = [2, 0, 0, 0, 0, 0xc];
        let r = s.wire(12, &ipv4(mc, H1, [10, 2, 0, 5], d, ttl, 1));
        assert_eq!(r.ev, vec![Ev::Linux(12, why)], "{d:?}");
    }
    let r = s.wire(
        12,
        &v4([2, 0, 0, 0, 0, 0xc], [10, 2, 0, 5], [10, 2, 0, 6], 64),
    );
    assert_eq!(r.ev, vec![Ev::Linux(12, Exception::NoNeighbour)]);
    // ARP: broadcast to a routed port, unicast to its MAC.
    assert_eq!(
        s.wire(12, &arp(H1)).ev,
        vec![Ev::Linux(12, Exception::Group)]
    );
    let mut a = arp(H1);
    a[..6].copy_from_slice(&[2, 0, 0, 0, 0, 0xc]);
    assert_eq!(s.wire(12, &a).ev, vec![Ev::Linux(12, Exception::Arp)]);
    let mut lldp = arp(H1);
    lldp[..6].copy_from_slice(&[2, 0, 0, 0, 0, 0xc]);
    lldp[12..14].copy_from_slice(&0x88ccu16.to_be_bytes());
    assert_eq!(
        s.wire(12, &lldp).ev,
        vec![Ev::Linux(12, Exception::Protocol)]
    );
}

#[test]
fn vlans_tag_and_untag() {
    let mut s = Sw::new(&[
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -",
        "link 11 port 1 1 1 02:00:00:00:00:0b - 0 - -",
        "link 40970 vlan 1 1 1 02:00:00:00:00:0a 10 10 - -",
        "route 1 254 10.1.0.0/24 1 40970",
        "route 1 254 10.2.0.0/24 1 11",
        "neigh 1 40970 10.1.0.5 02:00:00:00:01:05",
        "neigh 1 11 10.2.0.5 02:00:00:00:01:06",
    ]);
    // Tagged 10 on port 10: the VLAN proxy routes it out of port 11.
    let untagged = v4(MA, [10, 1, 0, 5], [10, 2, 0, 5], 64);
    let mut tagged = Vec::new();
    build(&mut tagged, &parse(&untagged).unwrap().pkt, Some(10));
    let r = s.wire(10, &tagged);
    assert!(matches!(&r.ev[..], [Ev::Port(11, None, o)] if o[12..14] == ETH_P_IP.to_be_bytes()));
    // Unknown VLAN: dropped.
    let mut other = Vec::new();
    build(&mut other, &parse(&untagged).unwrap().pkt, Some(11));
    assert_eq!(s.wire(10, &other).ev, vec![Ev::Drop(10, Drop::UnknownVlan)]);
    // Routed into the VLAN: tagged out of its lower.
    let r = s.wire(11, &ipv4(MB, H2, [10, 2, 0, 5], [10, 1, 0, 5], 64, 1));
    assert!(matches!(&r.ev[..], [Ev::Port(10, Some(10), o)] if o[12..16] == [0x81, 0, 0, 10]));
    // Linux transmitting on the VLAN proxy: tagged too.
    let r = s.linux(40970, &arp(MA));
    assert!(matches!(&r.ev[..], [Ev::Port(10, Some(10), _)]));
}

#[test]
fn lag_spreads_flows_over_usable_members_and_receives_on_the_lag() {
    let mut s = Sw::new(&[
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 3001 -",
        "link 11 port 1 1 1 02:00:00:00:00:0b - 0 3001 -",
        "link 12 port 1 1 1 02:00:00:00:00:0c - 0 - -",
        "link 3001 lag 1 1 1 02:00:00:00:00:0a - 0 - 10.1.0.1",
        "route 1 254 10.1.0.0/24 1 3001",
        "route 1 254 10.2.0.0/24 1 12",
        "neigh 1 3001 10.1.0.5 02:00:00:00:01:05",
        "neigh 1 12 10.2.0.5 02:00:00:00:01:06",
    ]);
    let mut used = [0usize; 2];
    for p in 0..200u16 {
        let f = ipv4(
            [2, 0, 0, 0, 0, 0xc],
            H2,
            [10, 2, 0, 5],
            [10, 1, 0, 5],
            64,
            p,
        );
        match s.wire(12, &f).ev.as_slice() {
            [Ev::Port(10, None, _)] => used[0] += 1,
            [Ev::Port(11, None, _)] => used[1] += 1,
            e => panic!("{e:?}"),
        }
    }
    assert!(used[0] > 50 && used[1] > 50, "{used:?}");
    // A member without carrier is skipped; none left: dropped.
    let f = ipv4(
        [2, 0, 0, 0, 0, 0xc],
        H2,
        [10, 2, 0, 5],
        [10, 1, 0, 5],
        64,
        1,
    );
    let mut r = Rec::default();
    r.unusable.insert(10);
    let r = s.wire_with(12, &f, r);
    assert!(matches!(r.ev[..], [Ev::Port(11, None, _)]));
    let mut r2 = Rec::default();
    r2.unusable.extend([10, 11]);
    let r2 = s.wire_with(12, &f, r2);
    assert_eq!(r2.ev, vec![Ev::Drop(3001, Drop::NoPort)]);
    // Received on either member: the lag's MAC routes it.
    let back = ipv4(MA, H1, [10, 1, 0, 5], [10, 2, 0, 5], 64, 1);
    for m in [10, 11] {
        assert!(matches!(s.wire(m, &back).ev[..], [Ev::Port(12, None, _)]));
    }
}

#[test]
fn offload_off_hands_everything_to_linux() {
    let mut s = sw();
    s.t.apply(
        parse_line("link 10 port 1 1 0 02:00:00:00:00:0a - 0 3000 -")
            .unwrap()
            .unwrap(),
    );
    let f = v4(MBR, [10, 0, 0, 9], [10, 3, 7, 7], 64);
    assert_eq!(
        s.wire(10, &f).ev,
        vec![Ev::Linux(10, Exception::OffloadOff)]
    );
    assert_eq!(
        s.wire(10, &arp(H1)).ev,
        vec![Ev::Linux(10, Exception::OffloadOff)]
    );
    assert!(
        s.fdb.is_empty(),
        "nothing learned on a port Linux forwards for"
    );
    // Linux's own transmits still leave through the port.
    assert!(matches!(
        s.linux(10, &arp(MA)).ev[..],
        [Ev::Port(10, None, _)]
    ));
}

#[test]
fn drops_say_why() {
    let mut s = sw();
    assert_eq!(s.wire(99, &arp(H1)).ev, vec![Ev::Drop(99, Drop::NoLink)]);
    assert_eq!(s.wire(12, &[0; 10]).ev, vec![Ev::Drop(12, Drop::Runt)]);
    s.t.apply(
        parse_line("link 12 port 1 0 1 02:00:00:00:00:0c - 0 - -")
            .unwrap()
            .unwrap(),
    );
    assert_eq!(s.wire(12, &arp(H1)).ev, vec![Ev::Drop(12, Drop::Down)]);
    assert_eq!(s.linux(12, &arp(H1)).ev, vec![Ev::Drop(12, Drop::Down)]);
    let mut r = Rec::default();
    r.unusable.insert(11);
    r.ev.clear();
    s.fw().from_linux(11, &arp(MB), &mut r);
    assert_eq!(r.ev, vec![Ev::Drop(11, Drop::NoPort)]);
}

#[test]
fn multipath_spreads_flows() {
    let mut s = Sw::new(&[
        "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -",
        "link 11 port 1 1 1 02:00:00:00:00:0b - 0 - -",
        "link 12 port 1 1 1 02:00:00:00:00:0c - 0 - -",
        "route 1 254 0.0.0.0/0 1 11@10.1.0.1,12@10.2.0.1",
        "neigh 1 11 10.1.0.1 02:00:00:00:01:01",
        "neigh 1 12 10.2.0.1 02:00:00:00:01:02",
    ]);
    let mut n = [0; 2];
    for p in 0..200 {
        match s
            .wire(10, &ipv4(MA, H1, [10, 0, 0, 5], [8, 8, 8, 8], 64, p))
            .ev[..]
        {
            [Ev::Port(11, ..)] => n[0] += 1,
            [Ev::Port(12, ..)] => n[1] += 1,
            ref e => panic!("{e:?}"),
        }
    }
    assert!(n[0] > 50 && n[1] > 50, "{n:?}");
}

#[test]
fn linux_transmits_through_a_bridge_use_the_fdb() {
    let mut s = sw();
    let f = arp(MBR);
    let r = s.linux(3000, &f);
    assert_eq!(r.ev.len(), 2, "broadcast floods every member");
    s.fdb.learn(3000, H2, 11, 0);
    let u = ipv4(H2, MBR, [10, 0, 0, 1], [10, 0, 0, 2], 64, 1);
    assert_eq!(s.linux(3000, &u).ev, vec![Ev::Port(11, None, u.clone())]);
    assert!(matches!(
        s.linux(4000, &u).ev[..],
        [Ev::Drop(4000, Drop::NoLink)]
    ));
    let _ = Exception::ALL.map(Exception::name);
    let _ = Drop::ALL.map(Drop::name);
}
