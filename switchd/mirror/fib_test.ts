import { deepEqual, equal, ok } from "node:assert/strict";
import { FIB_EVENT } from "../protocol/kinds.ts";
import { Fib, sameRoute4, sameRoute6 } from "./fib.ts";
import { fib4, fib6, NET, OTHER } from "./fixtures.ts";

Deno.test("IPv4: REPLACE installs the prefix's route, DEL removes it", () => {
  const f = new Fib();
  const a = f.apply4(fib4(0x0a010000, 16, FIB_EVENT.REPLACE));
  equal(a.length, 1);
  equal(a[0].op, "set");
  equal(f.size, 1);
  // Another route for the same prefix replaces it (the kernel announces
  // only the one in use).
  f.apply4(fib4(0x0a010000, 16, FIB_EVENT.REPLACE, 0x0a000003));
  equal(f.size, 1);
  equal(f.get4(NET, 254, 0x0a010000, 16)?.nextHops[0].gw, 0x0a000003);
  // Same address, other length: another route.
  f.apply4(fib4(0x0a010000, 24, FIB_EVENT.REPLACE));
  equal(f.size, 2);
  const d = f.apply4(fib4(0x0a010000, 16, FIB_EVENT.DEL));
  deepEqual(d.map((c) => c.op), ["del"]);
  equal(f.size, 1);
  deepEqual(f.apply4(fib4(0x0b000000, 8, FIB_EVENT.DEL)), [], "unknown DEL");
});

Deno.test("IPv6: siblings are appended and deleted one by one", () => {
  const f = new Fib();
  const p = 0x20010db8_0001_0000_0000_0000_0000_0000n;
  f.apply6(fib6(p, FIB_EVENT.REPLACE, [[5, 1n], [6, 2n]]));
  f.apply6(fib6(p, FIB_EVENT.APPEND, [[7, 3n]]));
  deepEqual(
    f.get6(NET, 254, p, 64)?.nextHops.map((h) => h.ifindex),
    [5, 6, 7],
  );
  // A repeated hop is not doubled.
  f.apply6(fib6(p, FIB_EVENT.APPEND, [[7, 3n]]));
  equal(f.get6(NET, 254, p, 64)?.nextHops.length, 3);
  const c = f.apply6(fib6(p, FIB_EVENT.DEL, [[6, 2n]]));
  deepEqual(c.map((x) => x.op), ["set"]);
  deepEqual(
    f.get6(NET, 254, p, 64)?.nextHops.map((h) => h.ifindex),
    [5, 7],
  );
  f.apply6(fib6(p, FIB_EVENT.DEL, [[5, 1n], [7, 3n]]));
  equal(f.get6(NET, 254, p, 64), undefined);
  equal(f.size, 0);
  // REPLACE sets the hops as given.
  f.apply6(fib6(p, FIB_EVENT.REPLACE, [[5, 1n], [6, 2n]]));
  f.apply6(fib6(p, FIB_EVENT.REPLACE, [[8, 9n]]));
  deepEqual(f.get6(NET, 254, p, 64)?.nextHops.map((h) => h.ifindex), [8]);
  // A DEL naming no hop of the route deletes the route as a whole.
  deepEqual(
    f.apply6(fib6(p, FIB_EVENT.DEL, [[9, 9n]])).map((x) => x.op),
    ["del"],
  );
  equal(f.size, 0);
});

Deno.test("a namespace's routes go with it, as deletions", () => {
  const f = new Fib();
  f.apply4(fib4(0x0a000000, 8, FIB_EVENT.REPLACE, 1, OTHER));
  f.apply4(fib4(0x0a000000, 8, FIB_EVENT.REPLACE, 1, NET));
  f.apply6(fib6(1n << 100n, FIB_EVENT.REPLACE, [[5, 1n]]));
  const gone = f.dropNet(OTHER);
  deepEqual(gone.map((c) => `${c.family}:${c.op}:${c.route.net}`), [
    `inet:del:${OTHER}`,
  ]);
  equal(f.size, 2);
  deepEqual(f.dropNet(OTHER), [], "twice");
  deepEqual([...f.routes4()].map((r) => r.net), [NET]);
  equal([...f.routes6()].length, 1);
});

Deno.test("sameRoute: forwarding state, not identity", () => {
  const a = fib4(0x0a000000, 8, FIB_EVENT.REPLACE);
  ok(sameRoute4(a, { ...a, table: 255 }), "the table is not forwarding state");
  ok(!sameRoute4(a, fib4(0x0a000000, 8, FIB_EVENT.REPLACE, 0x0a0000fe)));
  ok(!sameRoute4(a, { ...a, nextHops: [] }));
  ok(!sameRoute4(a, { ...a, nextHops: [{ ...a.nextHops[0], weight: 2 }] }));
  const b = fib6(1n, FIB_EVENT.REPLACE, [[5, 1n], [6, 2n]]);
  ok(sameRoute6(b, { ...b }));
  ok(!sameRoute6(b, fib6(1n, FIB_EVENT.REPLACE, [[6, 2n], [5, 1n]])), "order");
  ok(!sameRoute6(b, { ...b, type: 6 }));
});
