/**
 * Bulk side-band benchmark client through the data plane library: the time
 * until a daemon holds every route of an `ip -batch` run.
 *
 * usage: deno run -A tests/vm/tools/sbbulk.ts MUX COUNT4 COUNT6 SCRIPT
 *
 * SCRIPT is a bash script that inserts the routes (ip -batch in chunks).
 *
 * Routes counted are the benchmark's own: IPv4 in 10.0.0.0/8, IPv6 in
 * 2001:db8:100::/40 and above. When the kernel closes the connection (its
 * queue bound was hit) the client reconnects and dumps again, as SWITCHD
 * does, keeping what it holds until the new dump's BREAK replaces it
 * (mark and sweep), so a resync costs one dump, not a restart from zero.
 * Prints one JSON line.
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

const [mux, c4, c6, script] = Deno.args;
const want = Number(c4) + Number(c6);
const FIBENTRY = 15, FIB6ENTRY = 16, BREAK = 0, DEL = 3;

function request(kind: number): Uint8Array {
  const m = new Uint8Array(16);
  m[14] = 2;
  m[15] = kind;
  return m;
}

using dp = openDataplane();
const batch = new SidebandBatch(256);

async function connect(): Promise<SidebandConnection> {
  const c = SidebandConnection.connect(dp, mux);
  await c.sendAll([request(8), request(14)]); // DUMP_IFINFO, DUMP_FIBINFO
  return c;
}

let held = new Set<number | string>();
let seen: Set<number | string> | undefined; // during a resync dump
let breaks = 0; // BREAKs of the current connection: 2 ends its dumps
let resyncs = 0, messages = 0, calls = 0;

/** The benchmark route a message adds or deletes, else undefined. */
function routeKey(
  m: Uint8Array,
  dv: DataView,
): [number | string, boolean] | undefined {
  const kind = m[15];
  if (kind === FIBENTRY && m.length >= 40) {
    if (m[24] !== 10) return undefined;
    // address (be) and prefix length: a contiguous mask's ones
    const addr = dv.getUint32(24, false);
    const len = Math.clz32(~dv.getUint32(28, false));
    return [addr * 64 + len, m[32] !== DEL];
  }
  if (kind === FIB6ENTRY && m.length >= 80) {
    // 2001:0db8:01xx:: and above are the benchmark's
    if (dv.getUint32(24, false) !== 0x20010db8 || m[28] < 1) return undefined;
    const key = `${dv.getUint32(28)}:${dv.getUint32(32)}:${dv.getUint32(36)}/${
      m[40]
    }`;
    return [key, m[41] !== DEL];
  }
  return undefined;
}

let conn = await connect();
const t0 = performance.now();
const ip = new Deno.Command("bash", { args: [script] }).spawn();
// When ip is done the kernel has every route; the rest is delivery.
let ipSeconds = NaN;
let ipFailed = false;
const ipDone = ip.status.then((s) => {
  ipSeconds = (performance.now() - t0) / 1000;
  ipFailed = !s.success;
  return s;
});
// When ip is done, 30 s without a message means nothing more is coming.
let lastMessage = performance.now();

// Progress on stderr every 10 s: a million routes take minutes in a VM.
const progress = setInterval(() => {
  console.error(
    `sbbulk: ${held.size}/${want} routes held after ${
      Math.round((performance.now() - t0) / 1000)
    } s, ${resyncs} resyncs${Number.isNaN(ipSeconds) ? "" : ", ip done"}`,
  );
}, 10_000);

while (held.size < want || seen !== undefined) {
  let n: number;
  try {
    n = conn.recv(batch);
  } catch (e) {
    if (!isClosedError(e)) throw e;
    conn.close();
    conn = await connect();
    resyncs++;
    breaks = 0;
    seen = new Set();
    continue;
  }
  if (n === 0) {
    await conn.wait(Ready.READABLE, 1000);
    const silent = performance.now() - lastMessage;
    if (
      (ipFailed && silent > 5000) ||
      (!Number.isNaN(ipSeconds) && silent > 30_000)
    ) {
      console.error(
        `sbbulk: giving up with ${held.size}/${want} routes held: ip ${
          ipFailed ? "failed" : "finished"
        } and nothing arrived for ${Math.round(silent / 1000)} s`,
      );
      break;
    }
    continue;
  }
  lastMessage = performance.now();
  calls++;
  messages += n;
  // Let the progress timer run while messages keep coming.
  if (calls % 512 === 0) await new Promise((r) => setTimeout(r, 0));
  for (const m of batch.messages()) {
    if (m[15] === BREAK) {
      if (++breaks === 2 && seen !== undefined) {
        held = seen; // sweep: what the dump did not repeat is gone
        seen = undefined;
      }
      continue;
    }
    const dv = new DataView(m.buffer, m.byteOffset, m.byteLength);
    const r = routeKey(m, dv);
    if (r === undefined) continue;
    const [key, add] = r;
    if (add) {
      held.add(key);
      seen?.add(key);
    } else {
      held.delete(key);
      seen?.delete(key);
    }
  }
}
const seconds = (performance.now() - t0) / 1000;
clearInterval(progress);
const status = await ipDone;
conn.close();
if (!status.success) {
  console.error(`sbbulk: ip -batch failed (exit ${status.code})`);
  Deno.exit(1);
}
console.log(JSON.stringify({
  metric: "bulk_daemon_s",
  client: "deno+libxeth_dataplane",
  routes: held.size,
  resyncs,
  messages,
  receive_calls: calls,
  seconds: Math.round(seconds * 100) / 100,
  ip_seconds: Math.round(ipSeconds * 100) / 100,
}));
