import { deepEqual, equal } from "node:assert/strict";
import { neigh, NET, OTHER } from "./fixtures.ts";
import { Neighbours } from "./neighbours.ts";

Deno.test("neighbours: set, change, repeat and delete", () => {
  const n = new Neighbours();
  equal(n.apply(neigh(0x0a000002, 0x02aa00000001)).length, 1);
  deepEqual(n.apply(neigh(0x0a000002, 0x02aa00000001)), [], "a repeat");
  equal(n.apply(neigh(0x0a000002, 0x02aa00000002))[0].op, "set");
  equal(n.size, 1);
  equal(n.apply(neigh(0x0a000002, 0))[0].op, "del");
  equal(n.size, 0);
  deepEqual(n.apply(neigh(0x0a000002, 0)), []);
});

Deno.test("neighbours: an interface's or a namespace's go at once", () => {
  const n = new Neighbours();
  n.apply(neigh(1, 2));
  n.apply({ ...neigh(2, 2), ifindex: 6 });
  n.apply(neigh(1, 2, OTHER));
  // the same address on another interface is another entry
  n.apply({ ...neigh(1, 3), ifindex: 6 });
  equal(n.size, 4);
  deepEqual(n.dropIfindex(NET, 6).map((c) => c.neighbour.dst), [2, 1]);
  equal(n.size, 2);
  deepEqual(n.dropNet(OTHER).map((c) => `${c.op}:${c.neighbour.net}`), [
    `del:${OTHER}`,
  ]);
  deepEqual([...n.values()].map((x) => x.ifindex), [5]);
});
