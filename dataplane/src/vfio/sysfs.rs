//! What sysfs says about a PCI function before vfio is asked to open it.
//!
//! The vfio ioctls fail with bare errnos (`ENOENT` for an unbound device,
//! `EPERM` for a group that is not viable); sysfs knows why, so the checks
//! here run first and name the cause and the fix.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::address::PciAddress;
use crate::error::Error;

/// The driver a device must be bound to.
pub const VFIO_PCI: &str = "vfio-pci";

/// A sysfs tree: `/sys` in production, a directory of fakes in tests.
#[derive(Debug, Clone)]
pub struct Sysfs {
    root: PathBuf,
}

/// A device that sysfs says vfio can open: bound to vfio-pci, in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usable {
    /// `/sys/bus/pci/devices/<address>`: vfio-ioctls takes this path.
    pub path: PathBuf,
    /// The IOMMU group, the N of `/dev/vfio/N`.
    pub group: u32,
}

impl Default for Sysfs {
    fn default() -> Self {
        Sysfs::at("/sys")
    }
}

impl Sysfs {
    pub fn at(root: impl Into<PathBuf>) -> Sysfs {
        Sysfs { root: root.into() }
    }

    /// `/sys/bus/pci/devices/<address>`.
    pub fn device_path(&self, addr: &PciAddress) -> PathBuf {
        self.root.join("bus/pci/devices").join(addr.to_string())
    }

    /// Checks, in the order an operator has to fix them, that `addr` exists,
    /// has an IOMMU group and is bound to vfio-pci.
    pub fn usable(&self, addr: &PciAddress) -> Result<Usable, Error> {
        let path = self.device_path(addr);
        match fs::metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::described(
                    libc::ENOENT,
                    format!(
                        "no PCI device {addr} ({} does not exist); \
                         list the devices with lspci -D",
                        path.display()
                    ),
                ))
            }
            Err(e) => return Err(e.into()),
        }
        let group = match link_name(&path.join("iommu_group"))? {
            Some(g) => g,
            None => return Err(no_iommu_group(addr)),
        };
        let group: u32 = group.parse().map_err(|_| {
            Error::described(
                libc::EIO,
                format!("{addr}: unexpected IOMMU group name \"{group}\" in sysfs"),
            )
        })?;
        match link_name(&path.join("driver"))? {
            Some(d) if d == VFIO_PCI => Ok(Usable { path, group }),
            driver => Err(not_bound(self, addr, driver.as_deref())),
        }
    }

    /// The devices of IOMMU group `group` and their drivers, sorted.
    pub fn group_members(&self, group: u32) -> Result<Vec<(String, Option<String>)>, Error> {
        let dir = self
            .root
            .join("kernel/iommu_groups")
            .join(group.to_string())
            .join("devices");
        let mut out = Vec::new();
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let driver = link_name(&entry.path().join("driver"))?;
            out.push((name, driver));
        }
        out.sort();
        Ok(out)
    }

    /// Why group `group` is not viable: the members whose driver is neither
    /// vfio-pci nor none (an unbound device does not spoil a group).
    pub fn not_viable(&self, addr: &PciAddress, group: u32) -> Error {
        let culprits = match self.group_members(group) {
            Ok(members) => members
                .into_iter()
                .filter_map(|(dev, driver)| match driver {
                    Some(d) if d != VFIO_PCI => Some(format!("{dev} is bound to {d}")),
                    _ => None,
                })
                .collect::<Vec<_>>(),
            Err(_) => Vec::new(),
        };
        let who = if culprits.is_empty() {
            "another device of the group is in use by a kernel driver".to_owned()
        } else {
            culprits.join(", ")
        };
        Error::described(
            libc::EBUSY,
            format!(
                "IOMMU group {group} of {addr} is not viable: {who}; every device of \
                 the group (ls {}) must be bound to vfio-pci or to no driver: \
                 unbind the others (echo <address> > /sys/bus/pci/devices/<address>/driver/unbind)",
                self.root
                    .join("kernel/iommu_groups")
                    .join(group.to_string())
                    .join("devices")
                    .display()
            ),
        )
    }
}

/// The last component of the symlink at `path`, or None if there is none.
fn link_name(path: &Path) -> Result<Option<String>, Error> {
    match fs::read_link(path) {
        Ok(target) => Ok(target.file_name().map(|n| n.to_string_lossy().into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn no_iommu_group(addr: &PciAddress) -> Error {
    Error::described(
        libc::ENXIO,
        format!(
            "{addr} has no IOMMU group, so vfio cannot isolate it: enable the IOMMU \
             (intel_iommu=on or amd_iommu=on on the kernel command line, VT-d/AMD-Vi in \
             the firmware; under QEMU add -device intel-iommu,intremap=on to a q35 machine)"
        ),
    )
}

fn not_bound(sysfs: &Sysfs, addr: &PciAddress, driver: Option<&str>) -> Error {
    let dev = sysfs.device_path(addr);
    let now = match driver {
        Some(d) => format!(
            "{addr} is bound to {d}, not {VFIO_PCI}; unbind it \
             (echo {addr} > {}/driver/unbind), then bind it",
            dev.display()
        ),
        None => format!("{addr} is not bound to any driver, not {VFIO_PCI}; bind it"),
    };
    Error::described(
        libc::ENODEV,
        format!(
            "{now} with: modprobe {VFIO_PCI}; echo {VFIO_PCI} > {}/driver_override; \
             echo {addr} > {}",
            dev.display(),
            sysfs.root.join("bus/pci/drivers_probe").display()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A throw-away sysfs tree under the system's temp directory.
    struct FakeSysfs {
        root: PathBuf,
    }

    impl FakeSysfs {
        fn new(tag: &str) -> FakeSysfs {
            let root =
                std::env::temp_dir().join(format!("xeth-vfio-sysfs-{}-{tag}", std::process::id()));
            let _ = fs::remove_dir_all(&root);
            fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
            fs::create_dir_all(root.join("bus/pci/drivers")).unwrap();
            fs::create_dir_all(root.join("kernel/iommu_groups")).unwrap();
            FakeSysfs { root }
        }

        fn sysfs(&self) -> Sysfs {
            Sysfs::at(&self.root)
        }

        /// A device, optionally in a group and bound to a driver.
        fn device(&self, addr: &str, group: Option<u32>, driver: Option<&str>) {
            let dev = self.root.join("devices/pci0000:00").join(addr);
            fs::create_dir_all(&dev).unwrap();
            symlink(&dev, self.root.join("bus/pci/devices").join(addr)).unwrap();
            if let Some(g) = group {
                let gdir = self.root.join("kernel/iommu_groups").join(g.to_string());
                fs::create_dir_all(gdir.join("devices")).unwrap();
                symlink(&gdir, dev.join("iommu_group")).unwrap();
                symlink(&dev, gdir.join("devices").join(addr)).unwrap();
            }
            if let Some(d) = driver {
                let ddir = self.root.join("bus/pci/drivers").join(d);
                fs::create_dir_all(&ddir).unwrap();
                symlink(&ddir, dev.join("driver")).unwrap();
            }
        }
    }

    impl Drop for FakeSysfs {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    fn pci(s: &str) -> PciAddress {
        PciAddress::parse(s).unwrap()
    }

    #[test]
    fn a_bound_device_is_usable() {
        let f = FakeSysfs::new("bound");
        f.device("0000:00:04.0", Some(7), Some("vfio-pci"));
        let u = f.sysfs().usable(&pci("0000:00:04.0")).unwrap();
        assert_eq!(u.group, 7);
        assert_eq!(u.path, f.root.join("bus/pci/devices/0000:00:04.0"));
    }

    #[test]
    fn a_missing_device_is_enoent_and_says_how_to_list_devices() {
        let f = FakeSysfs::new("missing");
        let e = f.sysfs().usable(&pci("0000:00:1e.7")).unwrap_err();
        assert_eq!(e.errno(), libc::ENOENT);
        let t = e.to_string();
        assert!(t.starts_with("no PCI device 0000:00:1e.7"), "{t}");
        assert!(t.contains("lspci -D"), "{t}");
    }

    #[test]
    fn no_iommu_group_is_enxio_and_says_how_to_get_one() {
        let f = FakeSysfs::new("nogroup");
        f.device("0000:81:00.0", None, None);
        let e = f.sysfs().usable(&pci("0000:81:00.0")).unwrap_err();
        assert_eq!(e.errno(), libc::ENXIO);
        let t = e.to_string();
        assert!(t.starts_with("0000:81:00.0 has no IOMMU group"), "{t}");
        assert!(t.contains("intel_iommu=on"), "{t}");
        assert!(t.contains("intel-iommu"), "{t}");
    }

    #[test]
    fn no_iommu_group_is_reported_before_the_driver() {
        // Binding to vfio-pci cannot succeed without a group, so the
        // operator must hear about the group first.
        let f = FakeSysfs::new("nogroup-bound");
        f.device("0000:81:00.0", None, Some("uio_pci_generic"));
        let e = f.sysfs().usable(&pci("0000:81:00.0")).unwrap_err();
        assert_eq!(e.errno(), libc::ENXIO);
    }

    #[test]
    fn an_unbound_device_is_enodev_with_the_bind_commands() {
        let f = FakeSysfs::new("unbound");
        f.device("0000:00:04.0", Some(3), None);
        let e = f.sysfs().usable(&pci("0000:00:04.0")).unwrap_err();
        assert_eq!(e.errno(), libc::ENODEV);
        let t = e.to_string();
        let dev = f.root.join("bus/pci/devices/0000:00:04.0");
        assert!(
            t.starts_with("0000:00:04.0 is not bound to any driver, not vfio-pci"),
            "{t}"
        );
        assert!(
            t.contains(&format!(
                "echo vfio-pci > {}/driver_override",
                dev.display()
            )),
            "{t}"
        );
        assert!(
            t.contains(&format!(
                "echo 0000:00:04.0 > {}/bus/pci/drivers_probe",
                f.root.display()
            )),
            "{t}"
        );
        assert!(!t.contains("unbind"), "{t}");
    }

    #[test]
    fn a_device_bound_elsewhere_names_the_driver_and_how_to_unbind() {
        let f = FakeSysfs::new("other");
        f.device("0000:00:04.0", Some(3), Some("uio_pci_generic"));
        let e = f.sysfs().usable(&pci("0000:00:04.0")).unwrap_err();
        assert_eq!(e.errno(), libc::ENODEV);
        let t = e.to_string();
        assert!(
            t.starts_with("0000:00:04.0 is bound to uio_pci_generic, not vfio-pci"),
            "{t}"
        );
        assert!(t.contains("/driver/unbind"), "{t}");
        assert!(t.contains("driver_override"), "{t}");
    }

    #[test]
    fn not_viable_names_the_devices_that_spoil_the_group() {
        let f = FakeSysfs::new("viable");
        f.device("0000:00:11.0", Some(5), Some("vfio-pci"));
        // a second member bound to a kernel driver, a third unbound
        let dev1 = f.root.join("devices/pci0000:00/0000:00:11.1");
        fs::create_dir_all(&dev1).unwrap();
        let g = f.root.join("kernel/iommu_groups/5");
        symlink(&dev1, g.join("devices/0000:00:11.1")).unwrap();
        fs::create_dir_all(f.root.join("bus/pci/drivers/uio_pci_generic")).unwrap();
        symlink(
            f.root.join("bus/pci/drivers/uio_pci_generic"),
            dev1.join("driver"),
        )
        .unwrap();
        let dev2 = f.root.join("devices/pci0000:00/0000:00:11.2");
        fs::create_dir_all(&dev2).unwrap();
        symlink(&dev2, g.join("devices/0000:00:11.2")).unwrap();

        let members = f.sysfs().group_members(5).unwrap();
        assert_eq!(
            members,
            vec![
                ("0000:00:11.0".into(), Some("vfio-pci".into())),
                ("0000:00:11.1".into(), Some("uio_pci_generic".into())),
                ("0000:00:11.2".into(), None),
            ]
        );
        let e = f.sysfs().not_viable(&pci("0000:00:11.0"), 5);
        assert_eq!(e.errno(), libc::EBUSY);
        let t = e.to_string();
        assert!(
            t.starts_with(
                "IOMMU group 5 of 0000:00:11.0 is not viable: \
                 0000:00:11.1 is bound to uio_pci_generic;"
            ),
            "{t}"
        );
        assert!(!t.contains("11.2"), "{t}");
        assert!(t.contains("unbind"), "{t}");
    }

    #[test]
    fn not_viable_without_a_readable_group_still_explains() {
        let f = FakeSysfs::new("viable-unknown");
        let e = f.sysfs().not_viable(&pci("0000:00:11.0"), 9);
        assert_eq!(e.errno(), libc::EBUSY);
        assert!(e.to_string().contains("in use by a kernel driver"), "{e}");
    }
}
