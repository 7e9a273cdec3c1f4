/**
 * Cost of one call into the data plane library next to a plain JavaScript
 * call, to size how coarse FFI calls must be (see "No per-packet FFI" in
 * the design). Run with `deno bench -P bench/ffi_bench.ts`.
 *
 * @module
 */

import { EXPECTED_ABI_VERSION, openDataplane } from "../ffi/library.ts";

const dp = openDataplane();
globalThis.addEventListener("unload", () => dp.close());

// Results go to a module-level sink so that the JIT cannot drop the calls
// as dead code.
let sink = 0;

// A function rather than the constant, so that the baseline is a call, as
// on the FFI side, and the difference is the cost of crossing into Rust.
function jsAbiVersion(): number {
  return EXPECTED_ABI_VERSION;
}

Deno.bench({
  name: "plain JS function call",
  group: "call",
  baseline: true,
  fn() {
    sink ^= jsAbiVersion();
  },
});

Deno.bench({
  name: "FFI xeth_dp_abi_version() via wrapper",
  group: "call",
  fn() {
    sink ^= dp.abiVersion();
  },
});
