/**
 * A side-band client that goes through the data plane library (the path
 * SWITCHD takes), for VM scenarios against the real module.
 *
 * usage: deno run -A tests/vm/tools/sbdp.ts MUX COMMAND...
 *   dump                 DUMP_IFINFO, read to BREAK, DUMP_FIBINFO, read to
 *                        BREAK; print one JSON summary line per dump
 *   carrier XID on|off   send CARRIER
 *   speed XID MBPS       send SPEED
 *   stats XID BASE       send LINK_STAT index 0..23 with counts BASE+index,
 *                        all 24 in one batch
 *   pause MS             read nothing for MS ms
 *   drain N              read until N messages arrived; print the time
 *   hold MS              keep reading (waiting, not polling) for MS ms or
 *                        until the kernel closes; print {"eof":bool,"count":n}
 * Commands run in order on one connection.
 *
 * @module
 */

import { openDataplane } from "../../../ffi/library.ts";
import {
  isClosedError,
  Ready,
  SidebandBatch,
  SidebandConnection,
} from "../../../ffi/sideband.ts";
import { decodeBatch } from "../../../switchd/protocol/decode.ts";
import type { Decoded } from "../../../switchd/protocol/types.ts";
import {
  carrier,
  dumpFibinfo,
  dumpIfinfo,
  linkStat,
  speed,
} from "../../../switchd/protocol/requests.ts";

/** A decoded message's kind as the scenarios name it (IFINFO, FIBENTRY). */
function kindLabel(m: Decoded): string {
  return m.kind === "invalid" ? `INVALID_${m.reason}` : m.kind.toUpperCase();
}

const [mux, ...cmds] = Deno.args;
if (!mux) {
  console.error("usage: sbdp.ts MUX COMMAND...");
  Deno.exit(2);
}
using dp = openDataplane();
using conn = SidebandConnection.connect(dp, mux);
const batch = new SidebandBatch(64);
/** The rig's time scale (tests/vm/calibrate.ts): every bound grows with it. */
const SCALE = Number(Deno.env.get("XETH_TIME_SCALE") ?? "1") || 1;

/** Reads until BREAK; returns per-kind counts, IFINFO names and batching. */
async function readDump() {
  const kinds: Record<string, number> = {};
  const ifnames: string[] = [];
  let calls = 0, messages = 0, largest = 0;
  for (;;) {
    const n = conn.recv(batch);
    if (n === 0) {
      await conn.wait(Ready.READABLE, Math.round(30_000 * SCALE));
      continue;
    }
    calls++;
    messages += n;
    largest = Math.max(largest, n);
    for (const m of decodeBatch(batch)) {
      if (m.kind === "break") {
        return { kinds, ifnames, calls, messages, largest };
      }
      const label = kindLabel(m);
      kinds[label] = (kinds[label] ?? 0) + 1;
      if (m.kind === "ifinfo") ifnames.push(m.ifname);
    }
  }
}

for (let i = 0; i < cmds.length; i++) {
  const cmd = cmds[i];
  if (cmd === "dump") {
    await conn.sendAll([dumpIfinfo()]);
    console.log(JSON.stringify({ dump: "ifinfo", ...await readDump() }));
    await conn.sendAll([dumpFibinfo()]);
    console.log(JSON.stringify({ dump: "fibinfo", ...await readDump() }));
  } else if (cmd === "carrier") {
    const xid = Number(cmds[++i]), on = cmds[++i] === "on";
    await conn.sendAll([carrier(xid, on)]);
  } else if (cmd === "speed") {
    const xid = Number(cmds[++i]), mbps = Number(cmds[++i]);
    await conn.sendAll([speed(xid, mbps)]);
  } else if (cmd === "stats") {
    const xid = Number(cmds[++i]), base = BigInt(cmds[++i]);
    const msgs = Array.from(
      { length: 24 },
      (_, index) => linkStat(xid, index, base + BigInt(index)),
    );
    console.log(JSON.stringify({ sent: conn.send(msgs) }));
  } else if (cmd === "pause") {
    // Reads nothing for MS: the kernel's queue fills meanwhile.
    await new Promise((r) => setTimeout(r, Number(cmds[++i])));
  } else if (cmd === "drain") {
    // Reads until N messages arrived; prints how long it took.
    const want = Number(cmds[++i]);
    const t0 = performance.now();
    let count = 0, calls = 0;
    while (count < want) {
      const n = conn.recv(batch);
      count += n;
      if (n === 0) await conn.wait(Ready.READABLE, Math.round(10_000 * SCALE));
      else calls++;
    }
    console.log(JSON.stringify({
      drained: count,
      calls,
      ms: Math.round(performance.now() - t0),
    }));
  } else if (cmd === "hold") {
    const until = Date.now() + Number(cmds[++i]);
    let count = 0, eof = false;
    try {
      while (Date.now() < until) {
        const n = conn.recv(batch);
        count += n;
        if (n === 0) {
          await conn.wait(Ready.READABLE, Math.max(0, until - Date.now()));
        }
      }
    } catch (e) {
      if (!isClosedError(e)) throw e;
      eof = true;
    }
    console.log(JSON.stringify({ eof, count }));
  } else {
    console.error(`sbdp: unknown command ${cmd}`);
    Deno.exit(2);
  }
}
