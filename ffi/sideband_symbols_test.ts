// SIDEBAND_SYMBOLS against the library's dynamic symbol table. Build the
// library first (`./run build`).

import { SIDEBAND_SYMBOLS } from "./sideband_symbols.ts";
import { assertBindsExactly } from "./testing/exports.ts";

Deno.test("sideband symbols: every function of dataplane/src/ffi/sideband.rs, no other", async () => {
  await assertBindsExactly(SIDEBAND_SYMBOLS, ["xeth_dp_sideband_"]);
});
