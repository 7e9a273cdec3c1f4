//! Just enough parsing and rewriting of Ethernet, IPv4 and IPv6 for the
//! forwarding model: where the headers are, the fields forwarding reads,
//! a flow hash, and the TTL or hop-limit decrement of a routed packet.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A MAC address.
pub type Mac = [u8; 6];

pub use crate::encap::{ETH_ALEN, ETH_HLEN, ETH_P_8021AD, ETH_P_8021Q};
pub const ETH_P_IP: u16 = libc::ETH_P_IP as u16;
pub const ETH_P_ARP: u16 = libc::ETH_P_ARP as u16;
pub const ETH_P_IPV6: u16 = libc::ETH_P_IPV6 as u16;

const IPPROTO_TCP: u8 = libc::IPPROTO_TCP as u8;
const IPPROTO_UDP: u8 = libc::IPPROTO_UDP as u8;

/// True for group (broadcast and multicast) addresses.
pub fn is_group(mac: &Mac) -> bool {
    mac[0] & 1 != 0
}

/// A frame taken apart at its Ethernet header, with at most one VLAN tag
/// removed: what the forwarding model works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pkt<'a> {
    pub dst: Mac,
    pub src: Mac,
    /// The ethertype after the tag, if there was one.
    pub ethertype: u16,
    /// Everything after the ethertype.
    pub payload: &'a [u8],
}

/// A parsed frame and the VLAN id of the tag it carried, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed<'a> {
    pub pkt: Pkt<'a>,
    pub vid: Option<u16>,
}

/// Parses a frame; None when it is shorter than its headers.
pub fn parse(frame: &[u8]) -> Option<Parsed<'_>> {
    if frame.len() < ETH_HLEN {
        return None;
    }
    let mut dst = [0; 6];
    let mut src = [0; 6];
    dst.copy_from_slice(&frame[..ETH_ALEN]);
    src.copy_from_slice(&frame[ETH_ALEN..2 * ETH_ALEN]);
    let et = u16::from_be_bytes([frame[12], frame[13]]);
    if et == ETH_P_8021Q {
        if frame.len() < ETH_HLEN + 4 {
            return None;
        }
        let tci = u16::from_be_bytes([frame[14], frame[15]]);
        let inner = u16::from_be_bytes([frame[16], frame[17]]);
        return Some(Parsed {
            pkt: Pkt {
                dst,
                src,
                ethertype: inner,
                payload: &frame[ETH_HLEN + 4..],
            },
            vid: Some(tci & 0xfff),
        });
    }
    Some(Parsed {
        pkt: Pkt {
            dst,
            src,
            ethertype: et,
            payload: &frame[ETH_HLEN..],
        },
        vid: None,
    })
}

/// Writes `pkt` as a frame into `out` (cleared first), with an 802.1Q tag
/// of `vid` when given.
pub fn build(out: &mut Vec<u8>, pkt: &Pkt<'_>, vid: Option<u16>) {
    out.clear();
    out.extend_from_slice(&pkt.dst);
    out.extend_from_slice(&pkt.src);
    if let Some(v) = vid {
        out.extend_from_slice(&ETH_P_8021Q.to_be_bytes());
        out.extend_from_slice(&(v & 0xfff).to_be_bytes());
    }
    out.extend_from_slice(&pkt.ethertype.to_be_bytes());
    out.extend_from_slice(pkt.payload);
}

/// The fields of an IP header that routing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpHeader {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// TTL or hop limit.
    pub ttl: u8,
    /// Protocol or next header.
    pub proto: u8,
    /// Offset of the transport header in the payload.
    pub l4: usize,
}

/// Parses the IPv4 or IPv6 header at the start of `payload`; None for
/// other ethertypes and for headers that do not fit or are not IP.
pub fn ip_header(ethertype: u16, payload: &[u8]) -> Option<IpHeader> {
    match ethertype {
        ETH_P_IP => {
            if payload.len() < 20 || payload[0] >> 4 != 4 {
                return None;
            }
            let ihl = usize::from(payload[0] & 0xf) * 4;
            if ihl < 20 || payload.len() < ihl {
                return None;
            }
            let a = |o: usize| {
                Ipv4Addr::new(payload[o], payload[o + 1], payload[o + 2], payload[o + 3])
            };
            Some(IpHeader {
                src: IpAddr::V4(a(12)),
                dst: IpAddr::V4(a(16)),
                ttl: payload[8],
                proto: payload[9],
                l4: ihl,
            })
        }
        ETH_P_IPV6 => {
            if payload.len() < 40 || payload[0] >> 4 != 6 {
                return None;
            }
            let a = |o: usize| {
                let mut b = [0u8; 16];
                b.copy_from_slice(&payload[o..o + 16]);
                Ipv6Addr::from(b)
            };
            Some(IpHeader {
                src: IpAddr::V6(a(8)),
                dst: IpAddr::V6(a(24)),
                ttl: payload[7],
                proto: payload[6],
                l4: 40,
            })
        }
        _ => None,
    }
}

/// A hash of the flow a packet belongs to (addresses, protocol and, for
/// TCP and UDP, ports; MAC addresses for anything else), so that one flow
/// keeps one LAG member and one multipath next hop and is not reordered.
pub fn flow_hash(pkt: &Pkt<'_>) -> u32 {
    let mut h = Fnv::default();
    match ip_header(pkt.ethertype, pkt.payload) {
        Some(ip) => {
            match (ip.src, ip.dst) {
                (IpAddr::V4(s), IpAddr::V4(d)) => {
                    h.write(&s.octets());
                    h.write(&d.octets());
                }
                (IpAddr::V6(s), IpAddr::V6(d)) => {
                    h.write(&s.octets());
                    h.write(&d.octets());
                }
                _ => {}
            }
            h.write(&[ip.proto]);
            if (ip.proto == IPPROTO_TCP || ip.proto == IPPROTO_UDP)
                && pkt.payload.len() >= ip.l4 + 4
            {
                h.write(&pkt.payload[ip.l4..ip.l4 + 4]);
            }
        }
        None => {
            h.write(&pkt.dst);
            h.write(&pkt.src);
            h.write(&pkt.ethertype.to_be_bytes());
        }
    }
    h.finish()
}

/// 32-bit FNV-1a, finished with a mix so that low bits spread well (the
/// hash is taken modulo small member counts).
struct Fnv(u32);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0x811c_9dc5)
    }
}

impl Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u32::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0193);
        }
    }

    fn finish(&self) -> u32 {
        let mut x = self.0;
        x ^= x >> 16;
        x = x.wrapping_mul(0x7feb_352d);
        x ^= x >> 15;
        x
    }
}

/// Copies `payload` into `out` with its TTL (IPv4, checksum updated) or hop
/// limit (IPv6) one less. The caller has checked that it is an IP header
/// of `ethertype` with a TTL above 1.
pub fn decrement_ttl(ethertype: u16, payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(payload);
    match ethertype {
        ETH_P_IP => {
            let old = u16::from_be_bytes([out[8], out[9]]);
            out[8] -= 1;
            let new = u16::from_be_bytes([out[8], out[9]]);
            let check = u16::from_be_bytes([out[10], out[11]]);
            out[10..12].copy_from_slice(&checksum_update(check, old, new).to_be_bytes());
        }
        ETH_P_IPV6 => out[7] -= 1,
        _ => {}
    }
}

/// RFC 1624 eqn. 3: the checksum after one 16-bit word changed from
/// `old` to `new`: HC' = ~(~HC + ~m + m').
fn checksum_update(check: u16, old: u16, new: u16) -> u16 {
    let mut sum = u32::from(!check) + u32::from(!old) + u32::from(new);
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The Internet checksum of `data` (for tests and for checking headers).
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for c in data.chunks(2) {
        let w = if c.len() == 2 {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], 0])
        };
        sum += u32::from(w);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Test frames, shared by the switch's tests.
#[cfg(test)]
pub mod testing {
    use super::*;

    /// An untagged frame carrying `payload`.
    pub fn frame(dst: Mac, src: Mac, ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        build(
            &mut f,
            &Pkt {
                dst,
                src,
                ethertype,
                payload,
            },
            None,
        );
        f
    }

    /// An IPv4 frame (UDP, ports 1000 -> `dport`) with a valid header
    /// checksum.
    pub fn ipv4(dst: Mac, src: Mac, s: [u8; 4], d: [u8; 4], ttl: u8, dport: u16) -> Vec<u8> {
        let mut ip = vec![
            0x45,
            0,
            0,
            28,
            0,
            0,
            0x40,
            0,
            ttl,
            IPPROTO_UDP,
            0,
            0,
            s[0],
            s[1],
            s[2],
            s[3],
            d[0],
            d[1],
            d[2],
            d[3],
        ];
        let c = checksum(&ip);
        ip[10..12].copy_from_slice(&c.to_be_bytes());
        ip.extend_from_slice(&1000u16.to_be_bytes());
        ip.extend_from_slice(&dport.to_be_bytes());
        ip.extend_from_slice(&[0, 8, 0, 0]);
        frame(dst, src, ETH_P_IP, &ip)
    }

    /// An IPv6 frame (UDP) with hop limit `hlim`.
    pub fn ipv6(dst: Mac, src: Mac, s: Ipv6Addr, d: Ipv6Addr, hlim: u8) -> Vec<u8> {
        let mut ip = vec![0x60, 0, 0, 0, 0, 8, IPPROTO_UDP, hlim];
        ip.extend_from_slice(&s.octets());
        ip.extend_from_slice(&d.octets());
        ip.extend_from_slice(&[0x03, 0xe8, 0, 53, 0, 8, 0, 0]);
        frame(dst, src, ETH_P_IPV6, &ip)
    }

    /// A broadcast ARP request frame.
    pub fn arp(src: Mac) -> Vec<u8> {
        frame([0xff; 6], src, ETH_P_ARP, &[0u8; 28])
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    const A: Mac = [2, 0, 0, 0, 0, 1];
    const B: Mac = [2, 0, 0, 0, 0, 2];

    #[test]
    fn parse_untagged_and_tagged() {
        let f = ipv4(A, B, [10, 0, 0, 1], [10, 0, 0, 2], 64, 53);
        let p = parse(&f).unwrap();
        assert_eq!(
            (p.pkt.dst, p.pkt.src, p.pkt.ethertype, p.vid),
            (A, B, ETH_P_IP, None)
        );
        let mut t = Vec::new();
        build(&mut t, &p.pkt, Some(10));
        assert_eq!(&t[12..16], &[0x81, 0, 0, 10]);
        let q = parse(&t).unwrap();
        assert_eq!(q.vid, Some(10));
        assert_eq!(q.pkt, p.pkt);
    }

    #[test]
    fn parse_rejects_runts() {
        assert!(parse(&[0; 13]).is_none());
        let mut f = vec![0; 14];
        f[12] = 0x81;
        assert!(parse(&f).is_none());
        assert!(ip_header(ETH_P_IP, &[0x45; 19]).is_none());
        assert!(
            ip_header(ETH_P_IP, &[0x4f; 40]).is_none(),
            "ihl beyond the payload"
        );
        assert!(ip_header(ETH_P_IPV6, &[0x60; 39]).is_none());
        assert!(
            ip_header(ETH_P_IP, &[0x60; 40]).is_none(),
            "version 6 in an IPv4 frame"
        );
    }

    #[test]
    fn ttl_decrement_keeps_the_checksum_valid() {
        for ttl in [2u8, 64, 255] {
            let f = ipv4(A, B, [192, 168, 1, 9], [10, 1, 2, 3], ttl, 80);
            let p = parse(&f).unwrap().pkt;
            let mut out = Vec::new();
            decrement_ttl(p.ethertype, p.payload, &mut out);
            assert_eq!(out[8], ttl - 1);
            assert_eq!(checksum(&out[..20]), 0, "ttl {ttl}");
        }
        let f = ipv6(
            A,
            B,
            "2001:db8::1".parse().unwrap(),
            "2001:db8:1::1".parse().unwrap(),
            9,
        );
        let p = parse(&f).unwrap().pkt;
        let mut out = Vec::new();
        decrement_ttl(p.ethertype, p.payload, &mut out);
        assert_eq!(out[7], 8);
        assert_eq!(ip_header(ETH_P_IPV6, &out).unwrap().ttl, 8);
    }

    #[test]
    fn flow_hash_follows_the_flow() {
        let a = ipv4(A, B, [10, 0, 0, 1], [10, 0, 0, 2], 64, 53);
        let b = ipv4(B, A, [10, 0, 0, 1], [10, 0, 0, 2], 3, 53);
        let c = ipv4(A, B, [10, 0, 0, 1], [10, 0, 0, 2], 64, 54);
        let h = |f: &Vec<u8>| flow_hash(&parse(f).unwrap().pkt);
        assert_eq!(h(&a), h(&b), "MACs and TTL are not part of an IP flow");
        assert_ne!(h(&a), h(&c));
        // Many flows spread over two members.
        let ones = (0..1000u16)
            .filter(|p| h(&ipv4(A, B, [10, 0, 0, 1], [10, 0, 0, 2], 64, *p)) % 2 == 1)
            .count();
        assert!((400..600).contains(&ones), "{ones} of 1000 on member 1");
    }
}
