/**
 * The side-band session: connect to `@<mux>`, dump, follow live updates,
 * and start over whenever the kernel ends the connection.
 *
 * One pass: DUMP_IFINFO, messages up to BREAK, DUMP_FIBINFO, messages up to
 * BREAK, then live updates. The dumps build a fresh mirror; when the second
 * BREAK arrives the session swaps it in and hands the SWITCH only the
 * differences from the mirror it had (diffMirrors), so a reconnect does not
 * flush the hardware. When the mux is gone or down (nothing listens), the
 * state is cleared, since the proxies it described are gone too, and the
 * session retries with a backoff, saying what it waits for.
 *
 * @module
 */

import type { Dataplane } from "../ffi/library.ts";
import {
  isClosedError,
  Ready,
  SidebandBatch,
  SidebandConnection,
} from "../ffi/sideband.ts";
import { epochMs } from "./epoch.ts";
import { decodeBatch } from "./protocol/decode.ts";
import { dumpFibinfo, dumpIfinfo, extEnable } from "./protocol/requests.ts";
import type { Invalid } from "./protocol/types.ts";
import { type Logger, logger, RateLimit } from "./log.ts";
import { type Change, diffMirrors, Mirror } from "./mirror/mirror.ts";

export type SessionState =
  | "connecting"
  | "dumping-ifinfo"
  | "dumping-fibinfo"
  | "live"
  | "waiting"
  | "stopped";

/** Counters of a session, for `show` and tests. */
export interface SessionCounters {
  connects: number;
  /** connections the kernel ended (mux down, deleted, resync, newer daemon) */
  disconnects: number;
  /** dumps completed (both tables) */
  syncs: number;
  /** FIB dumps asked for again: a namespace got its first proxy while live */
  redumps: number;
  messages: number;
  batches: number;
  invalid: number;
  /** messages sent to the kernel */
  sent: number;
}

export interface SessionOptions {
  dataplane: Dataplane;
  mux: string;
  /** Called with what changed, in order, after each batch or resync. */
  onChanges?: (changes: Change[], mirror: Mirror) => void;
  /** Called on every state change. */
  onState?: (state: SessionState) => void;
  /** First retry delay; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Messages received per call (1-256). */
  batchSize?: number;
  /**
   * The XETH_EXT_* bits to ask for, asked before each connection's dumps
   * (0n: none, and no EXT_ENABLE is sent).
   */
  extensions?: () => bigint;
  log?: Logger;
}

/** Longest the receive loop runs without letting other work in, in ms. */
const SLICE_MS = 20;

/** A session; {@link run} until the signal aborts. */
export class Session {
  /** The mirror of the last complete dump, kept current by live updates. */
  mirror = new Mirror();
  state: SessionState = "connecting";
  /**
   * When the mirror last changed ({@link epochMs}; 0: never): what a
   * benchmark subtracts its own start from, instead of timing how soon
   * its questions notice.
   */
  changedAt = 0;
  readonly counters: SessionCounters = {
    connects: 0,
    disconnects: 0,
    syncs: 0,
    redumps: 0,
    messages: 0,
    batches: 0,
    invalid: 0,
    sent: 0,
  };
  readonly #o: Required<Omit<SessionOptions, "onChanges" | "onState">> & {
    onChanges: NonNullable<SessionOptions["onChanges"]>;
    onState: NonNullable<SessionOptions["onState"]>;
  };
  #conn: SidebandConnection | undefined;
  /** The extensions enabled on the current connection. */
  #extensions = 0n;
  readonly #invalidLog = new RateLimit(5, 10_000);
  #waitReason = "";

  constructor(o: SessionOptions) {
    this.#o = {
      onChanges: () => {},
      onState: () => {},
      backoffMs: 100,
      maxBackoffMs: 5000,
      batchSize: 128,
      extensions: () => 0n,
      log: logger("session"),
      ...o,
    };
  }

  /** The XETH_EXT_* bits enabled on the current connection. */
  get extensions(): bigint {
    return this.#conn ? this.#extensions : 0n;
  }

  /** Sends daemon messages on the current connection; false if none. */
  async send(messages: readonly Uint8Array[]): Promise<boolean> {
    const c = this.#conn;
    if (!c || this.state !== "live") return false;
    try {
      await c.sendAll(messages);
      this.counters.sent += messages.length;
      return true;
    } catch (e) {
      if (isClosedError(e)) return false;
      throw e;
    }
  }

  /** Runs sessions until `signal` aborts; resolves once stopped. */
  async run(signal: AbortSignal): Promise<void> {
    const log = this.#o.log;
    let backoff = this.#o.backoffMs;
    const onAbort = () => this.#conn?.wake();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        this.#setState("connecting");
        let conn: SidebandConnection;
        try {
          conn = SidebandConnection.connect(this.#o.dataplane, this.#o.mux);
        } catch (e) {
          this.#waiting(e);
          await sleep(backoff, signal);
          backoff = Math.min(backoff * 2, this.#o.maxBackoffMs);
          continue;
        }
        backoff = this.#o.backoffMs;
        this.#waitReason = "";
        this.#conn = conn;
        this.counters.connects++;
        log.info(`connected to @${this.#o.mux}`, { mux: this.#o.mux });
        try {
          await this.#serve(conn, signal);
        } catch (e) {
          if (!isClosedError(e)) throw e;
          this.counters.disconnects++;
          log.warning(
            `@${this.#o.mux} closed the connection (mux down or deleted, queue overrun, or another daemon); reconnecting`,
            { mux: this.#o.mux },
          );
        } finally {
          this.#conn = undefined;
          conn.close();
        }
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.#setState("stopped");
    }
  }

  async #serve(conn: SidebandConnection, signal: AbortSignal): Promise<void> {
    const batch = new SidebandBatch(this.#o.batchSize);
    let next: Mirror | undefined = new Mirror();
    let breaks = 0;
    let redumping = false;
    let slice = performance.now();
    // Extensions are asked for before the dumps, whose messages they change.
    this.#extensions = this.#o.extensions();
    if (this.#extensions !== 0n) {
      await conn.sendAll([extEnable(this.#extensions)]);
      this.#o.log.info(
        `asked @${this.#o.mux} for extensions 0x${
          this.#extensions.toString(16)
        }`,
        { mux: this.#o.mux, extensions: String(this.#extensions) },
      );
    }
    await conn.sendAll([dumpIfinfo()]);
    this.#setState("dumping-ifinfo");
    while (!signal.aborted) {
      const n = conn.recv(batch);
      if (n === 0) {
        const ready = await conn.wait(Ready.READABLE);
        // Waiting is not running: the slice starts again.
        slice = performance.now();
        if (ready & Ready.HANGUP && !(ready & Ready.READABLE)) {
          conn.recv(batch); // throws the closed error with its message
        }
        continue;
      }
      this.counters.batches++;
      this.counters.messages += n;
      const changes: Change[] = [];
      for (const m of decodeBatch(batch)) {
        if (m.kind === "invalid") {
          this.#invalid(m);
          continue;
        }
        if (m.kind === "break") {
          breaks++;
          if (breaks > 2) redumping = false;
          if (breaks === 1) {
            await conn.sendAll([dumpFibinfo()]);
            this.#setState("dumping-fibinfo");
          } else if (breaks === 2 && next) {
            // A loop, not push(...): a resync may bring a million
            // changes, more than a call takes arguments.
            for (const c of diffMirrors(this.mirror, next)) changes.push(c);
            this.mirror = next;
            next = undefined;
            this.counters.syncs++;
            this.#setState("live");
            const c = this.mirror.counts();
            this.#o.log.info(
              `in sync with @${this.#o.mux}: ${c.links} links, ${c.routes} routes, ${c.neighbours} neighbours, ${c.netns} namespaces`,
              { mux: this.#o.mux, ...c },
            );
          }
          continue;
        }
        if (next) next.apply(m);
        else for (const c of this.mirror.apply(m)) changes.push(c);
        // A namespace that gets the mux's first proxy after the dump (a
        // daemon that connected before the ports were made) comes with
        // its routes already in place: the kernel says only NETNS_ADD, so
        // ask for them (the dump again; what the mirror holds is kept).
        // The answer starts with NETNS_ADDs of its own: none asks again
        // before its BREAK.
        if (m.kind === "netns_add" && breaks >= 2 && !redumping) {
          redumping = true;
          await conn.sendAll([dumpFibinfo()]);
          this.counters.redumps++;
        }
      }
      if (changes.length) {
        this.changedAt = epochMs();
        this.#o.onChanges(changes, this.mirror);
      }
      // While messages keep coming, recv never returns 0 and the loop never
      // awaits: let timers, signals and the control socket run now and then.
      if (performance.now() - slice > SLICE_MS) {
        await new Promise((r) => setTimeout(r, 0));
        slice = performance.now();
      }
    }
  }

  #waiting(e: unknown): void {
    const reason = e instanceof Error ? e.message : String(e);
    if (this.mirror.counts().links + this.mirror.fib.size > 0) {
      // The mux is gone or down: what it described no longer exists.
      const empty = new Mirror();
      const changes = diffMirrors(this.mirror, empty);
      this.mirror = empty;
      this.changedAt = epochMs();
      this.#o.onChanges(changes, empty);
    }
    this.#setState("waiting");
    if (reason !== this.#waitReason) {
      this.#waitReason = reason;
      this.#o.log.warning(`waiting for @${this.#o.mux}: ${reason}`, {
        mux: this.#o.mux,
        reason,
      });
    }
  }

  #invalid(m: Invalid): void {
    this.counters.invalid++;
    const t = this.#invalidLog.take();
    if (!t.ok) return;
    this.#o.log.warning(
      `ignored an invalid message from @${this.#o.mux} (${m.reason}: ${m.detail})` +
        (t.suppressed ? `; ${t.suppressed} more were not logged` : ""),
      { mux: this.#o.mux, ...m, suppressed: t.suppressed },
    );
  }

  #setState(s: SessionState): void {
    if (this.state === s) return;
    this.state = s;
    this.#o.onState(s);
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}
