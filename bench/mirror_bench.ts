// Mirror apply rate: how fast SWITCHD's mirror takes routes from decoded
// FIBENTRY/FIB6ENTRY messages, and how fast a resync diff of an unchanged
// FIB runs. `deno bench -P bench/mirror_bench.ts`; names carry the item
// count per iteration, so `deno task bench` prints routes/s.

import { diffMirrors, Mirror } from "../switchd/mirror/mirror.ts";
import { routes4, routes6 } from "./routes.ts";

const N = 10_000;

const v4 = routes4(N);
const v6 = routes6(N);

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
