//! DMA buffers: anonymous memory mapped into a device's IOMMU domain at an
//! IOVA the caller chooses.
//!
//! Once mapped, the device may read or write the memory at any time, so the
//! process never makes Rust references to it: contents are copied in and
//! out with volatile accesses only.

use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::Arc;

use nix::sys::mman::{self, MapFlags, ProtFlags};

use super::Device;
use crate::error::Error;

/// Page size of the IOMMU mappings; IOVAs must be aligned to it.
pub fn page_size() -> usize {
    // SAFETY: sysconf reads a constant of the system and has no
    // preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

/// Checks a mapping request: a non-empty size, a page-aligned IOVA, and a
/// range `iova..iova+size` that the device can address (`dma_mask`, e.g.
/// `(1 << 28) - 1` for a device with 28 address bits; `u64::MAX` for any).
/// Returns the size rounded up to whole pages, the length mapped.
pub fn check_request(size: usize, iova: u64, dma_mask: u64, page: usize) -> Result<usize, Error> {
    let fail = |msg: String| Err(Error::described(libc::EINVAL, msg));
    if size == 0 {
        return fail("a DMA buffer needs a size above 0".to_owned());
    }
    if iova % page as u64 != 0 {
        return fail(format!(
            "IOVA {iova:#x} is not aligned to the page size ({page:#x})"
        ));
    }
    let Some(len) = size.checked_next_multiple_of(page) else {
        return fail(format!("DMA buffer size {size:#x} is too large"));
    };
    match iova.checked_add(len as u64 - 1) {
        Some(last) if last <= dma_mask => Ok(len),
        _ => fail(format!(
            "IOVA range {iova:#x}..{:#x} ({len:#x} bytes) is outside the device's DMA mask \
             {dma_mask:#x}; choose an IOVA the device can address",
            iova.saturating_add(len as u64)
        )),
    }
}

/// Checks that `len` bytes at `offset` lie inside a buffer of `size`.
pub fn check_span(size: usize, offset: usize, len: usize) -> Result<(), Error> {
    match offset.checked_add(len) {
        Some(end) if end <= size => Ok(()),
        _ => Err(Error::described(
            libc::EINVAL,
            format!(
                "{len} bytes at offset {offset:#x} are beyond the end of the DMA buffer \
                 (size {size:#x})"
            ),
        )),
    }
}

/// Anonymous, page-aligned memory that may be shared with a device.
#[derive(Debug)]
pub struct Memory {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: Memory owns its address range; all accesses are volatile byte
// copies through raw pointers, which any thread may make.
unsafe impl Send for Memory {}
// SAFETY: as for Send: &Memory allows volatile copies only.
unsafe impl Sync for Memory {}

impl Memory {
    /// `len` bytes of zeroed memory, private to the process.
    pub fn new(len: usize) -> Result<Memory, Error> {
        let nz = NonZeroUsize::new(len).ok_or(Error::InvalidArgument(
            "cannot allocate an empty DMA buffer",
        ))?;
        // SAFETY: a new anonymous mapping at an address the kernel chooses
        // aliases nothing; it is owned by the returned Memory.
        let p = unsafe {
            mman::mmap_anonymous(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_PRIVATE,
            )
        }?;
        Ok(Memory { ptr: p.cast(), len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The start of the memory, for the IOMMU mapping only.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }

    /// Copies `data` into the memory at `offset`.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<(), Error> {
        check_span(self.len, offset, data.len())?;
        let base = self.ptr.as_ptr().wrapping_add(offset);
        for (i, &b) in data.iter().enumerate() {
            // SAFETY: offset + i < offset + data.len() <= len (checked
            // above), so the byte is inside the mapping owned by self.
            unsafe { base.add(i).write_volatile(b) };
        }
        Ok(())
    }

    /// Copies `out.len()` bytes of the memory at `offset` into `out`.
    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<(), Error> {
        check_span(self.len, offset, out.len())?;
        let base = self.ptr.as_ptr().wrapping_add(offset);
        for (i, b) in out.iter_mut().enumerate() {
            // SAFETY: as in write.
            *b = unsafe { base.add(i).read_volatile() };
        }
        Ok(())
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: ptr/len are what mmap returned; no reference into the
        // range exists (only raw volatile accesses, all finished).
        let _ = unsafe { mman::munmap(self.ptr.cast(), self.len) };
    }
}

/// Memory mapped for DMA by one device at `iova`. Unmapped (from the IOMMU,
/// then from the process) on drop. Keeps its device open while it lives.
#[derive(Debug)]
pub struct DmaBuffer {
    // Field order matters only in drop(), which unmaps explicitly.
    mem: Option<Memory>,
    iova: u64,
    size: usize,
    device: Arc<Device>,
}

impl DmaBuffer {
    /// Allocates `size` bytes (rounded up to pages) and maps them for
    /// `device` at `iova`, which must be page aligned and, with the whole
    /// buffer, inside `dma_mask`.
    pub fn new(
        device: &Arc<Device>,
        size: usize,
        iova: u64,
        dma_mask: u64,
    ) -> Result<DmaBuffer, Error> {
        let len = check_request(size, iova, dma_mask, page_size())?;
        let mem = Memory::new(len)?;
        // SAFETY: vfio_dma_map's contract: until the IOVA range is unmapped
        // (drop(), below) the memory is used only through raw-pointer
        // volatile accesses (Memory::read/write) and is neither referenced
        // nor unmapped; Memory owns the range exclusively.
        let r = unsafe { device.container().vfio_dma_map(iova, len, mem.as_ptr()) };
        r.map_err(|e| super::errors::dma_map_failed(&e, iova, len))?;
        Ok(DmaBuffer {
            mem: Some(mem),
            iova,
            size,
            device: Arc::clone(device),
        })
    }

    pub fn iova(&self) -> u64 {
        self.iova
    }

    /// The size asked for (the mapping itself is rounded up to pages).
    pub fn size(&self) -> usize {
        self.size
    }

    fn mem(&self) -> &Memory {
        // Only drop() takes it.
        self.mem
            .as_ref()
            .expect("DMA buffer memory present until drop")
    }

    /// Copies `data` into the buffer at `offset`.
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<(), Error> {
        check_span(self.size, offset, data.len())?;
        self.mem().write(offset, data)
    }

    /// Copies from the buffer at `offset` into `out`.
    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<(), Error> {
        check_span(self.size, offset, out.len())?;
        self.mem().read(offset, out)
    }
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        let Some(mem) = self.mem.take() else { return };
        match self.device.container().vfio_dma_unmap(self.iova, mem.len()) {
            Ok(()) => drop(mem),
            // The device may still reach the pages: keep them allocated
            // (and never reused) rather than hand them back.
            Err(_) => std::mem::forget(mem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASK28: u64 = (1 << 28) - 1;

    fn einval(r: Result<usize, Error>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL, "{e}");
        e.to_string()
    }

    #[test]
    fn page_size_is_a_power_of_two() {
        let p = page_size();
        assert!(p >= 4096 && p.is_power_of_two(), "{p}");
    }

    #[test]
    fn requests_inside_the_mask_round_up_to_pages() {
        assert_eq!(check_request(4096, 0x100000, MASK28, 4096), Ok(4096));
        assert_eq!(check_request(1, 0, MASK28, 4096), Ok(4096));
        assert_eq!(check_request(4097, 0, MASK28, 4096), Ok(8192));
        // the last page of the mask is usable
        assert_eq!(
            check_request(4096, MASK28 + 1 - 4096, MASK28, 4096),
            Ok(4096)
        );
        assert_eq!(
            check_request(4096, u64::MAX - 4095, u64::MAX, 4096),
            Ok(4096)
        );
    }

    #[test]
    fn requests_outside_the_mask_are_refused_with_the_range() {
        let t = einval(check_request(4096, 1 << 28, MASK28, 4096));
        assert_eq!(
            t,
            "IOVA range 0x10000000..0x10001000 (0x1000 bytes) is outside the device's DMA \
             mask 0xfffffff; choose an IOVA the device can address"
        );
        // straddling the top of the mask
        einval(check_request(8192, MASK28 + 1 - 4096, MASK28, 4096));
        // wrapping around the address space
        einval(check_request(8192, u64::MAX - 4095, u64::MAX, 4096));
    }

    #[test]
    fn empty_unaligned_and_huge_requests_are_refused() {
        assert_eq!(
            einval(check_request(0, 0, MASK28, 4096)),
            "a DMA buffer needs a size above 0"
        );
        assert_eq!(
            einval(check_request(4096, 0x100800, MASK28, 4096)),
            "IOVA 0x100800 is not aligned to the page size (0x1000)"
        );
        einval(check_request(usize::MAX, 0, u64::MAX, 4096));
    }

    #[test]
    fn spans_must_fit() {
        assert_eq!(check_span(4096, 0, 4096), Ok(()));
        assert_eq!(check_span(4096, 4096, 0), Ok(()));
        let e = check_span(4096, 4095, 2).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        assert_eq!(
            e.to_string(),
            "2 bytes at offset 0xfff are beyond the end of the DMA buffer (size 0x1000)"
        );
        assert!(check_span(4096, usize::MAX, 2).is_err());
    }

    #[test]
    fn memory_starts_zeroed_and_round_trips() {
        let m = Memory::new(8192).unwrap();
        assert_eq!(m.len(), 8192);
        assert_eq!(m.as_ptr() as usize % page_size(), 0);
        let mut out = [0xffu8; 16];
        m.read(8192 - 16, &mut out).unwrap();
        assert_eq!(out, [0u8; 16]);
        let pattern: Vec<u8> = (0..=255u8).collect();
        m.write(100, &pattern).unwrap();
        let mut back = vec![0u8; 256];
        m.read(100, &mut back).unwrap();
        assert_eq!(back, pattern);
        let mut one = [0u8; 1];
        m.read(99, &mut one).unwrap();
        assert_eq!(one, [0]);
    }

    #[test]
    fn memory_refuses_out_of_bounds_copies() {
        let m = Memory::new(4096).unwrap();
        assert!(m.write(4090, &[0u8; 7]).is_err());
        let mut out = [0u8; 2];
        assert!(m.read(4095, &mut out).is_err());
        assert!(matches!(Memory::new(0), Err(Error::InvalidArgument(_))));
    }
}
