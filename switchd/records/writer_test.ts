// The writer's streams, read back by the data plane library (the other
// side's reader, in Rust) and rendered as its text: the two sides agree on
// every byte. Build the library first (`./run build`).

import { deepEqual, equal, throws } from "node:assert/strict";
import { openDataplane } from "../../ffi/library.ts";
import { recordsText } from "../../ffi/switch.ts";
import { parseIp4, parseIp6 } from "../protocol/addresses.ts";
import {
  ATTACH,
  HOP4,
  HOP6,
  RECORD,
  ROUTE4,
  ROUTE6,
  STREAM,
  UNLINK,
} from "./layout.generated.ts";
import { RECORD_MAX, RecordTooLong, RecordWriter } from "./writer.ts";

const dp = openDataplane();
globalThis.addEventListener("unload", () => dp.close());

const lines = (w: RecordWriter) =>
  recordsText(dp, w.finish()).split("\n").filter((l) => l !== "");

function route4(w: RecordWriter, prefix: string, hops: [number, string][]) {
  const [a, plen] = prefix.split("/");
  const at = w.begin(ROUTE4.KIND, ROUTE4.SIZE);
  w.u32(at + ROUTE4.table, 254);
  w.u64(at + ROUTE4.net, 1n);
  w.ip4(at + ROUTE4.addr, parseIp4(a)!);
  w.u8(at + ROUTE4.plen, Number(plen));
  w.u8(at + ROUTE4.rtn, 1);
  w.u16(at + ROUTE4.nHops, hops.length);
  for (const [xid, gw] of hops) {
    const h = w.extend(HOP4.SIZE);
    w.u32(h + HOP4.xid, xid);
    w.ip4(h + HOP4.gw, gw === "" ? 0 : parseIp4(gw)!);
  }
}

Deno.test("the library reads what the writer wrote: addresses in network order, hops, names", () => {
  const w = new RecordWriter();
  route4(w, "192.0.2.0/24", [[10, "10.9.0.1"], [11, ""]]);
  const at = w.begin(ROUTE6.KIND, ROUTE6.SIZE);
  w.u32(at + ROUTE6.table, 254);
  w.u64(at + ROUTE6.net, 4026532000n);
  w.ip6(at + ROUTE6.addr, parseIp6("2001:db8:1::")!);
  w.u8(at + ROUTE6.plen, 48);
  w.u8(at + ROUTE6.rtn, 1);
  w.u16(at + ROUTE6.nHops, 1);
  const h = w.extend(HOP6.SIZE);
  w.u32(h + HOP6.xid, 12);
  w.ip6(h + HOP6.gw, parseIp6("fe80::1")!);
  const a = w.begin(ATTACH.KIND, ATTACH.SIZE);
  w.u32(a + ATTACH.xid, 10);
  equal(w.text(a + ATTACH.ifname, "veth-a-long-name-cut", 15), 15);
  deepEqual(lines(w), [
    "route 1 254 192.0.2.0/24 1 10@10.9.0.1,11",
    "route 4026532000 254 2001:db8:1::/48 1 12@fe80::1",
    "attach 10 veth-a-long-nam",
  ]);
  equal(w.count, 3);
});

Deno.test("a stream's header: magic, version, its length and count", () => {
  const w = new RecordWriter(16);
  for (let xid = 0; xid < 1000; xid++) {
    w.u32(w.begin(UNLINK.KIND, UNLINK.SIZE) + UNLINK.xid, xid);
  }
  const s = w.finish();
  const v = new DataView(s.buffer, s.byteOffset, s.byteLength);
  equal(v.getUint32(STREAM.magic, true), RECORD.MAGIC);
  equal(v.getUint16(STREAM.version, true), RECORD.VERSION);
  equal(v.getUint32(STREAM.length, true), s.length);
  equal(s.length, STREAM.SIZE + 1000 * UNLINK.SIZE);
  equal(v.getUint32(STREAM.count, true), 1000);
  const text = lines(w);
  equal(text.length, 1000);
  equal(text[999], "unlink 999");
  // Reset keeps nothing of the last stream.
  w.reset();
  w.u32(w.begin(UNLINK.KIND, UNLINK.SIZE) + UNLINK.xid, 7);
  deepEqual(lines(w), ["unlink 7"]);
});

Deno.test("a record above 64 KiB is refused and taken back out; the stream stays usable", () => {
  const w = new RecordWriter();
  route4(w, "10.0.0.0/8", [[1, "10.0.0.1"]]);
  const at = w.begin(ROUTE4.KIND, ROUTE4.SIZE);
  const n = Math.ceil((RECORD_MAX - ROUTE4.SIZE) / HOP4.SIZE) + 1;
  w.u16(at + ROUTE4.nHops, n);
  for (let i = 0; i < n; i++) w.extend(HOP4.SIZE);
  throws(() => w.finish(), (e: unknown) => {
    equal(e instanceof RecordTooLong, true);
    equal((e as RecordTooLong).kind, ROUTE4.KIND);
    equal((e as RecordTooLong).length, ROUTE4.SIZE + n * HOP4.SIZE);
    return true;
  });
  equal(w.count, 1);
  route4(w, "10.1.0.0/16", []);
  deepEqual(lines(w), [
    "route 1 254 10.0.0.0/8 1 1@10.0.0.1",
    "route 1 254 10.1.0.0/16 1 -",
  ]);
});

Deno.test("rewind takes back what was written since a mark, and only that", () => {
  const w = new RecordWriter();
  route4(w, "10.0.0.0/8", []);
  const m = w.mark();
  route4(w, "10.1.0.0/16", []);
  route4(w, "10.2.0.0/16", []);
  equal(w.count, 3);
  w.rewind(m);
  equal(w.count, 1);
  route4(w, "10.3.0.0/16", []);
  deepEqual(lines(w), [
    "route 1 254 10.0.0.0/8 1 -",
    "route 1 254 10.3.0.0/16 1 -",
  ]);
  w.reset();
  throws(() => w.rewind(m), RangeError);
});

Deno.test("MACs: a 48-bit number, most significant byte first", () => {
  const w = new RecordWriter();
  const at = w.begin(UNLINK.KIND, 16);
  w.mac(at + 4, 0x02_00_5e_0f_00_01);
  const s = w.finish();
  deepEqual([...s.subarray(STREAM.SIZE + 4, STREAM.SIZE + 10)], [
    0x02,
    0x00,
    0x5e,
    0x0f,
    0x00,
    0x01,
  ]);
});
