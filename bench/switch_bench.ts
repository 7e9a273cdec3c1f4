// How fast SWITCHD programs its software switch: the mirror's route
// changes encoded as program lines and applied by the data plane library
// (one FFI call per batch, as the session does per received batch).
// `deno bench -P bench/switch_bench.ts`; names carry the routes per
// iteration, so `deno task bench` prints routes/s. The library's switch
// runs on a mux that does not exist: only the programming is measured.

import { openDataplane } from "../ffi/library.ts";
import type { Fib6Entry, FibEntry } from "../switchd/protocol/types.ts";
import { type Change, Mirror } from "../switchd/mirror/mirror.ts";
import { SoftwareSwitch } from "../switchd/software/backend.ts";
import { routes4, routes6 } from "./routes.ts";

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

const v4 = changesOf(routes4(N));
const v6 = changesOf(routes6(N));

const dp = openDataplane();
const sw = SoftwareSwitch.open(dp, `xbench${Deno.pid % 10000}`, {
  statNames: () => [],
});
globalThis.addEventListener("unload", () => {
  // nothing is in flight once the last bench is done: each awaits its calls
  void sw.close();
  dp.close();
});

// A call per batch, each awaited: the session's worst case (batches that
// come while one is in flight go together in the next call).
async function program(batches: Change[][]): Promise<void> {
  const before = sw.counts.lines;
  for (const b of batches) await sw.apply(b);
  if (sw.counts.lines - before !== N || sw.counts.errors) {
    throw new Error(`the switch took ${sw.counts.lines - before} of ${N}`);
  }
}

Deno.bench(
  `software switch: program ${N} routes (IPv4)`,
  { group: "program", baseline: true },
  async () => await program(v4),
);

Deno.bench(
  `software switch: program ${N} routes (IPv6)`,
  { group: "program" },
  async () => await program(v6),
);
