//! Longest-prefix match for one address family: a hash table per prefix
//! length, searched from the longest length that holds any route.
//!
//! Lookups cost one hash probe per distinct prefix length in use (a few in
//! practice), inserts and deletes one; a million routes take no more than
//! their entries. Addresses are host-order integers (u32 for IPv4, u128
//! for IPv6), so masking is a shift.

use std::collections::HashMap;
use std::hash::Hash;
use std::ops::{BitAnd, Shl};

/// An address family's integer form.
pub trait Bits: Copy + Eq + Hash + BitAnd<Output = Self> + Shl<u32, Output = Self> {
    /// Bits in the address.
    const WIDTH: u8;
    const ONES: Self;
    const ZERO: Self;
}

impl Bits for u32 {
    const WIDTH: u8 = 32;
    const ONES: Self = u32::MAX;
    const ZERO: Self = 0;
}

impl Bits for u128 {
    const WIDTH: u8 = 128;
    const ONES: Self = u128::MAX;
    const ZERO: Self = 0;
}

fn mask<K: Bits>(len: u8) -> K {
    if len == 0 {
        K::ZERO
    } else {
        K::ONES << u32::from(K::WIDTH - len)
    }
}

/// Routes of one family, keyed by prefix.
#[derive(Debug)]
pub struct Lpm<K: Bits, V> {
    /// Index = prefix length.
    by_len: Vec<HashMap<K, V>>,
    /// Prefix lengths that hold routes, longest first.
    lens: Vec<u8>,
    len: usize,
}

impl<K: Bits, V> Default for Lpm<K, V> {
    fn default() -> Self {
        Lpm {
            by_len: (0..=K::WIDTH).map(|_| HashMap::new()).collect(),
            lens: Vec::new(),
            len: 0,
        }
    }
}

impl<K: Bits, V> Lpm<K, V> {
    /// Routes held.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Inserts or replaces the route for `addr/plen` (host bits ignored).
    /// Returns false for a prefix length beyond the family's width.
    pub fn insert(&mut self, addr: K, plen: u8, v: V) -> bool {
        self.replace(addr, plen, v).is_some()
    }

    /// Inserts or replaces the route for `addr/plen` (host bits ignored)
    /// and returns the value it replaced: Some(None) when there was none,
    /// None for a prefix length beyond the family's width.
    pub fn replace(&mut self, addr: K, plen: u8, v: V) -> Option<Option<V>> {
        if plen > K::WIDTH {
            return None;
        }
        let t = &mut self.by_len[usize::from(plen)];
        let old = t.insert(addr & mask(plen), v);
        if old.is_none() {
            self.len += 1;
            if t.len() == 1 {
                self.lens.push(plen);
                self.lens.sort_unstable_by(|a, b| b.cmp(a));
            }
        }
        Some(old)
    }

    /// Removes the route for `addr/plen`; returns it.
    pub fn remove(&mut self, addr: K, plen: u8) -> Option<V> {
        let t = self.by_len.get_mut(usize::from(plen))?;
        let v = t.remove(&(addr & mask(plen)))?;
        self.len -= 1;
        if t.is_empty() {
            self.lens.retain(|l| *l != plen);
        }
        Some(v)
    }

    /// The route with the longest prefix that covers `addr`.
    pub fn lookup(&self, addr: K) -> Option<&V> {
        self.lens
            .iter()
            .find_map(|l| self.by_len[usize::from(*l)].get(&(addr & mask(*l))))
    }

    /// As [`Lpm::lookup`], with the matching prefix's length.
    pub fn lookup_len(&self, addr: K) -> Option<(u8, &V)> {
        self.lens.iter().find_map(|l| {
            self.by_len[usize::from(*l)]
                .get(&(addr & mask(*l)))
                .map(|v| (*l, v))
        })
    }

    /// Every route as (prefix, length, value), in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (K, u8, &V)> {
        self.by_len.iter().enumerate().flat_map(|(len, t)| {
            // by_len has WIDTH + 1 <= 129 entries: the index fits a u8.
            let len = len as u8;
            t.iter().map(move |(k, v)| (*k, len, v))
        })
    }

    /// The route for exactly `addr/plen`.
    pub fn get(&self, addr: K, plen: u8) -> Option<&V> {
        self.by_len
            .get(usize::from(plen))?
            .get(&(addr & mask(plen)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(s: &str) -> u32 {
        u32::from(s.parse::<std::net::Ipv4Addr>().unwrap())
    }

    #[test]
    fn longest_prefix_wins_and_removal_falls_back() {
        let mut t: Lpm<u32, &str> = Lpm::default();
        assert!(t.insert(0, 0, "default"));
        assert!(t.insert(v4("10.0.0.0"), 8, "ten"));
        assert!(t.insert(v4("10.1.2.3"), 24, "ten-one-two"));
        assert!(!t.insert(0, 33, "bad"));
        assert_eq!(t.len(), 3);
        assert_eq!(t.lookup(v4("10.1.2.200")), Some(&"ten-one-two"));
        assert_eq!(t.lookup(v4("10.1.3.1")), Some(&"ten"));
        assert_eq!(t.lookup(v4("11.0.0.1")), Some(&"default"));
        assert_eq!(t.get(v4("10.1.2.0"), 24), Some(&"ten-one-two"));
        assert_eq!(t.remove(v4("10.1.2.0"), 24), Some("ten-one-two"));
        assert_eq!(t.remove(v4("10.1.2.0"), 24), None);
        assert_eq!(t.lookup(v4("10.1.2.200")), Some(&"ten"));
        assert_eq!(t.remove(0, 0), Some("default"));
        assert_eq!(t.lookup(v4("11.0.0.1")), None);
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn host_routes_and_ipv6() {
        let mut t: Lpm<u128, u8> = Lpm::default();
        let a = u128::from("2001:db8::1".parse::<std::net::Ipv6Addr>().unwrap());
        t.insert(a, 128, 1);
        t.insert(a, 32, 2);
        assert_eq!(t.lookup(a), Some(&1));
        assert_eq!(t.lookup(a + 1), Some(&2));
        assert_eq!(t.lookup(0), None);
        t.insert(a, 32, 3);
        assert_eq!(t.len(), 2, "replacing does not add");
        assert_eq!(t.lookup(a + 1), Some(&3));
    }
}
