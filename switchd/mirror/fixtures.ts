/**
 * Messages for the mirror's tests: routes, proxies and neighbours in a
 * test namespace, with the fields the tests vary as parameters.
 *
 * @module
 */

import type {
  Fib6Entry,
  FibEntry,
  Ifinfo,
  NeighUpdate,
} from "../protocol/types.ts";
import { portInfo } from "../protocol/fixtures.ts";

/** The namespace the messages are in unless told otherwise. */
export const NET = 1n;
/** Another namespace. */
export const OTHER = 4026532000n;

/** A FIBENTRY with one next hop, on ifindex 5, in table main. */
export function fib4(
  address: number,
  prefixLength: number,
  event: number,
  gw = 0x0a000002,
  net = NET,
): FibEntry {
  return {
    kind: "fibentry",
    net,
    address,
    prefixLength,
    event,
    tos: 0,
    type: 1,
    table: 254,
    nextHops: [{ ifindex: 5, weight: 1, flags: 0, gw, scope: 0 }],
  };
}

/** A FIB6ENTRY for a /64 with the next hops `hops` ([ifindex, gw]). */
export function fib6(
  address: bigint,
  event: number,
  hops: [number, bigint][],
): Fib6Entry {
  return {
    kind: "fib6entry",
    net: NET,
    address,
    prefixLength: 64,
    event,
    type: 1,
    table: 254,
    nextHops: hops.map(([ifindex, gw]) => ({
      ifindex,
      weight: 1,
      flags: 0,
      gw,
    })),
  };
}

/** An IFINFO of port `xid` (ifindex 100 + xid) with `reason`. */
export function ifinfo(
  xid: number,
  reason: number,
  extra: Partial<Ifinfo> = {},
): Ifinfo {
  return portInfo(xid, {
    net: NET,
    flags: 0,
    addr: 0x020000000000 + xid,
    reason,
    features: 0n,
    ...extra,
  });
}

/** An IPv4 NEIGH_UPDATE on ifindex 5; lladdr 0 deletes. */
export function neigh(dst: number, lladdr: number, net = NET): NeighUpdate {
  return {
    kind: "neigh_update",
    net,
    ifindex: 5,
    family: "inet",
    dst,
    lladdr,
    deleted: lladdr === 0,
  };
}
