// The codec's tables against the C compiler's view of the uapi header, and
// the hand-kept parts of the codec against docs/protocol.md.

import assert from "node:assert/strict";
import { abiLayout } from "../../tests/abi/layout.ts";
import { LINK_STAT, MSG_KIND, STRUCTS } from "./abi.generated.ts";
import { GENERATED_PATH, renderAbi } from "../../scripts/gen_abi.ts";
import {
  DAEMON_KINDS,
  FIB_EVENT,
  fixedSize,
  KIND,
  KIND_NAMES,
  type KindName,
  STRUCT_OF,
} from "./kinds.ts";
import type { Message } from "./types.ts";

const layout = await abiLayout();

Deno.test("abi: abi.generated.ts is what the header generates", async () => {
  const committed = await Deno.readTextFile(GENERATED_PATH);
  assert.ok(
    committed === renderAbi(layout),
    "switchd/protocol/abi.generated.ts is stale: run `deno task gen-abi`",
  );
});

Deno.test("abi: every kind has a name, a struct and a size", () => {
  assert.deepEqual(
    Object.keys(KIND),
    Object.keys(MSG_KIND).map((k) => k.toLowerCase()),
  );
  assert.equal(KIND_NAMES.length, Object.keys(MSG_KIND).length);
  KIND_NAMES.forEach((name, n) => {
    assert.ok(name !== undefined, `kind ${n} has a name`);
    assert.equal(KIND[name], n);
    assert.ok(fixedSize(n) >= STRUCTS.xeth_msg_header.size, name);
  });
  // every message struct is some kind's (the next hops are parts)
  const used = new Set(Object.values(STRUCT_OF));
  const parts = ["xeth_msg_header", "xeth_next_hop", "xeth_next_hop6"];
  assert.deepEqual(
    Object.keys(STRUCTS).filter((s) => !used.has(s as keyof typeof STRUCTS)),
    parts,
  );
});

Deno.test("abi: sizes per kind as docs/protocol.md lists them", () => {
  const sizes: Record<KindName, number> = {
    break: 16,
    link_stat: 32,
    ethtool_stat: 32,
    ethtool_flags: 24,
    ethtool_settings: 32,
    ethtool_link_modes_supported: 32,
    ethtool_link_modes_advertising: 32,
    ethtool_link_modes_lp_advertising: 32,
    dump_ifinfo: 16,
    carrier: 24,
    speed: 24,
    ifinfo: 72,
    ifa: 32,
    ifa6: 48,
    dump_fibinfo: 16,
    fibentry: 40,
    fib6entry: 80,
    neigh_update: 56,
    change_upper_xid: 32,
    netns_add: 24,
    netns_del: 24,
    ext_enable: 24,
    ethtool_link_modes_ext: 24,
  };
  for (const [k, size] of Object.entries(sizes)) {
    assert.equal(fixedSize(KIND[k as KindName]), size, k);
  }
});

Deno.test("abi: daemon kinds and FIB events as docs/protocol.md gives them", () => {
  assert.deepEqual(
    [...DAEMON_KINDS].map((k) => KIND[k]).sort((a, b) => a - b),
    [1, 2, 8, 9, 10, 14, 21],
  );
  assert.deepEqual(FIB_EVENT, { REPLACE: 0, APPEND: 1, ADD: 2, DEL: 3 });
});

Deno.test("abi: link stat indexes in struct rtnl_link_stats64 order", () => {
  const order = [
    "rx_packets",
    "tx_packets",
    "rx_bytes",
    "tx_bytes",
    "rx_errors",
    "tx_errors",
    "rx_dropped",
    "tx_dropped",
    "multicast",
    "collisions",
    "rx_length_errors",
    "rx_over_errors",
    "rx_crc_errors",
    "rx_frame_errors",
    "rx_fifo_errors",
    "rx_missed_errors",
    "tx_aborted_errors",
    "tx_carrier_errors",
    "tx_fifo_errors",
    "tx_heartbeat_errors",
    "tx_window_errors",
    "rx_compressed",
    "tx_compressed",
    "rx_nohandler",
  ];
  assert.deepEqual(
    Object.entries(LINK_STAT),
    order.map((s, i) => [s.toUpperCase(), i]),
  );
});

// Compile-time: every kind has a message type, and every message type is
// a kind. A kind added to the header breaks `deno check` here until
// types.ts has it.
type Missing = Exclude<KindName, Message["kind"]>;
type Extra = Exclude<Message["kind"], KindName>;
const complete: [Missing, Extra] extends [never, never] ? true : false = true;

Deno.test("abi: every kind has a message type", () => {
  assert.equal(complete, true);
});
