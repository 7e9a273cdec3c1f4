/**
 * The daemon's side of the conversation, ready to send: one function per
 * daemon-to-kernel kind, each returning the encoded message. For batching
 * many into one buffer, use encodeInto() with the same message values.
 *
 * @module
 */

import { VALUES } from "./abi.generated.ts";
import { encode } from "./encode.ts";
import type { FibResult } from "./types.ts";

/** Asks for every interface's state, ended by BREAK; starts a session. */
export function dumpIfinfo(): Uint8Array<ArrayBuffer> {
  return encode({ kind: "dump_ifinfo" });
}

/** Asks for namespaces, routes and neighbours, ended by BREAK. */
export function dumpFibinfo(): Uint8Array<ArrayBuffer> {
  return encode({ kind: "dump_fibinfo" });
}

/** Sets the carrier of a port (and of the xeth-vlans on it). */
export function carrier(xid: number, on: boolean): Uint8Array<ArrayBuffer> {
  return encode({ kind: "carrier", xid, on });
}

/** Sets a port's speed in Mb/s. */
export function speed(xid: number, mbps: number): Uint8Array<ArrayBuffer> {
  return encode({ kind: "speed", xid, mbps });
}

/** Sets link stat `index` (LINK_STAT) of a proxy to `count`. */
export function linkStat(
  xid: number,
  index: number,
  count: bigint,
): Uint8Array<ArrayBuffer> {
  return encode({ kind: "link_stat", xid, index, count });
}

/** Sets ethtool stat `index` (0-511) of a port to `count`. */
export function ethtoolStat(
  xid: number,
  index: number,
  count: bigint,
): Uint8Array<ArrayBuffer> {
  return encode({ kind: "ethtool_stat", xid, index, count });
}

/**
 * Enables the XETH_EXT_* extensions in `bits` for this connection; send
 * only bits the kernel advertised, before the dumps.
 */
export function extEnable(bits: bigint): Uint8Array<ArrayBuffer> {
  return encode({ kind: "ext_enable", extensions: bits });
}

/**
 * `results` as FIB_OFFLOAD messages of at most XETH_FIB_RESULTS_MAX each
 * (XETH_EXT_FIB_OFFLOAD), in order; none for no results.
 */
export function fibOffload(
  results: readonly FibResult[],
): Uint8Array<ArrayBuffer>[] {
  const out: Uint8Array<ArrayBuffer>[] = [];
  const max = VALUES.XETH_FIB_RESULTS_MAX;
  for (let i = 0; i < results.length; i += max) {
    out.push(
      encode({ kind: "fib_offload", results: results.slice(i, i + max) }),
    );
  }
  return out;
}
