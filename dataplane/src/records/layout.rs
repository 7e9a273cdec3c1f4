//! Every record's layout, once: its kind, the byte offset and type of
//! each field, and the arrays that follow its fixed part, in order. Each
//! record is a module of constants (`route4::net` is the offset of a
//! route4's `net`) for the Rust code that reads and writes them, and a
//! [`Layout`] for the table that the TypeScript side is generated from.
//!
//! Offsets count from the record's first byte: every record starts with
//! its header, `kind` (u16) at 0 and `length` (u16) at 2. Bytes no field
//! names are reserved and zero.

/// A field's type on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    U8,
    U16,
    U32,
    U64,
    /// An IPv4 address, network order.
    Ip4,
    /// An IPv6 address, network order.
    Ip6,
    /// A MAC address.
    Mac,
    /// An interface name, UTF-8, NUL-padded to IFNAMSIZ (16) bytes.
    Name,
}

impl Ty {
    pub const fn size(self) -> usize {
        match self {
            Ty::U8 => 1,
            Ty::U16 => 2,
            Ty::U32 | Ty::Ip4 => 4,
            Ty::U64 => 8,
            Ty::Ip6 | Ty::Name => 16,
            Ty::Mac => 6,
        }
    }

    /// Its name in the generated TypeScript.
    pub const fn name(self) -> &'static str {
        match self {
            Ty::U8 => "u8",
            Ty::U16 => "u16",
            Ty::U32 => "u32",
            Ty::U64 => "u64",
            Ty::Ip4 => "ip4",
            Ty::Ip6 => "ip6",
            Ty::Mac => "mac",
            Ty::Name => "name",
        }
    }
}

/// A field at a fixed offset.
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub offset: usize,
    pub ty: Ty,
    pub doc: &'static str,
}

/// An array after the fixed part: `count` (a field of the record) elements
/// of `elem`.
#[derive(Debug)]
pub struct Array {
    pub name: &'static str,
    pub count: &'static str,
    pub elem: &'static Layout,
}

/// A record (kind above 0) or a part of one: the stream header, the
/// record header, an array's element (kind 0).
#[derive(Debug)]
pub struct Layout {
    pub name: &'static str,
    pub kind: u16,
    /// Bytes of the fixed part.
    pub size: usize,
    pub doc: &'static str,
    pub fields: &'static [Field],
    pub arrays: &'static [Array],
}

impl Layout {
    /// The field `name`; panics when there is none (a bug here).
    pub fn field(&self, name: &str) -> &Field {
        self.fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{} has no field {name}", self.name))
    }
}

macro_rules! layout {
    (
        $(#[doc = $doc:literal])*
        $m:ident = $kind:literal, $size:literal {
            $($(#[doc = $fdoc:literal])* $f:ident: $ty:ident @ $off:literal,)*
        }
        $([$($a:ident: $cnt:ident * $elem:ident),* $(,)?])?
    ) => {
        $(#[doc = $doc])*
        #[allow(non_upper_case_globals)]
        pub mod $m {
            /// The record's kind (0: a part of a record).
            pub const KIND: u16 = $kind;
            /// Bytes of the fixed part, header included.
            pub const SIZE: usize = $size;
            $($(#[doc = $fdoc])* pub const $f: usize = $off;)*
            /// The table of the above.
            pub static LAYOUT: super::Layout = super::Layout {
                name: stringify!($m),
                kind: $kind,
                size: $size,
                doc: concat!($($doc, "\n"),*),
                fields: &[$(super::Field {
                    name: stringify!($f),
                    offset: $off,
                    ty: super::Ty::$ty,
                    doc: concat!($($fdoc, "\n"),*),
                }),*],
                arrays: &[$($(super::Array {
                    name: stringify!($a),
                    count: stringify!($cnt),
                    elem: &super::$elem::LAYOUT,
                }),*)?],
            };
        }
    };
}

layout! {
    /// The header of a stream of records.
    stream = 0, 16 {
        /// `b"XSWR"` ([`super::super::MAGIC`]).
        magic: U32 @ 0,
        /// [`super::super::VERSION`].
        version: U16 @ 4,
        /// Reserved, 0.
        flags: U16 @ 6,
        /// Bytes of the stream, this header included.
        length: U32 @ 8,
        /// Records that follow.
        count: U32 @ 12,
    }
}

/// The stream header's layout.
pub static STREAM: &Layout = &stream::LAYOUT;

layout! {
    /// The header of every record.
    header = 0, 4 {
        /// What the record is.
        kind: U16 @ 0,
        /// Bytes of the record, this header included.
        length: U16 @ 2,
    }
}

layout! {
    /// An xid in an array.
    xid_elem = 0, 4 {
        xid: U32 @ 0,
    }
}

layout! {
    /// An IPv4 address in an array.
    ip4_elem = 0, 4 {
        addr: Ip4 @ 0,
    }
}

layout! {
    /// An IPv6 address in an array.
    ip6_elem = 0, 16 {
        addr: Ip6 @ 0,
    }
}

layout! {
    /// A byte of UTF-8 text.
    char_elem = 0, 1 {
        byte: U8 @ 0,
    }
}

layout! {
    /// A 64-bit count.
    count_elem = 0, 8 {
        value: U64 @ 0,
    }
}

layout! {
    /// An IPv4 route's next hop.
    hop4 = 0, 8 {
        /// The proxy it leaves through; NO_XID: an interface that is no
        /// proxy.
        xid: U32 @ 0,
        /// 0.0.0.0: none (the destination is on the link).
        gw: Ip4 @ 4,
    }
}

layout! {
    /// An IPv6 route's next hop.
    hop6 = 0, 20 {
        /// As in hop4.
        xid: U32 @ 0,
        /// All zero (`::`): none.
        gw: Ip6 @ 4,
    }
}

layout! {
    /// A proxy, whole: what a switch needs of it. Sent again whenever any
    /// of it changes.
    link = 1, 36 {
        xid: U32 @ 4,
        /// The namespace it is in (XETH_NET_INIT, or the namespace's inode).
        net: U64 @ 8,
        mac: Mac @ 16,
        /// A vlan proxy's VLAN id; 0 otherwise.
        vid: U16 @ 22,
        /// A vlan proxy's lower proxy; NO_XID otherwise.
        lower: U32 @ 24,
        /// XETH_DEV_KIND_*: unspec, port, vlan, bridge, lag, loopback.
        dev_kind: U8 @ 28,
        /// LINK_UP (admin up), LINK_OFFLOAD (l2-fwd-offload).
        flags: U8 @ 29,
        n_uppers: U16 @ 30,
        n_addr4: U16 @ 32,
        n_addr6: U16 @ 34,
    }
    [
        uppers: n_uppers * xid_elem,
        addr4: n_addr4 * ip4_elem,
        addr6: n_addr6 * ip6_elem,
    ]
}

layout! {
    /// A proxy is gone, and its neighbours with it.
    unlink = 2, 8 {
        xid: U32 @ 4,
    }
}

layout! {
    /// Attach a port to an interface of SWITCHD's host (a software SWITCH's
    /// wire).
    attach = 3, 24 {
        xid: U32 @ 4,
        ifname: Name @ 8,
    }
}

layout! {
    /// Detach a port from its interface.
    detach = 4, 8 {
        xid: U32 @ 4,
    }
}

layout! {
    /// An IPv4 route: added, or replacing the one for its prefix.
    route4 = 5, 24 {
        /// The kernel's table id (254 main, 255 local, VRF tables).
        table: U32 @ 4,
        net: U64 @ 8,
        addr: Ip4 @ 16,
        /// Prefix length, 0-32.
        plen: U8 @ 20,
        /// RTN_* type; a switch forwards unicast (1).
        rtn: U8 @ 21,
        n_hops: U16 @ 22,
    }
    [hops: n_hops * hop4]
}

layout! {
    /// An IPv4 route is gone.
    unroute4 = 6, 24 {
        table: U32 @ 4,
        net: U64 @ 8,
        addr: Ip4 @ 16,
        plen: U8 @ 20,
    }
}

layout! {
    /// An IPv6 route: added, or replacing the one for its prefix (with
    /// every sibling next hop).
    route6 = 7, 36 {
        table: U32 @ 4,
        net: U64 @ 8,
        addr: Ip6 @ 16,
        /// Prefix length, 0-128.
        plen: U8 @ 32,
        rtn: U8 @ 33,
        n_hops: U16 @ 34,
    }
    [hops: n_hops * hop6]
}

layout! {
    /// An IPv6 route is gone.
    unroute6 = 8, 36 {
        table: U32 @ 4,
        net: U64 @ 8,
        addr: Ip6 @ 16,
        plen: U8 @ 32,
    }
}

layout! {
    /// An IPv4 neighbour of a proxy, resolved.
    neigh4 = 9, 28 {
        xid: U32 @ 4,
        net: U64 @ 8,
        addr: Ip4 @ 16,
        mac: Mac @ 20,
    }
}

layout! {
    /// An IPv4 neighbour is gone.
    unneigh4 = 10, 20 {
        xid: U32 @ 4,
        net: U64 @ 8,
        addr: Ip4 @ 16,
    }
}

layout! {
    /// An IPv6 neighbour of a proxy, resolved.
    neigh6 = 11, 40 {
        xid: U32 @ 4,
        net: U64 @ 8,
        addr: Ip6 @ 16,
        mac: Mac @ 32,
    }
}

layout! {
    /// An IPv6 neighbour is gone.
    unneigh6 = 12, 32 {
        xid: U32 @ 4,
        net: U64 @ 8,
        addr: Ip6 @ 16,
    }
}

layout! {
    /// Forget every link, route and neighbour (attachments stay).
    clear = 13, 4 {}
}

layout! {
    /// From a SWITCH: what became of one route it was sent (the software
    /// SWITCH's `route-results` and `route-status` reports), which SWITCHD
    /// tells the kernel with the fib-offload extension.
    route_result = 32, 40 {
        table: U32 @ 4,
        net: U64 @ 8,
        /// The prefix; an IPv4 one in the first 4 bytes.
        addr: Ip6 @ 16,
        plen: U8 @ 32,
        /// 4 or 6.
        family: U8 @ 33,
        /// RESULT_PROGRAMMED, RESULT_TABLE_FULL, RESULT_REFUSED or
        /// RESULT_TRAPPED.
        status: U8 @ 34,
    }
}

layout! {
    /// From a SWITCH: one port's link state.
    port = 64, 32 {
        xid: U32 @ 4,
        /// Mb/s; 0 unknown.
        speed: U32 @ 8,
        /// 1 carrier, 0 none.
        carrier: U8 @ 12,
        /// The interface it is attached to, for a software SWITCH.
        ifname: Name @ 16,
    }
}

layout! {
    /// From a SWITCH: one proxy's counts, absolute: the first
    /// COUNTERS_LINK are LINK_STAT indexes 0 to 7 (rx_packets ..
    /// tx_dropped), then one per name of the names report, in its order.
    counters = 65, 12 {
        xid: U32 @ 4,
        n_counts: U16 @ 8,
    }
    [counts: n_counts * count_elem]
}

layout! {
    /// From a SWITCH: one named count of its summary.
    count = 66, 16 {
        value: U64 @ 4,
        name_len: U8 @ 12,
    }
    [name: name_len * char_elem]
}

layout! {
    /// From a SWITCH: a name in a list (its ethtool count names; the
    /// mux's port stat names).
    name = 67, 8 {
        /// Its place in the list.
        index: U16 @ 4,
        name_len: U8 @ 6,
    }
    [name: name_len * char_elem]
}

/// Every record, by kind.
pub static RECORDS: &[&Layout] = &[
    &link::LAYOUT,
    &unlink::LAYOUT,
    &attach::LAYOUT,
    &detach::LAYOUT,
    &route4::LAYOUT,
    &unroute4::LAYOUT,
    &route6::LAYOUT,
    &unroute6::LAYOUT,
    &neigh4::LAYOUT,
    &unneigh4::LAYOUT,
    &neigh6::LAYOUT,
    &unneigh6::LAYOUT,
    &clear::LAYOUT,
    &route_result::LAYOUT,
    &port::LAYOUT,
    &counters::LAYOUT,
    &count::LAYOUT,
    &name::LAYOUT,
];

/// The parts of records: the headers and array elements.
pub static PARTS: &[&Layout] = &[
    &stream::LAYOUT,
    &header::LAYOUT,
    &xid_elem::LAYOUT,
    &ip4_elem::LAYOUT,
    &ip6_elem::LAYOUT,
    &char_elem::LAYOUT,
    &count_elem::LAYOUT,
    &hop4::LAYOUT,
    &hop6::LAYOUT,
];

/// `link` flags.
pub const LINK_UP: u8 = 1;
/// See [`LINK_UP`].
pub const LINK_OFFLOAD: u8 = 2;
/// `route_result` status: the route is in the SWITCH's tables.
pub const RESULT_PROGRAMMED: u8 = 0;
/// `route_result` status: no room for it.
pub const RESULT_TABLE_FULL: u8 = 1;
/// `route_result` status: the SWITCH cannot forward it as given.
pub const RESULT_REFUSED: u8 = 2;
/// `route_result` status: in the tables, and its traffic goes to Linux
/// (local routes, next hops that are no proxy...).
pub const RESULT_TRAPPED: u8 = 3;
/// LINK_STAT counts at the head of a `counters` record.
pub const COUNTERS_LINK: usize = crate::switch::counts::LINK_COUNTS;

/// Constants that the TypeScript side gets too, by name.
pub static CONSTANTS: &[(&str, u64, &str)] = &[
    ("MAGIC", super::MAGIC as u64, "first 4 bytes of a stream"),
    ("VERSION", super::VERSION as u64, "the format's version"),
    (
        "OPTIONAL",
        super::OPTIONAL as u64,
        "set in a kind that a reader that does not know it may skip",
    ),
    ("NO_XID", super::NO_XID as u64, "an xid field's \"none\""),
    ("LINK_UP", LINK_UP as u64, "link flags: admin up"),
    (
        "LINK_OFFLOAD",
        LINK_OFFLOAD as u64,
        "link flags: l2-fwd-offload",
    ),
    (
        "RESULT_PROGRAMMED",
        RESULT_PROGRAMMED as u64,
        "route_result: in the tables",
    ),
    (
        "RESULT_TABLE_FULL",
        RESULT_TABLE_FULL as u64,
        "route_result: no room",
    ),
    (
        "RESULT_REFUSED",
        RESULT_REFUSED as u64,
        "route_result: cannot forward it",
    ),
    (
        "RESULT_TRAPPED",
        RESULT_TRAPPED as u64,
        "route_result: in the tables; its traffic goes to Linux",
    ),
    (
        "COUNTERS_LINK",
        COUNTERS_LINK as u64,
        "LINK_STAT counts at the head of a counters record",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> impl Iterator<Item = &'static Layout> {
        RECORDS.iter().chain(PARTS.iter()).copied()
    }

    #[test]
    fn fields_fit_their_layout_and_do_not_overlap() {
        for l in all() {
            let mut used = vec![false; l.size];
            if l.kind != 0 {
                // The record header's bytes.
                used[..header::SIZE].fill(true);
            }
            for f in l.fields {
                let end = f.offset + f.ty.size();
                assert!(
                    end <= l.size,
                    "{}.{} ends at {end} > {}",
                    l.name,
                    f.name,
                    l.size
                );
                for (i, u) in used[f.offset..end].iter_mut().enumerate() {
                    assert!(
                        !*u,
                        "{}.{} overlaps at byte {}",
                        l.name,
                        f.name,
                        f.offset + i
                    );
                    *u = true;
                }
            }
            for a in l.arrays {
                let c = l.field(a.count);
                assert!(
                    matches!(c.ty, Ty::U8 | Ty::U16 | Ty::U32),
                    "{}.{} counts with {:?}",
                    l.name,
                    a.name,
                    c.ty
                );
            }
        }
    }

    #[test]
    fn kinds_are_unique_and_records_start_with_the_header() {
        let mut kinds: Vec<u16> = RECORDS.iter().map(|l| l.kind).collect();
        kinds.sort_unstable();
        kinds.dedup();
        assert_eq!(kinds.len(), RECORDS.len(), "a kind is used twice");
        assert!(kinds
            .iter()
            .all(|&k| k != 0 && k & super::super::OPTIONAL == 0));
        assert!(PARTS.iter().all(|l| l.kind == 0));
        assert_eq!(stream::SIZE, super::super::STREAM_SIZE);
        assert_eq!(header::SIZE, super::super::RECORD_HEADER);
    }
}
