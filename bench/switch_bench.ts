// How fast SWITCHD programs its software switch: the mirror's route
// changes encoded as program lines and applied by the data plane library
// (one FFI call per batch, as the session does per received batch).
// `deno bench -P bench/switch_bench.ts`; names carry the routes per
// iteration, so `deno task bench` prints routes/s. The library's switch
// runs on a mux that does not exist: only the programming is measured.

import { openDataplane } from "../ffi/library.ts";
import { FIB_EVENT } from "../switchd/protocol/kinds.ts";
import type { Fib6Entry, FibEntry } from "../switchd/protocol/types.ts";
import { type Change, Mirror } from "../switchd/mirror/mirror.ts";
import { SoftwareSwitch } from "../switchd/software/backend.ts";

const N = 10_000;
/** Changes per program call: the session's receive batch. */
const BATCH = 128;

function changesOf(messages: (FibEntry | Fib6Entry)[]): Change[][] {
  const m = new Mirror();
  const all = messages.flatMap((x) => m.apply(x));
  const out: Change[][] = [];
  for (let i = 0; i < all.length; i += BATCH) {
    out.push(all.slice(i, i + BATCH));
  }
  return out;
}

const v4 = changesOf(Array.from({ length: N }, (_, i): FibEntry => ({
  kind: "fibentry",
  net: 1n,
  address: (10 << 24 | i << 8) >>> 0,
  prefixLength: 24,
  event: FIB_EVENT.REPLACE,
  tos: 0,
  type: 1,
  table: 254,
  nextHops: [{ ifindex: 3, weight: 1, flags: 0, gw: 0xc0000202, scope: 0 }],
})));

const v6 = changesOf(Array.from({ length: N }, (_, i): Fib6Entry => ({
  kind: "fib6entry",
  net: 1n,
  address: (0x20010db8n << 96n) | (BigInt(i) << 64n),
  prefixLength: 64,
  event: FIB_EVENT.REPLACE,
  type: 1,
  table: 254,
  nextHops: [{ ifindex: 3, weight: 1, flags: 0, gw: 0x20010db8n << 96n | 2n }],
})));

const dp = openDataplane();
const sw = SoftwareSwitch.open(dp, `xbench${Deno.pid % 10000}`, {
  statNames: () => [],
});
globalThis.addEventListener("unload", () => {
  sw.close();
  dp.close();
});

function program(batches: Change[][]): void {
  const before = sw.counts.lines;
  for (const b of batches) sw.apply(b);
  if (sw.counts.lines - before !== N || sw.counts.errors) {
    throw new Error(`the switch took ${sw.counts.lines - before} of ${N}`);
  }
}

Deno.bench(
  `software switch: program ${N} routes (IPv4)`,
  { group: "program", baseline: true },
  () => program(v4),
);

Deno.bench(
  `software switch: program ${N} routes (IPv6)`,
  { group: "program" },
  () => program(v6),
);
