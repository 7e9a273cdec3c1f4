/**
 * Route flags from the SWITCH's point of view (the fib-offload extension):
 * after the SWITCH has taken a batch of changes, what it did with each
 * route goes back to the kernel as FIB_OFFLOAD results, and `ip route`
 * shows `offload` (the SWITCH forwards it), `trap` (it hands the traffic
 * to Linux) or `offload_failed` (it had no room: Linux forwards).
 *
 * Each result carries the kernel's cookie for the version of the route it
 * answers, from the mirror; a route the mirror no longer holds (deleted
 * meanwhile) or that came without a cookie gets none. A route whose
 * message came after the outcomes were asked for gets none either: the
 * outcome is of its older version, and the newer one's follows. After
 * each dump (a new connection, a resync) every route is reported again,
 * since the kernel cleared the flags when the last connection ended.
 *
 * @module
 */

import { FIB_RESULT, VALUES } from "./protocol/abi.generated.ts";
import { fibOffload } from "./protocol/requests.ts";
import type { FibResult } from "./protocol/types.ts";
import type { Fib } from "./mirror/fib.ts";
import type { RouteOutcome, SwitchBackend } from "./switch.ts";
import { type Logger, logger } from "./log.ts";

/** The extension's bit in EXT_ENABLE. */
export const FIB_OFFLOAD_EXT = 1n << BigInt(VALUES.XETH_EXT_FIB_OFFLOAD);

const RESULT: Record<RouteOutcome["outcome"], number> = {
  forwarded: FIB_RESULT.OFFLOAD,
  trapped: FIB_RESULT.TRAP,
  failed: FIB_RESULT.FAILED,
};

/**
 * The FIB_OFFLOAD results of `outcomes`, with the cookies `fib` holds;
 * outcomes of routes it does not hold, or holds without a cookie, are
 * left out.
 */
export function fibResults(
  fib: Fib,
  outcomes: Iterable<RouteOutcome>,
): FibResult[] {
  const out: FibResult[] = [];
  for (const o of outcomes) {
    const r = fibResult(fib, o);
    if (r) out.push(r);
  }
  return out;
}

/** The result of one outcome, or undefined (see {@link fibResults}). */
export function fibResult(
  fib: Fib,
  o: RouteOutcome,
): FibResult | undefined {
  const result = RESULT[o.outcome];
  if (o.family === "inet") {
    const address = o.address as number;
    const c = fib.cookie4(o.net, o.table, address, o.prefixLength);
    if (!c) return undefined;
    return {
      net: o.net,
      cookie: c.cookie,
      family: "inet",
      address,
      table: o.table,
      prefixLength: o.prefixLength,
      tos: c.tos,
      result,
    };
  }
  const address = o.address as bigint;
  const cookie = fib.cookie6(o.net, o.table, address, o.prefixLength);
  if (cookie === undefined) return undefined;
  return {
    net: o.net,
    cookie,
    family: "inet6",
    address,
    table: o.table,
    prefixLength: o.prefixLength,
    result,
  };
}

/** What {@link OffloadReporter} needs of the session. */
export interface OffloadSession {
  /** the XETH_EXT_* bits enabled on the current connection */
  readonly extensions: bigint;
  readonly mirror: { readonly fib: Fib };
  /** sends on the current connection; false when there is none */
  send(messages: readonly Uint8Array[]): Promise<boolean>;
}

/** Counters of an {@link OffloadReporter}, for `show session`. */
export interface OffloadCounters {
  /** results sent, by kind */
  offload: number;
  trap: number;
  failed: number;
  /** FIB_OFFLOAD messages sent */
  messages: number;
  /** outcomes of routes without a cookie in the mirror (not sent) */
  unknown: number;
  /**
   * outcomes of routes that changed after they were asked for (not
   * sent: the outcome of their new version follows)
   */
  superseded: number;
}

/**
 * Sends the SWITCH's route outcomes to the kernel after each batch of
 * changes ({@link changed}) and all of them after each dump
 * ({@link synced}), in order, while the connection has the extension.
 */
export class OffloadReporter {
  readonly counters: OffloadCounters = {
    offload: 0,
    trap: 0,
    failed: 0,
    messages: 0,
    unknown: 0,
    superseded: 0,
  };
  readonly #backend: SwitchBackend;
  readonly #session: OffloadSession;
  readonly #log: Logger;
  #all = false;
  #scheduled = false;
  /** the SWITCH collects outcomes once asked: ask only with the extension */
  #asked = false;
  #sending: Promise<void> = Promise.resolve();

  constructor(backend: SwitchBackend, session: OffloadSession, log?: Logger) {
    this.#backend = backend;
    this.#session = session;
    this.#log = log ?? logger("offload");
  }

  /** Whether the SWITCH can say what it did with routes. */
  get supported(): boolean {
    return this.#backend.routeOutcomes !== undefined;
  }

  /** The SWITCH took a batch of changes. */
  changed(): void {
    this.#schedule();
  }

  /** A dump completed: every route's flags are to be set again. */
  synced(): void {
    this.#all = true;
    this.#schedule();
  }

  /**
   * Resolves once everything reported so far has been handed on, a
   * report asked for in this turn too.
   */
  async settled(): Promise<void> {
    for (;;) {
      // the microtask of #schedule runs before this one
      if (this.#scheduled) await Promise.resolve();
      const sending = this.#sending;
      await sending;
      if (sending === this.#sending && !this.#scheduled) return;
    }
  }

  // Later in this turn: a dump's BREAK comes before the SWITCH has taken
  // the dump's changes, and a batch's outcomes are read once.
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const enabled = (this.#session.extensions & FIB_OFFLOAD_EXT) !== 0n;
    if (!enabled && !this.#asked) return;
    const all = this.#all || !this.#asked;
    this.#all = false;
    this.#asked = true;
    // One report at a time, in order: the SWITCH asks for outcomes after
    // the changes it was given before (a SWITCH elsewhere answers later).
    this.#sending = this.#sending.then(() => this.#report(all, enabled));
  }

  async #report(all: boolean, enabled: boolean): Promise<void> {
    const backend = this.#backend;
    if (!backend.routeOutcomes) return;
    // The outcomes are turned into messages of 242 results as they are
    // read: no object per route outlives its message. Each gets the
    // cookie the mirror holds when it is read. They answer the changes
    // given to the SWITCH before they were asked for; a route whose
    // message came since (a cookie above the last one then) is on its way
    // to the SWITCH, and this outcome would give its new version the old
    // one's flags: it is left out, and its own outcome follows.
    // Without the extension (a module replaced by an older one) they are
    // read only so that they do not pile up.
    const messages: Uint8Array[] = [];
    let outcomes = 0, sent = 0, superseded = 0;
    let chunk: FibResult[] = [];
    const c = this.counters;
    const asked = this.#session.mirror.fib.lastCookie;
    const resyncs = backend.resyncs;
    try {
      await backend.routeOutcomes(all, (o) => {
        outcomes++;
        if (!enabled) return;
        const r = fibResult(this.#session.mirror.fib, o);
        if (!r) return;
        if (r.cookie > asked) {
          superseded++;
          return;
        }
        chunk.push(r);
        if (r.result === FIB_RESULT.OFFLOAD) c.offload++;
        else if (r.result === FIB_RESULT.TRAP) c.trap++;
        else c.failed++;
        sent++;
        if (chunk.length === VALUES.XETH_FIB_RESULTS_MAX) {
          messages.push(...fibOffload(chunk));
          chunk = [];
        }
      });
      if (enabled) messages.push(...fibOffload(chunk));
    } catch (e) {
      this.#log.error(`no route outcomes from the switch: ${e}`);
    }
    if (!enabled) return;
    c.unknown += outcomes - sent - superseded;
    c.superseded += superseded;
    // A SWITCH programmed anew meanwhile took changes that came after the
    // outcomes were asked for, and their batches were not sent again: the
    // outcomes left out come next from the status of every route.
    if (superseded > 0 && backend.resyncs !== resyncs) this.synced();
    if (messages.length === 0) return;
    c.messages += messages.length;
    try {
      await this.#session.send(messages);
    } catch (e) {
      this.#log.warning(`route results not sent: ${e}`);
    }
  }
}
