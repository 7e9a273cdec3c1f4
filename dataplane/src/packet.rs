//! Packet I/O on a netdev, shared by the two users of raw sockets: the
//! exception path ([`crate::punt`], a socket on the mux) and the software
//! SWITCH ([`crate::switch`], its own socket on the mux and one on each
//! attached port).
//!
//! * [`socket`]: a raw `AF_PACKET` socket bound to one netdev, sending in
//!   batches with `sendmmsg`, promiscuous on request.
//! * [`ring`]: its memory-mapped receive ring, `TPACKET_V2` or `V3`.
//!
//! Neither knows about encapsulation or xids: what a frame means is the
//! caller's business.

pub mod ring;
pub mod socket;
#[cfg(test)]
pub(crate) mod testnet;

pub use ring::{RingConfig, RingVersion, RxRing};
pub use socket::{Iface, PacketSocket, SendScratch};
