//! The forwarding database of the bridges: where each learned MAC address
//! lives, per bridge, aged out when not seen for a while (300 s, like
//! Linux's bridge and most switches).
//!
//! Owned by the forwarding thread alone: learning happens per frame, so
//! it takes no lock.

use std::collections::HashMap;

use super::packet::Mac;

/// Default age limit in milliseconds.
pub const AGEING_MS: u64 = 300_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    member: u32,
    seen_ms: u64,
}

/// Learned addresses of every bridge.
#[derive(Debug)]
pub struct Fdb {
    entries: HashMap<(u32, Mac), Entry>,
    ageing_ms: u64,
    /// Entries whose member changed (a station moved).
    pub moves: u64,
}

impl Default for Fdb {
    fn default() -> Self {
        Fdb::new(AGEING_MS)
    }
}

impl Fdb {
    pub fn new(ageing_ms: u64) -> Fdb {
        Fdb {
            entries: HashMap::new(),
            ageing_ms,
            moves: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Learns that `mac` was seen on `member` of `bridge`. Group
    /// addresses are never learned.
    pub fn learn(&mut self, bridge: u32, mac: Mac, member: u32, now_ms: u64) {
        if super::packet::is_group(&mac) {
            return;
        }
        let e = self.entries.entry((bridge, mac)).or_insert(Entry {
            member,
            seen_ms: now_ms,
        });
        if e.member != member {
            e.member = member;
            self.moves += 1;
        }
        e.seen_ms = now_ms;
    }

    /// The member `mac` was last seen on, unless it aged out.
    pub fn get(&self, bridge: u32, mac: &Mac, now_ms: u64) -> Option<u32> {
        let e = self.entries.get(&(bridge, *mac))?;
        (now_ms.saturating_sub(e.seen_ms) < self.ageing_ms).then_some(e.member)
    }

    /// Drops entries older than the age limit; returns how many.
    pub fn age(&mut self, now_ms: u64) -> usize {
        let n = self.entries.len();
        let limit = self.ageing_ms;
        self.entries
            .retain(|_, e| now_ms.saturating_sub(e.seen_ms) < limit);
        n - self.entries.len()
    }

    /// Keeps only entries for which `keep(bridge, member)` holds (after
    /// membership changed).
    pub fn retain(&mut self, mut keep: impl FnMut(u32, u32) -> bool) {
        self.entries.retain(|k, e| keep(k.0, e.member));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Mac = [2, 0, 0, 0, 0, 0xa];

    #[test]
    fn learns_moves_and_ages() {
        let mut f = Fdb::new(1000);
        f.learn(1, A, 10, 0);
        f.learn(1, [0xff; 6], 10, 0);
        f.learn(1, [0x01, 0, 0x5e, 0, 0, 1], 10, 0);
        assert_eq!(f.len(), 1, "group addresses are not learned");
        assert_eq!(f.get(1, &A, 999), Some(10));
        assert_eq!(f.get(2, &A, 0), None, "per bridge");
        f.learn(1, A, 11, 500);
        assert_eq!((f.get(1, &A, 1400), f.moves), (Some(11), 1));
        assert_eq!(f.get(1, &A, 1500), None, "aged");
        assert_eq!(f.age(1499), 0);
        assert_eq!(f.age(1500), 1);
        f.learn(1, A, 10, 0);
        f.retain(|_, m| m != 10);
        assert!(f.is_empty());
    }
}
