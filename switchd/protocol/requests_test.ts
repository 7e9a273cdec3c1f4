// The daemon's requests, as the decoder reads them back.

import assert from "node:assert/strict";
import { FIB_RESULT } from "./abi.generated.ts";
import { decode } from "./decode.ts";
import type { FibResult } from "./types.ts";
import {
  carrier,
  dumpFibinfo,
  dumpIfinfo,
  ethtoolStat,
  extEnable,
  fibOffload,
  linkStat,
  speed,
} from "./requests.ts";

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

Deno.test("requests: FIB_OFFLOAD in messages of at most 242 results, in order", () => {
  const results: FibResult[] = Array.from({ length: 500 }, (_, i) =>
    i % 2
      ? {
        net: 1n,
        cookie: BigInt(i + 1),
        family: "inet6",
        address: BigInt(i) << 64n,
        table: 254,
        prefixLength: 64,
        result: FIB_RESULT.TRAP,
      }
      : {
        net: 1n,
        cookie: BigInt(i + 1),
        family: "inet",
        address: (10 << 24 | i << 8) >>> 0,
        table: 254,
        prefixLength: 24,
        tos: 0,
        result: FIB_RESULT.FAILED,
      });
  assert.deepEqual(fibOffload([]), []);
  const messages = fibOffload(results);
  assert.deepEqual(messages.map((m) => m.length), [
    24 + 242 * 40,
    24 + 242 * 40,
    24 + 16 * 40,
  ]);
  const back = messages.flatMap((m) => {
    const d = decode(m);
    assert.equal(d.kind, "fib_offload");
    return d.kind === "fib_offload" ? d.results : [];
  });
  assert.deepEqual(back, results);
});
