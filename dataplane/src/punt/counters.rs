//! Counters of a punt socket, updated by its thread and read as snapshots.

use std::sync::atomic::{AtomicU64, Ordering};

/// Names of the counters, in the order of [`Stats::to_array`] and of the
/// u64 array that `xeth_dp_punt_stats` writes. `xeth_dp_punt_stat_names`
/// exports them, and SWITCHD's list is generated from them
/// (`ffi/abi.generated.ts`, by [`crate::ffi`]'s test); ffi/abi_test.ts
/// holds a loaded library to that list.
pub const STAT_NAMES: [&str; 12] = [
    "rx_frames",
    "rx_bytes",
    "rx_decap_errors",
    "rx_truncated",
    "rx_ring_drops",
    "tx_frames",
    "tx_bytes",
    "tx_exceptions",
    "tx_errors",
    "tx_queue_drops",
    "tx_batches",
    "capture_drops",
];

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Frames decapsulated and handed to the sink.
    pub rx_frames: u64,
    /// Their bytes as received, encapsulation included.
    pub rx_bytes: u64,
    /// Frames dropped because they could not be decapsulated.
    pub rx_decap_errors: u64,
    /// Frames dropped because they were longer than a ring slot.
    pub rx_truncated: u64,
    /// Frames the kernel dropped because the receive ring was full
    /// (`tp_drops` of `PACKET_STATISTICS`).
    pub rx_ring_drops: u64,
    /// Frames the kernel accepted for transmission.
    pub tx_frames: u64,
    /// Their bytes, encapsulation included.
    pub tx_bytes: u64,
    /// Of `tx_frames`, those with the exception mark.
    pub tx_exceptions: u64,
    /// Frames the kernel refused (dropped after a send error).
    pub tx_errors: u64,
    /// Frames refused because their transmit queue was full.
    pub tx_queue_drops: u64,
    /// `sendmmsg` calls that sent at least one frame.
    pub tx_batches: u64,
    /// Received frames not captured because the capture queue was full.
    pub capture_drops: u64,
}

impl Stats {
    /// The counters in [`STAT_NAMES`] order.
    pub fn to_array(&self) -> [u64; STAT_NAMES.len()] {
        [
            self.rx_frames,
            self.rx_bytes,
            self.rx_decap_errors,
            self.rx_truncated,
            self.rx_ring_drops,
            self.tx_frames,
            self.tx_bytes,
            self.tx_exceptions,
            self.tx_errors,
            self.tx_queue_drops,
            self.tx_batches,
            self.capture_drops,
        ]
    }
}

/// The live counters. Relaxed atomics: each counter is independent, and a
/// snapshot need not be consistent across counters.
#[derive(Debug, Default)]
pub struct Counters {
    pub(crate) rx_frames: AtomicU64,
    pub(crate) rx_bytes: AtomicU64,
    pub(crate) rx_decap_errors: AtomicU64,
    pub(crate) rx_truncated: AtomicU64,
    pub(crate) rx_ring_drops: AtomicU64,
    pub(crate) tx_frames: AtomicU64,
    pub(crate) tx_bytes: AtomicU64,
    pub(crate) tx_exceptions: AtomicU64,
    pub(crate) tx_errors: AtomicU64,
    pub(crate) tx_queue_drops: AtomicU64,
    pub(crate) tx_batches: AtomicU64,
    pub(crate) capture_drops: AtomicU64,
}

/// Adds `n` to a counter.
pub(crate) fn add(c: &AtomicU64, n: u64) {
    c.fetch_add(n, Ordering::Relaxed);
}

impl Counters {
    /// Reads every counter.
    pub fn snapshot(&self) -> Stats {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            rx_frames: r(&self.rx_frames),
            rx_bytes: r(&self.rx_bytes),
            rx_decap_errors: r(&self.rx_decap_errors),
            rx_truncated: r(&self.rx_truncated),
            rx_ring_drops: r(&self.rx_ring_drops),
            tx_frames: r(&self.tx_frames),
            tx_bytes: r(&self.tx_bytes),
            tx_exceptions: r(&self.tx_exceptions),
            tx_errors: r(&self.tx_errors),
            tx_queue_drops: r(&self.tx_queue_drops),
            tx_batches: r(&self.tx_batches),
            capture_drops: r(&self.capture_drops),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_follows_the_names() {
        let c = Counters::default();
        // Give each counter its index + 1, through the field the name says.
        let fields = [
            &c.rx_frames,
            &c.rx_bytes,
            &c.rx_decap_errors,
            &c.rx_truncated,
            &c.rx_ring_drops,
            &c.tx_frames,
            &c.tx_bytes,
            &c.tx_exceptions,
            &c.tx_errors,
            &c.tx_queue_drops,
            &c.tx_batches,
            &c.capture_drops,
        ];
        for (i, f) in fields.iter().enumerate() {
            add(f, i as u64 + 1);
        }
        let s = c.snapshot();
        let a = s.to_array();
        for (i, v) in a.iter().enumerate() {
            assert_eq!(*v, i as u64 + 1, "{}", STAT_NAMES[i]);
        }
        assert_eq!(s.rx_frames, 1);
        assert_eq!(s.capture_drops, 12);
        assert_eq!(s.tx_exceptions, 8);
    }
}
