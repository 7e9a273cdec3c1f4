/**
 * The C ABI of libxeth_dataplane.so as Deno.dlopen sees it.
 *
 * This table must match dataplane/src/ffi.rs; dlopen fails on a missing
 * symbol, and the ABI version check in library.ts catches changed meanings,
 * so a drift shows up as a load error rather than as wrong results.
 *
 * @module
 */

import { PUNT_SYMBOLS } from "./punt_symbols.ts";
import { SIDEBAND_SYMBOLS } from "./sideband_symbols.ts";
import { SWITCH_SYMBOLS } from "./switch_symbols.ts";
import { VFIO_SYMBOLS } from "./vfio_symbols.ts";

/** Symbols of the data plane library, in the form Deno.dlopen takes. */
export const SYMBOLS = {
  /** `u32 xeth_dp_abi_version(void)` */
  xeth_dp_abi_version: { parameters: [], result: "u32" },
  /** `isize xeth_dp_version(u8 *buf, usize len)`: length or -errno. */
  xeth_dp_version: { parameters: ["buffer", "usize"], result: "isize" },
  /** `isize xeth_dp_last_error(u8 *buf, usize len)`: length or -errno. */
  xeth_dp_last_error: { parameters: ["buffer", "usize"], result: "isize" },
  ...SIDEBAND_SYMBOLS,
  ...PUNT_SYMBOLS,
  ...VFIO_SYMBOLS,
  ...SWITCH_SYMBOLS,
} as const satisfies Deno.ForeignLibraryInterface;

/** Type of {@link SYMBOLS}, for typing Deno.DynamicLibrary. */
export type DataplaneSymbols = typeof SYMBOLS;

/** The loaded library with the symbols of {@link SYMBOLS}. */
export type DataplaneLibrary = Deno.DynamicLibrary<DataplaneSymbols>;
