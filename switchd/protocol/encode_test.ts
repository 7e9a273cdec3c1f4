// The encoder refuses values that do not fit and writes where it is told;
// and a second opinion on its bytes: tests/vm/tools/sbclient.py decodes the
// wire format from docs/protocol.md with Python's struct module,
// independently of the header and of this codec, and must read our bytes
// as we do.

import assert from "node:assert/strict";
import { formatIp4, formatIp6, formatMac, ip4Mask } from "./addresses.ts";
import { decode } from "./decode.ts";
import { encode, encodeInto } from "./encode.ts";
import {
  fib6entry,
  fibentry,
  ifinfo,
  neigh,
  nextHop,
  SAMPLES,
} from "./fixtures.ts";
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

// --- sbclient.py reads the same ---

const TOOLS = new URL("../../tests/vm/tools/", import.meta.url).pathname;

// Every int as a string: JSON.parse would round the u64 ones.
const PY = `
import json, sys
sys.path.insert(0, sys.argv[1])
from sbclient import decode
def strs(x):
    if isinstance(x, bool): return x
    if isinstance(x, int): return str(x)
    if isinstance(x, list): return [strs(v) for v in x]
    if isinstance(x, dict): return {k: strs(v) for k, v in x.items()}
    return x
for line in sys.stdin:
    print(json.dumps(strs(decode(bytes.fromhex(line.strip())))))
`;

function hasPython(): boolean {
  try {
    return new Deno.Command("python3", { args: ["-c", ""] }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const REASONS = [
  "NEW",
  "DEL",
  "UP",
  "DOWN",
  "DUMP",
  "REG",
  "UNREG",
  "FEATURES",
];

/** What sbclient.py's decode() says about `m`, ints as strings. */
function expected(m: Message): Record<string, unknown> {
  const len = String(encode(m).length);
  const s = (o: Record<string, number | bigint | string | unknown[]>) =>
    Object.fromEntries(
      Object.entries(o).map((
        [k, v],
      ) => [k, typeof v === "object" ? v : String(v)]),
    );
  switch (m.kind) {
    case "ifinfo":
      return {
        kind: "IFINFO",
        len,
        ...s({
          xid: m.xid,
          kdata: m.kdata,
          net: m.net,
          ifindex: m.ifindex,
          flags: m.flags,
          devkind: m.devKind,
          features: m.features,
        }),
        ifname: m.ifname,
        addr: formatMac(m.addr),
        reason: REASONS[m.reason],
      };
    case "ifa":
      return {
        kind: "IFA",
        len,
        ...s({ xid: m.xid, event: m.event }),
        address: formatIp4(m.address),
        mask: formatIp4(ip4Mask(m.prefixLength)),
      };
    case "ifa6":
      return {
        kind: "IFA6",
        len,
        ...s({ xid: m.xid, event: m.event, length: m.prefixLength }),
        address: formatIp6(m.address),
      };
    case "ethtool_settings":
      return {
        kind: "ETHTOOL_SETTINGS",
        len,
        ...s({
          xid: m.xid,
          speed: m.speed,
          duplex: m.duplex,
          port: m.port,
          autoneg: m.autoneg,
        }),
      };
    case "ethtool_flags":
      return {
        kind: "ETHTOOL_FLAGS",
        len,
        ...s({ xid: m.xid, flags: m.flags }),
      };
    case "ethtool_link_modes_supported":
    case "ethtool_link_modes_advertising":
    case "ethtool_link_modes_lp_advertising":
      return {
        kind: m.kind.replace("ethtool_", "").toUpperCase(),
        len,
        ...s({ xid: m.xid, modes: m.modes }),
      };
    case "ethtool_link_modes_ext": {
      const bits: string[] = [];
      for (let b = 0; m.modes >> BigInt(b) !== 0n; b++) {
        if ((m.modes >> BigInt(b)) & 1n) bits.push(String(b));
      }
      return {
        kind: "LINK_MODES_EXT",
        len,
        ...s({ xid: m.xid, which: m.which, nwords: m.nwords }),
        bits,
      };
    }
    case "change_upper_xid":
      return {
        kind: "CHANGE_UPPER_XID",
        len,
        ...s({ upper: m.upper, lower: m.lower, linking: m.linking ? 1 : 0 }),
      };
    case "fibentry":
      return {
        kind: "FIBENTRY",
        len,
        ...s({ net: m.net, event: m.event, tos: m.tos, type: m.type }),
        table: String(m.table),
        prefix: `${formatIp4(m.address)}/${m.prefixLength}`,
        nh: m.nextHops.map((nh) => ({
          ...s({
            ifindex: nh.ifindex,
            weight: nh.weight,
            flags: nh.flags,
            scope: nh.scope,
          }),
          gw: formatIp4(nh.gw),
        })),
      };
    case "fib6entry":
      return {
        kind: "FIB6ENTRY",
        len,
        ...s({ net: m.net, event: m.event, type: m.type, table: m.table }),
        prefix: `${formatIp6(m.address)}/${m.prefixLength}`,
        nh: m.nextHops.map((nh) => ({
          ...s({ ifindex: nh.ifindex, weight: nh.weight, flags: nh.flags }),
          gw: formatIp6(nh.gw),
        })),
      };
    case "neigh_update":
      return {
        kind: "NEIGH_UPDATE",
        len,
        ...s({
          net: m.net,
          ifindex: m.ifindex,
          family: m.family === "inet" ? 2 : 10,
        }),
        dst: m.family === "inet" ? formatIp4(m.dst) : formatIp6(m.dst),
        lladdr: formatMac(m.lladdr),
      };
    case "netns_add":
    case "netns_del":
      return { kind: m.kind.toUpperCase(), len, net: String(m.net) };
  }
  // daemon-to-kernel kinds: sbclient.py names them only
  return { kind: m.kind.toUpperCase(), len };
}

Deno.test({
  name: "sbclient.py reads our bytes as we do",
  ignore: !hasPython(),
  async fn() {
    const messages: Message[] = [
      // the fib-offload extension's cookies and results are not its own
      ...SAMPLES.filter((m) =>
        m.kind !== "fib_offload" &&
        !((m.kind === "fibentry" || m.kind === "fib6entry") && m.cookie)
      ),
      fibentry(0),
      fibentry(8, 300),
      { ...fibentry(1), nextHops: [{ ...nextHop(0), ifindex: -5 }] },
      fib6entry(0),
      fib6entry(7, 9),
      neigh("inet", 0),
      neigh("inet6", 0xffff_ffff_ffff),
      ...[0, 1, 2, 3, 4, 5, 6, 7].map(ifinfo),
    ];
    const child = new Deno.Command("python3", {
      args: ["-c", PY, TOOLS],
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    const hex = messages.map((m) =>
      Array.from(encode(m), (b) => b.toString(16).padStart(2, "0")).join("")
    );
    await writer.write(new TextEncoder().encode(hex.join("\n") + "\n"));
    await writer.close();
    const out = await child.output();
    assert.ok(out.success, "python3 sbclient decode");
    const got = new TextDecoder().decode(out.stdout).trim().split("\n").map((
      l,
    ) => JSON.parse(l));
    assert.equal(got.length, messages.length);
    messages.forEach((m, i) => assert.deepEqual(got[i], expected(m), m.kind));
  },
});
