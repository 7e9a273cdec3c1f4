import { deepEqual, equal, ok } from "node:assert/strict";
import { FIB_EVENT } from "../protocol/kinds.ts";
import type {
  Fib6Entry,
  FibEntry,
  Ifinfo,
  NeighUpdate,
} from "../protocol/types.ts";
import { diffMirrors, Mirror } from "./mirror.ts";
import { portInfo } from "../protocol/fixtures.ts";

const NET = 1n;
const OTHER = 4026532000n;

function fib4(
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

function fib6(
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

function ifinfo(
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

function neigh(dst: number, lladdr: number, net = NET): NeighUpdate {
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

Deno.test("IPv4: REPLACE installs the prefix's route, DEL removes it", () => {
  const m = new Mirror();
  const a = m.apply(fib4(0x0a010000, 16, FIB_EVENT.REPLACE));
  equal(a.length, 1);
  equal(a[0].op, "set");
  equal(m.fib.size, 1);
  // Another route for the same prefix replaces it (the kernel announces
  // only the one in use).
  m.apply(fib4(0x0a010000, 16, FIB_EVENT.REPLACE, 0x0a000003));
  equal(m.fib.size, 1);
  equal(m.fib.get4(NET, 254, 0x0a010000, 16)?.nextHops[0].gw, 0x0a000003);
  // Same address, other length: another route.
  m.apply(fib4(0x0a010000, 24, FIB_EVENT.REPLACE));
  equal(m.fib.size, 2);
  const d = m.apply(fib4(0x0a010000, 16, FIB_EVENT.DEL));
  deepEqual(d.map((c) => c.op), ["del"]);
  equal(m.fib.size, 1);
  deepEqual(m.apply(fib4(0x0b000000, 8, FIB_EVENT.DEL)), [], "unknown DEL");
});

Deno.test("IPv6: siblings are appended and deleted one by one", () => {
  const m = new Mirror();
  const p = 0x20010db8_0001_0000_0000_0000_0000_0000n;
  m.apply(fib6(p, FIB_EVENT.REPLACE, [[5, 1n], [6, 2n]]));
  m.apply(fib6(p, FIB_EVENT.APPEND, [[7, 3n]]));
  deepEqual(
    m.fib.get6(NET, 254, p, 64)?.nextHops.map((h) => h.ifindex),
    [5, 6, 7],
  );
  // A repeated hop is not doubled.
  m.apply(fib6(p, FIB_EVENT.APPEND, [[7, 3n]]));
  equal(m.fib.get6(NET, 254, p, 64)?.nextHops.length, 3);
  const c = m.apply(fib6(p, FIB_EVENT.DEL, [[6, 2n]]));
  deepEqual(c.map((x) => x.op), ["set"]);
  deepEqual(
    m.fib.get6(NET, 254, p, 64)?.nextHops.map((h) => h.ifindex),
    [5, 7],
  );
  m.apply(fib6(p, FIB_EVENT.DEL, [[5, 1n], [7, 3n]]));
  equal(m.fib.get6(NET, 254, p, 64), undefined);
  equal(m.fib.size, 0);
  // REPLACE sets the hops as given.
  m.apply(fib6(p, FIB_EVENT.REPLACE, [[5, 1n], [6, 2n]]));
  m.apply(fib6(p, FIB_EVENT.REPLACE, [[8, 9n]]));
  deepEqual(m.fib.get6(NET, 254, p, 64)?.nextHops.map((h) => h.ifindex), [8]);
});

Deno.test("neighbours: set, change, repeat and delete", () => {
  const m = new Mirror();
  equal(m.apply(neigh(0x0a000002, 0x02aa00000001)).length, 1);
  deepEqual(m.apply(neigh(0x0a000002, 0x02aa00000001)), [], "a repeat");
  equal(m.apply(neigh(0x0a000002, 0x02aa00000002))[0].op, "set");
  equal(m.neighbours.size, 1);
  equal(m.apply(neigh(0x0a000002, 0))[0].op, "del");
  equal(m.neighbours.size, 0);
  deepEqual(m.apply(neigh(0x0a000002, 0)), []);
});

Deno.test("links: identity, admin state, addresses, uppers and deletion", () => {
  const m = new Mirror();
  m.apply(ifinfo(7, 0, { flags: 1 }));
  ok(m.links.get(7)?.adminUp, "NEW with IFF_UP");
  m.apply(ifinfo(7, 3));
  equal(m.links.get(7)?.adminUp, false, "DOWN");
  m.apply({
    kind: "ifa",
    xid: 7,
    event: 1,
    address: 0x0a000001,
    prefixLength: 24,
  });
  m.apply({ kind: "ifa6", xid: 7, event: 1, address: 1n, prefixLength: 128 });
  deepEqual([...m.links.get(7)!.ipv4.keys()], [`${0x0a000001}/24`]);
  m.apply({
    kind: "ifa",
    xid: 7,
    event: 2,
    address: 0x0a000001,
    prefixLength: 24,
  });
  equal(m.links.get(7)!.ipv4.size, 0);
  m.apply(ifinfo(3000, 4, { devKind: 4 }));
  m.apply({ kind: "change_upper_xid", upper: 3000, lower: 7, linking: true });
  deepEqual([...m.links.get(7)!.uppers], [3000]);
  equal(m.links.byIfindex(NET, 107)?.xid, 7);
  m.apply(ifinfo(3000, 1));
  equal(m.links.get(3000), undefined);
  equal(m.links.get(7)!.uppers.size, 0, "a deleted upper leaves its members");
  // A move to another namespace: UNREG then REG; its neighbours go.
  m.apply({ ...neigh(1, 2), ifindex: 107 });
  equal(m.neighbours.size, 1);
  deepEqual(m.apply(ifinfo(7, 6)).map((c) => `${c.table}:${c.op}`), [
    "neigh:del",
    "link:set",
  ]);
  equal(m.links.get(7)!.ifindex, undefined);
  equal(m.links.get(7)!.ipv6.size, 0);
  m.apply(ifinfo(7, 5, { net: OTHER, ifindex: 2 }));
  equal(m.links.byIfindex(OTHER, 2)?.xid, 7);
  equal(m.links.byIfindex(NET, 107), undefined);
  // Messages for unknown xids change nothing.
  deepEqual(m.apply({ kind: "ethtool_flags", xid: 99, flags: 1 }), []);
  m.apply({ kind: "ethtool_flags", xid: 7, flags: 5 });
  equal(m.links.get(7)!.ethtool.privFlags, 5);
});

Deno.test("a namespace's deletion takes its routes and neighbours", () => {
  const m = new Mirror();
  m.apply({ kind: "netns_add", net: OTHER });
  m.apply(fib4(0x0a000000, 8, FIB_EVENT.REPLACE, 1, OTHER));
  m.apply(fib4(0x0a000000, 8, FIB_EVENT.REPLACE, 1, NET));
  m.apply(neigh(1, 2, OTHER));
  const c = m.apply({ kind: "netns_del", net: OTHER });
  deepEqual(c.map((x) => `${x.table}:${x.op}`), [
    "fib:del",
    "neigh:del",
    "netns:del",
  ]);
  deepEqual(m.counts(), { links: 0, routes: 1, neighbours: 0, netns: 0 });
});

Deno.test("daemon kinds and BREAK change nothing and are counted", () => {
  const m = new Mirror();
  deepEqual(m.apply({ kind: "break" }), []);
  deepEqual(m.apply({ kind: "carrier", xid: 1, on: true }), []);
  equal(m.ignored, 2);
});

Deno.test("diff after a resync has only the real differences", () => {
  const old = new Mirror();
  const now = new Mirror();
  for (const m of [old, now]) {
    m.apply(ifinfo(7, 4, { flags: 1 }));
    m.apply(fib4(0x0a000000, 8, FIB_EVENT.REPLACE));
    m.apply(neigh(1, 2));
  }
  old.apply(fib4(0x0b000000, 8, FIB_EVENT.REPLACE)); // gone since
  old.apply(neigh(3, 4)); // gone since
  now.apply(fib4(0x0c000000, 8, FIB_EVENT.REPLACE)); // new
  now.apply(fib4(0x0a000000, 8, FIB_EVENT.REPLACE, 0x0a0000fe)); // changed
  now.apply(ifinfo(8, 4)); // new link
  const d = diffMirrors(old, now);
  deepEqual(
    d.map((c) =>
      c.table === "fib"
        ? `fib:${c.op}:${c.route.address.toString(16)}`
        : c.table === "link"
        ? `link:${c.op}:${c.link.xid}`
        : `${c.table}:${c.op}`
    ),
    [
      "link:set:8",
      "fib:set:a000000",
      "fib:set:c000000",
      "fib:del:b000000",
      "neigh:del",
    ],
  );
  deepEqual(diffMirrors(now, now), [], "no change, no work");
});
