/**
 * SWITCHD's memory and time for a full table on the host: IPv4 /32s and
 * IPv6 /64s (1M + 200k by default, as bench/vm/sb_bench.sh inserts them)
 * as FIBENTRY and FIB6ENTRY messages, through the path the session takes
 * (batches of 128 decoded, the mirror, the software switch of the data
 * plane library, programmed per batch), on a mux that does not exist.
 * Prints one `bench: {json}` line: seconds, routes/s, resident memory
 * now and at most (VmRSS, VmHWM), the V8 heap, and what the mirror and
 * switch hold.
 *
 *   deno run -A bench/switchd_memory.ts [ROUTES4 [ROUTES6]]
 *
 * With XETH_BENCH_OFFLOAD=1 the messages carry the fib-offload cookie,
 * the mirror keeps it, and the route results are made as SWITCHD makes
 * them (after each batch, and for every route once at the end, as after
 * a resync) and counted instead of sent.
 *
 * `deno task bench` runs it; it is a script rather than a `deno bench`
 * file because the figure is a process's peak, which takes a process of
 * its own.
 *
 * @module
 */

import { openDataplane } from "../ffi/library.ts";
import { type Change, Mirror } from "../switchd/mirror/mirror.ts";
import { decodeBatch } from "../switchd/protocol/decode.ts";
import { encode } from "../switchd/protocol/encode.ts";
import { FIB_EVENT } from "../switchd/protocol/kinds.ts";
import { portInfo } from "../switchd/protocol/fixtures.ts";
import type { Message } from "../switchd/protocol/types.ts";
import { SoftwareSwitch } from "../switchd/software/backend.ts";
import { FIB_OFFLOAD_EXT, OffloadReporter } from "../switchd/offload.ts";

const N4 = Number(Deno.args[0] ?? 1_000_000);
const N6 = Number(Deno.args[1] ?? 200_000);
const OFFLOAD = Deno.env.get("XETH_BENCH_OFFLOAD") === "1";
const BATCH = 128;
const IFINDEX = 3;

function kib(field: string): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return m ? Number(m[1]) : NaN;
}

const mib = (kb: number) => Math.round(kb / 1024);

/** The i-th route message, as the kernel sends it. */
function route(i: number): Message {
  const m = plainRoute(i);
  if (OFFLOAD && (m.kind === "fibentry" || m.kind === "fib6entry")) {
    m.cookie = BigInt(i + 1);
  }
  return m;
}

function plainRoute(i: number): Message {
  if (i < N4) {
    return {
      kind: "fibentry",
      net: 1n,
      address: (10 << 24 | i) >>> 0,
      prefixLength: 32,
      event: FIB_EVENT.REPLACE,
      tos: 0,
      type: 1,
      table: 254,
      nextHops: [{
        ifindex: IFINDEX,
        weight: 1,
        flags: 0,
        gw: 0xc0000202,
        scope: 0,
      }],
    };
  }
  const j = i - N4;
  return {
    kind: "fib6entry",
    net: 1n,
    address: (0x20010db8n << 96n) | (BigInt(0x100 + (j >> 16)) << 80n) |
      (BigInt(j & 0xffff) << 64n),
    prefixLength: 64,
    event: FIB_EVENT.REPLACE,
    type: 1,
    table: 254,
    nextHops: [{
      ifindex: IFINDEX,
      weight: 1,
      flags: 0,
      gw: 0x20010db8n << 96n | 2n,
    }],
  };
}

const dp = openDataplane();
const sw = SoftwareSwitch.open(dp, `xmem${Deno.pid % 10000}`, {
  statNames: () => [],
});
const mirror = new Mirror();
await sw.apply(mirror.apply(portInfo(7, { ifindex: IFINDEX, net: 1n })));
let resultBytes = 0;
const reporter = new OffloadReporter(sw, {
  extensions: FIB_OFFLOAD_EXT,
  mirror,
  send(messages) {
    for (const m of messages) resultBytes += m.length;
    return Promise.resolve(true);
  },
});

const buf = new Uint8Array(BATCH * 128);
const lens = new Uint32Array(BATCH);
const batch = { buf, lens, count: 0 };
const rssBefore = kib("VmRSS");
const t0 = performance.now();
for (let i = 0; i < N4 + N6; i += BATCH) {
  let at = 0;
  batch.count = Math.min(BATCH, N4 + N6 - i);
  for (let k = 0; k < batch.count; k++) {
    const m = encode(route(i + k));
    buf.set(m, at);
    lens[k] = m.length;
    at += m.length;
  }
  const changes: Change[] = [];
  for (const m of decodeBatch(batch)) {
    if (m.kind === "invalid") throw new Error(`invalid: ${m.detail}`);
    changes.push(...mirror.apply(m));
  }
  await sw.apply(changes);
  if (OFFLOAD) {
    reporter.changed();
    await reporter.settled();
  }
}
let statusSeconds = 0;
if (OFFLOAD) {
  const t1 = performance.now();
  reporter.synced();
  await new Promise((ok) => setTimeout(ok, 0));
  await reporter.settled();
  statusSeconds = (performance.now() - t1) / 1000;
}
const seconds = (performance.now() - t0) / 1000;
const summary = await sw.summary();
const heap = Deno.memoryUsage();
console.log(
  "bench: " + JSON.stringify({
    routes4: N4,
    routes6: N6,
    seconds: Number(seconds.toFixed(2)),
    rate: Math.round((N4 + N6) / seconds),
    unit_rate: "routes/s",
    mirror_routes: mirror.fib.size,
    switch_routes: Number(summary.routes4 + summary.routes6),
    errors: Number(summary["switchd.errors"]),
    rss_before_mib: mib(rssBefore),
    rss_mib: mib(kib("VmRSS")),
    peak_rss_mib: mib(kib("VmHWM")),
    heap_used_mib: Math.round(heap.heapUsed / 2 ** 20),
    external_mib: Math.round(heap.external / 2 ** 20),
    ...(OFFLOAD
      ? {
        results: reporter.counters.offload + reporter.counters.trap +
          reporter.counters.failed,
        result_mib: Math.round(resultBytes / 2 ** 20),
        status_seconds: Number(statusSeconds.toFixed(2)),
      }
      : {}),
  }),
);
await sw.close();
dp.close();
