/**
 * Neighbours (ARP and neighbour discovery) of the proxies, per namespace.
 *
 * NEIGH_UPDATE carries the entry's current link-layer address, or none
 * (all zero) when the entry is gone or no longer valid: that is a deletion
 * for the SWITCH, which can only forward to a known address.
 *
 * @module
 */

import type { NeighUpdate } from "../protocol/types.ts";

/** A neighbour as held: a NEIGH_UPDATE without its kind and deletion flag. */
export type Neighbour = Omit<NeighUpdate, "kind" | "deleted">;

export type NeighChange =
  | { op: "set"; neighbour: Neighbour }
  | { op: "del"; neighbour: Neighbour };

// One string key per entry: neighbours are few (thousands) next to routes,
// and a string keeps IPv4 and IPv6 apart without nested maps.
function keyOf(
  n: { net: bigint; ifindex: number; family: string; dst: number | bigint },
): string {
  return `${n.net}/${n.ifindex}/${n.family}/${n.dst}`;
}

export class Neighbours {
  readonly #entries = new Map<string, Neighbour>();

  get size(): number {
    return this.#entries.size;
  }

  /** Applies a NEIGH_UPDATE; returns what changed (nothing for a repeat). */
  apply(m: NeighUpdate): NeighChange[] {
    const k = keyOf(m);
    const old = this.#entries.get(k);
    if (m.deleted) {
      if (!old) return [];
      this.#entries.delete(k);
      return [{ op: "del", neighbour: old }];
    }
    if (old && old.lladdr === m.lladdr) return [];
    const neighbour = {
      net: m.net,
      ifindex: m.ifindex,
      family: m.family,
      dst: m.dst,
      lladdr: m.lladdr,
    } as Neighbour;
    this.#entries.set(k, neighbour);
    return [{ op: "set", neighbour }];
  }

  /** Forgets a namespace; returns its entries as deletions. */
  dropNet(net: bigint): NeighChange[] {
    return this.#drop((n) => n.net === net);
  }

  /** Forgets an interface (deleted, or moved out of `net`). */
  dropIfindex(net: bigint, ifindex: number): NeighChange[] {
    return this.#drop((n) => n.net === net && n.ifindex === ifindex);
  }

  values(): IterableIterator<Neighbour> {
    return this.#entries.values();
  }

  #drop(match: (n: Neighbour) => boolean): NeighChange[] {
    const out: NeighChange[] = [];
    for (const [k, n] of this.#entries) {
      if (!match(n)) continue;
      this.#entries.delete(k);
      out.push({ op: "del", neighbour: n });
    }
    return out;
  }
}
