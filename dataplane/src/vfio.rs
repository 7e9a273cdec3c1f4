//! Register, DMA and interrupt access to a PCI device bound to `vfio-pci`:
//! the switch chip of the unlinked-switch mode.
//!
//! [`Device::open`] takes a PCI address, checks in sysfs that the device
//! can be used (it exists, has an IOMMU group, is bound to vfio-pci), then
//! opens a vfio container, the device's group and the device with
//! [`vfio_ioctls`]. One container per device: devices do not share an
//! IOVA space.
//!
//! * Registers: [`Device::read32`] and friends on a region (BAR0..BAR5,
//!   ROM, config space), with bounds and alignment checks. BARs that vfio
//!   allows to map are `mmap`ed from the device fd at open; the others go
//!   through `pread`/`pwrite` on it.
//! * DMA: [`Device::dma_map`] maps fresh memory at an IOVA inside the
//!   device's DMA mask; [`DmaBuffer`] copies data in and out.
//! * Interrupts: [`Device::irq_enable`] gives each vector an eventfd;
//!   [`Device::irq_wait`] waits on one.
//!
//! Errors say what to do, and carry these errnos:
//!
//! | errno    | cause                                                        |
//! |----------|--------------------------------------------------------------|
//! | `EINVAL` | malformed PCI address; bad region, offset, width, IOVA, size |
//! | `ENOENT` | no such PCI device; no `/dev/vfio/vfio` (vfio not loaded)    |
//! | `ENXIO`  | the device has no IOMMU group (no IOMMU)                     |
//! | `ENODEV` | the device is not bound to vfio-pci (unbound or elsewhere)   |
//! | `EACCES` | permission denied on `/dev/vfio/N`                           |
//! | `EBUSY`  | group not viable (a group member has a kernel driver), group already open, another interrupt index enabled |
//! | `EPERM`  | the IOMMU refuses the group (no interrupt remapping)         |

use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard};

use nix::sys::uio::{pread, pwrite};
use vfio_ioctls::{VfioContainer, VfioDevice, VfioError, VfioOps, VfioRegionInfoCap};

use crate::error::Error;

mod address;
mod dma;
mod errors;
mod irq;
mod region;
mod sysfs;

pub use address::PciAddress;
pub use dma::DmaBuffer;
pub use irq::{INTX, MSI, MSIX};
pub use region::{RegionInfo, BAR0, BAR5, CONFIG, FLAG_MMAP, FLAG_READ, FLAG_WRITE, ROM};

use region::{check_access, check_index, Mapping, NUM_REGIONS};
use sysfs::Sysfs;

/// Offset and bits of the PCI command register in config space.
const PCI_COMMAND: u64 = 0x04;
const PCI_COMMAND_MEMORY: u16 = 0x2;
const PCI_COMMAND_MASTER: u16 = 0x4;

/// Interrupt indices vfio-pci defines: INTx, MSI, MSI-X, ERR, REQ.
const NUM_IRQS: u32 = 5;

/// An open vfio-pci device.
pub struct Device {
    // Dropped in this order: the BAR mappings before the device fd.
    bars: Vec<Option<Mapping>>,
    regions: Vec<RegionInfo>,
    irqs: irq::Enabled,
    /// Serialises enabling and disabling of interrupts.
    irq_ops: Mutex<()>,
    device: VfioDevice,
    container: Arc<VfioContainer>,
    address: PciAddress,
    group: u32,
}

impl fmt::Debug for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Device")
            .field("address", &self.address)
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl Device {
    /// Opens the device at `addr`, maps its BARs, and turns on memory
    /// decoding and bus mastering (which DMA and MSI need).
    pub fn open(addr: &PciAddress) -> Result<Device, Error> {
        Device::open_in(&Sysfs::default(), addr)
    }

    fn open_in(sysfs: &Sysfs, addr: &PciAddress) -> Result<Device, Error> {
        let usable = sysfs.usable(addr)?;
        let container =
            Arc::new(VfioContainer::new(None).map_err(|e| errors::container_failed(&e))?);
        let ops: Arc<dyn VfioOps> = container.clone();
        let device = VfioDevice::new(&usable.path, ops, false).map_err(|e| match e {
            VfioError::GroupViable => sysfs.not_viable(addr, usable.group),
            e => errors::device_failed(&e, addr, usable.group),
        })?;
        let mut dev = Device {
            bars: Vec::new(),
            regions: Vec::new(),
            irqs: irq::Enabled::default(),
            irq_ops: Mutex::new(()),
            device,
            container,
            address: *addr,
            group: usable.group,
        };
        dev.regions = (0..NUM_REGIONS).map(|i| dev.query_region(i)).collect();
        dev.bars = (0..=region::BAR5).map(|i| dev.map_bar(i)).collect();
        for (r, m) in dev.regions.iter_mut().zip(&dev.bars) {
            r.mapped = m.is_some();
        }
        dev.enable_bus_master()?;
        Ok(dev)
    }

    pub fn address(&self) -> PciAddress {
        self.address
    }

    /// The IOMMU group, the N of `/dev/vfio/N`.
    pub fn group(&self) -> u32 {
        self.group
    }

    pub(crate) fn container(&self) -> &VfioContainer {
        &self.container
    }

    fn query_region(&self, index: u32) -> RegionInfo {
        RegionInfo {
            index,
            size: self.device.get_region_size(index),
            offset: self.device.get_region_offset(index),
            flags: self.device.get_region_flags(index),
            mapped: false,
        }
    }

    /// Maps a BAR when vfio allows it as a whole; None means register
    /// access goes through pread/pwrite (BARs with sparse mappings, e.g.
    /// the MSI-X table's, and any mapping the kernel refuses).
    fn map_bar(&self, index: u32) -> Option<Mapping> {
        let r = self.regions[index as usize];
        if r.size == 0 || r.flags & FLAG_MMAP == 0 {
            return None;
        }
        let sparse = self
            .device
            .get_region_caps(index)
            .iter()
            .any(|c| matches!(c, VfioRegionInfoCap::SparseMmap(_)));
        if sparse {
            return None;
        }
        let len = usize::try_from(r.size).ok()?;
        Mapping::new(self.fd(), r.offset, len).ok()
    }

    fn enable_bus_master(&self) -> Result<(), Error> {
        let cfg = self.regions[CONFIG as usize];
        let mut b = [0u8; 2];
        self.pread_exact(&mut b, cfg.offset + PCI_COMMAND)?;
        let cmd = u16::from_le_bytes(b) | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
        self.pwrite_all(&cmd.to_le_bytes(), cfg.offset + PCI_COMMAND)
    }

    /// The device fd, for mmap, pread and pwrite.
    fn fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the VfioDevice owns this open fd until it is dropped, and
        // the borrow cannot outlive &self, hence the VfioDevice.
        unsafe { BorrowedFd::borrow_raw(self.device.as_raw_fd()) }
    }

    fn pread_exact(&self, buf: &mut [u8], pos: u64) -> Result<(), Error> {
        let off = libc::off_t::try_from(pos).map_err(|_| Error::Overflow)?;
        let n = pread(self.fd(), buf, off)?;
        short_io(n, buf.len(), pos)
    }

    fn pwrite_all(&self, buf: &[u8], pos: u64) -> Result<(), Error> {
        let off = libc::off_t::try_from(pos).map_err(|_| Error::Overflow)?;
        let n = pwrite(self.fd(), buf, off)?;
        short_io(n, buf.len(), pos)
    }

    /// What vfio reports about region `index` (see [`RegionInfo`]).
    pub fn region_info(&self, index: u32) -> Result<RegionInfo, Error> {
        check_index(index)?;
        Ok(self.regions[index as usize])
    }

    fn mapping(&self, index: u32) -> Option<&Mapping> {
        self.bars.get(index as usize).and_then(Option::as_ref)
    }

    /// Checks an access and returns where it goes: the mapping and offset,
    /// or the position in the device fd.
    fn locate(
        &self,
        index: u32,
        offset: u64,
        width: usize,
        write: bool,
    ) -> Result<Target<'_>, Error> {
        let r = self.region_info(index)?;
        check_access(&r, offset, width, write)?;
        Ok(match self.mapping(index) {
            // check_access bounded offset by a size that fit in usize.
            Some(m) => Target::Mapped(m, offset as usize),
            None => Target::File(r.offset + offset),
        })
    }

    /// Reads the 32-bit register at `offset` of region `index`.
    pub fn read32(&self, index: u32, offset: u64) -> Result<u32, Error> {
        match self.locate(index, offset, 4, false)? {
            Target::Mapped(m, off) => Ok(u32::from_le(m.read32(off))),
            Target::File(pos) => {
                let mut b = [0u8; 4];
                self.pread_exact(&mut b, pos)?;
                Ok(u32::from_le_bytes(b))
            }
        }
    }

    /// Reads the 64-bit register at `offset` of region `index`, in one
    /// access.
    pub fn read64(&self, index: u32, offset: u64) -> Result<u64, Error> {
        match self.locate(index, offset, 8, false)? {
            Target::Mapped(m, off) => Ok(u64::from_le(m.read64(off))),
            Target::File(pos) => {
                let mut b = [0u8; 8];
                self.pread_exact(&mut b, pos)?;
                Ok(u64::from_le_bytes(b))
            }
        }
    }

    /// Writes the 32-bit register at `offset` of region `index`.
    pub fn write32(&self, index: u32, offset: u64, value: u32) -> Result<(), Error> {
        match self.locate(index, offset, 4, true)? {
            Target::Mapped(m, off) => {
                m.write32(off, value.to_le());
                Ok(())
            }
            Target::File(pos) => self.pwrite_all(&value.to_le_bytes(), pos),
        }
    }

    /// Writes the 64-bit register at `offset` of region `index`, in one
    /// access.
    pub fn write64(&self, index: u32, offset: u64, value: u64) -> Result<(), Error> {
        match self.locate(index, offset, 8, true)? {
            Target::Mapped(m, off) => {
                m.write64(off, value.to_le());
                Ok(())
            }
            Target::File(pos) => self.pwrite_all(&value.to_le_bytes(), pos),
        }
    }

    /// Maps `size` bytes of fresh, zeroed memory for DMA by this device at
    /// `iova` (page aligned; the whole buffer within `dma_mask`). The
    /// buffer keeps the device open until it is dropped.
    pub fn dma_map(
        self: &Arc<Self>,
        size: usize,
        iova: u64,
        dma_mask: u64,
    ) -> Result<DmaBuffer, Error> {
        DmaBuffer::new(self, size, iova, dma_mask)
    }

    /// Vectors the device offers at interrupt `index` (0: none).
    pub fn irq_count(&self, index: u32) -> u32 {
        self.device.get_irq_info(index).map_or(0, |i| i.count)
    }

    fn irq_lock(&self) -> MutexGuard<'_, ()> {
        self.irq_ops.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Enables vectors `0..count` of interrupt `index` (INTX, MSI or MSIX),
    /// each signalling its own eventfd; returns the eventfd of vector 0.
    /// Only one index may be enabled at a time.
    pub fn irq_enable(&self, index: u32, count: u32) -> Result<RawFd, Error> {
        let _ops = self.irq_lock();
        let available = if index < NUM_IRQS {
            self.irq_count(index)
        } else {
            0
        };
        let name = irq::irq_name(index);
        if available == 0 {
            return Err(Error::described(
                libc::EINVAL,
                format!("{} has no {name} interrupts", self.address),
            ));
        }
        if count == 0 || count > available {
            return Err(Error::described(
                libc::EINVAL,
                format!(
                    "cannot enable {count} {name} vectors: {} has {available}",
                    self.address
                ),
            ));
        }
        if let Some(active) = self.irqs.active() {
            let what = if active == index {
                format!("{name} is already enabled")
            } else {
                format!("{} is enabled", irq::irq_name(active))
            };
            return Err(Error::described(
                libc::EBUSY,
                format!("{what}; disable it before enabling {name}"),
            ));
        }
        let vectors = irq::Vectors::new(count)?;
        self.device
            .enable_irq(index, vectors.eventfds())
            .map_err(|_| errors::irq_failed("enable", index, io::Error::last_os_error()))?;
        self.irqs.insert(index, vectors).raw_fd(0)
    }

    /// The eventfd of `vector` of enabled interrupt `index`. It stays open
    /// until the index is disabled or the device closed; do not close it.
    pub fn irq_fd(&self, index: u32, vector: u32) -> Result<RawFd, Error> {
        self.irqs.get(index)?.raw_fd(vector)
    }

    /// Waits up to `timeout_ms` (negative: forever) for `vector` of
    /// interrupt `index`; returns how many interrupts arrived since the
    /// last wait, 0 on timeout.
    pub fn irq_wait(&self, index: u32, vector: u32, timeout_ms: i32) -> Result<u64, Error> {
        // The Arc keeps the eventfds open even if another thread disables
        // the index meanwhile.
        let vectors = self.irqs.get(index)?;
        vectors.wait(vector, timeout_ms)
    }

    /// Unmasks INTx, which vfio masks each time it fires; call it after
    /// the device has been told to lower the interrupt.
    pub fn irq_unmask(&self, index: u32) -> Result<(), Error> {
        if index != INTX {
            return Err(Error::described(
                libc::EINVAL,
                format!(
                    "only INTx is masked when it fires; {} needs no unmask",
                    irq::irq_name(index)
                ),
            ));
        }
        self.irqs.get(index)?;
        self.device
            .unmask_irq(index)
            .map_err(|_| errors::irq_failed("unmask", index, io::Error::last_os_error()))
    }

    /// Disables interrupt `index` and closes its eventfds.
    pub fn irq_disable(&self, index: u32) -> Result<(), Error> {
        let _ops = self.irq_lock();
        self.irqs.get(index)?;
        self.device
            .disable_irq(index)
            .map_err(|_| errors::irq_failed("disable", index, io::Error::last_os_error()))?;
        self.irqs.remove(index);
        Ok(())
    }
}

/// Where a register access goes.
enum Target<'a> {
    Mapped(&'a Mapping, usize),
    File(u64),
}

fn short_io(done: usize, wanted: usize, pos: u64) -> Result<(), Error> {
    if done == wanted {
        Ok(())
    } else {
        Err(Error::described(
            libc::EIO,
            format!("short access to the vfio device at {pos:#x}: {done} of {wanted} bytes"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_io_is_eio() {
        assert_eq!(short_io(4, 4, 0), Ok(()));
        let e = short_io(2, 4, 0x10).unwrap_err();
        assert_eq!(e.errno(), libc::EIO);
        assert_eq!(
            e.to_string(),
            "short access to the vfio device at 0x10: 2 of 4 bytes"
        );
    }

    #[test]
    fn open_reports_sysfs_problems_before_touching_dev_vfio() {
        // An empty sysfs: the device does not exist, and the error comes
        // from sysfs, not from a vfio ioctl.
        let root = std::env::temp_dir().join(format!("xeth-vfio-open-{}", std::process::id()));
        std::fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
        let addr = PciAddress::parse("0000:00:04.0").unwrap();
        let e = Device::open_in(&Sysfs::at(&root), &addr).unwrap_err();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(e.errno(), libc::ENOENT);
        assert!(
            e.to_string().starts_with("no PCI device 0000:00:04.0"),
            "{e}"
        );
    }

    #[test]
    fn a_real_missing_device_is_enoent() {
        // Domain ffff does not exist on any machine the tests run on.
        let addr = PciAddress::parse("ffff:ff:1f.7").unwrap();
        let e = Device::open(&addr).unwrap_err();
        assert_eq!(e.errno(), libc::ENOENT, "{e}");
    }
}
