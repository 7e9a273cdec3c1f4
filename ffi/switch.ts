/**
 * The software SWITCH of switch-less mode, through the data plane library
 * (dataplane/src/switch/): a model of the switch chip run by a Rust thread
 * that forwards what the proxies transmit through the mux, and frames of
 * ports attached to real interfaces (veth pairs into test hosts, say).
 *
 * SWITCHD programs it with text lines (see switchd/software/program.ts for
 * the language) and reads it back as text reports, one coarse call each:
 *
 * ```ts
 * using dp = openDataplane();
 * using sw = SoftSwitch.open(dp, "xeth-mux", { encap: "vlan" });
 * sw.program("link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nattach 10 veth0");
 * console.log(sw.report("ports"));
 * ```
 *
 * @module
 */

import { type Dataplane, DataplaneError } from "./library.ts";
import { type Encap, ENCAP_VALUE } from "./punt.ts";

export { type Encap, ENCAP_VALUE };

/** The reports of xeth_dp_switch_report, by name. */
export const SWITCH_REPORTS = {
  /** `XID IFNAME CARRIER SPEED` per attached port */
  ports: 0,
  /**
   * `XID`, the first 8 LINK_STAT counts and the ethtool counts named by
   * "ethtool-names", per proxy
   */
  counters: 1,
  /** `NAME VALUE` lines */
  summary: 2,
  /** the names of the ethtool counts in "counters", one per line */
  "ethtool-names": 3,
  /** the mux's port stat names (sysfs), one per line; empty without mux */
  "mux-stat-names": 4,
  /** every route held, as the sorted `route` lines that program them */
  fib: 5,
} as const;

/** A report's name. */
export type SwitchReport = keyof typeof SWITCH_REPORTS;

/** Options of {@link SoftSwitch.open}. */
export interface SoftSwitchOptions {
  /** The mux's encapsulation; default "vlan". */
  encap?: Encap;
}

const ENOSPC = 28;
/**
 * First report buffer; grown to what the library says it needs (at least
 * double) while it says ENOSPC.
 */
const REPORT_START = 64 << 10;
/** Largest report buffer. */
export const REPORT_MAX = 64 << 20;

/** A program the library refused; the lines before {@link line} applied. */
export class SwitchProgramError extends DataplaneError {
  /** 1-based number of the refused line, when the library said which. */
  readonly line: number | undefined;
  /** The library's reason, without the "line N: " prefix. */
  readonly reason: string;

  constructor(message: string, library: string, errno: number) {
    super(message, { errno });
    this.name = "SwitchProgramError";
    const m = /^line (\d+): ?(.*)$/s.exec(library);
    this.line = m ? Number(m[1]) : undefined;
    this.reason = m ? m[2] : library;
  }
}

/** A software SWITCH in the data plane library. Close it, or use `using`. */
export class SoftSwitch implements Disposable {
  readonly mux: string;
  readonly encap: Encap;
  readonly #dp: Dataplane;
  #handle: bigint | undefined;
  #reportBuf = new Uint8Array(REPORT_START);

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

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.#handle !== undefined;
  }

  /**
   * Applies program lines ("\n"-separated) and returns how many applied.
   * Throws a {@link SwitchProgramError} naming the refused line; the lines
   * before it stay applied, the ones after it are not.
   */
  program(text: string): number {
    const h = this.#open();
    if (text.length === 0) return 0;
    const buf = new TextEncoder().encode(text);
    const r = Number(
      this.#dp.symbols.xeth_dp_switch_program(h, buf, BigInt(buf.length)),
    );
    if (r >= 0) return r;
    const why = this.#dp.lastError();
    throw new SwitchProgramError(
      `program the software switch of ${this.mux} failed: ${why}`,
      why,
      -r,
    );
  }

  /** The text of a report (see {@link SWITCH_REPORTS}). */
  report(what: SwitchReport): string {
    const h = this.#open();
    const code = SWITCH_REPORTS[what];
    if (code === undefined) throw new RangeError(`no report ${what}`);
    for (;;) {
      const buf = this.#reportBuf;
      const r = Number(
        this.#dp.symbols.xeth_dp_switch_report(
          h,
          code,
          buf,
          BigInt(buf.length),
        ),
      );
      if (r === -ENOSPC && buf.length < REPORT_MAX) {
        // Kept for the next call: reports grow with the switch's tables.
        // Straight to the size the library named, since every try builds
        // the whole report again (a million routes' worth for "fib").
        const need = Number(
          /needs (\d+) bytes/.exec(this.#dp.lastError())?.[1] ?? 0,
        );
        this.#reportBuf = new Uint8Array(
          Math.min(REPORT_MAX, Math.max(buf.length * 2, need + (need >> 3))),
        );
        continue;
      }
      const n = this.#dp.check(
        `${what} report of the software switch of ${this.mux}`,
        r,
      );
      // The library promises n <= len; more would be its bug, not a
      // reason to read past what it wrote.
      return new TextDecoder().decode(buf.subarray(0, Math.min(n, buf.length)));
    }
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
