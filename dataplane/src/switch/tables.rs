//! What SWITCHD programmed: proxies, routes per namespace and table, and
//! neighbours, with the indexes forwarding needs (VLAN by lower and id,
//! members by upper, local addresses).
//!
//! The forwarding thread reads these under a read lock taken once per
//! batch of frames; programming takes the write lock per batch of lines.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::net::IpAddr;

use super::lpm::Lpm;
use super::packet::Mac;
use super::program::{route_line, wire, Kind, LinkSpec, Op, Prefix, RouteSpec};
use super::report::{self, Item};
use super::room::{self, Outcome, Room, RouteKey};
use crate::records::Writer;

/// The table forwarding looks routes up in (RT_TABLE_MAIN).
pub const MAIN_TABLE: u32 = 254;

/// Routes of one namespace and table. A route's prefix maps to the id of
/// its next-hop set, stored once in [`Groups`] however many routes use it
/// (a full table has a million routes and a handful of sets), so that a
/// route costs its hash table entry and no allocation of its own.
///
/// The prefixes of routes that did not fit ([`room`]) are kept too, without
/// next hops, so that a lookup they cover misses: a shorter route the
/// switch holds must not take traffic that Linux routes by a longer one.
#[derive(Debug, Default)]
pub struct Fib {
    v4: Lpm<u32, u32>,
    v6: Lpm<u128, u32>,
    groups: Groups,
    failed4: Lpm<u32, ()>,
    failed6: Lpm<u128, ()>,
}

impl Fib {
    pub fn lookup(&self, a: IpAddr) -> Option<&RouteSpec> {
        let (len, id, failed) = match a {
            IpAddr::V4(a) => {
                let (len, id) = self.v4.lookup_len(u32::from(a))?;
                (len, id, self.failed4.lookup_len(u32::from(a)))
            }
            IpAddr::V6(a) => {
                let (len, id) = self.v6.lookup_len(u128::from(a))?;
                (len, id, self.failed6.lookup_len(u128::from(a)))
            }
        };
        if failed.is_some_and(|(l, _)| l > len) {
            return None;
        }
        Some(self.groups.get(*id))
    }

    /// Whether a route for exactly `p` is held.
    fn holds(&self, p: Prefix) -> bool {
        match p.addr {
            IpAddr::V4(a) => self.v4.get(u32::from(a), p.len).is_some(),
            IpAddr::V6(a) => self.v6.get(u128::from(a), p.len).is_some(),
        }
    }

    /// Adds or replaces the route for `p`; true when it is new.
    fn insert(&mut self, p: Prefix, r: RouteSpec) -> bool {
        let id = self.groups.intern(r);
        let old = match p.addr {
            IpAddr::V4(a) => self.v4.replace(u32::from(a), p.len, id),
            IpAddr::V6(a) => self.v6.replace(u128::from(a), p.len, id),
        };
        match old {
            Some(Some(old)) => {
                self.groups.release(old);
                false
            }
            Some(None) => true,
            // A length beyond the family's: parsing refuses those first.
            None => {
                self.groups.release(id);
                false
            }
        }
    }

    /// Removes the route for `p`; true when there was one.
    fn remove(&mut self, p: Prefix) -> bool {
        let old = match p.addr {
            IpAddr::V4(a) => self.v4.remove(u32::from(a), p.len),
            IpAddr::V6(a) => self.v6.remove(u128::from(a), p.len),
        };
        if let Some(id) = old {
            self.groups.release(id);
        }
        old.is_some()
    }

    /// Marks `p` as a route that did not fit (`on`), or no longer.
    fn set_failed(&mut self, p: Prefix, on: bool) {
        match (p.addr, on) {
            (IpAddr::V4(a), true) => {
                self.failed4.insert(u32::from(a), p.len, ());
            }
            (IpAddr::V4(a), false) => {
                self.failed4.remove(u32::from(a), p.len);
            }
            (IpAddr::V6(a), true) => {
                self.failed6.insert(u128::from(a), p.len, ());
            }
            (IpAddr::V6(a), false) => {
                self.failed6.remove(u128::from(a), p.len);
            }
        }
    }

    /// IPv4 and IPv6 routes held.
    pub fn len(&self) -> (usize, usize) {
        (self.v4.len(), self.v6.len())
    }

    /// Every route, in no particular order.
    pub fn routes(&self) -> impl Iterator<Item = (Prefix, &RouteSpec)> {
        let v4 = self.v4.iter().map(|(a, len, id)| {
            let addr = IpAddr::V4(a.into());
            (Prefix { addr, len }, self.groups.get(*id))
        });
        let v6 = self.v6.iter().map(|(a, len, id)| {
            let addr = IpAddr::V6(a.into());
            (Prefix { addr, len }, self.groups.get(*id))
        });
        v4.chain(v6)
    }

    /// Next-hop sets in use.
    pub fn groups(&self) -> usize {
        self.groups.ids.len()
    }
}

/// Next-hop sets (with their route type), each stored once and counted
/// by the routes that use it; a set no route uses is freed.
#[derive(Debug, Default)]
struct Groups {
    /// By id; an empty spec where the id is free.
    specs: Vec<RouteSpec>,
    /// Routes using each id.
    refs: Vec<u32>,
    ids: HashMap<RouteSpec, u32>,
    free: Vec<u32>,
    /// The set interned last: routes come in runs through one next hop,
    /// and comparing is cheaper than hashing.
    last: Option<u32>,
}

impl Groups {
    /// The id of `r`, counting one more route that uses it.
    fn intern(&mut self, r: RouteSpec) -> u32 {
        if let Some(id) = self.last.filter(|&id| self.specs[id as usize] == r) {
            self.refs[id as usize] += 1;
            return id;
        }
        if let Some(&id) = self.ids.get(&r) {
            self.last = Some(id);
            self.refs[id as usize] += 1;
            return id;
        }
        let id = match self.free.pop() {
            Some(id) => {
                self.specs[id as usize] = r.clone();
                self.refs[id as usize] = 1;
                id
            }
            None => {
                // More sets than a u32 counts would need more routes than
                // memory holds.
                let id = self.specs.len() as u32;
                self.specs.push(r.clone());
                self.refs.push(1);
                id
            }
        };
        self.ids.insert(r, id);
        self.last = Some(id);
        id
    }

    /// One route less uses `id`.
    fn release(&mut self, id: u32) {
        let i = id as usize;
        self.refs[i] -= 1;
        if self.refs[i] == 0 {
            let r = std::mem::replace(
                &mut self.specs[i],
                RouteSpec {
                    kind: 0,
                    hops: Vec::new(),
                },
            );
            self.ids.remove(&r);
            self.free.push(id);
            if self.last == Some(id) {
                self.last = None;
            }
        }
    }

    fn get(&self, id: u32) -> &RouteSpec {
        &self.specs[id as usize]
    }
}

/// Hashes (namespace, table) keys, looked up per route programmed and per
/// packet routed: a few ids that the kernel and the operator choose, not
/// traffic, so a multiply is enough and SipHash's resistance to chosen
/// collisions is not needed.
#[derive(Debug, Default, Clone, Copy)]
pub struct IdHasher(u64);

impl IdHasher {
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.add(u64::from(*b));
        }
    }

    fn write_u32(&mut self, v: u32) {
        self.add(u64::from(v));
    }

    fn write_u64(&mut self, v: u64) {
        self.add(v);
    }
}

/// Everything programmed.
#[derive(Debug, Default)]
pub struct Tables {
    links: HashMap<u32, LinkSpec>,
    /// (lower xid, vid) -> VLAN proxy xid
    vlans: HashMap<(u32, u16), u32>,
    /// upper xid -> member xids, ascending
    members: HashMap<u32, Vec<u32>>,
    /// addresses of proxies, per namespace
    local: HashSet<(u64, IpAddr)>,
    fibs: HashMap<(u64, u32), Fib, BuildHasherDefault<IdHasher>>,
    neighbours: HashMap<(u64, u32, IpAddr), Mac>,
    /// Bumped when links change, so that the forwarding thread can drop
    /// FDB entries that point at members that left.
    pub generation: u64,
    /// Links changed since the indexes were last built.
    stale: bool,
    /// IPv4 and IPv6 routes held, of every namespace and table.
    held: [usize; 2],
    /// The limits, and the routes that did not fit.
    room: Room,
}

impl Tables {
    /// Applies one operation (not attach or detach, which are the
    /// switch's business, not the tables') and rebuilds the indexes if it
    /// changed a link. The switch stages a whole batch instead; tests
    /// apply one line at a time.
    #[cfg(test)]
    pub fn apply(&mut self, op: Op) {
        self.stage(op);
        self.commit();
    }

    /// Applies one operation but leaves the link indexes stale until
    /// [`Tables::commit`]: a dump of N links in one batch then rebuilds
    /// them once, not N times.
    pub fn stage(&mut self, op: Op) {
        match op {
            Op::Link(l) => {
                self.links.insert(l.xid, l);
                self.stale = true;
            }
            Op::Unlink(x) => {
                if self.links.remove(&x).is_some() {
                    self.neighbours.retain(|k, _| k.1 != x);
                    self.stale = true;
                }
            }
            Op::Route(net, table, p, r) => self.route(net, table, p, r),
            Op::Unroute(net, table, p) => self.unroute(net, table, p),
            Op::Neigh(net, x, a, m) => {
                self.neighbours.insert((net, x, a), m);
            }
            Op::Unneigh(net, x, a) => {
                self.neighbours.remove(&(net, x, a));
            }
            Op::Clear => {
                let g = self.generation;
                let mut room = std::mem::take(&mut self.room);
                room.clear();
                *self = Tables::default();
                self.generation = g + 1;
                self.room = room;
            }
            Op::Attach(..) | Op::Detach(_) => {}
        }
    }

    /// Holds the route for `p` if there is room or it replaces one held;
    /// otherwise keeps it aside until deletions make room.
    fn route(&mut self, net: u64, table: u32, p: Prefix, r: RouteSpec) {
        let p = room::masked(p);
        let k = (net, table, p);
        let fam = room::family(&p);
        let f = self.fibs.entry((net, table)).or_default();
        let waiting = self.room.is_failed(&k);
        if f.holds(p) || (!waiting && self.held[fam] < self.room.limit[fam]) {
            let o = Outcome::of(table, &r);
            if f.insert(p, r) {
                self.held[fam] += 1;
            }
            self.room.note(k, o);
        } else {
            if !waiting {
                f.set_failed(p, true);
            }
            self.room.fail(k, r);
        }
    }

    fn unroute(&mut self, net: u64, table: u32, p: Prefix) {
        let p = room::masked(p);
        let fam = room::family(&p);
        let Some(f) = self.fibs.get_mut(&(net, table)) else {
            return;
        };
        if f.remove(p) {
            self.held[fam] -= 1;
            self.refill(fam);
        } else if self.room.forget(&(net, table, p)) {
            f.set_failed(p, false);
        }
    }

    /// Moves routes that waited for room into the tables, longest waiting
    /// first, while there is room.
    fn refill(&mut self, fam: usize) {
        while self.held[fam] < self.room.limit[fam] {
            let Some((k, r)) = self.room.take_first(fam) else {
                break;
            };
            let f = self.fibs.entry((k.0, k.1)).or_default();
            f.set_failed(k.2, false);
            let o = Outcome::of(k.1, &r);
            if f.insert(k.2, r) {
                self.held[fam] += 1;
            }
            self.room.note(k, o);
        }
    }

    /// Sets how many IPv4 and IPv6 routes the switch holds (None: no
    /// limit). A higher limit takes routes that waited; a lower one drops
    /// none that are held, it only stops new ones.
    pub fn set_capacity(&mut self, v4: Option<usize>, v6: Option<usize>) {
        self.room.limit = [v4.unwrap_or(usize::MAX), v6.unwrap_or(usize::MAX)];
        self.refill(0);
        self.refill(1);
    }

    /// The limits (None: none).
    pub fn capacity(&self) -> [Option<usize>; 2] {
        self.room.limit.map(|l| (l != usize::MAX).then_some(l))
    }

    /// What became of routes since the last call (or of every route, with
    /// `all`), as `route_result` records; outcomes are collected from the
    /// first call on.
    pub fn route_results(&mut self, all: bool) -> Vec<u8> {
        let pending = self.room.drain();
        let item = |&(net, table, prefix): &RouteKey, o: Outcome| Item::RouteResult {
            net,
            table,
            prefix,
            status: o.status(),
        };
        let items: Vec<Item> = if all {
            let mut v: Vec<Item> = Vec::new();
            for (&(net, table), f) in &self.fibs {
                v.extend(
                    f.routes()
                        .map(|(p, r)| item(&(net, table, p), Outcome::of(table, r))),
                );
            }
            v.extend(self.room.failed().map(|k| item(k, Outcome::Failed)));
            v
        } else {
            pending.iter().map(|(k, o)| item(k, *o)).collect()
        };
        report::encode(&items)
    }

    /// Rebuilds the link indexes if staged operations changed links; the
    /// forwarding thread must not see the tables before this.
    pub fn commit(&mut self) {
        if self.stale {
            self.reindex();
        }
    }

    fn reindex(&mut self) {
        self.stale = false;
        self.generation += 1;
        self.vlans.clear();
        self.members.clear();
        self.local.clear();
        for l in self.links.values() {
            if let (Kind::Vlan, Some(lower)) = (l.kind, l.lower) {
                self.vlans.insert((lower, l.vid), l.xid);
            }
            for u in &l.uppers {
                self.members.entry(*u).or_default().push(l.xid);
            }
            for a in &l.addrs {
                self.local.insert((l.net, *a));
            }
        }
        for m in self.members.values_mut() {
            m.sort_unstable();
        }
    }

    pub fn link(&self, xid: u32) -> Option<&LinkSpec> {
        self.links.get(&xid)
    }

    pub fn links(&self) -> impl Iterator<Item = &LinkSpec> {
        self.links.values()
    }

    /// The VLAN proxy with id `vid` on `lower`.
    pub fn vlan(&self, lower: u32, vid: u16) -> Option<u32> {
        self.vlans.get(&(lower, vid)).copied()
    }

    /// Members of a lag or bridge, ascending.
    pub fn members(&self, upper: u32) -> &[u32] {
        self.members.get(&upper).map_or(&[], |v| v.as_slice())
    }

    /// The first upper of `xid` of `kind` that is programmed.
    pub fn upper(&self, xid: u32, kind: Kind) -> Option<&LinkSpec> {
        self.links
            .get(&xid)?
            .uppers
            .iter()
            .filter_map(|u| self.links.get(u))
            .find(|u| u.kind == kind)
    }

    /// True when `a` is an address of a proxy in namespace `net`.
    pub fn is_local(&self, net: u64, a: IpAddr) -> bool {
        self.local.contains(&(net, a))
    }

    pub fn fib(&self, net: u64, table: u32) -> Option<&Fib> {
        self.fibs.get(&(net, table))
    }

    pub fn neighbour(&self, net: u64, xid: u32, a: IpAddr) -> Option<Mac> {
        self.neighbours.get(&(net, xid, a)).copied()
    }

    /// Every route as the record that programs it, sorted by namespace,
    /// table, family, address and prefix length, so that what the switch
    /// holds can be compared with what Linux has.
    pub fn route_records(&self) -> Vec<u8> {
        let mut all: Vec<(u64, u32, Prefix, &RouteSpec)> = Vec::new();
        for (&(net, table), f) in &self.fibs {
            all.extend(f.routes().map(|(p, r)| (net, table, p, r)));
        }
        all.sort_unstable_by_key(|&(net, table, p, _)| (net, table, p.addr, p.len));
        let mut w = Writer::new();
        for (net, table, p, r) in all {
            // A prefix and hops of one family, as the records say: cannot fail.
            let _ = wire::route(&mut w, net, table, p, r);
        }
        w.finish().unwrap_or_default()
    }

    /// Every route as the `route` line that programs it, sorted as
    /// [`Tables::route_records`] sorts them.
    pub fn route_lines(&self) -> Vec<String> {
        let mut all: Vec<(u64, u32, Prefix, &RouteSpec)> = Vec::new();
        for (&(net, table), f) in &self.fibs {
            all.extend(f.routes().map(|(p, r)| (net, table, p, r)));
        }
        all.sort_unstable_by_key(|&(net, table, p, _)| (net, table, p.addr, p.len));
        all.into_iter()
            .map(|(net, table, p, r)| route_line(net, table, p, r))
            .collect()
    }

    /// Counts for the summary report: the routes held, and with a
    /// capacity, the capacity and the routes that did not fit.
    pub fn counts(&self) -> Vec<(&'static str, u64)> {
        let mut out = vec![
            ("links", self.links.len() as u64),
            ("routes4", self.held[0] as u64),
            ("routes6", self.held[1] as u64),
            ("neighbours", self.neighbours.len() as u64),
        ];
        let failed = self.room.failed_len();
        for (i, (cap, failed_name)) in [
            ("capacity4", "routes4.failed"),
            ("capacity6", "routes6.failed"),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(c) = self.capacity()[i] {
                out.push((cap, c as u64));
                out.push((failed_name, failed[i] as u64));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::program::parse_line;
    use super::*;

    fn tables(lines: &[&str]) -> Tables {
        let mut t = Tables::default();
        for l in lines {
            t.apply(parse_line(l).unwrap().unwrap());
        }
        t
    }

    #[test]
    fn a_staged_batch_indexes_once_and_like_single_applies() {
        let lines = [
            "link 10 port 1 1 1 02:00:00:00:00:0a - 0 3000 10.0.0.1",
            "link 11 port 1 1 1 02:00:00:00:00:0b - 0 3000 -",
            "link 3000 bridge 1 1 1 02:00:00:00:00:30 - 0 - -",
            "link 40970 vlan 1 1 1 02:00:00:00:00:0a 10 10 - -",
            "unlink 11",
        ];
        let single = tables(&lines);
        let mut t = Tables::default();
        for l in lines {
            t.stage(parse_line(l).unwrap().unwrap());
        }
        assert_eq!(t.generation, 0, "staging alone must not rebuild");
        t.commit();
        assert_eq!(t.generation, 1);
        t.commit();
        assert_eq!(t.generation, 1, "nothing staged, nothing rebuilt");
        assert_eq!(t.members(3000), single.members(3000));
        assert_eq!(t.members(3000), &[10]);
        assert_eq!(t.vlan(10, 10), Some(40970));
        assert!(t.is_local(1, "10.0.0.1".parse().unwrap()));
        t.stage(parse_line("route 1 254 10.9.0.0/16 1 10").unwrap().unwrap());
        t.commit();
        assert_eq!(t.generation, 1, "a route is not a link change");
    }

    #[test]
    fn indexes_follow_links() {
        let mut t = tables(&[
            "link 10 port 1 1 1 02:00:00:00:00:0a - 0 3000 -",
            "link 11 port 1 1 1 02:00:00:00:00:0b - 0 3001 -",
            "link 12 port 1 1 1 02:00:00:00:00:0c - 0 3001 -",
            "link 3001 lag 1 1 1 02:00:00:00:00:0c - 0 3000 -",
            "link 3000 bridge 1 1 1 02:00:00:00:00:30 - 0 - 10.0.0.1,2001:db8::1",
            "link 40970 vlan 1 1 1 02:00:00:00:00:0a 10 10 - -",
        ]);
        assert_eq!(t.members(3000), &[10, 3001]);
        assert_eq!(t.members(3001), &[11, 12]);
        assert_eq!(t.upper(11, Kind::Lag).unwrap().xid, 3001);
        assert_eq!(t.upper(3001, Kind::Bridge).unwrap().xid, 3000);
        assert!(t.upper(11, Kind::Bridge).is_none());
        assert_eq!(t.vlan(10, 10), Some(40970));
        assert!(t.is_local(1, "10.0.0.1".parse().unwrap()));
        assert!(t.is_local(1, "2001:db8::1".parse().unwrap()));
        assert!(!t.is_local(2, "10.0.0.1".parse().unwrap()));
        let g = t.generation;
        t.apply(
            parse_line("neigh 1 10 10.0.0.2 02:00:00:00:00:99")
                .unwrap()
                .unwrap(),
        );
        t.apply(parse_line("unlink 10").unwrap().unwrap());
        assert!(t.generation > g);
        assert_eq!(t.members(3000), &[3001]);
        assert!(
            t.neighbour(1, 10, "10.0.0.2".parse().unwrap()).is_none(),
            "a proxy's neighbours go with it"
        );
    }

    #[test]
    fn next_hop_sets_are_stored_once_and_freed_with_their_last_route() {
        let mut t = Tables::default();
        for i in 0..1000u32 {
            let line = format!("route 1 254 10.{}.{}.0/24 1 10@10.9.0.1", i >> 8, i & 255);
            t.apply(parse_line(&line).unwrap().unwrap());
        }
        let f = t.fib(1, 254).unwrap();
        assert_eq!(f.len(), (1000, 0));
        assert_eq!(f.groups(), 1, "1000 routes, one next-hop set");
        // Replacing half with another gateway makes a second set; removing
        // them frees it again.
        for i in 0..500u32 {
            let line = format!("route 1 254 10.{}.{}.0/24 1 10@10.9.0.2", i >> 8, i & 255);
            t.apply(parse_line(&line).unwrap().unwrap());
        }
        assert_eq!(t.fib(1, 254).unwrap().groups(), 2);
        let a: IpAddr = "10.0.1.1".parse().unwrap();
        let b: IpAddr = "10.3.1.1".parse().unwrap();
        let gw = |x: IpAddr| t.fib(1, 254).unwrap().lookup(x).unwrap().hops[0].gw;
        assert_eq!(gw(a), Some("10.9.0.2".parse().unwrap()));
        assert_eq!(gw(b), Some("10.9.0.1".parse().unwrap()));
        for i in 0..500u32 {
            let line = format!("unroute 1 254 10.{}.{}.0/24", i >> 8, i & 255);
            t.apply(parse_line(&line).unwrap().unwrap());
        }
        assert_eq!(t.fib(1, 254).unwrap().groups(), 1);
        for i in 500..1000u32 {
            let line = format!("unroute 1 254 10.{}.{}.0/24", i >> 8, i & 255);
            t.apply(parse_line(&line).unwrap().unwrap());
        }
        let f = t.fib(1, 254).unwrap();
        assert_eq!((f.len(), f.groups()), ((0, 0), 0));
    }

    #[test]
    fn routes_per_namespace_and_table() {
        let mut t = tables(&[
            "route 1 254 10.0.0.0/8 1 10@10.9.0.1",
            "route 1 100 10.0.0.0/8 1 11",
            "route 2 254 ::/0 1 12@fe80::1",
        ]);
        let a: IpAddr = "10.1.1.1".parse().unwrap();
        assert_eq!(
            t.fib(1, 254).unwrap().lookup(a).unwrap().hops[0].xid,
            Some(10)
        );
        assert_eq!(
            t.fib(1, 100).unwrap().lookup(a).unwrap().hops[0].xid,
            Some(11)
        );
        assert!(t.fib(2, 254).unwrap().lookup(a).is_none());
        assert!(t
            .fib(2, 254)
            .unwrap()
            .lookup("2001::1".parse().unwrap())
            .is_some());
        assert_eq!(t.counts()[1], ("routes4", 2));
        // Host bits are dropped on the way in; a replaced route is listed
        // once, as it is now.
        t.apply(
            parse_line("route 1 254 10.0.0.0/8 1 10@10.9.0.2")
                .unwrap()
                .unwrap(),
        );
        t.apply(
            parse_line("route 1 254 192.0.2.77/24 6 -")
                .unwrap()
                .unwrap(),
        );
        assert_eq!(
            t.route_lines(),
            [
                "route 1 100 10.0.0.0/8 1 11",
                "route 1 254 10.0.0.0/8 1 10@10.9.0.2",
                "route 1 254 192.0.2.0/24 6 -",
                "route 2 254 ::/0 1 12@fe80::1",
            ]
        );
        t.apply(parse_line("unroute 1 254 10.0.0.0/8").unwrap().unwrap());
        assert!(t.fib(1, 254).unwrap().lookup(a).is_none());
        t.apply(Op::Clear);
        assert_eq!(t.counts()[2], ("routes6", 0));
    }
    fn results(t: &mut Tables, all: bool) -> Vec<String> {
        let text = report::text(&t.route_results(all)).unwrap();
        let mut v: Vec<String> = text.lines().map(str::to_owned).collect();
        if all {
            v.sort();
        }
        v
    }

    fn route(t: &mut Tables, line: &str) {
        t.apply(parse_line(line).unwrap().unwrap());
    }

    #[test]
    fn routes_past_the_capacity_fail_and_wait_in_arrival_order() {
        let mut t = Tables::default();
        t.set_capacity(Some(2), Some(1));
        assert!(results(&mut t, false).is_empty(), "collecting from here on");
        route(&mut t, "route 1 254 10.0.0.0/24 1 10@10.9.0.1");
        route(&mut t, "route 1 255 10.0.0.1/32 2 10");
        route(&mut t, "route 1 254 10.0.1.0/24 1 10@10.9.0.1");
        route(&mut t, "route 1 254 10.0.2.0/24 1 ?");
        route(&mut t, "route 1 254 2001:db8::/64 1 10");
        route(&mut t, "route 1 254 2001:db8:1::/64 1 10");
        assert_eq!(
            results(&mut t, false),
            [
                "result 1 254 10.0.0.0/24 forwarded",
                "result 1 255 10.0.0.1/32 trapped",
                "result 1 254 10.0.1.0/24 failed",
                "result 1 254 10.0.2.0/24 failed",
                "result 1 254 2001:db8::/64 forwarded",
                "result 1 254 2001:db8:1::/64 failed",
            ]
        );
        let c: std::collections::HashMap<_, _> = t.counts().into_iter().collect();
        assert_eq!(
            (c["routes4"], c["capacity4"], c["routes4.failed"]),
            (2, 2, 2)
        );
        assert_eq!(
            (c["routes6"], c["capacity6"], c["routes6.failed"]),
            (1, 1, 1)
        );
        // Replacing a held route keeps it held; a failed one stays failed
        // and keeps its place in line.
        route(&mut t, "route 1 254 10.0.0.0/24 1 10@10.9.0.2");
        route(&mut t, "route 1 254 10.0.1.0/24 1 11@10.9.0.3");
        assert_eq!(
            results(&mut t, false),
            [
                "result 1 254 10.0.0.0/24 forwarded",
                "result 1 254 10.0.1.0/24 failed",
            ]
        );
        // A deletion makes room for the route that waited longest, with
        // what it was last sent; deleting a waiting route says nothing.
        route(&mut t, "unroute 1 255 10.0.0.1/32");
        assert_eq!(
            results(&mut t, false),
            ["result 1 254 10.0.1.0/24 forwarded"]
        );
        let a: IpAddr = "10.0.1.9".parse().unwrap();
        assert_eq!(
            t.fib(1, 254).unwrap().lookup(a).unwrap().hops[0].xid,
            Some(11)
        );
        route(&mut t, "unroute 1 254 2001:db8:1::/64");
        route(&mut t, "unroute 1 254 2001:db8::/64");
        assert!(results(&mut t, false).is_empty());
        assert_eq!(t.counts()[2], ("routes6", 0));
        // The whole picture, for a new connection.
        assert_eq!(
            results(&mut t, true),
            [
                "result 1 254 10.0.0.0/24 forwarded",
                "result 1 254 10.0.1.0/24 forwarded",
                "result 1 254 10.0.2.0/24 failed",
            ]
        );
        // More room takes what waits; clear forgets it but keeps limits.
        t.set_capacity(Some(3), None);
        assert_eq!(results(&mut t, false), ["result 1 254 10.0.2.0/24 trapped"]);
        route(&mut t, "route 1 254 10.0.3.0/24 1 10");
        route(&mut t, "route 1 254 10.0.4.0/24 1 10");
        t.apply(Op::Clear);
        assert_eq!(t.counts().len(), 6, "capacity4 and routes4.failed stay");
        assert_eq!(t.counts()[5], ("routes4.failed", 0));
        assert!(results(&mut t, true).is_empty());
    }

    #[test]
    fn a_failed_route_is_not_shadowed_by_a_shorter_one_held() {
        let mut t = Tables::default();
        t.set_capacity(Some(1), Some(1));
        route(&mut t, "route 1 254 0.0.0.0/0 1 10@10.9.0.1");
        route(&mut t, "route 1 254 10.1.0.0/16 1 11@10.9.0.2");
        route(&mut t, "route 1 254 ::/0 1 10@fe80::1");
        route(&mut t, "route 1 254 2001:db8::/32 1 11@fe80::2");
        let f = t.fib(1, 254).unwrap();
        // Linux routes 10.1/16 and 2001:db8::/32: the switch must miss.
        assert!(f.lookup("10.1.2.3".parse().unwrap()).is_none());
        assert!(f.lookup("2001:db8::1".parse().unwrap()).is_none());
        assert!(f.lookup("10.2.2.3".parse().unwrap()).is_some());
        assert!(f.lookup("2001:db9::1".parse().unwrap()).is_some());
        route(&mut t, "unroute 1 254 10.1.0.0/16");
        route(&mut t, "unroute 1 254 2001:db8::/32");
        let f = t.fib(1, 254).unwrap();
        assert!(f.lookup("10.1.2.3".parse().unwrap()).is_some());
        assert!(f.lookup("2001:db8::1".parse().unwrap()).is_some());
    }
}
