/**
 * C ABI symbols of dataplane/src/ffi/sideband.rs, spread into SYMBOLS by
 * symbols.ts.
 *
 * @module
 */

/** Symbols of the side-band part of the data plane library. */
export const SIDEBAND_SYMBOLS = {
  /** `isize connect(const u8 *name, usize len)`: handle or -errno. */
  xeth_dp_sideband_connect: {
    parameters: ["buffer", "usize"],
    result: "isize",
  },
  /** `isize fd(usize h)`: the socket descriptor or -errno. */
  xeth_dp_sideband_fd: { parameters: ["usize"], result: "isize" },
  /**
   * `isize extension(const u8 *mux, usize len, const u8 *ext, usize
   * ext_len)`: the bit of extension `ext` if the mux's sysfs extensions
   * file lists it; -ENOENT if not.
   */
  xeth_dp_sideband_extension: {
    parameters: ["buffer", "usize", "buffer", "usize"],
    result: "isize",
  },
  /** `isize recv(usize h, u8 *buf, usize len, u32 *lens, usize max)`. */
  xeth_dp_sideband_recv: {
    parameters: ["usize", "buffer", "usize", "buffer", "usize"],
    result: "isize",
  },
  /** `isize send(usize h, const u8 *buf, usize len, const u32 *lens, usize n)`. */
  xeth_dp_sideband_send: {
    parameters: ["usize", "buffer", "usize", "buffer", "usize"],
    result: "isize",
  },
  /** `isize wait(usize h, u32 want, i32 timeout_ms)`, on this thread. */
  xeth_dp_sideband_wait: {
    parameters: ["usize", "u32", "i32"],
    result: "isize",
  },
  /** The same wait on a worker thread: resolves when ready, woken or timed out. */
  xeth_dp_sideband_wait_async: {
    name: "xeth_dp_sideband_wait",
    parameters: ["usize", "u32", "i32"],
    result: "isize",
    nonblocking: true,
  },
  /** `isize wake(usize h)`: ends a pending wait. */
  xeth_dp_sideband_wake: { parameters: ["usize"], result: "isize" },
  /** `isize close(usize h)`. */
  xeth_dp_sideband_close: { parameters: ["usize"], result: "isize" },
} as const satisfies Deno.ForeignLibraryInterface;
