import { deepEqual, equal, match } from "node:assert/strict";
import { denoFigures, itemsPerIteration, lineFigures, table } from "./run.ts";

Deno.test("items per iteration come from the bench name", () => {
  deepEqual(itemsPerIteration("decode 1000 messages"), {
    count: 1000,
    unit: "messages",
  });
  deepEqual(itemsPerIteration("apply 10_000 routes (mirror)"), {
    count: 10000,
    unit: "routes",
  });
  equal(itemsPerIteration("plain JS function call"), undefined);
  equal(itemsPerIteration("0 messages"), undefined);
});

Deno.test("deno bench JSON gives an average and, with a count, a rate", () => {
  const f = denoFigures({
    benches: [{
      origin: "file:///x/bench/codec_bench.ts",
      group: null,
      name: "decode 1000 messages",
      results: [{ ok: { avg: 2_000_000, p99: 3e6, n: 10 } }],
    }, {
      origin: "file:///x/bench/codec_bench.ts",
      group: null,
      name: "failed one",
      results: [{}],
    }],
  });
  equal(f.length, 2);
  deepEqual(f[0], {
    source: "deno",
    suite: "bench/codec_bench.ts",
    metric: "decode 1000 messages (avg)",
    value: 2_000_000,
    unit: "ns/iter",
  });
  equal(f[1].unit, "messages/s");
  equal(f[1].value, 500_000);
});

Deno.test("bench: lines are flattened into figures with units", () => {
  const text = [
    "[6.12 sb_bench] # noise",
    '[6.12 sb_bench] bench: {"idle_latency_us": {"median": 385, "p99": 2504}, "kernel_s": 20.2, "ratio": 1.5, "label": "x", "rate": 7, "unit_rate": "routes/s", "switch_over_kernel": 1.7, "rss_mib": 700, "skipped": null}',
    "bench: {not json}",
  ].join("\n");
  const f = lineFigures("vm", "sb_bench", text);
  deepEqual(
    f.map((x) => [x.metric, x.value, x.unit]),
    [
      ["idle_latency_us.median", 385, "us"],
      ["idle_latency_us.p99", 2504, "us"],
      ["kernel_s", 20.2, "s"],
      ["ratio", 1.5, "x"],
      ["rate", 7, "routes/s"],
      ["switch_over_kernel", 1.7, "x"],
      ["rss_mib", 700, "MiB"],
    ],
  );
});

Deno.test("the table aligns columns and right-aligns values", () => {
  const t = table([
    { source: "vm", suite: "s", metric: "kernel_s", value: 20.21, unit: "s" },
    { source: "deno", suite: "b", metric: "m", value: 1234567, unit: "x/s" },
  ]).split("\n");
  equal(t.length, 4);
  match(t[0], /^source\s+suite\s+metric\s+value\s+unit$/);
  match(t[2], /kernel_s\s+20\.21\s+s$/);
  match(t[3], /1,234,567\s+x\/s$/);
});
