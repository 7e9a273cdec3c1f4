/**
 * The software SWITCH of switch-less mode, through the data plane library
 * (dataplane/src/switch/): a model of the switch chip run by a Rust thread
 * that forwards what the proxies transmit through the mux, and frames of
 * ports attached to real interfaces (veth pairs into test hosts, say).
 *
 * SWITCHD programs it with a stream of records (docs/records.md,
 * switchd/records/) and reads its reports as streams of records, one
 * coarse call each. The library also renders records as text and parses
 * text into records, for diagnostics and tests:
 *
 * ```ts
 * using dp = openDataplane();
 * using sw = SoftSwitch.open(dp, "xeth-mux", { encap: "vlan" });
 * sw.program(parseRecords(dp, "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nattach 10 veth0"));
 * console.log(recordsText(dp, sw.report("ports")));
 * ```
 *
 * @module
 */

import { ERRNO, SWITCH_REPORT } from "./abi.generated.ts";
import { type Dataplane, DataplaneError } from "./library.ts";
import { type Encap, ENCAP_VALUE } from "./punt.ts";

export { type Encap, ENCAP_VALUE };

/**
 * The reports of xeth_dp_switch_report, by name (docs/records.md,
 * "Reports"): `ports`, a `port` record per attached port; `counters`, a
 * `counters` record per proxy (the first 8 LINK_STAT counts, then the
 * ethtool counts named by `ethtool-names`); `summary`, a `count` record
 * per named count; `ethtool-names` and `mux-stat-names` (the mux's port
 * stat names from sysfs, none without a mux), `name` records; `fib`,
 * every route held as the sorted `route4` and `route6` records;
 * `route-results`, a `route_result` record per route decided since the
 * last one (held and forwarded or trapped, or failed for want of room), in
 * order; `route-status`, a `route_result` record per route held or waiting
 * for room.
 */
export const SWITCH_REPORTS = SWITCH_REPORT;

/** Routes a SWITCH holds per family; a family left out has no limit. */
export interface FibCapacity {
  ipv4?: number;
  ipv6?: number;
}

/** A report's name. */
export type SwitchReport = keyof typeof SWITCH_REPORTS;

/** Options of {@link SoftSwitch.open}. */
export interface SoftSwitchOptions {
  /** The mux's encapsulation; default "vlan". */
  encap?: Encap;
}

const { ENOSPC } = ERRNO;
/** First report buffer; grown to what the library says it needs. */
const REPORT_START = 64 << 10;
/** Largest report buffer. */
export const REPORT_MAX = 256 << 20;

/** A report buffer this much larger than its report is given back. */
const REPORT_SLACK = 8 << 20;

/**
 * Calls `fill(buf)`, which returns the size of what it has (written only
 * when it fits), with a buffer grown to that size until it fits; returns
 * what was written, a view of `state.buf`, which is kept grown, unless a
 * one-off report (every route's status after a resync, say) left it
 * megabytes larger than what is reported now.
 */
function sized(
  state: { buf: Uint8Array<ArrayBuffer> },
  what: string,
  fill: (buf: Uint8Array<ArrayBuffer>) => number,
): Uint8Array<ArrayBuffer> {
  for (;;) {
    const n = fill(state.buf);
    if (n <= state.buf.length) {
      if (state.buf.length - n <= REPORT_SLACK) return state.buf.subarray(0, n);
      const small = new Uint8Array(Math.max(REPORT_START, n + (n >> 3)));
      small.set(state.buf.subarray(0, n));
      state.buf = small;
      return small.subarray(0, n);
    }
    if (n > REPORT_MAX) {
      throw new DataplaneError(
        `${what} needs ${n} bytes, more than the ${REPORT_MAX} allowed`,
        { errno: ENOSPC },
      );
    }
    // An eighth more: a report may grow before the next call.
    state.buf = new Uint8Array(Math.min(REPORT_MAX, n + (n >> 3)));
  }
}

/** The text of a record stream, a line per record (the library renders it). */
export function recordsText(dp: Dataplane, records: Uint8Array): string {
  const state = { buf: new Uint8Array(4096) };
  const out = sized(state, "records as text", (buf) =>
    dp.check(
      "render records as text",
      dp.symbols.xeth_dp_records_text(
        records as Uint8Array<ArrayBuffer>,
        BigInt(records.length),
        buf,
        BigInt(buf.length),
      ),
    ));
  return new TextDecoder().decode(out);
}

/** The records of program text (the library parses it); a copy. */
export function parseRecords(
  dp: Dataplane,
  text: string,
): Uint8Array<ArrayBuffer> {
  const bytes = new TextEncoder().encode(text);
  const state = { buf: new Uint8Array(Math.max(64, bytes.length * 2)) };
  return sized(state, "records of text", (buf) =>
    dp.check(
      "parse program text",
      dp.symbols.xeth_dp_records_parse(
        bytes,
        BigInt(bytes.length),
        buf,
        BigInt(buf.length),
      ),
    )).slice();
}

/** A program the library refused; the records before {@link index} applied. */
export class SwitchProgramError extends DataplaneError {
  /** 0-based place of the refused record in the stream. */
  readonly index: number;
  /** The library's reason, without the "record N: " it starts with. */
  readonly reason: string;

  constructor(message: string, library: string, errno: number, index: number) {
    super(message, { errno });
    this.name = "SwitchProgramError";
    this.index = index;
    const prefix = `record ${index + 1}: `;
    this.reason = library.startsWith(prefix)
      ? library.slice(prefix.length)
      : library;
  }
}

/** A software SWITCH in the data plane library. Close it, or use `using`. */
export class SoftSwitch implements Disposable {
  readonly mux: string;
  readonly encap: Encap;
  readonly #dp: Dataplane;
  #handle: bigint | undefined;
  readonly #report = { buf: new Uint8Array(REPORT_START) };
  readonly #done = new Uint32Array(1);

  private constructor(dp: Dataplane, mux: string, encap: Encap, h: bigint) {
    this.#dp = dp;
    this.mux = mux;
    this.encap = encap;
    this.#handle = h;
  }

  /**
   * Starts a software SWITCH on the mux `mux` (in this process's network
   * namespace). The mux need not exist: the switch's thread opens its
   * packet socket whenever it appears. Throws a {@link DataplaneError}.
   */
  static open(
    dp: Dataplane,
    mux: string,
    opts: SoftSwitchOptions = {},
  ): SoftSwitch {
    const encap = opts.encap ?? "vlan";
    if (encap !== "vlan" && encap !== "vpls") {
      throw new RangeError(`encap must be "vlan" or "vpls", not ${encap}`);
    }
    const name = new TextEncoder().encode(mux);
    const h = dp.check(
      `open the software switch of ${mux}`,
      dp.symbols.xeth_dp_switch_open(
        name,
        BigInt(name.length),
        ENCAP_VALUE[encap],
      ),
    );
    return new SoftSwitch(dp, mux, encap, BigInt(h));
  }

  /**
   * Connects to a SWITCH on another machine: `xeth-switch` listening at
   * `addr` (HOST:PORT, inside the tunnel that carries the frames of `mux`,
   * this machine's mux: `ethtool -S` of its ports lists its stat names).
   * The other calls work as on a local switch's; a lost connection is
   * made again by the call after the one that failed, and
   * {@link generation} moves on. Blocks for one round trip. Throws a
   * {@link DataplaneError} (ECONNREFUSED: nothing listens; EBUSY: it has
   * a controller).
   */
  static connect(
    dp: Dataplane,
    addr: string,
    mux: string,
    encap: Encap,
  ): SoftSwitch {
    const bytes = new TextEncoder().encode(addr);
    const name = new TextEncoder().encode(mux);
    const h = dp.check(
      `connect to the switch at ${addr}`,
      dp.symbols.xeth_dp_switch_connect(
        bytes,
        BigInt(bytes.length),
        name,
        BigInt(name.length),
      ),
    );
    return new SoftSwitch(dp, addr, encap, BigInt(h));
  }

  /**
   * Connections made so far (1 for a switch in this process): once it
   * moves on, the switch was out of reach and records sent meanwhile
   * were refused, so its tables are to be programmed anew.
   */
  generation(): number {
    const h = this.#open();
    return Number(this.#dp.check(
      `the generation of the switch ${this.mux}`,
      this.#dp.symbols.xeth_dp_switch_generation(h),
    ));
  }

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.#handle !== undefined;
  }

  /**
   * Applies a stream of program records and returns how many applied.
   * Throws a {@link SwitchProgramError} naming the refused record; the
   * records before it stay applied, the ones after it are not.
   */
  program(records: Uint8Array): number {
    const h = this.#open();
    const r = Number(
      this.#dp.symbols.xeth_dp_switch_program(
        h,
        records as Uint8Array<ArrayBuffer>,
        BigInt(records.length),
        this.#done,
      ),
    );
    if (r >= 0) return r;
    const why = this.#dp.lastError();
    throw new SwitchProgramError(
      `program the software switch of ${this.mux} failed: ${why}`,
      why,
      -r,
      this.#done[0],
    );
  }

  /**
   * Limits the routes the switch holds, as a chip's tables would: routes
   * past it are not held (their traffic goes to Linux) and wait, in
   * arrival order, for deletions to make room.
   */
  setCapacity(c: FibCapacity): void {
    const h = this.#open();
    const limit = (n: number | undefined) => {
      if (n === undefined) return 0xffff_ffff_ffff_ffffn;
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new RangeError(`a route capacity must be a count, not ${n}`);
      }
      return BigInt(n);
    };
    this.#dp.check(
      `set the route capacity of the software switch of ${this.mux}`,
      this.#dp.symbols.xeth_dp_switch_capacity(
        h,
        limit(c.ipv4),
        limit(c.ipv6),
      ),
    );
  }

  /**
   * A report (see {@link SWITCH_REPORTS}) as a record stream: a view of a
   * buffer this switch reuses, valid until its next report.
   */
  report(what: SwitchReport): Uint8Array<ArrayBuffer> {
    const h = this.#open();
    const code = SWITCH_REPORTS[what];
    if (code === undefined) throw new RangeError(`no report ${what}`);
    const label = `${what} report of the software switch of ${this.mux}`;
    return sized(this.#report, label, (buf) =>
      this.#dp.check(
        label,
        this.#dp.symbols.xeth_dp_switch_report(
          h,
          code,
          buf,
          BigInt(buf.length),
        ),
      ));
  }

  /**
   * Resolves once the switch's thread has published state newer than
   * `after` (every tick of its, 250 ms, and after an attach or detach),
   * or after `timeoutMs`, with the latest publication's number; 0 once
   * the switch is closed. Waits on a worker thread.
   */
  async published(after: number, timeoutMs = 1000): Promise<number> {
    const h = this.#handle;
    if (h === undefined) return 0;
    const r = await this.#dp.symbols.xeth_dp_switch_wait(
      h,
      BigInt(after),
      timeoutMs,
    );
    if (r < 0n) return 0;
    return Number(r);
  }

  /** Stops the switch's thread and waits for it. Safe to call twice. */
  close(): void {
    const h = this.#handle;
    if (h === undefined) return;
    this.#handle = undefined;
    this.#dp.check(
      `close the software switch of ${this.mux}`,
      this.#dp.symbols.xeth_dp_switch_close(h),
    );
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #open(): bigint {
    if (this.#handle === undefined) {
      throw new DataplaneError(
        `the software switch of ${this.mux} is closed`,
      );
    }
    return this.#handle;
  }
}
