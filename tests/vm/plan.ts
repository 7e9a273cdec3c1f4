/**
 * Which scenarios share a guest. A boot costs seconds of emulated CPU, so
 * scenarios that want the same machine (memory, CPUs, devices, tables,
 * command line) run one after the other in one guest, the guest put back
 * as it booted between them (guest/runner.sh). Batches are sized by the
 * scenarios' timeouts and handed out longest first, so that parallel
 * jobs finish close together.
 */
import type { KernelAlias } from "./kernels.ts";
import { scenarioSettings, type Settings } from "./settings.ts";

export interface Scenario {
  name: string;
  path: string;
  /** named cases to run (the scenario's ALL_CASES when absent) */
  cases?: string[];
}

export interface Batch {
  kernel: KernelAlias;
  scenarios: Scenario[];
}

/** What a guest must be booted with: scenarios with equal keys may share. */
export function bootKey(settings: Settings, name: string): string {
  const s = scenarioSettings(settings, name);
  return JSON.stringify([
    s.memoryMiB,
    s.cpus,
    s.tcgThreads,
    s.qemuArgs,
    s.cmdline,
    s.acpiTables,
  ]);
}

function weight(settings: Settings, b: Batch): number {
  return b.scenarios.reduce(
    (t, s) => t + scenarioSettings(settings, s.name).timeoutSeconds,
    0,
  );
}

/** Whether a run on `kernels` gives the scenario a guest on `kernel`. */
export function onKernel(
  s: { quickKernels?: readonly string[] },
  kernel: KernelAlias,
  kernels: readonly KernelAlias[],
): boolean {
  return kernels.length < 2 || !s.quickKernels ||
    s.quickKernels.includes(kernel);
}

export function planBatches(
  kernels: readonly KernelAlias[],
  scenarios: readonly Scenario[],
  settings: Settings,
): Batch[] {
  const out: Batch[] = [];
  for (const kernel of kernels) {
    const groups = new Map<string, Batch[]>();
    for (const sc of scenarios) {
      const s = scenarioSettings(settings, sc.name);
      if (!onKernel(s, kernel, kernels)) continue;
      if (s.boot === "own") {
        out.push({ kernel, scenarios: [sc] });
        continue;
      }
      const key = bootKey(settings, sc.name);
      const open = groups.get(key) ?? [];
      groups.set(key, open);
      const fits = open.find((b) =>
        weight(settings, b) + s.timeoutSeconds <= settings.batchSeconds
      );
      if (fits) fits.scenarios.push(sc);
      else open.push({ kernel, scenarios: [sc] });
    }
    for (const g of groups.values()) out.push(...g);
  }
  // stable: equal weights keep the order of the kernels and scenarios
  return out
    .map((b, i) => ({ b, i, w: weight(settings, b) }))
    .sort((x, y) => y.w - x.w || x.i - y.i)
    .map((x) => x.b);
}

/**
 * "NAME" or "NAME:case1,case2" on the command line. The cases must be
 * named in the scenario's ALL_CASES line (lib.sh run_cases).
 */
export function parseScenarioArg(
  arg: string,
): { name: string; cases?: string[] } {
  const colon = arg.lastIndexOf(":");
  if (colon <= 0) return { name: arg };
  const cases = arg.slice(colon + 1).split(",").filter(Boolean);
  return { name: arg.slice(0, colon), cases: cases.length ? cases : undefined };
}

/** The case names a scenario script declares (ALL_CASES="..."). */
export function declaredCases(script: string): string[] | undefined {
  const m = script.match(/^ALL_CASES="([^"]*)"/m);
  return m ? m[1].split(/\s+/).filter(Boolean) : undefined;
}
