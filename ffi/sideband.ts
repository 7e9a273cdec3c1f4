/**
 * The side-band connection to an xeth mux, through the data plane library.
 *
 * Deno cannot open `SOCK_SEQPACKET` sockets, so the library owns the socket
 * and moves messages in batches: {@link SidebandConnection.recv} fills a
 * {@link SidebandBatch} that TypeScript owns and decodes in place, and
 * {@link SidebandConnection.send} sends many messages in one call. Waiting
 * happens on a worker thread ({@link SidebandConnection.wait}), so the
 * JavaScript thread never blocks and never polls.
 *
 * @module
 */

import { VALUES } from "../switchd/protocol/abi.generated.ts";
import { ERRNO, READY, SIDEBAND } from "./abi.generated.ts";
import { type Dataplane, DataplaneError } from "./library.ts";

/** Largest side-band message (docs/protocol.md, "Transport"). */
export const MAX_MESSAGE: number = VALUES.XETH_MSG_MAX_SIZE;

/** Most messages one receive or send call moves (the library's cap). */
export const MAX_BATCH: number = SIDEBAND.MAX_BATCH;

/**
 * Readiness bits of {@link SidebandConnection.wait}: HANGUP when the
 * kernel closed the connection, WOKEN when {@link SidebandConnection.wake}
 * was called.
 */
export const Ready = READY;

const { EBADF, ECONNRESET, ENOENT } = ERRNO;

/**
 * A receive buffer: messages land packed back to back in `buf`, with their
 * lengths in `lens`. Views from {@link SidebandBatch.messages} stay valid
 * until the next receive into the same batch.
 */
export class SidebandBatch {
  readonly buf: Uint8Array<ArrayBuffer>;
  readonly lens: Uint32Array<ArrayBuffer>;
  /** Messages received by the last call. */
  count = 0;

  /** Room for `capacity` messages of the largest size. */
  constructor(capacity = 64) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_BATCH) {
      throw new RangeError(
        `batch capacity must be an integer from 1 to ${MAX_BATCH}`,
      );
    }
    this.buf = new Uint8Array(capacity * MAX_MESSAGE);
    this.lens = new Uint32Array(capacity);
  }

  /** The messages of the last receive, as views into {@link buf}. */
  *messages(): Generator<Uint8Array<ArrayBuffer>> {
    let at = 0;
    for (let i = 0; i < this.count; i++) {
      const len = this.lens[i];
      yield this.buf.subarray(at, at + len);
      at += len;
    }
  }
}

/** True when `e` says the kernel closed the connection. */
export function isClosedError(e: unknown): boolean {
  return e instanceof DataplaneError && e.errno === ECONNRESET;
}

/**
 * The bit of side-band extension `name` (`fib-offload`, ...) when the mux
 * lists it in `/sys/class/net/<mux>/xeth/extensions`; undefined when it
 * does not, or the module is too old to have the file.
 */
export function muxExtension(
  dp: Dataplane,
  mux: string,
  name: string,
): number | undefined {
  const m = new TextEncoder().encode(mux);
  const n = new TextEncoder().encode(name);
  const r = Number(
    dp.symbols.xeth_dp_sideband_extension(
      m,
      BigInt(m.length),
      n,
      BigInt(n.length),
    ),
  );
  if (r >= 0) return r;
  if (r === -ENOENT) return undefined;
  throw new DataplaneError(`extensions of ${mux}: ${dp.lastError()}`, {
    errno: -r,
  });
}

/** One connection to `@<mux>`. Close it, or use `using`. */
export class SidebandConnection implements Disposable {
  readonly mux: string;
  readonly #dp: Dataplane;
  #handle: bigint | undefined;
  #sendBuf = new Uint8Array(0);
  readonly #sendLens = new Uint32Array(MAX_BATCH);

  private constructor(dp: Dataplane, mux: string, handle: bigint) {
    this.#dp = dp;
    this.mux = mux;
    this.#handle = handle;
  }

  /**
   * Connects to the mux's side-band socket in this process's network
   * namespace. Throws a {@link DataplaneError} whose message says what to
   * do (for example create the mux or set it up) when nothing listens.
   */
  static connect(dp: Dataplane, mux: string): SidebandConnection {
    const name = new TextEncoder().encode(mux);
    const r = dp.symbols.xeth_dp_sideband_connect(name, BigInt(name.length));
    const h = dp.check(`connect to @${mux}`, r);
    return new SidebandConnection(dp, mux, BigInt(h));
  }

  /** The socket's descriptor (owned by the connection). */
  get fd(): number {
    return this.#dp.check(
      "sideband fd",
      this.#dp.symbols.xeth_dp_sideband_fd(this.#open()),
    );
  }

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.#handle !== undefined;
  }

  /**
   * Receives the waiting messages into `batch` without blocking (as many
   * as fit) and returns their number: 0 when none is waiting. Throws with
   * errno ECONNRESET ({@link isClosedError}) when the kernel closed the
   * connection.
   */
  recv(batch: SidebandBatch): number {
    batch.count = 0;
    const r = this.#dp.symbols.xeth_dp_sideband_recv(
      this.#open(),
      batch.buf,
      BigInt(batch.buf.length),
      batch.lens,
      BigInt(batch.lens.length),
    );
    batch.count = this.#dp.check(`receive from @${this.mux}`, r);
    return batch.count;
  }

  /**
   * Sends as many of `messages` as the socket takes now, in order, in
   * batches; returns how many were sent (fewer when the socket is full:
   * wait for {@link Ready.WRITABLE} and send the rest, or use
   * {@link sendAll}).
   */
  send(messages: readonly Uint8Array[]): number {
    let sent = 0;
    while (sent < messages.length) {
      const n = Math.min(MAX_BATCH, messages.length - sent);
      let total = 0;
      for (let i = 0; i < n; i++) total += messages[sent + i].length;
      if (this.#sendBuf.length < total) {
        this.#sendBuf = new Uint8Array(
          Math.max(total, 2 * this.#sendBuf.length),
        );
      }
      let at = 0;
      for (let i = 0; i < n; i++) {
        const m = messages[sent + i];
        this.#sendBuf.set(m, at);
        this.#sendLens[i] = m.length;
        at += m.length;
      }
      const r = this.#dp.symbols.xeth_dp_sideband_send(
        this.#open(),
        this.#sendBuf,
        BigInt(total),
        this.#sendLens,
        BigInt(n),
      );
      const done = this.#dp.check(`send to @${this.mux}`, r);
      sent += done;
      if (done < n) break;
    }
    return sent;
  }

  /** Sends all of `messages`, waiting for write space when the socket is full. */
  async sendAll(messages: readonly Uint8Array[]): Promise<void> {
    let sent = 0;
    while (sent < messages.length) {
      sent += this.send(messages.slice(sent));
      if (sent < messages.length) {
        const ready = await this.wait(Ready.WRITABLE);
        if (ready & Ready.WOKEN) {
          throw new DataplaneError(`send to @${this.mux} interrupted`);
        }
      }
    }
  }

  /**
   * Checks readiness now, on this thread: the {@link Ready} bits of `want`
   * that hold, plus HANGUP.
   */
  poll(want: number): number {
    return this.#dp.check(
      `poll @${this.mux}`,
      this.#dp.symbols.xeth_dp_sideband_wait(this.#open(), want, 0),
    );
  }

  /**
   * Waits on a worker thread until one of `want` holds, the connection is
   * hung up, {@link wake} or {@link close} is called, or `timeoutMs` passes
   * (-1: no limit). Resolves to the {@link Ready} bits; 0 on timeout.
   */
  async wait(want: number, timeoutMs = -1): Promise<number> {
    const r = await this.#dp.symbols.xeth_dp_sideband_wait_async(
      this.#open(),
      want,
      timeoutMs,
    );
    const n = Number(r);
    if (n >= 0) return n;
    // close() may run before the worker thread has even looked the handle
    // up; to the caller that is the same as being woken by close.
    if (n === -EBADF && this.#handle === undefined) return Ready.WOKEN;
    // The message of a failed call stays on the worker thread that made
    // it; only the errno crosses back.
    throw new DataplaneError(`wait on @${this.mux} failed: errno ${-n}`, {
      errno: -n,
    });
  }

  /** Ends a pending {@link wait} with {@link Ready.WOKEN}. */
  wake(): void {
    this.#dp.check(
      `wake @${this.mux}`,
      this.#dp.symbols.xeth_dp_sideband_wake(this.#open()),
    );
  }

  /** Closes the connection, ending a pending wait. Safe to call twice. */
  close(): void {
    const h = this.#handle;
    if (h === undefined) return;
    this.#handle = undefined;
    this.#dp.check(
      `close @${this.mux}`,
      this.#dp.symbols.xeth_dp_sideband_close(h),
    );
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #open(): bigint {
    if (this.#handle === undefined) {
      throw new DataplaneError(
        `side-band connection to @${this.mux} is closed`,
      );
    }
    return this.#handle;
  }
}
