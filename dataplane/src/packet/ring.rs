//! The memory-mapped receive ring of a packet socket (`PACKET_RX_RING`),
//! in either layout the kernel offers:
//!
//! * `TPACKET_V2`: fixed-size frame slots, each handed to user space as
//!   soon as the kernel has filled it; the reader is woken per frame.
//! * `TPACKET_V3`: variable-size frames packed into blocks; a block is
//!   handed over when full or when its retire timer expires, and the
//!   reader is woken per block.
//!
//! Exceptions are sparse and latency-sensitive, so the default is V2:
//! `benches/punt_latency.rs` measures both over a veth pair (see the
//! numbers in [`crate::punt`]'s documentation); V3 is kept for that
//! measurement and for bulk use.
//!
//! Ownership protocol (both versions): a slot or block whose status has
//! `TP_STATUS_USER` belongs to user space until user space stores
//! `TP_STATUS_KERNEL` into it; the kernel neither reads nor writes it
//! meanwhile. Status words are accessed atomically (acquire on read,
//! release on hand-back); everything else in a slot only while it is ours.

use std::mem::{offset_of, size_of};
use std::num::NonZeroUsize;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

use nix::sys::mman::{mmap, munmap, MapFlags, ProtFlags};

use crate::encap::OuterTag;
use crate::error::Error;

/// Which `TPACKET` layout a ring uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RingVersion {
    /// `TPACKET_V2`: per-frame hand-over (the default; lowest latency).
    V2,
    /// `TPACKET_V3`: per-block hand-over.
    V3,
}

/// Geometry of a receive ring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RingConfig {
    /// Layout.
    pub version: RingVersion,
    /// Bytes per block: a multiple of the page size.
    pub block_size: u32,
    /// Number of blocks.
    pub block_count: u32,
    /// Bytes per frame slot (V2), or the largest frame (V3): a multiple of
    /// 16 that divides `block_size`. Longer frames are truncated and
    /// counted as `rx_truncated`.
    pub frame_size: u32,
    /// V3 only: milliseconds after which a block that is not full is
    /// handed over anyway (0: the kernel's choice).
    pub retire_ms: u32,
}

/// Frame slot size of the default rings: a jumbo frame (9728 bytes), the
/// largest encapsulation and the ring's own headers fit.
pub const DEFAULT_FRAME_SIZE: u32 = 16384;

impl Default for RingConfig {
    /// V2, 256 slots of [`DEFAULT_FRAME_SIZE`] (4 MiB).
    fn default() -> Self {
        RingConfig {
            version: RingVersion::V2,
            block_size: 4 * DEFAULT_FRAME_SIZE,
            block_count: 64,
            frame_size: DEFAULT_FRAME_SIZE,
            retire_ms: 0,
        }
    }
}

impl RingConfig {
    /// A V3 ring of the same size as the default: 4 blocks of 1 MiB,
    /// retired after 1 ms (the shortest timer there is).
    pub fn v3() -> Self {
        RingConfig {
            version: RingVersion::V3,
            block_size: 1 << 20,
            block_count: 4,
            frame_size: DEFAULT_FRAME_SIZE,
            retire_ms: 1,
        }
    }

    /// Total bytes mapped.
    pub fn len(&self) -> usize {
        self.block_size as usize * self.block_count as usize
    }

    /// True when the ring would have no room at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn frames_per_block(&self) -> u32 {
        self.block_size / self.frame_size
    }

    /// Checks the geometry the kernel would refuse, with a clearer message.
    pub fn validate(&self) -> Result<(), Error> {
        let min_frame = (hdr_len(self.version) + 64) as u32;
        if self.block_size == 0 || self.block_size as usize % PAGE_SIZE != 0 {
            return Err(Error::InvalidArgument(
                "ring block size must be a multiple of the page size",
            ));
        }
        if self.frame_size < min_frame || self.frame_size % 16 != 0 {
            return Err(Error::InvalidArgument(
                "ring frame size must be a multiple of 16 with room for a frame",
            ));
        }
        if self.frame_size > self.block_size || self.block_size % self.frame_size != 0 {
            return Err(Error::InvalidArgument(
                "ring frame size must divide the block size",
            ));
        }
        if self.block_count == 0
            || self
                .frames_per_block()
                .checked_mul(self.block_count)
                .is_none()
            || self.len() > 1 << 30
        {
            return Err(Error::InvalidArgument("ring block count out of range"));
        }
        Ok(())
    }

    /// The `PACKET_RX_RING` request of a V2 ring.
    pub(crate) fn req(&self) -> libc::tpacket_req {
        libc::tpacket_req {
            tp_block_size: self.block_size,
            tp_block_nr: self.block_count,
            tp_frame_size: self.frame_size,
            tp_frame_nr: self.frames_per_block() * self.block_count,
        }
    }

    /// The `PACKET_RX_RING` request of a V3 ring.
    pub(crate) fn req3(&self) -> libc::tpacket_req3 {
        libc::tpacket_req3 {
            tp_block_size: self.block_size,
            tp_block_nr: self.block_count,
            tp_frame_size: self.frame_size,
            tp_frame_nr: self.frames_per_block() * self.block_count,
            tp_retire_blk_tov: self.retire_ms,
            tp_sizeof_priv: 0,
            tp_feature_req_word: 0,
        }
    }
}

/// The page size of x86_64; on a system with larger pages the kernel
/// refuses a block size that is not a multiple of them (EINVAL).
const PAGE_SIZE: usize = 4096;

const fn tpacket_align(x: usize) -> usize {
    (x + libc::TPACKET_ALIGNMENT - 1) & !(libc::TPACKET_ALIGNMENT - 1)
}

/// Bytes in front of the frame data in a slot: the header and the
/// `sockaddr_ll` after it.
fn hdr_len(v: RingVersion) -> usize {
    match v {
        RingVersion::V2 => libc::TPACKET2_HDRLEN,
        RingVersion::V3 => libc::TPACKET3_HDRLEN,
    }
}

/// One received frame, borrowed from the ring for the duration of a
/// callback.
#[derive(Debug)]
pub struct Slot<'a> {
    /// The frame as captured (`tp_snaplen` bytes), writable in place.
    pub data: &'a mut [u8],
    /// Its length on the wire (`tp_len`); more than `data.len()` when the
    /// slot was too small.
    pub len: u32,
    /// A VLAN tag the kernel took out of the frame into metadata.
    pub tag: Option<OuterTag>,
    /// `sll_pkttype`: `PACKET_OUTGOING` for frames the netdev transmitted.
    pub pkttype: u8,
    /// Kernel receive timestamp (`tp_sec`, `tp_nsec`).
    pub ts: (u32, u32),
}

/// A memory mapping of a ring, unmapped on drop.
struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain shared memory with no thread affinity; the
// Mapping is its only user-space owner, and all access to it goes through
// &self / &mut self methods that respect Rust's aliasing rules.
unsafe impl Send for Mapping {}

impl Mapping {
    fn new(fd: BorrowedFd<'_>, len: usize) -> Result<Mapping, Error> {
        let n = NonZeroUsize::new(len).ok_or(Error::InvalidArgument("empty ring"))?;
        // SAFETY: a fresh shared mapping chosen by the kernel (no address
        // hint) overlaps nothing Rust knows about; fd is a packet socket
        // with a ring of exactly len bytes set up.
        let p = unsafe {
            mmap(
                None,
                n,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED | MapFlags::MAP_POPULATE,
                fd,
                0,
            )
        }?;
        Ok(Mapping { ptr: p.cast(), len })
    }

    /// The status word at `off`, shared with the kernel.
    fn status(&self, off: usize) -> &AtomicU32 {
        assert!(
            off % 4 == 0 && off + 4 <= self.len,
            "status word out of the ring"
        );
        // SAFETY: off is in bounds and 4-aligned (asserted; the mapping is
        // page-aligned), so the pointer is valid and aligned for an
        // AtomicU32 for as long as &self lives. The kernel writes this word
        // concurrently, which is why it is only accessed atomically.
        unsafe { &*self.ptr.as_ptr().add(off).cast::<AtomicU32>() }
    }

    /// Copies the `T` at `off` out of the ring.
    fn read<T: Copy>(&self, off: usize) -> T {
        assert!(off + size_of::<T>() <= self.len, "read out of the ring");
        // SAFETY: the bytes are in bounds (asserted) and read unaligned; T
        // is a plain C header struct for which any bytes are valid. Callers
        // read only slots they own, which the kernel does not write.
        unsafe { self.ptr.as_ptr().add(off).cast::<T>().read_unaligned() }
    }

    /// The bytes `off..off + len` of the ring.
    fn bytes_mut(&mut self, off: usize, len: usize) -> &mut [u8] {
        assert!(
            off.checked_add(len).is_some_and(|e| e <= self.len),
            "slice out of the ring"
        );
        // SAFETY: in bounds (asserted); &mut self makes this the only
        // user-space reference into the mapping while it lives; callers
        // take only bytes of a slot they own, which the kernel leaves alone
        // until the slot is handed back (after this borrow ends).
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr().add(off), len) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: ptr/len are exactly what mmap returned, and no reference
        // into the mapping outlives &mut self.
        let _ = unsafe { munmap(self.ptr.cast(), self.len) };
    }
}

/// A receive ring: the frames the kernel queued for its socket, in order.
pub struct RxRing {
    map: Mapping,
    cfg: RingConfig,
    /// V2: next frame slot; V3: next block.
    next: usize,
}

const STATUS_OFF_V3: usize = offset_of!(libc::tpacket_block_desc, hdr);

impl RxRing {
    /// Maps the ring that `cfg` set up on `fd`.
    pub(crate) fn map(fd: BorrowedFd<'_>, cfg: &RingConfig) -> Result<RxRing, Error> {
        Ok(RxRing {
            map: Mapping::new(fd, cfg.len())?,
            cfg: *cfg,
            next: 0,
        })
    }

    /// The ring's geometry.
    pub fn config(&self) -> &RingConfig {
        &self.cfg
    }

    /// Calls `f` for each frame ready, oldest first, handing each back to
    /// the kernel after `f` returns. Stops once `budget` frames were seen
    /// (V3 finishes the block it started). Returns the number seen.
    pub fn drain(&mut self, budget: usize, mut f: impl FnMut(Slot<'_>)) -> usize {
        match self.cfg.version {
            RingVersion::V2 => self.drain_v2(budget, &mut f),
            RingVersion::V3 => self.drain_v3(budget, &mut f),
        }
    }

    fn drain_v2(&mut self, budget: usize, f: &mut dyn FnMut(Slot<'_>)) -> usize {
        let fsize = self.cfg.frame_size as usize;
        let count = self.cfg.len() / fsize;
        let mut n = 0;
        while n < budget {
            let off = self.next * fsize;
            let status = self.map.status(off).load(Ordering::Acquire);
            if status & libc::TP_STATUS_USER == 0 {
                break;
            }
            let h: libc::tpacket2_hdr = self.map.read(off);
            let sll: libc::sockaddr_ll = self
                .map
                .read(off + tpacket_align(size_of::<libc::tpacket2_hdr>()));
            let tag = tag_of(status, u32::from(h.tp_vlan_tci), h.tp_vlan_tpid);
            let slot = self.slot(off, fsize, h.tp_mac, h.tp_snaplen, h.tp_len, tag, &sll);
            f(Slot {
                ts: (h.tp_sec, h.tp_nsec),
                ..slot
            });
            self.map
                .status(off)
                .store(libc::TP_STATUS_KERNEL, Ordering::Release);
            self.next = (self.next + 1) % count;
            n += 1;
        }
        n
    }

    fn drain_v3(&mut self, budget: usize, f: &mut dyn FnMut(Slot<'_>)) -> usize {
        let bsize = self.cfg.block_size as usize;
        let mut n = 0;
        while n < budget {
            let base = self.next * bsize;
            let status_off = base + STATUS_OFF_V3;
            let status = self.map.status(status_off).load(Ordering::Acquire);
            if status & libc::TP_STATUS_USER == 0 {
                break;
            }
            let bh: libc::tpacket_hdr_v1 = self.map.read(status_off);
            let mut off = bh.offset_to_first_pkt as usize;
            for _ in 0..bh.num_pkts {
                if off + libc::TPACKET3_HDRLEN > bsize {
                    break;
                }
                let h: libc::tpacket3_hdr = self.map.read(base + off);
                let sll: libc::sockaddr_ll = self
                    .map
                    .read(base + off + tpacket_align(size_of::<libc::tpacket3_hdr>()));
                let tag = tag_of(h.tp_status, h.hv1.tp_vlan_tci, h.hv1.tp_vlan_tpid);
                let slot = self.slot(
                    base + off,
                    bsize - off,
                    h.tp_mac,
                    h.tp_snaplen,
                    h.tp_len,
                    tag,
                    &sll,
                );
                f(Slot {
                    ts: (h.tp_sec, h.tp_nsec),
                    ..slot
                });
                n += 1;
                if h.tp_next_offset == 0 {
                    break;
                }
                off += h.tp_next_offset as usize;
            }
            self.map
                .status(status_off)
                .store(libc::TP_STATUS_KERNEL, Ordering::Release);
            self.next = (self.next + 1) % self.cfg.block_count as usize;
        }
        n
    }

    /// The frame of the slot at `off` (with `room` bytes to the end of its
    /// slot or block); an empty frame if the header points outside it.
    #[allow(clippy::too_many_arguments)]
    fn slot(
        &mut self,
        off: usize,
        room: usize,
        mac: u16,
        snaplen: u32,
        len: u32,
        tag: Option<OuterTag>,
        sll: &libc::sockaddr_ll,
    ) -> Slot<'_> {
        let (mac, snap) = (mac as usize, snaplen as usize);
        let (start, n) = if mac.checked_add(snap).is_some_and(|e| e <= room) {
            (off + mac, snap)
        } else {
            (off, 0)
        };
        Slot {
            data: self.map.bytes_mut(start, n),
            len,
            tag,
            pkttype: sll.sll_pkttype,
            ts: (0, 0),
        }
    }
}

/// The VLAN tag in a slot's metadata, if the status says there is one.
fn tag_of(status: u32, tci: u32, tpid: u16) -> Option<OuterTag> {
    if status & libc::TP_STATUS_VLAN_VALID == 0 {
        return None;
    }
    let tpid = if status & libc::TP_STATUS_VLAN_TPID_VALID != 0 {
        tpid
    } else {
        crate::encap::ETH_P_8021Q
    };
    Some(OuterTag {
        tpid,
        tci: tci as u16,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_geometries_are_valid() {
        assert_eq!(RingConfig::default().validate(), Ok(()));
        assert_eq!(RingConfig::v3().validate(), Ok(()));
        assert_eq!(RingConfig::default().len(), 4 << 20);
        assert_eq!(RingConfig::v3().len(), 4 << 20);
        assert_eq!(RingConfig::default().req().tp_frame_nr, 256);
        assert_eq!(RingConfig::v3().req3().tp_frame_nr, 256);
        assert_eq!(RingConfig::v3().req3().tp_retire_blk_tov, 1);
    }

    #[test]
    fn bad_geometries_are_refused() {
        let ok = RingConfig::default();
        for bad in [
            RingConfig {
                block_size: 1000,
                ..ok
            },
            RingConfig {
                block_size: 0,
                ..ok
            },
            RingConfig {
                frame_size: 2056,
                ..ok
            },
            RingConfig {
                frame_size: 32,
                ..ok
            },
            RingConfig {
                frame_size: 3 * 4096,
                block_size: 4 * 4096,
                ..ok
            },
            RingConfig {
                frame_size: 1 << 17,
                ..ok
            },
            RingConfig {
                block_count: 0,
                ..ok
            },
            RingConfig {
                block_count: 1 << 20,
                ..ok
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn metadata_tags() {
        assert_eq!(tag_of(libc::TP_STATUS_USER, 5, 0x88a8), None);
        assert_eq!(
            tag_of(libc::TP_STATUS_VLAN_VALID, 0xe005, 0),
            Some(OuterTag {
                tpid: 0x8100,
                tci: 0xe005
            })
        );
        assert_eq!(
            tag_of(
                libc::TP_STATUS_VLAN_VALID | libc::TP_STATUS_VLAN_TPID_VALID,
                5,
                0x88a8
            ),
            Some(OuterTag {
                tpid: 0x88a8,
                tci: 5
            })
        );
    }

    #[test]
    fn header_lengths_match_the_kernel() {
        // struct tpacket2_hdr is 32 bytes, tpacket3_hdr 48; a sockaddr_ll
        // (20 bytes) follows each, 16-aligned.
        assert_eq!(size_of::<libc::tpacket2_hdr>(), 32);
        assert_eq!(size_of::<libc::tpacket3_hdr>(), 48);
        assert_eq!(hdr_len(RingVersion::V2), 52);
        assert_eq!(hdr_len(RingVersion::V3), 68);
        assert_eq!(STATUS_OFF_V3, 8);
    }

    /// A mapping of anonymous memory standing in for a kernel ring, so
    /// that the ring walk can be checked against hand-made slots.
    fn fake_ring(cfg: RingConfig) -> RxRing {
        let fd = nix::sys::memfd::memfd_create(
            c"xeth-punt-ring-test",
            nix::sys::memfd::MFdFlags::MFD_CLOEXEC,
        );
        let fd = match fd {
            Ok(fd) => fd,
            Err(e) => panic!("memfd_create: {e}"),
        };
        nix::unistd::ftruncate(&fd, cfg.len() as i64).unwrap();
        RxRing::map(std::os::fd::AsFd::as_fd(&fd), &cfg).unwrap()
    }

    fn put<T: Copy>(ring: &mut RxRing, off: usize, v: &T) {
        let n = size_of::<T>();
        // SAFETY: v is a live T of n bytes; viewing a plain C struct's
        // bytes is fine (padding bytes of these headers are explicit fields).
        let bytes = unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), n) };
        ring.map.bytes_mut(off, n).copy_from_slice(bytes);
    }

    fn sll(pkttype: u8) -> libc::sockaddr_ll {
        libc::sockaddr_ll {
            sll_family: libc::AF_PACKET as u16,
            sll_protocol: 0,
            sll_ifindex: 1,
            sll_hatype: 1,
            sll_pkttype: pkttype,
            sll_halen: 6,
            sll_addr: [0; 8],
        }
    }

    #[test]
    fn v2_walk_hands_slots_back_in_order() {
        let cfg = RingConfig {
            block_size: 4096,
            block_count: 2,
            frame_size: 2048,
            ..RingConfig::default()
        };
        let mut ring = fake_ring(cfg);
        // Slots 0 and 1 ready; slot 1 with a VLAN tag, slot 2 the kernel's.
        for (i, tci) in [(0usize, None), (1, Some(0xe00au16))] {
            let status = libc::TP_STATUS_USER
                | tci.map_or(0, |_| {
                    libc::TP_STATUS_VLAN_VALID | libc::TP_STATUS_VLAN_TPID_VALID
                });
            let h = libc::tpacket2_hdr {
                tp_status: status,
                tp_len: 70,
                tp_snaplen: 60,
                tp_mac: 80,
                tp_net: 94,
                tp_sec: 1,
                tp_nsec: i as u32,
                tp_vlan_tci: tci.unwrap_or(0),
                tp_vlan_tpid: 0x88a8,
                tp_padding: [0; 4],
            };
            put(&mut ring, i * 2048, &h);
            put(&mut ring, i * 2048 + 32, &sll(i as u8));
            ring.map.bytes_mut(i * 2048 + 80, 60).fill(i as u8 + 1);
        }
        let mut seen = Vec::new();
        let n = ring.drain(10, |s| {
            seen.push((s.data.to_vec(), s.len, s.tag, s.pkttype, s.ts));
            s.data[0] = 0xff; // writable in place
        });
        assert_eq!(n, 2);
        assert_eq!(seen[0], (vec![1; 60], 70, None, 0, (1, 0)));
        assert_eq!(
            seen[1],
            (
                vec![2; 60],
                70,
                Some(OuterTag {
                    tpid: 0x88a8,
                    tci: 0xe00a
                }),
                1,
                (1, 1)
            )
        );
        assert_eq!(ring.map.status(0).load(Ordering::Relaxed), 0);
        assert_eq!(ring.map.status(2048).load(Ordering::Relaxed), 0);
        assert_eq!(ring.map.bytes_mut(80, 1)[0], 0xff);
        assert_eq!(ring.next, 2);
        assert_eq!(ring.drain(10, |_| panic!("nothing is ready")), 0);
        // The budget stops the walk; the next call resumes.
        for i in [2usize, 3, 0] {
            let h = libc::tpacket2_hdr {
                tp_status: libc::TP_STATUS_USER,
                tp_len: 14,
                tp_snaplen: 14,
                tp_mac: 80,
                tp_net: 94,
                tp_sec: 0,
                tp_nsec: i as u32,
                tp_vlan_tci: 0,
                tp_vlan_tpid: 0,
                tp_padding: [0; 4],
            };
            put(&mut ring, i * 2048, &h);
        }
        let mut order = Vec::new();
        assert_eq!(ring.drain(2, |s| order.push(s.ts.1)), 2);
        assert_eq!(ring.drain(2, |s| order.push(s.ts.1)), 1);
        assert_eq!(order, [2, 3, 0]);
    }

    #[test]
    fn v2_slot_pointing_outside_is_an_empty_frame() {
        let cfg = RingConfig {
            block_size: 4096,
            block_count: 1,
            frame_size: 2048,
            ..RingConfig::default()
        };
        let mut ring = fake_ring(cfg);
        let h = libc::tpacket2_hdr {
            tp_status: libc::TP_STATUS_USER,
            tp_len: 3000,
            tp_snaplen: 3000,
            tp_mac: 80,
            tp_net: 0,
            tp_sec: 0,
            tp_nsec: 0,
            tp_vlan_tci: 0,
            tp_vlan_tpid: 0,
            tp_padding: [0; 4],
        };
        put(&mut ring, 0, &h);
        let mut lens = Vec::new();
        assert_eq!(ring.drain(5, |s| lens.push((s.data.len(), s.len))), 1);
        assert_eq!(lens, [(0, 3000)]);
    }

    #[test]
    fn v3_walk_reads_packed_frames_and_hands_blocks_back() {
        let cfg = RingConfig {
            version: RingVersion::V3,
            block_size: 4096,
            block_count: 2,
            frame_size: 2048,
            retire_ms: 1,
        };
        let mut ring = fake_ring(cfg);
        // Block 1 first, to start the walk at block 1 as after a wrap.
        ring.next = 1;
        let base = 4096;
        let bh = libc::tpacket_hdr_v1 {
            block_status: libc::TP_STATUS_USER,
            num_pkts: 2,
            offset_to_first_pkt: 48,
            blk_len: 400,
            seq_num: 7,
            ts_first_pkt: libc::tpacket_bd_ts {
                ts_sec: 0,
                ts_usec: 0,
            },
            ts_last_pkt: libc::tpacket_bd_ts {
                ts_sec: 0,
                ts_usec: 0,
            },
        };
        put(&mut ring, base + 8, &bh);
        for (k, off, next) in [(0u32, 48usize, 160u32), (1, 208, 0)] {
            let h = libc::tpacket3_hdr {
                tp_next_offset: next,
                tp_sec: 5,
                tp_nsec: k,
                tp_snaplen: 20,
                tp_len: 20,
                tp_status: if k == 1 {
                    libc::TP_STATUS_VLAN_VALID
                } else {
                    0
                },
                tp_mac: 90,
                tp_net: 104,
                hv1: libc::tpacket_hdr_variant1 {
                    tp_rxhash: 0,
                    tp_vlan_tci: 0x2007,
                    tp_vlan_tpid: 0,
                    tp_padding: 0,
                },
                tp_padding: [0; 8],
            };
            put(&mut ring, base + off, &h);
            put(&mut ring, base + off + 48, &sll(4));
            ring.map.bytes_mut(base + off + 90, 20).fill(k as u8 + 7);
        }
        let mut seen = Vec::new();
        let n = ring.drain(1, |s| seen.push((s.data.to_vec(), s.tag, s.pkttype, s.ts)));
        // The budget does not split a block.
        assert_eq!(n, 2);
        assert_eq!(seen[0], (vec![7; 20], None, 4, (5, 0)));
        assert_eq!(
            seen[1],
            (
                vec![8; 20],
                Some(OuterTag {
                    tpid: 0x8100,
                    tci: 0x2007
                }),
                4,
                (5, 1)
            )
        );
        assert_eq!(ring.map.status(base + 8).load(Ordering::Relaxed), 0);
        assert_eq!(ring.next, 0);
        assert_eq!(ring.drain(5, |_| panic!("block 0 is the kernel's")), 0);
    }

    #[test]
    #[should_panic(expected = "status word out of the ring")]
    fn status_out_of_bounds_panics() {
        let ring = fake_ring(RingConfig {
            block_size: 4096,
            block_count: 1,
            frame_size: 2048,
            ..RingConfig::default()
        });
        ring.map.status(4096);
    }

    #[test]
    #[should_panic(expected = "slice out of the ring")]
    fn slice_out_of_bounds_panics() {
        let mut ring = fake_ring(RingConfig {
            block_size: 4096,
            block_count: 1,
            frame_size: 2048,
            ..RingConfig::default()
        });
        ring.map.bytes_mut(4000, 97);
    }

    #[test]
    #[should_panic(expected = "read out of the ring")]
    fn read_out_of_bounds_panics() {
        let ring = fake_ring(RingConfig {
            block_size: 4096,
            block_count: 1,
            frame_size: 2048,
            ..RingConfig::default()
        });
        let _: u64 = ring.map.read(4090);
    }
}
