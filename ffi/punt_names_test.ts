// The punt counter names live in the library (the order it writes the
// counters in, exported by xeth_dp_punt_stat_names) and in ffi/punt.ts (a
// literal type for callers). This test holds the second to the first: a
// counter added on one side only, or moved, fails here instead of
// mislabelling a count. Build the library first (`./run build`).

import { deepEqual } from "node:assert/strict";
import { openDataplane } from "./library.ts";
import { PUNT_STAT_NAMES, puntStatNames } from "./punt.ts";

Deno.test("punt counter names: ffi/punt.ts lists the library's, in its order", () => {
  using dp = openDataplane();
  deepEqual([...PUNT_STAT_NAMES], puntStatNames(dp));
});
