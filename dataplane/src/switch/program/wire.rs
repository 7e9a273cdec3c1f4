//! Operations as records ([`crate::records`]): what SWITCHD sends, read
//! into [`Op`]s, and [`Op`]s written as records (for the routes report,
//! for text turned into records, and for tests).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Hop, Kind, LinkSpec, Op, Prefix, RouteSpec};
use crate::records::layout::{
    attach, clear, detach, hop4, hop6, ip4_elem, ip6_elem, link, neigh4, neigh6, route4, route6,
    unlink, unneigh4, unneigh6, unroute4, unroute6, xid_elem, LINK_OFFLOAD, LINK_UP,
};
use crate::records::{Rec, Writer, NO_XID, OPTIONAL};
use crate::uapi::{
    XETH_DEV_KIND_BRIDGE, XETH_DEV_KIND_LAG, XETH_DEV_KIND_LOOPBACK, XETH_DEV_KIND_PORT,
    XETH_DEV_KIND_UNSPEC, XETH_DEV_KIND_VLAN,
};

impl Kind {
    /// Its XETH_DEV_KIND_* value.
    pub fn dev_kind(self) -> u8 {
        match self {
            Kind::Port => XETH_DEV_KIND_PORT,
            Kind::Vlan => XETH_DEV_KIND_VLAN,
            Kind::Lag => XETH_DEV_KIND_LAG,
            Kind::Bridge => XETH_DEV_KIND_BRIDGE,
            Kind::Loopback => XETH_DEV_KIND_LOOPBACK,
            Kind::Other => XETH_DEV_KIND_UNSPEC,
        }
    }

    /// The kind of an XETH_DEV_KIND_* value; one this does not know is
    /// `Other`, which a switch treats as a proxy it does not forward for.
    pub fn of_dev_kind(v: u8) -> Kind {
        match v {
            XETH_DEV_KIND_PORT => Kind::Port,
            XETH_DEV_KIND_VLAN => Kind::Vlan,
            XETH_DEV_KIND_LAG => Kind::Lag,
            XETH_DEV_KIND_BRIDGE => Kind::Bridge,
            XETH_DEV_KIND_LOOPBACK => Kind::Loopback,
            _ => Kind::Other,
        }
    }
}

fn xid_or_none(x: u32) -> Option<u32> {
    (x != NO_XID).then_some(x)
}

fn plen(len: u8, max: u8) -> Result<u8, String> {
    if len > max {
        return Err(format!("prefix length {len} above {max}"));
    }
    Ok(len)
}

/// The operation of a program record. Reports and results are not
/// operations; an optional kind this does not know reads as `None`.
pub fn decode(r: &Rec<'_>) -> Result<Option<Op>, String> {
    let op = match r.kind {
        link::KIND => {
            r.expect(&link::LAYOUT)?;
            let uppers = r.elems(
                link::SIZE,
                usize::from(r.u16(link::n_uppers)),
                xid_elem::SIZE,
            )?;
            let a4 = r.elems(
                link::SIZE + uppers.end(),
                usize::from(r.u16(link::n_addr4)),
                ip4_elem::SIZE,
            )?;
            let a6 = r.elems(
                link::SIZE + uppers.end() + a4.end(),
                usize::from(r.u16(link::n_addr6)),
                ip6_elem::SIZE,
            )?;
            let flags = r.u8(link::flags);
            Op::Link(LinkSpec {
                xid: r.u32(link::xid),
                kind: Kind::of_dev_kind(r.u8(link::dev_kind)),
                net: r.u64(link::net),
                up: flags & LINK_UP != 0,
                offload: flags & LINK_OFFLOAD != 0,
                mac: r.array(link::mac),
                lower: xid_or_none(r.u32(link::lower)),
                vid: r.u16(link::vid),
                uppers: uppers.iter().map(|e| e.u32(xid_elem::xid)).collect(),
                addrs: a4
                    .iter()
                    .map(|e| IpAddr::V4(e.ip4(ip4_elem::addr)))
                    .chain(a6.iter().map(|e| IpAddr::V6(e.ip6(ip6_elem::addr))))
                    .collect(),
            })
        }
        unlink::KIND => {
            r.expect(&unlink::LAYOUT)?;
            Op::Unlink(r.u32(unlink::xid))
        }
        attach::KIND => {
            r.expect(&attach::LAYOUT)?;
            let name = r.name(attach::ifname)?;
            if name.is_empty() {
                return Err("attach without an interface name".into());
            }
            Op::Attach(r.u32(attach::xid), name.to_owned())
        }
        detach::KIND => {
            r.expect(&detach::LAYOUT)?;
            Op::Detach(r.u32(detach::xid))
        }
        route4::KIND => {
            r.expect(&route4::LAYOUT)?;
            let hops = r.elems(route4::SIZE, usize::from(r.u16(route4::n_hops)), hop4::SIZE)?;
            Op::Route(
                r.u64(route4::net),
                r.u32(route4::table),
                Prefix {
                    addr: IpAddr::V4(r.ip4(route4::addr)),
                    len: plen(r.u8(route4::plen), 32)?,
                },
                RouteSpec {
                    kind: r.u8(route4::rtn),
                    hops: hops
                        .iter()
                        .map(|h| hop(h.u32(hop4::xid), IpAddr::V4(h.ip4(hop4::gw))))
                        .collect(),
                },
            )
        }
        unroute4::KIND => {
            r.expect(&unroute4::LAYOUT)?;
            Op::Unroute(
                r.u64(unroute4::net),
                r.u32(unroute4::table),
                Prefix {
                    addr: IpAddr::V4(r.ip4(unroute4::addr)),
                    len: plen(r.u8(unroute4::plen), 32)?,
                },
            )
        }
        route6::KIND => {
            r.expect(&route6::LAYOUT)?;
            let hops = r.elems(route6::SIZE, usize::from(r.u16(route6::n_hops)), hop6::SIZE)?;
            Op::Route(
                r.u64(route6::net),
                r.u32(route6::table),
                Prefix {
                    addr: IpAddr::V6(r.ip6(route6::addr)),
                    len: plen(r.u8(route6::plen), 128)?,
                },
                RouteSpec {
                    kind: r.u8(route6::rtn),
                    hops: hops
                        .iter()
                        .map(|h| hop(h.u32(hop6::xid), IpAddr::V6(h.ip6(hop6::gw))))
                        .collect(),
                },
            )
        }
        unroute6::KIND => {
            r.expect(&unroute6::LAYOUT)?;
            Op::Unroute(
                r.u64(unroute6::net),
                r.u32(unroute6::table),
                Prefix {
                    addr: IpAddr::V6(r.ip6(unroute6::addr)),
                    len: plen(r.u8(unroute6::plen), 128)?,
                },
            )
        }
        neigh4::KIND => {
            r.expect(&neigh4::LAYOUT)?;
            Op::Neigh(
                r.u64(neigh4::net),
                r.u32(neigh4::xid),
                IpAddr::V4(r.ip4(neigh4::addr)),
                r.array(neigh4::mac),
            )
        }
        unneigh4::KIND => {
            r.expect(&unneigh4::LAYOUT)?;
            Op::Unneigh(
                r.u64(unneigh4::net),
                r.u32(unneigh4::xid),
                IpAddr::V4(r.ip4(unneigh4::addr)),
            )
        }
        neigh6::KIND => {
            r.expect(&neigh6::LAYOUT)?;
            Op::Neigh(
                r.u64(neigh6::net),
                r.u32(neigh6::xid),
                IpAddr::V6(r.ip6(neigh6::addr)),
                r.array(neigh6::mac),
            )
        }
        unneigh6::KIND => {
            r.expect(&unneigh6::LAYOUT)?;
            Op::Unneigh(
                r.u64(unneigh6::net),
                r.u32(unneigh6::xid),
                IpAddr::V6(r.ip6(unneigh6::addr)),
            )
        }
        clear::KIND => Op::Clear,
        k if k & OPTIONAL != 0 => return Ok(None),
        k => {
            return Err(format!(
                "kind {k} is no operation this SWITCH knows (record format version {})",
                crate::records::VERSION
            ))
        }
    };
    Ok(Some(op))
}

fn hop(xid: u32, gw: IpAddr) -> Hop {
    match xid_or_none(xid) {
        None => Hop {
            xid: None,
            gw: None,
        },
        Some(x) => Hop {
            xid: Some(x),
            gw: (!gw.is_unspecified()).then_some(gw),
        },
    }
}

fn v4(a: IpAddr, what: &str) -> Result<Ipv4Addr, String> {
    match a {
        IpAddr::V4(a) => Ok(a),
        IpAddr::V6(a) => Err(format!("{what} {a} is not IPv4, as its route is")),
    }
}

fn v6(a: IpAddr, what: &str) -> Result<Ipv6Addr, String> {
    match a {
        IpAddr::V6(a) => Ok(a),
        IpAddr::V4(a) => Err(format!("{what} {a} is not IPv6, as its route is")),
    }
}

fn count(n: usize, what: &str) -> Result<u16, String> {
    u16::try_from(n).map_err(|_| format!("{n} {what} do not fit a record"))
}

/// Appends the record of `op`. Fails for what no record can say: a next
/// hop's gateway of the other family than its route, or more elements
/// than a count holds.
pub fn encode(op: &Op, w: &mut Writer) -> Result<(), String> {
    match op {
        Op::Link(l) => {
            let (a4, a6): (Vec<IpAddr>, Vec<IpAddr>) = l.addrs.iter().partition(|a| a.is_ipv4());
            let mut r = w.record(link::KIND, link::SIZE);
            r.u32(link::xid, l.xid)
                .u64(link::net, l.net)
                .bytes(link::mac, &l.mac)
                .u16(link::vid, l.vid)
                .u32(link::lower, l.lower.unwrap_or(NO_XID))
                .u8(link::dev_kind, l.kind.dev_kind())
                .u8(
                    link::flags,
                    if l.up { LINK_UP } else { 0 } | if l.offload { LINK_OFFLOAD } else { 0 },
                )
                .u16(link::n_uppers, count(l.uppers.len(), "uppers")?)
                .u16(link::n_addr4, count(a4.len(), "addresses")?)
                .u16(link::n_addr6, count(a6.len(), "addresses")?);
            for u in &l.uppers {
                r.append(&u.to_le_bytes());
            }
            for a in a4.iter().chain(&a6) {
                match a {
                    IpAddr::V4(a) => r.append(&a.octets()),
                    IpAddr::V6(a) => r.append(&a.octets()),
                };
            }
        }
        Op::Unlink(x) => {
            w.record(unlink::KIND, unlink::SIZE).u32(unlink::xid, *x);
        }
        Op::Attach(x, name) => {
            if name.is_empty() || name.len() >= 16 || name.contains('\0') {
                return Err(format!("`{name}` is not an interface name"));
            }
            w.record(attach::KIND, attach::SIZE)
                .u32(attach::xid, *x)
                .bytes(attach::ifname, name.as_bytes());
        }
        Op::Detach(x) => {
            w.record(detach::KIND, detach::SIZE).u32(detach::xid, *x);
        }
        Op::Route(net, table, p, spec) => route(w, *net, *table, *p, spec)?,
        Op::Unroute(net, table, p) => match p.addr {
            IpAddr::V4(a) => {
                w.record(unroute4::KIND, unroute4::SIZE)
                    .u32(unroute4::table, *table)
                    .u64(unroute4::net, *net)
                    .bytes(unroute4::addr, &a.octets())
                    .u8(unroute4::plen, p.len);
            }
            IpAddr::V6(a) => {
                w.record(unroute6::KIND, unroute6::SIZE)
                    .u32(unroute6::table, *table)
                    .u64(unroute6::net, *net)
                    .bytes(unroute6::addr, &a.octets())
                    .u8(unroute6::plen, p.len);
            }
        },
        Op::Neigh(net, x, a, mac) => match a {
            IpAddr::V4(a) => {
                w.record(neigh4::KIND, neigh4::SIZE)
                    .u32(neigh4::xid, *x)
                    .u64(neigh4::net, *net)
                    .bytes(neigh4::addr, &a.octets())
                    .bytes(neigh4::mac, mac);
            }
            IpAddr::V6(a) => {
                w.record(neigh6::KIND, neigh6::SIZE)
                    .u32(neigh6::xid, *x)
                    .u64(neigh6::net, *net)
                    .bytes(neigh6::addr, &a.octets())
                    .bytes(neigh6::mac, mac);
            }
        },
        Op::Unneigh(net, x, a) => match a {
            IpAddr::V4(a) => {
                w.record(unneigh4::KIND, unneigh4::SIZE)
                    .u32(unneigh4::xid, *x)
                    .u64(unneigh4::net, *net)
                    .bytes(unneigh4::addr, &a.octets());
            }
            IpAddr::V6(a) => {
                w.record(unneigh6::KIND, unneigh6::SIZE)
                    .u32(unneigh6::xid, *x)
                    .u64(unneigh6::net, *net)
                    .bytes(unneigh6::addr, &a.octets());
            }
        },
        Op::Clear => {
            w.record(clear::KIND, clear::SIZE);
        }
    }
    Ok(())
}

/// Appends the route record of `spec` for `p` in table `table` of `net`.
pub fn route(
    w: &mut Writer,
    net: u64,
    table: u32,
    p: Prefix,
    spec: &RouteSpec,
) -> Result<(), String> {
    let n = count(spec.hops.len(), "next hops")?;
    match p.addr {
        IpAddr::V4(a) => {
            let mut hops = Vec::with_capacity(spec.hops.len() * hop4::SIZE);
            for h in &spec.hops {
                let gw =
                    h.gw.map_or(Ok(Ipv4Addr::UNSPECIFIED), |g| v4(g, "gateway"))?;
                hops.extend_from_slice(&h.xid.unwrap_or(NO_XID).to_le_bytes());
                hops.extend_from_slice(&gw.octets());
            }
            w.record(route4::KIND, route4::SIZE)
                .u32(route4::table, table)
                .u64(route4::net, net)
                .bytes(route4::addr, &a.octets())
                .u8(route4::plen, p.len)
                .u8(route4::rtn, spec.kind)
                .u16(route4::n_hops, n)
                .append(&hops);
        }
        IpAddr::V6(a) => {
            let mut hops = Vec::with_capacity(spec.hops.len() * hop6::SIZE);
            for h in &spec.hops {
                let gw =
                    h.gw.map_or(Ok(Ipv6Addr::UNSPECIFIED), |g| v6(g, "gateway"))?;
                hops.extend_from_slice(&h.xid.unwrap_or(NO_XID).to_le_bytes());
                hops.extend_from_slice(&gw.octets());
            }
            w.record(route6::KIND, route6::SIZE)
                .u32(route6::table, table)
                .u64(route6::net, net)
                .bytes(route6::addr, &a.octets())
                .u8(route6::plen, p.len)
                .u8(route6::rtn, spec.kind)
                .u16(route6::n_hops, n)
                .append(&hops);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::parse_line;
    use super::*;
    use crate::records::Reader;

    fn round_trip(line: &str) -> Op {
        let op = parse_line(line).unwrap().unwrap();
        let mut w = Writer::new();
        encode(&op, &mut w).unwrap();
        let b = w.finish().unwrap();
        let rec = Reader::new(&b).unwrap().next().unwrap().unwrap();
        let back = decode(&rec).unwrap().unwrap();
        assert_eq!(back, op, "{line}");
        back
    }

    #[test]
    fn every_operation_survives_its_record() {
        for line in [
            "link 4094 vlan 4026531840 1 0 02:00:00:00:00:0a 3999 10 3000,3001 10.0.0.1,fe80::1",
            "link 7 port 1 0 1 02:00:00:00:00:07 - 0 - -",
            "link 8 other 1 1 1 02:00:00:00:00:08 - 0 - -",
            "unlink 3999",
            "attach 3999 veth-h1",
            "detach 3999",
            "route 1 254 10.1.0.0/16 1 3999@10.0.0.2,3998,?",
            "route 4026531840 100 2001:db8::/32 1 7@fe80::1",
            "route 1 255 ::ffff:192.0.2.1/128 2 7",
            "route 1 254 0.0.0.0/0 7 -",
            "unroute 1 254 2001:db8::/32",
            "unroute 1 254 10.0.0.0/8",
            "neigh 1 3999 10.0.0.2 02:00:00:00:00:02",
            "neigh 1 3999 fe80::2 02:00:00:00:00:02",
            "unneigh 1 3999 fe80::2",
            "unneigh 1 3999 10.0.0.2",
            "clear",
        ] {
            round_trip(line);
        }
    }

    #[test]
    fn what_no_record_can_say_is_refused() {
        let mut w = Writer::new();
        let op = parse_line("route 1 254 10.0.0.0/8 1 7@fe80::1")
            .unwrap()
            .unwrap();
        assert!(encode(&op, &mut w).unwrap_err().contains("not IPv4"));
        let op = Op::Attach(1, "a-name-far-too-long".into());
        assert!(encode(&op, &mut w).unwrap_err().contains("interface name"));
    }

    #[test]
    fn bad_records_say_what_is_wrong() {
        let one = |kind: u16, body: &[u8]| {
            let mut w = Writer::new();
            w.record(kind, 4).append(body);
            let b = w.finish().unwrap();
            let r = Reader::new(&b).unwrap().next().unwrap().unwrap();
            decode(&r).map(|_| ()).unwrap_err()
        };
        assert!(one(route4::KIND, &[0; 4]).contains("route4 record of 8 bytes"));
        let mut r = vec![0u8; route4::SIZE - 4];
        r[route4::plen - 4] = 33;
        assert!(one(route4::KIND, &r).contains("prefix length 33 above 32"));
        r[route4::plen - 4] = 8;
        r[route4::n_hops - 4] = 2;
        assert!(one(route4::KIND, &r).contains("overrun"));
        assert!(one(99, &[]).contains("kind 99 is no operation"));
        assert!(one(attach::KIND, &[0; 20]).contains("without an interface name"));
        // An optional kind is skipped.
        let mut w = Writer::new();
        w.record(OPTIONAL | 5, 4);
        let b = w.finish().unwrap();
        let r = Reader::new(&b).unwrap().next().unwrap().unwrap();
        assert_eq!(decode(&r), Ok(None));
    }
}
