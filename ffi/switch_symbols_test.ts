// SWITCH_SYMBOLS against the library's dynamic symbol table. Build the
// library first (`./run build`).

import { SWITCH_SYMBOLS } from "./switch_symbols.ts";
import { assertBindsExactly } from "./testing/exports.ts";

Deno.test("switch symbols: every function of dataplane/src/ffi/switch.rs, no other", async () => {
  await assertBindsExactly(SWITCH_SYMBOLS, [
    "xeth_dp_switch_",
    "xeth_dp_records_",
  ]);
});
