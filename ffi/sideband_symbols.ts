/**
 * C ABI symbols of dataplane/src/ffi/sideband.rs, spread into SYMBOLS by
 * symbols.ts.
 *
 * @module
 */

/** Symbols of the sideband part of the data plane library. */
export const SIDEBAND_SYMBOLS =
  {} as const satisfies Deno.ForeignLibraryInterface;
