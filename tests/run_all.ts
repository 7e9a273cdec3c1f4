/**
 * `deno task test`: every check of the project, one line each, and a
 * closing "N passed, N failed" that sums the individual tests.
 *
 * `deno task test --full` runs the VM scenarios with their heavy loads
 * (XETH_FULL=1: the sizes lib.sh `sized` gives for a full run, and the
 * scenarios' fullTimeoutSeconds) and the package test's --full variant.
 *
 * `deno task test --debug-kernels` builds the debug kernels (or finds them
 * cached) and runs every VM scenario on them.
 */
import { eachLine } from "./lines.ts";
import { ROOT } from "./vm/rig.ts";
import {
  DEBUG_ALIASES,
  debugKernelCache,
  installedRelease,
  KERNEL_ALIASES,
} from "./vm/kernels.ts";
import { FULL, QUICK } from "./package/run.ts";
import {
  DEBUG_SAMPLE_IN_FULL,
  DEBUG_SAMPLE_OPS,
  debugSampleKernel,
  noDebugSample,
} from "./debug_sample.ts";
import { readCpuSeconds, withCpuTime } from "./cpu_time.ts";
import {
  capped,
  cargoTestFailures,
  checkpatchFindings,
  denoTestFailures,
  failLines,
} from "./failures.ts";

interface Step {
  name: string;
  cmd: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** reads pass/fail counts from the output; default: 1 check */
  count?: (out: string) => { passed: number; failed: number } | undefined;
  /** output lines to show while the step runs */
  progress?: RegExp;
  /** the lines that name what failed, repeated at the end of the run */
  failures?: (out: string) => string[];
  /**
   * Runs from the start, beside the other steps that say so and beside
   * the rest, which run one after the other. The VM steps' guests keep a
   * host core busy only while they compute, and the checks (a link, a
   * single-threaded build) leave the other core idle for long: side by
   * side they fill the cores.
   */
  together?: boolean;
  /** shown before its progress lines when it runs beside others */
  tag?: string;
}

// deno test: "ok | 12 passed | 0 failed" (or "FAILED | ...")
function denoTestCounts(out: string) {
  const m = out.match(/\| (\d+) passed(?: \(\d+ steps?\))? \| (\d+) failed/);
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
}

// cargo test prints one "test result:" line per test binary
function cargoTestCounts(out: string) {
  let passed = 0;
  let failed = 0;
  let seen = false;
  for (
    const m of out.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)
  ) {
    seen = true;
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  return seen ? { passed, failed } : undefined;
}

function checkpatchCounts(out: string) {
  const findings = checkpatchFindings(out);
  return { passed: findings.length ? 0 : 1, failed: findings.length };
}

function summaryCounts(out: string) {
  const all = [...out.matchAll(/^(\d+) passed, (\d+) failed$/gm)];
  const m = all.at(-1);
  return m ? { passed: Number(m[1]), failed: Number(m[2]) } : undefined;
}

const cargo = (...args: string[]): string[] => [
  "cargo",
  ...args,
  "--manifest-path",
  `${ROOT}/dataplane/Cargo.toml`,
];

/** VM scenarios (all, or SCENARIOS) on KERNELS (the rig's --kernel). */
function rigStep(
  what: string,
  kernels: string,
  scenarios: string[] = [],
): Step {
  return {
    name: `vm scenarios (${what})`,
    cmd: [
      "deno",
      "run",
      "-A",
      "tests/vm/rig.ts",
      "--no-build",
      "--kernel",
      kernels,
      ...scenarios,
    ],
    count: summaryCounts,
    failures: failLines,
    progress: /^(PASS|FAIL) /,
  };
}

function steps(full: boolean): Step[] {
  const s: Step[] = [
    { name: "deno fmt --check", cmd: ["deno", "fmt", "--check"] },
    { name: "deno lint", cmd: ["deno", "lint"] },
    {
      name: "deno check",
      cmd: [
        "deno",
        "check",
        "main.ts",
        "switchd/",
        "ffi/",
        "lab/",
        "tests/",
        "bench/",
        "scripts/",
      ],
    },
    { name: "cargo fmt --check", cmd: cargo("fmt", "--check") },
    {
      name: "cargo clippy -D warnings",
      cmd: [
        ...cargo("clippy", "--locked", "--all-targets"),
        "--",
        "-D",
        "warnings",
      ],
    },
    {
      name: "cargo test",
      cmd: cargo("test", "--locked"),
      count: cargoTestCounts,
      failures: cargoTestFailures,
    },
  ];
  for (const alias of KERNEL_ALIASES) {
    const rel = installedRelease(alias) ?? "";
    s.push({
      name: `xeth.ko W=1 on ${rel || alias}`,
      // a fresh directory, so that nothing is skipped as up to date
      cmd: ["bash", `${ROOT}/scripts/build-kmod.sh`, rel || alias],
      env: {
        XETH_KMOD_OUT: `${ROOT}/build/kernel-check/${rel || alias}`,
        XETH_KMOD_CLEAN: "1",
      },
    });
  }
  const checkpatch = [
    "perl",
    `${ROOT}/.tools/checkpatch/checkpatch.pl`,
    "--strict",
    "--no-tree",
    "--terse",
    "--show-types",
    "-f",
  ];
  const cFiles = (dir: string) =>
    [...Deno.readDirSync(`${ROOT}/${dir}`)]
      .filter((e) => /\.[ch]$/.test(e.name))
      .map((e) => `${dir}/${e.name}`)
      .sort();
  s.push({
    name: "checkpatch --strict kernel/",
    cmd: [
      ...checkpatch,
      ...cFiles("kernel"),
      "kernel/include/uapi/linux/xeth.h",
    ],
    count: checkpatchCounts,
    failures: checkpatchFindings,
  });
  s.push({
    name: "checkpatch --strict kernel/iproute2/",
    // XETH_IP_KIND pastes its kind, a string literal, into the symbol's
    // label and its id: reusing that argument has no side effect.
    cmd: [
      ...checkpatch,
      "--ignore",
      "MACRO_ARG_REUSE",
      ...cFiles("kernel/iproute2"),
    ],
    count: checkpatchCounts,
    failures: checkpatchFindings,
  });
  s.push({
    name: "deno test",
    cmd: [
      "deno",
      "test",
      "-A",
      "--ignore=tests/vm/rig_test.ts,tests/vm/debug_kernel_test.ts",
    ],
    count: denoTestCounts,
    failures: denoTestFailures,
    progress: /\.\.\. .*(ok|FAILED)/,
  });
  s.push({
    name: "VM rig self-tests (deno test tests/vm/rig_test.ts)",
    cmd: ["deno", "test", "-A", "tests/vm/rig_test.ts"],
    count: denoTestCounts,
    failures: denoTestFailures,
    progress: /\.\.\. .*(ok|FAILED)/,
    together: true,
    tag: "rig",
  });
  s.push({
    ...rigStep(`6.1, 6.12${full ? ", full loads" : ""}`, "all"),
    env: full ? { XETH_FULL: "1" } : undefined,
    together: true,
    tag: "vm",
  });
  // A debug guest costs about 270 s of processor time (its boot under
  // KASAN most of it): with one core busy elsewhere the quick run would
  // pass its 35 minutes, so the sample is part of --full.
  const sample = full ? debugSample() : DEBUG_SAMPLE_IN_FULL;
  if (typeof sample === "string") console.log(`test: ${sample}`);
  else s.push(sample);
  s.push({
    name: `package test (Debian packages on 6.1${
      full ? ", reboot, 6.12" : ""
    })`,
    cmd: [
      "deno",
      "run",
      "-A",
      "tests/package/run.ts",
      ...(full ? ["--full"] : []),
    ],
    count: summaryCounts,
    failures: failLines,
    progress: /^(PASS|FAIL) |^# image|^(not )?ok \d+ - |^package test/,
    together: true,
    tag: "package",
  });
  return s;
}

/** The suite's short run on a cached debug kernel (tests/debug_sample.ts). */
function debugSample(): Step | string {
  const cache = debugKernelCache();
  const alias = debugSampleKernel(cache);
  if (!alias) return noDebugSample(cache);
  return {
    ...rigStep(
      `${alias}, rtnl_fuzz sample of ${DEBUG_SAMPLE_OPS}`,
      alias,
      ["rtnl_fuzz"],
    ),
    env: { XETH_VM_FUZZ_OPS: String(DEBUG_SAMPLE_OPS) },
    together: true,
    tag: "debug",
  };
}

/**
 * `--debug-kernels`: the debug kernels built (or found in their cache) and
 * every VM scenario run on both, one after the other: a run of its own,
 * too long for the suite (README, "Debug kernels").
 */
function debugSteps(): Step[] {
  const s: Step[] = DEBUG_ALIASES.map((alias) => {
    const series = alias.replace(/-debug$/, "");
    return {
      name: `debug kernel ${series} (built, or found in ${debugKernelCache()})`,
      cmd: ["bash", `${ROOT}/scripts/build-debug-kernel.sh`, series],
      progress: /^debug-kernel /,
    };
  });
  s.push({
    name: "debug kernels catch a use after free and a leak",
    cmd: ["deno", "test", "-A", "tests/vm/debug_kernel_test.ts"],
    count: denoTestCounts,
  });
  s.push(rigStep("6.1-debug, 6.12-debug", "debug"));
  return s;
}

async function run(
  step: Step,
  beside: boolean,
  ready?: Promise<void>,
): Promise<
  {
    passed: number;
    failed: number;
    ok: boolean;
    cpu?: number;
    failures: string[];
  }
> {
  await ready;
  const t0 = performance.now();
  const tag = beside && step.tag ? `[${step.tag}] ` : "";
  const logDir = `${ROOT}/build/test-logs`;
  await Deno.mkdir(logDir, { recursive: true });
  const logPath = `${logDir}/${step.name.replace(/[^\w.-]+/g, "_")}.log`;
  const cpuFile = await Deno.makeTempFile({ prefix: "xeth-cpu-" });
  const cmd = withCpuTime(step.cmd, cpuFile);
  const child = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: step.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...step.env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: string[] = [];
  const pump = (stream: ReadableStream<Uint8Array>) =>
    eachLine(stream, (l) => {
      if (step.progress?.test(l)) console.log(`     ${tag}${l}`);
    }, (t) => chunks.push(t));
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout),
    pump(child.stderr),
  ]);
  const out = chunks.join("");
  await Deno.writeTextFile(logPath, out);
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const cpu = await readCpuSeconds(cpuFile);
  await Deno.remove(cpuFile);
  const counted = step.count?.(out);
  const ok = status.success && (counted?.failed ?? 0) === 0;
  const counts = counted ?? { passed: ok ? 1 : 0, failed: ok ? 0 : 1 };
  if (!ok && counts.failed === 0) counts.failed = 1;
  const detail = counted
    ? ` (${counts.passed} passed, ${counts.failed} failed)`
    : "";
  const cpuNote = cpu === undefined ? "" : `, cpu ${cpu.toFixed(0)}s`;
  console.log(
    `${ok ? "PASS" : "FAIL"} ${step.name}${detail} ${secs}s${cpuNote}`,
  );
  if (!ok) {
    for (const l of out.trimEnd().split("\n").slice(-40)) {
      console.log(`  | ${l}`);
    }
    console.log(`  full log: ${logPath}`);
  }
  const failures = ok ? [] : capped(step.failures?.(out) ?? []);
  return { ...counts, ok, cpu, failures };
}

/**
 * The package test's Debian system (tests/package/image.sh): the first
 * build takes minutes of downloads and dpkg, so it runs beside the first
 * steps; the package test reuses it, or waits for it (image.sh locks).
 */
async function prepareImage(kernels: readonly string[]): Promise<void> {
  const logDir = `${ROOT}/build/test-logs`;
  await Deno.mkdir(logDir, { recursive: true });
  const log = await Deno.open(`${logDir}/package-image.log`, {
    write: true,
    create: true,
    truncate: true,
  });
  const child = new Deno.Command("bash", {
    args: [`${ROOT}/tests/package/image.sh`, ...kernels],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const text = await child.output();
  await log.write(text.stdout);
  await log.write(text.stderr);
  log.close();
  // A failure shows in the package test, which runs image.sh again.
}

const USAGE = "usage: deno task test [--full | --debug-kernels]";
const args = Deno.args.filter((a) => a !== "--full" && a !== "--debug-kernels");
if (args.length) {
  console.error(
    args.includes("-h") || args.includes("--help")
      ? USAGE
      : `test: unknown argument ${args[0]}; ${USAGE}`,
  );
  Deno.exit(args.includes("-h") || args.includes("--help") ? 0 : 2);
}
const full = Deno.args.includes("--full");
const debugKernels = Deno.args.includes("--debug-kernels");
if (full && debugKernels) {
  console.error(`test: --full and --debug-kernels are two runs; ${USAGE}`);
  Deno.exit(2);
}

const t0 = performance.now();
let passed = 0;
let failed = 0;
let cpuSeconds = 0;
const failedSteps: string[] = [];
const failureLines: string[] = [];
const imageReady = debugKernels
  ? Promise.resolve()
  : prepareImage((full ? FULL : QUICK).kernels);
const all = debugKernels ? debugSteps() : steps(full);
const tally = (step: Step, r: Awaited<ReturnType<typeof run>>) => {
  passed += r.passed;
  failed += r.failed;
  cpuSeconds += r.cpu ?? 0;
  if (!r.ok) {
    failedSteps.push(step.name);
    for (const l of r.failures) failureLines.push(`${step.name}: ${l}`);
  }
};
await Promise.all([
  (async () => {
    for (const step of all.filter((s) => !s.together)) {
      tally(step, await run(step, false));
    }
  })(),
  ...all.filter((s) => s.together).map(async (step) =>
    tally(
      step,
      await run(
        step,
        true,
        step.name.startsWith("package test") ? imageReady : undefined,
      ),
    )
  ),
]);
const wall = (performance.now() - t0) / 1000;
console.log(
  `test: ${
    failedSteps.length
      ? `FAILED: ${failedSteps.join("; ")}`
      : "all steps passed"
  } in ${wall.toFixed(0)}s`,
);
// The budget is the machine's two cores: this says how full they were.
console.log(
  `test: the steps used ${cpuSeconds.toFixed(0)}s of processor time, ${
    (cpuSeconds / wall).toFixed(2)
  } cores on average`,
);
// last, where a log read from its end shows them
for (const l of failureLines) console.log(`failed: ${l}`);
console.log(`${passed} passed, ${failed} failed`);
Deno.exit(failedSteps.length ? 1 : 0);
