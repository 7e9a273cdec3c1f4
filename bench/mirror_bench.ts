// Mirror apply rate: how fast SWITCHD's mirror takes routes from decoded
// FIBENTRY/FIB6ENTRY messages, and how fast a resync diff of an unchanged
// FIB runs. `deno bench -P bench/mirror_bench.ts`; names carry the item
// count per iteration, so `deno task bench` prints routes/s.

import { FIB_EVENT } from "../switchd/protocol/kinds.ts";
import type { Fib6Entry, FibEntry } from "../switchd/protocol/types.ts";
import { diffMirrors, Mirror } from "../switchd/mirror/mirror.ts";

const N = 10_000;

const v4: FibEntry[] = Array.from({ length: N }, (_, i) => ({
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

const v6: Fib6Entry[] = Array.from({ length: N }, (_, i) => ({
  kind: "fib6entry",
  net: 1n,
  address: (0x20010db8n << 96n) | (BigInt(i) << 64n),
  prefixLength: 64,
  event: FIB_EVENT.REPLACE,
  type: 1,
  table: 254,
  nextHops: [{ ifindex: 3, weight: 1, flags: 0, gw: 0x20010db8n << 96n | 2n }],
}));

Deno.bench(
  `mirror: apply ${N} routes (IPv4)`,
  { group: "apply", baseline: true },
  () => {
    const m = new Mirror();
    for (const r of v4) m.apply(r);
  },
);

Deno.bench(`mirror: apply ${N} routes (IPv6)`, { group: "apply" }, () => {
  const m = new Mirror();
  for (const r of v6) m.apply(r);
});

const a = new Mirror(), b = new Mirror();
for (const r of v4) {
  a.apply(r);
  b.apply(r);
}

Deno.bench(`mirror: resync diff over ${N} routes, none changed`, () => {
  if (diffMirrors(a, b).length !== 0) throw new Error("not unchanged");
});
