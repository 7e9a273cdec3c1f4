// The generated tables against the C compiler's view of the uapi header.
// (kinds_test.ts holds the hand-kept pairing of kinds and structs to
// docs/protocol.md, types_test.ts the message types to the kinds.)

import assert from "node:assert/strict";
import { abiLayout } from "../../tests/abi/layout.ts";
import { LINK_STAT } from "./abi.generated.ts";
import { GENERATED_PATH, renderAbi } from "../../scripts/gen_abi.ts";

const layout = await abiLayout();

Deno.test("abi: abi.generated.ts is what the header generates", async () => {
  const committed = await Deno.readTextFile(GENERATED_PATH);
  assert.ok(
    committed === renderAbi(layout),
    "switchd/protocol/abi.generated.ts is stale: run `deno task gen-abi`",
  );
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
