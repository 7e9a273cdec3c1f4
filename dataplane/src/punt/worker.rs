//! The thread of a punt: waits in `poll` on the socket and an eventfd,
//! transmits queued frames, drains the receive ring into the sink.
//!
//! One pass of the loop: wake-ups are consumed, queued frames are flushed
//! (exceptions first, see [`super::queue`]), then up to [`RX_BUDGET`]
//! received frames are decapsulated and handed to the sink, followed by
//! one [`FrameSink::end_batch`]. Transmit and receive are each bounded per
//! pass, so neither starves the other; the thread only sleeps when both are
//! idle (or transmit waits for `POLLOUT`). Stopping sets a flag and writes
//! the eventfd; the thread makes one last non-blocking flush and returns.

use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::eventfd::EventFd;

use super::counters::{add, Counters};
use super::queue::{flush, Flush, Transmit, TxQueue};
use super::{FrameSink, RxFrame};
use crate::encap::{decap, Encap, VLAN_HLEN};
use crate::packet::ring::{RxRing, Slot};
use crate::packet::{PacketSocket, SendScratch};

/// Frames per `sendmmsg`.
pub const TX_BATCH: usize = 64;
/// Frames transmitted per pass at most.
pub const TX_BUDGET: usize = 4 * TX_BATCH;
/// Frames received per pass at most (V3 finishes its block).
pub const RX_BUDGET: usize = 256;

/// What the punt thread shares with the handle that owns it.
pub(crate) struct Shared {
    pub encap: Encap,
    pub socket: PacketSocket,
    pub queue: TxQueue,
    pub counters: Arc<Counters>,
    pub wake: EventFd,
    /// True while a wake-up is written and not yet consumed, so that
    /// senders write the eventfd once per wake-up rather than per frame.
    pub wake_pending: AtomicBool,
    pub stop: AtomicBool,
    /// errno that ended the thread early; 0 while it runs normally.
    pub failed: AtomicI32,
}

impl Shared {
    /// Makes the thread look at its queues (and stop flag) soon.
    pub fn wake(&self) {
        if !self.wake_pending.swap(true, Ordering::SeqCst) {
            // Only EAGAIN (counter at its maximum) can fail a write of 1,
            // and then a wake-up is pending anyway.
            let _ = self.wake.write(1);
        }
    }
}

/// The socket as a [`Transmit`].
struct SocketTx<'a> {
    socket: &'a PacketSocket,
    scratch: SendScratch,
}

impl Transmit for SocketTx<'_> {
    fn transmit(&mut self, frames: &[&[u8]]) -> Result<usize, Errno> {
        self.socket.send_batch(frames, &mut self.scratch)
    }
}

/// Decapsulates one received frame and hands it to the sink, counting.
pub(crate) fn deliver(encap: Encap, slot: Slot<'_>, sink: &mut dyn FrameSink, c: &Counters) {
    if (slot.data.len() as u64) < u64::from(slot.len) {
        add(&c.rx_truncated, 1);
        return;
    }
    let wire = u64::from(slot.len)
        + if slot.tag.is_some() {
            VLAN_HLEN as u64
        } else {
            0
        };
    match decap(encap, slot.data, slot.tag) {
        Err(_) => add(&c.rx_decap_errors, 1),
        Ok(d) => {
            add(&c.rx_frames, 1);
            add(&c.rx_bytes, wire);
            sink.receive(&RxFrame {
                xid: d.xid,
                priority: d.priority,
                outgoing: slot.pkttype == libc::PACKET_OUTGOING,
                frame: &slot.data[d.offset..],
            });
        }
    }
}

/// The thread's body; returns when `stop` is set or poll fails.
pub(crate) fn run(shared: Arc<Shared>, mut ring: RxRing, mut sink: Box<dyn FrameSink>) {
    let mut tx = SocketTx {
        socket: &shared.socket,
        scratch: SendScratch::default(),
    };
    let c = &*shared.counters;
    let mut busy = false;
    let mut blocked = false;
    loop {
        let mut sock_events = PollFlags::POLLIN;
        if blocked {
            sock_events |= PollFlags::POLLOUT;
        }
        let mut fds = [
            PollFd::new(shared.socket.fd(), sock_events),
            PollFd::new(shared.wake.as_fd(), PollFlags::POLLIN),
        ];
        let timeout = if busy {
            PollTimeout::ZERO
        } else {
            PollTimeout::NONE
        };
        match poll(&mut fds, timeout) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => {
                shared.failed.store(e as i32, Ordering::SeqCst);
                return;
            }
        }
        let sock_rev = fds[0].revents().unwrap_or(PollFlags::empty());
        let wake_rev = fds[1].revents().unwrap_or(PollFlags::empty());
        if wake_rev.contains(PollFlags::POLLIN) {
            // Clear the pending flag before looking at the queues, so that
            // a frame queued after this point writes a new wake-up.
            let _ = shared.wake.read();
            shared.wake_pending.store(false, Ordering::SeqCst);
        }
        if sock_rev.contains(PollFlags::POLLERR) {
            // The netdev went down or away (ENETDOWN): reading the error
            // clears it, so poll does not spin; the socket resumes when the
            // netdev comes back up.
            let _ = nix::sys::socket::getsockopt(
                &shared.socket.fd(),
                nix::sys::socket::sockopt::SocketError,
            );
        }
        if sock_rev.intersects(PollFlags::POLLOUT | PollFlags::POLLERR) {
            blocked = false;
        }
        if shared.stop.load(Ordering::SeqCst) {
            if !blocked {
                flush(&shared.queue, &mut tx, c, TX_BATCH, usize::MAX);
            }
            return;
        }
        busy = false;
        if !blocked {
            match flush(&shared.queue, &mut tx, c, TX_BATCH, TX_BUDGET) {
                Flush::Idle => {}
                Flush::More => busy = true,
                Flush::Blocked => blocked = true,
            }
        }
        let n = ring.drain(RX_BUDGET, |slot| deliver(shared.encap, slot, &mut *sink, c));
        if n > 0 {
            sink.end_batch();
        }
        if n >= RX_BUDGET {
            busy = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encap::{encap_into, OuterTag};

    #[derive(Default)]
    struct Keep(Vec<(u32, u8, bool, Vec<u8>)>);

    impl FrameSink for Keep {
        fn receive(&mut self, f: &RxFrame<'_>) {
            self.0
                .push((f.xid, f.priority, f.outgoing, f.frame.to_vec()));
        }
    }

    fn slot(data: &mut [u8], len: u32, tag: Option<OuterTag>, pkttype: u8) -> Slot<'_> {
        Slot {
            data,
            len,
            tag,
            pkttype,
            ts: (0, 0),
        }
    }

    #[test]
    fn deliver_counts_every_outcome() {
        let c = Counters::default();
        let mut sink = Keep::default();
        let inner: Vec<u8> = (0..40).collect();
        let mut f = vec![0u8; 48];
        let n = encap_into(Encap::Vlan, 7 | 3 << 12, true, &inner, &mut f).unwrap();
        assert_eq!(n, 48);
        deliver(Encap::Vlan, slot(&mut f, 48, None, 4), &mut sink, &c);
        // The same with the outer tag in metadata (4 bytes fewer in data).
        let mut g = vec![0u8; 48];
        encap_into(Encap::Vlan, 7 | 3 << 12, false, &inner, &mut g).unwrap();
        let mut h = g[..12].to_vec();
        h.extend(&g[16..]);
        let tag = OuterTag {
            tpid: 0x88a8,
            tci: 7,
        };
        deliver(Encap::Vlan, slot(&mut h, 44, Some(tag), 0), &mut sink, &c);
        // Malformed, and truncated by the ring.
        let mut bad = inner.clone();
        deliver(Encap::Vlan, slot(&mut bad, 40, None, 0), &mut sink, &c);
        deliver(Encap::Vlan, slot(&mut f, 9000, None, 0), &mut sink, &c);
        let s = c.snapshot();
        assert_eq!(
            (s.rx_frames, s.rx_bytes, s.rx_decap_errors, s.rx_truncated),
            (2, 96, 1, 1)
        );
        assert_eq!(sink.0.len(), 2);
        assert_eq!(sink.0[0], (7 | 3 << 12, 7, true, inner.clone()));
        assert_eq!(sink.0[1], (7 | 3 << 12, 0, false, inner));
    }
}
