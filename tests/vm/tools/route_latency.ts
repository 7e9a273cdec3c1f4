/**
 * Idle latency from the kernel to the software SWITCH:
 *
 *   route_latency.ts CONTROL DEV SAMPLES
 *
 * Adds SAMPLES IPv4 routes (198.18.x.y/32 dev DEV) one at a time through
 * one long-running `ip -batch -`, 5 ms apart, and for each measures from
 * writing the command to ip until SWITCHD's software switch held it: the
 * moment SWITCHD says it programmed the switch (`show switch`,
 * `switchd.programmed_at_us`), read once SWITCHD, asked through its
 * control socket, counts one route more (`routes4`). The switch is
 * programmed in the same turn as the mirror is updated, so this is also
 * the time into the mirror. The tool first asks 25 ms after each route
 * and then every 25 ms, so that its questions do not load SWITCHD while
 * the route arrives; how soon they noticed is reported beside it as
 * "observed", and the moment the mirror changed (`show
 * session`, `changed_at_ms`, asked once the switch had it) as "mirror":
 * the switch's share is the difference; and when `ip -ts monitor route`
 * heard the kernel announce it as "netlink": what a listener with no work
 * of its own sees, the mirror's share being the difference. Prints one
 * JSON line {"samples", "median_ms", "p99_ms", "max_ms",
 * "netlink_median_ms", "mirror_median_ms",
 * "observed_median_ms", "observed_p99_ms"}; the routes are removed at the
 * end.
 *
 * @module
 */

import { eachLine } from "../../lines.ts";
import { queryControl } from "../../../switchd/control.ts";
import { epochMs } from "../../../switchd/epoch.ts";

const [control, dev, samplesArg] = Deno.args;
const samples = Number(samplesArg ?? 200);
if (!control || !dev || !(samples > 0)) {
  console.error("usage: route_latency.ts CONTROL DEV SAMPLES");
  Deno.exit(2);
}

/** The switch's IPv4 routes, and when SWITCHD last programmed it. */
async function routes4(): Promise<{ n: number; at: number }> {
  const s = await queryControl(control, { show: "switch" }) as Record<
    string,
    string
  >;
  return {
    n: Number(s.routes4 ?? 0),
    at: Number(s["switchd.programmed_at_us"] ?? NaN) / 1000,
  };
}

// Another listener of the kernel's route events, for the split: `ip -ts
// monitor` stamps each event (local time, to the microsecond) as it reads
// it from its netlink socket, which no daemon's work delays.
const monitor = new Deno.Command("ip", {
  args: ["-ts", "monitor", "route"],
  stdout: "piped",
}).spawn();
const heard = new Map<string, number>();
const listening = eachLine(monitor.stdout, (l) => {
  const m = l.match(
    /^\[([\d-]+T[\d:]+\.\d{3})(\d*)\] (198\.18\.\d+\.\d+) /,
  );
  if (m && !heard.has(m[3])) {
    heard.set(m[3], Date.parse(m[1]) + Number(`0.${m[2] || "0"}`));
  }
});
// the monitor listens before the first route (its start is not timed)
await new Promise((r) => setTimeout(r, 500));

const ip = new Deno.Command("ip", { args: ["-batch", "-"], stdin: "piped" })
  .spawn();
const writer = ip.stdin.getWriter();
const enc = new TextEncoder();
const prefix = (i: number) => `198.18.${i >> 8}.${i & 255}/32`;
/** How long to leave SWITCHD alone before asking (again). */
const ASK_EVERY_MS = 25;
const starts: number[] = [];
const times: number[] = [];
const observed: number[] = [];
const intoMirror: number[] = [];
let have = (await routes4()).n;
for (let i = 0; i < samples; i++) {
  const t0 = epochMs();
  starts.push(t0);
  await writer.write(enc.encode(`route add ${prefix(i)} dev ${dev}\n`));
  const deadline = t0 + 10_000;
  // SWITCHD says when it programmed the route, so the questions need not
  // catch the moment: asking back to back would keep its event loop busy
  // answering them just when the route arrives (each answer is a connection
  // and a JSON summary, milliseconds under TCG), and delay what is measured.
  let now: Awaited<ReturnType<typeof routes4>>;
  do {
    await new Promise((r) => setTimeout(r, ASK_EVERY_MS));
    if (epochMs() > deadline) {
      console.error(`route ${prefix(i)} did not reach the switch in 10 s`);
      Deno.exit(1);
    }
    now = await routes4();
  } while (now.n <= have);
  observed.push(epochMs() - t0);
  if (!(now.at >= t0)) {
    console.error(
      `SWITCHD reports no programming time after the route's (${now.at} < ${t0}): is it older than switchd.programmed_at_us?`,
    );
    Deno.exit(1);
  }
  times.push(now.at - t0);
  const session = await queryControl(control, { show: "session" }) as {
    changed_at_ms?: number;
  };
  if (session.changed_at_ms !== undefined) {
    intoMirror.push(session.changed_at_ms - t0);
  }
  have++;
  await new Promise((r) => setTimeout(r, 5));
}
for (let i = 0; i < samples; i++) {
  await writer.write(enc.encode(`route del ${prefix(i)} dev ${dev}\n`));
}
await writer.close();
await ip.status;
monitor.kill();
await monitor.status;
await listening.catch(() => {});
// A route the monitor missed, or a SWITCHD that tells no changed_at_ms,
// leaves its sample out: a NaN would make the sort's order arbitrary.
const intoNetlink = starts.flatMap((t0, i) => {
  const at = heard.get(prefix(i).replace("/32", ""));
  return at === undefined ? [] : [at - t0];
});
const quantile = (xs: number[], q: number) => {
  const sorted = xs.toSorted((a, b) => a - b);
  return sorted.length
    ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
    : NaN;
};
// JSON has no NaN: a figure with no sample is null
const ms = (x: number) => Number.isFinite(x) ? Number(x.toFixed(2)) : null;
console.log(JSON.stringify({
  samples,
  median_ms: ms(quantile(times, 0.5)),
  p99_ms: ms(quantile(times, 0.99)),
  max_ms: ms(Math.max(...times)),
  netlink_median_ms: ms(quantile(intoNetlink, 0.5)),
  netlink_samples: intoNetlink.length,
  mirror_median_ms: ms(quantile(intoMirror, 0.5)),
  mirror_samples: intoMirror.length,
  observed_median_ms: ms(quantile(observed, 0.5)),
  observed_p99_ms: ms(quantile(observed, 0.99)),
}));
