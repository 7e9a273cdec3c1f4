import assert from "node:assert/strict";
import {
  formatIp4,
  formatIp6,
  formatMac,
  ip4Mask,
  ip6Mask,
  parseIp4,
  parseIp6,
  parseMac,
  prefixLengthOfMask,
  readIp6,
  readMac,
  writeIp6,
  writeMac,
} from "./addresses.ts";

Deno.test("addresses: IPv4 text", () => {
  assert.equal(formatIp4(0x0a000001), "10.0.0.1");
  assert.equal(formatIp4(0xffff_ffff), "255.255.255.255");
  assert.equal(formatIp4(0), "0.0.0.0");
  assert.equal(parseIp4("192.168.1.254"), 0xc0a801fe);
  assert.equal(parseIp4("255.255.255.255"), 0xffff_ffff);
  for (
    const bad of ["", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d"]
  ) {
    assert.equal(parseIp4(bad), undefined, bad);
  }
});

Deno.test("addresses: IPv4 masks and prefix lengths", () => {
  for (let n = 0; n <= 32; n++) {
    assert.equal(prefixLengthOfMask(ip4Mask(n)), n);
  }
  assert.equal(ip4Mask(24), 0xffff_ff00);
  assert.equal(ip4Mask(0), 0);
  assert.equal(prefixLengthOfMask(0xff00_ff00), -1);
  assert.equal(prefixLengthOfMask(0x0000_00ff), -1);
});

Deno.test("addresses: IPv6 text as RFC 5952 writes it", () => {
  const cases: [string, bigint][] = [
    ["::", 0n],
    ["::1", 1n],
    ["2001:db8::1", 0x2001_0db8n << 96n | 1n],
    ["2001:db8:0:1:1:1:1:1", 0x2001_0db8_0000_0001_0001_0001_0001_0001n],
    ["2001:0:0:1::1", 0x2001_0000_0000_0001_0000_0000_0000_0001n],
    ["fe80::", 0xfe80n << 112n],
    ["::ffff:10.0.0.1", 0xffff_0a00_0001n],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", (1n << 128n) - 1n],
    ["1:0:0:2::3", 0x0001_0000_0000_0002_0000_0000_0000_0003n],
  ];
  for (const [text, a] of cases) {
    assert.equal(formatIp6(a), text);
    assert.equal(parseIp6(text), a, text);
  }
  assert.equal(parseIp6("2001:DB8:0:0:0:0:0:1"), 0x2001_0db8n << 96n | 1n);
  assert.equal(parseIp6("::10.0.0.1"), 0x0a00_0001n);
  for (
    const bad of [
      "",
      ":",
      "1::2::3",
      "1:2:3:4:5:6:7",
      "12345::",
      "::g",
      "1.2.3.4::",
    ]
  ) {
    assert.equal(parseIp6(bad), undefined, bad);
  }
  assert.equal(ip6Mask(0), 0n);
  assert.equal(ip6Mask(64), 0xffff_ffff_ffff_ffffn << 64n);
  assert.equal(ip6Mask(128), (1n << 128n) - 1n);
});

Deno.test("addresses: MAC text", () => {
  assert.equal(formatMac(0x0200_0000_0001), "02:00:00:00:00:01");
  assert.equal(formatMac(0), "00:00:00:00:00:00");
  assert.equal(parseMac("52:54:00:AB:cd:ef"), 0x5254_00ab_cdef);
  assert.equal(parseMac("52:54:00:ab:cd"), undefined);
});

Deno.test("addresses: read and write in network order", () => {
  const b = new Uint8Array(22);
  const v = new DataView(b.buffer);
  writeIp6(v, 0, 0x2001_0db8n << 96n | 0xabn);
  assert.deepEqual(
    [...b.subarray(0, 16)],
    [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab],
  );
  assert.equal(readIp6(v, 0), 0x2001_0db8n << 96n | 0xabn);
  writeMac(v, 16, 0x0211_2233_4455);
  assert.deepEqual([...b.subarray(16)], [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);
  assert.equal(readMac(v, 16), 0x0211_2233_4455);
  writeMac(v, 16, 0xffff_ffff_ffff);
  assert.equal(readMac(v, 16), 0xffff_ffff_ffff);
});
