//! Integer handles for objects that live across C ABI calls.
//!
//! The C ABI hands out small positive integers instead of pointers: a stale,
//! doubled or invented handle then fails with `EBADF` instead of becoming a
//! use-after-free. Handles are never reused within a process, so a handle
//! kept by mistake after close cannot reach a newer object.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::Error;

/// A table of live objects of one type, keyed by handle.
pub struct Handles<T> {
    inner: Mutex<Table<T>>,
}

struct Table<T> {
    next: u64,
    live: BTreeMap<u64, Arc<T>>,
}

impl<T> Handles<T> {
    /// An empty table; `const` so that tables can be statics.
    pub const fn new() -> Self {
        Handles {
            inner: Mutex::new(Table {
                next: 1,
                live: BTreeMap::new(),
            }),
        }
    }

    /// Stores `obj` and returns its handle (always >= 1).
    pub fn insert(&self, obj: T) -> usize {
        let mut t = self.lock();
        let h = t.next;
        t.next += 1;
        t.live.insert(h, Arc::new(obj));
        h as usize
    }

    /// The object behind `h`, or `EBADF`.
    pub fn get(&self, h: usize) -> Result<Arc<T>, Error> {
        self.lock()
            .live
            .get(&(h as u64))
            .cloned()
            .ok_or(Error::Os(libc::EBADF))
    }

    /// Removes `h` and returns its object, or `EBADF`. The object is dropped
    /// when the last caller still using it lets go of its `Arc`.
    pub fn remove(&self, h: usize) -> Result<Arc<T>, Error> {
        self.lock()
            .live
            .remove(&(h as u64))
            .ok_or(Error::Os(libc::EBADF))
    }

    /// Number of live handles.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().live.len()
    }

    fn lock(&self) -> MutexGuard<'_, Table<T>> {
        // A panic while holding the lock cannot leave the map half-updated
        // (each operation is a single map call), so poison is ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<T> Default for Handles<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_start_at_one_and_are_not_reused() {
        let t = Handles::new();
        let a = t.insert("a");
        let b = t.insert("b");
        assert_eq!((a, b), (1, 2));
        assert_eq!(*t.remove(a).unwrap(), "a");
        let c = t.insert("c");
        assert_eq!(c, 3);
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn unknown_and_closed_handles_are_ebadf() {
        let t = Handles::new();
        assert_eq!(t.get(0).unwrap_err(), Error::Os(libc::EBADF));
        let h = t.insert(5u8);
        assert_eq!(*t.get(h).unwrap(), 5);
        t.remove(h).unwrap();
        assert_eq!(t.get(h).unwrap_err(), Error::Os(libc::EBADF));
        assert_eq!(t.remove(h).unwrap_err(), Error::Os(libc::EBADF));
    }

    #[test]
    fn an_object_outlives_its_handle_while_in_use() {
        let t = Handles::new();
        let h = t.insert(String::from("x"));
        let held = t.get(h).unwrap();
        t.remove(h).unwrap();
        assert_eq!(*held, "x");
    }
}
