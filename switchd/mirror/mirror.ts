/**
 * The mirror: SWITCHD's copy of what the kernel announced over the
 * side-band (links, FIB, neighbours, namespaces), from which the SWITCH is
 * programmed.
 *
 * `apply` takes one decoded message and returns what it changed, in the
 * order the SWITCH should apply it. After a reconnect the session builds a
 * fresh mirror from the dumps and {@link diffMirrors} gives the changes
 * from the old one, so the SWITCH sees only real differences instead of a
 * flush and a reload.
 *
 * @module
 */

import { IFINFO_REASON } from "../protocol/abi.generated.ts";
import type { Message } from "../protocol/types.ts";
import { Fib, type FibChange } from "./fib.ts";
import { type Link, type LinkChange, Links } from "./links.ts";
import { type Neighbour, Neighbours, type NeighChange } from "./neighbours.ts";

/** One change for the SWITCH. */
export type Change =
  | ({ table: "link" } & LinkChange)
  | ({ table: "fib" } & FibChange)
  | ({ table: "neigh" } & NeighChange)
  | { table: "netns"; op: "set" | "del"; net: bigint };

/** Counts of what the mirror holds, for `show` and logs. */
export interface MirrorCounts {
  links: number;
  routes: number;
  neighbours: number;
  netns: number;
}

const tag = <T extends Change["table"], C>(table: T, cs: C[]) =>
  cs.map((c) => ({ table, ...c }));

export class Mirror {
  readonly links = new Links();
  readonly fib = new Fib();
  readonly neighbours = new Neighbours();
  readonly netns = new Set<bigint>();
  /** Messages that change nothing here (daemon kinds, BREAK, invalid). */
  ignored = 0;

  counts(): MirrorCounts {
    return {
      links: this.links.size,
      routes: this.fib.size,
      neighbours: this.neighbours.size,
      netns: this.netns.size,
    };
  }

  apply(m: Message): Change[] {
    switch (m.kind) {
      case "ifinfo": {
        // A proxy that leaves its namespace or goes away loses its
        // neighbours; the kernel flushes them without a notification.
        const was = this.links.get(m.xid);
        const out: Change[] = [];
        if (
          was?.ifindex !== undefined &&
          (m.reason === IFINFO_REASON.UNREG || m.reason === IFINFO_REASON.DEL)
        ) {
          out.push(
            ...tag("neigh", this.neighbours.dropIfindex(was.net, was.ifindex)),
          );
        }
        out.push(...tag("link", this.links.applyIfinfo(m)));
        return out;
      }
      case "ifa":
      case "ifa6":
        return tag("link", this.links.applyIfa(m));
      case "change_upper_xid":
        return tag("link", this.links.applyUpper(m));
      case "ethtool_flags":
      case "ethtool_settings":
      case "ethtool_link_modes_supported":
      case "ethtool_link_modes_advertising":
      case "ethtool_link_modes_lp_advertising":
      case "ethtool_link_modes_ext":
        return tag("link", this.links.applyEthtool(m));
      case "fibentry":
        return tag("fib", this.fib.apply4(m));
      case "fib6entry":
        return tag("fib", this.fib.apply6(m));
      case "neigh_update":
        return tag("neigh", this.neighbours.apply(m));
      case "netns_add":
        if (this.netns.has(m.net)) return [];
        this.netns.add(m.net);
        return [{ table: "netns", op: "set", net: m.net }];
      case "netns_del": {
        // Routes and neighbours go before the namespace itself.
        const out: Change[] = [
          ...tag("fib", this.fib.dropNet(m.net)),
          ...tag("neigh", this.neighbours.dropNet(m.net)),
          ...tag("link", this.links.dropNet(m.net)),
        ];
        if (this.netns.delete(m.net)) {
          out.push({ table: "netns", op: "del", net: m.net });
        }
        return out;
      }
      default:
        this.ignored++;
        return [];
    }
  }
}

/**
 * The changes that turn the SWITCH from `old` into `now`: additions and
 * updates first (links, namespaces, neighbours, routes: what a route needs
 * exists before it), then removals in the reverse order.
 */
export function diffMirrors(old: Mirror, now: Mirror): Change[] {
  const sets: Change[] = [];
  const dels: Change[] = [];
  for (const link of now.links.values()) {
    const was = old.links.get(link.xid);
    if (!was || !sameLink(was, link)) {
      sets.push({ table: "link", op: "set", link });
    }
  }
  for (const net of now.netns) {
    if (!old.netns.has(net)) sets.push({ table: "netns", op: "set", net });
  }
  const oldNeigh = new Map<string, Neighbour>();
  for (const n of old.neighbours.values()) oldNeigh.set(neighKey(n), n);
  for (const n of now.neighbours.values()) {
    const k = neighKey(n);
    const was = oldNeigh.get(k);
    oldNeigh.delete(k);
    if (!was || was.lladdr !== n.lladdr) {
      sets.push({ table: "neigh", op: "set", neighbour: n });
    }
  }
  // A loop, not push(...): a resync may bring a million changes, more
  // than a call takes arguments.
  const fib = now.fib.diff(old.fib);
  for (const c of fib.sets) sets.push({ table: "fib", ...c });
  for (const c of fib.dels) dels.push({ table: "fib", ...c });
  for (const n of oldNeigh.values()) {
    dels.push({ table: "neigh", op: "del", neighbour: n });
  }
  for (const net of old.netns) {
    if (!now.netns.has(net)) dels.push({ table: "netns", op: "del", net });
  }
  for (const link of old.links.values()) {
    if (!now.links.get(link.xid)) dels.push({ table: "link", op: "del", link });
  }
  for (const c of dels) sets.push(c);
  return sets;
}

function neighKey(n: Neighbour): string {
  return `${n.net}/${n.ifindex}/${n.family}/${n.dst}`;
}

function sameLink(a: Link, b: Link): boolean {
  return JSON.stringify(linkJson(a)) === JSON.stringify(linkJson(b));
}

/** A link as plain JSON (bigints as strings), for show and comparisons. */
export function linkJson(l: Link): Record<string, unknown> {
  return {
    xid: l.xid,
    ifname: l.ifname,
    net: String(l.net),
    ifindex: l.ifindex ?? null,
    devKind: l.devKind,
    kdata: l.kdata,
    flags: l.flags,
    addr: l.addr,
    features: String(l.features),
    adminUp: l.adminUp,
    ipv4: [...l.ipv4.keys()].sort(),
    ipv6: [...l.ipv6.keys()].sort(),
    uppers: [...l.uppers].sort((x, y) => x - y),
    ethtool: JSON.parse(
      JSON.stringify(
        l.ethtool,
        (_k, v) => typeof v === "bigint" ? String(v) : v,
      ),
    ),
  };
}
