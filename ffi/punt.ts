/**
 * The exception path through the data plane library: a raw packet socket
 * on the mux, owned by a Rust thread (dataplane/src/punt.rs). It is the
 * exception path of a mux whose switch is a chip driven from user space;
 * the software SWITCH (ffi/switch.ts) does not use it, it carries its own
 * exceptions (docs/architecture.md, "The modes").
 *
 * Frames do not cross into TypeScript one by one. A caller sends frames up
 * to Linux (exceptions) or out of the mux with {@link PuntSocket.send} or,
 * many at once, {@link PuntSocket.sendBatch}; it reads counters with
 * {@link PuntSocket.stats}. Received frames go to the punt's sink in the
 * library; {@link PuntSocket.recvBatch} reads the frames that the default
 * sink captured, a diagnostic path for tests and tools, enabled by the
 * `capture` option.
 *
 * @module
 */

import { ENCAP } from "../switchd/protocol/abi.generated.ts";
import { PUNT_RECORD, PUNT_RING, PUNT_STAT_NAMES } from "./abi.generated.ts";
import { type Dataplane, DataplaneError, readCString } from "./library.ts";

/** The mux's encapsulation (`enum xeth_encap`). */
export type Encap = "vlan" | "vpls";

/**
 * Each encapsulation's `enum xeth_encap` value: what the library's open
 * calls take, and what a vlan proxy's IFINFO carries as kdata.
 */
export const ENCAP_VALUE: Readonly<Record<Encap, number>> = {
  vlan: ENCAP.VLAN,
  vpls: ENCAP.VPLS,
};

/** Receive ring layout; "v2" is the default (lowest latency, measured). */
export type RingLayout = "v2" | "v3";

/**
 * Names of the counters, in the library's order (generated from it);
 * ffi/abi_test.ts holds the loaded library to them.
 */
export { PUNT_STAT_NAMES };

/** One counter name. */
export type PuntStatName = typeof PUNT_STAT_NAMES[number];

/** A snapshot of the counters (u64, hence bigint). */
export type PuntStats = Record<PuntStatName, bigint>;

/** The names of the counters as the library exports them, in its order. */
export function puntStatNames(dp: Dataplane): string[] {
  const sym = dp.symbols;
  const r = readCString((buf, len) => sym.xeth_dp_punt_stat_names(buf, len));
  if (typeof r === "number") {
    throw new DataplaneError(`punt stat names failed: ${dp.lastError()}`, {
      errno: -r,
    });
  }
  return r.split("\n").filter((n) => n.length > 0);
}

/** Bytes of a record header (dataplane/src/punt/record.rs). */
export const RECORD_HDR: number = PUNT_RECORD.RECORD_HDR;
/** Record flag: the frame has (or gets) the exception mark. */
export const FLAG_EXCEPTION: number = PUNT_RECORD.FLAG_EXCEPTION;
/** Record flag: the mux transmitted the frame (PACKET_OUTGOING). */
export const FLAG_OUTGOING: number = PUNT_RECORD.FLAG_OUTGOING;
const { XID_AT, LEN_AT, PRIORITY_AT, FLAGS_AT } = PUNT_RECORD;

/** A proxy frame to send. */
export interface OutFrame {
  /** The proxy's xid. */
  xid: number;
  /** Destination, source, ethertype, payload (at least 14 bytes). */
  frame: Uint8Array;
  /** Mark it as an exception: the mux hands it to the proxy's receive path. */
  exception?: boolean;
}

/** A received, decapsulated proxy frame. */
export interface InFrame {
  /** The proxy's xid. */
  xid: number;
  /** PCP of the first tag or TC of the first label. */
  priority: number;
  /** It carried the exception mark (priority 7). */
  exception: boolean;
  /** The mux transmitted it (a proxy transmit on a link-less mux). */
  outgoing: boolean;
  /** The proxy frame (a copy). */
  frame: Uint8Array;
}

/** Options of {@link PuntSocket.open}. */
export interface PuntOptions {
  /** The mux's encapsulation; default "vlan". */
  encap?: Encap;
  /** Receive ring layout; default "v2". */
  ring?: RingLayout;
  /** Received frames kept for {@link PuntSocket.recvBatch}; default 0. */
  capture?: number;
}

// Records are in host byte order: little-endian on the hosts we run on.
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const MAX_U32 = 0xffff_ffff;

/** Packs frames into the library's record format. */
export function encodeRecords(
  frames: readonly OutFrame[],
): Uint8Array<ArrayBuffer> {
  let size = 0;
  for (const f of frames) size += RECORD_HDR + f.frame.length;
  const buf = new Uint8Array(size);
  const view = new DataView(buf.buffer);
  let at = 0;
  for (const f of frames) {
    if (!Number.isInteger(f.xid) || f.xid < 0 || f.xid > MAX_U32) {
      throw new RangeError(`xid ${f.xid} is not a u32`);
    }
    view.setUint32(at + XID_AT, f.xid, HOST_LE);
    view.setUint32(at + LEN_AT, f.frame.length, HOST_LE);
    buf[at + PRIORITY_AT] = 0;
    buf[at + FLAGS_AT] = f.exception ? FLAG_EXCEPTION : 0;
    buf.set(f.frame, at + RECORD_HDR);
    at += RECORD_HDR + f.frame.length;
  }
  return buf;
}

/** Unpacks records (copying each frame); throws on a truncated one. */
export function decodeRecords(buf: Uint8Array): InFrame[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: InFrame[] = [];
  let at = 0;
  while (at < buf.length) {
    if (at + RECORD_HDR > buf.length) {
      throw new DataplaneError(`truncated punt record at byte ${at}`);
    }
    const len = view.getUint32(at + LEN_AT, HOST_LE);
    const end = at + RECORD_HDR + len;
    if (end > buf.length) {
      throw new DataplaneError(`truncated punt record at byte ${at}`);
    }
    const flags = buf[at + FLAGS_AT];
    out.push({
      xid: view.getUint32(at + XID_AT, HOST_LE),
      priority: buf[at + PRIORITY_AT],
      exception: (flags & FLAG_EXCEPTION) !== 0,
      outgoing: (flags & FLAG_OUTGOING) !== 0,
      frame: buf.slice(at + RECORD_HDR, end),
    });
    at = end;
  }
  return out;
}

/** A punt socket on a mux netdev. Close it, or use `using`. */
export class PuntSocket implements Disposable {
  readonly ifname: string;
  readonly #dp: Dataplane;
  #handle: bigint | undefined;
  readonly #stats = new BigUint64Array(PUNT_STAT_NAMES.length);
  #recvBuf = new Uint8Array(0);

  private constructor(dp: Dataplane, ifname: string, handle: bigint) {
    this.#dp = dp;
    this.ifname = ifname;
    this.#handle = handle;
  }

  /**
   * Opens a punt socket on `ifname` in this process's network namespace
   * and starts its thread. Throws a {@link DataplaneError} (errno ENODEV
   * when there is no such netdev, EPERM without CAP_NET_RAW).
   */
  static open(
    dp: Dataplane,
    ifname: string,
    opts: PuntOptions = {},
  ): PuntSocket {
    const encap = opts.encap ?? "vlan";
    if (encap !== "vlan" && encap !== "vpls") {
      throw new RangeError(`encap must be "vlan" or "vpls", not ${encap}`);
    }
    const ring = opts.ring ?? "v2";
    if (ring !== "v2" && ring !== "v3") {
      throw new RangeError(`ring must be "v2" or "v3", not ${ring}`);
    }
    const capture = opts.capture ?? 0;
    if (!Number.isInteger(capture) || capture < 0 || capture > MAX_U32) {
      throw new RangeError(`capture must be an integer from 0 to ${MAX_U32}`);
    }
    const name = new TextEncoder().encode(ifname);
    const r = dp.symbols.xeth_dp_punt_open(
      name,
      BigInt(name.length),
      ENCAP_VALUE[encap],
      ring === "v2" ? PUNT_RING.V2 : PUNT_RING.V3,
      capture,
    );
    const h = dp.check(`open punt socket on ${ifname}`, r);
    return new PuntSocket(dp, ifname, BigInt(h));
  }

  /** True until {@link close}. */
  get isOpen(): boolean {
    return this.#handle !== undefined;
  }

  /** A snapshot of the counters. */
  stats(): PuntStats {
    const n = this.#dp.check(
      `punt stats of ${this.ifname}`,
      this.#dp.symbols.xeth_dp_punt_stats(
        this.#open(),
        this.#stats,
        BigInt(this.#stats.length),
      ),
    );
    const s = {} as PuntStats;
    PUNT_STAT_NAMES.forEach((name, i) => {
      s[name] = i < n ? this.#stats[i] : 0n;
    });
    return s;
  }

  /**
   * Queues one proxy frame for transmission, encapsulated with `xid`.
   * Throws with errno EINVAL (xid out of range, frame too short) or
   * ENOBUFS (queue full; counted as tx_queue_drops).
   */
  send(f: OutFrame): void {
    const frame = f.frame as Uint8Array<ArrayBuffer>;
    this.#dp.check(
      `punt send on ${this.ifname}`,
      this.#dp.symbols.xeth_dp_punt_send(
        this.#open(),
        f.xid,
        f.exception ? 1 : 0,
        frame,
        BigInt(frame.length),
      ),
    );
  }

  /**
   * Queues many frames in one call and returns how many were queued:
   * fewer than given when a queue filled up. Throws (queuing none) when
   * any xid or frame is invalid.
   */
  sendBatch(frames: readonly OutFrame[]): number {
    const buf = encodeRecords(frames);
    return this.#dp.check(
      `punt send on ${this.ifname}`,
      this.#dp.symbols.xeth_dp_punt_send_batch(
        this.#open(),
        buf,
        BigInt(buf.length),
      ),
    );
  }

  /**
   * Takes the frames captured so far (at most `maxBytes` of records per
   * call; a jumbo frame always fits the default). Diagnostic only: it
   * returns nothing unless the socket was opened with `capture`.
   */
  recvBatch(maxBytes = 65536): InFrame[] {
    if (this.#recvBuf.length !== maxBytes) {
      this.#recvBuf = new Uint8Array(maxBytes);
    }
    const n = this.#dp.check(
      `punt capture of ${this.ifname}`,
      this.#dp.symbols.xeth_dp_punt_recv_batch(
        this.#open(),
        this.#recvBuf,
        BigInt(this.#recvBuf.length),
      ),
    );
    return decodeRecords(this.#recvBuf.subarray(0, n));
  }

  /** Stops the punt thread and waits for it. Safe to call twice. */
  close(): void {
    const h = this.#handle;
    if (h === undefined) return;
    this.#handle = undefined;
    this.#dp.check(
      `close punt socket on ${this.ifname}`,
      this.#dp.symbols.xeth_dp_punt_close(h),
    );
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #open(): bigint {
    if (this.#handle === undefined) {
      throw new DataplaneError(`punt socket on ${this.ifname} is closed`);
    }
    return this.#handle;
  }
}
