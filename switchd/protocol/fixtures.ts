/**
 * Sample messages for the codec's tests and benchmark: at least one of
 * every kind, with values that fill their fields (high bits set, negative
 * ifindex-sized numbers where signed) so that a truncating or
 * sign-confusing field shows up in a round trip. {@link portInfo} is the
 * plain port the mirror, relay and switch tests start from.
 *
 * @module
 */

import {
  DEV_KIND,
  FIB_RESULT,
  IFA_EVENT,
  IFINFO_REASON,
} from "./abi.generated.ts";
import { FIB_EVENT } from "./kinds.ts";
import type {
  Fib6Entry,
  FibEntry,
  Ifinfo,
  Message,
  NeighUpdate,
  NextHop,
  NextHop6,
} from "./types.ts";

export const RTN_UNICAST = 1;
export const RT_TABLE_MAIN = 254;

/** a.b.c.d */
export function ip4(a: number, b: number, c: number, d: number): number {
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** 2001:db8:0:<x>::<y> */
export function ip6(x: number, y: number | bigint): bigint {
  return (0x2001_0db8n << 96n) | (BigInt(x) << 64n) | BigInt(y);
}

export function nextHop(i: number): NextHop {
  return {
    ifindex: 10 + i,
    weight: 1 + (i % 3),
    flags: i % 2 === 0 ? 0 : 0x10,
    gw: ip4(192, 168, i >> 8, i & 0xff),
    scope: 0,
  };
}

export function fibentry(n: number, i = 0): FibEntry {
  return {
    kind: "fibentry",
    net: 4026531840n + BigInt(i % 3),
    address: ip4(10, (i >> 8) & 0xff, i & 0xff, 0),
    prefixLength: 24,
    event: FIB_EVENT.REPLACE,
    tos: 0,
    type: RTN_UNICAST,
    table: RT_TABLE_MAIN,
    nextHops: Array.from({ length: n }, (_, j) => nextHop(j)),
  };
}

export function nextHop6(i: number): NextHop6 {
  return { ifindex: 20 + i, weight: 1, flags: 0, gw: ip6(0xffff, 1 + i) };
}

/** A FIB6ENTRY with `s` siblings. */
export function fib6entry(s: number, i = 0): Fib6Entry {
  return {
    kind: "fib6entry",
    net: 1n,
    address: ip6(i & 0xffff, 0),
    prefixLength: 64,
    event: FIB_EVENT.APPEND,
    type: RTN_UNICAST,
    table: RT_TABLE_MAIN,
    nextHops: Array.from({ length: 1 + s }, (_, j) => nextHop6(j)),
  };
}

export function neigh(family: "inet" | "inet6", lladdr: number): NeighUpdate {
  const common = {
    kind: "neigh_update",
    net: 1n,
    ifindex: 7,
    lladdr,
    deleted: lladdr === 0,
  } as const;
  return family === "inet"
    ? { ...common, family, dst: ip4(10, 0, 0, 2) }
    : { ...common, family, dst: ip6(1, 2) };
}

export function ifinfo(reason: number): Ifinfo {
  return {
    kind: "ifinfo",
    xid: 3999,
    kdata: 0,
    ifname: "xeth1",
    net: 4026531993n,
    ifindex: 0x7fff_fff0,
    flags: 0x1043,
    addr: 0x0200_0000_0001,
    devKind: DEV_KIND.PORT,
    reason,
    features: 1n << 63n | 1n,
  };
}

/** At least one message of every kind. */
export const SAMPLES: readonly Message[] = [
  { kind: "break" },
  { kind: "dump_ifinfo" },
  { kind: "dump_fibinfo" },
  { kind: "link_stat", xid: 3999, index: 23, count: (1n << 64n) - 1n },
  { kind: "ethtool_stat", xid: 0xffff_ffff, index: 511, count: 12345n },
  { kind: "ethtool_flags", xid: 3998, flags: 0x8000_0001 },
  {
    kind: "ethtool_settings",
    xid: 3997,
    speed: 0xffff_ffff,
    duplex: 1,
    port: 0xef,
    phyAddress: 2,
    autoneg: 1,
    mdioSupport: 3,
    ethTpMdix: 4,
    ethTpMdixCtrl: 0xff,
  },
  { kind: "ethtool_link_modes_supported", xid: 1, modes: 1n << 63n },
  { kind: "ethtool_link_modes_advertising", xid: 2, modes: 0x5555n },
  { kind: "ethtool_link_modes_lp_advertising", xid: 3, modes: 0n },
  {
    kind: "ethtool_link_modes_ext",
    xid: 3999,
    which: 1,
    nwords: 2,
    modes: (1n << 127n) | (1n << 64n) | (1n << 63n) | 1n,
  },
  { kind: "carrier", xid: 3999, on: true },
  { kind: "carrier", xid: 3999, on: false },
  { kind: "speed", xid: 3999, mbps: 400000 },
  ifinfo(IFINFO_REASON.DUMP),
  {
    kind: "ifa",
    xid: 3999,
    event: IFA_EVENT.ADD,
    address: ip4(10, 1, 2, 3),
    prefixLength: 31,
  },
  {
    kind: "ifa6",
    xid: 3999,
    event: IFA_EVENT.DEL,
    address: ip6(0xabcd, 0xffff_ffff_ffff_ffffn),
    prefixLength: 127,
  },
  fibentry(2),
  fib6entry(1),
  neigh("inet", 0x0200_0000_0002),
  neigh("inet6", 0),
  { kind: "change_upper_xid", upper: 3000, lower: 3999, linking: true },
  { kind: "netns_add", net: 4026532000n },
  { kind: "netns_del", net: (1n << 64n) - 1n },
  { kind: "ext_enable", extensions: 1n },
  { ...fibentry(1, 7), cookie: 0x1234_5678_9abc_def0n },
  { ...fib6entry(2, 9), cookie: (1n << 64n) - 1n },
  {
    kind: "fib_offload",
    results: [
      {
        net: 4026531840n,
        cookie: 1n,
        family: "inet",
        address: ip4(10, 0, 1, 0),
        table: RT_TABLE_MAIN,
        prefixLength: 24,
        tos: 4,
        result: FIB_RESULT.OFFLOAD,
      },
      {
        net: 1n,
        cookie: (1n << 64n) - 1n,
        family: "inet6",
        address: ip6(0x2001_0db8, 0),
        table: 255,
        prefixLength: 128,
        result: FIB_RESULT.FAILED,
      },
    ],
  },
];

/**
 * The dumped IFINFO of port `xid` (`xeth<xid>`, ifindex 100 + xid, admin up,
 * MAC 02:00:00:00:00:0a + xid) in the initial namespace, with `o` over it.
 */
export function portInfo(xid: number, o: Partial<Ifinfo> = {}): Ifinfo {
  return {
    kind: "ifinfo",
    xid,
    kdata: 0,
    ifname: `xeth${xid}`,
    net: 1n,
    ifindex: xid + 100,
    flags: 1,
    addr: 0x02_00_00_00_00_0a + xid,
    devKind: DEV_KIND.PORT,
    reason: IFINFO_REASON.DUMP,
    features: 1n,
    ...o,
  };
}
