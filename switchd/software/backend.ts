/**
 * The software SWITCH as a {@link SwitchBackend}: the mirror's changes go
 * to the data plane library's model of the switch as program records (one
 * call per batch of changes), and its reports come back as records: the
 * ports' link state, the proxies' counters, a summary and the routes it
 * holds.
 *
 * Nothing here throws out of `apply`, `links` or `counters`: a record the
 * library refuses is logged and skipped, and the rest of the batch still
 * goes; a failed report is logged and reads as empty.
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

/** What {@link SoftwareSwitch} needs of the library's switch. */
export interface SwitchHandle {
  /** Applies records; throws {@link SwitchProgramError} naming a bad one. */
  program(records: Uint8Array): number;
  /** A report's records, valid until the next report. */
  report(what: SwitchReport): Uint8Array;
  /** Resolves when the switch has measured its ports again (see SoftSwitch). */
  published?(after: number, timeoutMs?: number): Promise<number>;
  /** Records as text, for logs. */
  text?(records: Uint8Array): string;
  /**
   * Connections made to a SWITCH elsewhere (see SoftSwitch.generation):
   * when it moves on, the SWITCH is programmed anew.
   */
  generation?(): number;
  close(): void;
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
  statNames?: () => readonly string[];
  /** Routes the switch holds per family, as a chip's (none: no limit). */
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

function text(v: DataView, at: number, n: number): string {
  return TEXT.decode(new Uint8Array(v.buffer, v.byteOffset + at, n));
}

/** Field values of a record's fixed part, read only when it is long enough. */
function fits(r: RecordView, size: number, extra = 0): boolean {
  return r.length >= size + extra;
}

/** The software SWITCH of switch-less mode. */
export class SoftwareSwitch implements SwitchBackend {
  name = "software";
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
  readonly #handle: SwitchHandle;
  readonly #log: Logger;
  readonly #errorLog = new RateLimit(5, 10_000);
  readonly #statNames: () => readonly string[];
  readonly #writer = new RecordWriter(64 << 10);
  /** the library's ethtool count names, asked once */
  #libNames: readonly string[] | undefined;
  /** attached ports as of the last links(): only they have ethtool stats */
  #ports = new Set<number>();
  #closed = false;
  /** the handle's generation programmed last, and how often it moved on */
  #generation: number;
  #replay: () => Change[];
  #resyncing = false;
  resyncs = 0;

  constructor(handle: SwitchHandle, opts: SoftwareSwitchOptions = {}) {
    this.#handle = handle;
    this.#generation = handle.generation?.() ?? 1;
    this.#replay = opts.replay ?? (() => []);
    this.#log = opts.log ?? logger("switch");
    this.#statNames = opts.statNames ?? (() => this.#names("mux-stat-names"));
    this.program = new SwitchProgram({
      encap: opts.encap ?? "vlan",
      attachments: opts.attachments,
      warn: (message, properties) => this.#log.warning(message, properties),
    });
  }

  /** Opens the library's software SWITCH on `mux`. */
  static open(
    dp: Dataplane,
    mux: string,
    opts: SoftwareSwitchOptions = {},
  ): SoftwareSwitch {
    return SoftwareSwitch.#over(
      dp,
      SoftSwitch.open(dp, mux, { encap: opts.encap }),
      opts,
    );
  }

  /** A backend over the library's switch `sw`, its capacity set. */
  static #over(
    dp: Dataplane,
    sw: SoftSwitch,
    opts: SoftwareSwitchOptions,
  ): SoftwareSwitch {
    try {
      if (opts.fibCapacity) sw.setCapacity(opts.fibCapacity);
    } catch (e) {
      sw.close();
      throw e;
    }
    return new SoftwareSwitch({
      program: (r) => sw.program(r),
      report: (what) => sw.report(what),
      published: (after, timeoutMs) => sw.published(after, timeoutMs),
      text: (r) => recordsText(dp, r),
      generation: () => sw.generation(),
      close: () => sw.close(),
    }, opts);
  }

  /**
   * Connects to a SWITCH on another machine (`xeth-switch` at
   * HOST:PORT), programmed with the same records as the library's own.
   * Give it a replay ({@link setReplay}): after its connection was lost
   * and made again, it is programmed anew from that.
   */
  static connect(
    dp: Dataplane,
    addr: string,
    mux: string,
    opts: SoftwareSwitchOptions = {},
  ): SoftwareSwitch {
    const s = SoftwareSwitch.#over(
      dp,
      SoftSwitch.connect(dp, addr, mux, opts.encap ?? "vlan"),
      opts,
    );
    s.name = `remote ${addr}`;
    return s;
  }

  /** What {@link SoftwareSwitchOptions.replay} says, given later. */
  setReplay(replay: () => Change[]): void {
    this.#replay = replay;
  }

  /**
   * When the handle's connection was made again since the last call,
   * programs the SWITCH anew: clear, then everything the replay gives.
   * Records sent while it was out of reach were refused, and a SWITCH
   * that restarted holds nothing.
   */
  #resyncIfReconnected(): void {
    if (this.#resyncing || this.#closed || !this.#handle.generation) return;
    let g: number;
    try {
      g = this.#handle.generation();
    } catch {
      return;
    }
    if (g === this.#generation) return;
    this.#generation = g;
    this.#resyncing = true;
    try {
      const w = new RecordWriter(64 << 10);
      this.program.restart(w);
      this.program.encode(this.#replay(), w);
      this.resyncs++;
      this.#log.warning(
        `the switch ${this.name} was out of reach and is back: programming it anew (${w.count} records)`,
        { switch: this.name, records: w.count, generation: g },
      );
      this.#send(w.finish(), w.count);
    } finally {
      this.#resyncing = false;
    }
  }

  apply(changes: readonly Change[]): void {
    const w = this.#writer;
    w.reset();
    let stream: Uint8Array;
    try {
      this.program.encode(changes, w);
      if (w.count === 0) return;
      stream = w.finish();
    } catch (e) {
      // A bug, but the daemon keeps serving what it can.
      this.#error(`cannot encode ${changes.length} changes`, e);
      return;
    }
    this.#send(stream, w.count);
  }

  /**
   * Sends `stream` (`count` records); when the library refuses record N,
   * logs it and sends the records after it (the ones before it were
   * applied).
   */
  #send(stream: Uint8Array, count: number): void {
    while (count > 0 && !this.#closed) {
      try {
        this.counts.lines += this.#handle.program(stream);
        this.programmedAt = epochMs();
        this.#resyncIfReconnected();
        return;
      } catch (e) {
        this.counts.errors++;
        const i = e instanceof SwitchProgramError ? e.index : undefined;
        if (i === undefined || i < 0 || i >= count) {
          this.#error(`the software switch refused ${count} records`, e);
          return;
        }
        this.counts.lines += i;
        if (i > 0) this.programmedAt = epochMs();
        this.#error(
          `the software switch refused "${this.#text(stream, i)}"`,
          e instanceof SwitchProgramError ? e.reason : e,
        );
        stream = streamSlice(stream, i + 1);
        count -= i + 1;
      }
    }
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

  links(): PortLink[] {
    const out: PortLink[] = [];
    for (const r of this.#report("ports")) {
      if (r.kind !== KIND.port || !fits(r, PORT.SIZE)) {
        this.#malformed("ports", r);
        continue;
      }
      const at = r.offset;
      out.push({
        xid: r.view.getUint32(at + PORT.xid, LE),
        carrier: r.view.getUint8(at + PORT.carrier) !== 0,
        speedMbps: r.view.getUint32(at + PORT.speed, LE),
      });
    }
    this.#ports = new Set(out.map((l) => l.xid));
    return out;
  }

  /**
   * Counters per proxy: LINK_STAT values, and for attached ports (as of
   * the last {@link links}) the ethtool values at the indexes the mux
   * gives their names (a name the switch does not count stays 0).
   */
  counters(): ProxyCounters[] {
    const lib = this.#ethtoolNames();
    const mux = lib.length ? this.#statNames() : [];
    const from = mux.map((n) => lib.indexOf(n));
    const out: ProxyCounters[] = [];
    for (const r of this.#report("counters")) {
      const at = r.offset;
      const n = fits(r, COUNTERS.SIZE)
        ? r.view.getUint16(at + COUNTERS.nCounts, LE)
        : -1;
      if (
        r.kind !== KIND.counters || n < 0 || !fits(r, COUNTERS.SIZE, n * 8) ||
        (n !== REPORT_STATS && n !== REPORT_STATS + lib.length)
      ) {
        this.#malformed("counters", r);
        continue;
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
      out.push(c);
    }
    return out;
  }

  #ethtoolNames(): readonly string[] {
    if (this.#libNames === undefined && !this.#closed) {
      const names = this.#names("ethtool-names");
      // Asked again next time if the report failed.
      if (names.length) this.#libNames = names;
    }
    return this.#libNames ?? [];
  }

  /** A report of names, in index order; none when it failed. */
  #names(what: "ethtool-names" | "mux-stat-names"): string[] {
    const out: string[] = [];
    for (const r of this.#report(what)) {
      const at = r.offset;
      const n = fits(r, NAME.SIZE) ? r.view.getUint8(at + NAME.nameLen) : -1;
      if (r.kind !== KIND.name || n < 0 || !fits(r, NAME.SIZE, n)) {
        this.#malformed(what, r);
        continue;
      }
      out[r.view.getUint16(at + NAME.index, LE)] = text(
        r.view,
        at + NAME.SIZE,
        n,
      );
    }
    return out;
  }

  /**
   * The library's summary (`routes4`, `fdb`, `forwarded`, `exception.arp`,
   * ...) and this side's `switchd.lines` (records applied) and
   * `switchd.errors`. Throws when the library cannot report.
   */
  summary(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (const r of records(this.#handle.report("summary"))) {
      const at = r.offset;
      const n = fits(r, COUNT.SIZE) ? r.view.getUint8(at + COUNT.nameLen) : -1;
      if (r.kind !== KIND.count || n < 0 || !fits(r, COUNT.SIZE, n)) {
        this.#malformed("summary", r);
        continue;
      }
      out[text(r.view, at + COUNT.SIZE, n)] = r.view.getBigUint64(
        at + COUNT.value,
        LE,
      );
    }
    out["switchd.lines"] = BigInt(this.counts.lines);
    out["switchd.errors"] = BigInt(this.counts.errors);
    out["switchd.programmed_at_us"] = BigInt(
      Math.round(this.programmedAt * 1000),
    );
    return out;
  }

  /** Every route the library's switch holds; throws when it cannot say. */
  fib(): SwitchRoute[] {
    const out: SwitchRoute[] = [];
    for (const r of records(this.#handle.report("fib"))) {
      const route = r.kind === KIND.route4
        ? route4(r)
        : r.kind === KIND.route6
        ? route6(r)
        : undefined;
      if (route) out.push(route);
      else this.#malformed("fib", r);
    }
    return out;
  }

  /**
   * The library's route outcomes since the last call (`route-results`), or
   * of every route (`route-status`); none when it cannot say.
   */
  *routeOutcomes(all: boolean): Generator<RouteOutcome> {
    // Read as they are used: after a resync the status of every route
    // (a million, say) would be as many objects at once.
    const what = all ? "route-status" : "route-results";
    let stream: Generator<RecordView>;
    try {
      if (this.#closed) return;
      stream = records(this.#handle.report(what));
    } catch (e) {
      this.#error(`no ${what} report from the software switch`, e);
      return;
    }
    try {
      for (const r of stream) {
        const o = r.kind === KIND.routeResult ? routeOutcome(r) : undefined;
        if (o) yield o;
        else this.#malformed(what, r);
      }
    } catch (e) {
      this.#error(`a bad ${what} report from the software switch`, e);
    }
  }

  /**
   * Resolves when the library's switch has read its ports and counters
   * again (its thread's tick), with the number to pass next time.
   */
  measured(after: number): Promise<number> {
    if (this.#closed || !this.#handle.published) return Promise.resolve(after);
    return this.#handle.published(after);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#handle.close();
    } catch (e) {
      this.#error("cannot close the software switch", e);
    }
  }

  /** The records of a report; none when it failed. */
  #report(what: SwitchReport): RecordView[] {
    if (this.#closed) return [];
    try {
      const out = [...records(this.#handle.report(what))];
      this.#resyncIfReconnected();
      return out;
    } catch (e) {
      this.#error(`no ${what} report from the software switch`, e);
      return [];
    }
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
