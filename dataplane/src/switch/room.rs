//! The software SWITCH's route capacity, as a chip's: at most so many
//! IPv4 and IPv6 routes (`--fib-capacity`), what did not fit kept aside in
//! arrival order and retried when deletions make room, and what became of
//! each route ([`Outcome`]) for SWITCHD to tell the kernel (the
//! fib-offload extension: `ip route` shows offload, trap or
//! offload_failed).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use super::program::{Prefix, RouteSpec, RTN_UNICAST};
use super::tables::MAIN_TABLE;
use crate::records::layout::{RESULT_PROGRAMMED, RESULT_TABLE_FULL, RESULT_TRAPPED};

/// A route's key: namespace, table, prefix (host bits cleared).
pub type RouteKey = (u64, u32, Prefix);

/// What the SWITCH does with a route it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Held, and it forwards the route's traffic.
    Forwarded,
    /// Held, and it hands the route's traffic to Linux (local and other
    /// non-unicast types, next hops that are no proxy, tables it does not
    /// forward by).
    Trapped,
    /// Not held: no room. Its traffic misses and goes to Linux.
    Failed,
}

impl Outcome {
    /// Its `route_result` status.
    pub fn status(self) -> u8 {
        match self {
            Outcome::Forwarded => RESULT_PROGRAMMED,
            Outcome::Trapped => RESULT_TRAPPED,
            Outcome::Failed => RESULT_TABLE_FULL,
        }
    }

    /// What the switch does with a route it holds, which mirrors what
    /// [`super::forward`] does with a packet that matches it.
    pub fn of(table: u32, r: &RouteSpec) -> Outcome {
        let forwards = table == MAIN_TABLE
            && r.kind == RTN_UNICAST
            && !r.hops.is_empty()
            && r.hops.iter().all(|h| h.xid.is_some());
        if forwards {
            Outcome::Forwarded
        } else {
            Outcome::Trapped
        }
    }
}

/// 0 for IPv4, 1 for IPv6: the index of per-family arrays.
pub fn family(p: &Prefix) -> usize {
    usize::from(p.addr.is_ipv6())
}

/// `p` without host bits, as the tables keep it.
pub fn masked(p: Prefix) -> Prefix {
    let addr = match p.addr {
        IpAddr::V4(a) => {
            let m = u32::MAX
                .checked_shl(32 - u32::from(p.len.min(32)))
                .unwrap_or(0);
            IpAddr::V4((u32::from(a) & m).into())
        }
        IpAddr::V6(a) => {
            let m = u128::MAX
                .checked_shl(128 - u32::from(p.len.min(128)))
                .unwrap_or(0);
            IpAddr::V6((u128::from(a) & m).into())
        }
    };
    Prefix { addr, len: p.len }
}

/// Routes that did not fit, per family in arrival order, and the limits.
#[derive(Debug)]
pub struct Room {
    /// Routes each family may hold; `usize::MAX`: no limit.
    pub limit: [usize; 2],
    failed: HashMap<RouteKey, (u64, RouteSpec)>,
    order: [BTreeMap<u64, RouteKey>; 2],
    next: u64,
    /// Outcomes not yet reported, when someone asks for them.
    pending: Vec<(RouteKey, Outcome)>,
    tracking: bool,
}

impl Default for Room {
    fn default() -> Self {
        Room {
            limit: [usize::MAX; 2],
            failed: HashMap::new(),
            order: [BTreeMap::new(), BTreeMap::new()],
            next: 0,
            pending: Vec::new(),
            tracking: false,
        }
    }
}

impl Room {
    /// Routes of each family waiting for room.
    pub fn failed_len(&self) -> [usize; 2] {
        [self.order[0].len(), self.order[1].len()]
    }

    pub fn is_failed(&self, k: &RouteKey) -> bool {
        self.failed.contains_key(k)
    }

    /// Keeps `r` aside; a route already aside keeps its place in line.
    pub fn fail(&mut self, k: RouteKey, r: RouteSpec) {
        if let Some(e) = self.failed.get_mut(&k) {
            e.1 = r;
        } else {
            let n = self.next;
            self.next += 1;
            self.order[family(&k.2)].insert(n, k);
            self.failed.insert(k, (n, r));
        }
        self.note(k, Outcome::Failed);
    }

    /// Forgets a route kept aside; true if it was.
    pub fn forget(&mut self, k: &RouteKey) -> bool {
        match self.failed.remove(k) {
            Some((n, _)) => {
                self.order[family(&k.2)].remove(&n);
                true
            }
            None => false,
        }
    }

    /// The route of `family` that has waited longest, taken out of line.
    pub fn take_first(&mut self, family: usize) -> Option<(RouteKey, RouteSpec)> {
        let (_, k) = self.order[family].pop_first()?;
        let (_, r) = self.failed.remove(&k)?;
        Some((k, r))
    }

    /// Every route kept aside, in no particular order.
    pub fn failed(&self) -> impl Iterator<Item = &RouteKey> {
        self.failed.keys()
    }

    /// Remembers what became of a route, if outcomes are being collected.
    pub fn note(&mut self, k: RouteKey, o: Outcome) {
        if self.tracking {
            self.pending.push((k, o));
        }
    }

    /// The outcomes since the last call, oldest first; from the first call
    /// on, outcomes are collected (before it nobody would read them).
    pub fn drain(&mut self) -> Vec<(RouteKey, Outcome)> {
        self.tracking = true;
        std::mem::take(&mut self.pending)
    }

    /// Drops the routes kept aside (the tables were cleared); limits and
    /// collection stay.
    pub fn clear(&mut self) {
        self.failed.clear();
        self.order = [BTreeMap::new(), BTreeMap::new()];
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::program::Hop;
    use super::*;

    fn p(s: &str) -> Prefix {
        let (a, l) = s.split_once('/').unwrap();
        Prefix {
            addr: a.parse().unwrap(),
            len: l.parse().unwrap(),
        }
    }

    fn spec(kind: u8, xids: &[Option<u32>]) -> RouteSpec {
        RouteSpec {
            kind,
            hops: xids.iter().map(|&xid| Hop { xid, gw: None }).collect(),
        }
    }

    #[test]
    fn outcome_follows_what_forwarding_does() {
        let f = |t, r| Outcome::of(t, &r);
        assert_eq!(f(254, spec(1, &[Some(1)])), Outcome::Forwarded);
        assert_eq!(f(254, spec(1, &[Some(1), Some(2)])), Outcome::Forwarded);
        assert_eq!(f(254, spec(1, &[Some(1), None])), Outcome::Trapped);
        assert_eq!(f(254, spec(1, &[])), Outcome::Trapped);
        assert_eq!(f(255, spec(2, &[Some(1)])), Outcome::Trapped, "local");
        assert_eq!(f(254, spec(6, &[])), Outcome::Trapped, "blackhole");
        assert_eq!(f(254, spec(7, &[])), Outcome::Trapped, "unreachable");
        assert_eq!(f(100, spec(1, &[Some(1)])), Outcome::Trapped, "a VRF");
        assert_eq!(Outcome::Forwarded.status(), RESULT_PROGRAMMED);
        assert_eq!(Outcome::Failed.status(), RESULT_TABLE_FULL);
        assert_eq!(Outcome::Trapped.status(), RESULT_TRAPPED);
    }

    #[test]
    fn masked_clears_host_bits() {
        assert_eq!(masked(p("10.1.2.3/16")), p("10.1.0.0/16"));
        assert_eq!(masked(p("10.1.2.3/0")), p("0.0.0.0/0"));
        assert_eq!(masked(p("10.1.2.3/32")), p("10.1.2.3/32"));
        assert_eq!(masked(p("2001:db8::1/64")), p("2001:db8::/64"));
        assert_eq!(masked(p("2001:db8::1/0")), p("::/0"));
    }

    #[test]
    fn failed_routes_wait_in_arrival_order_per_family() {
        let mut r = Room::default();
        let k = |s: &str| (1u64, 254u32, p(s));
        r.fail(k("10.0.0.0/24"), spec(1, &[Some(1)]));
        r.fail(k("2001:db8::/64"), spec(1, &[Some(1)]));
        r.fail(k("10.0.1.0/24"), spec(1, &[Some(1)]));
        r.fail(k("10.0.2.0/24"), spec(1, &[Some(1)]));
        // replaced while waiting: keeps its place, with the new spec
        r.fail(k("10.0.0.0/24"), spec(1, &[Some(2)]));
        assert!(r.forget(&k("10.0.1.0/24")));
        assert!(!r.forget(&k("10.0.1.0/24")));
        assert_eq!(r.failed_len(), [2, 1]);
        let (first, spec0) = r.take_first(0).unwrap();
        assert_eq!(first, k("10.0.0.0/24"));
        assert_eq!(spec0.hops[0].xid, Some(2));
        assert_eq!(r.take_first(0).unwrap().0, k("10.0.2.0/24"));
        assert!(r.take_first(0).is_none());
        assert_eq!(r.take_first(1).unwrap().0, k("2001:db8::/64"));
        assert_eq!(r.failed_len(), [0, 0]);
    }

    #[test]
    fn outcomes_are_collected_once_asked_for() {
        let mut r = Room::default();
        let k = (1u64, 254u32, p("10.0.0.0/24"));
        r.note(k, Outcome::Forwarded);
        assert!(r.drain().is_empty(), "nobody asked before");
        r.note(k, Outcome::Forwarded);
        r.fail(k, spec(1, &[]));
        assert_eq!(
            r.drain(),
            vec![(k, Outcome::Forwarded), (k, Outcome::Failed)]
        );
        assert!(r.drain().is_empty());
    }
}
