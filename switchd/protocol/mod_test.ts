// The codec as a whole, through mod.ts: messages built byte by byte from
// the offsets in docs/protocol.md, not from the generated tables (an offset
// that the encoder and the decoder got wrong in the same way passes a round
// trip but not these), and encode then decode giving the message back, for
// every kind and the edges of the variable-length ones.

import assert from "node:assert/strict";
import {
  decode,
  encode,
  encodedLength,
  encodeInto,
  IFINFO_REASON,
  KIND,
  type KindName,
  type Message,
} from "./mod.ts";
import {
  fib6entry,
  fibentry,
  ifinfo,
  ip6,
  neigh,
  nextHop,
  SAMPLES,
} from "./fixtures.ts";

// --- golden bytes ---

/** A message buffer written at literal offsets. */
class Wire {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;

  constructor(size: number, kind: number) {
    this.bytes = new Uint8Array(size);
    this.#view = new DataView(this.bytes.buffer);
    this.bytes[14] = 2;
    this.bytes[15] = kind;
  }

  /** little-endian (host order on x86_64) */
  le(offset: number, width: 1 | 2 | 4 | 8, v: number | bigint): this {
    let x = BigInt(v);
    for (let i = 0; i < width; i++, x >>= 8n) {
      this.#view.setUint8(offset + i, Number(x & 0xffn));
    }
    return this;
  }

  raw(offset: number, bytes: number[]): this {
    this.bytes.set(bytes, offset);
    return this;
  }
}

function golden(wire: Wire, msg: Message): void {
  assert.deepEqual(encode(msg), wire.bytes, `encode ${msg.kind}`);
  assert.deepEqual(decode(wire.bytes), msg, `decode ${msg.kind}`);
}

Deno.test("golden: IFINFO", () => {
  golden(
    new Wire(72, 11)
      .le(16, 4, 3999) // xid
      .le(20, 4, 1) // kdata
      .raw(24, [..."xeth1-2"].map((c) => c.charCodeAt(0))) // ifname
      .le(40, 8, 4026531993n) // net
      .le(48, 4, -2) // ifindex, signed
      .le(52, 4, 0x11003) // flags
      .raw(56, [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30]) // addr
      .le(62, 1, 2) // kind: VLAN
      .le(63, 1, 5) // reason: REG
      .le(64, 8, 1n), // features: l2-fwd-offload
    {
      kind: "ifinfo",
      xid: 3999,
      kdata: 1,
      ifname: "xeth1-2",
      net: 4026531993n,
      ifindex: -2,
      flags: 0x11003,
      addr: 0x02005e102030,
      devKind: 2,
      reason: 5,
      features: 1n,
    },
  );
});

Deno.test("golden: FIBENTRY with two next hops", () => {
  golden(
    new Wire(40 + 2 * 24, 15)
      .le(16, 8, 1n) // net
      .raw(24, [10, 1, 2, 0]) // address, be
      .raw(28, [255, 255, 255, 0]) // mask, be
      .le(32, 1, 3) // event: DEL
      .le(33, 1, 2) // nhs
      .le(34, 1, 0x10) // tos
      .le(35, 1, 1) // type: RTN_UNICAST
      .le(36, 4, 254) // table
      .le(40, 4, 3) // nh[0].ifindex
      .le(44, 4, 1) // nh[0].weight
      .le(48, 4, 0x40) // nh[0].flags
      .raw(52, [192, 168, 0, 1]) // nh[0].gw, be
      .le(56, 1, 0) // nh[0].scope
      .le(64, 4, 4) // nh[1].ifindex
      .le(68, 4, 2) // nh[1].weight
      .raw(76, [192, 168, 1, 1]) // nh[1].gw
      .le(80, 1, 253), // nh[1].scope
    {
      kind: "fibentry",
      net: 1n,
      address: 0x0a010200,
      prefixLength: 24,
      event: 3,
      tos: 0x10,
      type: 1,
      table: 254,
      nextHops: [
        { ifindex: 3, weight: 1, flags: 0x40, gw: 0xc0a80001, scope: 0 },
        { ifindex: 4, weight: 2, flags: 0, gw: 0xc0a80101, scope: 253 },
      ],
    },
  );
});

Deno.test("golden: FIB6ENTRY with a sibling", () => {
  const fe80_1 = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  golden(
    new Wire(80 + 32, 16)
      .le(16, 8, 7n) // net
      .raw(24, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1]) // address
      .le(40, 1, 64) // length
      .le(41, 1, 1) // event: APPEND
      .le(42, 1, 1) // nsiblings
      .le(43, 1, 1) // type
      .le(44, 4, 1000) // table
      .le(48, 4, 5) // nh.ifindex
      .le(52, 4, 1) // nh.weight
      .le(56, 4, 0) // nh.flags
      .raw(64, fe80_1) // nh.gw
      .le(80, 4, 6) // siblings[0].ifindex
      .le(84, 4, 1) // siblings[0].weight
      .le(88, 4, 8) // siblings[0].flags
      .raw(96, [0xfe, 0x80, ...new Array(13).fill(0), 2]), // siblings[0].gw
    {
      kind: "fib6entry",
      net: 7n,
      address: 0x2001_0db8_0000_0001n << 64n,
      prefixLength: 64,
      event: 1,
      type: 1,
      table: 1000,
      nextHops: [
        { ifindex: 5, weight: 1, flags: 0, gw: 0xfe80n << 112n | 1n },
        { ifindex: 6, weight: 1, flags: 8, gw: 0xfe80n << 112n | 2n },
      ],
    },
  );
});

Deno.test("golden: NEIGH_UPDATE, IPv4 and IPv6", () => {
  golden(
    new Wire(56, 17)
      .le(16, 8, 1n) // net
      .le(24, 4, 9) // ifindex
      .le(28, 1, 2) // family: AF_INET
      .le(29, 1, 4) // len
      .raw(32, [10, 0, 0, 2]) // dst
      .raw(48, [0x52, 0x54, 0, 0x12, 0x34, 0x56]), // lladdr
    {
      kind: "neigh_update",
      net: 1n,
      ifindex: 9,
      lladdr: 0x525400123456,
      deleted: false,
      family: "inet",
      dst: 0x0a000002,
    },
  );
  golden(
    new Wire(56, 17)
      .le(16, 8, 1n)
      .le(24, 4, 9)
      .le(28, 1, 10) // family: AF_INET6
      .le(29, 1, 16)
      .raw(32, [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 0x22]),
    {
      kind: "neigh_update",
      net: 1n,
      ifindex: 9,
      lladdr: 0,
      deleted: true,
      family: "inet6",
      dst: 0x2001_0db8n << 96n | 0x22n,
    },
  );
});

Deno.test("golden: IFA and IFA6", () => {
  golden(
    new Wire(32, 12)
      .le(16, 4, 3999)
      .le(20, 4, 2) // event: NETDEV_DOWN
      .raw(24, [172, 16, 0, 1]) // address, be
      .raw(28, [255, 240, 0, 0]), // mask, be
    { kind: "ifa", xid: 3999, event: 2, address: 0xac100001, prefixLength: 12 },
  );
  golden(
    new Wire(48, 13)
      .le(16, 4, 3998)
      .le(20, 4, 1)
      .raw(24, [0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1])
      .le(40, 1, 128),
    {
      kind: "ifa6",
      xid: 3998,
      event: 1,
      address: 0x2001_0db8n << 96n | 1n,
      prefixLength: 128,
    },
  );
});

Deno.test("golden: ethtool messages", () => {
  golden(
    new Wire(32, 4)
      .le(16, 4, 3999)
      .le(20, 4, 100000) // speed
      .le(24, 1, 1) // duplex
      .le(25, 1, 3) // port
      .le(26, 1, 4) // phy_address
      .le(27, 1, 1) // autoneg
      .le(28, 1, 5) // mdio_support
      .le(29, 1, 6) // eth_tp_mdix
      .le(30, 1, 7), // eth_tp_mdix_ctrl
    {
      kind: "ethtool_settings",
      xid: 3999,
      speed: 100000,
      duplex: 1,
      port: 3,
      phyAddress: 4,
      autoneg: 1,
      mdioSupport: 5,
      ethTpMdix: 6,
      ethTpMdixCtrl: 7,
    },
  );
  golden(new Wire(24, 3).le(16, 4, 3999).le(20, 4, 0x80000005), {
    kind: "ethtool_flags",
    xid: 3999,
    flags: 0x80000005,
  });
  golden(new Wire(32, 7).le(16, 4, 3999).le(24, 8, 0x8000_0000_0000_0003n), {
    kind: "ethtool_link_modes_lp_advertising",
    xid: 3999,
    modes: 0x8000_0000_0000_0003n,
  });
  golden(
    new Wire(24 + 16, 22)
      .le(16, 4, 3999)
      .le(20, 1, 2) // which: LP_ADVERTISING
      .le(21, 1, 2) // nwords
      .le(24, 8, 0x8000_0000_0000_0001n) // bits 0 and 63
      .le(32, 8, 0x5n), // bits 64 and 66
    {
      kind: "ethtool_link_modes_ext",
      xid: 3999,
      which: 2,
      nwords: 2,
      modes: 0x5n << 64n | 0x8000_0000_0000_0001n,
    },
  );
});

Deno.test("golden: daemon-to-kernel messages", () => {
  golden(new Wire(16, 8), { kind: "dump_ifinfo" });
  golden(new Wire(16, 14), { kind: "dump_fibinfo" });
  golden(new Wire(24, 9).le(16, 4, 3999).le(20, 1, 1), {
    kind: "carrier",
    xid: 3999,
    on: true,
  });
  golden(new Wire(24, 10).le(16, 4, 3999).le(20, 4, 25000), {
    kind: "speed",
    xid: 3999,
    mbps: 25000,
  });
  golden(new Wire(32, 1).le(16, 4, 3999).le(20, 4, 3).le(24, 8, 1n << 40n), {
    kind: "link_stat",
    xid: 3999,
    index: 3,
    count: 1n << 40n,
  });
  golden(new Wire(32, 2).le(16, 4, 3999).le(20, 4, 511).le(24, 8, 9n), {
    kind: "ethtool_stat",
    xid: 3999,
    index: 511,
    count: 9n,
  });
  golden(new Wire(24, 21).le(16, 8, 1n), {
    kind: "ext_enable",
    extensions: 1n,
  });
});

Deno.test("golden: BREAK, CHANGE_UPPER_XID and netns", () => {
  golden(new Wire(16, 0), { kind: "break" });
  golden(new Wire(32, 18).le(16, 4, 3000).le(20, 4, 3999).le(24, 1, 1), {
    kind: "change_upper_xid",
    upper: 3000,
    lower: 3999,
    linking: true,
  });
  golden(new Wire(24, 19).le(16, 8, 4026532001n), {
    kind: "netns_add",
    net: 4026532001n,
  });
  golden(new Wire(24, 20).le(16, 8, 4026532001n), {
    kind: "netns_del",
    net: 4026532001n,
  });
});

// --- round trips ---

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
