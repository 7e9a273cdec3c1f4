/**
 * C ABI symbols of dataplane/src/ffi/switch.rs (the software SWITCH and
 * the record tools), spread into SYMBOLS by symbols.ts.
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
  /**
   * `isize connect(const u8 *addr, usize len, const u8 *mux, usize
   * mux_len, u8 *err, usize err_len)`: a handle on a SWITCH on another
   * machine (`xeth-switch` at HOST:PORT) for the mux `mux` here (its port
   * stat names are read here), taken by the calls below as a local one's;
   * -errno (-ECONNREFUSED, -EBUSY: it has a controller) with its message
   * in `err`. Waits for the network (3 s to connect, 5 s for the answer),
   * so it runs on a worker thread.
   */
  xeth_dp_switch_connect: {
    parameters: ["buffer", "usize", "buffer", "usize", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  /**
   * `isize generation(usize h)`: connections a remote switch's handle has
   * made (1 for a local switch); it moves on once a lost connection was
   * made again, and the caller programs the switch anew. Never waits.
   */
  xeth_dp_switch_generation: { parameters: ["usize"], result: "isize" },
  /**
   * `isize close(usize h)`: stops and joins a local switch's thread; shuts
   * a remote one's connection down without waiting for a call in flight
   * (which fails at once). 0.
   */
  xeth_dp_switch_close: { parameters: ["usize"], result: "isize" },
  /**
   * `isize program(usize h, const u8 *records, usize len, u32 *done, u8
   * *err, usize err_len)`: records applied, or -errno with the message
   * "record N: why" in `err`; `done[0]` is the number of records before
   * the refused one (they stay applied), or SWITCH_PROGRAM.NONE_REFUSED
   * when the call failed as a whole. On the JavaScript thread: for a
   * switch in this process.
   */
  xeth_dp_switch_program: {
    parameters: ["usize", "buffer", "usize", "buffer", "buffer", "usize"],
    result: "isize",
  },
  /**
   * xeth_dp_switch_program on a worker thread: for a remote switch, whose
   * call waits for the network (5 s at most).
   */
  xeth_dp_switch_program_async: {
    name: "xeth_dp_switch_program",
    parameters: ["usize", "buffer", "usize", "buffer", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  /**
   * `isize capacity(usize h, u64 v4, u64 v6, u8 *err, usize err_len)`:
   * routes the switch holds per family, as a chip's tables would; u64
   * max: no limit. 0 or -errno, its message in `err`.
   */
  xeth_dp_switch_capacity: {
    parameters: ["usize", "u64", "u64", "buffer", "usize"],
    result: "isize",
  },
  /** xeth_dp_switch_capacity on a worker thread, for a remote switch. */
  xeth_dp_switch_capacity_async: {
    name: "xeth_dp_switch_capacity",
    parameters: ["usize", "u64", "u64", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  /**
   * `isize report(usize h, u8 what, u8 *buf, usize len, u8 *err, usize
   * err_len)`: the report's size (a record stream), written only when
   * `len` holds it; -errno, its message in `err`.
   */
  xeth_dp_switch_report: {
    parameters: ["usize", "u8", "buffer", "usize", "buffer", "usize"],
    result: "isize",
  },
  /** xeth_dp_switch_report on a worker thread, for a remote switch. */
  xeth_dp_switch_report_async: {
    name: "xeth_dp_switch_report",
    parameters: ["usize", "u8", "buffer", "usize", "buffer", "usize"],
    result: "isize",
    nonblocking: true,
  },
  /**
   * `isize wait(usize h, u64 after, u32 timeout_ms)`: waits for the
   * switch's thread to publish state newer than `after`; the latest
   * publication's number. Blocks, so it runs on a worker thread.
   */
  xeth_dp_switch_wait: {
    parameters: ["usize", "u64", "u32"],
    result: "isize",
    nonblocking: true,
  },
  /**
   * `isize wait_links(usize h, u64 after, u32 timeout_ms)`: as wait, for a
   * publication whose ports differ from the one before (attached or
   * detached, a carrier or a speed changed); the number of such changes.
   */
  xeth_dp_switch_wait_links: {
    parameters: ["usize", "u64", "u32"],
    result: "isize",
    nonblocking: true,
  },
  /**
   * `isize records_text(const u8 *records, usize len, u8 *out, usize
   * out_len)`: the records as text (a line each), its size; written only
   * when `out_len` holds it.
   */
  xeth_dp_records_text: {
    parameters: ["buffer", "usize", "buffer", "usize"],
    result: "isize",
  },
  /**
   * `isize records_parse(const u8 *text, usize len, u8 *out, usize
   * out_len)`: the records of program text, their size; written only when
   * `out_len` holds them; -EINVAL with "line N: why".
   */
  xeth_dp_records_parse: {
    parameters: ["buffer", "usize", "buffer", "usize"],
    result: "isize",
  },
} as const satisfies Deno.ForeignLibraryInterface;
