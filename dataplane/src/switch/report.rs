//! What the software SWITCH reports, as records ([`crate::records`]):
//! port state, counters per proxy, a summary of named counts, lists of
//! names. [`Item`] is one such record read back, with a line of text for
//! diagnostics and tests.

use std::fmt;

use std::net::{IpAddr, Ipv4Addr};

use super::program::Prefix;
use crate::records::layout::{
    char_elem, count, count_elem, counters, name, port, route_result, RESULT_PROGRAMMED,
    RESULT_REFUSED, RESULT_TABLE_FULL, RESULT_TRAPPED,
};
use crate::records::{Reader, Rec, Writer};

/// One report record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Port {
        xid: u32,
        ifname: String,
        carrier: bool,
        speed_mbps: u32,
    },
    Counters {
        xid: u32,
        counts: Vec<u64>,
    },
    Count {
        name: String,
        value: u64,
    },
    Name {
        index: u16,
        name: String,
    },
    /// What became of a route (RESULT_* status).
    RouteResult {
        net: u64,
        table: u32,
        prefix: Prefix,
        status: u8,
    },
}

/// Text longer than a u8 counts is cut (names are short: interface and
/// counter names).
fn text_len(s: &str) -> usize {
    let mut n = s.len().min(usize::from(u8::MAX));
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    n
}

impl Item {
    /// Appends its record.
    pub fn encode(&self, w: &mut Writer) {
        match self {
            Item::Port {
                xid,
                ifname,
                carrier,
                speed_mbps,
            } => {
                let n = ifname.len().min(15);
                w.record(port::KIND, port::SIZE)
                    .u32(port::xid, *xid)
                    .u32(port::speed, *speed_mbps)
                    .u8(port::carrier, u8::from(*carrier))
                    .bytes(port::ifname, &ifname.as_bytes()[..n]);
            }
            Item::Counters { xid, counts } => {
                let n = counts.len().min(usize::from(u16::MAX));
                let mut r = w.record(counters::KIND, counters::SIZE);
                r.u32(counters::xid, *xid).u16(counters::n_counts, n as u16);
                for c in &counts[..n] {
                    r.append(&c.to_le_bytes());
                }
            }
            Item::Count { name, value } => {
                let n = text_len(name);
                w.record(count::KIND, count::SIZE)
                    .u64(count::value, *value)
                    .u8(count::name_len, n as u8)
                    .append(&name.as_bytes()[..n]);
            }
            Item::Name { index, name } => {
                let n = text_len(name);
                w.record(name::KIND, name::SIZE)
                    .u16(name::index, *index)
                    .u8(name::name_len, n as u8)
                    .append(&name.as_bytes()[..n]);
            }
            Item::RouteResult {
                net,
                table,
                prefix,
                status,
            } => {
                let (addr, family) = match prefix.addr {
                    IpAddr::V4(a) => {
                        let mut b = [0u8; 16];
                        b[..4].copy_from_slice(&a.octets());
                        (b, 4)
                    }
                    IpAddr::V6(a) => (a.octets(), 6),
                };
                w.record(route_result::KIND, route_result::SIZE)
                    .u32(route_result::table, *table)
                    .u64(route_result::net, *net)
                    .bytes(route_result::addr, &addr)
                    .u8(route_result::plen, prefix.len)
                    .u8(route_result::family, family)
                    .u8(route_result::status, *status);
            }
        }
    }

    /// The report item of a record; an error for any other kind.
    pub fn decode(r: &Rec<'_>) -> Result<Item, String> {
        let text = |at: usize, n: usize| -> Result<String, String> {
            let e = r.elems(at, n, char_elem::SIZE)?;
            String::from_utf8(e.bytes().to_vec()).map_err(|_| "text that is not UTF-8".into())
        };
        Ok(match r.kind {
            port::KIND => {
                r.expect(&port::LAYOUT)?;
                Item::Port {
                    xid: r.u32(port::xid),
                    ifname: r.name(port::ifname)?.to_owned(),
                    carrier: r.u8(port::carrier) != 0,
                    speed_mbps: r.u32(port::speed),
                }
            }
            counters::KIND => {
                r.expect(&counters::LAYOUT)?;
                let n = usize::from(r.u16(counters::n_counts));
                let e = r.elems(counters::SIZE, n, count_elem::SIZE)?;
                Item::Counters {
                    xid: r.u32(counters::xid),
                    counts: e.iter().map(|c| c.u64(count_elem::value)).collect(),
                }
            }
            count::KIND => {
                r.expect(&count::LAYOUT)?;
                Item::Count {
                    value: r.u64(count::value),
                    name: text(count::SIZE, usize::from(r.u8(count::name_len)))?,
                }
            }
            name::KIND => {
                r.expect(&name::LAYOUT)?;
                Item::Name {
                    index: r.u16(name::index),
                    name: text(name::SIZE, usize::from(r.u8(name::name_len)))?,
                }
            }
            route_result::KIND => {
                r.expect(&route_result::LAYOUT)?;
                let a: [u8; 16] = r.array(route_result::addr);
                let addr = match r.u8(route_result::family) {
                    4 => IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3])),
                    6 => IpAddr::V6(a.into()),
                    f => return Err(format!("route_result of family {f}")),
                };
                Item::RouteResult {
                    net: r.u64(route_result::net),
                    table: r.u32(route_result::table),
                    prefix: Prefix {
                        addr,
                        len: r.u8(route_result::plen),
                    },
                    status: r.u8(route_result::status),
                }
            }
            k => return Err(format!("kind {k} is no report")),
        })
    }
}

/// `XID IFNAME CARRIER SPEED`, `XID COUNT...`, `NAME VALUE`, `NAME`: the
/// lines the reports were before they were records.
impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Item::Port {
                xid,
                ifname,
                carrier,
                speed_mbps,
            } => write!(f, "{xid} {ifname} {} {speed_mbps}", u8::from(*carrier)),
            Item::Counters { xid, counts } => {
                write!(f, "{xid}")?;
                for c in counts {
                    write!(f, " {c}")?;
                }
                Ok(())
            }
            Item::Count { name, value } => write!(f, "{name} {value}"),
            Item::Name { name, .. } => f.write_str(name),
            Item::RouteResult {
                net,
                table,
                prefix,
                status,
            } => {
                let what = match *status {
                    RESULT_PROGRAMMED => "forwarded",
                    RESULT_TABLE_FULL => "failed",
                    RESULT_REFUSED => "refused",
                    RESULT_TRAPPED => "trapped",
                    _ => "unknown",
                };
                write!(
                    f,
                    "result {net} {table} {}/{} {what}",
                    prefix.addr, prefix.len
                )
            }
        }
    }
}

/// True for the kinds of report records.
pub fn is_report(kind: u16) -> bool {
    matches!(
        kind,
        port::KIND | counters::KIND | count::KIND | name::KIND | route_result::KIND
    )
}

/// The records of `items`.
pub fn encode(items: &[Item]) -> Vec<u8> {
    let mut w = Writer::new();
    for i in items {
        i.encode(&mut w);
    }
    // Every record is far below the limit and so is the stream.
    w.finish().unwrap_or_default()
}

/// The items of a report.
pub fn decode(records: &[u8]) -> Result<Vec<Item>, String> {
    Reader::new(records)?
        .map(|r| {
            let r = r?;
            Item::decode(&r).map_err(|e| format!("record {}: {e}", r.index + 1))
        })
        .collect()
}

/// A report as its lines of text (see [`Item`]'s Display).
pub fn text(records: &[u8]) -> Result<String, String> {
    use std::fmt::Write;
    let mut s = String::new();
    for i in decode(records)? {
        let _ = writeln!(s, "{i}");
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_survive_their_records() {
        let items = vec![
            Item::Port {
                xid: 10,
                ifname: "veth10".into(),
                carrier: true,
                speed_mbps: 10000,
            },
            Item::Counters {
                xid: 3000,
                counts: vec![1, 2, u64::MAX],
            },
            Item::Count {
                name: "exception.arp".into(),
                value: 3,
            },
            Item::Name {
                index: 1,
                name: "rx-unicast".into(),
            },
            Item::RouteResult {
                net: 1,
                table: 254,
                prefix: Prefix {
                    addr: "10.1.0.0".parse().unwrap(),
                    len: 16,
                },
                status: RESULT_TABLE_FULL,
            },
            Item::RouteResult {
                net: 4026531840,
                table: 255,
                prefix: Prefix {
                    addr: "2001:db8::1".parse().unwrap(),
                    len: 128,
                },
                status: RESULT_TRAPPED,
            },
        ];
        let b = encode(&items);
        assert_eq!(decode(&b).unwrap(), items);
        assert_eq!(
            text(&b).unwrap(),
            "10 veth10 1 10000\n3000 1 2 18446744073709551615\nexception.arp 3\nrx-unicast\n\
             result 1 254 10.1.0.0/16 failed\nresult 4026531840 255 2001:db8::1/128 trapped\n"
        );
    }

    #[test]
    fn overlong_text_is_cut_at_a_character() {
        let long = "é".repeat(200);
        let b = encode(&[Item::Count {
            name: long,
            value: 1,
        }]);
        let Item::Count { name, .. } = &decode(&b).unwrap()[0] else {
            panic!("not a count");
        };
        assert_eq!(name.len(), 254);
    }
}
