// The encoder refuses values that do not fit, and the daemon's requests.

import assert from "node:assert/strict";
import { decode } from "./decode.ts";
import { encode, encodeInto } from "./encode.ts";
import { fib6entry, fibentry, ifinfo, neigh } from "./fixtures.ts";
import {
  carrier,
  dumpFibinfo,
  dumpIfinfo,
  ethtoolStat,
  extEnable,
  linkStat,
  speed,
} from "./requests.ts";
import type { Message } from "./types.ts";

Deno.test("encode: values that do not fit their fields throw RangeError", () => {
  const bad: Message[] = [
    { kind: "carrier", xid: -1, on: true },
    { kind: "carrier", xid: 2 ** 32, on: true },
    { kind: "speed", xid: 1, mbps: 1.5 },
    { kind: "link_stat", xid: 1, index: 0, count: -1n },
    { kind: "link_stat", xid: 1, index: 0, count: 1n << 64n },
    { kind: "ext_enable", extensions: 1n << 64n },
    { ...ifinfo(0), ifname: "abcdefghijklmnop" }, // 16: no room for NUL
    { ...ifinfo(0), ifname: "a\0b" },
    { ...ifinfo(0), ifindex: 2 ** 31 },
    { ...ifinfo(0), addr: 2 ** 48 },
    { ...ifinfo(0), reason: 256 },
    { ...fibentry(0), prefixLength: 33 },
    { ...fibentry(0), address: -1 },
    fibentry(256),
    { ...fib6entry(0), nextHops: [] },
    fib6entry(256),
    { ...fib6entry(0), address: 1n << 128n },
    { ...fib6entry(0), prefixLength: 129 },
    { ...neigh("inet", 1), deleted: true },
    { ...neigh("inet", 0), deleted: false },
    {
      kind: "neigh_update",
      net: 1n,
      ifindex: 1,
      lladdr: 1,
      deleted: false,
      family: "inet6",
      dst: -1n,
    },
    {
      kind: "ethtool_link_modes_ext",
      xid: 1,
      which: 0,
      nwords: 1,
      modes: 1n << 64n,
    },
    {
      kind: "ethtool_link_modes_ext",
      xid: 1,
      which: 0,
      nwords: 256,
      modes: 0n,
    },
  ];
  for (const m of bad) {
    assert.throws(() => encode(m), RangeError, JSON.stringify(m, bigints));
  }
});

function bigints(_: string, v: unknown) {
  return typeof v === "bigint" ? `${v}n` : v;
}

Deno.test("encode: into a buffer too small, or at a bad offset, throws", () => {
  const buf = new Uint8Array(40);
  assert.throws(() => encodeInto(ifinfo(0), buf), RangeError);
  assert.throws(() => encodeInto({ kind: "break" }, buf, 25), RangeError);
  assert.throws(() => encodeInto({ kind: "break" }, buf, -1), RangeError);
  assert.equal(encodeInto({ kind: "break" }, buf, 24), 16);
  // a DataView's offsets are its own, not its buffer's
  const big = new Uint8Array(48);
  const view = new DataView(big.buffer, 8, 40);
  assert.equal(encodeInto(fibentry(0), view, 0), 40);
  assert.deepEqual(decode(big, 8, 40), fibentry(0));
  assert.deepEqual(decode(view, 0, 40), fibentry(0));
  assert.throws(() => encodeInto(fibentry(0), view, 1), RangeError);
});

Deno.test("requests: every daemon-to-kernel kind", () => {
  assert.deepEqual(decode(dumpIfinfo()), { kind: "dump_ifinfo" });
  assert.deepEqual(decode(dumpFibinfo()), { kind: "dump_fibinfo" });
  assert.deepEqual(decode(carrier(3999, true)), {
    kind: "carrier",
    xid: 3999,
    on: true,
  });
  assert.deepEqual(decode(speed(3999, 100000)), {
    kind: "speed",
    xid: 3999,
    mbps: 100000,
  });
  assert.deepEqual(decode(linkStat(3999, 0, 10n)), {
    kind: "link_stat",
    xid: 3999,
    index: 0,
    count: 10n,
  });
  assert.deepEqual(decode(ethtoolStat(3999, 511, 11n)), {
    kind: "ethtool_stat",
    xid: 3999,
    index: 511,
    count: 11n,
  });
  assert.deepEqual(decode(extEnable(1n)), {
    kind: "ext_enable",
    extensions: 1n,
  });
});
