/**
 * The FIB as the kernel announced it: IPv4 and IPv6 routes per namespace
 * and table.
 *
 * Event semantics follow the kernel's FIB notifiers, which the module
 * forwards as they are:
 * - IPv4 notifies only the route that is in use for a prefix (the first
 *   alias): REPLACE installs it, DEL removes the prefix. A route is keyed
 *   by (table, address, prefix length); TOS is an attribute.
 * - IPv6 REPLACE installs a route with its next hop and siblings; APPEND
 *   and ADD add next hops to a multipath route (creating it if missing);
 *   DEL removes the next hops it names, and the route with its last one.
 *
 * A full Internet table is a million routes and a handful of next-hop
 * sets, so routes are kept compact: rows of typed arrays per namespace
 * and family (route_table.ts), each naming its next-hop set, which is kept
 * once ({@link HopSets}). Routes handed out (changes, iteration, lookups)
 * are objects made on the way out; their `nextHops` are shared with the
 * FIB and must not be changed.
 *
 * @module
 */

import { FIB_EVENT } from "../protocol/kinds.ts";
import type {
  Fib6Entry,
  FibEntry,
  NextHop,
  NextHop6,
} from "../protocol/types.ts";
import { RouteTable } from "./route_table.ts";

/** An IPv4 route as installed, without the message's event. */
export type Route4 = Omit<FibEntry, "kind" | "event">;
/** An IPv6 route as installed, without the message's event. */
export type Route6 = Omit<Fib6Entry, "kind" | "event">;

/** What a FIB message changed, for the SWITCH backend. */
export type FibChange =
  | { op: "set"; family: "inet"; route: Route4 }
  | { op: "del"; family: "inet"; route: Route4 }
  | { op: "set"; family: "inet6"; route: Route6 }
  | { op: "del"; family: "inet6"; route: Route6 };

function sameHop4(a: NextHop, b: NextHop): boolean {
  return a.ifindex === b.ifindex && a.gw === b.gw && a.weight === b.weight &&
    a.flags === b.flags && a.scope === b.scope;
}

function sameHop6(a: NextHop6, b: NextHop6): boolean {
  return a.ifindex === b.ifindex && a.gw === b.gw;
}

function sameHop6Fully(a: NextHop6, b: NextHop6): boolean {
  return sameHop6(a, b) && a.weight === b.weight && a.flags === b.flags;
}

function sameHops<H>(
  a: readonly H[],
  b: readonly H[],
  same: (x: H, y: H) => boolean,
): boolean {
  return a.length === b.length && a.every((h, i) => same(h, b[i]));
}

const key4 = (hops: readonly NextHop[]) =>
  hops.map((h) => `${h.ifindex},${h.weight},${h.flags},${h.gw},${h.scope}`)
    .join(";");
const key6 = (hops: readonly NextHop6[]) =>
  hops.map((h) => `${h.ifindex},${h.weight},${h.flags},${h.gw.toString(16)}`)
    .join(";");

/**
 * Next-hop sets of one family, each kept once with the number of routes
 * that use it, and freed with the last. Two sets are the same when every
 * field of every hop is, in order.
 */
export class HopSets<H> {
  readonly #key: (hops: readonly H[]) => string;
  readonly #same: (a: H, b: H) => boolean;
  readonly #ids = new Map<string, number>();
  readonly #hops: H[][] = [];
  readonly #keys: string[] = [];
  readonly #refs: number[] = [];
  readonly #free: number[] = [];
  /** the set interned last: routes come in runs through one next hop */
  #last = -1;

  constructor(
    key: (hops: readonly H[]) => string,
    same: (a: H, b: H) => boolean,
  ) {
    this.#key = key;
    this.#same = same;
  }

  /** Sets held. */
  get size(): number {
    return this.#ids.size;
  }

  /** The id of `hops`, counting one more route that uses it. */
  intern(hops: H[]): number {
    const last = this.#last;
    if (last >= 0 && sameHops(this.#hops[last], hops, this.#same)) {
      this.#refs[last]++;
      return last;
    }
    const key = this.#key(hops);
    let id = this.#ids.get(key);
    if (id !== undefined) {
      this.#refs[id]++;
    } else {
      id = this.#free.pop() ?? this.#hops.length;
      this.#hops[id] = hops;
      this.#keys[id] = key;
      this.#refs[id] = 1;
      this.#ids.set(key, id);
    }
    this.#last = id;
    return id;
  }

  /** One route less uses `id`. */
  release(id: number): void {
    if (--this.#refs[id] > 0) return;
    this.#ids.delete(this.#keys[id]);
    this.#hops[id] = [];
    this.#keys[id] = "";
    this.#free.push(id);
    if (this.#last === id) this.#last = -1;
  }

  hops(id: number): H[] {
    return this.#hops[id];
  }

  /** What makes the set the same as another's, across FIBs. */
  key(id: number): string {
    return this.#keys[id];
  }
}

/** The routes of one namespace. */
class NetFib {
  readonly v4 = new RouteTable(1);
  readonly v6 = new RouteTable(4);

  get size(): number {
    return this.v4.size + this.v6.size;
  }
}

// Scratch for prefixes on their way into and out of the tables: one
// word for IPv4, four for IPv6 (most significant first). An IPv6 bigint
// goes through two 64-bit halves whose 32-bit words are read in place, in
// the host's byte order (this memory never leaves the process).
const KEY4 = new Uint32Array(1);
const KEY6 = new Uint32Array(4);
const HALVES = new BigUint64Array(2);
const WORDS = new Uint32Array(HALVES.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** WORDS' index of each prefix word, most significant first */
const AT = LITTLE ? [1, 0, 3, 2] : [0, 1, 2, 3];

function toKey6(a: bigint, key: Uint32Array): Uint32Array {
  HALVES[0] = a >> 64n;
  HALVES[1] = a; // truncated to its low 64 bits
  key[0] = WORDS[AT[0]];
  key[1] = WORDS[AT[1]];
  key[2] = WORDS[AT[2]];
  key[3] = WORDS[AT[3]];
  return key;
}

function fromKey6(t: RouteTable, r: number): bigint {
  WORDS[AT[0]] = t.word(r, 0);
  WORDS[AT[1]] = t.word(r, 1);
  WORDS[AT[2]] = t.word(r, 2);
  WORDS[AT[3]] = t.word(r, 3);
  return (HALVES[0] << 64n) | HALVES[1];
}

/** Every namespace's routes. */
export class Fib {
  readonly #nets = new Map<bigint, NetFib>();
  readonly #sets4 = new HopSets<NextHop>(key4, sameHop4);
  readonly #sets6 = new HopSets<NextHop6>(key6, sameHop6Fully);
  #lastCookie = 0n;

  /**
   * The highest cookie of the messages applied (0: none came with one).
   * A mux numbers its FIB messages in the order it sends them, so a route
   * whose cookie is above the value read at some moment changed after it.
   */
  get lastCookie(): bigint {
    return this.#lastCookie;
  }

  /** Number of routes held. */
  get size(): number {
    let n = 0;
    for (const f of this.#nets.values()) n += f.size;
    return n;
  }

  /** Bytes of the tables: what the routes cost (next-hop sets aside). */
  get bytes(): number {
    let n = 0;
    for (const f of this.#nets.values()) n += f.v4.bytes + f.v6.bytes;
    return n;
  }

  /** Next-hop sets held, IPv4 and IPv6. */
  get hopSets(): number {
    return this.#sets4.size + this.#sets6.size;
  }

  #saw(cookie: bigint | undefined): void {
    if (cookie !== undefined && cookie > this.#lastCookie) {
      this.#lastCookie = cookie;
    }
  }

  /** Applies a FIBENTRY; returns what changed. */
  apply4(m: FibEntry): FibChange[] {
    this.#saw(m.cookie);
    KEY4[0] = m.address;
    if (m.event === FIB_EVENT.DEL) {
      const f = this.#nets.get(m.net);
      const r = f ? f.v4.find(m.table, KEY4, m.prefixLength) : -1;
      if (!f || r < 0) return [];
      const old = this.#route4(m.net, f.v4, r);
      this.#sets4.release(f.v4.hop(r));
      f.v4.remove(r);
      this.#gc(m.net, f);
      return [{ op: "del", family: "inet", route: old }];
    }
    // REPLACE, and APPEND/ADD should an older kernel send them, all
    // announce the route now in use for the prefix.
    const t = this.#net(m.net).v4;
    let r = t.find(m.table, KEY4, m.prefixLength);
    const hop = this.#sets4.intern(m.nextHops);
    if (r < 0) r = t.add(m.table, KEY4, m.prefixLength);
    else this.#sets4.release(t.hop(r));
    t.set(r, m.tos, m.type, hop);
    t.setCookie(r, m.cookie ?? 0n);
    const route: Route4 = {
      net: m.net,
      address: m.address,
      prefixLength: m.prefixLength,
      tos: m.tos,
      type: m.type,
      table: m.table,
      nextHops: this.#sets4.hops(hop),
    };
    return [{ op: "set", family: "inet", route }];
  }

  /** Applies a FIB6ENTRY; returns what changed. */
  apply6(m: Fib6Entry): FibChange[] {
    this.#saw(m.cookie);
    toKey6(m.address, KEY6);
    const f = this.#nets.get(m.net);
    const t = f?.v6;
    const r = t ? t.find(m.table, KEY6, m.prefixLength) : -1;
    const oldHops = t && r >= 0 ? this.#sets6.hops(t.hop(r)) : undefined;
    if (m.event === FIB_EVENT.DEL) {
      if (!f || !t || !oldHops) return [];
      const old = this.#route6(m.net, t, r, m.address);
      const left = oldHops.filter((h) =>
        !m.nextHops.some((d) => sameHop6(h, d))
      );
      this.#sets6.release(t.hop(r));
      if (left.length === 0 || left.length === oldHops.length) {
        // Nothing named matched: the kernel deleted the route as a whole.
        t.remove(r);
        this.#gc(m.net, f);
        return [{ op: "del", family: "inet6", route: old }];
      }
      const hop = this.#sets6.intern(left);
      t.set(r, 0, t.type(r), hop);
      t.setCookie(r, m.cookie ?? 0n);
      return [{
        op: "set",
        family: "inet6",
        route: { ...old, nextHops: this.#sets6.hops(hop) },
      }];
    }
    let nextHops = m.nextHops;
    if (oldHops && m.event !== FIB_EVENT.REPLACE) {
      nextHops = [
        ...oldHops,
        ...m.nextHops.filter((h) => !oldHops.some((o) => sameHop6(h, o))),
      ];
    }
    const hop = this.#sets6.intern(nextHops);
    const table = this.#net(m.net).v6;
    let row = r;
    if (row < 0) row = table.add(m.table, KEY6, m.prefixLength);
    else this.#sets6.release(table.hop(row));
    table.set(row, 0, m.type, hop);
    table.setCookie(row, m.cookie ?? 0n);
    const route: Route6 = {
      net: m.net,
      address: m.address,
      prefixLength: m.prefixLength,
      type: m.type,
      table: m.table,
      nextHops: this.#sets6.hops(hop),
    };
    return [{ op: "set", family: "inet6", route }];
  }

  /** Forgets a namespace (NETNS_DEL); returns its routes as deletions. */
  dropNet(net: bigint): FibChange[] {
    const f = this.#nets.get(net);
    if (!f) return [];
    this.#nets.delete(net);
    const out: FibChange[] = [];
    for (let r = 0; r < f.v4.size; r++) {
      out.push({
        op: "del",
        family: "inet",
        route: this.#route4(net, f.v4, r),
      });
      this.#sets4.release(f.v4.hop(r));
    }
    for (let r = 0; r < f.v6.size; r++) {
      out.push({
        op: "del",
        family: "inet6",
        route: this.#route6(net, f.v6, r),
      });
      this.#sets6.release(f.v6.hop(r));
    }
    return out;
  }

  /** Every IPv4 route, namespace by namespace. */
  *routes4(): Generator<Route4> {
    for (const [net, f] of this.#nets) {
      for (let r = 0; r < f.v4.size; r++) yield this.#route4(net, f.v4, r);
    }
  }

  /** Every IPv6 route, namespace by namespace. */
  *routes6(): Generator<Route6> {
    for (const [net, f] of this.#nets) {
      for (let r = 0; r < f.v6.size; r++) yield this.#route6(net, f.v6, r);
    }
  }

  /** The route for exactly this prefix, if held. */
  get4(
    net: bigint,
    table: number,
    address: number,
    prefixLength: number,
  ): Route4 | undefined {
    const t = this.#nets.get(net)?.v4;
    if (!t) return undefined;
    KEY4[0] = address;
    const r = t.find(table, KEY4, prefixLength);
    return r < 0 ? undefined : this.#route4(net, t, r);
  }

  /** The route for exactly this prefix, if held. */
  get6(
    net: bigint,
    table: number,
    address: bigint,
    prefixLength: number,
  ): Route6 | undefined {
    const t = this.#nets.get(net)?.v6;
    if (!t) return undefined;
    const r = t.find(table, toKey6(address, KEY6), prefixLength);
    return r < 0 ? undefined : this.#route6(net, t, r, address);
  }

  /**
   * The kernel's cookie for the current version of an IPv4 route, with
   * its TOS (both go back in its FIB_OFFLOAD result); undefined when the
   * route is not held or came without a cookie.
   */
  cookie4(
    net: bigint,
    table: number,
    address: number,
    prefixLength: number,
  ): { cookie: bigint; tos: number } | undefined {
    const t = this.#nets.get(net)?.v4;
    if (!t) return undefined;
    KEY4[0] = address;
    const r = t.find(table, KEY4, prefixLength);
    const cookie = r < 0 ? 0n : t.cookie(r);
    return cookie === 0n ? undefined : { cookie, tos: t.tos(r) };
  }

  /** As {@link cookie4}, for an IPv6 route. */
  cookie6(
    net: bigint,
    table: number,
    address: bigint,
    prefixLength: number,
  ): bigint | undefined {
    const t = this.#nets.get(net)?.v6;
    if (!t) return undefined;
    const r = t.find(table, toKey6(address, KEY6), prefixLength);
    const cookie = r < 0 ? 0n : t.cookie(r);
    return cookie === 0n ? undefined : cookie;
  }

  /**
   * The changes that turn `old`'s routes into these: sets (IPv4, then
   * IPv6) for routes new or different here (by their forwarding state:
   * {@link sameRoute4}, {@link sameRoute6}), deletions (IPv4, then IPv6)
   * for routes only `old` has. Made without a route object for what is
   * the same.
   */
  diff(old: Fib): { sets: FibChange[]; dels: FibChange[] } {
    const sets: FibChange[] = [], dels: FibChange[] = [];
    const key = new Uint32Array(4);
    const pass = (
      from: Fib,
      to: Fib,
      family: "inet" | "inet6",
      found: (
        net: bigint,
        t: RouteTable,
        r: number,
        there: RouteTable,
        s: number,
      ) => void,
      missing: (net: bigint, t: RouteTable, r: number) => void,
    ) => {
      for (const [net, f] of from.#nets) {
        const t = family === "inet" ? f.v4 : f.v6;
        const g = to.#nets.get(net);
        const there = g && (family === "inet" ? g.v4 : g.v6);
        for (let r = 0; r < t.size; r++) {
          t.key(r, key);
          const s = there ? there.find(t.table(r), key, t.plen(r)) : -1;
          if (s >= 0) found(net, t, r, there!, s);
          else missing(net, t, r);
        }
      }
    };
    for (const family of ["inet", "inet6"] as const) {
      const mine = family === "inet" ? this.#sets4 : this.#sets6;
      const theirs = family === "inet" ? old.#sets4 : old.#sets6;
      const route = (net: bigint, t: RouteTable, r: number, f: Fib) =>
        family === "inet" ? f.#route4(net, t, r) : f.#route6(net, t, r);
      pass(this, old, family, (net, t, r, there, s) => {
        const same = t.type(r) === there.type(s) && t.tos(r) === there.tos(s) &&
          mine.key(t.hop(r)) === theirs.key(there.hop(s));
        if (!same) {
          sets.push(
            { op: "set", family, route: route(net, t, r, this) } as FibChange,
          );
        }
      }, (net, t, r) => {
        sets.push(
          { op: "set", family, route: route(net, t, r, this) } as FibChange,
        );
      });
    }
    for (const family of ["inet", "inet6"] as const) {
      const route = (net: bigint, t: RouteTable, r: number) =>
        family === "inet" ? old.#route4(net, t, r) : old.#route6(net, t, r);
      pass(old, this, family, () => {}, (net, t, r) => {
        dels.push({ op: "del", family, route: route(net, t, r) } as FibChange);
      });
    }
    return { sets, dels };
  }

  #route4(net: bigint, t: RouteTable, r: number): Route4 {
    return {
      net,
      address: t.word(r, 0),
      prefixLength: t.plen(r),
      tos: t.tos(r),
      type: t.type(r),
      table: t.table(r),
      nextHops: this.#sets4.hops(t.hop(r)),
    };
  }

  #route6(net: bigint, t: RouteTable, r: number, address?: bigint): Route6 {
    return {
      net,
      address: address ?? fromKey6(t, r),
      prefixLength: t.plen(r),
      type: t.type(r),
      table: t.table(r),
      nextHops: this.#sets6.hops(t.hop(r)),
    };
  }

  #net(net: bigint): NetFib {
    let f = this.#nets.get(net);
    if (!f) this.#nets.set(net, f = new NetFib());
    return f;
  }

  /** Forgets a namespace that holds no route any more. */
  #gc(net: bigint, f: NetFib): void {
    if (f.size === 0) this.#nets.delete(net);
  }
}

/** True when two IPv4 routes install the same forwarding state. */
export function sameRoute4(a: Route4, b: Route4): boolean {
  return a.tos === b.tos && a.type === b.type &&
    sameHops(a.nextHops, b.nextHops, sameHop4);
}

/** True when two IPv6 routes install the same forwarding state. */
export function sameRoute6(a: Route6, b: Route6): boolean {
  return a.type === b.type && sameHops(a.nextHops, b.nextHops, sameHop6Fully);
}
