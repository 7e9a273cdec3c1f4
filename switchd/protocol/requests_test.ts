// The daemon's requests, as the decoder reads them back.

import assert from "node:assert/strict";
import { decode } from "./decode.ts";
import {
  carrier,
  dumpFibinfo,
  dumpIfinfo,
  ethtoolStat,
  extEnable,
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
