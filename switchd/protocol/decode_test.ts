// The decoder: bad input of every shape is an Invalid, never an exception;
// a receive batch (messages back to back in one buffer, lengths alongside,
// as ffi/sideband.ts fills it) decodes message by message.

import assert from "node:assert/strict";
import { SidebandBatch } from "../../ffi/sideband.ts";
import { decode, decodeBatch } from "./decode.ts";
import { encode, encodeInto } from "./encode.ts";
import { fib6entry, fibentry, ifinfo, neigh, SAMPLES } from "./fixtures.ts";
import { fixedSize, KIND } from "./kinds.ts";
import type { Decoded, InvalidReason, Message } from "./types.ts";

// --- invalid input ---

function expectInvalid(
  d: Decoded,
  reason: InvalidReason,
  kindNumber: number,
  length: number,
): void {
  assert.equal(d.kind, "invalid", JSON.stringify(d, (_, v) => String(v)));
  if (d.kind !== "invalid") return;
  assert.equal(d.reason, reason, d.detail);
  assert.equal(d.kindNumber, kindNumber, d.detail);
  assert.equal(d.length, length, d.detail);
  assert.ok(d.detail.length > 0);
}

Deno.test("invalid: shorter than a header", () => {
  for (const n of [0, 1, 14, 15]) {
    expectInvalid(decode(new Uint8Array(n)), "short", -1, n);
  }
});

Deno.test("invalid: a length or offset past the buffer", () => {
  const b = encode({ kind: "break" });
  expectInvalid(decode(b, 0, 17), "short", -1, 17);
  expectInvalid(decode(b, 1, 16), "short", -1, 16);
  expectInvalid(decode(b, -1, 16), "short", -1, 16);
  expectInvalid(decode(b, 0, NaN), "short", -1, NaN);
  expectInvalid(decode(b, 0.5, 8), "short", -1, 8);
  expectInvalid(decode(b, 16, -16), "short", -1, -16);
});

Deno.test("invalid: any of the 14 zero bytes set (a frame)", () => {
  for (let i = 0; i < 14; i++) {
    const b = encode({ kind: "dump_ifinfo" });
    b[i] = 0x80;
    expectInvalid(decode(b), "header", 8, 16);
  }
});

Deno.test("invalid: a version other than 2", () => {
  for (const v of [0, 1, 3, 255]) {
    const b = encode({ kind: "netns_add", net: 1n });
    b[14] = v;
    expectInvalid(decode(b), "version", 19, 24);
  }
});

Deno.test("invalid: kinds past the known extensions", () => {
  for (const k of [24, 25, 100, 255]) {
    const b = new Uint8Array(64);
    b[14] = 2;
    b[15] = k;
    expectInvalid(decode(b), "unknown-kind", k, 64);
    expectInvalid(decode(b, 0, 16), "unknown-kind", k, 16);
  }
});

Deno.test("invalid: fixed-size kinds one byte short or long", () => {
  for (const m of SAMPLES) {
    const n = KIND[m.kind];
    if (
      [
        KIND.fibentry,
        KIND.fib6entry,
        KIND.ethtool_link_modes_ext,
        KIND.fib_offload,
      ].includes(n)
    ) continue;
    const size = fixedSize(n);
    const b = new Uint8Array(size + 8);
    b.set(encode(m));
    for (const len of [16, size - 1, size + 1, size + 8]) {
      if (len === size || len < 16) continue;
      expectInvalid(decode(b, 0, len), "length", n, len);
    }
  }
});

Deno.test("invalid: FIBENTRY whose length is not 40 + 24 * nhs", () => {
  const two = encode(fibentry(2)); // 88 bytes, nhs = 2
  const big = new Uint8Array(200);
  big.set(two);
  for (const len of [16, 39, 40, 64, 87, 89, 112]) {
    expectInvalid(decode(big, 0, len), "length", 15, len);
  }
  // the count says 3, the message holds 2
  const b = two.slice();
  b[33] = 3;
  expectInvalid(decode(b), "length", 15, 88);
});

Deno.test("invalid: FIB6ENTRY whose length is not 80 + 32 * nsiblings", () => {
  const one = encode(fib6entry(1)); // 112 bytes
  const big = new Uint8Array(200);
  big.set(one);
  for (const len of [16, 48, 79, 80, 111, 113, 144]) {
    expectInvalid(decode(big, 0, len), "length", 16, len);
  }
  const b = one.slice();
  b[42] = 0;
  expectInvalid(decode(b), "length", 16, 112);
});

Deno.test("invalid: ETHTOOL_LINK_MODES_EXT whose length is not 24 + 8 * nwords", () => {
  const b = encode({
    kind: "ethtool_link_modes_ext",
    xid: 1,
    which: 0,
    nwords: 2,
    modes: 1n,
  });
  expectInvalid(decode(b, 0, 32), "length", 22, 32);
  expectInvalid(decode(b, 0, 20), "length", 22, 20);
  b[21] = 3;
  expectInvalid(decode(b), "length", 22, 40);
});

Deno.test("invalid: field values the codec cannot represent", () => {
  const cases: [Uint8Array, number, number][] = [];
  const family = encode(neigh("inet", 1));
  family[28] = 7; // no such family
  cases.push([family, 17, 56]);
  const v4key = encode(neigh("inet", 1));
  v4key[29] = 16; // an IPv4 neighbour with a 16-byte key
  cases.push([v4key, 17, 56]);
  const v6key = encode(neigh("inet6", 1));
  v6key[29] = 4;
  cases.push([v6key, 17, 56]);
  const mask = encode(fibentry(1));
  mask[29] = 0x0f; // 255.15.255.0: a hole
  cases.push([mask, 15, 64]);
  const ifaMask = encode({
    kind: "ifa",
    xid: 1,
    event: 1,
    address: 1,
    prefixLength: 8,
  });
  ifaMask[31] = 1; // 255.0.0.1
  cases.push([ifaMask, 12, 32]);
  const len6 = encode(fib6entry(0));
  len6[40] = 129;
  cases.push([len6, 16, 80]);
  const ifa6 = encode({
    kind: "ifa6",
    xid: 1,
    event: 1,
    address: 1n,
    prefixLength: 64,
  });
  ifa6[40] = 200;
  cases.push([ifa6, 13, 48]);
  for (const [b, kind, length] of cases) {
    expectInvalid(decode(b), "field", kind, length);
  }
});

Deno.test("invalid: random bytes never throw", () => {
  // xorshift: the same bytes every run
  let s = 0x9e3779b9;
  const rand = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
  const buf = new Uint8Array(512);
  const seen = new Set<string>();
  for (let i = 0; i < 20000; i++) {
    const len = rand() % buf.length;
    for (let j = 0; j < len; j++) buf[j] = rand() & 0xff;
    // mostly valid headers, so the fuzzing reaches the kinds' fields
    if (i % 4 !== 0) {
      buf.fill(0, 0, 14);
      buf[14] = 2;
      buf[15] = rand() % 26;
    }
    const d = decode(buf, 0, len);
    seen.add(d.kind === "invalid" ? d.reason : "message");
  }
  for (const r of ["short", "header", "unknown-kind", "length", "message"]) {
    assert.ok(seen.has(r), `fuzzing reached ${r}`);
  }
});

// --- receive batches ---

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

// --- the fib-offload extension ---

Deno.test("cookie: read when 8 bytes follow a FIBENTRY or FIB6ENTRY, only then", () => {
  const plain = encode(fibentry(2));
  const withCookie = encode({ ...fibentry(2), cookie: 0xfedc_ba98_7654_3210n });
  assert.equal(withCookie.length, plain.length + 8);
  const d = decode(withCookie);
  assert.equal(d.kind === "fibentry" && d.cookie, 0xfedc_ba98_7654_3210n);
  assert.equal(d.kind === "fibentry" && d.nextHops.length, 2);
  const p = decode(plain);
  assert.ok(p.kind === "fibentry" && !("cookie" in p));
  // the same bytes read without the cookie are the route without it
  assert.deepEqual(decode(withCookie, 0, plain.length), p);
  const six = encode({ ...fib6entry(3), cookie: 7n });
  const d6 = decode(six);
  assert.equal(d6.kind === "fib6entry" && d6.cookie, 7n);
  assert.equal(d6.kind === "fib6entry" && d6.nextHops.length, 4);
  // a trailer of another length, or a cookie of 0, is not one
  const big = new Uint8Array(withCookie.length + 8);
  big.set(withCookie);
  for (const len of [plain.length + 4, plain.length + 16]) {
    expectInvalid(decode(big, 0, len), "length", KIND.fibentry, len);
  }
  withCookie.fill(0, plain.length);
  expectInvalid(decode(withCookie), "field", KIND.fibentry, plain.length + 8);
  // other kinds take no trailer
  const n = encode(neigh("inet", 1));
  const n8 = new Uint8Array(n.length + 8);
  n8.set(n);
  expectInvalid(decode(n8), "length", KIND.neigh_update, n8.length);
});

Deno.test("fib_offload: a count past the datagram or a bad family is invalid", () => {
  const one = encode({
    kind: "fib_offload",
    results: [{
      net: 1n,
      cookie: 2n,
      family: "inet",
      address: 0x0a000000,
      table: 254,
      prefixLength: 8,
      tos: 0,
      result: 1,
    }],
  });
  assert.equal(one.length, 64);
  const v = new DataView(one.buffer);
  v.setUint32(16, 2, true);
  expectInvalid(decode(one), "length", KIND.fib_offload, 64);
  v.setUint32(16, 0xffff_ffff, true);
  expectInvalid(decode(one), "length", KIND.fib_offload, 64);
  v.setUint32(16, 1, true);
  one[24 + 36] = 7; // family
  expectInvalid(decode(one), "field", KIND.fib_offload, 64);
  one[24 + 36] = 2; // AF_INET, but /33
  one[24 + 37] = 33;
  expectInvalid(decode(one), "field", KIND.fib_offload, 64);
});
