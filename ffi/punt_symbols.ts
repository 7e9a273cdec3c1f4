/**
 * C ABI symbols of dataplane/src/ffi/punt.rs, spread into SYMBOLS by
 * symbols.ts.
 *
 * @module
 */

/** Symbols of the punt part of the data plane library. */
export const PUNT_SYMBOLS = {
  /**
   * `isize open(const u8 *ifname, usize len, u8 encap, u8 ring, u32 capture)`:
   * handle or -errno.
   */
  xeth_dp_punt_open: {
    parameters: ["buffer", "usize", "u8", "u8", "u32"],
    result: "isize",
  },
  /** `isize close(usize h)`: stops and joins the punt thread; 0 or -errno. */
  xeth_dp_punt_close: { parameters: ["usize"], result: "isize" },
  /**
   * `isize stat_names(u8 *buf, usize len)`: the names of the counters of
   * stats, one per line; length or -errno (-ERANGE: buffer too small).
   */
  xeth_dp_punt_stat_names: { parameters: ["buffer", "usize"], result: "isize" },
  /** `isize stats(usize h, u64 *out, usize n)`: counters written or -errno. */
  xeth_dp_punt_stats: {
    parameters: ["usize", "buffer", "usize"],
    result: "isize",
  },
  /** `isize send(usize h, u32 xid, u8 exception, const u8 *frame, usize len)`. */
  xeth_dp_punt_send: {
    parameters: ["usize", "u32", "u8", "buffer", "usize"],
    result: "isize",
  },
  /** `isize send_batch(usize h, const u8 *records, usize len)`: frames queued. */
  xeth_dp_punt_send_batch: {
    parameters: ["usize", "buffer", "usize"],
    result: "isize",
  },
  /** `isize recv_batch(usize h, u8 *buf, usize len)`: record bytes written. */
  xeth_dp_punt_recv_batch: {
    parameters: ["usize", "buffer", "usize"],
    result: "isize",
  },
} as const satisfies Deno.ForeignLibraryInterface;
