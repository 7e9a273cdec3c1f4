// The reader on streams the data plane library wrote (from program text,
// its own reader's input), and on streams broken in each way it refuses.
// Build the library first (`./run build`).

import { deepEqual, equal, match, throws } from "node:assert/strict";
import { openDataplane } from "../../ffi/library.ts";
import { parseRecords, recordsText } from "../../ffi/switch.ts";
import { parseIp4, parseIp6 } from "../protocol/addresses.ts";
import { KIND, RECORD, STREAM } from "./layout.generated.ts";
import {
  decodeRecord,
  decodeStream,
  kindName,
  RecordError,
  records,
  streamSlice,
} from "./reader.ts";

const dp = openDataplane();
globalThis.addEventListener("unload", () => dp.close());

const PROGRAM = [
  "link 10 port 1 1 0 02:00:00:00:00:14 - 0 3000 10.9.0.2",
  "route 1 254 192.0.2.0/24 1 10@10.9.0.1,?",
  "route 1 254 2001:db8::/32 1 10@fe80::1",
  "neigh 1 10 10.9.0.1 02:00:00:00:00:99",
  "unlink 11",
].join("\n");

Deno.test("records from the library: kinds in order, fields by the layout", () => {
  const s = parseRecords(dp, PROGRAM);
  deepEqual(
    [...records(s)].map((r) => kindName(r.kind)),
    ["link", "route4", "route6", "neigh4", "unlink"],
  );
  const [link, r4, r6, n4, un] = decodeStream(s);
  equal(link.xid, 10);
  equal(link.devKind, 1);
  equal(link.mac, 0x02_00_00_00_00_14);
  deepEqual(link.uppers, [3000]);
  equal(link.nAddr4, 1);
  deepEqual(r4.hops, [
    { xid: 10, gw: parseIp4("10.9.0.1")! },
    { xid: RECORD.NO_XID, gw: 0 },
  ]);
  equal(r4.addr, parseIp4("192.0.2.0"));
  equal(r4.plen, 24);
  equal(r4.table, 254);
  equal(r4.net, 1n);
  equal(r6.addr, parseIp6("2001:db8::"));
  deepEqual(r6.hops, [{ xid: 10, gw: parseIp6("fe80::1")! }]);
  equal(n4.mac, 0x02_00_00_00_00_99);
  deepEqual(un, { kind: "unlink", xid: 11 });
});

Deno.test("a slice of a stream: those records, a stream of its own", () => {
  const s = parseRecords(dp, PROGRAM);
  equal(
    recordsText(dp, streamSlice(s, 1, 3)).trim(),
    "route 1 254 192.0.2.0/24 1 10@10.9.0.1,?\nroute 1 254 2001:db8::/32 1 10@fe80::1",
  );
  equal(recordsText(dp, streamSlice(s, 4)).trim(), "unlink 11");
  equal(recordsText(dp, streamSlice(s, 5)).trim(), "");
});

function broken(change: (v: DataView, s: Uint8Array) => Uint8Array): Error {
  const s = parseRecords(dp, PROGRAM);
  const t = change(new DataView(s.buffer), s);
  let error: unknown;
  try {
    [...records(t)];
  } catch (e) {
    error = e;
  }
  equal(error instanceof RecordError, true, `no error for ${String(change)}`);
  return error as Error;
}

Deno.test("broken streams are refused, saying why", () => {
  match(broken((_, s) => s.subarray(0, 10)).message, /no room for its 16-byte/);
  match(
    broken((v, s) => (v.setUint32(STREAM.magic, 0x11223344, true), s)).message,
    /not a record stream: magic 11223344/,
  );
  match(
    broken((v, s) => (v.setUint16(STREAM.version, 2, true), s)).message,
    /version 2; this reads version 1/,
  );
  match(
    broken((_, s) => s.subarray(0, s.length - 1)).message,
    /says it is \d+ bytes long, but \d+ were given/,
  );
  match(
    broken((v, s) => (v.setUint32(STREAM.count, 9, true), s)).message,
    /record 6: the stream ends after 5 of 9 records/,
  );
  match(
    broken((v, s) => (v.setUint32(STREAM.count, 4, true), s)).message,
    /\d+ bytes follow the last of 4 records/,
  );
  match(
    broken((v, s) => (v.setUint16(STREAM.SIZE + 2, 0xfff0, true), s)).message,
    /record 1 \(link\): length 65520 does not fit/,
  );
});

Deno.test("a record of an unknown kind, or shorter than its layout, is not decoded", () => {
  const s = parseRecords(dp, "unlink 1\nunlink 2");
  const v = new DataView(s.buffer);
  v.setUint16(STREAM.SIZE, 0x7777, true);
  const [first, second] = [...records(s)];
  throws(() => decodeRecord(first), /record 1: unknown kind 30583/);
  // A route4 on the second unlink's 8 bytes.
  throws(
    () => decodeRecord({ ...second, kind: KIND.route4 }),
    /record 2: route4 of 8 bytes, at least 24 expected/,
  );
});
