/**
 * One guest running a batch of scenarios (plan.ts), watched from the
 * host: the console's "xrig: running NAME" and "xrig: done NAME" lines
 * say which scenario runs, each scenario's timeout starts when it does
 * (a slow boot costs no scenario its time), and a scenario that never
 * started (the guest stopped early after a splat) goes back to the queue.
 */
import { isDebug, type Kernel, type KernelAlias } from "./kernels.ts";
import { boot, processCpuSeconds } from "./qemu.ts";
import { readOptional } from "../read_optional.ts";
import type { Scenario } from "./plan.ts";
import {
  allocatePeerLinks,
  peerEnv,
  peerQemuArgs,
  type PeerSide,
} from "./peer.ts";
import { scenarioSettings, type Settings } from "./settings.ts";
import {
  crashedBeforeScenario,
  type GuestResult,
  judge,
  SCENARIO_START,
  splatPatternFile,
  type Verdict,
} from "./verdict.ts";

export interface RunResult {
  kernel: Kernel["alias"];
  scenario: string;
  verdict: Verdict;
  seconds: number;
  /** the guest's processor seconds on the host while it ran the scenario */
  cpuSeconds?: number;
  logDir: string;
}

export interface BatchOptions {
  kernel: Kernel;
  initramfs: string;
  root: string;
  scenarios: Scenario[];
  settings: Settings;
  /** the machine's factor for every bound (calibrate.ts) */
  scale: number;
  /** this boot's directory (results share and logs) */
  dir: string;
  /** where a failed scenario's logs are kept: RUNS/KERNEL-NAME/ */
  runsDir: string;
  /** XETH_* settings the guest sources */
  env: string;
  /**
   * The guest's scale measured again, when a scenario runs out of time:
   * a machine that slowed after the guest started earns it more time
   * (`extendedMs`). Absent, a timeout is final.
   */
  rescale?: () => Promise<number>;
  acpiTables: string[];
  onLine: (scenario: string | undefined, line: string) => void;
}

export interface BatchOutcome {
  results: RunResult[];
  /** scenarios the guest never started: to run in another guest */
  notRun: Scenario[];
}

const DONE = "xrig: done ";

/** The name in a "xrig: running NAME on RELEASE" or "xrig: done NAME" line. */
export function markerName(line: string, marker: string): string | undefined {
  const i = line.indexOf(marker);
  if (i < 0) return undefined;
  return line.slice(i + marker.length).split(" ")[0] || undefined;
}

/** What a scenario was doing when it was stopped: its case and last lines. */
export function pendingOf(output: string): string[] {
  const lines = output.trimEnd().split("\n").filter((l) => l !== "");
  const caseLine = lines.findLast((l) => l.startsWith("# case: "));
  const tail = lines.slice(-8);
  const out = caseLine && !tail.includes(caseLine) ? [caseLine, "..."] : [];
  return [...out, ...tail];
}

function batchFile(scenarios: readonly Scenario[]): string {
  return scenarios
    .map((s) => [s.name, s.path, s.cases?.join(",") ?? ""].join(" ").trim())
    .join("\n") + "\n";
}

/** The scenario the peer guest runs (guest/runner.sh's batch line). */
const PEER_NAME = "peer";

interface PeerBoot {
  qemuArgs: string[];
  env: string;
  /** the peer guest's run: resolves with its console */
  run: (signal: AbortSignal) => Promise<string>;
  dir: string;
}

/**
 * The peer guest of a scenario that wants one (settings "peer"): its
 * links' ports are taken now, and it boots when `run` is called, beside
 * the scenario's own guest.
 */
async function peerBoot(
  o: BatchOptions,
  name: string,
): Promise<PeerBoot | undefined> {
  const per = scenarioSettings(o.settings, name).peer;
  if (!per) return undefined;
  const links = await allocatePeerLinks();
  const dir = `${o.dir}/${PEER_NAME}`;
  await Deno.mkdir(dir, { recursive: true });
  const root = o.root;
  await Deno.writeTextFile(
    `${dir}/batch`,
    `${PEER_NAME} ${root}/tests/vm/guest/peer.sh\n`,
  );
  await Deno.writeTextFile(`${dir}/splats`, splatPatternFile());
  await Deno.writeTextFile(`${dir}/env`, o.env + peerEnv("peer"));
  const side = (s: PeerSide) => peerQemuArgs(links, s);
  return {
    qemuArgs: side("scenario"),
    env: peerEnv("scenario"),
    dir,
    run: (signal) =>
      boot({
        kernel: o.kernel,
        initramfs: o.initramfs,
        root,
        batch: `${dir}/batch`,
        outDir: dir,
        signal,
        memoryMiB: (per.memoryMiB ?? 1024) +
          (isDebug(o.kernel.alias) ? 512 : 0),
        cpus: per.cpus ?? 1,
        qemuArgs: side("peer"),
        onLine: (line) => o.onLine(`${name} peer`, line),
      }),
  };
}

interface Watch {
  current?: string;
  /** the scale a scenario's bound ended with, when measured again */
  rescaled: Map<string, number>;
  started: Map<string, number>;
  done: Map<string, number>;
  /** QEMU's processor seconds at each scenario's start and end */
  cpuStarted: Map<string, number>;
  cpuDone: Map<string, number>;
  timedOut?: string;
  bootTimedOut: boolean;
}

/** How many times one scenario's bound may grow (`extendedMs`). */
export const MAX_EXTENSIONS = 3;

/**
 * The milliseconds more a scenario gets when its bound of `seconds` ×
 * `used` ran out after `elapsedS` and the machine now measures `now`:
 * the bound at the new scale, counted from the scenario's start. None
 * when the machine is no slower, or the new bound has passed too.
 */
export function extendedMs(
  seconds: number,
  used: number,
  now: number,
  elapsedS: number,
): number | undefined {
  if (!(now > used)) return undefined;
  const more = (seconds * now - elapsedS) * 1000;
  return more > 0 ? more : undefined;
}

/** A scenario's timeout on a kernel, before the scale. */
export function timeoutOf(
  settings: Settings,
  kernel: KernelAlias,
  name: string,
): number {
  const s = scenarioSettings(settings, name);
  return isDebug(kernel) ? s.debugTimeoutSeconds : s.timeoutSeconds;
}

async function bootOnce(
  o: BatchOptions,
): Promise<{ console: string; w: Watch }> {
  await Deno.writeTextFile(`${o.dir}/batch`, batchFile(o.scenarios));
  await Deno.writeTextFile(`${o.dir}/splats`, splatPatternFile());
  const first = scenarioSettings(o.settings, o.scenarios[0].name);
  const peer = await peerBoot(o, o.scenarios[0].name);
  await Deno.writeTextFile(`${o.dir}/env`, o.env + (peer?.env ?? ""));
  const abort = new AbortController();
  const w: Watch = {
    started: new Map(),
    done: new Map(),
    cpuStarted: new Map(),
    cpuDone: new Map(),
    rescaled: new Map(),
    bootTimedOut: false,
  };
  let pid: number | undefined;
  const cpuNow = () => pid === undefined ? undefined : processCpuSeconds(pid);
  const note = (m: Map<string, number>, name: string) => {
    const secs = cpuNow();
    if (secs !== undefined) m.set(name, secs);
  };
  let timer = setTimeout(() => {
    w.bootTimedOut = true;
    abort.abort();
  }, o.settings.bootSeconds * o.scale * 1000);
  let ended = false;
  const arm = (name: string) => {
    clearTimeout(timer);
    const bound = timeoutOf(o.settings, o.kernel.alias, name);
    let extensions = 0;
    const expire = async () => {
      // The scale was measured when the guest started; a load that came
      // later (another guest, a test run) slows it past a bound it would
      // have met. The measurement runs beside this guest too, so it errs
      // towards more time, and only a few times.
      const now = extensions < MAX_EXTENSIONS
        ? await o.rescale?.().catch(() => undefined)
        : undefined;
      if (ended || w.current !== name) return; // it ended meanwhile
      const used = w.rescaled.get(name) ?? o.scale;
      const elapsed = (performance.now() - w.started.get(name)!) / 1000;
      const more = now === undefined
        ? undefined
        : extendedMs(bound, used, now, elapsed);
      if (more !== undefined && now !== undefined) {
        o.onLine(
          name,
          `vm: ${name} ran out of its ${Math.round(bound * used)} s after ${
            Math.round(elapsed)
          } s, but the machine slowed since (time scale ${used} -> ${now}): it may run until ${
            Math.round(bound * now)
          } s`,
        );
        extensions++;
        w.rescaled.set(name, now);
        timer = setTimeout(expire, more);
        return;
      }
      w.timedOut = name;
      abort.abort();
    };
    timer = setTimeout(expire, bound * o.scale * 1000);
  };
  const peerAbort = new AbortController();
  const peerRun = peer?.run(peerAbort.signal);
  const console = await boot({
    kernel: o.kernel,
    initramfs: o.initramfs,
    root: o.root,
    batch: `${o.dir}/batch`,
    outDir: o.dir,
    signal: abort.signal,
    // KASAN's shadow takes an eighth, kmemleak keeps a record per object
    memoryMiB: first.memoryMiB + (isDebug(o.kernel.alias) ? 512 : 0),
    cpus: first.cpus,
    tcgThreads: first.tcgThreads,
    qemuArgs: [...first.qemuArgs, ...(peer?.qemuArgs ?? [])],
    cmdline: first.cmdline,
    acpiTables: o.acpiTables,
    onSpawn: (p) => pid = p,
    onLine: (line) => {
      const started = markerName(line, SCENARIO_START);
      if (started) {
        w.current = started;
        w.started.set(started, performance.now());
        note(w.cpuStarted, started);
        arm(started);
      }
      o.onLine(w.current, line);
      const done = markerName(line, DONE);
      if (done) {
        w.done.set(done, performance.now());
        note(w.cpuDone, done);
        clearTimeout(timer);
        w.current = undefined;
      }
    },
  });
  ended = true;
  clearTimeout(timer);
  if (peerRun) {
    // The scenario tells its peer to end (lib_peer.sh peer_bye); one that
    // did not (it failed, timed out) gets its peer stopped after a while.
    const stop = setTimeout(() => peerAbort.abort(), 60 * o.scale * 1000);
    await peerRun.catch(() => "");
    clearTimeout(stop);
  }
  return { console, w };
}

/** The part of the console a scenario printed: from its start to its end. */
function consoleOf(console: string, name: string): string {
  const start = console.indexOf(`${SCENARIO_START}${name} `);
  if (start < 0) return "";
  const end = console.indexOf(`${DONE}${name}`, start);
  return console.slice(start, end < 0 ? undefined : end);
}

export async function runBatch(o: BatchOptions): Promise<BatchOutcome> {
  await Deno.mkdir(o.dir, { recursive: true });
  let { console, w } = await bootOnce(o);
  const asGuest = (): GuestResult => ({
    timedOut: false,
    timeoutSeconds: 0,
    rc: undefined,
    output: "",
    dmesg: "",
    console,
  });
  if (w.started.size === 0 && crashedBeforeScenario(asGuest())) {
    await Deno.copyFile(`${o.dir}/console.log`, `${o.dir}/boot-crash.log`)
      .catch(() => {});
    o.onLine(
      undefined,
      `the guest kernel crashed while booting, before any scenario ran; booting once more (console log kept in ${o.dir}/boot-crash.log)`,
    );
    ({ console, w } = await bootOnce(o));
  }
  const results: RunResult[] = [];
  const notRun: Scenario[] = [];
  for (const sc of o.scenarios) {
    const t0 = w.started.get(sc.name);
    if (t0 === undefined) {
      if (w.bootTimedOut || results.length === 0 && w.started.size === 0) {
        // the guest never reached its first scenario: each fails for it
        results.push(
          await finish(o, sc, {
            ...asGuest(),
            timedOut: w.bootTimedOut,
            timeoutSeconds: Math.round(o.settings.bootSeconds * o.scale),
            timeoutDetail: w.bootTimedOut
              ? `booting, before the scenario started; time scale ${o.scale}`
              : undefined,
          }, 0),
        );
      } else {
        notRun.push(sc);
      }
      continue;
    }
    const d = `${o.dir}/${sc.name}`;
    const rcText = await readOptional(`${d}/rc`);
    const rc = rcText === undefined ? undefined : Number(rcText.trim());
    const output = (await readOptional(`${d}/output.log`)) ?? "";
    const timeout = timeoutOf(o.settings, o.kernel.alias, sc.name);
    const scale = w.rescaled.get(sc.name) ?? o.scale;
    const end = w.done.get(sc.name) ?? performance.now();
    const cpu0 = w.cpuStarted.get(sc.name);
    const cpu1 = w.cpuDone.get(sc.name);
    results.push(
      await finish(
        o,
        sc,
        {
          timedOut: w.timedOut === sc.name,
          timeoutSeconds: Math.round(timeout * scale),
          timeoutDetail: w.rescaled.has(sc.name)
            ? `${timeout}s × time scale ${scale}, measured again as it ran out`
            : scale > 1
            ? `${timeout}s × time scale ${scale}`
            : undefined,
          pending: w.timedOut === sc.name ? pendingOf(output) : undefined,
          rc: Number.isNaN(rc) ? undefined : rc,
          output,
          dmesg: (await readOptional(`${d}/dmesg.log`)) ?? "",
          peerDmesg: await peerDmesg(o, sc.name),
          console: consoleOf(console, sc.name),
        },
        (end - t0) / 1000,
        cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
      ),
    );
  }
  return { results, notRun };
}

/**
 * The peer guest's kernel log, when the scenario had one: a splat there
 * fails the scenario as one in its own guest does. A peer that was
 * stopped before it wrote its log leaves its console instead.
 */
async function peerDmesg(
  o: BatchOptions,
  name: string,
): Promise<string | undefined> {
  if (!scenarioSettings(o.settings, name).peer) return undefined;
  const dir = `${o.dir}/${PEER_NAME}`;
  return (await readOptional(`${dir}/${PEER_NAME}/dmesg.log`)) ??
    (await readOptional(`${dir}/console.log`)) ?? "";
}

/** Judges one scenario; a failed one keeps its logs in its own directory. */
async function finish(
  o: BatchOptions,
  sc: Scenario,
  r: GuestResult,
  seconds: number,
  cpuSeconds?: number,
): Promise<RunResult> {
  const verdict = judge(r);
  const logDir = `${o.runsDir}/${o.kernel.alias}-${sc.name}`;
  if (verdict.outcome !== "pass") {
    await Deno.mkdir(logDir, { recursive: true });
    await Deno.copyFile(`${o.dir}/console.log`, `${logDir}/console.log`)
      .catch(() => {});
    await Deno.writeTextFile(`${logDir}/output.log`, r.output);
    await Deno.writeTextFile(`${logDir}/dmesg.log`, r.dmesg);
    if (r.peerDmesg !== undefined) {
      await Deno.writeTextFile(`${logDir}/peer-dmesg.log`, r.peerDmesg);
      for (const f of ["console.log", `${PEER_NAME}/output.log`]) {
        await Deno.copyFile(
          `${o.dir}/${PEER_NAME}/${f}`,
          `${logDir}/peer-${f.replace("/", "-")}`,
        ).catch(() => {});
      }
    }
  }
  return {
    kernel: o.kernel.alias,
    scenario: sc.name,
    verdict,
    seconds,
    cpuSeconds,
    logDir,
  };
}
