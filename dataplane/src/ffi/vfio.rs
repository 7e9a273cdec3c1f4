//! C ABI of [`crate::vfio`]: vfio-pci devices and their DMA buffers, each
//! named by an integer handle.
//!
//! Conventions are those of the parent module: `isize` returns, `-errno`
//! plus a message on failure. Region indices: 0..5 BAR0..BAR5, 6 ROM, 7
//! config space. Interrupt indices: 0 INTx, 1 MSI, 2 MSI-X.
//!
//! Closing a device handle while DMA buffers of it are still mapped keeps
//! the device open until the last of them is unmapped.

use std::sync::Arc;

use super::{guard, in_slice, out_buf, out_slice};
use crate::error::Error;
use crate::handles::Handles;
use crate::vfio::{Device, DmaBuffer, PciAddress, RegionInfo};

static DEVICES: Handles<Device> = Handles::new();
static DMA_BUFFERS: Handles<DmaBuffer> = Handles::new();

fn device(h: usize) -> Result<Arc<Device>, Error> {
    DEVICES.get(h)
}

fn dma_buffer(h: usize) -> Result<Arc<DmaBuffer>, Error> {
    DMA_BUFFERS.get(h)
}

/// Opens the vfio-pci device at the PCI address `addr` (`len` bytes of
/// UTF-8, no NUL needed, e.g. `0000:00:04.0`). Returns a device handle.
///
/// # Safety
///
/// `addr` must be valid for reads of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_vfio_open(addr: *const u8, len: usize) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let bytes = unsafe { in_slice(addr, len) }?;
        let s = std::str::from_utf8(bytes)
            .map_err(|_| Error::InvalidArgument("PCI address is not UTF-8"))?;
        let addr = PciAddress::parse(s)?;
        Ok(DEVICES.insert(Device::open(&addr)?))
    })
}

/// Closes a device handle. Returns 0, or `-EBADF` for an unknown handle.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_close(dev: usize) -> isize {
    guard(|| DEVICES.remove(dev).map(|_| 0))
}

/// Writes what vfio reports about region `index` into `out`
/// ([`RegionInfo::ENCODED_LEN`] = 32 bytes, little-endian): size u64,
/// offset u64, flags u32 (1 read, 2 write, 4 mmap), index u32, mapped u32
/// (1 when registers are accessed through an mmap), 4 reserved bytes.
/// Returns 32.
///
/// # Safety
///
/// `out` must be null or valid for writes of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_vfio_region_info(
    dev: usize,
    index: u32,
    out: *mut u8,
    len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is exactly out_buf's.
        let out = unsafe { out_buf(out, len) }?;
        let dst = out
            .get_mut(..RegionInfo::ENCODED_LEN)
            .ok_or(Error::BufferTooSmall {
                needed: RegionInfo::ENCODED_LEN,
                got: len,
            })?;
        let info = device(dev)?.region_info(index)?.encode();
        dst.copy_from_slice(&info);
        Ok(info.len())
    })
}

/// Reads the 32-bit register at `offset` of region `region`. Returns its
/// value (0..=0xffffffff).
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_read32(dev: usize, region: u32, offset: u64) -> isize {
    guard(|| Ok(device(dev)?.read32(region, offset)? as usize))
}

/// Reads the 64-bit register at `offset` of region `region` into `out`
/// (8 bytes, native byte order, i.e. a u64 in memory). Returns 8.
///
/// # Safety
///
/// `out` must be null or valid for writes of `len` bytes during the call.
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_vfio_read64(
    dev: usize,
    region: u32,
    offset: u64,
    out: *mut u8,
    len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is exactly out_buf's.
        let out = unsafe { out_buf(out, len) }?;
        let dst = out.get_mut(..8).ok_or(Error::BufferTooSmall {
            needed: 8,
            got: len,
        })?;
        let v = device(dev)?.read64(region, offset)?;
        dst.copy_from_slice(&v.to_ne_bytes());
        Ok(8)
    })
}

/// Writes `value` to the 32-bit register at `offset` of region `region`.
/// Returns 0.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_write32(dev: usize, region: u32, offset: u64, value: u32) -> isize {
    guard(|| device(dev)?.write32(region, offset, value).map(|_| 0))
}

/// Writes `value` to the 64-bit register at `offset` of region `region`,
/// in one access. Returns 0.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_write64(dev: usize, region: u32, offset: u64, value: u64) -> isize {
    guard(|| device(dev)?.write64(region, offset, value).map(|_| 0))
}

/// Maps `size` bytes of zeroed memory for DMA by the device at `iova`,
/// which must be page aligned, with the whole buffer at or below
/// `dma_mask` (the highest address the device can reach, e.g. `0xfffffff`
/// for 28 address bits; `u64::MAX` for no limit). Returns a DMA handle.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_dma_map(dev: usize, size: usize, iova: u64, dma_mask: u64) -> isize {
    guard(|| {
        let buf = device(dev)?.dma_map(size, iova, dma_mask)?;
        Ok(DMA_BUFFERS.insert(buf))
    })
}

/// Unmaps a DMA buffer and frees it. Returns 0.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_dma_unmap(dma: usize) -> isize {
    guard(|| DMA_BUFFERS.remove(dma).map(|_| 0))
}

/// Copies `len` bytes from `src` into the DMA buffer at `offset`. Returns
/// `len`.
///
/// # Safety
///
/// `src` must be valid for reads of `len` bytes during the call (null is
/// allowed when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_vfio_dma_write(
    dma: usize,
    offset: usize,
    src: *const u8,
    len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is in_slice's.
        let data = unsafe { in_slice(src, len) }?;
        dma_buffer(dma)?.write(offset, data)?;
        Ok(len)
    })
}

/// Copies `len` bytes of the DMA buffer at `offset` into `dst`. Returns
/// `len`.
///
/// # Safety
///
/// `dst` must be valid for writes of `len` bytes during the call (null is
/// allowed when `len` is 0).
#[no_mangle]
pub unsafe extern "C" fn xeth_dp_vfio_dma_read(
    dma: usize,
    offset: usize,
    dst: *mut u8,
    len: usize,
) -> isize {
    guard(|| {
        // SAFETY: the caller's contract above is out_slice's.
        let out = unsafe { out_slice(dst, len) }?;
        dma_buffer(dma)?.read(offset, out)?;
        Ok(len)
    })
}

/// Number of vectors the device offers at interrupt `index` (0: none).
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_irq_count(dev: usize, index: u32) -> isize {
    guard(|| Ok(device(dev)?.irq_count(index) as usize))
}

/// Enables vectors `0..count` of interrupt `index`, each signalling an
/// eventfd. Returns the eventfd of vector 0, which the caller may poll and
/// read (8 bytes: the number of interrupts since the last read) but must
/// not close. One index at a time: `-EBUSY` while another is enabled.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_irq_enable(dev: usize, index: u32, count: u32) -> isize {
    guard(|| {
        let fd = device(dev)?.irq_enable(index, count)?;
        usize::try_from(fd).map_err(|_| Error::Overflow)
    })
}

/// The eventfd of `vector` of enabled interrupt `index`.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_irq_fd(dev: usize, index: u32, vector: u32) -> isize {
    guard(|| {
        let fd = device(dev)?.irq_fd(index, vector)?;
        usize::try_from(fd).map_err(|_| Error::Overflow)
    })
}

/// Waits up to `timeout_ms` milliseconds (negative: forever) for `vector`
/// of interrupt `index`. Returns the number of interrupts that arrived
/// since the last wait or read, 0 on timeout. Blocks the calling thread.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_irq_wait(
    dev: usize,
    index: u32,
    vector: u32,
    timeout_ms: i32,
) -> isize {
    guard(|| {
        let n = device(dev)?.irq_wait(index, vector, timeout_ms)?;
        usize::try_from(n).map_err(|_| Error::Overflow)
    })
}

/// Unmasks INTx after the device has been told to lower it (vfio masks
/// INTx each time it fires). Returns 0.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_irq_unmask(dev: usize, index: u32) -> isize {
    guard(|| device(dev)?.irq_unmask(index).map(|_| 0))
}

/// Disables interrupt `index` and closes its eventfds. Returns 0.
#[no_mangle]
pub extern "C" fn xeth_dp_vfio_irq_disable(dev: usize, index: u32) -> isize {
    guard(|| device(dev)?.irq_disable(index).map(|_| 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const EBADF: isize = -(libc::EBADF as isize);
    const EINVAL: isize = -(libc::EINVAL as isize);

    fn last_error() -> String {
        let mut buf = [0u8; 1024];
        // SAFETY: buf is a live local array of buf.len() bytes.
        let n = unsafe { super::super::xeth_dp_last_error(buf.as_mut_ptr(), buf.len()) };
        assert!(n >= 0);
        String::from_utf8(buf[..n as usize].to_vec()).unwrap()
    }

    fn open(s: &str) -> isize {
        // SAFETY: s is a live str of s.len() bytes.
        unsafe { xeth_dp_vfio_open(s.as_ptr(), s.len()) }
    }

    #[test]
    fn open_rejects_a_malformed_address_with_the_expected_form() {
        assert_eq!(open("zz:1"), EINVAL);
        let t = last_error();
        assert!(t.starts_with("invalid PCI address \"zz:1\""), "{t}");
        assert_eq!(open(""), EINVAL);
        // SAFETY: an invalid UTF-8 byte string, read within its length.
        let n = unsafe { xeth_dp_vfio_open(b"\xff\xfe".as_ptr(), 2) };
        assert_eq!(n, EINVAL);
        assert_eq!(last_error(), "invalid argument: PCI address is not UTF-8");
    }

    #[test]
    fn open_of_a_missing_device_is_enoent() {
        assert_eq!(open("ffff:ff:1f.7"), -(libc::ENOENT as isize));
        assert!(last_error().starts_with("no PCI device ffff:ff:1f.7"));
    }

    #[test]
    fn open_with_a_null_address_is_einval() {
        // SAFETY: null is allowed by in_slice's contract.
        let n = unsafe { xeth_dp_vfio_open(std::ptr::null(), 12) };
        assert_eq!(n, EINVAL);
        assert_eq!(
            last_error(),
            "invalid argument: null array with a non-zero length"
        );
    }

    #[test]
    fn unknown_handles_are_ebadf() {
        assert_eq!(xeth_dp_vfio_close(0), EBADF);
        assert_eq!(xeth_dp_vfio_close(usize::MAX), EBADF);
        assert_eq!(xeth_dp_vfio_read32(12345, 0, 0), EBADF);
        assert_eq!(xeth_dp_vfio_write32(12345, 0, 0, 1), EBADF);
        assert_eq!(xeth_dp_vfio_write64(12345, 0, 0, 1), EBADF);
        assert_eq!(xeth_dp_vfio_dma_map(12345, 4096, 0, u64::MAX), EBADF);
        assert_eq!(xeth_dp_vfio_dma_unmap(12345), EBADF);
        assert_eq!(xeth_dp_vfio_irq_count(12345, 1), EBADF);
        assert_eq!(xeth_dp_vfio_irq_enable(12345, 1, 1), EBADF);
        assert_eq!(xeth_dp_vfio_irq_fd(12345, 1, 0), EBADF);
        assert_eq!(xeth_dp_vfio_irq_wait(12345, 1, 0, 0), EBADF);
        assert_eq!(xeth_dp_vfio_irq_unmask(12345, 0), EBADF);
        assert_eq!(xeth_dp_vfio_irq_disable(12345, 1), EBADF);
        let mut b = [0u8; 32];
        // SAFETY: b is a live local array of b.len() bytes.
        let n = unsafe { xeth_dp_vfio_region_info(12345, 0, b.as_mut_ptr(), b.len()) };
        assert_eq!(n, EBADF);
        // SAFETY: as above.
        let n = unsafe { xeth_dp_vfio_read64(12345, 0, 0, b.as_mut_ptr(), b.len()) };
        assert_eq!(n, EBADF);
        // SAFETY: as above.
        let n = unsafe { xeth_dp_vfio_dma_read(12345, 0, b.as_mut_ptr(), 4) };
        assert_eq!(n, EBADF);
        // SAFETY: as above.
        let n = unsafe { xeth_dp_vfio_dma_write(12345, 0, b.as_ptr(), 4) };
        assert_eq!(n, EBADF);
    }

    #[test]
    fn output_buffers_are_checked_before_the_handle() {
        // SAFETY: null is allowed by out_buf's contract.
        let n = unsafe { xeth_dp_vfio_region_info(1, 0, std::ptr::null_mut(), 32) };
        assert_eq!(n, EINVAL);
        // SAFETY: null is allowed by out_buf's contract.
        let n = unsafe { xeth_dp_vfio_read64(1, 0, 0, std::ptr::null_mut(), 8) };
        assert_eq!(n, EINVAL);
        let mut small = [0u8; 4];
        // SAFETY: small is a live local array of small.len() bytes.
        let n = unsafe { xeth_dp_vfio_read64(1, 0, 0, small.as_mut_ptr(), small.len()) };
        assert_eq!(n, -(libc::ERANGE as isize));
        assert_eq!(last_error(), "buffer too small: need 8 bytes, got 4");
    }
}
