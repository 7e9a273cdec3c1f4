/**
 * The routes the mirror and switch benchmarks feed: `n` distinct /24s
 * (10.x.y.0) or /64s (2001:db8:x::), each one next hop through ifindex 3,
 * in the main table of the initial namespace, as the side-band decodes
 * them.
 *
 * @module
 */

import { FIB_EVENT } from "../switchd/protocol/kinds.ts";
import type { Fib6Entry, FibEntry } from "../switchd/protocol/types.ts";

export function routes4(n: number): FibEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: "fibentry",
    net: 1n,
    address: (10 << 24 | i << 8) >>> 0,
    prefixLength: 24,
    event: FIB_EVENT.REPLACE,
    tos: 0,
    type: 1,
    table: 254,
    nextHops: [{ ifindex: 3, weight: 1, flags: 0, gw: 0xc0000202, scope: 0 }],
  }));
}

export function routes6(n: number): Fib6Entry[] {
  return Array.from({ length: n }, (_, i) => ({
    kind: "fib6entry",
    net: 1n,
    address: (0x20010db8n << 96n) | (BigInt(i) << 64n),
    prefixLength: 64,
    event: FIB_EVENT.REPLACE,
    type: 1,
    table: 254,
    nextHops: [{
      ifindex: 3,
      weight: 1,
      flags: 0,
      gw: 0x20010db8n << 96n | 2n,
    }],
  }));
}
