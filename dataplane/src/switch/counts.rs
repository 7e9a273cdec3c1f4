//! What the software SWITCH counts per proxy: the first LINK_STAT fields
//! (`ip -s link`), then ethtool counts (`ethtool -S`), in one array.

// The LINK_STAT indexes the switch counts (struct rtnl_link_stats64 order).
pub use crate::uapi::{
    XETH_LINK_STAT_RX_BYTES as RX_BYTES, XETH_LINK_STAT_RX_DROPPED as RX_DROPPED,
    XETH_LINK_STAT_RX_PACKETS as RX_PACKETS, XETH_LINK_STAT_TX_BYTES as TX_BYTES,
    XETH_LINK_STAT_TX_DROPPED as TX_DROPPED, XETH_LINK_STAT_TX_PACKETS as TX_PACKETS,
};

/// LINK_STAT counts kept (indexes 0 to TX_DROPPED), followed by the
/// ethtool ones.
pub const LINK_COUNTS: usize = TX_DROPPED + 1;

/// What a port counts in ethtool terms, named as the module's default
/// port stat names; SWITCHD relays each to the index the mux gives that
/// name, so that a mux with other names still works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ethtool {
    RxUnicast,
    RxMulticast,
    RxBroadcast,
    RxOctets,
    RxOversize,
    RxDiscards,
    TxUnicast,
    TxMulticast,
    TxBroadcast,
    TxOctets,
    TxDiscards,
    TxErrors,
    LinkDownEvents,
}

impl Ethtool {
    /// Every count, in the order of [`Counts`] and of the report.
    pub const ALL: [Ethtool; 13] = [
        Ethtool::RxUnicast,
        Ethtool::RxMulticast,
        Ethtool::RxBroadcast,
        Ethtool::RxOctets,
        Ethtool::RxOversize,
        Ethtool::RxDiscards,
        Ethtool::TxUnicast,
        Ethtool::TxMulticast,
        Ethtool::TxBroadcast,
        Ethtool::TxOctets,
        Ethtool::TxDiscards,
        Ethtool::TxErrors,
        Ethtool::LinkDownEvents,
    ];

    /// Its `ethtool -S` name.
    pub fn name(self) -> &'static str {
        match self {
            Ethtool::RxUnicast => "rx-unicast",
            Ethtool::RxMulticast => "rx-multicast",
            Ethtool::RxBroadcast => "rx-broadcast",
            Ethtool::RxOctets => "rx-octets",
            Ethtool::RxOversize => "rx-oversize",
            Ethtool::RxDiscards => "rx-discards",
            Ethtool::TxUnicast => "tx-unicast",
            Ethtool::TxMulticast => "tx-multicast",
            Ethtool::TxBroadcast => "tx-broadcast",
            Ethtool::TxOctets => "tx-octets",
            Ethtool::TxDiscards => "tx-discards",
            Ethtool::TxErrors => "tx-errors",
            Ethtool::LinkDownEvents => "link-down-events",
        }
    }

    /// Its place in [`Counts`].
    pub const fn index(self) -> usize {
        LINK_COUNTS + self as usize
    }

    /// The receive count for `frame`'s kind of destination (unicast,
    /// multicast or broadcast).
    pub fn rx(frame: &[u8]) -> Ethtool {
        match cast(frame) {
            Cast::Unicast => Ethtool::RxUnicast,
            Cast::Multicast => Ethtool::RxMulticast,
            Cast::Broadcast => Ethtool::RxBroadcast,
        }
    }

    /// The transmit count for `frame`'s kind of destination.
    pub fn tx(frame: &[u8]) -> Ethtool {
        match cast(frame) {
            Cast::Unicast => Ethtool::TxUnicast,
            Cast::Multicast => Ethtool::TxMulticast,
            Cast::Broadcast => Ethtool::TxBroadcast,
        }
    }
}

/// Counters per proxy: LINK_STAT indexes 0 to [`TX_DROPPED`], then
/// [`Ethtool::ALL`].
pub type Counts = [u64; LINK_COUNTS + Ethtool::ALL.len()];

enum Cast {
    Unicast,
    Multicast,
    Broadcast,
}

/// By destination address.
fn cast(frame: &[u8]) -> Cast {
    match frame.get(..6) {
        Some([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) => Cast::Broadcast,
        Some(d) if d[0] & 1 != 0 => Cast::Multicast,
        _ => Cast::Unicast,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order() {
        for (i, e) in Ethtool::ALL.iter().enumerate() {
            assert_eq!(e.index(), LINK_COUNTS + i, "{}", e.name());
        }
        assert_eq!(Ethtool::LinkDownEvents.index(), Counts::default().len() - 1);
    }

    #[test]
    fn casts_by_destination() {
        let frame = |d: [u8; 6]| [&d[..], &[2, 0, 0, 0, 0, 1, 8, 0]].concat();
        assert_eq!(Ethtool::rx(&frame([2, 0, 0, 0, 0, 2])), Ethtool::RxUnicast);
        assert_eq!(
            Ethtool::rx(&frame([1, 0, 0x5e, 0, 0, 1])),
            Ethtool::RxMulticast
        );
        assert_eq!(Ethtool::rx(&frame([0xff; 6])), Ethtool::RxBroadcast);
        assert_eq!(
            Ethtool::tx(&frame([0x33, 0x33, 0, 0, 0, 1])),
            Ethtool::TxMulticast
        );
        assert_eq!(Ethtool::tx(&frame([0xff; 6])), Ethtool::TxBroadcast);
        assert_eq!(Ethtool::tx(&[]), Ethtool::TxUnicast);
    }
}
