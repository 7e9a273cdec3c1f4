//! The default frame sink of a punt: counts frames and, when asked to,
//! keeps copies in a bounded queue for inspection.
//!
//! This is a diagnostic path (tests, debugging tools): SWITCHD reads the
//! queue in batches with `xeth_dp_punt_recv_batch`, never per frame. A
//! frame consumer in the library (a chip backend, say) replaces this sink
//! with its own [`FrameSink`] through [`super::Punt::open_with_sink`].

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use super::counters::{add, Counters};
use super::record::{Record, FLAG_EXCEPTION, FLAG_OUTGOING, RECORD_HDR};
use super::{FrameSink, RxFrame};
use crate::error::Error;

/// A received frame kept by the capture sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// The proxy's xid.
    pub xid: u32,
    /// Priority of the first tag or label.
    pub priority: u8,
    /// The netdev transmitted it (`PACKET_OUTGOING`).
    pub outgoing: bool,
    /// The proxy frame, decapsulated.
    pub frame: Vec<u8>,
}

impl Captured {
    /// True when it carried the exception mark.
    pub fn exception(&self) -> bool {
        self.priority == crate::encap::EXCEPTION_PRIORITY
    }

    fn record(&self) -> Record<'_> {
        let mut flags = 0;
        if self.exception() {
            flags |= FLAG_EXCEPTION;
        }
        if self.outgoing {
            flags |= FLAG_OUTGOING;
        }
        Record {
            xid: self.xid,
            priority: self.priority,
            flags,
            frame: &self.frame,
        }
    }
}

/// A bounded queue of captured frames; bound 0 captures nothing.
#[derive(Debug)]
pub struct CaptureQueue {
    bound: usize,
    q: Mutex<VecDeque<Captured>>,
}

impl CaptureQueue {
    /// A queue of at most `bound` frames.
    pub fn new(bound: usize) -> CaptureQueue {
        CaptureQueue {
            bound,
            q: Mutex::new(VecDeque::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Captured>> {
        // Single VecDeque operations cannot leave it inconsistent.
        self.q.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// True when frames are being captured at all.
    pub fn enabled(&self) -> bool {
        self.bound > 0
    }

    /// Appends `c`; false (dropping it) when the queue is full.
    pub fn push(&self, c: Captured) -> bool {
        let mut q = self.lock();
        if q.len() >= self.bound {
            return false;
        }
        q.push_back(c);
        true
    }

    /// The oldest captured frame.
    pub fn pop(&self) -> Option<Captured> {
        self.lock().pop_front()
    }

    /// Frames waiting.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// True when none is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves as many whole frames as fit into `out` as records (see
    /// [`super::record`]); returns the bytes written, 0 when none waits.
    /// When even the oldest frame does not fit, nothing moves and the
    /// error says how many bytes it needs.
    pub fn take_records(&self, out: &mut [u8]) -> Result<usize, Error> {
        let mut q = self.lock();
        let mut n = 0;
        while let Some(c) = q.front() {
            match c.record().write(&mut out[n..]) {
                Some(m) => {
                    n += m;
                    q.pop_front();
                }
                None if n == 0 => {
                    return Err(Error::BufferTooSmall {
                        needed: RECORD_HDR + c.frame.len(),
                        got: out.len(),
                    })
                }
                None => break,
            }
        }
        Ok(n)
    }
}

/// The default sink: copies frames into a [`CaptureQueue`] when it is
/// enabled, counting those it has no room for.
pub struct CaptureSink {
    queue: Arc<CaptureQueue>,
    counters: Arc<Counters>,
}

impl CaptureSink {
    /// A sink filling `queue`, counting drops in `counters`.
    pub fn new(queue: Arc<CaptureQueue>, counters: Arc<Counters>) -> CaptureSink {
        CaptureSink { queue, counters }
    }
}

impl FrameSink for CaptureSink {
    fn receive(&mut self, f: &RxFrame<'_>) {
        if !self.queue.enabled() {
            return;
        }
        let c = Captured {
            xid: f.xid,
            priority: f.priority,
            outgoing: f.outgoing,
            frame: f.frame.to_vec(),
        };
        if !self.queue.push(c) {
            add(&self.counters.capture_drops, 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::records;
    use super::*;

    fn rx(xid: u32, priority: u8, frame: &[u8]) -> RxFrame<'_> {
        RxFrame {
            xid,
            priority,
            outgoing: xid == 2,
            frame,
        }
    }

    #[test]
    fn sink_captures_up_to_the_bound_and_counts_the_rest() {
        let q = Arc::new(CaptureQueue::new(2));
        let c = Arc::new(Counters::default());
        let mut s = CaptureSink::new(q.clone(), c.clone());
        s.receive(&rx(1, 7, &[1; 20]));
        s.receive(&rx(2, 0, &[2; 30]));
        s.receive(&rx(3, 0, &[3; 30]));
        s.end_batch();
        assert_eq!(q.len(), 2);
        assert_eq!(c.snapshot().capture_drops, 1);
        let a = q.pop().unwrap();
        assert_eq!((a.xid, a.exception(), a.outgoing), (1, true, false));
        assert_eq!(a.frame, vec![1; 20]);
    }

    #[test]
    fn disabled_capture_keeps_nothing_and_counts_nothing() {
        let q = Arc::new(CaptureQueue::new(0));
        let c = Arc::new(Counters::default());
        let mut s = CaptureSink::new(q.clone(), c.clone());
        s.receive(&rx(1, 0, &[0; 14]));
        assert!(q.is_empty());
        assert!(!q.enabled());
        assert_eq!(c.snapshot().capture_drops, 0);
    }

    #[test]
    fn records_take_whole_frames_only() {
        let q = CaptureQueue::new(8);
        for (xid, len) in [(1u32, 20usize), (2, 20), (3, 100)] {
            q.push(Captured {
                xid,
                priority: if xid == 1 { 7 } else { 0 },
                outgoing: xid == 2,
                frame: vec![xid as u8; len],
            });
        }
        let mut buf = vec![0u8; 70];
        let n = q.take_records(&mut buf).unwrap();
        assert_eq!(n, 64);
        let got: Vec<_> = records(&buf[..n]).map(Result::unwrap).collect();
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].xid, got[0].priority, got[0].flags), (1, 7, 1));
        assert_eq!((got[1].xid, got[1].flags), (2, FLAG_OUTGOING));
        assert_eq!(got[1].frame, &[2; 20]);
        // The 100-byte frame needs 112 bytes.
        assert_eq!(
            q.take_records(&mut buf),
            Err(Error::BufferTooSmall {
                needed: 112,
                got: 70
            })
        );
        assert_eq!(q.len(), 1);
        let mut big = vec![0u8; 112];
        assert_eq!(q.take_records(&mut big), Ok(112));
        assert_eq!(q.take_records(&mut big), Ok(0));
    }
}
