//! vfio-ioctls errors turned into the crate's [`Error`] with an errno and a
//! message that says what to do.

use std::io;

use vfio_ioctls::VfioError;

use super::address::PciAddress;
use super::irq::irq_name;
use crate::error::Error;

/// Opening `/dev/vfio/vfio` failed.
pub fn container_failed(e: &VfioError) -> Error {
    match e {
        VfioError::OpenContainer(io) => match io.raw_os_error() {
            Some(libc::ENOENT) | Some(libc::ENODEV) => Error::described(
                libc::ENOENT,
                "no /dev/vfio/vfio: the vfio driver is not loaded; run: modprobe vfio-pci",
            ),
            Some(errno @ (libc::EACCES | libc::EPERM)) => Error::described(
                errno,
                "permission denied opening /dev/vfio/vfio: run as root, or make it \
                 accessible to this user (it is normally mode 0666)",
            ),
            _ => with_errno(io, "cannot open /dev/vfio/vfio"),
        },
        VfioError::VfioExtension | VfioError::VfioType1V2 => Error::described(
            libc::ENODEV,
            "the vfio container has no type1v2 IOMMU backend; run: modprobe vfio_iommu_type1",
        ),
        other => Error::described(libc::EIO, format!("vfio container: {other}")),
    }
}

/// Opening the group, attaching it to the container or getting the device
/// fd failed. `group` is the IOMMU group sysfs reported.
pub fn device_failed(e: &VfioError, addr: &PciAddress, group: u32) -> Error {
    let dev = format!("/dev/vfio/{group}");
    match e {
        VfioError::OpenGroup(io, _) => match io.raw_os_error() {
            Some(errno @ (libc::EACCES | libc::EPERM)) => Error::described(
                errno,
                format!(
                    "permission denied opening {dev} (IOMMU group of {addr}): run as root, \
                     or give this user the group (chown <user> {dev}) and a locked-memory \
                     limit large enough for its DMA buffers (ulimit -l)"
                ),
            ),
            Some(libc::ENOENT) => Error::described(
                libc::ENOENT,
                format!(
                    "{dev} does not exist although {addr} is bound to vfio-pci; \
                     is /dev populated (devtmpfs or udev)?"
                ),
            ),
            Some(libc::EBUSY) => Error::described(
                libc::EBUSY,
                format!(
                    "{dev} (IOMMU group of {addr}) is already open, by another process or \
                     through another handle of this one; close that first"
                ),
            ),
            _ => with_errno(io, &format!("cannot open {dev}")),
        },
        VfioError::ContainerSetIOMMU(se) if se.errno() == libc::EPERM => Error::described(
            libc::EPERM,
            format!(
                "the IOMMU refused group {group} of {addr}: the platform has no interrupt \
                 remapping; enable it (QEMU: -device intel-iommu,intremap=on) or, accepting \
                 the risk, load vfio_iommu_type1 with allow_unsafe_interrupts=1"
            ),
        ),
        VfioError::ContainerSetIOMMU(se) => Error::described(
            positive(se.errno()),
            format!("cannot set the IOMMU type of group {group} of {addr}: {se}"),
        ),
        VfioError::GroupSetContainer => Error::described(
            libc::EBUSY,
            format!("cannot attach IOMMU group {group} of {addr} to a vfio container"),
        ),
        VfioError::GroupGetDeviceFD(se) => Error::described(
            positive(se.errno()),
            format!("cannot get the vfio device fd of {addr} from {dev}: {se}"),
        ),
        VfioError::VfioDeviceGetInfoPCI | VfioError::VfioDeviceGetInfoOther => Error::described(
            libc::ENODEV,
            format!("{addr} is not a PCI device that vfio-pci can drive: {e}"),
        ),
        other => Error::described(
            libc::EIO,
            format!("cannot open {addr} through vfio: {other}"),
        ),
    }
}

/// Mapping a DMA buffer failed.
pub fn dma_map_failed(e: &VfioError, iova: u64, len: usize) -> Error {
    let range = format!("{iova:#x}..{:#x}", iova.saturating_add(len as u64));
    match e {
        VfioError::IommuDmaMap(se) => {
            let errno = positive(se.errno());
            let hint = match errno {
                libc::EEXIST => "; it overlaps a buffer already mapped",
                libc::ENOMEM => "; the locked-memory limit (ulimit -l) may be too low",
                libc::EINVAL => "; the IOMMU may reserve that range, choose another IOVA",
                _ => "",
            };
            Error::described(errno, format!("cannot map IOVA {range}: {se}{hint}"))
        }
        other => Error::described(libc::EIO, format!("cannot map IOVA {range}: {other}")),
    }
}

/// VFIO_DEVICE_SET_IRQS failed. vfio-ioctls drops the errno of that ioctl,
/// so `last` is the thread's errno right after it, the best guess there is.
pub fn irq_failed(what: &str, index: u32, last: io::Error) -> Error {
    let errno = last.raw_os_error().filter(|&e| e > 0).unwrap_or(libc::EIO);
    Error::described(
        errno,
        format!(
            "cannot {what} {} interrupts: {}",
            irq_name(index),
            io::Error::from_raw_os_error(errno)
        ),
    )
}

fn with_errno(io: &io::Error, what: &str) -> Error {
    Error::described(
        io.raw_os_error().filter(|&e| e > 0).unwrap_or(libc::EIO),
        format!("{what}: {io}"),
    )
}

fn positive(errno: i32) -> i32 {
    if errno > 0 {
        errno
    } else {
        libc::EIO
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pci() -> PciAddress {
        PciAddress::parse("0000:00:10.0").unwrap()
    }

    fn open_group(errno: i32) -> VfioError {
        VfioError::OpenGroup(io::Error::from_raw_os_error(errno), "12".into())
    }

    #[test]
    fn group_permission_denied_says_what_to_do() {
        let e = device_failed(&open_group(libc::EACCES), &pci(), 12);
        assert_eq!(e.errno(), libc::EACCES);
        let t = e.to_string();
        assert!(
            t.starts_with("permission denied opening /dev/vfio/12 (IOMMU group of 0000:00:10.0)"),
            "{t}"
        );
        assert!(t.contains("run as root"), "{t}");
        assert!(t.contains("ulimit -l"), "{t}");
        assert_eq!(
            device_failed(&open_group(libc::EPERM), &pci(), 12).errno(),
            libc::EPERM
        );
    }

    #[test]
    fn a_busy_or_missing_group_is_explained() {
        let e = device_failed(&open_group(libc::EBUSY), &pci(), 12);
        assert_eq!(e.errno(), libc::EBUSY);
        assert!(e.to_string().contains("already open"), "{e}");
        let e = device_failed(&open_group(libc::ENOENT), &pci(), 12);
        assert_eq!(e.errno(), libc::ENOENT);
        assert!(
            e.to_string().starts_with("/dev/vfio/12 does not exist"),
            "{e}"
        );
        let e = device_failed(&open_group(libc::EMFILE), &pci(), 12);
        assert_eq!(e.errno(), libc::EMFILE);
        assert!(
            e.to_string().starts_with("cannot open /dev/vfio/12: "),
            "{e}"
        );
    }

    #[test]
    fn missing_interrupt_remapping_is_named() {
        let se = vmm_sys_util::errno::Error::new(libc::EPERM);
        let e = device_failed(&VfioError::ContainerSetIOMMU(se), &pci(), 3);
        assert_eq!(e.errno(), libc::EPERM);
        assert!(e.to_string().contains("no interrupt remapping"), "{e}");
        assert!(e.to_string().contains("intremap=on"), "{e}");
    }

    #[test]
    fn container_errors_name_the_module_to_load() {
        let e = container_failed(&VfioError::OpenContainer(io::Error::from_raw_os_error(
            libc::ENOENT,
        )));
        assert_eq!(e.errno(), libc::ENOENT);
        assert!(e.to_string().contains("modprobe vfio-pci"), "{e}");
        let e = container_failed(&VfioError::VfioExtension);
        assert_eq!(e.errno(), libc::ENODEV);
        assert!(e.to_string().contains("modprobe vfio_iommu_type1"), "{e}");
        let e = container_failed(&VfioError::OpenContainer(io::Error::from_raw_os_error(
            libc::EACCES,
        )));
        assert_eq!(e.errno(), libc::EACCES);
        assert!(e.to_string().starts_with("permission denied"), "{e}");
    }

    #[test]
    fn other_errors_keep_their_errno_or_become_eio() {
        let se = vmm_sys_util::errno::Error::new(libc::ENOTTY);
        let e = device_failed(&VfioError::GroupGetDeviceFD(se), &pci(), 3);
        assert_eq!(e.errno(), libc::ENOTTY);
        let e = device_failed(&VfioError::GetGroupStatus, &pci(), 3);
        assert_eq!(e.errno(), libc::EIO);
        assert!(
            e.to_string()
                .starts_with("cannot open 0000:00:10.0 through vfio"),
            "{e}"
        );
    }

    #[test]
    fn dma_map_errors_carry_the_range_and_a_hint() {
        let se = vmm_sys_util::errno::Error::new(libc::EEXIST);
        let e = dma_map_failed(&VfioError::IommuDmaMap(se), 0x100000, 0x1000);
        assert_eq!(e.errno(), libc::EEXIST);
        let t = e.to_string();
        assert!(t.starts_with("cannot map IOVA 0x100000..0x101000: "), "{t}");
        assert!(t.ends_with("it overlaps a buffer already mapped"), "{t}");
    }

    #[test]
    fn irq_errors_use_the_thread_errno_or_eio() {
        let e = irq_failed("enable", 1, io::Error::from_raw_os_error(libc::EINVAL));
        assert_eq!(e.errno(), libc::EINVAL);
        assert_eq!(
            e.to_string(),
            format!(
                "cannot enable MSI interrupts: {}",
                io::Error::from_raw_os_error(libc::EINVAL)
            )
        );
        let e = irq_failed("disable", 0, io::Error::from_raw_os_error(0));
        assert_eq!(e.errno(), libc::EIO);
    }
}
