//! Where Linux's frames reach the software SWITCH, and where its
//! exceptions go back to Linux.
//!
//! In one machine that is the xeth mux itself: the switch's packet socket
//! on the mux sees what Linux transmits through a proxy as
//! `PACKET_OUTGOING`, and what the switch sends there the mux hands to
//! the proxy. A SWITCH on another machine (`xeth-switch`) has instead an
//! interface whose far end is the lower link of a linked mux, such as one
//! end of a tunnel: the same encapsulated frames arrive there as received
//! frames, and the switch's frames leave on it towards the mux.

/// The kind of interface the switch's Linux side is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uplink {
    /// A link-less xeth mux on this machine.
    Mux,
    /// A link that carries a linked mux's frames from elsewhere.
    Tunnel,
}

impl Uplink {
    /// Whether a frame of this packet type came from Linux's proxies.
    /// Either way the frames the switch itself sent (which a packet socket
    /// sees as outgoing too) are not: on a mux those carry the exception
    /// mark, which the caller checks; on a tunnel they are outgoing.
    pub fn from_linux(self, pkttype: u8) -> bool {
        match self {
            Uplink::Mux => pkttype == libc::PACKET_OUTGOING,
            Uplink::Tunnel => pkttype != libc::PACKET_OUTGOING,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Uplink::Mux => "mux",
            Uplink::Tunnel => "tunnel",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mux_gives_linux_transmits_a_tunnel_what_arrives() {
        for t in [
            libc::PACKET_HOST,
            libc::PACKET_OTHERHOST,
            libc::PACKET_BROADCAST,
        ] {
            assert!(!Uplink::Mux.from_linux(t));
            assert!(Uplink::Tunnel.from_linux(t));
        }
        assert!(Uplink::Mux.from_linux(libc::PACKET_OUTGOING));
        assert!(!Uplink::Tunnel.from_linux(libc::PACKET_OUTGOING));
    }
}
