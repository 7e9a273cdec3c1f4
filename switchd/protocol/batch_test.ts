// Decoding a receive batch as ffi/sideband.ts fills it: messages back to
// back in one buffer, lengths alongside.

import assert from "node:assert/strict";
import { SidebandBatch } from "../../ffi/sideband.ts";
import { decodeBatch } from "./decode.ts";
import { encodeInto } from "./encode.ts";
import { fib6entry, fibentry, ifinfo, neigh, SAMPLES } from "./fixtures.ts";
import type { Decoded, Message } from "./types.ts";

/** Packs `messages` (or raw byte strings) into `batch` as a receive would. */
function fill(batch: SidebandBatch, messages: (Message | Uint8Array)[]) {
  let at = 0;
  messages.forEach((m, i) => {
    if (m instanceof Uint8Array) {
      batch.buf.set(m, at);
      batch.lens[i] = m.length;
    } else {
      batch.lens[i] = encodeInto(m, batch.buf, at);
    }
    at += batch.lens[i];
  });
  batch.count = messages.length;
}

Deno.test("batch: mixed kinds decode in order", () => {
  const batch = new SidebandBatch(64);
  const messages: Message[] = [
    ifinfo(4),
    fibentry(1),
    fibentry(2, 1),
    fib6entry(3),
    neigh("inet", 0x0200_0000_0009),
    neigh("inet6", 0),
    ...SAMPLES,
    { kind: "break" },
  ];
  fill(batch, messages);
  assert.deepEqual([...decodeBatch(batch)], messages);
});

Deno.test("batch: a bad message in the middle spoils only itself", () => {
  const batch = new SidebandBatch(4);
  const frame = new Uint8Array(60).fill(0xff);
  fill(batch, [fibentry(1), frame, new Uint8Array(3), { kind: "break" }]);
  const got: Decoded[] = [...decodeBatch(batch)];
  assert.equal(got.length, 4);
  assert.deepEqual(got[0], fibentry(1));
  assert.equal(got[1].kind === "invalid" && got[1].reason, "header");
  assert.equal(got[2].kind === "invalid" && got[2].reason, "short");
  assert.deepEqual(got[3], { kind: "break" });
});

Deno.test("batch: decoded values outlive the next receive", () => {
  const batch = new SidebandBatch(1);
  fill(batch, [ifinfo(2)]);
  const [first] = decodeBatch(batch);
  fill(batch, [fibentry(8)]);
  assert.deepEqual(first, ifinfo(2));
  assert.deepEqual([...decodeBatch(batch)], [fibentry(8)]);
});

Deno.test("batch: an empty batch and a full one", () => {
  const batch = new SidebandBatch(256);
  assert.deepEqual([...decodeBatch(batch)], []);
  const full = Array.from({ length: 256 }, (_, i) => fibentry(255, i));
  fill(batch, full);
  let n = 0;
  for (const m of decodeBatch(batch)) {
    assert.deepEqual(m, full[n++]);
  }
  assert.equal(n, 256);
});

Deno.test("batch: lengths that run past the buffer are short, not thrown", () => {
  const batch = new SidebandBatch(2);
  fill(batch, [{ kind: "break" }, { kind: "break" }]);
  batch.lens[1] = batch.buf.length;
  const got = [...decodeBatch(batch)];
  assert.deepEqual(got[0], { kind: "break" });
  assert.equal(got[1].kind === "invalid" && got[1].reason, "short");
});
