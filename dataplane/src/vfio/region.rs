//! Regions of a vfio PCI device (BARs, ROM, config space) and register
//! access to them: bounds and alignment checks, and BARs mapped into the
//! process with `mmap` on the device fd.

use std::num::NonZeroUsize;
use std::os::fd::BorrowedFd;
use std::ptr::NonNull;

use nix::sys::mman::{self, MapFlags, ProtFlags};

use crate::error::Error;

/// Region indices of a vfio PCI device (`VFIO_PCI_*_REGION_INDEX`).
pub const BAR0: u32 = 0;
pub const BAR5: u32 = 5;
pub const ROM: u32 = 6;
pub const CONFIG: u32 = 7;
/// Regions 0..NUM_REGIONS can be accessed through this module (the VGA
/// region, 8, is legacy I/O that a switch chip does not have).
pub const NUM_REGIONS: u32 = 8;

/// `VFIO_REGION_INFO_FLAG_*`.
pub const FLAG_READ: u32 = 1 << 0;
pub const FLAG_WRITE: u32 = 1 << 1;
pub const FLAG_MMAP: u32 = 1 << 2;

/// What vfio reports about one region, plus whether this library mapped it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegionInfo {
    pub index: u32,
    /// Bytes; 0 when the device does not implement the region.
    pub size: u64,
    /// Offset of the region in the device fd, for `pread`/`pwrite`/`mmap`.
    pub offset: u64,
    /// `FLAG_*` bits.
    pub flags: u32,
    /// True when register access goes through an `mmap` of the region.
    pub mapped: bool,
}

impl RegionInfo {
    /// Size of the C ABI encoding ([`RegionInfo::encode`]).
    pub const ENCODED_LEN: usize = 32;
    /// Where each field starts in the encoding: u64.
    pub const SIZE_AT: usize = 0;
    /// u64.
    pub const OFFSET_AT: usize = 8;
    /// u32.
    pub const FLAGS_AT: usize = 16;
    /// u32.
    pub const INDEX_AT: usize = 20;
    /// u32, 0 or 1; the 4 bytes after it are reserved (0).
    pub const MAPPED_AT: usize = 24;

    /// Little-endian: size u64, offset u64, flags u32, index u32, mapped
    /// u32, reserved u32 (0).
    pub fn encode(&self) -> [u8; Self::ENCODED_LEN] {
        fn put(b: &mut [u8], at: usize, v: &[u8]) {
            b[at..at + v.len()].copy_from_slice(v);
        }
        let mut b = [0u8; Self::ENCODED_LEN];
        put(&mut b, Self::SIZE_AT, &self.size.to_le_bytes());
        put(&mut b, Self::OFFSET_AT, &self.offset.to_le_bytes());
        put(&mut b, Self::FLAGS_AT, &self.flags.to_le_bytes());
        put(&mut b, Self::INDEX_AT, &self.index.to_le_bytes());
        put(
            &mut b,
            Self::MAPPED_AT,
            &u32::from(self.mapped).to_le_bytes(),
        );
        b
    }
}

/// Human name of a region index, for messages.
pub fn region_name(index: u32) -> String {
    match index {
        0..=5 => format!("BAR{index}"),
        ROM => "the ROM region".to_owned(),
        CONFIG => "config space".to_owned(),
        _ => format!("region {index}"),
    }
}

/// Rejects region indices this module does not handle.
pub fn check_index(index: u32) -> Result<(), Error> {
    if index < NUM_REGIONS {
        return Ok(());
    }
    Err(Error::described(
        libc::EINVAL,
        format!(
            "no region {index}: a PCI device has BAR0..BAR5 (0..5), ROM (6) and config \
             space (7)"
        ),
    ))
}

/// Checks a `width`-byte register access at `offset` of `region`: the
/// region exists and allows it, the access is naturally aligned and fits.
pub fn check_access(r: &RegionInfo, offset: u64, width: usize, write: bool) -> Result<(), Error> {
    let name = region_name(r.index);
    let fail = |msg: String| Err(Error::described(libc::EINVAL, msg));
    if width != 4 && width != 8 {
        return fail(format!("register width {width} is not 4 or 8 bytes"));
    }
    if r.size == 0 {
        return fail(format!("{name} is not implemented by the device"));
    }
    let (needed, verb) = if write {
        (FLAG_WRITE, "written")
    } else {
        (FLAG_READ, "read")
    };
    if r.flags & needed == 0 {
        return fail(format!("{name} cannot be {verb}"));
    }
    if offset % width as u64 != 0 {
        return fail(format!(
            "offset {offset:#x} in {name} is not aligned to {width} bytes"
        ));
    }
    match offset.checked_add(width as u64) {
        Some(end) if end <= r.size => Ok(()),
        _ => fail(format!(
            "{width} bytes at offset {offset:#x} are beyond the end of {name} (size {:#x})",
            r.size
        )),
    }
}

/// A region mapped into the process with `mmap` on the device fd.
///
/// Only accessed through volatile reads and writes of naturally aligned 32-
/// and 64-bit words: device registers, never Rust references.
#[derive(Debug)]
pub struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: a Mapping is an address range owned by this value until drop;
// every access is a volatile load or store of a whole aligned word, which
// any thread may do (the device serialises register accesses itself).
unsafe impl Send for Mapping {}
// SAFETY: as for Send: &Mapping only allows volatile word accesses.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps `len` bytes of `fd` from `offset`, shared and read-write.
    pub fn new(fd: BorrowedFd<'_>, offset: u64, len: usize) -> Result<Mapping, Error> {
        let nz =
            NonZeroUsize::new(len).ok_or(Error::InvalidArgument("cannot map an empty region"))?;
        let off = libc::off_t::try_from(offset).map_err(|_| Error::Overflow)?;
        // SAFETY: with no address hint the kernel picks a range that is not
        // mapped yet, so the new mapping aliases no Rust object; the result
        // is owned by the returned Mapping and unmapped by its drop.
        let p = unsafe {
            mman::mmap(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                fd,
                off,
            )
        }?;
        Ok(Mapping { ptr: p.cast(), len })
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    /// The address of a `width`-byte word at `offset`; panics (which the
    /// C ABI turns into an error) unless it is aligned and inside.
    fn word(&self, offset: usize, width: usize) -> *mut u8 {
        assert!(
            offset % width == 0 && offset.checked_add(width).is_some_and(|e| e <= self.len),
            "register access of {width} bytes at {offset:#x} outside a mapping of {:#x}",
            self.len
        );
        // wrapping_add: the pointer stays in bounds (checked above), this
        // only avoids another unsafe block.
        self.ptr.as_ptr().wrapping_add(offset)
    }

    pub fn read32(&self, offset: usize) -> u32 {
        let p = self.word(offset, 4).cast::<u32>();
        // SAFETY: word() checked that p is 4-aligned (the mapping is page
        // aligned) and inside the mapping, which lives as long as self.
        unsafe { p.read_volatile() }
    }

    pub fn read64(&self, offset: usize) -> u64 {
        let p = self.word(offset, 8).cast::<u64>();
        // SAFETY: as in read32, for 8 bytes.
        unsafe { p.read_volatile() }
    }

    pub fn write32(&self, offset: usize, value: u32) {
        let p = self.word(offset, 4).cast::<u32>();
        // SAFETY: as in read32; the mapping is writable (PROT_WRITE).
        unsafe { p.write_volatile(value) }
    }

    pub fn write64(&self, offset: usize, value: u64) {
        let p = self.word(offset, 8).cast::<u64>();
        // SAFETY: as in write32, for 8 bytes.
        unsafe { p.write_volatile(value) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: ptr/len are exactly what mmap returned and nothing else
        // refers to the range once its owner is dropped.
        let _ = unsafe { mman::munmap(self.ptr.cast(), self.len) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::{File, OpenOptions};
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileExt;

    fn bar(size: u64, flags: u32) -> RegionInfo {
        RegionInfo {
            index: 0,
            size,
            offset: 0,
            flags,
            mapped: false,
        }
    }

    const RW: u32 = FLAG_READ | FLAG_WRITE;

    fn einval_text(r: Result<(), Error>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL, "{e}");
        e.to_string()
    }

    #[test]
    fn aligned_accesses_inside_the_region_pass() {
        let r = bar(0x100000, RW);
        assert_eq!(check_access(&r, 0, 4, false), Ok(()));
        assert_eq!(check_access(&r, 0xffffc, 4, true), Ok(()));
        assert_eq!(check_access(&r, 0xffff8, 8, false), Ok(()));
    }

    #[test]
    fn accesses_past_the_end_are_refused() {
        let r = bar(0x100000, RW);
        let t = einval_text(check_access(&r, 0x100000, 4, false));
        assert_eq!(
            t,
            "4 bytes at offset 0x100000 are beyond the end of BAR0 (size 0x100000)"
        );
        einval_text(check_access(&r, 0xffffc, 8, false));
        einval_text(check_access(&r, u64::MAX - 3, 4, false));
        einval_text(check_access(&r, !7, 8, false));
    }

    #[test]
    fn unaligned_accesses_are_refused() {
        let r = bar(0x1000, RW);
        let t = einval_text(check_access(&r, 2, 4, false));
        assert_eq!(t, "offset 0x2 in BAR0 is not aligned to 4 bytes");
        einval_text(check_access(&r, 4, 8, true));
    }

    #[test]
    fn widths_other_than_4_and_8_are_refused() {
        let r = bar(0x1000, RW);
        for w in [0, 1, 2, 3, 16] {
            einval_text(check_access(&r, 0, w, false));
        }
    }

    #[test]
    fn missing_regions_and_forbidden_directions_are_refused() {
        let t = einval_text(check_access(&bar(0, RW), 0, 4, false));
        assert_eq!(t, "BAR0 is not implemented by the device");
        let ro = bar(0x1000, FLAG_READ);
        assert_eq!(check_access(&ro, 0, 4, false), Ok(()));
        assert_eq!(
            einval_text(check_access(&ro, 0, 4, true)),
            "BAR0 cannot be written"
        );
        let wo = bar(0x1000, FLAG_WRITE);
        assert_eq!(
            einval_text(check_access(&wo, 0, 4, false)),
            "BAR0 cannot be read"
        );
    }

    #[test]
    fn indices_and_flags_are_linuxs() {
        use vfio_bindings::bindings::vfio as linux;
        assert_eq!(BAR0, linux::VFIO_PCI_BAR0_REGION_INDEX);
        assert_eq!(BAR5, linux::VFIO_PCI_BAR5_REGION_INDEX);
        assert_eq!(ROM, linux::VFIO_PCI_ROM_REGION_INDEX);
        assert_eq!(CONFIG, linux::VFIO_PCI_CONFIG_REGION_INDEX);
        assert_eq!(NUM_REGIONS, linux::VFIO_PCI_VGA_REGION_INDEX);
        assert_eq!(FLAG_READ, linux::VFIO_REGION_INFO_FLAG_READ);
        assert_eq!(FLAG_WRITE, linux::VFIO_REGION_INFO_FLAG_WRITE);
        assert_eq!(FLAG_MMAP, linux::VFIO_REGION_INFO_FLAG_MMAP);
    }

    #[test]
    fn region_indices_and_names() {
        assert_eq!(check_index(CONFIG), Ok(()));
        assert_eq!(check_index(BAR5), Ok(()));
        let e = check_index(NUM_REGIONS).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        assert!(e.to_string().starts_with("no region 8"), "{e}");
        assert_eq!(region_name(BAR0), "BAR0");
        assert_eq!(region_name(ROM), "the ROM region");
        assert_eq!(region_name(CONFIG), "config space");
    }

    #[test]
    fn region_info_encoding_is_little_endian_and_fixed() {
        let r = RegionInfo {
            index: 7,
            size: 0x1122334455667788,
            offset: 0x7000000000,
            flags: FLAG_READ | FLAG_MMAP,
            mapped: true,
        };
        let b = r.encode();
        assert_eq!(b.len(), RegionInfo::ENCODED_LEN);
        assert_eq!(&b[0..8], &[0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11]);
        assert_eq!(
            u64::from_le_bytes(b[8..16].try_into().unwrap()),
            0x7000000000
        );
        assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 5);
        assert_eq!(u32::from_le_bytes(b[20..24].try_into().unwrap()), 7);
        assert_eq!(u32::from_le_bytes(b[24..28].try_into().unwrap()), 1);
        assert_eq!(&b[28..32], &[0, 0, 0, 0]);
    }

    /// A file of `len` bytes in the temp directory, removed on drop.
    struct TempFile {
        path: std::path::PathBuf,
        file: File,
    }

    impl TempFile {
        fn new(tag: &str, len: u64) -> TempFile {
            let path =
                std::env::temp_dir().join(format!("xeth-vfio-map-{}-{tag}", std::process::id()));
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .open(&path)
                .unwrap();
            file.set_len(len).unwrap();
            TempFile { path, file }
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    #[test]
    fn a_mapping_reads_and_writes_the_file_behind_it() {
        // A shared file mapping stands in for a BAR: same mmap call, same
        // volatile accesses.
        let t = TempFile::new("rw", 8192);
        t.file
            .write_all_at(&0xdeadbeefu32.to_ne_bytes(), 4096 + 8)
            .unwrap();
        let m = Mapping::new(t.file.as_fd(), 4096, 4096).unwrap();
        assert_eq!(m.len(), 4096);
        assert_eq!(m.read32(8), 0xdeadbeef);
        m.write32(12, 0x01020304);
        m.write64(16, 0x1122334455667788);
        assert_eq!(m.read64(16), 0x1122334455667788);
        let mut b = [0u8; 12];
        t.file.read_exact_at(&mut b, 4096 + 12).unwrap();
        assert_eq!(u32::from_ne_bytes(b[0..4].try_into().unwrap()), 0x01020304);
        assert_eq!(
            u64::from_ne_bytes(b[4..12].try_into().unwrap()),
            0x1122334455667788
        );
    }

    #[test]
    fn mapping_refuses_empty_and_unmappable_ranges() {
        let t = TempFile::new("bad", 4096);
        assert!(matches!(
            Mapping::new(t.file.as_fd(), 0, 0),
            Err(Error::InvalidArgument(_))
        ));
        // an offset that is not page aligned is EINVAL from the kernel
        assert_eq!(
            Mapping::new(t.file.as_fd(), 1, 4096).unwrap_err(),
            Error::Os(libc::EINVAL)
        );
    }

    #[test]
    fn out_of_bounds_words_panic_instead_of_touching_memory() {
        let t = TempFile::new("oob", 4096);
        let m = Mapping::new(t.file.as_fd(), 0, 4096).unwrap();
        for (off, w) in [
            (4096usize, 4usize),
            (4092, 8),
            (2, 4),
            (4, 8),
            (usize::MAX, 4),
        ] {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if w == 4 {
                    m.read32(off);
                } else {
                    m.read64(off);
                }
            }));
            assert!(r.is_err(), "offset {off:#x} width {w} was allowed");
        }
    }
}
