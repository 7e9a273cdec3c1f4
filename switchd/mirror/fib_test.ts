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

Deno.test("next-hop sets are kept once and freed with their last route", () => {
  const f = new Fib();
  for (let i = 0; i < 1000; i++) {
    f.apply4(fib4(0x0a000000 + (i << 8), 24, FIB_EVENT.REPLACE));
    f.apply6(fib6(BigInt(i) << 64n, FIB_EVENT.REPLACE, [[5, 1n]]));
  }
  equal(f.size, 2000);
  equal(f.hopSets, 2, "one IPv4 and one IPv6 set for 2000 routes");
  ok(f.bytes < 2000 * 64, `${f.bytes} bytes for 2000 routes`);
  // Half through another gateway: a second set.
  for (let i = 0; i < 500; i++) {
    f.apply4(fib4(0x0a000000 + (i << 8), 24, FIB_EVENT.REPLACE, 0x0a0000fe));
  }
  equal(f.hopSets, 3);
  equal(f.get4(NET, 254, 0x0a000000, 24)?.nextHops[0].gw, 0x0a0000fe);
  equal(
    f.get4(NET, 254, 0x0a000000 + (999 << 8), 24)?.nextHops[0].gw,
    0x0a000002,
  );
  for (let i = 0; i < 500; i++) {
    f.apply4(fib4(0x0a000000 + (i << 8), 24, FIB_EVENT.DEL));
  }
  equal(f.hopSets, 2, "the other gateway's set went with its last route");
  deepEqual(f.dropNet(NET).length, 1500);
  equal(f.hopSets, 0);
  equal(f.size, 0);
});

Deno.test("IPv6 addresses come back whole, every bit", () => {
  const f = new Fib();
  const all = [
    0n,
    1n,
    (1n << 128n) - 1n,
    0x20010db8_0000_0000_ffff_ffff_ffff_ffffn,
    0xffff_ffff_0000_0000_8000_0000_0000_0001n,
  ];
  for (const a of all) {
    f.apply6({ ...fib6(a, FIB_EVENT.REPLACE, [[5, a]]), prefixLength: 128 });
  }
  deepEqual([...f.routes6()].map((r) => r.address), all);
  deepEqual([...f.routes6()].map((r) => r.nextHops[0].gw), all);
  for (const a of all) equal(f.get6(NET, 254, a, 128)?.address, a);
});

Deno.test("diff: the same changes as comparing route by route", () => {
  // Two FIBs of random routes over a small space, so that they share
  // prefixes, differ in next hops and each have some the other lacks.
  let x = 12345;
  const rnd = (n: number) => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x % n;
  };
  const fill = (f: Fib) => {
    for (let i = 0; i < 3000; i++) {
      const a = (0x0a000000 | rnd(256) << 8) >>> 0;
      f.apply4(fib4(a, 24, FIB_EVENT.REPLACE, 0x0a000000 + rnd(3)));
      f.apply6(
        fib6(BigInt(rnd(256)) << 64n, FIB_EVENT.REPLACE, [[5 + rnd(2), 1n]]),
      );
      if (rnd(4) === 0) f.apply4(fib4(a, 24, FIB_EVENT.DEL));
    }
  };
  const old = new Fib(), now = new Fib();
  fill(old);
  fill(now);
  const naive: string[] = [];
  for (const r of now.routes4()) {
    const was = old.get4(r.net, r.table, r.address, r.prefixLength);
    if (!was || !sameRoute4(was, r)) naive.push(`set4 ${r.address}`);
  }
  for (const r of now.routes6()) {
    const was = old.get6(r.net, r.table, r.address, r.prefixLength);
    if (!was || !sameRoute6(was, r)) naive.push(`set6 ${r.address}`);
  }
  for (const r of old.routes4()) {
    if (!now.get4(r.net, r.table, r.address, r.prefixLength)) {
      naive.push(`del4 ${r.address}`);
    }
  }
  for (const r of old.routes6()) {
    if (!now.get6(r.net, r.table, r.address, r.prefixLength)) {
      naive.push(`del6 ${r.address}`);
    }
  }
  const { sets, dels } = now.diff(old);
  const fast = [...sets, ...dels].map((c) =>
    `${c.op}${c.family === "inet" ? 4 : 6} ${c.route.address}`
  );
  ok(naive.length > 100, `only ${naive.length} differences`);
  deepEqual(fast, naive);
  deepEqual(now.diff(now), { sets: [], dels: [] });
});

Deno.test("cookies: each route keeps its latest, and loses it with itself", () => {
  const f = new Fib();
  const p = 0x20010db8_0001_0000_0000_0000_0000_0000n;
  equal(f.cookie4(NET, 254, 0x0a010000, 16), undefined);
  f.apply4(fib4(0x0a010000, 16, FIB_EVENT.REPLACE));
  equal(f.cookie4(NET, 254, 0x0a010000, 16), undefined, "no cookie sent");
  f.apply4({ ...fib4(0x0a010000, 16, FIB_EVENT.REPLACE), tos: 8, cookie: 5n });
  deepEqual(f.cookie4(NET, 254, 0x0a010000, 16), { cookie: 5n, tos: 8 });
  f.apply4({ ...fib4(0x0a020000, 16, FIB_EVENT.REPLACE), cookie: 6n });
  f.apply4({ ...fib4(0x0a010000, 16, FIB_EVENT.REPLACE), cookie: 7n });
  equal(f.cookie4(NET, 254, 0x0a010000, 16)?.cookie, 7n);
  equal(f.cookie4(NET, 254, 0x0a020000, 16)?.cookie, 6n);
  equal(f.cookie4(NET, 100, 0x0a010000, 16), undefined, "another table");
  equal(f.cookie4(OTHER, 254, 0x0a010000, 16), undefined, "another net");
  // the removed row's place is taken by the last one, cookie and all
  f.apply4(fib4(0x0a010000, 16, FIB_EVENT.DEL));
  equal(f.cookie4(NET, 254, 0x0a010000, 16), undefined);
  equal(f.cookie4(NET, 254, 0x0a020000, 16)?.cookie, 6n);
  const big = (1n << 64n) - 2n;
  f.apply6({ ...fib6(p, FIB_EVENT.REPLACE, [[5, 1n], [6, 2n]]), cookie: 9n });
  equal(f.cookie6(NET, 254, p, 64), 9n);
  f.apply6({ ...fib6(p, FIB_EVENT.APPEND, [[7, 3n]]), cookie: big });
  equal(f.cookie6(NET, 254, p, 64), big);
  f.apply6({ ...fib6(p, FIB_EVENT.DEL, [[6, 2n]]), cookie: 11n });
  equal(f.cookie6(NET, 254, p, 64), 11n, "a sibling deleted: a new version");
  f.apply6(fib6(p, FIB_EVENT.DEL, [[5, 1n], [7, 3n]]));
  equal(f.cookie6(NET, 254, p, 64), undefined);
});

Deno.test("lastCookie: the highest cookie applied, deletions' too", () => {
  const f = new Fib();
  equal(f.lastCookie, 0n);
  f.apply4(fib4(0x0a010000, 16, FIB_EVENT.REPLACE));
  equal(f.lastCookie, 0n, "no cookie sent");
  f.apply4({ ...fib4(0x0a010000, 16, FIB_EVENT.REPLACE), cookie: 5n });
  f.apply4({ ...fib4(0x0a010000, 16, FIB_EVENT.DEL), cookie: 8n });
  equal(f.lastCookie, 8n);
  f.apply6({ ...fib6(1n << 120n, FIB_EVENT.REPLACE, [[5, 1n]]), cookie: 9n });
  equal(f.lastCookie, 9n);
  // a lower one (a message of an older mux of the name) does not lower it
  f.apply4({ ...fib4(0x0a020000, 16, FIB_EVENT.REPLACE), cookie: 2n });
  equal(f.lastCookie, 9n);
});
