// PUNT_SYMBOLS against the library's dynamic symbol table. Build the
// library first (`./run build`).

import { PUNT_SYMBOLS } from "./punt_symbols.ts";
import { assertBindsExactly } from "./testing/exports.ts";

Deno.test("punt symbols: every function of dataplane/src/ffi/punt.rs, no other", async () => {
  await assertBindsExactly(PUNT_SYMBOLS, ["xeth_dp_punt_"]);
});
