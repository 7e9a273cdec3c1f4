/**
 * The VM rig: runs scenarios (tests/vm/scenarios/*.sh, or any script path)
 * in real Debian kernels under QEMU and sums their results.
 *
 *   deno task vm [--kernel 6.1|6.12|all] [--jobs N] [--timeout S] [NAME|PATH ...]
 */
import { parseArgs } from "node:util";
import {
  type Kernel,
  type KernelAlias,
  parseKernels,
  resolveKernel,
} from "./kernels.ts";
import { initramfs } from "./initramfs.ts";
import { boot } from "./qemu.ts";
import {
  type Counts,
  crashedBeforeScenario,
  judge,
  type Verdict,
} from "./verdict.ts";

export const ROOT = new URL("../../", import.meta.url).pathname.replace(
  /\/$/,
  "",
);
const BUILD = `${ROOT}/build`;
const SCENARIOS = `${ROOT}/tests/vm/scenarios`;

interface ScenarioSettings {
  timeoutSeconds?: number;
  memoryMiB?: number;
  cpus?: number;
  /** see BootOptions.tcgThreads; "multi" only for benchmarks */
  tcgThreads?: "single" | "multi";
  qemuArgs?: string[];
  cmdline?: string[];
  /** ACPI tables by name: tests/vm/acpi/NAME.asl, built to build/acpi/NAME.aml */
  acpiTables?: string[];
}

interface Settings extends ScenarioSettings {
  timeoutSeconds: number;
  scenarios: Record<string, ScenarioSettings>;
}

export interface Scenario {
  name: string;
  path: string;
}

export interface RunResult {
  kernel: KernelAlias;
  scenario: string;
  verdict: Verdict;
  seconds: number;
  logDir: string;
}

export interface RigOptions {
  kernels: KernelAlias[];
  scenarios: Scenario[];
  jobs: number;
  timeoutSeconds?: number;
  /** print every console line, not only the scenario's own */
  verbose: boolean;
  /** prefix of live lines; false prints them bare (the demo) */
  label: boolean;
}

export function loadSettings(): Settings {
  return JSON.parse(Deno.readTextFileSync(`${ROOT}/tests/vm/settings.json`));
}

export function listScenarios(): Scenario[] {
  const out: Scenario[] = [];
  for (const e of Deno.readDirSync(SCENARIOS)) {
    if (e.isFile && e.name.endsWith(".sh")) {
      out.push({ name: e.name.slice(0, -3), path: `${SCENARIOS}/${e.name}` });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** A scenario by name (tests/vm/scenarios/NAME.sh) or by script path. */
export function findScenario(arg: string): Scenario {
  const candidates = arg.includes("/") || arg.endsWith(".sh")
    ? [arg.startsWith("/") ? arg : `${Deno.cwd()}/${arg}`]
    : [`${SCENARIOS}/${arg}.sh`];
  for (const path of candidates) {
    try {
      if (Deno.statSync(path).isFile) {
        const base = path.slice(path.lastIndexOf("/") + 1).replace(/\.sh$/, "");
        return { name: base, path: Deno.realPathSync(path) };
      }
    } catch {
      // try the next candidate
    }
  }
  const known = listScenarios().map((s) => s.name).join(", ");
  throw new Error(`no scenario "${arg}"; known scenarios: ${known}`);
}

function isKernelLine(line: string): boolean {
  return /^\[\s*\d+\.\d+\]/.test(line);
}

function fmtCounts(c: Counts): string {
  return `${c.passed} passed, ${c.failed} failed`;
}

/**
 * The host's XETH_BENCH_* (benchmarks) and XETH_VM_* (scenario) settings,
 * as a file the guest sources; values are kept to characters that need no
 * quoting there.
 */
export function guestEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .filter(([k, v]) =>
      /^XETH_(BENCH|VM)_[A-Z0-9_]+$/.test(k) && /^[\w.,:/-]*$/.test(v)
    )
    .map(([k, v]) => `export ${k}=${v}\n`)
    .join("");
}

/** The compiled tables (build/acpi/NAME.aml) of a scenario's settings. */
export function acpiTablePaths(names: readonly string[] = []): string[] {
  return names.map((n) => {
    if (!/^[\w-]+$/.test(n)) {
      throw new Error(`ACPI table "${n}": a name from tests/vm/acpi/`);
    }
    const aml = `${BUILD}/acpi/${n}.aml`;
    try {
      Deno.statSync(aml);
    } catch {
      throw new Error(`${aml} is missing: run ./run build`);
    }
    return aml;
  });
}

/** Logs of failed runs are kept; only the newest few runs' worth. */
const KEEP_RUNS = 20;

export function pruneRuns(dir: string, keep: number): void {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return;
  }
  for (const n of names.slice(0, Math.max(0, names.length - keep))) {
    Deno.removeSync(`${dir}/${n}`, { recursive: true });
  }
}

// Parallel runs on one kernel share one initramfs build.
const initramfsBuilds = new Map<string, Promise<string>>();
function initramfsOnce(kernel: Kernel): Promise<string> {
  let p = initramfsBuilds.get(kernel.release);
  if (!p) {
    p = initramfs(kernel, BUILD, `${ROOT}/tests/vm/guest/init.sh`);
    initramfsBuilds.set(kernel.release, p);
  }
  return p;
}

async function runOne(
  kernel: Kernel,
  scenario: Scenario,
  settings: Settings,
  opts: RigOptions,
  runsDir: string,
): Promise<RunResult> {
  const per = settings.scenarios[scenario.name] ?? {};
  const timeoutSeconds = opts.timeoutSeconds ?? per.timeoutSeconds ??
    settings.timeoutSeconds;
  const logDir = `${runsDir}/${kernel.alias}-${scenario.name}`;
  await Deno.mkdir(logDir, { recursive: true });
  await Deno.writeTextFile(`${logDir}/env`, guestEnv(Deno.env.toObject()));
  const initrd = await initramfsOnce(kernel);
  const tag = `[${kernel.alias} ${scenario.name}]`;
  const t0 = performance.now();
  const once = () =>
    boot({
      kernel,
      initramfs: initrd,
      root: ROOT,
      scenario: scenario.path,
      outDir: logDir,
      timeoutSeconds,
      memoryMiB: per.memoryMiB ?? settings.memoryMiB,
      cpus: per.cpus ?? settings.cpus,
      tcgThreads: per.tcgThreads ?? settings.tcgThreads,
      qemuArgs: per.qemuArgs,
      cmdline: per.cmdline,
      acpiTables: acpiTablePaths(per.acpiTables),
      onLine: (line) => {
        if (opts.verbose || !isKernelLine(line)) {
          console.log(opts.label ? `${tag} ${line}` : line);
        }
      },
    });
  let result = await once();
  if (crashedBeforeScenario(result)) {
    console.log(
      `${tag} the guest kernel crashed while booting, before the scenario ran; booting once more (console log kept in ${logDir}/boot-crash.log)`,
    );
    await Deno.copyFile(`${logDir}/console.log`, `${logDir}/boot-crash.log`)
      .catch(() => {});
    result = await once();
  }
  const seconds = (performance.now() - t0) / 1000;
  const verdict = judge(result);
  if (verdict.outcome === "pass") {
    await Deno.remove(logDir, { recursive: true });
  }
  return {
    kernel: kernel.alias,
    scenario: scenario.name,
    verdict,
    seconds,
    logDir,
  };
}

function report(r: RunResult): void {
  const v = r.verdict;
  const head = v.outcome === "pass" ? "PASS" : "FAIL";
  console.log(
    `${head} ${r.kernel} ${r.scenario}: ${fmtCounts(v.counts)} in ${
      r.seconds.toFixed(1)
    }s`,
  );
  if (v.outcome === "pass") return;
  console.log(`  ${v.outcome}: ${v.reason}`);
  for (const l of v.excerpt) console.log(`  | ${l}`);
  console.log(`  console log kept in ${r.logDir}/console.log`);
}

/** A failed scenario that printed no failing check still counts as one. */
export function totals(results: readonly RunResult[]): Counts {
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    passed += r.verdict.counts.passed;
    failed += r.verdict.counts.failed;
    if (r.verdict.outcome !== "pass" && r.verdict.counts.failed === 0) failed++;
  }
  return { passed, failed };
}

export async function runRig(opts: RigOptions): Promise<RunResult[]> {
  const settings = loadSettings();
  const kernels = opts.kernels.map(resolveKernel);
  for (const k of kernels) {
    const ko = `${BUILD}/kernel/${k.release}/xeth.ko`;
    try {
      Deno.statSync(ko);
    } catch {
      throw new Error(`${ko} is missing: run ./run build`);
    }
  }
  // before any guest boots: a scenario's tables must all be built
  for (const s of opts.scenarios) {
    acpiTablePaths(settings.scenarios[s.name]?.acpiTables);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runsDir = `${BUILD}/vm/runs/${stamp}`;
  pruneRuns(`${BUILD}/vm/runs`, KEEP_RUNS);
  const queue: Array<[Kernel, Scenario]> = [];
  for (const k of kernels) for (const s of opts.scenarios) queue.push([k, s]);
  const results: RunResult[] = [];
  const worker = async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const r = await runOne(job[0], job[1], settings, opts, runsDir);
      report(r);
      results.push(r);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, opts.jobs) }, () => worker()),
  );
  try {
    await Deno.remove(runsDir); // only succeeds when every run passed
  } catch {
    // failed runs keep their logs
  }
  return results;
}

async function build(): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}/scripts/bootstrap.sh`],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error("build failed (see above)");
}

const HELP = `usage: deno task vm [options] [SCENARIO ...]

Runs VM scenarios in real kernels under QEMU (TCG). SCENARIO is a name from
tests/vm/scenarios/ or a path to a script; none means all of them.

options:
  --kernel K     6.1, 6.12, a comma list, or all (default: all)
  --jobs N       guests to run at once (default: 2)
  --timeout S    seconds before a guest is killed (default: settings.json)
  --verbose      show the guest kernel's console too
  --no-build     do not run the bootstrap (builds) first
  --list         list the scenarios and exit
  -h, --help     this text
`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: {
        kernel: { type: "string", default: "all" },
        jobs: { type: "string", default: "2" },
        timeout: { type: "string" },
        verbose: { type: "boolean", default: false },
        "no-build": { type: "boolean", default: false },
        list: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    console.error(`vm: ${(e as Error).message}; see --help`);
    return 2;
  }
  const v = parsed.values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  if (v.list) {
    for (const s of listScenarios()) console.log(s.name);
    return 0;
  }
  let kernels: KernelAlias[];
  let scenarios: Scenario[];
  const jobs = Number(v.jobs);
  const timeout = v.timeout === undefined ? undefined : Number(v.timeout);
  try {
    kernels = parseKernels(v.kernel);
    scenarios = parsed.positionals.length
      ? parsed.positionals.map(findScenario)
      : listScenarios();
    if (!Number.isInteger(jobs) || jobs < 1) {
      throw new Error("--jobs wants a positive integer");
    }
    if (timeout !== undefined && !(timeout > 0)) {
      throw new Error("--timeout wants seconds > 0");
    }
  } catch (e) {
    console.error(`vm: ${(e as Error).message}`);
    return 2;
  }
  if (!v["no-build"]) await build();
  const t0 = performance.now();
  const results = await runRig({
    kernels,
    scenarios,
    jobs,
    timeoutSeconds: timeout,
    verbose: v.verbose,
    label: true,
  });
  const t = totals(results);
  const bad = results.filter((r) => r.verdict.outcome !== "pass");
  console.log(
    `vm: ${
      results.length - bad.length
    }/${results.length} scenario runs passed in ${
      ((performance.now() - t0) / 1000).toFixed(1)
    }s`,
  );
  // again at the end, with the first lines of each excerpt: a CI log
  // that keeps only its tail still shows why
  for (const r of bad) {
    console.log(`vm: FAILED ${r.kernel} ${r.scenario} (${r.verdict.outcome})`);
    for (const l of r.verdict.excerpt.slice(0, 6)) console.log(`vm:   | ${l}`);
  }
  console.log(`${t.passed} passed, ${t.failed} failed`);
  return bad.length ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    console.error(`vm: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
