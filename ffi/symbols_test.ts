// SYMBOLS, the table Deno.dlopen takes, against the library's dynamic
// symbol table, and its parts against each other: a key two parts both
// had would be bound once, silently. Build the library first
// (`./run build`).

import { deepEqual, equal } from "node:assert/strict";
import { PUNT_SYMBOLS } from "./punt_symbols.ts";
import { SIDEBAND_SYMBOLS } from "./sideband_symbols.ts";
import { SWITCH_SYMBOLS } from "./switch_symbols.ts";
import { SYMBOLS } from "./symbols.ts";
import { boundFunctions, exportedFunctions } from "./testing/exports.ts";
import { VFIO_SYMBOLS } from "./vfio_symbols.ts";

Deno.test("symbols: every function the library exports, no other", async () => {
  deepEqual(boundFunctions(SYMBOLS), await exportedFunctions());
});

Deno.test("symbols: the parts share no key", () => {
  const parts = [PUNT_SYMBOLS, SIDEBAND_SYMBOLS, SWITCH_SYMBOLS, VFIO_SYMBOLS];
  const keys = parts.flatMap((p) => Object.keys(p));
  equal(new Set(keys).size, keys.length);
  deepEqual(
    Object.keys(SYMBOLS).sort(),
    ["xeth_dp_abi_version", "xeth_dp_last_error", "xeth_dp_version", ...keys]
      .sort(),
  );
});
