//! Transmit queueing of a punt: two bounded queues, exceptions and bulk,
//! and the batched flush that drains them.
//!
//! Policy: strict priority by batch. Every batch handed to the kernel
//! takes all queued exceptions (up to the batch size) before any bulk
//! frame, and bulk frames only fill the slots that exceptions leave.
//! Within a class frames leave in the order they were queued. Each queue
//! has its own bound, so a flood of bulk frames can fill only the bulk
//! queue and never refuses an exception. A frame the kernel will not take
//! now (`EAGAIN`) goes back to the front of its queue; a frame it refuses
//! outright is dropped and counted as a transmit error.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use nix::errno::Errno;

use super::counters::{add, Counters};

/// Which queue a frame goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A frame with the exception mark: sent before any bulk frame.
    Exception,
    /// Everything else.
    Bulk,
}

/// A frame waiting for transmission, already encapsulated.
#[derive(Debug, PartialEq, Eq)]
pub struct TxFrame {
    /// Its queue.
    pub class: Class,
    /// The bytes to send.
    pub bytes: Vec<u8>,
}

/// The two transmit queues of a punt, shared between senders and the
/// punt thread.
#[derive(Debug)]
pub struct TxQueue {
    bound: usize,
    inner: Mutex<Queues>,
}

#[derive(Debug, Default)]
struct Queues {
    exception: VecDeque<Vec<u8>>,
    bulk: VecDeque<Vec<u8>>,
    /// Buffers of sent frames, reused by senders.
    free: Vec<Vec<u8>>,
}

/// Buffers kept for reuse at most.
const FREE_MAX: usize = 256;

impl TxQueue {
    /// Queues holding at most `bound` frames each.
    pub fn new(bound: usize) -> TxQueue {
        TxQueue {
            bound,
            inner: Mutex::new(Queues::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queues> {
        // Each operation leaves the queues consistent before it can panic
        // (no panicking code runs with them half-updated), so poison is
        // ignored.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A buffer to encapsulate a frame into: a sent frame's if one is free.
    pub fn buffer(&self) -> Vec<u8> {
        self.lock().free.pop().unwrap_or_default()
    }

    /// Queues `bytes`; gives it back when the class's queue is full.
    pub fn push(&self, class: Class, bytes: Vec<u8>) -> Result<(), Vec<u8>> {
        let mut q = self.lock();
        let queue = match class {
            Class::Exception => &mut q.exception,
            Class::Bulk => &mut q.bulk,
        };
        if queue.len() >= self.bound {
            return Err(bytes);
        }
        queue.push_back(bytes);
        Ok(())
    }

    /// Frames queued in each class: (exceptions, bulk).
    pub fn len(&self) -> (usize, usize) {
        let q = self.lock();
        (q.exception.len(), q.bulk.len())
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == (0, 0)
    }

    /// Moves up to `max` frames into `out`: exceptions first, then bulk.
    pub fn take(&self, max: usize, out: &mut Vec<TxFrame>) {
        let mut q = self.lock();
        while out.len() < max {
            let Some(bytes) = q.exception.pop_front() else {
                break;
            };
            out.push(TxFrame {
                class: Class::Exception,
                bytes,
            });
        }
        while out.len() < max {
            let Some(bytes) = q.bulk.pop_front() else {
                break;
            };
            out.push(TxFrame {
                class: Class::Bulk,
                bytes,
            });
        }
    }

    /// Puts frames taken but not sent back in front of their queues, in
    /// their order.
    fn put_back(&self, frames: impl DoubleEndedIterator<Item = TxFrame>) {
        let mut q = self.lock();
        for f in frames.rev() {
            match f.class {
                Class::Exception => q.exception.push_front(f.bytes),
                Class::Bulk => q.bulk.push_front(f.bytes),
            }
        }
    }

    /// Keeps sent frames' buffers for reuse.
    fn recycle(&self, frames: impl Iterator<Item = TxFrame>) {
        let mut q = self.lock();
        for f in frames {
            if q.free.len() >= FREE_MAX {
                break;
            }
            let mut b = f.bytes;
            b.clear();
            q.free.push(b);
        }
    }
}

/// Something that sends a batch of frames: the packet socket, or a fake in
/// tests.
pub trait Transmit {
    /// Sends a prefix of `frames`; returns its length (at least 1), or the
    /// error of the first frame.
    fn transmit(&mut self, frames: &[&[u8]]) -> Result<usize, Errno>;
}

/// How a flush ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Both queues are empty.
    Idle,
    /// The budget ran out with frames still queued.
    More,
    /// The socket cannot take more now (`EAGAIN`): wait for `POLLOUT`.
    Blocked,
}

/// Sends queued frames in batches of up to `batch` until the queues are
/// empty, the socket blocks, or `budget` frames were sent or dropped.
pub fn flush(
    q: &TxQueue,
    tx: &mut dyn Transmit,
    c: &Counters,
    batch: usize,
    budget: usize,
) -> Flush {
    let mut frames: Vec<TxFrame> = Vec::with_capacity(batch);
    let mut done = 0;
    while done < budget {
        frames.clear();
        q.take(batch.min(budget - done), &mut frames);
        if frames.is_empty() {
            return Flush::Idle;
        }
        let mut i = 0;
        while i < frames.len() {
            let slices: Vec<&[u8]> = frames[i..].iter().map(|f| &f.bytes[..]).collect();
            match tx.transmit(&slices) {
                Ok(0) | Err(Errno::EAGAIN) | Err(Errno::ENOBUFS) => {
                    q.put_back(frames.drain(i..));
                    q.recycle(frames.drain(..));
                    return Flush::Blocked;
                }
                Err(Errno::EINTR) => continue,
                Ok(n) => {
                    let n = n.min(frames.len() - i);
                    let sent = &frames[i..i + n];
                    add(&c.tx_frames, n as u64);
                    add(&c.tx_bytes, sent.iter().map(|f| f.bytes.len() as u64).sum());
                    add(
                        &c.tx_exceptions,
                        sent.iter().filter(|f| f.class == Class::Exception).count() as u64,
                    );
                    add(&c.tx_batches, 1);
                    i += n;
                }
                Err(_) => {
                    // The kernel refuses this frame (too long, device
                    // down...): drop it, go on with the rest.
                    add(&c.tx_errors, 1);
                    i += 1;
                }
            }
        }
        done += frames.len();
        q.recycle(frames.drain(..));
    }
    if q.is_empty() {
        Flush::Idle
    } else {
        Flush::More
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transmitter that takes at most `per_call` frames per call and
    /// answers scripted errors first.
    struct Fake {
        per_call: usize,
        errors: VecDeque<Errno>,
        sent: Vec<Vec<u8>>,
        calls: usize,
    }

    impl Fake {
        fn new(per_call: usize, errors: &[Errno]) -> Fake {
            Fake {
                per_call,
                errors: errors.iter().copied().collect(),
                sent: Vec::new(),
                calls: 0,
            }
        }
    }

    impl Transmit for Fake {
        fn transmit(&mut self, frames: &[&[u8]]) -> Result<usize, Errno> {
            self.calls += 1;
            if let Some(e) = self.errors.pop_front() {
                return Err(e);
            }
            let n = frames.len().min(self.per_call);
            self.sent.extend(frames[..n].iter().map(|f| f.to_vec()));
            Ok(n)
        }
    }

    fn frame(tag: u8, len: usize) -> Vec<u8> {
        vec![tag; len]
    }

    #[test]
    fn exceptions_leave_before_bulk_and_each_class_in_order() {
        let q = TxQueue::new(16);
        q.push(Class::Bulk, frame(1, 60)).unwrap();
        q.push(Class::Bulk, frame(2, 60)).unwrap();
        q.push(Class::Exception, frame(10, 70)).unwrap();
        q.push(Class::Bulk, frame(3, 60)).unwrap();
        q.push(Class::Exception, frame(11, 70)).unwrap();
        let c = Counters::default();
        let mut tx = Fake::new(64, &[]);
        assert_eq!(flush(&q, &mut tx, &c, 64, 1000), Flush::Idle);
        let order: Vec<u8> = tx.sent.iter().map(|f| f[0]).collect();
        assert_eq!(order, [10, 11, 1, 2, 3]);
        let s = c.snapshot();
        assert_eq!((s.tx_frames, s.tx_exceptions, s.tx_batches), (5, 2, 1));
        assert_eq!(s.tx_bytes, 2 * 70 + 3 * 60);
        assert!(q.is_empty());
    }

    #[test]
    fn counters_add_up_over_partial_sends_and_errors() {
        let q = TxQueue::new(100);
        for i in 0..40u8 {
            let class = if i % 4 == 0 {
                Class::Exception
            } else {
                Class::Bulk
            };
            q.push(class, frame(i, 64 + i as usize)).unwrap();
        }
        let c = Counters::default();
        // 7 frames per call; two refused frames along the way.
        let mut tx = Fake::new(7, &[Errno::EMSGSIZE]);
        assert_eq!(flush(&q, &mut tx, &c, 16, 1000), Flush::Idle);
        let s = c.snapshot();
        assert_eq!(s.tx_frames + s.tx_errors, 40);
        assert_eq!(s.tx_errors, 1);
        assert_eq!(s.tx_frames, tx.sent.len() as u64);
        assert_eq!(
            s.tx_bytes,
            tx.sent.iter().map(|f| f.len() as u64).sum::<u64>()
        );
        // The refused frame was the first of the first batch: exception 0.
        assert_eq!(s.tx_exceptions, 9);
        assert!(!tx.sent.iter().any(|f| f[0] == 0));
        // Batches of 16 in calls of at most 7. The first batch (the 10
        // exceptions, 6 bulk): refused + 7 + 7 + 1; then 7 + 7 + 2; then
        // the last 8: 7 + 1.
        assert_eq!(s.tx_batches, 8);
        assert_eq!(tx.calls, 9);
    }

    #[test]
    fn eagain_puts_frames_back_in_order() {
        let q = TxQueue::new(10);
        for i in 0..3u8 {
            q.push(Class::Exception, frame(i, 60)).unwrap();
            q.push(Class::Bulk, frame(100 + i, 60)).unwrap();
        }
        let c = Counters::default();
        let mut tx = Fake::new(2, &[]);
        // Two go out, then the socket is full.
        tx.errors = VecDeque::new();
        let mut blocking = BlockAfter {
            inner: &mut tx,
            left: 1,
        };
        assert_eq!(flush(&q, &mut blocking, &c, 8, 100), Flush::Blocked);
        assert_eq!(q.len(), (1, 3));
        assert_eq!(c.snapshot().tx_frames, 2);
        assert_eq!(flush(&q, &mut tx, &c, 8, 100), Flush::Idle);
        let order: Vec<u8> = tx.sent.iter().map(|f| f[0]).collect();
        assert_eq!(order, [0, 1, 2, 100, 101, 102]);
        let s = c.snapshot();
        assert_eq!((s.tx_frames, s.tx_errors, s.tx_exceptions), (6, 0, 3));
    }

    struct BlockAfter<'a> {
        inner: &'a mut Fake,
        left: usize,
    }

    impl Transmit for BlockAfter<'_> {
        fn transmit(&mut self, frames: &[&[u8]]) -> Result<usize, Errno> {
            if self.left == 0 {
                return Err(Errno::EAGAIN);
            }
            self.left -= 1;
            self.inner.transmit(frames)
        }
    }

    #[test]
    fn budget_bounds_one_flush() {
        let q = TxQueue::new(100);
        for i in 0..10u8 {
            q.push(Class::Bulk, frame(i, 60)).unwrap();
        }
        let c = Counters::default();
        let mut tx = Fake::new(100, &[]);
        assert_eq!(flush(&q, &mut tx, &c, 4, 6), Flush::More);
        assert_eq!(tx.sent.len(), 6);
        assert_eq!(c.snapshot().tx_batches, 2);
        assert_eq!(flush(&q, &mut tx, &c, 4, 6), Flush::Idle);
        assert_eq!(tx.sent.len(), 10);
    }

    #[test]
    fn eintr_is_retried() {
        let q = TxQueue::new(4);
        q.push(Class::Bulk, frame(1, 60)).unwrap();
        let c = Counters::default();
        let mut tx = Fake::new(4, &[Errno::EINTR]);
        assert_eq!(flush(&q, &mut tx, &c, 4, 4), Flush::Idle);
        assert_eq!(c.snapshot().tx_frames, 1);
        assert_eq!(c.snapshot().tx_errors, 0);
    }

    #[test]
    fn each_queue_has_its_own_bound() {
        let q = TxQueue::new(2);
        assert!(q.push(Class::Bulk, frame(1, 1)).is_ok());
        assert!(q.push(Class::Bulk, frame(2, 1)).is_ok());
        assert_eq!(q.push(Class::Bulk, frame(3, 1)), Err(frame(3, 1)));
        assert!(q.push(Class::Exception, frame(4, 1)).is_ok());
        assert_eq!(q.len(), (1, 2));
    }

    #[test]
    fn sent_buffers_are_reused() {
        let q = TxQueue::new(4);
        q.push(Class::Bulk, Vec::with_capacity(1000)).unwrap();
        let c = Counters::default();
        let mut tx = Fake::new(4, &[]);
        flush(&q, &mut tx, &c, 4, 4);
        let b = q.buffer();
        assert!(b.is_empty());
        assert!(b.capacity() >= 1000);
        assert_eq!(q.buffer().capacity(), 0);
    }
}
