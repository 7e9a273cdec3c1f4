import { deepEqual, equal, ok } from "node:assert/strict";
import { RouteTable } from "./route_table.ts";

/** A small deterministic generator (xorshift32), for repeatable runs. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const key = (...words: number[]) => Uint32Array.from(words);

Deno.test("route table: add, find, set and remove by (table, prefix, length)", () => {
  const t = new RouteTable(1);
  equal(t.find(254, key(0x0a000000), 8), -1);
  const a = t.add(254, key(0x0a000000), 8);
  t.set(a, 4, 1, 7);
  const b = t.add(254, key(0x0a000000), 16);
  const c = t.add(100, key(0x0a000000), 8);
  equal(t.size, 3);
  equal(t.find(254, key(0x0a000000), 8), a);
  equal(t.find(254, key(0x0a000000), 16), b);
  equal(t.find(100, key(0x0a000000), 8), c);
  deepEqual([t.tos(a), t.type(a), t.hop(a), t.table(a), t.plen(a)], [
    4,
    1,
    7,
    254,
    8,
  ]);
  equal(t.hop(b), -1, "no next-hop set until one is set");
  // The last row takes the place of a removed one.
  t.remove(a);
  equal(t.size, 2);
  equal(t.find(254, key(0x0a000000), 8), -1);
  equal(t.find(100, key(0x0a000000), 8), a);
  equal(t.find(254, key(0x0a000000), 16), b);
});

Deno.test("route table: IPv6 prefixes are four words", () => {
  const t = new RouteTable(4);
  const r = t.add(254, key(0x20010db8, 0, 0, 1), 128);
  const s = t.add(254, key(0x20010db8, 0, 1, 0), 128);
  equal(t.find(254, key(0x20010db8, 0, 0, 1), 128), r);
  equal(t.find(254, key(0x20010db8, 0, 1, 0), 128), s);
  equal(t.find(254, key(0x20010db8, 1, 0, 0), 128), -1);
  const out = new Uint32Array(4);
  t.key(s, out);
  deepEqual([...out], [0x20010db8, 0, 1, 0]);
  equal(t.word(r, 3), 1);
});

Deno.test("route table: agrees with a Map through growth, churn and shrinking", () => {
  for (const words of [1, 4] as const) {
    const rnd = random(words * 7919);
    const t = new RouteTable(words);
    const model = new Map<string, number>();
    const present: [number, number, number[]][] = [];
    const k = new Uint32Array(words);
    const name = (table: number, plen: number) => `${table}/${[...k]}/${plen}`;
    let removed = 0;
    for (let step = 0; step < 60_000; step++) {
      // Mostly adds while growing, mostly removes later: both directions
      // of resizing; removes of keys held, and of keys that are not.
      const add = step < 30_000 ? rnd() < 0.7 : rnd() < 0.2;
      let table = 254 + Math.floor(rnd() * 2), plen = Math.floor(rnd() * 3);
      if (!add && present.length && rnd() < 0.8) {
        const i = Math.floor(rnd() * present.length);
        [table, plen] = present[i];
        k.set(present[i][2]);
        present[i] = present[present.length - 1];
        present.pop();
      } else {
        // Few distinct words, so that probe sequences overlap.
        for (let w = 0; w < words; w++) k[w] = Math.floor(rnd() * 64);
      }
      const n = name(table, plen);
      const r = t.find(table, k, plen);
      equal(r >= 0, model.has(n), `step ${step}: find ${n}`);
      if (add && r < 0) {
        const row = t.add(table, k, plen);
        t.set(row, 0, 1, step);
        model.set(n, step);
        present.push([table, plen, [...k]]);
      } else if (!add && r >= 0) {
        equal(t.hop(r), model.get(n), `step ${step}: value of ${n}`);
        t.remove(r);
        model.delete(n);
        removed++;
      }
      equal(t.size, model.size);
    }
    // Every row is found where it is, with its value.
    for (let r = 0; r < t.size; r++) {
      t.key(r, k);
      equal(t.find(t.table(r), k, t.plen(r)), r);
      equal(model.get(name(t.table(r), t.plen(r))), t.hop(r));
    }
    ok(removed > 10_000, `only ${removed} removed`);
  }
});

Deno.test("route table: the arrays shrink when routes go", () => {
  const t = new RouteTable(1);
  const small = t.bytes;
  const k = new Uint32Array(1);
  for (let i = 0; i < 100_000; i++) {
    k[0] = i;
    t.add(254, k, 32);
  }
  ok(t.bytes > 100_000 * 15, `${t.bytes} bytes for 100k routes`);
  ok(t.bytes < 100_000 * 48, `${t.bytes} bytes for 100k routes`);
  for (let i = 0; i < 100_000; i++) {
    k[0] = i;
    t.remove(t.find(254, k, 32));
  }
  equal(t.size, 0);
  equal(t.bytes, small);
});

Deno.test("route table: cookies follow their rows through growth, removal and shrinking", () => {
  const t = new RouteTable(4);
  const bytes = t.bytes;
  const a = t.add(254, key(1, 2, 3, 4), 64);
  equal(t.cookie(a), 0n);
  t.setCookie(a, 0n);
  equal(t.bytes, bytes, "no cookie array until a cookie is set");
  const max = (1n << 64n) - 1n;
  t.setCookie(a, max);
  ok(t.bytes > bytes);
  equal(t.cookie(a), max);
  const n = 1000;
  for (let i = 1; i < n; i++) {
    const r = t.add(254, key(1, 2, 3, i + 4), 64);
    equal(t.cookie(r), 0n, "a new row has none");
    t.setCookie(r, BigInt(i) << 32n | BigInt(i));
  }
  // remove every other row: the last rows move into the holes
  for (let i = 1; i < n; i += 2) t.remove(t.find(254, key(1, 2, 3, i + 4), 64));
  for (let i = 0; i < n; i += 2) {
    const r = t.find(254, key(1, 2, 3, i + 4), 64);
    ok(r >= 0);
    equal(t.cookie(r), i === 0 ? max : BigInt(i) << 32n | BigInt(i), `${i}`);
  }
  // shrink to a quarter and below
  for (let i = 2; i < n; i += 2) t.remove(t.find(254, key(1, 2, 3, i + 4), 64));
  equal(t.size, 1);
  equal(t.cookie(t.find(254, key(1, 2, 3, 4), 64)), max);
});
