/**
 * C ABI symbols of dataplane/src/ffi/switch.rs (the software SWITCH),
 * spread into SYMBOLS by symbols.ts.
 *
 * @module
 */

/** Symbols of the software SWITCH part of the data plane library. */
export const SWITCH_SYMBOLS = {
  /**
   * `isize open(const u8 *mux, usize len, u8 encap)`: handle or -errno.
   * The mux need not exist yet: the switch's thread opens its packet
   * socket when it appears.
   */
  xeth_dp_switch_open: {
    parameters: ["buffer", "usize", "u8"],
    result: "isize",
  },
  /** `isize close(usize h)`: stops and joins the switch's thread; 0. */
  xeth_dp_switch_close: { parameters: ["usize"], result: "isize" },
  /**
   * `isize program(usize h, const u8 *text, usize len)`: lines applied, or
   * -errno with the message "line N: why" (the lines before N stay applied).
   */
  xeth_dp_switch_program: {
    parameters: ["usize", "buffer", "usize"],
    result: "isize",
  },
  /**
   * `isize report(usize h, u8 what, u8 *buf, usize len)`: the report's
   * length, or -ENOSPC when `buf` is too small.
   */
  xeth_dp_switch_report: {
    parameters: ["usize", "u8", "buffer", "usize"],
    result: "isize",
  },
} as const satisfies Deno.ForeignLibraryInterface;
