/**
 * Side-band codec throughput on a receive batch shaped like a FIB dump or
 * a routing churn: mostly FIBENTRY with one or two next hops, some
 * FIB6ENTRY, neighbours, IFINFO and the odd address or ethtool message.
 * Each iteration handles a whole batch (256 messages, the library's cap),
 * so messages/s = 256 / time per iteration; `deno task bench` prints it.
 * Run alone with `deno bench -P bench/codec_bench.ts`.
 *
 * @module
 */

import { SidebandBatch } from "../ffi/sideband.ts";
import { decode, decodeBatch } from "../switchd/protocol/decode.ts";
import { encodeInto } from "../switchd/protocol/encode.ts";
import {
  fib6entry,
  fibentry,
  ifinfo,
  neigh,
  SAMPLES,
} from "../switchd/protocol/fixtures.ts";
import type { Message } from "../switchd/protocol/types.ts";

const N = 256;

/** Message i of the mix: per 20, 14 FIBENTRY, 2 FIB6ENTRY, 2 NEIGH, 1 IFINFO, 1 other. */
function mixed(i: number): Message {
  const slot = i % 20;
  if (slot < 14) return fibentry(1 + (i % 2), i);
  if (slot < 16) return fib6entry(i % 2, i);
  if (slot === 16) return neigh("inet", 0x0200_0000_0000 + i);
  if (slot === 17) return neigh("inet6", i % 3 === 0 ? 0 : 0x0200_0000_0000);
  if (slot === 18) return ifinfo(i % 8);
  return SAMPLES[i % SAMPLES.length];
}

function batchOf(messages: Message[]): SidebandBatch {
  const batch = new SidebandBatch(N);
  let at = 0;
  messages.forEach((m, i) => {
    batch.lens[i] = encodeInto(m, batch.buf, at);
    at += batch.lens[i];
  });
  batch.count = messages.length;
  return batch;
}

const mix = Array.from({ length: N }, (_, i) => mixed(i));
const mixBatch = batchOf(mix);
const fibBatch = batchOf(Array.from({ length: N }, (_, i) => fibentry(1, i)));
const mixView = new DataView(mixBatch.buf.buffer);
const fibView = new DataView(fibBatch.buf.buffer);

// A module-level sink, so that the JIT cannot drop the work as dead code.
let sink = 0;

function decodeAll(batch: SidebandBatch, view: DataView): void {
  let at = 0;
  for (let i = 0; i < batch.count; i++) {
    const len = batch.lens[i];
    const m = decode(view, at, len);
    if (m.kind === "invalid") throw new Error(m.detail);
    sink += m.kind.length;
    at += len;
  }
}

Deno.bench({
  name: `walk ${N} messages (kind byte only, no decode)`,
  group: "decode mixed batch",
  baseline: true,
  fn() {
    let at = 0;
    for (let i = 0; i < mixBatch.count; i++) {
      sink += mixView.getUint8(at + 15);
      at += mixBatch.lens[i];
    }
  },
});

Deno.bench({
  name: `decode ${N} messages, mixed batch, decode() loop`,
  group: "decode mixed batch",
  fn() {
    decodeAll(mixBatch, mixView);
  },
});

Deno.bench({
  name: `decode ${N} messages, mixed batch, decodeBatch() generator`,
  group: "decode mixed batch",
  fn() {
    for (const m of decodeBatch(mixBatch)) sink += m.kind.length;
  },
});

Deno.bench({
  name: `decode ${N} messages, FIBENTRY with 1 next hop`,
  group: "decode one kind",
  fn() {
    decodeAll(fibBatch, fibView);
  },
});

const sendBuf = new Uint8Array(N * 200);

Deno.bench({
  name: `encode ${N} messages, mixed batch, encodeInto() one buffer`,
  group: "encode",
  fn() {
    let at = 0;
    for (const m of mix) at += encodeInto(m, sendBuf, at);
    sink += at;
  },
});

globalThis.addEventListener("unload", () => {
  if (sink === -1) console.log(sink);
});
