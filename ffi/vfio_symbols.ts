/**
 * C ABI symbols of dataplane/src/ffi/vfio.rs, spread into SYMBOLS by
 * symbols.ts.
 *
 * @module
 */

/** Symbols of the vfio part of the data plane library. */
export const VFIO_SYMBOLS = {} as const satisfies Deno.ForeignLibraryInterface;
