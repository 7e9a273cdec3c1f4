// Encode then decode gives the message back, for every kind and the edges
// of the variable-length ones.

import assert from "node:assert/strict";
import { IFINFO_REASON } from "./abi.generated.ts";
import { decode } from "./decode.ts";
import { encode, encodedLength, encodeInto } from "./encode.ts";
import {
  fib6entry,
  fibentry,
  ifinfo,
  ip6,
  neigh,
  nextHop,
  SAMPLES,
} from "./fixtures.ts";
import { KIND, type KindName } from "./kinds.ts";
import type { Message } from "./types.ts";

function roundTrip(msg: Message): void {
  const bytes = encode(msg);
  assert.equal(bytes.length, encodedLength(msg), msg.kind);
  assert.deepEqual(decode(bytes), msg);
}

Deno.test("round trip: a sample of every kind", () => {
  const kinds = new Set(SAMPLES.map((m) => m.kind));
  assert.deepEqual(
    Object.keys(KIND).filter((k) => !kinds.has(k as KindName)),
    [],
    "kinds without a sample",
  );
  SAMPLES.forEach(roundTrip);
});

Deno.test("round trip: FIBENTRY with 0, 1, 2, 8 and 255 next hops", () => {
  for (const n of [0, 1, 2, 8, 255]) {
    const m = fibentry(n);
    assert.equal(encode(m).length, 40 + 24 * n);
    roundTrip(m);
  }
});

Deno.test("round trip: FIBENTRY prefixes /0 to /32", () => {
  for (let len = 0; len <= 32; len++) {
    roundTrip({ ...fibentry(1), address: 0, prefixLength: len });
  }
  roundTrip({ ...fibentry(1), address: 0xffff_ffff, prefixLength: 32 });
});

Deno.test("round trip: FIB6ENTRY with 0, 1, 7 and 255 siblings", () => {
  for (const s of [0, 1, 7, 255]) {
    const m = fib6entry(s);
    assert.equal(encode(m).length, 80 + 32 * s);
    roundTrip(m);
  }
  roundTrip({ ...fib6entry(0), address: (1n << 128n) - 1n, prefixLength: 128 });
  roundTrip({ ...fib6entry(0), address: 0n, prefixLength: 0 });
});

Deno.test("round trip: NEIGH_UPDATE IPv4 and IPv6, add and delete", () => {
  for (const family of ["inet", "inet6"] as const) {
    for (const lladdr of [0x0200_0000_0001, 0xffff_ffff_ffff, 1, 0]) {
      const m = neigh(family, lladdr);
      assert.equal(m.deleted, lladdr === 0);
      roundTrip(m);
    }
  }
});

Deno.test("round trip: IFINFO with every reason", () => {
  for (const reason of Object.values(IFINFO_REASON)) {
    roundTrip(ifinfo(reason));
  }
  // a name that fills IFNAMSIZ but its NUL; an empty one; UTF-8
  roundTrip({ ...ifinfo(0), ifname: "abcdefghijklmno" });
  roundTrip({ ...ifinfo(0), ifname: "" });
  roundTrip({ ...ifinfo(0), ifname: "xéth" });
});

Deno.test("round trip: link modes past bit 63 in any number of words", () => {
  for (const nwords of [0, 1, 2, 3, 255]) {
    const modes = nwords === 0 ? 0n : (1n << BigInt(64 * nwords - 1)) | 5n;
    const m: Message = {
      kind: "ethtool_link_modes_ext",
      xid: 3999,
      which: 0,
      nwords,
      modes,
    };
    assert.equal(encode(m).length, 24 + 8 * nwords);
    roundTrip(m);
  }
});

Deno.test("round trip: addresses at the ends of their ranges", () => {
  roundTrip({
    kind: "ifa",
    xid: 0,
    event: 1,
    address: 0xffff_ffff,
    prefixLength: 0,
  });
  roundTrip({
    kind: "ifa6",
    xid: 0,
    event: 1,
    address: (1n << 128n) - 1n,
    prefixLength: 0,
  });
  roundTrip({
    ...fibentry(1),
    nextHops: [{ ...nextHop(0), ifindex: -0x8000_0000, weight: 0x7fff_ffff }],
  });
  roundTrip({
    ...fib6entry(0),
    nextHops: [{ ifindex: -1, weight: -1, flags: 0xffff_ffff, gw: ip6(0, 0) }],
  });
});

Deno.test("round trip: many messages packed into one buffer", () => {
  const total = SAMPLES.reduce((n, m) => n + encodedLength(m), 0);
  // garbage first: encodeInto must write every byte, padding included
  const buf = new Uint8Array(total + 3).fill(0xa5);
  let at = 3;
  for (const m of SAMPLES) at += encodeInto(m, buf, at);
  assert.equal(at, total + 3);
  at = 3;
  for (const m of SAMPLES) {
    const len = encodedLength(m);
    assert.deepEqual(decode(buf, at, len), m);
    assert.deepEqual(buf.subarray(at, at + len), encode(m), m.kind);
    at += len;
  }
});
