/**
 * The VM rig: runs scenarios (tests/vm/scenarios/*.sh, or any script path)
 * in real Debian kernels under QEMU and sums their results.
 *
 *   deno task vm [--kernel 6.1|6.12|all] [--jobs N] [--timeout S] [NAME|PATH ...]
 */
import { parseArgs } from "node:util";
import {
  DEBUG_SLOWDOWN,
  isDebug,
  type Kernel,
  type KernelAlias,
  parseKernels,
  resolveKernel,
} from "./kernels.ts";
import { initramfs } from "./initramfs.ts";
import {
  type Batch,
  declaredCases,
  onKernel,
  parseScenarioArg,
  planBatches,
  type Scenario,
} from "./plan.ts";
import { type BatchOutcome, runBatch, type RunResult } from "./batch.ts";
import { loadSettings, scenarioSettings } from "./settings.ts";
import { quickScale, timeScale } from "./calibrate.ts";
import { slotCount, takeGuestSlot } from "../guest_slots.ts";
import type { Counts } from "./verdict.ts";

export type { RunResult, Scenario };
export { loadSettings };

export const ROOT = new URL("../../", import.meta.url).pathname.replace(
  /\/$/,
  "",
);
const BUILD = `${ROOT}/build`;
const SCENARIOS = `${ROOT}/tests/vm/scenarios`;

export interface RigOptions {
  kernels: KernelAlias[];
  scenarios: Scenario[];
  jobs: number;
  /** overrides every scenario's timeout (seconds, before scaling) */
  timeoutSeconds?: number;
  /** print every console line, not only the scenarios' own */
  verbose: boolean;
  /** prefix of live lines; false prints them bare (the demo) */
  label: boolean;
  /** the machine's factor for every bound; measured when absent */
  scale?: number;
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

/**
 * A scenario by name (tests/vm/scenarios/NAME.sh) or by script path,
 * either with ":case1,case2" for some of its named cases.
 */
export function findScenario(arg: string): Scenario {
  const { name: what, cases } = parseScenarioArg(arg);
  const candidates = what.includes("/") || what.endsWith(".sh")
    ? [what.startsWith("/") ? what : `${Deno.cwd()}/${what}`]
    : [`${SCENARIOS}/${what}.sh`];
  for (const path of candidates) {
    let real: string;
    try {
      if (!Deno.statSync(path).isFile) continue;
      real = Deno.realPathSync(path);
    } catch {
      continue; // try the next candidate
    }
    const base = path.slice(path.lastIndexOf("/") + 1).replace(/\.sh$/, "");
    if (cases) {
      const known = declaredCases(Deno.readTextFileSync(real));
      if (!known) {
        throw new Error(`scenario "${base}" has no named cases (no ALL_CASES)`);
      }
      const unknown = cases.filter((c) => !known.includes(c));
      if (unknown.length) {
        throw new Error(
          `scenario "${base}" has no case ${
            unknown.map((c) => `"${c}"`).join(", ")
          }; its cases: ${known.join(", ")}`,
        );
      }
    }
    return { name: base, path: real, cases };
  }
  const known = listScenarios().map((s) => s.name).join(", ");
  throw new Error(`no scenario "${what}"; known scenarios: ${known}`);
}

function isKernelLine(line: string): boolean {
  return /^\[\s*\d+\.\d+\]/.test(line);
}

function fmtCounts(c: Counts): string {
  return `${c.passed} passed, ${c.failed} failed`;
}

/**
 * The host's settings for the guest (XETH_BENCH_*, XETH_VM_* scenario settings, and XETH_FULL for the
 * heavy loads of a full run), as lines of a file the guest sources.
 */
export function guestEnv(env: Record<string, string>): string {
  return Object.entries(env)
    .filter(([k, v]) =>
      /^XETH_((BENCH|VM)_[A-Z0-9_]+|FULL)$/.test(k) && /^[\w.,:/-]*$/.test(v)
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

/** The file in a run's directory naming the rig process still writing it. */
export const RUN_OWNER = "rig.pid";

function ownerAlive(run: string): boolean {
  try {
    const pid = Deno.readTextFileSync(`${run}/${RUN_OWNER}`).trim();
    return /^\d+$/.test(pid) && Deno.statSync(`/proc/${pid}`).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Keeps the newest `keep` runs. A run whose rig still runs is never
 * removed, however many runs came after it: `./run test` runs the rig's
 * self-tests (many short runs) beside the scenarios' own long run.
 */
export function pruneRuns(dir: string, keep: number): void {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return;
  }
  for (const n of names.slice(0, Math.max(0, names.length - keep))) {
    if (ownerAlive(`${dir}/${n}`)) continue;
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

function report(r: RunResult): void {
  const v = r.verdict;
  const head = v.outcome === "pass" ? "PASS" : "FAIL";
  console.log(
    `${head} ${r.kernel} ${r.scenario}: ${fmtCounts(v.counts)} in ${
      r.seconds.toFixed(1)
    }s${r.cpuSeconds === undefined ? "" : `, cpu ${r.cpuSeconds.toFixed(1)}s`}`,
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
  const settings = loadSettings(undefined, {
    full: Deno.env.get("XETH_FULL") === "1",
  });
  if (opts.timeoutSeconds !== undefined) {
    settings.timeoutSeconds = opts.timeoutSeconds;
    for (const s of Object.values(settings.scenarios)) {
      s.timeoutSeconds = opts.timeoutSeconds;
      delete s.debugTimeoutSeconds;
    }
  }
  const kernels = new Map(
    opts.kernels.map((a) => [a, resolveKernel(a)] as const),
  );
  for (const k of kernels.values()) {
    const ko = `${BUILD}/kernel/${k.release}/xeth.ko`;
    try {
      Deno.statSync(ko);
    } catch {
      throw new Error(`${ko} is missing: run ./run build`);
    }
  }
  // before any guest boots: a scenario's tables must all be built
  for (const s of opts.scenarios) {
    acpiTablePaths(scenarioSettings(settings, s.name).acpiTables);
  }
  let scale = opts.scale;
  if (scale === undefined) {
    const t = await timeScale(opts.jobs);
    scale = t.scale;
    const how = t.ms === undefined
      ? "from XETH_TIME_SCALE"
      : `calibration took ${t.ms.toFixed(0)} ms`;
    console.log(
      `vm: time scale ${scale} (${how}); every timeout is multiplied by it`,
    );
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const runsDir = `${BUILD}/vm/runs/${stamp}`;
  pruneRuns(`${BUILD}/vm/runs`, KEEP_RUNS);
  await Deno.mkdir(runsDir, { recursive: true });
  await Deno.writeTextFile(`${runsDir}/${RUN_OWNER}`, `${Deno.pid}\n`);
  const baseEnv = guestEnv(Deno.env.toObject());
  const queue: Batch[] = planBatches(opts.kernels, opts.scenarios, settings);
  const narrowed = opts.scenarios.filter((sc) =>
    opts.kernels.some((k) =>
      !onKernel(scenarioSettings(settings, sc.name), k, opts.kernels)
    )
  );
  for (const sc of narrowed) {
    const only = opts.kernels.filter((k) =>
      onKernel(scenarioSettings(settings, sc.name), k, opts.kernels)
    );
    console.log(
      `vm: ${sc.name}: quick run on ${
        only.join(", ") || "no kernel"
      } only (XETH_FULL=1 or --kernel K runs it anywhere)`,
    );
  }
  const results: RunResult[] = [];
  let boots = 0;
  const worker = async () => {
    for (let b = queue.shift(); b; b = queue.shift()) {
      const kernel = kernels.get(b.kernel)!;
      const dir = `${runsDir}/${kernel.alias}-boot${++boots}`;
      const names = b.scenarios.map((s) => s.name);
      if (b.scenarios.length > 1) {
        console.log(`vm: ${kernel.alias}: one guest for ${names.join(", ")}`);
      }
      // One guest per core across the machine (tests/guest_slots.ts); the
      // guest's timeouts start after the wait.
      const slot = await takeGuestSlot({
        onWait: () =>
          console.log(
            `vm: ${kernel.alias}: waiting for a free core for ${
              names.join(", ")
            } (each runs a guest; XETH_GUEST_SLOTS=${slotCount()})`,
          ),
      });
      // The load of the moment, measured on the core this guest has just
      // taken: the start's measurement ran beside the builds and held
      // every later guest's waits and holds at several times their length
      // (3.5 in a quiet run) long after the builds were done.
      const now: number = opts.scale ??
        await quickScale().catch((e) => {
          slot.release();
          throw e;
        });
      // a debug kernel's checks slow the guest itself, which the
      // machine's measurement cannot see
      const ofGuest = (machine: number) =>
        isDebug(kernel.alias)
          ? Math.round(machine * DEBUG_SLOWDOWN * 10) / 10
          : machine;
      const guestScale = ofGuest(now);
      if (now !== scale) {
        console.log(
          `vm: ${kernel.alias}: time scale ${now} for the next guest`,
        );
      }
      const out: BatchOutcome = await runBatch({
        kernel,
        initramfs: await initramfsOnce(kernel),
        root: ROOT,
        scenarios: b.scenarios,
        settings,
        scale: guestScale,
        dir,
        runsDir,
        env: baseEnv + `export XETH_TIME_SCALE=${guestScale}\n`,
        // a scale given on the command line or in XETH_TIME_SCALE is final
        rescale: opts.scale === undefined
          ? async () => ofGuest(await quickScale())
          : undefined,
        acpiTables: acpiTablePaths(
          scenarioSettings(settings, b.scenarios[0].name).acpiTables,
        ),
        onLine: (scenario, line) => {
          if (opts.verbose || !isKernelLine(line)) {
            const tag = `[${kernel.alias} ${scenario ?? names.join(",")}]`;
            console.log(opts.label ? `${tag} ${line}` : line);
          }
        },
      }).finally(() => slot.release());
      for (const r of out.results) {
        report(r);
        results.push(r);
      }
      if (out.notRun.length) {
        console.log(
          `vm: ${kernel.alias}: ${
            out.notRun.map((s) => s.name).join(", ")
          } did not run in that guest; they get a new one`,
        );
        queue.unshift({ kernel: b.kernel, scenarios: out.notRun });
      }
      if (out.results.every((r) => r.verdict.outcome === "pass")) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, opts.jobs) }, () => worker()),
  );
  await Deno.remove(`${runsDir}/${RUN_OWNER}`).catch(() => {});
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
tests/vm/scenarios/ or a path to a script, optionally with some of its named
cases (NAME:case1,case2; a scenario's cases are its ALL_CASES line); none
means all of them. Scenarios that want the same machine share a guest, one
after the other (tests/vm/settings.json: "boot": "own" opts out).

Every timeout is multiplied by the machine's time scale, measured at start
and again for each guest once it has its core (tests/vm/calibrate.ts), or
given as XETH_TIME_SCALE; scenarios' own waits (lib.sh) use the same
factor. When a scenario runs out of time the scale is measured once more,
and a machine that slowed since the guest started gives it the bound at
the new scale (up to 3 times; never with XETH_TIME_SCALE).

XETH_FULL=1 runs the heavy loads (deno task test --full) with their own
timeouts (fullTimeoutSeconds); XETH_BENCH_* and XETH_FULL reach the guest.

options:
  --kernel K     6.1, 6.12, a comma list, or all (default: all); 6.1-debug,
                 6.12-debug or debug: the debug builds
                 (scripts/build-debug-kernel.sh SERIES makes them)
  --jobs N       guests to run at once (default: 2)
  --timeout S    seconds each scenario may run, before scaling
                 (default: settings.json)
  --list         list the scenarios (with their named cases) and exit
  --verbose      show the guest kernel's console too
  --no-build     do not run the bootstrap (builds) first
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
    for (const s of listScenarios()) {
      const cases = declaredCases(Deno.readTextFileSync(s.path));
      console.log(cases ? `${s.name}: ${cases.join(" ")}` : s.name);
    }
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
  // again at the end, with the failed checks (or the first lines of the
  // excerpt): a CI log that keeps only its tail still shows why
  for (const r of bad) {
    console.log(`vm: FAILED ${r.kernel} ${r.scenario} (${r.verdict.outcome})`);
    const why = r.verdict.failures?.length
      ? r.verdict.failures.slice(0, 24)
      : r.verdict.excerpt.slice(0, 6);
    for (const l of why) console.log(`vm:   | ${l}`);
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
