/**
 * The software SWITCH as a {@link SwitchBackend}: the mirror's changes go
 * to the data plane library's model of the switch as program records (one
 * call per batch of changes), and its reports come back as records: the
 * ports' link state, the proxies' counters, a summary and the routes it
 * holds. The same code drives a SWITCH on another machine
 * ({@link SoftwareSwitch.connect}).
 *
 * Every call on the switch runs at its turn, one at a time, in the order
 * it was asked for: a batch of changes never overtakes an earlier one,
 * nor a report the changes asked before it. Batches that come while
 * the switch is busy (a remote one's call waits for the network) go
 * together in the next call.
 *
 * Nothing here rejects out of `apply`, `links` or `counters`: a record
 * the library refuses is logged and skipped, and the rest of the batch
 * still goes; a failed report is logged and reads as empty.
 *
 * @module
 */

import type { Dataplane } from "../../ffi/library.ts";
import {
  type Encap,
  type FibCapacity,
  recordsText,
  SoftSwitch,
  SwitchProgramError,
  type SwitchReport,
} from "../../ffi/switch.ts";
import { epochMs } from "../epoch.ts";
import type { Change } from "../mirror/mirror.ts";
import { type Logger, logger, RateLimit } from "../log.ts";
import {
  COUNT,
  COUNTERS,
  HOP4,
  HOP6,
  KIND,
  NAME,
  PORT,
  RECORD,
  ROUTE4,
  ROUTE6,
  ROUTE_RESULT,
} from "../records/layout.generated.ts";
import {
  kindName,
  records,
  type RecordView,
  streamSlice,
} from "../records/reader.ts";
import { RecordWriter } from "../records/writer.ts";
import type {
  PortLink,
  ProxyCounters,
  RouteOutcome,
  SwitchBackend,
  SwitchRoute,
} from "../switch.ts";
import { type Attachment, SwitchProgram } from "./program.ts";

/**
 * What {@link SoftwareSwitch} needs of the library's switch: calls that
 * answer later (SoftSwitch's), which it makes one at a time.
 */
export interface SwitchHandle {
  /**
   * Applies records; rejects with {@link SwitchProgramError} naming a bad
   * one, or with another error when the call failed as a whole (the
   * switch out of reach: what it applied is unknown).
   */
  program(records: Uint8Array): Promise<number>;
  /** Reads a report: `read` gets its records, valid until it returns. */
  read<T>(what: SwitchReport, read: (records: Uint8Array) => T): Promise<T>;
  /** Limits the routes it holds (see SoftSwitch.setCapacity). */
  setCapacity?(c: FibCapacity): Promise<void>;
  /** Resolves when the switch's ports changed (see SoftSwitch.linksChanged). */
  linksChanged?(after: number, timeoutMs: number): Promise<number>;
  /** Records as text, for logs. */
  text?(records: Uint8Array): string;
  /**
   * Connections made to a SWITCH elsewhere (see SoftSwitch.generation):
   * when it moves on, the SWITCH is programmed anew.
   */
  generation?(): number;
  /** Releases the switch; a call in flight ends at once. */
  close(): void;
  /** Resolves once no call is in flight. */
  settled?(): Promise<void>;
}

/** Options of {@link SoftwareSwitch}. */
export interface SoftwareSwitchOptions {
  /** The mux's encapsulation; default "vlan". */
  encap?: Encap;
  attachments?: readonly Attachment[];
  log?: Logger;
  /**
   * The mux's port ethtool stat names, in index order (what
   * `ethtool -S PORT` lists); by default the library reads them from
   * /sys/class/net/MUX/xeth/ethtool_stat_names (Deno could only with
   * --allow-all).
   */
  statNames?: () => readonly string[] | Promise<readonly string[]>;
  /**
   * Routes the switch holds per family, as a chip's (none: no limit);
   * set before anything else, and again before a SWITCH elsewhere is
   * programmed anew.
   */
  fibCapacity?: FibCapacity;
  /**
   * Everything the SWITCH should hold now, as changes from nothing: what
   * a SWITCH elsewhere is programmed with after its connection was made
   * again (see {@link SoftwareSwitch.setReplay}).
   */
  replay?: () => Change[];
}

/** LINK_STAT counts at the head of a counters record. */
const REPORT_STATS = RECORD.COUNTERS_LINK;
const LE = true;
const TEXT = new TextDecoder();
/** After a resync that failed, the next waits this long, doubling to the max. */
const RESYNC_WAIT_MIN = 1000;
const RESYNC_WAIT_MAX = 30_000;
/** A batch writer larger than this is not kept for the next batch. */
const WRITER_KEEP = 4 << 20;

function text(v: DataView, at: number, n: number): string {
  return TEXT.decode(new Uint8Array(v.buffer, v.byteOffset + at, n));
}

/** Field values of a record's fixed part, read only when it is long enough. */
function fits(r: RecordView, size: number, extra = 0): boolean {
  return r.length >= size + extra;
}

/** Records waiting for their program call: changes of one or more applies. */
interface Batch {
  w: RecordWriter;
  /** the number of the last apply in it */
  seq: number;
  /** settles once the batch was sent (or found covered by a resync) */
  sent: Promise<void>;
}

/** The software SWITCH of switch-less mode, or a SWITCH elsewhere. */
export class SoftwareSwitch implements SwitchBackend {
  name = "software";
  /** What logs call it. */
  #label = "the software switch";
  readonly program: SwitchProgram;
  /** Records the library applied, and records it refused. */
  readonly counts = { lines: 0, errors: 0 };
  /**
   * When records were last applied ({@link epochMs}; 0: never), for
   * `show switch` (`switchd.programmed_at_us`): the moment the SWITCH
   * held a change, which a benchmark reads instead of timing how soon
   * its questions notice.
   */
  programmedAt = 0;
  /** Times the SWITCH was programmed anew after it was out of reach. */
  resyncs = 0;
  readonly #handle: SwitchHandle;
  readonly #log: Logger;
  readonly #errorLog = new RateLimit(5, 10_000);
  readonly #statNames: () => readonly string[] | Promise<readonly string[]>;
  readonly #capacity: FibCapacity | undefined;
  /** writers of sent batches, for the next ones */
  readonly #spare: RecordWriter[] = [];
  /** the batch later changes join, until its call's turn comes */
  #batch: Batch | undefined;
  /** settles when the last call asked for so far has */
  #turn: Promise<unknown> = Promise.resolve();
  /** applies that wrote records, and the last of them a resync covered */
  #applied = 0;
  #covered = 0;
  /** the SWITCH's tables may differ from what was sent: resync */
  #stale = false;
  /**
   * No resync before this ({@link performance.now}) after one whose
   * program call failed although the SWITCH answered (a replay it cannot
   * take, say): each would encode the whole mirror again.
   */
  #resyncAt = 0;
  #resyncWait = 0;
  /** the library's ethtool count names, asked once */
  #libNames: readonly string[] | undefined;
  /** attached ports as of the last links(): only they have ethtool stats */
  #ports = new Set<number>();
  #closed = false;
  /** the handle's generation programmed last */
  #generation: number;
  #replay: () => Change[];

  constructor(handle: SwitchHandle, opts: SoftwareSwitchOptions = {}) {
    this.#handle = handle;
    this.#generation = handle.generation?.() ?? 1;
    this.#replay = opts.replay ?? (() => []);
    this.#log = opts.log ?? logger("switch");
    this.#statNames = opts.statNames ?? (() => this.#names("mux-stat-names"));
    this.#capacity = opts.fibCapacity;
    this.program = new SwitchProgram({
      encap: opts.encap ?? "vlan",
      attachments: opts.attachments,
      warn: (message, properties) => this.#log.warning(message, properties),
    });
  }

  /**
   * Opens the library's software SWITCH on `mux`; its capacity is set
   * first thing (a failure is logged).
   */
  static open(
    dp: Dataplane,
    mux: string,
    opts: SoftwareSwitchOptions = {},
  ): SoftwareSwitch {
    const s = SoftwareSwitch.#over(
      dp,
      SoftSwitch.open(dp, mux, { encap: opts.encap }),
      opts,
    );
    s.#limit().catch((e) =>
      s.#error(`cannot set the route capacity of ${s.#label}`, e)
    );
    return s;
  }

  /** A backend over the library's switch `sw`. */
  static #over(
    dp: Dataplane,
    sw: SoftSwitch,
    opts: SoftwareSwitchOptions,
  ): SoftwareSwitch {
    return new SoftwareSwitch({
      program: (r) => sw.program(r),
      read: (what, read) => sw.read(what, read),
      setCapacity: (c) => sw.setCapacity(c),
      linksChanged: (after, timeoutMs) => sw.linksChanged(after, timeoutMs),
      text: (r) => recordsText(dp, r),
      generation: () => sw.generation(),
      close: () => sw.close(),
      settled: () => sw.settled(),
    }, opts);
  }

  /**
   * Connects to a SWITCH on another machine (`xeth-switch` at
   * HOST:PORT), programmed with the same records as the library's own,
   * and sets its capacity. Give it a replay ({@link setReplay}): after
   * its connection was lost and made again, it is programmed anew from
   * that. Rejects when the switch cannot be reached.
   */
  static async connect(
    dp: Dataplane,
    addr: string,
    mux: string,
    opts: SoftwareSwitchOptions = {},
  ): Promise<SoftwareSwitch> {
    const sw = await SoftSwitch.connect(dp, addr, mux, opts.encap ?? "vlan");
    const s = SoftwareSwitch.#over(dp, sw, opts);
    s.name = `remote ${addr}`;
    s.#label = `the switch at ${addr}`;
    try {
      await s.#limit();
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  /** What {@link SoftwareSwitchOptions.replay} says, given later. */
  setReplay(replay: () => Change[]): void {
    this.#replay = replay;
  }

  /** Sets the capacity it was given, at its turn. */
  #limit(): Promise<void> {
    const c = this.#capacity;
    if (!c || !this.#handle.setCapacity) return Promise.resolve();
    return this.#enqueue(async () => await this.#handle.setCapacity?.(c));
  }

  /**
   * Programs what changed: encoded now, sent at its turn (with the
   * batches that come meanwhile). Resolves once sent; never rejects.
   */
  apply(changes: readonly Change[]): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const open = this.#batch;
    const w = open?.w ?? this.#writer();
    const before = w.mark();
    try {
      this.program.encode(changes, w);
      w.mark(); // a record too long is this batch's
    } catch (e) {
      w.rewind(before);
      if (!open) this.#recycle(w);
      // A bug, but the daemon keeps serving what it can.
      this.#error(`cannot encode ${changes.length} changes`, e);
      return open?.sent ?? Promise.resolve();
    }
    if (w.count === before.count) {
      if (!open) this.#recycle(w);
      return open?.sent ?? Promise.resolve();
    }
    const seq = ++this.#applied;
    if (open) {
      open.seq = seq;
      return open.sent;
    }
    const b: Batch = { w, seq, sent: Promise.resolve() };
    b.sent = this.#enqueue(() => this.#flush(b));
    this.#batch = b;
    return b.sent;
  }

  /** Sends a batch at its turn; closes it to later changes. */
  async #flush(b: Batch): Promise<void> {
    if (this.#batch === b) this.#batch = undefined;
    try {
      if (this.#closed || b.seq <= this.#covered) return;
      // The resync sends what the mirror holds now, this batch included.
      if (this.#stale) return await this.#resync();
      if (await this.#send(b.w.finish(), b.w.count)) await this.#reached();
    } finally {
      this.#recycle(b.w);
    }
  }

  #writer(): RecordWriter {
    const w = this.#spare.pop() ?? new RecordWriter(64 << 10);
    w.reset();
    return w;
  }

  #recycle(w: RecordWriter): void {
    if (this.#spare.length < 2 && w.view.byteLength <= WRITER_KEEP) {
      this.#spare.push(w);
    }
  }

  /**
   * Runs `job` once every job asked for before it has settled; changes
   * that come later do not join a batch asked for before it.
   */
  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    this.#batch = undefined;
    const run = this.#turn.then(job);
    this.#turn = run.then(() => {}, () => {});
    return run;
  }

  /**
   * After a call that reached the switch: when its handle's connection
   * was made again since the last one, or an earlier program call was
   * lost, programs it anew.
   */
  async #reached(): Promise<void> {
    if (this.#closed) return;
    let g: number | undefined;
    try {
      g = this.#handle.generation?.();
    } catch {
      return;
    }
    if (g !== undefined && g !== this.#generation) this.#stale = true;
    if (this.#stale) await this.#resync();
  }

  /**
   * Programs the SWITCH anew: its capacity (which also asks whether it
   * answers again), then clear, then everything the replay gives, which
   * covers every batch not yet sent. Records sent while it was out of
   * reach were refused, and a SWITCH that restarted holds nothing.
   */
  async #resync(): Promise<void> {
    if (performance.now() < this.#resyncAt) return;
    try {
      await this.#handle.setCapacity?.(this.#capacity ?? {});
    } catch (e) {
      this.#error(`${this.#label} is still out of reach`, e);
      return;
    }
    const g = this.#handle.generation?.() ?? this.#generation;
    this.#generation = g;
    this.#stale = false;
    this.#covered = this.#applied;
    this.#batch = undefined;
    const w = new RecordWriter(64 << 10);
    let stream: Uint8Array;
    try {
      this.program.restart(w);
      this.program.encode(this.#replay(), w);
      stream = w.finish();
    } catch (e) {
      this.#error(`cannot encode what ${this.#label} holds`, e);
      return;
    }
    this.resyncs++;
    this.#log.warning(
      `${this.#label} was out of reach and is back: programming it anew (${w.count} records)`,
      { switch: this.name, records: w.count, generation: g },
    );
    if (await this.#send(stream, w.count)) {
      this.#resyncWait = 0;
    } else if (!this.#closed) {
      this.#resyncWait = Math.min(
        RESYNC_WAIT_MAX,
        2 * this.#resyncWait || RESYNC_WAIT_MIN,
      );
      this.#resyncAt = performance.now() + this.#resyncWait;
    }
  }

  /**
   * Sends `stream` (`count` records); when the library refuses record N,
   * logs it and sends the records after it (the ones before it were
   * applied). A call that failed as a whole leaves the SWITCH to be
   * programmed anew once it answers. Resolves to whether the calls
   * reached the SWITCH.
   */
  async #send(stream: Uint8Array, count: number): Promise<boolean> {
    while (count > 0 && !this.#closed) {
      try {
        this.counts.lines += await this.#handle.program(stream);
        this.programmedAt = epochMs();
        return true;
      } catch (e) {
        if (this.#closed) return false;
        this.counts.errors++;
        const i = e instanceof SwitchProgramError ? e.index : undefined;
        if (i === undefined || i < 0 || i >= count) {
          if (this.#handle.generation) this.#stale = true;
          this.#error(`${this.#label} refused ${count} records`, e);
          return false;
        }
        this.counts.lines += i;
        if (i > 0) this.programmedAt = epochMs();
        this.#error(
          `${this.#label} refused "${this.#text(stream, i)}"`,
          e instanceof SwitchProgramError ? e.reason : e,
        );
        stream = streamSlice(stream, i + 1);
        count -= i + 1;
      }
    }
    return !this.#closed;
  }

  /** Record `i` of `stream` as text, for a log; its kind if not renderable. */
  #text(stream: Uint8Array, i: number): string {
    try {
      const one = streamSlice(stream, i, i + 1);
      const [r] = records(one);
      return this.#handle.text?.(one).trimEnd() ?? kindName(r.kind);
    } catch {
      return `record ${i + 1}`;
    }
  }

  async links(): Promise<PortLink[]> {
    const out = await this.#report("ports", (r) => {
      if (r.kind !== KIND.port || !fits(r, PORT.SIZE)) return undefined;
      const at = r.offset;
      return {
        xid: r.view.getUint32(at + PORT.xid, LE),
        carrier: r.view.getUint8(at + PORT.carrier) !== 0,
        speedMbps: r.view.getUint32(at + PORT.speed, LE),
      };
    });
    this.#ports = new Set(out.map((l) => l.xid));
    return out;
  }

  /**
   * Counters per proxy: LINK_STAT values, and for attached ports (as of
   * the last {@link links}) the ethtool values at the indexes the mux
   * gives their names (a name the switch does not count stays 0).
   */
  async counters(): Promise<ProxyCounters[]> {
    const lib = await this.#ethtoolNames();
    const mux = lib.length ? await this.#statNames() : [];
    const from = mux.map((n) => lib.indexOf(n));
    return this.#report("counters", (r) => {
      const at = r.offset;
      const n = fits(r, COUNTERS.SIZE)
        ? r.view.getUint16(at + COUNTERS.nCounts, LE)
        : -1;
      if (
        r.kind !== KIND.counters || n < 0 || !fits(r, COUNTERS.SIZE, n * 8) ||
        (n !== REPORT_STATS && n !== REPORT_STATS + lib.length)
      ) {
        return undefined;
      }
      const v: bigint[] = [];
      for (let i = 0; i < n; i++) {
        v.push(r.view.getBigUint64(at + COUNTERS.SIZE + 8 * i, LE));
      }
      const c: ProxyCounters = {
        xid: r.view.getUint32(at + COUNTERS.xid, LE),
        link: v.slice(0, REPORT_STATS),
      };
      if (
        v.length > REPORT_STATS && this.#ports.has(c.xid) &&
        from.some((j) => j >= 0)
      ) {
        c.ethtool = from.map((j) => j < 0 ? 0n : v[REPORT_STATS + j]);
      }
      return c;
    });
  }

  async #ethtoolNames(): Promise<readonly string[]> {
    if (this.#libNames === undefined && !this.#closed) {
      const names = await this.#names("ethtool-names");
      // Asked again next time if the report failed.
      if (names.length) this.#libNames = names;
    }
    return this.#libNames ?? [];
  }

  /** A report of names, in index order; none when it failed. */
  async #names(what: "ethtool-names" | "mux-stat-names"): Promise<string[]> {
    const out: string[] = [];
    const items = await this.#report(what, (r) => {
      const at = r.offset;
      const n = fits(r, NAME.SIZE) ? r.view.getUint8(at + NAME.nameLen) : -1;
      if (r.kind !== KIND.name || n < 0 || !fits(r, NAME.SIZE, n)) {
        return undefined;
      }
      return {
        index: r.view.getUint16(at + NAME.index, LE),
        name: text(r.view, at + NAME.SIZE, n),
      };
    });
    for (const { index, name } of items) out[index] = name;
    return out;
  }

  /**
   * The library's summary (`routes4`, `fdb`, `forwarded`, `exception.arp`,
   * ...) and this side's `switchd.lines` (records applied) and
   * `switchd.errors`. Rejects when the library cannot report.
   */
  async summary(): Promise<Record<string, bigint>> {
    const out: Record<string, bigint> = {};
    const counts = await this.#read("summary", (r) => {
      const at = r.offset;
      const n = fits(r, COUNT.SIZE) ? r.view.getUint8(at + COUNT.nameLen) : -1;
      if (r.kind !== KIND.count || n < 0 || !fits(r, COUNT.SIZE, n)) {
        return undefined;
      }
      return [
        text(r.view, at + COUNT.SIZE, n),
        r.view.getBigUint64(at + COUNT.value, LE),
      ] as const;
    });
    for (const [k, v] of counts) out[k] = v;
    out["switchd.lines"] = BigInt(this.counts.lines);
    out["switchd.errors"] = BigInt(this.counts.errors);
    out["switchd.programmed_at_us"] = BigInt(
      Math.round(this.programmedAt * 1000),
    );
    return out;
  }

  /** Every route the library's switch holds; rejects when it cannot say. */
  fib(): Promise<SwitchRoute[]> {
    return this.#read(
      "fib",
      (r) =>
        r.kind === KIND.route4
          ? route4(r)
          : r.kind === KIND.route6
          ? route6(r)
          : undefined,
    );
  }

  /**
   * The library's route outcomes since the last call (`route-results`), or
   * of every route (`route-status`), each given to `each` as it is read
   * (after a resync the status of every route, a million, say, would be
   * as many objects at once); none when it cannot say.
   */
  async routeOutcomes(
    all: boolean,
    each: (o: RouteOutcome) => void,
  ): Promise<void> {
    const what = all ? "route-status" : "route-results";
    if (this.#closed) return;
    try {
      await this.#call(what, (stream) => {
        try {
          for (const r of records(stream)) {
            const o = r.kind === KIND.routeResult ? routeOutcome(r) : undefined;
            if (o) each(o);
            else this.#malformed(what, r);
          }
        } catch (e) {
          this.#error(`a bad ${what} report from ${this.#label}`, e);
        }
      });
    } catch (e) {
      if (!this.#closed) {
        this.#error(`no ${what} report from ${this.#label}`, e);
      }
    }
  }

  /**
   * Resolves when the library's switch found its ports changed (attached
   * or detached, a carrier or a speed), or after `timeoutMs`, with the
   * number to pass next time.
   */
  linksChanged(after: number, timeoutMs: number): Promise<number> {
    if (this.#closed || !this.#handle.linksChanged) {
      return Promise.resolve(after);
    }
    return this.#handle.linksChanged(after, timeoutMs);
  }

  /**
   * Releases the switch; resolves once no call is in flight (a remote
   * switch's ends at once) and the calls still waiting have given up.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#handle.close();
    } catch (e) {
      this.#error(`cannot close ${this.#label}`, e);
    }
    await this.#turn;
    await this.#handle.settled?.();
  }

  /**
   * Asks for report `what` at its turn and reads its records with `read`
   * (the records it says nothing of are logged as malformed); rejects
   * when the library cannot report.
   */
  #read<T>(
    what: SwitchReport,
    read: (r: RecordView) => T | undefined,
  ): Promise<T[]> {
    return this.#call(what, (stream) => {
      const out: T[] = [];
      for (const r of records(stream)) {
        const v = read(r);
        if (v === undefined) this.#malformed(what, r);
        else out.push(v);
      }
      return out;
    });
  }

  /** {@link #read}, with none when the report failed (logged). */
  async #report<T>(
    what: SwitchReport,
    read: (r: RecordView) => T | undefined,
  ): Promise<T[]> {
    if (this.#closed) return [];
    try {
      return await this.#read(what, read);
    } catch (e) {
      if (!this.#closed) {
        this.#error(`no ${what} report from ${this.#label}`, e);
      }
      return [];
    }
  }

  /** The library's report `what`, given to `read` at its turn. */
  #call<T>(what: SwitchReport, read: (stream: Uint8Array) => T): Promise<T> {
    return this.#enqueue(async () => {
      if (this.#closed) throw new Error("the switch is closed");
      const out = await this.#handle.read(what, read);
      await this.#reached();
      return out;
    });
  }

  #malformed(what: SwitchReport, r: RecordView): void {
    this.#error(
      `ignored a malformed record of the ${what} report: ${
        kindName(r.kind)
      } of ${r.length} bytes`,
      undefined,
    );
  }

  #error(message: string, e: unknown): void {
    const t = this.#errorLog.take();
    if (!t.ok) return;
    const error = e === undefined
      ? undefined
      : e instanceof Error
      ? e.message
      : String(e);
    this.#log.error(
      (error === undefined ? message : `${message}: ${error}`) +
        (t.suppressed ? `; ${t.suppressed} more errors were not logged` : ""),
      { error, suppressed: t.suppressed },
    );
  }
}

function route4(r: RecordView): SwitchRoute | undefined {
  const v = r.view, at = r.offset;
  if (!fits(r, ROUTE4.SIZE)) return undefined;
  const n = v.getUint16(at + ROUTE4.nHops, LE);
  if (!fits(r, ROUTE4.SIZE, n * HOP4.SIZE)) return undefined;
  const nextHops: SwitchRoute["nextHops"] = [];
  for (let i = 0, h = at + ROUTE4.SIZE; i < n; i++, h += HOP4.SIZE) {
    const xid = v.getUint32(h + HOP4.xid, LE);
    const gw = v.getUint32(h + HOP4.gw, false);
    nextHops.push(
      xid === RECORD.NO_XID ? {} : gw === 0 ? { xid } : { xid, gw },
    );
  }
  return {
    net: v.getBigUint64(at + ROUTE4.net, LE),
    table: v.getUint32(at + ROUTE4.table, LE),
    family: "inet",
    address: v.getUint32(at + ROUTE4.addr, false),
    prefixLength: v.getUint8(at + ROUTE4.plen),
    type: v.getUint8(at + ROUTE4.rtn),
    nextHops,
  };
}

const OUTCOME: Record<number, RouteOutcome["outcome"]> = {
  [RECORD.RESULT_PROGRAMMED]: "forwarded",
  [RECORD.RESULT_TRAPPED]: "trapped",
  [RECORD.RESULT_TABLE_FULL]: "failed",
  // not held: Linux forwards its traffic, as for a route that did not fit
  [RECORD.RESULT_REFUSED]: "failed",
};

function routeOutcome(r: RecordView): RouteOutcome | undefined {
  const v = r.view, at = r.offset;
  if (!fits(r, ROUTE_RESULT.SIZE)) return undefined;
  const family = v.getUint8(at + ROUTE_RESULT.family);
  const outcome = OUTCOME[v.getUint8(at + ROUTE_RESULT.status)];
  const plen = v.getUint8(at + ROUTE_RESULT.plen);
  if (!outcome || (family !== 4 && family !== 6)) return undefined;
  if (plen > (family === 4 ? 32 : 128)) return undefined;
  return {
    net: v.getBigUint64(at + ROUTE_RESULT.net, LE),
    table: v.getUint32(at + ROUTE_RESULT.table, LE),
    family: family === 4 ? "inet" : "inet6",
    address: family === 4
      ? v.getUint32(at + ROUTE_RESULT.addr, false)
      : ip6(v, at + ROUTE_RESULT.addr),
    prefixLength: plen,
    outcome,
  };
}

function ip6(v: DataView, at: number): bigint {
  return (v.getBigUint64(at, false) << 64n) | v.getBigUint64(at + 8, false);
}

function route6(r: RecordView): SwitchRoute | undefined {
  const v = r.view, at = r.offset;
  if (!fits(r, ROUTE6.SIZE)) return undefined;
  const n = v.getUint16(at + ROUTE6.nHops, LE);
  if (!fits(r, ROUTE6.SIZE, n * HOP6.SIZE)) return undefined;
  const nextHops: SwitchRoute["nextHops"] = [];
  for (let i = 0, h = at + ROUTE6.SIZE; i < n; i++, h += HOP6.SIZE) {
    const xid = v.getUint32(h + HOP6.xid, LE);
    const gw = ip6(v, h + HOP6.gw);
    nextHops.push(
      xid === RECORD.NO_XID ? {} : gw === 0n ? { xid } : { xid, gw },
    );
  }
  return {
    net: v.getBigUint64(at + ROUTE6.net, LE),
    table: v.getUint32(at + ROUTE6.table, LE),
    family: "inet6",
    address: ip6(v, at + ROUTE6.addr),
    prefixLength: v.getUint8(at + ROUTE6.plen),
    type: v.getUint8(at + ROUTE6.rtn),
    nextHops,
  };
}
