/**
 * tests/vm/settings.json: how each scenario's guest is booted and how long
 * it may take, with defaults for the rest.
 */

export interface ScenarioSettings {
  /**
   * Seconds the scenario may run on the reference machine, from its
   * start (not the boot); the rig multiplies it by the machine's time
   * scale (calibrate.ts).
   */
  timeoutSeconds?: number;
  /**
   * The timeout under XETH_FULL=1, when the scenario runs its heavy loads
   * (lib.sh sized); timeoutSeconds when absent.
   */
  fullTimeoutSeconds?: number;
  /**
   * The timeout on a debug kernel, for a scenario that its checks slow
   * more than the rig's debug slowdown allows for (the scale still
   * applies); never less than the other timeouts.
   */
  debugTimeoutSeconds?: number;
  memoryMiB?: number;
  cpus?: number;
  /** see BootOptions.tcgThreads; "multi" only for benchmarks */
  tcgThreads?: "single" | "multi";
  qemuArgs?: string[];
  cmdline?: string[];
  /** ACPI tables by name: tests/vm/acpi/NAME.asl, built to build/acpi/NAME.aml */
  acpiTables?: string[];
  /**
   * "own": the scenario always gets a guest to itself (benchmarks, and
   * scenarios that leave the kernel in a state the next one must not
   * inherit, such as a module that cannot be removed).
   */
  boot?: "shared" | "own";
  /**
   * The kernels a quick run gives the scenario when it runs on several:
   * for scenarios whose subject is SWITCHD and the software SWITCH, not
   * the module's use of a kernel's API (which other scenarios test on
   * every kernel). A full run (XETH_FULL=1) and a run on one kernel
   * ignore it.
   */
  quickKernels?: string[];
  /**
   * A second machine for the scenario (peer.ts): a guest of this size
   * booted beside its own, joined to it by two links. Such a scenario
   * always gets its guests to itself.
   */
  peer?: PeerSettings;
}

export interface PeerSettings {
  memoryMiB?: number;
  cpus?: number;
}

export interface Settings extends ScenarioSettings {
  timeoutSeconds: number;
  /** seconds a guest may take to boot up to its first scenario */
  bootSeconds: number;
  /**
   * Scenarios that share a guest run one after the other in it, up to
   * this many seconds of their timeouts per guest.
   */
  batchSeconds: number;
  scenarios: Record<string, ScenarioSettings>;
}

export const SETTINGS_PATH = new URL("./settings.json", import.meta.url)
  .pathname;

/** `full`: the timeouts of a full run (fullTimeoutSeconds) apply. */
export function loadSettings(
  path = SETTINGS_PATH,
  opts: { full?: boolean } = {},
): Settings {
  const s = JSON.parse(Deno.readTextFileSync(path)) as Partial<Settings>;
  const scenarios = s.scenarios ?? {};
  if (opts.full) {
    for (const per of Object.values(scenarios)) {
      if (per.fullTimeoutSeconds !== undefined) {
        per.timeoutSeconds = per.fullTimeoutSeconds;
      }
      delete per.quickKernels;
    }
  }
  return {
    bootSeconds: 120,
    batchSeconds: 600,
    ...s,
    scenarios,
    timeoutSeconds: s.timeoutSeconds ?? 120,
  };
}

/** The settings of one scenario, defaults filled in. */
export function scenarioSettings(
  settings: Settings,
  name: string,
):
  & Required<
    Omit<
      ScenarioSettings,
      "tcgThreads" | "fullTimeoutSeconds" | "quickKernels" | "peer"
    >
  >
  & {
    tcgThreads: "single" | "multi";
    quickKernels?: string[];
    peer?: PeerSettings;
  } {
  const per = settings.scenarios[name] ?? {};
  const timeoutSeconds = per.timeoutSeconds ?? settings.timeoutSeconds;
  return {
    timeoutSeconds,
    debugTimeoutSeconds: Math.max(per.debugTimeoutSeconds ?? 0, timeoutSeconds),
    memoryMiB: per.memoryMiB ?? settings.memoryMiB ?? 1024,
    cpus: per.cpus ?? settings.cpus ?? 1,
    tcgThreads: per.tcgThreads ?? settings.tcgThreads ?? "single",
    qemuArgs: per.qemuArgs ?? [],
    cmdline: per.cmdline ?? [],
    acpiTables: per.acpiTables ?? [],
    boot: per.boot ?? (per.peer ? "own" : "shared"),
    ...(per.quickKernels ? { quickKernels: per.quickKernels } : {}),
    ...(per.peer ? { peer: per.peer } : {}),
  };
}
