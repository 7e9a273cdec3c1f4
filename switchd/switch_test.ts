// NoSwitch, the backend SWITCHD runs with until a real one is configured:
// it takes every change the mirror gives, counts them by table, and
// reports no ports, no counters and no routes.

import { deepEqual, equal } from "node:assert/strict";
import { FIB_EVENT } from "./protocol/kinds.ts";
import { fib4, ifinfo, neigh, OTHER } from "./mirror/fixtures.ts";
import { type Change, Mirror } from "./mirror/mirror.ts";
import { NoSwitch } from "./switch.ts";

function changes(): Change[] {
  const m = new Mirror();
  return [
    ...m.apply(ifinfo(7, 4, { flags: 1 })),
    ...m.apply(fib4(0x0a010000, 16, FIB_EVENT.REPLACE)),
    ...m.apply(fib4(0x0a020000, 16, FIB_EVENT.REPLACE)),
    ...m.apply(neigh(0x0a000002, 2)),
    ...m.apply({ kind: "netns_add", net: OTHER }),
  ];
}

Deno.test("NoSwitch: counts what it is told by table, reports nothing", () => {
  const sw = new NoSwitch();
  equal(sw.name, "none");
  deepEqual(sw.summary(), {
    "applied.link": 0n,
    "applied.fib": 0n,
    "applied.neigh": 0n,
    "applied.netns": 0n,
  });
  const cs = changes();
  sw.apply(cs);
  sw.apply(cs.filter((c) => c.table === "fib"));
  deepEqual(sw.summary(), {
    "applied.link": 1n,
    "applied.fib": 4n,
    "applied.neigh": 1n,
    "applied.netns": 1n,
  });
  deepEqual([...sw.links()], []);
  deepEqual([...sw.counters()], []);
  sw.close();
  sw.close();
});
