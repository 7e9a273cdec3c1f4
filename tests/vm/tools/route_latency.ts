/**
 * Idle latency from the kernel to the software SWITCH:
 *
 *   route_latency.ts CONTROL DEV SAMPLES
 *
 * Adds SAMPLES IPv4 routes (198.18.x.y/32 dev DEV) one at a time through
 * one long-running `ip -batch -`, 5 ms apart, and for each measures from
 * writing the command to ip until SWITCHD, asked through its control
 * socket, counts one route more in its software switch (`show switch`,
 * `routes4`). The switch is programmed in the same turn as the mirror is
 * updated, so this is also the time into the mirror. Prints one JSON line
 * {"samples", "median_ms", "p99_ms", "max_ms"}; the routes are removed at
 * the end.
 *
 * @module
 */

import { queryControl } from "../../../switchd/control.ts";

const [control, dev, samplesArg] = Deno.args;
const samples = Number(samplesArg ?? 200);
if (!control || !dev || !(samples > 0)) {
  console.error("usage: route_latency.ts CONTROL DEV SAMPLES");
  Deno.exit(2);
}

async function routes4(): Promise<number> {
  const s = await queryControl(control, { show: "switch" }) as Record<
    string,
    string
  >;
  return Number(s.routes4 ?? 0);
}

const ip = new Deno.Command("ip", { args: ["-batch", "-"], stdin: "piped" })
  .spawn();
const writer = ip.stdin.getWriter();
const enc = new TextEncoder();
const prefix = (i: number) => `198.18.${i >> 8}.${i & 255}/32`;
const times: number[] = [];
let have = await routes4();
for (let i = 0; i < samples; i++) {
  const t0 = performance.now();
  await writer.write(enc.encode(`route add ${prefix(i)} dev ${dev}\n`));
  const deadline = t0 + 10_000;
  while ((await routes4()) <= have) {
    if (performance.now() > deadline) {
      console.error(`route ${prefix(i)} did not reach the switch in 10 s`);
      Deno.exit(1);
    }
  }
  times.push(performance.now() - t0);
  have++;
  await new Promise((r) => setTimeout(r, 5));
}
for (let i = 0; i < samples; i++) {
  await writer.write(enc.encode(`route del ${prefix(i)} dev ${dev}\n`));
}
await writer.close();
await ip.status;
times.sort((a, b) => a - b);
const at = (q: number) =>
  times[Math.min(times.length - 1, Math.floor(q * times.length))];
console.log(JSON.stringify({
  samples,
  median_ms: Number(at(0.5).toFixed(2)),
  p99_ms: Number(at(0.99).toFixed(2)),
  max_ms: Number(times[times.length - 1].toFixed(2)),
}));
