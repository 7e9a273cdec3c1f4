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

// PROTOCOL.md: header is 14 zero bytes, version 2, kind.
const VERSION = 2;
const KIND_NAMES = [
  "BREAK",
  "LINK_STAT",
  "ETHTOOL_STAT",
  "ETHTOOL_FLAGS",
  "ETHTOOL_SETTINGS",
  "LINK_MODES_SUPPORTED",
  "LINK_MODES_ADVERTISING",
  "LINK_MODES_LP_ADVERTISING",
  "DUMP_IFINFO",
  "CARRIER",
  "SPEED",
  "IFINFO",
  "IFA",
  "IFA6",
  "DUMP_FIBINFO",
  "FIBENTRY",
  "FIB6ENTRY",
  "NEIGH_UPDATE",
  "CHANGE_UPPER_XID",
  "NETNS_ADD",
  "NETNS_DEL",
];
const DUMP_IFINFO = 8, CARRIER = 9, SPEED = 10, DUMP_FIBINFO = 14;
const LINK_STAT = 1, IFINFO = 11, BREAK = 0;

function header(kind: number, size: number): Uint8Array {
  const m = new Uint8Array(size);
  m[14] = VERSION;
  m[15] = kind;
  return m;
}

function withU32(m: Uint8Array, off: number, v: number): Uint8Array {
  new DataView(m.buffer).setUint32(off, v, true);
  return m;
}

function kindName(k: number): string {
  return KIND_NAMES[k] ?? `KIND_${k}`;
}

const [mux, ...cmds] = Deno.args;
if (!mux) {
  console.error("usage: sbdp.ts MUX COMMAND...");
  Deno.exit(2);
}
using dp = openDataplane();
using conn = SidebandConnection.connect(dp, mux);
const batch = new SidebandBatch(64);

/** Reads until BREAK; returns per-kind counts, IFINFO names and batching. */
async function readDump() {
  const kinds: Record<string, number> = {};
  const ifnames: string[] = [];
  let calls = 0, messages = 0, largest = 0;
  for (;;) {
    const n = conn.recv(batch);
    if (n === 0) {
      await conn.wait(Ready.READABLE, 30_000);
      continue;
    }
    calls++;
    messages += n;
    largest = Math.max(largest, n);
    for (const m of batch.messages()) {
      const kind = m[15];
      if (kind === BREAK) {
        return { kinds, ifnames, calls, messages, largest };
      }
      kinds[kindName(kind)] = (kinds[kindName(kind)] ?? 0) + 1;
      if (kind === IFINFO) {
        const name = m.subarray(24, 40);
        const end = name.indexOf(0);
        ifnames.push(
          new TextDecoder().decode(name.subarray(0, end < 0 ? 16 : end)),
        );
      }
    }
  }
}

for (let i = 0; i < cmds.length; i++) {
  const cmd = cmds[i];
  if (cmd === "dump") {
    await conn.sendAll([header(DUMP_IFINFO, 16)]);
    console.log(JSON.stringify({ dump: "ifinfo", ...await readDump() }));
    await conn.sendAll([header(DUMP_FIBINFO, 16)]);
    console.log(JSON.stringify({ dump: "fibinfo", ...await readDump() }));
  } else if (cmd === "carrier") {
    const xid = Number(cmds[++i]), on = cmds[++i] === "on";
    const m = withU32(header(CARRIER, 24), 16, xid);
    m[20] = on ? 1 : 0;
    await conn.sendAll([m]);
  } else if (cmd === "speed") {
    const xid = Number(cmds[++i]), mbps = Number(cmds[++i]);
    await conn.sendAll([
      withU32(withU32(header(SPEED, 24), 16, xid), 20, mbps),
    ]);
  } else if (cmd === "stats") {
    const xid = Number(cmds[++i]), base = BigInt(cmds[++i]);
    const msgs = Array.from({ length: 24 }, (_, index) => {
      const m = withU32(withU32(header(LINK_STAT, 32), 16, xid), 20, index);
      new DataView(m.buffer).setBigUint64(24, base + BigInt(index), true);
      return m;
    });
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
      if (n === 0) await conn.wait(Ready.READABLE, 10_000);
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
