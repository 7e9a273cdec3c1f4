//! Device interrupts delivered through eventfds.
//!
//! vfio signals one eventfd per vector of an interrupt index (INTx, MSI,
//! MSI-X); each read of an eventfd returns how many interrupts arrived
//! since the previous read. The eventfds belong to the library: callers may
//! poll them (e.g. from an event loop) but must not close them.

use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::sync::{Arc, Mutex, MutexGuard};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use vmm_sys_util::eventfd::{EventFd, EFD_NONBLOCK};

use crate::error::Error;

/// Interrupt indices of a vfio PCI device (`VFIO_PCI_*_IRQ_INDEX`).
pub const INTX: u32 = 0;
pub const MSI: u32 = 1;
pub const MSIX: u32 = 2;

/// Human name of an interrupt index, for messages.
pub fn irq_name(index: u32) -> String {
    match index {
        INTX => "INTx".to_owned(),
        MSI => "MSI".to_owned(),
        MSIX => "MSI-X".to_owned(),
        _ => format!("interrupt index {index}"),
    }
}

/// The eventfds of one enabled interrupt index, one per vector.
#[derive(Debug)]
pub struct Vectors {
    fds: Vec<EventFd>,
}

impl Vectors {
    /// `count` fresh non-blocking, close-on-exec eventfds.
    pub fn new(count: u32) -> Result<Vectors, Error> {
        let fds = (0..count)
            .map(|_| EventFd::new(EFD_NONBLOCK | libc::EFD_CLOEXEC))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Vectors { fds })
    }

    pub fn eventfds(&self) -> Vec<&EventFd> {
        self.fds.iter().collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    fn get(&self, vector: u32) -> Result<&EventFd, Error> {
        self.fds.get(vector as usize).ok_or_else(|| {
            Error::described(
                libc::EINVAL,
                format!(
                    "vector {vector} is not enabled (vectors 0..{} are)",
                    self.fds.len()
                ),
            )
        })
    }

    pub fn raw_fd(&self, vector: u32) -> Result<RawFd, Error> {
        Ok(self.get(vector)?.as_raw_fd())
    }

    /// Waits up to `timeout_ms` (negative: forever) for interrupts on
    /// `vector` and consumes them: returns how many arrived, 0 on timeout.
    pub fn wait(&self, vector: u32, timeout_ms: i32) -> Result<u64, Error> {
        let efd = self.get(vector)?;
        let timeout = if timeout_ms < 0 {
            PollTimeout::NONE
        } else {
            PollTimeout::try_from(timeout_ms).map_err(|_| Error::Overflow)?
        };
        let mut fds = [PollFd::new(borrow(efd), PollFlags::POLLIN)];
        loop {
            match poll(&mut fds, timeout) {
                Ok(0) => return Ok(0),
                Ok(_) => break,
                // A signal cut the wait short; with a timeout the caller
                // sees "nothing yet" and may wait again.
                Err(nix::errno::Errno::EINTR) if timeout_ms >= 0 => return Ok(0),
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        match efd.read() {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(0),
            Err(e) => Err(e.into()),
        }
    }
}

/// Borrows the fd of an eventfd for a system call.
fn borrow(efd: &EventFd) -> BorrowedFd<'_> {
    // SAFETY: the EventFd owns this open fd and outlives the borrow, which
    // is tied to &efd; nothing closes it meanwhile.
    unsafe { BorrowedFd::borrow_raw(efd.as_raw_fd()) }
}

/// The enabled interrupt indices of one device.
#[derive(Debug, Default)]
pub struct Enabled {
    by_index: Mutex<BTreeMap<u32, Arc<Vectors>>>,
}

impl Enabled {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<u32, Arc<Vectors>>> {
        // Each operation is one map call: a panic cannot leave it half done.
        self.by_index.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The vectors of `index`, or an error saying it is not enabled.
    pub fn get(&self, index: u32) -> Result<Arc<Vectors>, Error> {
        self.lock().get(&index).cloned().ok_or_else(|| {
            Error::described(
                libc::EINVAL,
                format!("{} is not enabled; enable it first", irq_name(index)),
            )
        })
    }

    /// The index already enabled, if any: vfio allows one at a time.
    pub fn active(&self) -> Option<u32> {
        self.lock().keys().next().copied()
    }

    pub fn insert(&self, index: u32, v: Vectors) -> Arc<Vectors> {
        let v = Arc::new(v);
        self.lock().insert(index, Arc::clone(&v));
        v
    }

    pub fn remove(&self, index: u32) -> Option<Arc<Vectors>> {
        self.lock().remove(&index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn indices_are_linuxs() {
        use vfio_bindings::bindings::vfio as linux;
        assert_eq!(INTX, linux::VFIO_PCI_INTX_IRQ_INDEX);
        assert_eq!(MSI, linux::VFIO_PCI_MSI_IRQ_INDEX);
        assert_eq!(MSIX, linux::VFIO_PCI_MSIX_IRQ_INDEX);
    }

    #[test]
    fn names() {
        assert_eq!(irq_name(INTX), "INTx");
        assert_eq!(irq_name(MSI), "MSI");
        assert_eq!(irq_name(MSIX), "MSI-X");
        assert_eq!(irq_name(4), "interrupt index 4");
    }

    #[test]
    fn wait_consumes_what_arrived() {
        let v = Vectors::new(2).unwrap();
        assert_eq!(v.len(), 2);
        v.get(1).unwrap().write(3).unwrap();
        assert_eq!(v.wait(1, 1000).unwrap(), 3);
        // consumed: nothing left
        assert_eq!(v.wait(1, 0).unwrap(), 0);
        // vector 0 is independent
        assert_eq!(v.wait(0, 0).unwrap(), 0);
    }

    #[test]
    fn wait_times_out_with_zero() {
        let v = Vectors::new(1).unwrap();
        let t0 = Instant::now();
        assert_eq!(v.wait(0, 50).unwrap(), 0);
        assert!(t0.elapsed() >= Duration::from_millis(45));
    }

    #[test]
    fn wait_wakes_up_when_an_interrupt_arrives() {
        let v = Arc::new(Vectors::new(1).unwrap());
        let w = Arc::clone(&v);
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            w.get(0).unwrap().write(1).unwrap();
        });
        assert_eq!(v.wait(0, -1).unwrap(), 1);
        t.join().unwrap();
    }

    #[test]
    fn eventfds_are_nonblocking_and_close_on_exec() {
        let v = Vectors::new(1).unwrap();
        let fd = v.raw_fd(0).unwrap();
        let fl =
            nix::fcntl::fcntl(borrow(v.get(0).unwrap()), nix::fcntl::FcntlArg::F_GETFL).unwrap();
        assert_ne!(fl & libc::O_NONBLOCK, 0);
        let fd_fl =
            nix::fcntl::fcntl(borrow(v.get(0).unwrap()), nix::fcntl::FcntlArg::F_GETFD).unwrap();
        assert_ne!(fd_fl & libc::FD_CLOEXEC, 0);
        assert!(fd >= 0);
    }

    #[test]
    fn unknown_vectors_are_einval() {
        let v = Vectors::new(1).unwrap();
        let e = v.wait(1, 0).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        assert_eq!(e.to_string(), "vector 1 is not enabled (vectors 0..1 are)");
        assert!(v.raw_fd(7).is_err());
    }

    #[test]
    fn enabled_tracks_one_index_at_a_time() {
        let en = Enabled::default();
        assert_eq!(en.active(), None);
        let e = en.get(MSI).unwrap_err();
        assert_eq!(e.errno(), libc::EINVAL);
        assert_eq!(e.to_string(), "MSI is not enabled; enable it first");
        en.insert(MSI, Vectors::new(1).unwrap());
        assert_eq!(en.active(), Some(MSI));
        assert_eq!(en.get(MSI).unwrap().len(), 1);
        assert!(en.remove(MSI).is_some());
        assert!(en.remove(MSI).is_none());
        assert_eq!(en.active(), None);
    }
}
