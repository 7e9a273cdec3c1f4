/**
 * C ABI symbols of dataplane/src/ffi/punt.rs, spread into SYMBOLS by
 * symbols.ts.
 *
 * @module
 */

/** Symbols of the punt part of the data plane library. */
export const PUNT_SYMBOLS = {} as const satisfies Deno.ForeignLibraryInterface;
