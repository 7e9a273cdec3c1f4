// The punt counter names live twice, in the library (Rust, the order it
// writes the counters in) and in ffi/punt.ts (TypeScript, a literal type
// for callers). This test holds them to one order: a counter added on one
// side only, or moved, fails here instead of mislabelling a count.

import { deepEqual } from "node:assert/strict";
import { PUNT_STAT_NAMES } from "./punt.ts";

/** The string literals of `pub const STAT_NAMES` in the Rust source. */
function rustStatNames(source: string): string[] {
  const m = source.match(
    /pub const STAT_NAMES: \[&str; (\d+)\] = \[([^\]]*)\];/,
  );
  if (!m) throw new Error("no `pub const STAT_NAMES` in counters.rs");
  const names = [...m[2].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
  if (names.length !== Number(m[1])) {
    throw new Error(
      `STAT_NAMES declares ${m[1]} names but lists ${names.length}`,
    );
  }
  return names;
}

Deno.test("punt counter names: ffi/punt.ts lists the library's, in its order", async () => {
  const src = await Deno.readTextFile(
    new URL("../dataplane/src/punt/counters.rs", import.meta.url),
  );
  deepEqual([...PUNT_STAT_NAMES], rustStatNames(src));
});
