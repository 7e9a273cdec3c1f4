// The mirror as a whole: each announcement reaches its table (fib_test,
// links_test and neighbours_test test the tables themselves), what one
// table's change does to another, and the difference after a resync.

import { deepEqual, equal } from "node:assert/strict";
import { FIB_EVENT } from "../protocol/kinds.ts";
import { fib4, fib6, ifinfo, neigh, NET, OTHER } from "./fixtures.ts";
import { diffMirrors, Mirror } from "./mirror.ts";

Deno.test("every announcement reaches its table, tagged with it", () => {
  const m = new Mirror();
  const tables = (cs: { table: string; op: string }[]) =>
    cs.map((c) => `${c.table}:${c.op}`);
  deepEqual(tables(m.apply(ifinfo(7, 4, { flags: 1 }))), ["link:set"]);
  deepEqual(
    tables(m.apply({
      kind: "ifa",
      xid: 7,
      event: 1,
      address: 0x0a000001,
      prefixLength: 24,
    })),
    ["link:set"],
  );
  deepEqual(
    tables(m.apply({
      kind: "ifa6",
      xid: 7,
      event: 1,
      address: 1n,
      prefixLength: 128,
    })),
    ["link:set"],
  );
  m.apply(ifinfo(3000, 4, { devKind: 4 }));
  deepEqual(
    tables(m.apply({
      kind: "change_upper_xid",
      upper: 3000,
      lower: 7,
      linking: true,
    })),
    ["link:set"],
  );
  deepEqual(
    tables(m.apply({ kind: "ethtool_flags", xid: 7, flags: 5 })),
    ["link:set"],
  );
  deepEqual(
    tables(m.apply(fib4(0x0a010000, 16, FIB_EVENT.REPLACE))),
    ["fib:set"],
  );
  deepEqual(
    tables(m.apply(fib6(1n << 100n, FIB_EVENT.REPLACE, [[5, 1n]]))),
    ["fib:set"],
  );
  deepEqual(tables(m.apply(neigh(0x0a000002, 2))), ["neigh:set"]);
  deepEqual(tables(m.apply({ kind: "netns_add", net: OTHER })), ["netns:set"]);
  deepEqual(m.apply({ kind: "netns_add", net: OTHER }), [], "a repeat");
  deepEqual(m.counts(), { links: 2, routes: 2, neighbours: 1, netns: 1 });
  equal(m.links.get(7)!.ethtool.privFlags, 5);
  equal(m.fib.get4(NET, 254, 0x0a010000, 16)?.prefixLength, 16);
});

Deno.test("a proxy that leaves its namespace, or goes, takes its neighbours", () => {
  const m = new Mirror();
  m.apply(ifinfo(7, 0, { flags: 1 }));
  m.apply({ ...neigh(1, 2), ifindex: 107 });
  equal(m.neighbours.size, 1);
  deepEqual(m.apply(ifinfo(7, 6)).map((c) => `${c.table}:${c.op}`), [
    "neigh:del",
    "link:set",
  ]);
  equal(m.links.get(7)!.ifindex, undefined);
  m.apply(ifinfo(7, 5, { net: OTHER, ifindex: 2 }));
  m.apply({ ...neigh(1, 2, OTHER), ifindex: 2 });
  deepEqual(m.apply(ifinfo(7, 1)).map((c) => `${c.table}:${c.op}`), [
    "neigh:del",
    "link:del",
  ]);
  equal(m.neighbours.size, 0);
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
