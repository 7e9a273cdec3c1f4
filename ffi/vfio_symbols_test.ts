// VFIO_SYMBOLS against the library's dynamic symbol table. Build the
// library first (`./run build`).

import { VFIO_SYMBOLS } from "./vfio_symbols.ts";
import { assertBindsExactly } from "./testing/exports.ts";

Deno.test("vfio symbols: every function of dataplane/src/ffi/vfio.rs, no other", async () => {
  await assertBindsExactly(VFIO_SYMBOLS, ["xeth_dp_vfio_"]);
});
