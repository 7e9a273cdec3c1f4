//! Encapsulation of proxy frames on the mux, exactly as
//! `kernel/include/uapi/linux/xeth.h` defines it.
//!
//! Every frame between the mux and SWITCHD carries the xid of its proxy:
//!
//! * [`Encap::Vlan`]: a port, lag, bridge or loopback frame carries one
//!   802.1Q tag whose VID is the xid. A VLAN proxy (xid = lower | vid << 12)
//!   carries an outer 802.1ad tag with the lower's xid and an inner 802.1Q
//!   tag with its VLAN id. The tags sit after the source address:
//!   `dst src [88a8 tci] 8100 tci ethertype payload`.
//! * [`Encap::Vpls`]: RFC 4448 raw mode. An outer Ethernet header whose
//!   addresses copy the proxy frame's, ethertype 0x8847, then one MPLS label
//!   (xid & 0xfffff) or two (the second is the VLAN id of a VLAN proxy,
//!   xid >> 20), then the whole proxy frame.
//!
//! Transmitted tags have PCP 0 and labels TC 0 and TTL 64, except that an
//! exception (a frame the mux must hand to the proxy's receive path instead
//! of transmitting it) has PCP 7 on its first tag or TC 7 on its first
//! label. On receive the first tag's PCP or the first label's TC is the
//! frame's priority, and priority 7 is the exception mark.
//!
//! Nothing here allocates: [`encap_into`] writes into a caller buffer,
//! [`encap_in_place`] writes into headroom in front of the proxy frame, and
//! [`decap`] returns where the proxy frame starts inside the buffer it was
//! given (for VLAN encapsulation it moves the 12 address bytes over the
//! tags, since those sit in the middle of the frame).

use crate::error::Error;
use crate::uapi;

/// Length of an Ethernet address.
pub const ETH_ALEN: usize = libc::ETH_ALEN as usize;
/// Length of an Ethernet header: two addresses and an ethertype.
pub const ETH_HLEN: usize = libc::ETH_HLEN as usize;
/// Length of one VLAN tag (TPID and TCI).
pub const VLAN_HLEN: usize = 4;
/// Length of one MPLS label stack entry.
pub const MPLS_HLEN: usize = 4;
/// TPID of an 802.1Q tag.
pub const ETH_P_8021Q: u16 = libc::ETH_P_8021Q as u16;
/// TPID of an 802.1ad (service) tag.
pub const ETH_P_8021AD: u16 = libc::ETH_P_8021AD as u16;
/// Ethertype of MPLS unicast.
pub const ETH_P_MPLS_UC: u16 = libc::ETH_P_MPLS_UC as u16;
// The header's xid layout, exception mark and label TTL, by shorter names.
pub use crate::uapi::{
    XETH_EXCEPTION_PRIORITY as EXCEPTION_PRIORITY, XETH_VLAN_VID_SHIFT as VLAN_VID_SHIFT,
    XETH_VLAN_XID_MASK as VLAN_XID_MASK, XETH_VPLS_TTL as VPLS_TTL,
    XETH_VPLS_VID_SHIFT as VPLS_VID_SHIFT, XETH_VPLS_XID_MASK as VPLS_XID_MASK,
};
/// The most bytes any encapsulation adds: an outer Ethernet header and two
/// labels.
pub const MAX_OVERHEAD: usize = ETH_HLEN + 2 * MPLS_HLEN;

const VLAN_VID_MASK: u16 = 0x0fff;
const VLAN_PRIO_SHIFT: u32 = 13;
const MPLS_LABEL_SHIFT: u32 = 12;
const MPLS_TC_SHIFT: u32 = 9;
const MPLS_S_BIT: u32 = 1 << 8;
/// Lowest lower xid with VPLS encapsulation (MPLS reserves labels 0-15).
const VPLS_XID_MIN: u32 = 16;
/// Highest VLAN id (and highest lower xid with VLAN encapsulation).
const VID_MAX: u32 = 4094;

/// Receive errors: what is wrong with a frame that cannot be decapsulated.
pub const TRUNCATED: Error = Error::InvalidArgument("truncated frame");
/// The first tag of a VLAN-encapsulated frame is neither 802.1Q nor 802.1ad.
pub const WRONG_TPID: Error = Error::InvalidArgument("wrong TPID");
/// A VPLS frame whose ethertype is not MPLS unicast.
pub const WRONG_ETHERTYPE: Error = Error::InvalidArgument("wrong ethertype");
/// The label stack runs to the end of the frame without an S bit.
pub const NO_BOTTOM_OF_STACK: Error = Error::InvalidArgument("label stack without bottom of stack");
/// More than two labels (an xid and a VLAN id).
pub const TOO_MANY_LABELS: Error = Error::InvalidArgument("too many labels");
/// A second label that does not fit a VLAN id (12 bits).
pub const VID_LABEL_RANGE: Error = Error::InvalidArgument("VLAN id label out of range");
/// A VPLS frame that arrived with a VLAN tag outside its label stack.
pub const VLAN_TAG_ON_VPLS: Error = Error::InvalidArgument("VLAN tag on a VPLS frame");

/// Transmit errors.
pub const XID_RANGE: Error = Error::InvalidArgument("xid out of range");
/// The VLAN id part of a VLAN proxy's xid is not 1-4094.
pub const VID_RANGE: Error = Error::InvalidArgument("vid out of range");
/// A proxy frame too short to hold its own Ethernet header.
pub const SHORT_INNER: Error =
    Error::InvalidArgument("proxy frame shorter than an Ethernet header");

/// The encapsulation of a mux (`enum xeth_encap`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Encap {
    /// `XETH_ENCAP_VLAN`
    Vlan = uapi::XETH_ENCAP_VLAN,
    /// `XETH_ENCAP_VPLS`
    Vpls = uapi::XETH_ENCAP_VPLS,
}

impl TryFrom<u8> for Encap {
    type Error = Error;

    fn try_from(v: u8) -> Result<Self, Error> {
        match v {
            uapi::XETH_ENCAP_VLAN => Ok(Encap::Vlan),
            uapi::XETH_ENCAP_VPLS => Ok(Encap::Vpls),
            _ => Err(Error::InvalidArgument("encap must be 0 (vlan) or 1 (vpls)")),
        }
    }
}

/// An xid split into the lower proxy's id and, for a VLAN proxy, its VLAN id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct XidParts {
    /// The xid of a port, lag, bridge or loopback; the lower's for a VLAN.
    pub lower: u32,
    /// The VLAN id of a VLAN proxy.
    pub vid: Option<u16>,
}

impl Encap {
    fn vid_shift(self) -> u32 {
        match self {
            Encap::Vlan => VLAN_VID_SHIFT,
            Encap::Vpls => VPLS_VID_SHIFT,
        }
    }

    fn xid_mask(self) -> u32 {
        match self {
            Encap::Vlan => VLAN_XID_MASK,
            Encap::Vpls => VPLS_XID_MASK,
        }
    }

    /// Splits `xid` into lower and VLAN id, checking both against the ranges
    /// the kernel allows (lower 1-4094 with vlan, 16-1048575 with vpls; VLAN
    /// ids 1-4094).
    pub fn split_xid(self, xid: u32) -> Result<XidParts, Error> {
        let lower = xid & self.xid_mask();
        let vid = u64::from(xid) >> self.vid_shift();
        let lower_ok = match self {
            Encap::Vlan => (1..=VID_MAX).contains(&lower),
            Encap::Vpls => lower >= VPLS_XID_MIN,
        };
        if !lower_ok {
            return Err(XID_RANGE);
        }
        match vid {
            0 => Ok(XidParts { lower, vid: None }),
            1..=4094 => Ok(XidParts {
                lower,
                vid: Some(vid as u16),
            }),
            _ => Err(VID_RANGE),
        }
    }

    /// The xid of a VLAN proxy on `lower` with `vid`, or of `lower` itself.
    pub fn join_xid(self, lower: u32, vid: Option<u16>) -> u32 {
        lower | vid.map_or(0, |v| u32::from(v) << self.vid_shift())
    }

    /// Bytes that encapsulating a frame of `xid` adds.
    pub fn overhead(self, xid: u32) -> Result<usize, Error> {
        let tags = if self.split_xid(xid)?.vid.is_some() {
            2
        } else {
            1
        };
        Ok(match self {
            Encap::Vlan => tags * VLAN_HLEN,
            Encap::Vpls => ETH_HLEN + tags * MPLS_HLEN,
        })
    }
}

/// Length of the frame that [`encap_into`] makes of a proxy frame of
/// `inner_len` bytes.
pub fn encapsulated_len(encap: Encap, xid: u32, inner_len: usize) -> Result<usize, Error> {
    Ok(encap.overhead(xid)? + inner_len)
}

fn put16(b: &mut [u8], v: u16) {
    b[..2].copy_from_slice(&v.to_be_bytes());
}

fn get16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn first_priority(exception: bool) -> u8 {
    if exception {
        EXCEPTION_PRIORITY
    } else {
        0
    }
}

fn mpls_word(label: u32, tc: u8, bottom: bool) -> [u8; 4] {
    let s = if bottom { MPLS_S_BIT } else { 0 };
    (label << MPLS_LABEL_SHIFT | u32::from(tc) << MPLS_TC_SHIFT | s | u32::from(VPLS_TTL))
        .to_be_bytes()
}

/// Writes the encapsulation of `parts` into `hdr`, whose length is the
/// overhead: the tags (vlan) or the outer header and labels (vpls).
/// `addrs` are the proxy frame's destination and source addresses.
fn write_header(encap: Encap, parts: XidParts, exception: bool, addrs: &[u8], hdr: &mut [u8]) {
    let prio = first_priority(exception);
    match encap {
        Encap::Vlan => {
            let pcp = u16::from(prio) << VLAN_PRIO_SHIFT;
            match parts.vid {
                None => {
                    put16(&mut hdr[0..], ETH_P_8021Q);
                    put16(&mut hdr[2..], pcp | parts.lower as u16);
                }
                Some(vid) => {
                    put16(&mut hdr[0..], ETH_P_8021AD);
                    put16(&mut hdr[2..], pcp | parts.lower as u16);
                    put16(&mut hdr[4..], ETH_P_8021Q);
                    put16(&mut hdr[6..], vid);
                }
            }
        }
        Encap::Vpls => {
            hdr[..2 * ETH_ALEN].copy_from_slice(&addrs[..2 * ETH_ALEN]);
            put16(&mut hdr[2 * ETH_ALEN..], ETH_P_MPLS_UC);
            let l1 = ETH_HLEN;
            hdr[l1..l1 + MPLS_HLEN].copy_from_slice(&mpls_word(
                parts.lower,
                prio,
                parts.vid.is_none(),
            ));
            if let Some(vid) = parts.vid {
                let l2 = l1 + MPLS_HLEN;
                hdr[l2..l2 + MPLS_HLEN].copy_from_slice(&mpls_word(u32::from(vid), 0, true));
            }
        }
    }
}

/// Encapsulates the proxy frame `inner` (destination, source, ethertype,
/// payload) of `xid` into `out`, with the exception mark when `exception`.
///
/// Returns the length of the encapsulated frame at the start of `out`;
/// [`Error::BufferTooSmall`] says how much is needed when `out` is short
/// (nothing is written then). `inner` is not changed.
pub fn encap_into(
    encap: Encap,
    xid: u32,
    exception: bool,
    inner: &[u8],
    out: &mut [u8],
) -> Result<usize, Error> {
    let parts = encap.split_xid(xid)?;
    if inner.len() < ETH_HLEN {
        return Err(SHORT_INNER);
    }
    let oh = encap.overhead(xid)?;
    let needed = oh + inner.len();
    if out.len() < needed {
        return Err(Error::BufferTooSmall {
            needed,
            got: out.len(),
        });
    }
    match encap {
        Encap::Vlan => {
            let a = 2 * ETH_ALEN;
            out[..a].copy_from_slice(&inner[..a]);
            write_header(encap, parts, exception, inner, &mut out[a..a + oh]);
            out[a + oh..needed].copy_from_slice(&inner[a..]);
        }
        Encap::Vpls => {
            write_header(encap, parts, exception, inner, &mut out[..oh]);
            out[oh..needed].copy_from_slice(inner);
        }
    }
    Ok(needed)
}

/// Encapsulates in place the proxy frame `buf[start..]`, using the headroom
/// `buf[..start]` in front of it.
///
/// Returns where the encapsulated frame starts (it ends where `buf` ends);
/// [`Error::BufferTooSmall`] gives the headroom needed (as `needed`) when
/// `start` is less than the overhead, and `buf` is left unchanged.
pub fn encap_in_place(
    encap: Encap,
    xid: u32,
    exception: bool,
    buf: &mut [u8],
    start: usize,
) -> Result<usize, Error> {
    let parts = encap.split_xid(xid)?;
    let inner_len = buf
        .len()
        .checked_sub(start)
        .ok_or(Error::InvalidArgument("frame start beyond the buffer"))?;
    if inner_len < ETH_HLEN {
        return Err(SHORT_INNER);
    }
    let oh = encap.overhead(xid)?;
    let new_start = start.checked_sub(oh).ok_or(Error::BufferTooSmall {
        needed: oh,
        got: start,
    })?;
    let a = 2 * ETH_ALEN;
    match encap {
        Encap::Vlan => {
            buf.copy_within(start..start + a, new_start);
            let (addrs, rest) = buf.split_at_mut(new_start + a);
            write_header(
                encap,
                parts,
                exception,
                &addrs[new_start..],
                &mut rest[..oh],
            );
        }
        Encap::Vpls => {
            let (front, inner) = buf.split_at_mut(start);
            write_header(encap, parts, exception, inner, &mut front[new_start..]);
        }
    }
    Ok(new_start)
}

/// What the tags or labels of a received frame say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tags {
    /// The proxy's xid.
    pub xid: u32,
    /// PCP of the first tag or TC of the first label.
    pub priority: u8,
    /// Bytes of tags (vlan, after the source address, not counting a tag
    /// that arrived as metadata) or of outer header and labels (vpls, at the
    /// start of the frame).
    pub hlen: usize,
}

impl Tags {
    /// True when the frame carries the exception mark.
    pub fn exception(&self) -> bool {
        self.priority == EXCEPTION_PRIORITY
    }
}

/// A VLAN tag that the kernel took out of the frame into metadata (as it
/// does for a frame received on most devices: packet sockets report it in
/// `tp_vlan_tci` and `tp_vlan_tpid`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OuterTag {
    /// TPID of the tag.
    pub tpid: u16,
    /// TCI (PCP, DEI, VID) of the tag.
    pub tci: u16,
}

/// Reads the xid and priority of the encapsulated `frame` without changing
/// it. `outer` is a tag the kernel moved out of the frame, if any.
pub fn parse(encap: Encap, frame: &[u8], outer: Option<OuterTag>) -> Result<Tags, Error> {
    match encap {
        Encap::Vlan => parse_vlan(frame, outer),
        Encap::Vpls => {
            if outer.is_some() {
                return Err(VLAN_TAG_ON_VPLS);
            }
            parse_vpls(frame)
        }
    }
}

fn parse_vlan(frame: &[u8], outer: Option<OuterTag>) -> Result<Tags, Error> {
    let a = 2 * ETH_ALEN;
    // The first tag: from metadata, or the one after the source address.
    let (tpid, tci, first_len) = match outer {
        Some(t) => (t.tpid, t.tci, 0),
        None => {
            if frame.len() < ETH_HLEN {
                return Err(TRUNCATED);
            }
            (get16(frame, a), 0, VLAN_HLEN)
        }
    };
    if tpid != ETH_P_8021Q && tpid != ETH_P_8021AD {
        return Err(WRONG_TPID);
    }
    // The proxy frame keeps at least its own Ethernet header.
    let min = ETH_HLEN + first_len;
    if frame.len() < min {
        return Err(TRUNCATED);
    }
    let tci = if outer.is_some() {
        tci
    } else {
        get16(frame, a + 2)
    };
    let mut tags = Tags {
        xid: u32::from(tci & VLAN_VID_MASK),
        priority: (tci >> VLAN_PRIO_SHIFT) as u8,
        hlen: first_len,
    };
    // An 802.1ad tag followed by an 802.1Q one: a VLAN proxy. A frame too
    // short to hold the inner tag and the proxy frame's own header is
    // truncated, not a proxy frame of the lower with a bogus ethertype.
    let next = a + first_len;
    if tpid == ETH_P_8021AD && get16(frame, next) == ETH_P_8021Q {
        if frame.len() < min + VLAN_HLEN {
            return Err(TRUNCATED);
        }
        let inner = get16(frame, next + 2) & VLAN_VID_MASK;
        tags.xid |= u32::from(inner) << VLAN_VID_SHIFT;
        tags.hlen += VLAN_HLEN;
    }
    Ok(tags)
}

fn parse_vpls(frame: &[u8]) -> Result<Tags, Error> {
    if frame.len() < ETH_HLEN {
        return Err(TRUNCATED);
    }
    if get16(frame, 2 * ETH_ALEN) != ETH_P_MPLS_UC {
        return Err(WRONG_ETHERTYPE);
    }
    // Walk the stack to its bottom so that a missing S bit and a long stack
    // are told apart from a short frame.
    // Two labels at most; a third one read means too many.
    let mut labels = [0u32; 3];
    let mut n = 0;
    let mut bottom = false;
    let mut off = ETH_HLEN;
    while off + MPLS_HLEN <= frame.len() && n < labels.len() {
        let w = get32(frame, off);
        labels[n] = w;
        n += 1;
        off += MPLS_HLEN;
        if w & MPLS_S_BIT != 0 {
            bottom = true;
            break;
        }
    }
    if n > 2 {
        return Err(TOO_MANY_LABELS);
    }
    if !bottom {
        return Err(if n == 0 {
            TRUNCATED
        } else {
            NO_BOTTOM_OF_STACK
        });
    }
    if frame.len() < off + ETH_HLEN {
        return Err(TRUNCATED);
    }
    let first = labels[0];
    let mut xid = first >> MPLS_LABEL_SHIFT;
    if n == 2 {
        let second = labels[1];
        let vid = second >> MPLS_LABEL_SHIFT;
        if vid > u32::from(VLAN_VID_MASK) {
            return Err(VID_LABEL_RANGE);
        }
        xid |= vid << VPLS_VID_SHIFT;
    }
    Ok(Tags {
        xid,
        priority: ((first >> MPLS_TC_SHIFT) & 7) as u8,
        hlen: off,
    })
}

/// A decapsulated frame: its proxy frame is `buf[offset..]` of the buffer
/// given to [`decap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decap {
    /// The proxy's xid.
    pub xid: u32,
    /// PCP of the first tag or TC of the first label.
    pub priority: u8,
    /// Where the proxy frame starts.
    pub offset: usize,
}

impl Decap {
    /// True when the frame carried the exception mark.
    pub fn exception(&self) -> bool {
        self.priority == EXCEPTION_PRIORITY
    }
}

/// Decapsulates `frame` in place: the proxy frame is `frame[offset..]` of
/// the result. For VLAN encapsulation the 12 address bytes move forward
/// over the tags; VPLS needs no move. On error `frame` is unchanged.
///
/// `outer` is a tag that the kernel moved out of the frame into metadata.
pub fn decap(encap: Encap, frame: &mut [u8], outer: Option<OuterTag>) -> Result<Decap, Error> {
    let tags = parse(encap, frame, outer)?;
    let offset = match encap {
        Encap::Vlan => {
            if tags.hlen > 0 {
                frame.copy_within(0..2 * ETH_ALEN, tags.hlen);
            }
            tags.hlen
        }
        Encap::Vpls => tags.hlen,
    };
    Ok(Decap {
        xid: tags.xid,
        priority: tags.priority,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A proxy frame: dst, src, ethertype, payload of `n` bytes.
    fn inner(n: usize) -> Vec<u8> {
        let mut f = vec![
            0x02, 0, 0, 0, 0, 0xd, // dst
            0x02, 0, 0, 0, 0, 0x5, // src
            0x08, 0x00, // IPv4
        ];
        f.extend((0..n).map(|i| i as u8));
        f
    }

    /// xids of every shape for each encap: ports, aux proxies, VLAN proxies,
    /// range edges.
    fn xids(encap: Encap) -> Vec<u32> {
        let lowers: &[u32] = match encap {
            Encap::Vlan => &[1, 3000, 3999, 4094],
            Encap::Vpls => &[16, 3999, 4094, 70000, 0xfffff],
        };
        let mut v = Vec::new();
        for &l in lowers {
            v.push(l);
            for vid in [1u16, 100, 4094] {
                v.push(encap.join_xid(l, Some(vid)));
            }
        }
        v
    }

    fn encapped(encap: Encap, xid: u32, exception: bool, inner: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; encapsulated_len(encap, xid, inner.len()).unwrap()];
        let n = encap_into(encap, xid, exception, inner, &mut out).unwrap();
        assert_eq!(n, out.len());
        out
    }

    #[test]
    fn encap_from_u8() {
        assert_eq!(Encap::try_from(0).unwrap(), Encap::Vlan);
        assert_eq!(Encap::try_from(1).unwrap(), Encap::Vpls);
        assert!(Encap::try_from(2).is_err());
    }

    #[test]
    fn vlan_port_frame_is_exactly_the_uapi_format() {
        let f = encapped(Encap::Vlan, 3999, false, &inner(2));
        assert_eq!(
            f,
            [
                0x02, 0, 0, 0, 0, 0xd, 0x02, 0, 0, 0, 0, 0x5, // addresses
                0x81, 0x00, 0x0f, 0x9f, // 802.1Q, PCP 0, VID 3999
                0x08, 0x00, 0, 1,
            ]
        );
        let f = encapped(Encap::Vlan, 3999, true, &inner(0));
        assert_eq!(&f[12..16], &[0x81, 0x00, 0xef, 0x9f]); // PCP 7
    }

    #[test]
    fn vlan_proxy_frame_is_qinq() {
        let xid = 3999 | 100 << 12;
        let f = encapped(Encap::Vlan, xid, false, &inner(0));
        assert_eq!(
            &f[12..],
            &[0x88, 0xa8, 0x0f, 0x9f, 0x81, 0x00, 0x00, 100, 0x08, 0x00]
        );
        // The mark is on the first (outer) tag only.
        let f = encapped(Encap::Vlan, xid, true, &inner(0));
        assert_eq!(&f[12..20], &[0x88, 0xa8, 0xef, 0x9f, 0x81, 0x00, 0x00, 100]);
    }

    #[test]
    fn vpls_port_frame_is_exactly_the_uapi_format() {
        let i = inner(1);
        let f = encapped(Encap::Vpls, 70000, false, &i);
        // label 70000 = 0x11170: word = 0x11170 << 12 | S | 64
        let w = (70000u32 << 12 | 1 << 8 | 64).to_be_bytes();
        let mut want = i[..12].to_vec();
        want.extend([0x88, 0x47]);
        want.extend(w);
        want.extend(&i);
        assert_eq!(f, want);
        // Exception: TC 7 on the first label.
        let f = encapped(Encap::Vpls, 70000, true, &i);
        let w = get32(&f, ETH_HLEN);
        assert_eq!((w >> 9) & 7, 7);
        assert_eq!(w & 0xff, 64);
    }

    #[test]
    fn vpls_vlan_proxy_has_two_labels_bottom_on_the_second() {
        let xid = 4094 | 7 << 20;
        let f = encapped(Encap::Vpls, xid, true, &inner(0));
        let l1 = get32(&f, 14);
        let l2 = get32(&f, 18);
        assert_eq!(l1, 4094 << 12 | 7 << 9 | 64);
        assert_eq!(l2, 7 << 12 | 1 << 8 | 64);
        assert_eq!(&f[22..], &inner(0)[..]);
        assert_eq!(&f[..12], &inner(0)[..12]);
    }

    #[test]
    fn round_trips_every_xid_shape() {
        for encap in [Encap::Vlan, Encap::Vpls] {
            for xid in xids(encap) {
                for exception in [false, true] {
                    for n in [0, 1, 46, 1500] {
                        let i = inner(n);
                        let mut f = encapped(encap, xid, exception, &i);
                        let tags = parse(encap, &f, None).unwrap();
                        assert_eq!(tags.xid, xid, "{encap:?} {xid:#x}");
                        assert_eq!(tags.exception(), exception);
                        let d = decap(encap, &mut f, None).unwrap();
                        assert_eq!(d.xid, xid);
                        assert_eq!(d.priority, if exception { 7 } else { 0 });
                        assert_eq!(d.exception(), exception);
                        assert_eq!(&f[d.offset..], &i[..], "{encap:?} {xid:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn in_place_matches_encap_into_and_round_trips() {
        for encap in [Encap::Vlan, Encap::Vpls] {
            for xid in xids(encap) {
                for exception in [false, true] {
                    let i = inner(20);
                    let want = encapped(encap, xid, exception, &i);
                    let headroom = MAX_OVERHEAD + 3;
                    let mut buf = vec![0xeeu8; headroom];
                    buf.extend(&i);
                    let s = encap_in_place(encap, xid, exception, &mut buf, headroom).unwrap();
                    assert_eq!(&buf[s..], &want[..], "{encap:?} {xid:#x}");
                    assert!(buf[..s].iter().all(|&b| b == 0xee));
                    let d = decap(encap, &mut buf[s..], None).unwrap();
                    assert_eq!(&buf[s + d.offset..], &i[..]);
                }
            }
        }
    }

    #[test]
    fn in_place_without_headroom_says_how_much() {
        let mut buf = inner(4);
        buf.insert(0, 0);
        let before = buf.clone();
        assert_eq!(
            encap_in_place(Encap::Vpls, 100, false, &mut buf, 1),
            Err(Error::BufferTooSmall { needed: 18, got: 1 })
        );
        assert_eq!(buf, before);
    }

    #[test]
    fn encap_into_short_buffer_says_how_much() {
        let i = inner(10);
        let mut out = vec![0u8; 27];
        assert_eq!(
            encap_into(Encap::Vlan, 5 | 9 << 12, false, &i, &mut out),
            Err(Error::BufferTooSmall {
                needed: 32,
                got: 27
            })
        );
        assert_eq!(encapsulated_len(Encap::Vlan, 5 | 9 << 12, 24), Ok(32));
        assert_eq!(encapsulated_len(Encap::Vpls, 5000 | 9 << 20, 24), Ok(46));
    }

    #[test]
    fn encap_rejects_xids_and_vids_out_of_range() {
        let i = inner(0);
        let mut out = [0u8; 64];
        let bad = [
            (Encap::Vlan, 0, XID_RANGE),
            (Encap::Vlan, 4095, XID_RANGE),
            (Encap::Vlan, 1 << 12, XID_RANGE), // lower 0
            (Encap::Vlan, 5 | 4095 << 12, VID_RANGE),
            (Encap::Vlan, 5 | 4096 << 12, VID_RANGE),
            (Encap::Vlan, u32::MAX, XID_RANGE),
            (Encap::Vlan, 5 | 0xff << 24, VID_RANGE),
            (Encap::Vpls, 0, XID_RANGE),
            (Encap::Vpls, 15, XID_RANGE),
            (Encap::Vpls, 3 << 20, XID_RANGE), // lower 0
            (Encap::Vpls, 16 | 4095 << 20, VID_RANGE),
        ];
        for (encap, xid, err) in bad {
            assert_eq!(
                encap_into(encap, xid, false, &i, &mut out),
                Err(err.clone()),
                "{encap:?} {xid:#x}"
            );
            let mut buf = vec![0u8; 64];
            assert_eq!(encap_in_place(encap, xid, false, &mut buf, 30), Err(err));
        }
        assert_eq!(
            encap_into(Encap::Vlan, 5, false, &i[..13], &mut out),
            Err(SHORT_INNER)
        );
        let mut buf = vec![0u8; 30];
        assert_eq!(
            encap_in_place(Encap::Vpls, 16, false, &mut buf, 17),
            Err(SHORT_INNER)
        );
        assert_eq!(
            encap_in_place(Encap::Vpls, 16, false, &mut buf, 31),
            Err(Error::InvalidArgument("frame start beyond the buffer"))
        );
    }

    #[test]
    fn split_and_join_xids() {
        assert_eq!(
            Encap::Vlan.split_xid(3 | 7 << 12),
            Ok(XidParts {
                lower: 3,
                vid: Some(7)
            })
        );
        assert_eq!(
            Encap::Vpls.split_xid(0xfffff),
            Ok(XidParts {
                lower: 0xfffff,
                vid: None
            })
        );
        assert_eq!(Encap::Vpls.join_xid(16, Some(4094)), 16 | 4094 << 20);
        assert_eq!(Encap::Vlan.overhead(3), Ok(4));
        assert_eq!(Encap::Vlan.overhead(3 | 1 << 12), Ok(8));
        assert_eq!(Encap::Vpls.overhead(30), Ok(18));
        assert_eq!(Encap::Vpls.overhead(30 | 1 << 20), Ok(MAX_OVERHEAD));
    }

    #[test]
    fn every_truncation_is_rejected_and_leaves_the_frame_alone() {
        for encap in [Encap::Vlan, Encap::Vpls] {
            for xid in xids(encap) {
                // The shortest frame there is: an empty payload.
                let f = encapped(encap, xid, false, &inner(0));
                for len in 0..f.len() {
                    let mut t = f[..len].to_vec();
                    let r = decap(encap, &mut t, None);
                    assert!(r.is_err(), "{encap:?} {xid:#x} len {len}: {r:?}");
                    assert_eq!(&t[..], &f[..len]);
                }
                let mut t = f.clone();
                assert!(decap(encap, &mut t, None).is_ok());
            }
        }
    }

    #[test]
    fn truncation_errors_name_the_cause() {
        let f = encapped(Encap::Vlan, 9, false, &inner(0));
        assert_eq!(parse(Encap::Vlan, &f[..17], None), Err(TRUNCATED));
        assert_eq!(parse(Encap::Vlan, &f[..5], None), Err(TRUNCATED));
        let f = encapped(Encap::Vlan, 9 | 9 << 12, false, &inner(0));
        assert_eq!(parse(Encap::Vlan, &f[..21], None), Err(TRUNCATED));
        let f = encapped(Encap::Vpls, 99, false, &inner(0));
        assert_eq!(parse(Encap::Vpls, &f[..31], None), Err(TRUNCATED));
        assert_eq!(parse(Encap::Vpls, &f[..13], None), Err(TRUNCATED));
        assert_eq!(parse(Encap::Vpls, &f[..17], None), Err(TRUNCATED));
    }

    #[test]
    fn wrong_tpid_or_ethertype() {
        let mut f = encapped(Encap::Vlan, 9, false, &inner(8));
        f[12..14].copy_from_slice(&[0x91, 0x00]);
        assert_eq!(decap(Encap::Vlan, &mut f, None), Err(WRONG_TPID));
        let mut f = inner(8); // untagged
        assert_eq!(decap(Encap::Vlan, &mut f, None), Err(WRONG_TPID));
        // A VLAN frame to a VPLS mux and the other way around.
        let mut f = encapped(Encap::Vlan, 9, false, &inner(30));
        assert_eq!(decap(Encap::Vpls, &mut f, None), Err(WRONG_ETHERTYPE));
        let mut f = encapped(Encap::Vpls, 99, false, &inner(30));
        assert_eq!(decap(Encap::Vlan, &mut f, None), Err(WRONG_TPID));
        // An MPLS multicast ethertype is not ours either.
        let mut f = encapped(Encap::Vpls, 99, false, &inner(30));
        f[13] = 0x48;
        assert_eq!(decap(Encap::Vpls, &mut f, None), Err(WRONG_ETHERTYPE));
    }

    #[test]
    fn outer_8021ad_without_inner_8021q_is_the_lower() {
        // As the kernel parses it: the xid is the outer VID alone.
        let mut f = inner(10);
        let tag = [0x88, 0xa8, 0x20, 0x05];
        f.splice(12..12, tag);
        let d = decap(Encap::Vlan, &mut f, None).unwrap();
        assert_eq!((d.xid, d.priority, d.offset), (5, 1, 4));
        assert_eq!(&f[4..], &inner(10)[..]);
    }

    #[test]
    fn stack_without_bottom() {
        // One label, no S bit, and the frame ends with it.
        let mut f = inner(0)[..12].to_vec();
        f.extend([0x88, 0x47]);
        f.extend((99u32 << 12 | 64).to_be_bytes());
        assert_eq!(parse(Encap::Vpls, &f, None), Err(NO_BOTTOM_OF_STACK));
        // Two labels, neither with S, then the end.
        f.extend((5u32 << 12 | 64).to_be_bytes());
        assert_eq!(parse(Encap::Vpls, &f, None), Err(NO_BOTTOM_OF_STACK));
        // A frame encapsulated for a port with its S bit cleared: the
        // proxy frame's bytes become more labels.
        let mut f = encapped(Encap::Vpls, 99, false, &inner(30));
        f[16] &= !1;
        assert_eq!(parse(Encap::Vpls, &f, None), Err(TOO_MANY_LABELS));
    }

    #[test]
    fn too_many_labels() {
        let mut f = inner(0)[..12].to_vec();
        f.extend([0x88, 0x47]);
        f.extend((99u32 << 12 | 64).to_be_bytes());
        f.extend((5u32 << 12 | 64).to_be_bytes());
        f.extend((6u32 << 12 | 1 << 8 | 64).to_be_bytes());
        f.extend(inner(20));
        let before = f.clone();
        assert_eq!(decap(Encap::Vpls, &mut f, None), Err(TOO_MANY_LABELS));
        assert_eq!(f, before);
    }

    #[test]
    fn second_label_must_fit_a_vid() {
        let mut f = inner(0)[..12].to_vec();
        f.extend([0x88, 0x47]);
        f.extend((99u32 << 12 | 64).to_be_bytes());
        f.extend((4096u32 << 12 | 1 << 8 | 64).to_be_bytes());
        f.extend(inner(0));
        assert_eq!(parse(Encap::Vpls, &f, None), Err(VID_LABEL_RANGE));
    }

    #[test]
    fn vpls_ignores_ttl_and_takes_tc_as_priority() {
        let mut f = encapped(Encap::Vpls, 300 | 12 << 20, false, &inner(4));
        // TC 3, TTL 1 on label 1; TC 5 TTL 0 on label 2.
        f[14..18].copy_from_slice(&(300u32 << 12 | 3 << 9 | 1).to_be_bytes());
        f[18..22].copy_from_slice(&(12u32 << 12 | 5 << 9 | 1 << 8).to_be_bytes());
        let d = decap(Encap::Vpls, &mut f, None).unwrap();
        assert_eq!(
            (d.xid, d.priority, d.exception()),
            (300 | 12 << 20, 3, false)
        );
    }

    #[test]
    fn vlan_priority_is_the_first_tags_pcp() {
        let mut f = encapped(Encap::Vlan, 40 | 2 << 12, false, &inner(4));
        f[14] |= 5 << 5; // outer PCP 5
        f[18] |= 7 << 5; // inner PCP 7 is not the mark
        let d = decap(Encap::Vlan, &mut f, None).unwrap();
        assert_eq!((d.xid, d.priority, d.exception()), (40 | 2 << 12, 5, false));
    }

    /// Frames as a packet socket sees them when the kernel moved the first
    /// tag into metadata.
    fn strip_first_tag(f: &[u8]) -> (Vec<u8>, OuterTag) {
        let tag = OuterTag {
            tpid: get16(f, 12),
            tci: get16(f, 14),
        };
        let mut v = f[..12].to_vec();
        v.extend(&f[16..]);
        (v, tag)
    }

    #[test]
    fn round_trips_with_the_first_tag_in_metadata() {
        for xid in xids(Encap::Vlan) {
            for exception in [false, true] {
                let i = inner(9);
                let f = encapped(Encap::Vlan, xid, exception, &i);
                let (mut s, tag) = strip_first_tag(&f);
                let d = decap(Encap::Vlan, &mut s, Some(tag)).unwrap();
                assert_eq!(d.xid, xid);
                assert_eq!(d.exception(), exception);
                assert_eq!(&s[d.offset..], &i[..]);
            }
        }
    }

    #[test]
    fn metadata_tag_errors() {
        let f = encapped(Encap::Vlan, 9 | 3 << 12, false, &inner(0));
        let (s, tag) = strip_first_tag(&f);
        for len in 0..s.len() {
            let mut t = s[..len].to_vec();
            assert_eq!(
                decap(Encap::Vlan, &mut t, Some(tag)),
                Err(TRUNCATED),
                "len {len}"
            );
        }
        let bad = OuterTag {
            tpid: 0x9100,
            tci: 9,
        };
        assert_eq!(parse(Encap::Vlan, &s, Some(bad)), Err(WRONG_TPID));
        let mut v = encapped(Encap::Vpls, 99, false, &inner(0));
        assert_eq!(decap(Encap::Vpls, &mut v, Some(tag)), Err(VLAN_TAG_ON_VPLS));
    }
}
