/**
 * `deno task bench`: runs every benchmark and prints one side-by-side table,
 * and writes the same figures with the machine and versions to a JSON file.
 *
 * Sources:
 * - `deno bench` files in bench/ (`*_bench.ts`), read from `--json` output;
 *   a bench whose name says how many items one iteration handles ("decode
 *   1000 messages") also gets a rate in items per second;
 * - bench/switchd_memory.ts, SWITCHD's path for a full table in a process
 *   of its own (its peak memory), which prints a `bench: {json}` line;
 * - `cargo bench` of the data plane; its benches print `bench: {json}` lines;
 * - the VM scenarios in bench/vm/ on one kernel, which print `bench: {json}`.
 *
 * Benchmarks print numbers and never judge them; a part that fails to run is
 * reported and makes the exit status non-zero, the others still run.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ROOT } from "../tests/vm/rig.ts";

/** One measured figure. */
export interface Figure {
  source: "deno" | "cargo" | "vm";
  /** the benchmark file, crate bench or VM scenario */
  suite: string;
  metric: string;
  value: number;
  unit: string;
}

const HELP =
  `usage: deno task bench [--kernel 6.1|6.12] [--only deno,cargo,vm] [--json FILE]

Runs deno bench (bench/*_bench.ts), cargo bench (dataplane/) and the VM
benchmarks (bench/vm/*.sh, on one kernel under QEMU) and prints a table.
XETH_BENCH_* variables reach the VM scenarios (see bench/vm/README.md).
The JSON file (default build/bench/bench-<time>.json) holds every figure,
the machine and the versions, for comparing runs.`;

/** Items per iteration named in a bench name: "decode 1000 messages". */
export function itemsPerIteration(
  name: string,
): { count: number; unit: string } | undefined {
  const m = name.match(/\b(\d[\d_,]*)\s+([a-z]+s)\b/i);
  if (!m) return undefined;
  const count = Number(m[1].replace(/[_,]/g, ""));
  return count > 0 ? { count, unit: m[2] } : undefined;
}

interface DenoBenchJson {
  benches: {
    origin: string;
    group: string | null;
    name: string;
    results: { ok?: { avg: number; p99: number; n: number } }[];
  }[];
}

/** Figures from `deno bench --json` output. */
export function denoFigures(json: DenoBenchJson): Figure[] {
  const out: Figure[] = [];
  for (const b of json.benches) {
    const ok = b.results[0]?.ok;
    if (!ok) continue;
    const suite = b.origin.replace(/^.*\/bench\//, "bench/");
    out.push({
      source: "deno",
      suite,
      metric: `${b.name} (avg)`,
      value: ok.avg,
      unit: "ns/iter",
    });
    const items = itemsPerIteration(b.name);
    if (items) {
      out.push({
        source: "deno",
        suite,
        metric: `${b.name} (rate)`,
        value: items.count / (ok.avg * 1e-9),
        unit: `${items.unit}/s`,
      });
    }
  }
  return out;
}

/**
 * Figures from `bench: {json}` lines: every numeric field becomes a figure;
 * nested objects are flattened with dots. A field named `unit_<key>` gives
 * the unit of `<key>`; otherwise the key's suffix (_s, _us, _fps, ...) does.
 */
export function lineFigures(
  source: Figure["source"],
  suite: string,
  text: string,
): Figure[] {
  const out: Figure[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(/bench: (\{.*\})\s*$/);
    if (!m) continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(m[1]);
    } catch {
      continue;
    }
    const flat = flatten(obj);
    for (const [k, v] of Object.entries(flat)) {
      if (typeof v !== "number" || k.startsWith("unit_")) continue;
      const unit = typeof flat[`unit_${k}`] === "string"
        ? String(flat[`unit_${k}`])
        : unitOf(k);
      out.push({ source, suite, metric: k, value: v, unit });
    }
  }
  return out;
}

function flatten(
  o: Record<string, unknown>,
  prefix = "",
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      Object.assign(
        out,
        flatten(v as Record<string, unknown>, `${prefix}${k}.`),
      );
    } else out[`${prefix}${k}`] = v;
  }
  return out;
}

function unitOf(key: string): string {
  const last = key.split(".").pop() ?? key;
  const suffixes: [RegExp, string][] = [
    [/_s$/, "s"],
    [/_ms$/, "ms"],
    [/_us$|^(median|p99|min|max)$/, key.includes("_us") ? "us" : ""],
    [/_ns$/, "ns"],
    [/_fps$/, "frames/s"],
    [/_pps$/, "packets/s"],
    [/_bps$/, "bits/s"],
    [/_mib$/, "MiB"],
    [/ratio|_over_/, "x"],
  ];
  for (const [re, unit] of suffixes) if (re.test(last)) return unit;
  return "";
}

/** Formats the figures as an aligned table. */
export function table(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.source,
    f.suite,
    f.metric,
    formatNumber(f.value),
    f.unit,
  ]);
  const head = ["source", "suite", "metric", "value", "unit"];
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => r[i].length))
  );
  const fmt = (r: string[]) =>
    r.map((c, i) => i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))
      .join("  ").trimEnd();
  return [fmt(head), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)]
    .join("\n");
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString("en-US");
  return v.toPrecision(4);
}

async function run(
  cmd: string,
  args: string[],
  env?: Record<string, string>,
): Promise<{ ok: boolean; stdout: string; stderr: string }> {
  const p = new Deno.Command(cmd, {
    args,
    cwd: ROOT,
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Both streams are shown live on stderr, so that a long VM run says
  // what it is doing; stdout is also kept for parsing.
  const tee = async (stream: ReadableStream<Uint8Array>) => {
    let all = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      all += chunk;
      await Deno.stderr.write(new TextEncoder().encode(chunk));
    }
    return all;
  };
  const [out, err] = await Promise.all([tee(p.stdout), tee(p.stderr)]);
  const status = await p.status;
  return { ok: status.success, stdout: out, stderr: err };
}

async function machine(kernel: string): Promise<Record<string, string>> {
  const sh = async (c: string) => (await run("sh", ["-c", c])).stdout.trim();
  return {
    date: new Date().toISOString(),
    host: Deno.hostname(),
    cpu: await sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-"),
    cpus: String(navigator.hardwareConcurrency),
    memory: await sh("awk '/MemTotal/ {print $2 \" kB\"}' /proc/meminfo"),
    host_kernel: await sh("uname -r"),
    vm_kernel: kernel,
    deno: Deno.version.deno,
    rustc: await sh("rustc --version"),
    commit: await sh("git rev-parse --short HEAD"),
    dirty: (await sh("git status --porcelain")) === "" ? "no" : "yes",
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      kernel: { type: "string", default: "6.12" },
      only: { type: "string", default: "deno,cargo,vm" },
      json: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const parts = new Set(values.only.split(","));
  for (const p of parts) {
    if (!["deno", "cargo", "vm"].includes(p)) {
      console.error(
        `bench: unknown part "${p}" in --only; use deno, cargo, vm`,
      );
      return 2;
    }
  }
  const figures: Figure[] = [];
  const failures: string[] = [];

  if (parts.has("deno")) {
    console.error("bench: deno bench bench/ ...");
    const r = await run(Deno.execPath(), ["bench", "-P", "--json", "bench/"]);
    if (r.ok) figures.push(...denoFigures(JSON.parse(r.stdout)));
    else failures.push("deno bench");
    console.error("bench: bench/switchd_memory.ts ...");
    const m = await run(Deno.execPath(), [
      "run",
      "-A",
      "bench/switchd_memory.ts",
    ]);
    figures.push(...lineFigures("deno", "switchd_memory", m.stdout));
    if (!m.ok) failures.push("switchd_memory");
  }
  if (parts.has("cargo")) {
    console.error("bench: cargo bench (dataplane) ...");
    const r = await run("cargo", [
      "bench",
      "--quiet",
      "--manifest-path",
      "dataplane/Cargo.toml",
    ]);
    figures.push(...lineFigures("cargo", "dataplane", r.stdout + r.stderr));
    if (!r.ok) failures.push("cargo bench");
  }
  if (parts.has("vm")) {
    const scenarios = [...Deno.readDirSync(`${ROOT}/bench/vm`)]
      .filter((e) => e.name.endsWith(".sh"))
      .map((e) => e.name)
      .sort();
    for (const s of scenarios) {
      console.error(`bench: VM ${s} on ${values.kernel} ...`);
      const r = await run(Deno.execPath(), [
        "run",
        "-A",
        "tests/vm/rig.ts",
        "--no-build",
        "--kernel",
        values.kernel,
        `bench/vm/${s}`,
      ]);
      figures.push(...lineFigures("vm", s.replace(/\.sh$/, ""), r.stdout));
      if (!r.ok) failures.push(`vm ${s}`);
    }
  }

  console.log(table(figures));
  const path = values.json ??
    `${ROOT}/build/bench/bench-${
      new Date().toISOString().replace(/[:.]/g, "-")
    }.json`;
  await Deno.mkdir(path.replace(/\/[^/]*$/, ""), { recursive: true });
  await Deno.writeTextFile(
    path,
    JSON.stringify(
      { machine: await machine(values.kernel), failures, figures },
      null,
      2,
    ) + "\n",
  );
  console.log(`\nbench: figures written to ${path}`);
  if (failures.length) {
    console.error(`bench: FAILED to run: ${failures.join(", ")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
