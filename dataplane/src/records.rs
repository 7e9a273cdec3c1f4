//! Records: the binary format between SWITCHD and a SWITCH, in both
//! directions. SWITCHD programs a SWITCH with records (links, routes,
//! neighbours, attachments) and reads its reports as records (port state,
//! counters, a summary, the routes it holds). A remote SWITCH is sent the
//! same bytes over a network, so nothing here depends on the host: every
//! integer is little-endian, addresses are in network order, and fields
//! sit at the byte offsets of [`layout`] with no alignment promised.
//!
//! A stream is a 16-byte header (`magic`, `version`, `length` of the whole
//! stream, `count` of records) and then `count` records, each starting
//! with its `kind` (u16) and its `length` (u16, header included). A record
//! may be longer than its layout says: fields a later version appends are
//! skipped by a reader that does not know them. A kind a reader does not
//! know is refused, naming it, unless the kind has [`OPTIONAL`] set, which
//! says it may be skipped.
//!
//! [`layout`] is the one definition of every record. SWITCHD's TypeScript
//! takes it from `switchd/records/layout.generated.ts`, which a test here
//! renders from the same table and compares byte for byte
//! ([`typescript`]), so that the two sides cannot drift.

use std::net::{Ipv4Addr, Ipv6Addr};

pub mod layout;
#[cfg(test)]
mod typescript;

use layout::{stream, Ty};

/// `b"XSWR"` read as a little-endian u32: the first bytes of every stream.
pub const MAGIC: u32 = u32::from_le_bytes(*b"XSWR");
/// The version of the format that this crate writes and reads.
pub const VERSION: u16 = 1;
/// Bytes of the stream header.
pub const STREAM_SIZE: usize = 16;
/// Bytes of each record's header (kind and length).
pub const RECORD_HEADER: usize = 4;
/// Set in a kind that a reader that does not know it may skip.
pub const OPTIONAL: u16 = 0x8000;
/// An xid field's value for "none" (a next hop that is not a proxy, a
/// link without a lower).
pub const NO_XID: u32 = u32::MAX;
/// The largest record: its length is a u16.
pub const RECORD_MAX: usize = u16::MAX as usize;

/// Builds a stream: [`Writer::record`] per record, then [`Writer::finish`].
#[derive(Debug, Clone)]
pub struct Writer {
    buf: Vec<u8>,
    count: u32,
    /// Where the record being written starts: its length is written when
    /// the next one starts or the stream is finished.
    open: Option<usize>,
    /// The first record found too long.
    overlong: Option<usize>,
}

impl Default for Writer {
    fn default() -> Self {
        Writer::new()
    }
}

impl Writer {
    pub fn new() -> Writer {
        let mut buf = Vec::with_capacity(4096);
        buf.resize(STREAM_SIZE, 0);
        Writer {
            buf,
            count: 0,
            open: None,
            overlong: None,
        }
    }

    /// Records written so far.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Starts a record of `kind` whose fixed part is `size` bytes (header
    /// included, zeroed); write its fields with the returned [`RecordMut`].
    pub fn record(&mut self, kind: u16, size: usize) -> RecordMut<'_> {
        self.close();
        let start = self.buf.len();
        self.open = Some(start);
        self.buf.resize(start + size, 0);
        self.count += 1;
        self.buf[start..start + 2].copy_from_slice(&kind.to_le_bytes());
        RecordMut {
            buf: &mut self.buf,
            start,
        }
    }

    /// Writes the length of the record being written.
    fn close(&mut self) {
        let Some(start) = self.open.take() else {
            return;
        };
        let n = self.buf.len() - start;
        match u16::try_from(n) {
            Ok(n) => put(&mut self.buf, start + 2, &n.to_le_bytes()),
            Err(_) => {
                self.overlong.get_or_insert(n);
            }
        }
    }

    /// The stream, its header filled in. Fails when a record is longer
    /// than [`RECORD_MAX`] or the stream longer than a u32 can say.
    pub fn finish(mut self) -> Result<Vec<u8>, String> {
        self.close();
        if let Some(n) = self.overlong {
            return Err(format!(
                "a record of {n} bytes is too long (at most {RECORD_MAX})"
            ));
        }
        let len = u32::try_from(self.buf.len())
            .map_err(|_| format!("a stream of {} bytes is too long", self.buf.len()))?;
        let b = &mut self.buf;
        put(b, stream::magic, &MAGIC.to_le_bytes());
        put(b, stream::version, &VERSION.to_le_bytes());
        put(b, stream::length, &len.to_le_bytes());
        put(b, stream::count, &self.count.to_le_bytes());
        Ok(self.buf)
    }
}

fn put(b: &mut [u8], at: usize, v: &[u8]) {
    b[at..at + v.len()].copy_from_slice(v);
}

/// A record being written: fields at offsets from its start, arrays
/// appended at its end.
pub struct RecordMut<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
}

impl RecordMut<'_> {
    pub fn u8(&mut self, off: usize, v: u8) -> &mut Self {
        self.buf[self.start + off] = v;
        self
    }

    pub fn u16(&mut self, off: usize, v: u16) -> &mut Self {
        put(self.buf, self.start + off, &v.to_le_bytes());
        self
    }

    pub fn u32(&mut self, off: usize, v: u32) -> &mut Self {
        put(self.buf, self.start + off, &v.to_le_bytes());
        self
    }

    pub fn u64(&mut self, off: usize, v: u64) -> &mut Self {
        put(self.buf, self.start + off, &v.to_le_bytes());
        self
    }

    pub fn bytes(&mut self, off: usize, v: &[u8]) -> &mut Self {
        put(self.buf, self.start + off, v);
        self
    }

    /// Appends `v` after what the record holds (an array element).
    pub fn append(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
}

/// A stream being read: [`Reader::new`] checks the header, iterating
/// yields the records in order.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    index: usize,
    count: usize,
}

impl<'a> Reader<'a> {
    /// Checks the stream header: magic, version, and that the length it
    /// states is the length given.
    pub fn new(buf: &'a [u8]) -> Result<Reader<'a>, String> {
        if buf.len() < STREAM_SIZE {
            return Err(format!(
                "a record stream of {} bytes has no room for its {STREAM_SIZE}-byte header",
                buf.len()
            ));
        }
        let r = Rec {
            buf,
            index: 0,
            kind: 0,
        };
        let magic = r.u32(stream::magic);
        if magic != MAGIC {
            return Err(format!(
                "not a record stream: magic {magic:#010x}, not {MAGIC:#010x}"
            ));
        }
        let version = r.u16(stream::version);
        if version != VERSION {
            return Err(format!(
                "record stream version {version}; this SWITCH reads version {VERSION}"
            ));
        }
        let len = r.u32(stream::length) as usize;
        if len != buf.len() {
            return Err(format!(
                "the stream says it is {len} bytes long, but {} were given",
                buf.len()
            ));
        }
        Ok(Reader {
            buf,
            at: STREAM_SIZE,
            index: 0,
            count: r.u32(stream::count) as usize,
        })
    }

    /// Records the header says follow.
    pub fn records(&self) -> usize {
        self.count
    }
}

impl<'a> Iterator for Reader<'a> {
    type Item = Result<Rec<'a>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.index == self.count {
            return (self.at != self.buf.len()).then(|| {
                self.index += 1;
                Err(format!(
                    "{} bytes follow the last of {} records",
                    self.buf.len() - self.at,
                    self.count
                ))
            });
        }
        if self.index > self.count {
            return None;
        }
        let n = self.index;
        self.index += 1;
        let rest = &self.buf[self.at..];
        if rest.len() < RECORD_HEADER {
            self.index = self.count + 1;
            return Some(Err(format!(
                "record {}: the stream ends after {} of {} records",
                n + 1,
                n,
                self.count
            )));
        }
        let kind = u16::from_le_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        if len < RECORD_HEADER || len > rest.len() {
            self.index = self.count + 1;
            return Some(Err(format!(
                "record {} (kind {kind}): length {len} does not fit the {} bytes left",
                n + 1,
                rest.len()
            )));
        }
        self.at += len;
        Some(Ok(Rec {
            buf: &rest[..len],
            index: n,
            kind,
        }))
    }
}

/// One record: its kind, its place in the stream, and its bytes (header
/// included), with readers for fields at offsets. Readers of fixed fields
/// assume [`Rec::expect`] has checked the length.
#[derive(Debug, Clone, Copy)]
pub struct Rec<'a> {
    pub buf: &'a [u8],
    /// 0-based place in the stream.
    pub index: usize,
    pub kind: u16,
}

impl<'a> Rec<'a> {
    /// Checks that the record holds `layout`'s fixed part; the error names
    /// the record.
    pub fn expect(&self, layout: &layout::Layout) -> Result<(), String> {
        if self.buf.len() < layout.size {
            return Err(format!(
                "{} record of {} bytes, at least {} expected",
                layout.name,
                self.buf.len(),
                layout.size
            ));
        }
        Ok(())
    }

    pub fn u8(&self, off: usize) -> u8 {
        self.buf[off]
    }

    pub fn u16(&self, off: usize) -> u16 {
        u16::from_le_bytes([self.buf[off], self.buf[off + 1]])
    }

    pub fn u32(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.array(off))
    }

    pub fn u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.array(off))
    }

    pub fn ip4(&self, off: usize) -> Ipv4Addr {
        Ipv4Addr::from(self.array::<4>(off))
    }

    pub fn ip6(&self, off: usize) -> Ipv6Addr {
        Ipv6Addr::from(self.array::<16>(off))
    }

    pub fn array<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.buf[off..off + N]);
        a
    }

    /// A NUL-padded name of `Ty::Name` at `off`.
    pub fn name(&self, off: usize) -> Result<&'a str, String> {
        let raw = &self.buf[off..off + Ty::Name.size()];
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        std::str::from_utf8(&raw[..end]).map_err(|_| "a name that is not UTF-8".to_owned())
    }

    /// The `count` elements of `size` bytes that start at `at`, or an
    /// error when the record is too short for them.
    pub fn elems(&self, at: usize, count: usize, size: usize) -> Result<Elems<'a>, String> {
        let end = at + count * size;
        if end > self.buf.len() {
            return Err(format!(
                "{count} elements of {size} bytes from byte {at} overrun the record's {} bytes",
                self.buf.len()
            ));
        }
        Ok(Elems {
            buf: &self.buf[at..end],
            size,
        })
    }
}

/// The elements of an array in a record, each a [`Rec`] view of its bytes
/// (offsets within the element).
#[derive(Debug, Clone, Copy)]
pub struct Elems<'a> {
    buf: &'a [u8],
    size: usize,
}

impl<'a> Elems<'a> {
    pub fn len(&self) -> usize {
        self.buf.len().checked_div(self.size).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes after the last element: where the next array starts.
    pub fn end(&self) -> usize {
        self.buf.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = Rec<'a>> + '_ {
        self.buf.chunks_exact(self.size).map(|c| Rec {
            buf: c,
            index: 0,
            kind: 0,
        })
    }

    /// The raw bytes of all elements.
    pub fn bytes(&self) -> &'a [u8] {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::layout::{route4, unlink};
    use super::*;

    fn stream(records: &[(u16, &[u8])]) -> Vec<u8> {
        let mut w = Writer::new();
        for (kind, body) in records {
            w.record(*kind, RECORD_HEADER).append(body);
        }
        w.finish().unwrap()
    }

    #[test]
    fn a_stream_reads_back_as_written() {
        let mut w = Writer::new();
        w.record(unlink::KIND, unlink::SIZE).u32(unlink::xid, 7);
        w.record(route4::KIND, route4::SIZE)
            .u32(route4::table, 254)
            .u64(route4::net, 1)
            .bytes(route4::addr, &[10, 0, 0, 0])
            .u8(route4::plen, 8)
            .u8(route4::rtn, 1)
            .u16(route4::n_hops, 1)
            .append(&7u32.to_le_bytes())
            .append(&[10, 0, 0, 1]);
        assert_eq!(w.count(), 2);
        let b = w.finish().unwrap();
        assert_eq!(&b[..4], b"XSWR");
        assert_eq!(b.len(), STREAM_SIZE + unlink::SIZE + route4::SIZE + 8);
        let recs: Vec<Rec> = Reader::new(&b).unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(recs.len(), 2);
        assert_eq!((recs[0].kind, recs[0].u32(unlink::xid)), (unlink::KIND, 7));
        let r = recs[1];
        r.expect(&route4::LAYOUT).unwrap();
        assert_eq!(r.index, 1);
        assert_eq!(r.u64(route4::net), 1);
        assert_eq!(r.ip4(route4::addr), Ipv4Addr::new(10, 0, 0, 0));
        let hops = r.elems(route4::SIZE, 1, 8).unwrap();
        let h = hops.iter().next().unwrap();
        assert_eq!(h.u32(0), 7);
        assert_eq!(h.ip4(4), Ipv4Addr::new(10, 0, 0, 1));
        assert!(r.elems(route4::SIZE, 2, 8).is_err());
    }

    #[test]
    fn bad_headers_are_refused_and_say_why() {
        let good = stream(&[(2, &[7, 0, 0, 0])]);
        assert!(Reader::new(&good[..10]).unwrap_err().contains("no room"));
        let mut b = good.clone();
        b[0] = b'Y';
        assert!(Reader::new(&b).unwrap_err().contains("magic"));
        let mut b = good.clone();
        b[4] = 2;
        assert!(Reader::new(&b).unwrap_err().contains("version 2"));
        let mut b = good.clone();
        b.push(0);
        assert!(Reader::new(&b).unwrap_err().contains("says it is"));
    }

    #[test]
    fn bad_records_end_the_stream_with_an_error() {
        // A count larger than the records there are.
        let mut b = stream(&[(2, &[7, 0, 0, 0])]);
        b[12] = 2;
        let r: Vec<_> = Reader::new(&b).unwrap().collect();
        assert_eq!(r.len(), 2);
        assert!(r[1].as_ref().unwrap_err().contains("ends after 1 of 2"));
        // A length past the end.
        let mut b = stream(&[(2, &[7, 0, 0, 0])]);
        b[STREAM_SIZE + 2] = 99;
        let r: Vec<_> = Reader::new(&b).unwrap().collect();
        assert!(r[0]
            .as_ref()
            .unwrap_err()
            .contains("length 99 does not fit"));
        assert_eq!(r.len(), 1);
        // Bytes after the last record.
        let mut b = stream(&[(2, &[7, 0, 0, 0]), (2, &[8, 0, 0, 0])]);
        b[12] = 1;
        let r: Vec<_> = Reader::new(&b).unwrap().collect();
        assert!(r[1].as_ref().unwrap_err().contains("follow the last"));
        // A record shorter than its layout.
        let b = stream(&[(route4::KIND, &[0; 4])]);
        let r = Reader::new(&b).unwrap().next().unwrap().unwrap();
        assert!(r
            .expect(&route4::LAYOUT)
            .unwrap_err()
            .contains("route4 record of 8 bytes, at least 24"));
    }

    #[test]
    fn an_overlong_record_is_refused_when_finished() {
        let mut w = Writer::new();
        w.record(2, RECORD_HEADER).append(&vec![0; RECORD_MAX]);
        assert!(w.finish().unwrap_err().contains("too long"));
    }
}
