//! The forwarding decisions of the software SWITCH, as a switch chip makes
//! them, separate from any socket so that every rule is unit-tested.
//!
//! A frame enters from a port's wire ([`Forwarder::from_port`]) or from
//! Linux through a proxy ([`Forwarder::from_linux`]), and leaves through
//! [`Out`]: out of ports, up to Linux as an exception, or dropped, each
//! with its reason.
//!
//! From the wire:
//! 1. The port (or its lag) and the frame's VLAN tag give the ingress
//!    proxy; an unknown VLAN is dropped.
//! 2. A proxy with `l2-fwd-offload` off hands everything to Linux.
//! 3. A bridge member learns the source, routes frames to the bridge's
//!    MAC, floods group frames to the other members and to Linux (the
//!    bridge's own interface), forwards known unicast, floods unknown.
//! 4. Otherwise frames to the proxy's MAC are routed, group frames go to
//!    Linux, anything else is not for this switch.
//!
//! Routing (IPv4 and IPv6, main table of the ingress proxy's namespace)
//! hands Linux whatever Linux must answer or resolve: ARP and other
//! non-IP, local, multicast and link-local destinations, TTL or hop limit
//! of 1 or less, no route, routes that are not unicast, next hops that
//! are not proxies, and next hops without a neighbour. Everything else is
//! rewritten (next hop's MAC, egress proxy's MAC, TTL less one) and sent
//! out of the next hop's proxy; multipath picks a hop by flow hash.
//!
//! Out of a proxy: a port sends on its wire; a VLAN tags and goes out of
//! its lower; a lag picks a usable member by flow hash; a bridge forwards
//! by its FDB or floods.

use std::net::IpAddr;

use super::fdb::Fdb;
use super::packet::{decrement_ttl, flow_hash, ip_header, is_group, parse, Pkt, ETH_P_ARP};
use super::program::{Kind, RTN_UNICAST};
use super::tables::{Tables, MAIN_TABLE};

/// Why a frame went up to Linux.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exception {
    /// ARP addressed to the switch.
    Arp,
    /// A group (broadcast or multicast) destination.
    Group,
    /// An IP destination local to the switch, multicast or link-local.
    Local,
    /// TTL or hop limit 1 or less.
    Ttl,
    NoRoute,
    /// Blackhole, unreachable, prohibit...: Linux answers.
    RouteType,
    /// The next hop is not a proxy of this switch.
    ForeignHop,
    NoNeighbour,
    /// `l2-fwd-offload off` on the ingress proxy or port.
    OffloadOff,
    /// Not IPv4, IPv6 or ARP, addressed to the switch.
    Protocol,
}

impl Exception {
    pub const ALL: [Exception; 10] = [
        Exception::Arp,
        Exception::Group,
        Exception::Local,
        Exception::Ttl,
        Exception::NoRoute,
        Exception::RouteType,
        Exception::ForeignHop,
        Exception::NoNeighbour,
        Exception::OffloadOff,
        Exception::Protocol,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Exception::Arp => "arp",
            Exception::Group => "group",
            Exception::Local => "local",
            Exception::Ttl => "ttl",
            Exception::NoRoute => "no-route",
            Exception::RouteType => "route-type",
            Exception::ForeignHop => "foreign-hop",
            Exception::NoNeighbour => "no-neighbour",
            Exception::OffloadOff => "offload-off",
            Exception::Protocol => "protocol",
        }
    }
}

/// Why a frame was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Drop {
    /// No proxy with that xid is programmed.
    NoLink,
    /// The proxy is administratively down.
    Down,
    UnknownVlan,
    /// Unicast to a MAC that is not the proxy's, outside any bridge.
    NotForUs,
    /// The egress port is not attached, has no carrier, or a lag has no
    /// usable member.
    NoPort,
    /// Bridged back to the member it came from.
    Filtered,
    /// Shorter than its headers.
    Runt,
}

impl Drop {
    pub const ALL: [Drop; 7] = [
        Drop::NoLink,
        Drop::Down,
        Drop::UnknownVlan,
        Drop::NotForUs,
        Drop::NoPort,
        Drop::Filtered,
        Drop::Runt,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Drop::NoLink => "no-link",
            Drop::Down => "down",
            Drop::UnknownVlan => "unknown-vlan",
            Drop::NotForUs => "not-for-us",
            Drop::NoPort => "no-port",
            Drop::Filtered => "filtered",
            Drop::Runt => "runt",
        }
    }
}

/// Where forwarded frames go.
pub trait Out {
    /// True when port `xid` is attached and has carrier.
    fn usable(&self, port: u32) -> bool;
    /// Send `pkt` out of port `xid`'s wire, tagged with `vid` if given.
    fn port(&mut self, port: u32, pkt: &Pkt<'_>, vid: Option<u16>);
    /// Hand `pkt` to Linux, received by proxy `xid`.
    fn linux(&mut self, xid: u32, pkt: &Pkt<'_>, why: Exception);
    /// Count a drop against proxy `xid`.
    fn dropped(&mut self, xid: u32, why: Drop);
    /// Count one routed packet.
    fn routed(&mut self) {}
}

/// One batch's view of the switch: the tables (read), the FDB (learned
/// into) and the time.
pub struct Forwarder<'a> {
    pub tables: &'a Tables,
    pub fdb: &'a mut Fdb,
    pub now_ms: u64,
    /// Reused for rewritten payloads.
    pub scratch: &'a mut Vec<u8>,
}

impl Forwarder<'_> {
    /// A frame received on port `port`'s wire.
    pub fn from_port(&mut self, port: u32, frame: &[u8], out: &mut dyn Out) {
        let t = self.tables;
        let Some(p) = t.link(port) else {
            return out.dropped(port, Drop::NoLink);
        };
        if !p.up {
            return out.dropped(port, Drop::Down);
        }
        let Some(parsed) = parse(frame) else {
            return out.dropped(port, Drop::Runt);
        };
        let base = match t.upper(port, Kind::Lag) {
            Some(lag) if lag.up => lag.xid,
            Some(_) => return out.dropped(port, Drop::Down),
            None => port,
        };
        let ing = match parsed.vid {
            None => base,
            Some(vid) => match t.vlan(base, vid) {
                Some(v) => v,
                None => return out.dropped(port, Drop::UnknownVlan),
            },
        };
        let Some(il) = t.link(ing) else {
            return out.dropped(port, Drop::NoLink);
        };
        if !il.up {
            return out.dropped(port, Drop::Down);
        }
        let pkt = parsed.pkt;
        if !il.offload || !p.offload {
            return out.linux(ing, &pkt, Exception::OffloadOff);
        }
        if let Some(br) = t.upper(ing, Kind::Bridge).filter(|b| b.up) {
            let br = br.xid;
            self.fdb.learn(br, pkt.src, ing, self.now_ms);
            if pkt.dst == t.link(br).map_or([0; 6], |b| b.mac) {
                return self.route(br, &pkt, out);
            }
            if is_group(&pkt.dst) {
                self.flood(br, Some(ing), &pkt, out);
                return out.linux(br, &pkt, Exception::Group);
            }
            return match self.fdb.get(br, &pkt.dst, self.now_ms) {
                Some(m) if m == ing => out.dropped(port, Drop::Filtered),
                Some(m) => self.egress(m, &pkt, out),
                None => self.flood(br, Some(ing), &pkt, out),
            };
        }
        if pkt.dst == il.mac {
            self.route(ing, &pkt, out)
        } else if is_group(&pkt.dst) {
            out.linux(ing, &pkt, Exception::Group)
        } else {
            out.dropped(port, Drop::NotForUs)
        }
    }

    /// A frame Linux transmitted through proxy `xid`.
    pub fn from_linux(&mut self, xid: u32, frame: &[u8], out: &mut dyn Out) {
        match parse(frame) {
            Some(p) if p.vid.is_none() => self.egress(xid, &p.pkt, out),
            // A tag inside a proxy's frame is the user's business (a
            // Linux VLAN over a port): it stays in the payload.
            Some(p) => {
                let pkt = Pkt {
                    ethertype: u16::from_be_bytes([frame[12], frame[13]]),
                    payload: &frame[14..],
                    ..p.pkt
                };
                self.egress(xid, &pkt, out)
            }
            None => out.dropped(xid, Drop::Runt),
        }
    }

    /// Routes `pkt`, which arrived on proxy `ifx` addressed to its MAC.
    fn route(&mut self, ifx: u32, pkt: &Pkt<'_>, out: &mut dyn Out) {
        let t = self.tables;
        let Some(il) = t.link(ifx) else {
            return out.dropped(ifx, Drop::NoLink);
        };
        let Some(ip) = ip_header(pkt.ethertype, pkt.payload) else {
            let why = if pkt.ethertype == ETH_P_ARP {
                Exception::Arp
            } else {
                Exception::Protocol
            };
            return out.linux(ifx, pkt, why);
        };
        if special(ip.dst) || t.is_local(il.net, ip.dst) {
            return out.linux(ifx, pkt, Exception::Local);
        }
        if ip.ttl <= 1 {
            return out.linux(ifx, pkt, Exception::Ttl);
        }
        let Some(r) = t.fib(il.net, MAIN_TABLE).and_then(|f| f.lookup(ip.dst)) else {
            return out.linux(ifx, pkt, Exception::NoRoute);
        };
        if r.kind != RTN_UNICAST || r.hops.is_empty() {
            return out.linux(ifx, pkt, Exception::RouteType);
        }
        let hop = r.hops[flow_hash(pkt) as usize % r.hops.len()];
        let Some(oif) = hop.xid else {
            return out.linux(ifx, pkt, Exception::ForeignHop);
        };
        let Some(ol) = t.link(oif) else {
            return out.linux(ifx, pkt, Exception::ForeignHop);
        };
        let Some(mac) = t.neighbour(il.net, oif, hop.gw.unwrap_or(ip.dst)) else {
            return out.linux(ifx, pkt, Exception::NoNeighbour);
        };
        decrement_ttl(pkt.ethertype, pkt.payload, self.scratch);
        let scratch = std::mem::take(self.scratch);
        let routed = Pkt {
            dst: mac,
            src: ol.mac,
            ethertype: pkt.ethertype,
            payload: &scratch,
        };
        out.routed();
        self.egress(oif, &routed, out);
        *self.scratch = scratch;
    }

    /// Sends `pkt` out of proxy `xid`.
    fn egress(&mut self, xid: u32, pkt: &Pkt<'_>, out: &mut dyn Out) {
        let t = self.tables;
        let Some(l) = t.link(xid) else {
            return out.dropped(xid, Drop::NoLink);
        };
        if !l.up {
            return out.dropped(xid, Drop::Down);
        }
        match l.kind {
            Kind::Port | Kind::Lag => self.wire(xid, pkt, None, out),
            Kind::Vlan => match l.lower {
                Some(lower) if t.link(lower).is_some_and(|x| x.up) => {
                    self.wire(lower, pkt, Some(l.vid), out)
                }
                _ => out.dropped(xid, Drop::Down),
            },
            Kind::Bridge => {
                if is_group(&pkt.dst) {
                    return self.flood(xid, None, pkt, out);
                }
                match self.fdb.get(xid, &pkt.dst, self.now_ms) {
                    Some(m) => self.egress(m, pkt, out),
                    None => self.flood(xid, None, pkt, out),
                }
            }
            Kind::Loopback | Kind::Other => out.dropped(xid, Drop::NoPort),
        }
    }

    /// Out of a port, or of a lag's member chosen by flow hash.
    fn wire(&mut self, xid: u32, pkt: &Pkt<'_>, vid: Option<u16>, out: &mut dyn Out) {
        let t = self.tables;
        match t.link(xid).map(|l| l.kind) {
            Some(Kind::Port) if out.usable(xid) => out.port(xid, pkt, vid),
            Some(Kind::Lag) => {
                let live: Vec<u32> = t
                    .members(xid)
                    .iter()
                    .copied()
                    .filter(|m| t.link(*m).is_some_and(|l| l.up) && out.usable(*m))
                    .collect();
                if live.is_empty() {
                    return out.dropped(xid, Drop::NoPort);
                }
                let m = live[flow_hash(pkt) as usize % live.len()];
                out.port(m, pkt, vid)
            }
            _ => out.dropped(xid, Drop::NoPort),
        }
    }

    /// Out of every member of bridge `br` except `except`.
    fn flood(&mut self, br: u32, except: Option<u32>, pkt: &Pkt<'_>, out: &mut dyn Out) {
        for m in self.tables.members(br) {
            if Some(*m) != except {
                self.egress(*m, pkt, out);
            }
        }
    }
}

/// Destinations a switch never routes: multicast, broadcast, link-local,
/// unspecified, loopback.
fn special(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(a) => {
            a.is_multicast() || a.is_broadcast() || a.is_loopback() || a.is_unspecified()
        }
        IpAddr::V6(a) => {
            a.is_multicast()
                || a.is_loopback()
                || a.is_unspecified()
                || (a.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests;
