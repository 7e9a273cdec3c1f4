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
 * await using sw = SoftSwitch.open(dp, "xeth-mux", { encap: "vlan" });
 * await sw.program(parseRecords(dp, "link 10 port 1 1 1 02:00:00:00:00:0a - 0 - -\nattach 10 veth0"));
 * console.log(recordsText(dp, await sw.report("ports")));
 * ```
 *
 * The same calls drive a SWITCH on another machine ({@link SoftSwitch.connect}),
 * where each waits for the network (5 s at most): they are promises, and
 * a remote switch's run on Deno's worker threads, so that SWITCHD's event
 * loop (the side-band, the relay, `show`) runs on while they wait. Calls
 * on one switch run one at a time, in the order they were made: a program
 * never overtakes an earlier one, nor a report a program made before it.
 * A switch in this process answers at once, on the JavaScript thread
 * (a worker thread would add tens of microseconds to every call).
 *
 * @module
 */

import { ERRNO, SWITCH_PROGRAM, SWITCH_REPORT } from "./abi.generated.ts";
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

/** Bytes of a call's error buffer: its message, cut to fit. */
const ERR_LEN = 1024;

/**
 * What `fill` said it has (`n` bytes, written into `state.buf` when they
 * fit): a view of them, or undefined after growing the buffer to that
 * size for another try. The buffer is kept grown, unless a one-off report
 * (every route's status after a resync, say) left it megabytes larger
 * than what is reported now.
 */
function fitted(
  state: { buf: Uint8Array<ArrayBuffer> },
  what: string,
  n: number,
): Uint8Array<ArrayBuffer> | undefined {
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
  return undefined;
}

/**
 * Calls `fill(buf)`, which returns the size of what it has (written only
 * when it fits), with a buffer grown to that size until it fits; returns
 * what was written, a view of `state.buf` (see {@link fitted}).
 */
function sized(
  state: { buf: Uint8Array<ArrayBuffer> },
  what: string,
  fill: (buf: Uint8Array<ArrayBuffer>) => number,
): Uint8Array<ArrayBuffer> {
  for (;;) {
    const out = fitted(state, what, fill(state.buf));
    if (out) return out;
  }
}

/** {@link sized} for a `fill` that may answer later. */
async function sizedLater(
  state: { buf: Uint8Array<ArrayBuffer> },
  what: string,
  fill: (buf: Uint8Array<ArrayBuffer>) => Promise<number>,
): Promise<Uint8Array<ArrayBuffer>> {
  for (;;) {
    const out = fitted(state, what, await fill(state.buf));
    if (out) return out;
  }
}

/** The NUL-terminated text at the start of `buf`. */
function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
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

/**
 * A software SWITCH in the data plane library, or a SWITCH on another
 * machine. Close it, or use `using` (`await using` also waits for the
 * calls in flight).
 */
export class SoftSwitch implements Disposable, AsyncDisposable {
  /** The mux (a remote switch's: its address, HOST:PORT). */
  readonly mux: string;
  readonly encap: Encap;
  /** True for a SWITCH on another machine ({@link connect}). */
  readonly remote: boolean;
  readonly #dp: Dataplane;
  readonly #label: string;
  #handle: bigint | undefined;
  readonly #report = { buf: new Uint8Array(REPORT_START) };
  // Buffers the library writes while a call runs (on a worker thread for
  // a remote switch): one call at a time uses them (#queue).
  readonly #done = new Uint32Array(1);
  readonly #err = new Uint8Array(ERR_LEN);
  /** Settles when the last call made so far has. */
  #tail: Promise<unknown> = Promise.resolve();
  /** The waits on worker threads not yet returned. */
  readonly #waits = new Set<Promise<unknown>>();

  private constructor(
    dp: Dataplane,
    mux: string,
    encap: Encap,
    h: bigint,
    remote: boolean,
  ) {
    this.#dp = dp;
    this.mux = mux;
    this.encap = encap;
    this.#handle = h;
    this.remote = remote;
    this.#label = remote
      ? `the switch at ${mux}`
      : `the software switch of ${mux}`;
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
    return new SoftSwitch(dp, mux, encap, BigInt(h), false);
  }

  /**
   * Connects to a SWITCH on another machine: `xeth-switch` listening at
   * `addr` (HOST:PORT, inside the tunnel that carries the frames of `mux`,
   * this machine's mux: `ethtool -S` of its ports lists its stat names).
   * The other calls work as on a local switch's; a lost connection is
   * made again by the call after the one that failed, and
   * {@link generation} moves on. Waits on a worker thread (3 s at most to
   * connect, 5 s for the answer). Rejects with a {@link DataplaneError}
   * (ECONNREFUSED: nothing listens; EBUSY: it has a controller;
   * ETIMEDOUT: no answer).
   */
  static async connect(
    dp: Dataplane,
    addr: string,
    mux: string,
    encap: Encap,
  ): Promise<SoftSwitch> {
    const bytes = new TextEncoder().encode(addr);
    const name = new TextEncoder().encode(mux);
    const err = new Uint8Array(ERR_LEN);
    const r = Number(
      await dp.symbols.xeth_dp_switch_connect(
        bytes,
        BigInt(bytes.length),
        name,
        BigInt(name.length),
        err,
        BigInt(err.length),
      ),
    );
    if (r < 0) {
      throw new DataplaneError(
        `connect to the switch at ${addr} failed: ${cString(err)}`,
        { errno: -r },
      );
    }
    return new SoftSwitch(dp, addr, encap, BigInt(r), true);
  }

  /**
   * Connections made so far (1 for a switch in this process): once it
   * moves on, the switch was out of reach and records sent meanwhile
   * were refused, so its tables are to be programmed anew. Never waits.
   */
  generation(): number {
    const h = this.#open();
    return Number(this.#dp.check(
      `the generation of ${this.#label}`,
      this.#dp.symbols.xeth_dp_switch_generation(h),
    ));
  }

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.#handle !== undefined;
  }

  /**
   * Applies a stream of program records and resolves to how many
   * applied. Rejects with a {@link SwitchProgramError} naming the refused
   * record (the records before it stay applied, the ones after it are
   * not), or with a {@link DataplaneError} when the call failed as a
   * whole (a remote switch out of reach: what it applied is unknown).
   * `records` must stay as they are until the promise settles.
   */
  program(records: Uint8Array): Promise<number> {
    return this.#queue(async () => {
      const h = this.#open();
      const s = this.#dp.symbols;
      const args = [
        h,
        records as Uint8Array<ArrayBuffer>,
        BigInt(records.length),
        this.#done,
        this.#err,
        BigInt(this.#err.length),
      ] as const;
      this.#err[0] = 0;
      const r = Number(
        this.remote
          ? await s.xeth_dp_switch_program_async(...args)
          : s.xeth_dp_switch_program(...args),
      );
      if (r >= 0) return r;
      const why = cString(this.#err);
      const message = `program ${this.#label} failed: ${why}`;
      const done = this.#done[0];
      if (done === SWITCH_PROGRAM.NONE_REFUSED) {
        throw new DataplaneError(message, { errno: -r });
      }
      throw new SwitchProgramError(message, why, -r, done);
    });
  }

  /**
   * Limits the routes the switch holds, as a chip's tables would: routes
   * past it are not held (their traffic goes to Linux) and wait, in
   * arrival order, for deletions to make room. A family left out has no
   * limit.
   */
  setCapacity(c: FibCapacity): Promise<void> {
    const limit = (n: number | undefined) => {
      if (n === undefined) return 0xffff_ffff_ffff_ffffn;
      if (!Number.isSafeInteger(n) || n < 0) {
        throw new RangeError(`a route capacity must be a count, not ${n}`);
      }
      return BigInt(n);
    };
    const v4 = limit(c.ipv4), v6 = limit(c.ipv6);
    return this.#queue(async () => {
      const h = this.#open();
      const s = this.#dp.symbols;
      const args = [h, v4, v6, this.#err, BigInt(this.#err.length)] as const;
      await this.#checked(
        `set the route capacity of ${this.#label}`,
        () =>
          this.remote
            ? s.xeth_dp_switch_capacity_async(...args)
            : s.xeth_dp_switch_capacity(...args),
      );
    });
  }

  /**
   * A report (see {@link SWITCH_REPORTS}) as a record stream, read by
   * `read` at once, before any other call on this switch runs: `read`
   * gets a view of a buffer this switch reuses, valid until it returns.
   * Resolves to what `read` returns.
   */
  read<T>(what: SwitchReport, read: (records: Uint8Array) => T): Promise<T> {
    const code = SWITCH_REPORTS[what];
    if (code === undefined) {
      return Promise.reject(new RangeError(`no report ${what}`));
    }
    const label = `${what} report of ${this.#label}`;
    return this.#queue(async () => {
      const h = this.#open();
      const s = this.#dp.symbols;
      const records = await sizedLater(this.#report, label, (buf) => {
        const args = [
          h,
          code,
          buf,
          BigInt(buf.length),
          this.#err,
          BigInt(this.#err.length),
        ] as const;
        return this.#checked(
          label,
          () =>
            this.remote
              ? s.xeth_dp_switch_report_async(...args)
              : s.xeth_dp_switch_report(...args),
        );
      });
      return read(records);
    });
  }

  /** A report as a record stream of its own (a copy; see {@link read}). */
  report(what: SwitchReport): Promise<Uint8Array<ArrayBuffer>> {
    return this.read(what, (r) => r.slice());
  }

  /**
   * Resolves once the switch's thread has published state newer than
   * `after` (every tick of its, 250 ms, and after an attach or detach),
   * or after `timeoutMs`, with the latest publication's number; 0 once
   * the switch is closed. Waits on a worker thread, beside the other
   * calls (it asks nothing of a remote switch).
   */
  published(after: number, timeoutMs = 1000): Promise<number> {
    return this.#wait(this.#dp.symbols.xeth_dp_switch_wait, after, timeoutMs);
  }

  /**
   * Resolves once the switch's ports differ from what they were at change
   * number `after` (a port attached or detached, a carrier or a speed
   * changed), or after `timeoutMs`, with the number of the latest change
   * (the first publication is change 1); 0 once the switch is closed. A
   * remote switch answers with its tick, as {@link published} does. This
   * is what the relay waits for: an idle switch does not wake it.
   */
  linksChanged(after: number, timeoutMs = 1000): Promise<number> {
    return this.#wait(
      this.#dp.symbols.xeth_dp_switch_wait_links,
      after,
      timeoutMs,
    );
  }

  /**
   * One of the waits on a worker thread, counted in {@link settled}: a
   * caller may stop listening (the relay, when it stops) while the call
   * still runs in the library, until {@link close} ends it.
   */
  async #wait(
    call: (h: bigint, after: bigint, ms: number) => Promise<bigint>,
    after: number,
    timeoutMs: number,
  ): Promise<number> {
    const h = this.#handle;
    if (h === undefined) return 0;
    const running = call(h, BigInt(after), timeoutMs);
    this.#waits.add(running);
    try {
      const r = await running;
      return r < 0n ? 0 : Number(r);
    } finally {
      this.#waits.delete(running);
    }
  }

  /**
   * Resolves once every call made so far has settled (a remote call in
   * flight ends at once after {@link close}).
   */
  async settled(): Promise<void> {
    await this.#tail;
    await Promise.allSettled([...this.#waits]);
  }

  /**
   * Stops a local switch's thread and waits for it; a remote switch's
   * call in flight fails at once, and calls not yet run reject (closed).
   * Safe to call twice.
   */
  close(): void {
    const h = this.#handle;
    if (h === undefined) return;
    this.#handle = undefined;
    this.#dp.check(
      `close ${this.#label}`,
      this.#dp.symbols.xeth_dp_switch_close(h),
    );
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Closes, then waits for the calls in flight to settle. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.settled();
  }

  /** Runs `call` once every call made before it has settled. */
  #queue<T>(call: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(call);
    this.#tail = run.then(() => {}, () => {});
    return run;
  }

  /** The result of a call that writes its message into #err. */
  async #checked(
    what: string,
    call: () => bigint | Promise<bigint>,
  ): Promise<number> {
    this.#err[0] = 0;
    const n = Number(await call());
    if (n >= 0) return n;
    throw new DataplaneError(`${what} failed: ${cString(this.#err)}`, {
      errno: -n,
    });
  }

  #open(): bigint {
    if (this.#handle === undefined) {
      throw new DataplaneError(`${this.#label} is closed`);
    }
    return this.#handle;
  }
}
