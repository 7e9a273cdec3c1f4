//! What SWITCHD programs the software SWITCH with: operations ([`Op`]),
//! which arrive as records ([`crate::records`], read by [`wire`]).
//!
//! Each operation also has a line of text, for diagnostics, logs and
//! tests: what `show switch-fib` shows, what a refused record is logged
//! as, and how tests write programs. [`parse_text`] turns such text into
//! records and [`render`] records into text; the text is never what
//! SWITCHD and the SWITCH exchange. One operation per line, tokens
//! separated by single spaces:
//!
//! ```text
//! link XID KIND NET UP OFFLOAD MAC LOWER VID UPPERS ADDRS
//! unlink XID
//! attach XID IFNAME
//! detach XID
//! route NET TABLE PREFIX TYPE NEXTHOPS
//! unroute NET TABLE PREFIX
//! neigh NET XID IP MAC
//! unneigh NET XID IP
//! clear
//! ```
//!
//! KIND is `port`, `vlan`, `lag`, `bridge`, `loopback` or `other`; UP and
//! OFFLOAD are 0 or 1; LOWER is an xid or `-`; UPPERS and ADDRS are comma
//! lists or `-`; NEXTHOPS is a comma list of `XID@GATEWAY`, `XID` (no
//! gateway) or `?` (not a proxy), or `-`.

use std::net::IpAddr;

use super::packet::Mac;
use crate::records::{Reader, Writer};

pub mod wire;

/// What a proxy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Port,
    Vlan,
    Lag,
    Bridge,
    Loopback,
    Other,
}

/// One proxy as programmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    pub xid: u32,
    pub kind: Kind,
    pub net: u64,
    pub up: bool,
    /// `l2-fwd-offload`: false hands the device's traffic to Linux.
    pub offload: bool,
    pub mac: Mac,
    /// A VLAN's lower proxy.
    pub lower: Option<u32>,
    /// A VLAN's id.
    pub vid: u16,
    /// The lags and bridges it is a member of.
    pub uppers: Vec<u32>,
    pub addrs: Vec<IpAddr>,
}

/// A route's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

/// A next hop: out of proxy `xid` (None: not a proxy), to `gw` (None: the
/// destination is on the link).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hop {
    pub xid: Option<u32>,
    pub gw: Option<IpAddr>,
}

/// A route as programmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RouteSpec {
    /// RTN_* type; only unicast (1) is forwarded.
    pub kind: u8,
    pub hops: Vec<Hop>,
}

/// RTN_UNICAST.
pub const RTN_UNICAST: u8 = 1;

/// One operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Link(LinkSpec),
    Unlink(u32),
    Attach(u32, String),
    Detach(u32),
    Route(u64, u32, Prefix, RouteSpec),
    Unroute(u64, u32, Prefix),
    Neigh(u64, u32, IpAddr, Mac),
    Unneigh(u64, u32, IpAddr),
    Clear,
}

/// Parses one line; Ok(None) for an empty line. The error says what is
/// wrong with which token.
pub fn parse_line(line: &str) -> Result<Option<Op>, String> {
    let t: Vec<&str> = line.split(' ').filter(|s| !s.is_empty()).collect();
    let Some(&verb) = t.first() else {
        return Ok(None);
    };
    let want = |n: usize, form: &str| -> Result<(), String> {
        if t.len() == n {
            Ok(())
        } else {
            Err(format!("`{verb}` takes {} fields: {form}", n - 1))
        }
    };
    let op = match verb {
        "link" => {
            want(
                11,
                "XID KIND NET UP OFFLOAD MAC LOWER VID UPPERS ADDRS (LOWER, UPPERS, ADDRS may be -)",
            )?;
            Op::Link(LinkSpec {
                xid: num(t[1], "XID")?,
                kind: kind(t[2])?,
                net: num(t[3], "NET")?,
                up: flag(t[4], "UP")?,
                offload: flag(t[5], "OFFLOAD")?,
                mac: mac(t[6])?,
                lower: if t[7] == "-" {
                    None
                } else {
                    Some(num(t[7], "LOWER")?)
                },
                vid: num(t[8], "VID")?,
                uppers: list(t[9], |s| num(s, "UPPERS"))?,
                addrs: list(t[10], ip)?,
            })
        }
        "unlink" => {
            want(2, "XID")?;
            Op::Unlink(num(t[1], "XID")?)
        }
        "attach" => {
            want(3, "XID IFNAME")?;
            Op::Attach(num(t[1], "XID")?, t[2].to_owned())
        }
        "detach" => {
            want(2, "XID")?;
            Op::Detach(num(t[1], "XID")?)
        }
        "route" => {
            want(6, "NET TABLE PREFIX TYPE NEXTHOPS")?;
            Op::Route(
                num(t[1], "NET")?,
                num(t[2], "TABLE")?,
                prefix(t[3])?,
                RouteSpec {
                    kind: num(t[4], "TYPE")?,
                    hops: list(t[5], hop)?,
                },
            )
        }
        "unroute" => {
            want(4, "NET TABLE PREFIX")?;
            Op::Unroute(num(t[1], "NET")?, num(t[2], "TABLE")?, prefix(t[3])?)
        }
        "neigh" => {
            want(5, "NET XID IP MAC")?;
            Op::Neigh(num(t[1], "NET")?, num(t[2], "XID")?, ip(t[3])?, mac(t[4])?)
        }
        "unneigh" => {
            want(4, "NET XID IP")?;
            Op::Unneigh(num(t[1], "NET")?, num(t[2], "XID")?, ip(t[3])?)
        }
        "clear" => {
            want(1, "")?;
            Op::Clear
        }
        _ => return Err(format!("unknown operation `{verb}`")),
    };
    Ok(Some(op))
}

fn num<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, String> {
    s.parse()
        .map_err(|_| format!("{what} `{s}` is not a number in range"))
}

fn flag(s: &str, what: &str) -> Result<bool, String> {
    match s {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(format!("{what} must be 0 or 1, not `{s}`")),
    }
}

fn kind(s: &str) -> Result<Kind, String> {
    Ok(match s {
        "port" => Kind::Port,
        "vlan" => Kind::Vlan,
        "lag" => Kind::Lag,
        "bridge" => Kind::Bridge,
        "loopback" => Kind::Loopback,
        "other" => Kind::Other,
        _ => {
            return Err(format!(
                "KIND `{s}` is not port, vlan, lag, bridge, loopback or other"
            ))
        }
    })
}

/// `aa:bb:cc:dd:ee:ff`.
pub fn mac(s: &str) -> Result<Mac, String> {
    let mut m = [0u8; 6];
    let mut n = 0;
    for part in s.split(':') {
        if n == 6 || part.is_empty() || part.len() > 2 {
            return Err(format!("MAC `{s}` is not aa:bb:cc:dd:ee:ff"));
        }
        m[n] = u8::from_str_radix(part, 16).map_err(|_| format!("MAC `{s}` is not hex"))?;
        n += 1;
    }
    if n != 6 {
        return Err(format!("MAC `{s}` is not aa:bb:cc:dd:ee:ff"));
    }
    Ok(m)
}

fn ip(s: &str) -> Result<IpAddr, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not an IPv4 or IPv6 address"))
}

fn prefix(s: &str) -> Result<Prefix, String> {
    let (a, l) = s
        .split_once('/')
        .ok_or_else(|| format!("PREFIX `{s}` has no /LENGTH"))?;
    let addr = ip(a)?;
    let len: u8 = num(l, "prefix length")?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if len > max {
        return Err(format!("PREFIX `{s}`: length above {max}"));
    }
    Ok(Prefix { addr, len })
}

fn hop(s: &str) -> Result<Hop, String> {
    if s == "?" {
        return Ok(Hop {
            xid: None,
            gw: None,
        });
    }
    let (x, gw) = match s.split_once('@') {
        Some((x, g)) => (x, Some(ip(g)?)),
        None => (s, None),
    };
    Ok(Hop {
        xid: Some(num(x, "next hop XID")?),
        gw,
    })
}

/// The `route` line that programs `spec` for `p` in table `table` of
/// namespace `net`: what [`parse_line`] reads back as the same operation.
pub fn route_line(net: u64, table: u32, p: Prefix, spec: &RouteSpec) -> String {
    let hops = if spec.hops.is_empty() {
        "-".to_owned()
    } else {
        let each: Vec<String> = spec
            .hops
            .iter()
            .map(|h| match (h.xid, h.gw) {
                (None, _) => "?".to_owned(),
                (Some(x), None) => x.to_string(),
                (Some(x), Some(g)) => format!("{x}@{g}"),
            })
            .collect();
        each.join(",")
    };
    format!(
        "route {net} {table} {}/{} {} {hops}",
        p.addr, p.len, spec.kind
    )
}

impl Kind {
    /// Its name in program text.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Port => "port",
            Kind::Vlan => "vlan",
            Kind::Lag => "lag",
            Kind::Bridge => "bridge",
            Kind::Loopback => "loopback",
            Kind::Other => "other",
        }
    }
}

fn mac_text(m: &Mac) -> String {
    let hex: Vec<String> = m.iter().map(|b| format!("{b:02x}")).collect();
    hex.join(":")
}

fn list_text<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "-".to_owned();
    }
    let each: Vec<String> = items.iter().map(|i| i.to_string()).collect();
    each.join(",")
}

/// The line of text of an operation: what [`parse_line`] reads back as
/// the same operation.
impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Op::Link(l) => write!(
                f,
                "link {} {} {} {} {} {} {} {} {} {}",
                l.xid,
                l.kind.name(),
                l.net,
                u8::from(l.up),
                u8::from(l.offload),
                mac_text(&l.mac),
                l.lower.map_or("-".to_owned(), |x| x.to_string()),
                l.vid,
                list_text(&l.uppers),
                list_text(&l.addrs),
            ),
            Op::Unlink(x) => write!(f, "unlink {x}"),
            Op::Attach(x, name) => write!(f, "attach {x} {name}"),
            Op::Detach(x) => write!(f, "detach {x}"),
            Op::Route(net, table, p, spec) => f.write_str(&route_line(*net, *table, *p, spec)),
            Op::Unroute(net, table, p) => {
                write!(f, "unroute {net} {table} {}/{}", p.addr, p.len)
            }
            Op::Neigh(net, x, a, m) => write!(f, "neigh {net} {x} {a} {}", mac_text(m)),
            Op::Unneigh(net, x, a) => write!(f, "unneigh {net} {x} {a}"),
            Op::Clear => f.write_str("clear"),
        }
    }
}

/// The records of program text; the error names the line (1-based).
pub fn parse_text(text: &str) -> Result<Vec<u8>, String> {
    let mut w = Writer::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(op) = parse_line(line).map_err(|e| format!("line {}: {e}", i + 1))? {
            wire::encode(&op, &mut w).map_err(|e| format!("line {}: {e}", i + 1))?;
        }
    }
    w.finish()
}

/// Records as text, a line per record: program records as the operation
/// they are (an optional kind this does not know as `# optional kind K`),
/// reports as their items ([`super::report::Item`]). The error names the
/// record (1-based).
pub fn render(records: &[u8]) -> Result<String, String> {
    use std::fmt::Write;
    let mut out = String::new();
    for r in Reader::new(records)? {
        let r = r?;
        let line = if super::report::is_report(r.kind) {
            super::report::Item::decode(&r).map(|i| i.to_string())
        } else {
            wire::decode(&r).map(|op| match op {
                Some(op) => op.to_string(),
                None => format!("# optional kind {}", r.kind),
            })
        };
        match line {
            Ok(l) => {
                let _ = writeln!(out, "{l}");
            }
            Err(e) => return Err(format!("record {}: {e}", r.index + 1)),
        }
    }
    Ok(out)
}

fn list<T>(s: &str, f: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    if s == "-" {
        return Ok(Vec::new());
    }
    s.split(',').map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_lines_read_back_as_what_they_print() {
        for line in [
            "route 1 254 10.1.0.0/16 1 3999@10.0.0.2,3998,?",
            "route 4026531840 100 2001:db8::/32 1 7@fe80::1",
            "route 1 255 ::ffff:192.0.2.1/128 2 7",
            "route 1 254 0.0.0.0/0 7 -",
            "route 1 254 ::/0 6 ?",
        ] {
            let Some(Op::Route(net, table, p, spec)) = parse_line(line).unwrap() else {
                panic!("{line} is not a route");
            };
            assert_eq!(route_line(net, table, p, &spec), line);
        }
    }

    #[test]
    fn text_and_records_round_trip() {
        let text =
            "link 4094 vlan 4026531840 1 0 02:00:00:00:00:0a 3999 10 3000,3001 10.0.0.1,fe80::1\n\
                    link 7 port 1 0 1 02:00:00:00:00:07 - 0 - -\n\
                    unlink 7\n\
                    attach 3999 veth-h1\n\
                    detach 3999\n\
                    route 1 254 10.1.0.0/16 1 3999@10.0.0.2,3998,?\n\
                    route 1 254 2001:db8::1:0:0:1/128 1 -\n\
                    unroute 1 254 ::ffff:10.0.0.1/128\n\
                    neigh 1 3999 10.0.0.2 02:00:00:00:00:02\n\
                    unneigh 1 3999 fe80::2\n\
                    clear\n";
        let records = parse_text(text).unwrap();
        assert_eq!(render(&records).unwrap(), text);
        let e = parse_text("clear\nroute 1 254 10.0.0.0/8 1 7@fe80::1").unwrap_err();
        assert!(e.starts_with("line 2: "), "{e}");
        let e = parse_text("clear\nfrobnicate").unwrap_err();
        assert!(e.starts_with("line 2: unknown operation"), "{e}");
        assert!(render(b"nonsense").is_err());
    }

    #[test]
    fn every_operation_parses() {
        let l = parse_line(
            "link 4094 vlan 4026531840 1 0 02:00:00:00:00:0a 3999 10 3000,3001 10.0.0.1,fe80::1",
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            l,
            Op::Link(LinkSpec {
                xid: 4094,
                kind: Kind::Vlan,
                net: 4026531840,
                up: true,
                offload: false,
                mac: [2, 0, 0, 0, 0, 10],
                lower: Some(3999),
                vid: 10,
                uppers: vec![3000, 3001],
                addrs: vec!["10.0.0.1".parse().unwrap(), "fe80::1".parse().unwrap()],
            })
        );
        assert_eq!(
            parse_line("route 1 254 10.1.0.0/16 1 3999@10.0.0.2,3998,?").unwrap(),
            Some(Op::Route(
                1,
                254,
                Prefix {
                    addr: "10.1.0.0".parse().unwrap(),
                    len: 16
                },
                RouteSpec {
                    kind: 1,
                    hops: vec![
                        Hop {
                            xid: Some(3999),
                            gw: Some("10.0.0.2".parse().unwrap())
                        },
                        Hop {
                            xid: Some(3998),
                            gw: None
                        },
                        Hop {
                            xid: None,
                            gw: None
                        },
                    ]
                }
            ))
        );
        assert!(matches!(
            parse_line("route 1 254 ::/0 7 -"),
            Ok(Some(Op::Route(_, 254, _, RouteSpec { kind: 7, .. })))
        ));
        assert!(matches!(
            parse_line("unroute 1 254 2001:db8::/32"),
            Ok(Some(Op::Unroute(1, 254, _)))
        ));
        assert!(matches!(
            parse_line("neigh 1 3999 10.0.0.2 02:00:00:00:00:02"),
            Ok(Some(Op::Neigh(1, 3999, _, [2, 0, 0, 0, 0, 2])))
        ));
        assert!(matches!(
            parse_line("unneigh 1 3999 fe80::2"),
            Ok(Some(Op::Unneigh(1, 3999, _)))
        ));
        assert_eq!(
            parse_line("attach 3999 veth-h1"),
            Ok(Some(Op::Attach(3999, "veth-h1".into())))
        );
        assert_eq!(parse_line("detach 3999"), Ok(Some(Op::Detach(3999))));
        assert_eq!(parse_line("unlink 3999"), Ok(Some(Op::Unlink(3999))));
        assert_eq!(parse_line("clear"), Ok(Some(Op::Clear)));
        assert_eq!(parse_line(""), Ok(None));
    }

    #[test]
    fn errors_name_the_field() {
        let e = |s: &str| parse_line(s).unwrap_err();
        assert!(e("frobnicate 1").contains("unknown operation"));
        assert!(e("link 1 port").contains("takes 10 fields"));
        assert!(e("link x port 1 1 1 02:00:00:00:00:01 - 0 - -").contains("XID `x`"));
        assert!(e("link 1 switch 1 1 1 02:00:00:00:00:01 - 0 - -").contains("KIND"));
        assert!(e("link 1 port 1 2 1 02:00:00:00:00:01 - 0 - -").contains("UP must be"));
        assert!(e("link 1 port 1 1 1 02:00:00:00:00 - 0 - -").contains("MAC"));
        assert!(e("link 1 port 1 1 1 02:00:00:00:00:01:07 - 0 - -").contains("MAC"));
        assert!(e("link 1 port 1 1 1 02:00:00:00:00:zz - 0 - -").contains("hex"));
        assert!(e("route 1 254 10.0.0.0/33 1 -").contains("length above 32"));
        assert!(e("route 1 254 10.0.0.0 1 -").contains("no /LENGTH"));
        assert!(e("route 1 254 10.0.0.0/8 1 x@10.0.0.1").contains("next hop XID"));
        assert!(e("neigh 1 2 10.0.0.300 02:00:00:00:00:01").contains("not an IPv4"));
        assert!(e("route 1 254 10.0.0.0/8 300 -").contains("TYPE"));
    }
}
