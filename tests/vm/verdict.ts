/**
 * How the rig judges a scenario: the counts it printed (TAP or a closing
 * "N passed, N failed" line), its exit code, and the guest kernel's log.
 */

export interface Counts {
  passed: number;
  failed: number;
}

/** Counts from a scenario's output; a closing summary line wins over TAP. */
export function parseCounts(output: string): Counts {
  let summary: Counts | undefined;
  let passed = 0;
  let failed = 0;
  for (const line of output.split("\n")) {
    const s = line.match(/^(?:\w+: )?(\d+) passed, (\d+) failed/);
    if (s) summary = { passed: Number(s[1]), failed: Number(s[2]) };
    else if (/^ok \d+/.test(line)) passed++;
    else if (/^not ok \d+/.test(line)) failed++;
  }
  return summary ?? { passed, failed };
}

/**
 * Lines of a kernel log that mean the kernel misbehaved. Each pattern is a
 * message the kernel prints for that event (oops, BUG, WARN, lockdep,
 * RCU stalls, hung tasks, sanitizers).
 */
const SPLATS: readonly RegExp[] = [
  /\bOops\b/,
  /\bBUG:/,
  /kernel BUG at/,
  /\bWARNING:/,
  /general protection fault/,
  /Kernel panic/,
  /possible (circular|recursive) locking/,
  /inconsistent lock state/,
  /suspicious RCU usage/,
  /rcu: INFO: .* stall/,
  /INFO: task .* blocked for more than/,
  /\bUBSAN:/,
  /\bKASAN:/,
  /\bkmemleak:.*unreferenced/,
  /refcount_t: /,
  /unregister_netdevice: waiting for/,
];

/**
 * The same patterns for the guest's `grep -E -f` (guest/runner.sh stops
 * a batch after a splat): each is written in the syntax both share.
 */
export function splatPatternFile(): string {
  return SPLATS.map((re) => re.source).join("\n") + "\n";
}

/** The lines of a kernel log that show a splat, with a little context. */
export function findSplats(log: string, context = 12): string[] {
  const lines = log.split("\n");
  for (const [i, line] of lines.entries()) {
    if (SPLATS.some((re) => re.test(line))) {
      return lines.slice(Math.max(0, i - 2), i + context);
    }
  }
  return [];
}

export type Outcome = "pass" | "fail" | "timeout" | "splat" | "no-result";

export interface Verdict {
  outcome: Outcome;
  counts: Counts;
  /** why it failed, for the user */
  reason?: string;
  /** lines to show: a splat or the end of the console */
  excerpt: string[];
  /** on a failure: each failed check with its case and what it printed */
  failures?: string[];
}

/**
 * Each failed check of a TAP output, after the case it belongs to and
 * with the diagnostics printed just after it: what a reader of a short
 * summary needs to know which checks failed and why.
 */
export function failedChecks(output: string, diagnostics = 4): string[] {
  const out: string[] = [];
  let kase = "";
  let shownCase = "";
  let after = 0;
  for (const line of output.split("\n")) {
    if (line.startsWith("# case:")) kase = line;
    if (line.startsWith("not ok")) {
      if (kase && kase !== shownCase) out.push(kase);
      shownCase = kase;
      out.push(line);
      after = diagnostics;
    } else if (after > 0 && line.startsWith("#") && line !== kase) {
      out.push(line);
      after--;
    } else {
      after = 0;
    }
  }
  return out;
}

export interface GuestResult {
  timedOut: boolean;
  timeoutSeconds: number;
  /** how the timeout was reached (the machine's time scale) */
  timeoutDetail?: string;
  /** on a timeout: what the scenario was still doing */
  pending?: string[];
  /** the scenario's exit code, undefined when the guest never wrote one */
  rc?: number;
  output: string;
  dmesg: string;
  console: string;
  /** the kernel log of the scenario's peer guest, if it had one (peer.ts) */
  peerDmesg?: string;
}

/** The line the guest's init prints just before it runs the scenario. */
export const SCENARIO_START = "xrig: running ";

/**
 * True when the guest kernel crashed while booting, before the scenario
 * (and so before our module) ran: a fault of the emulator or the boot,
 * worth one more boot rather than a test failure. Multi-threaded TCG
 * with two vCPUs has hit an int3 oops in text patching at boot this way
 * (the rig now runs TCG single-threaded, see qemu.ts; this stays as a
 * net for other faults of the emulator at boot).
 */
export function crashedBeforeScenario(r: GuestResult): boolean {
  const splat = findSplats(r.console);
  if (splat.length === 0) return false;
  const start = r.console.indexOf(SCENARIO_START);
  return start < 0 || r.console.indexOf(splat[0]) < start;
}

export function judge(r: GuestResult): Verdict {
  const counts = parseCounts(r.output);
  const peerSplat = findSplats(r.peerDmesg ?? "").map((l) => `peer: ${l}`);
  const splat = findSplats(r.dmesg).length
    ? findSplats(r.dmesg)
    : findSplats(r.console).length
    ? findSplats(r.console)
    : peerSplat;
  const tail = r.console.split("\n").slice(-30);
  if (splat.length) {
    return {
      outcome: "splat",
      counts,
      reason: "the guest kernel logged an oops, BUG, WARNING or lock splat",
      excerpt: splat,
    };
  }
  if (r.timedOut) {
    return {
      outcome: "timeout",
      counts,
      reason: `timed out after ${r.timeoutSeconds}s${
        r.timeoutDetail ? ` (${r.timeoutDetail})` : ""
      }; the guest was killed; still pending:`,
      excerpt: r.pending?.length ? r.pending : tail,
    };
  }
  if (r.rc === undefined) {
    return {
      outcome: "no-result",
      counts,
      reason: "the guest stopped without writing an exit code",
      excerpt: tail,
    };
  }
  if (r.rc !== 0 || counts.failed > 0) {
    return {
      outcome: "fail",
      counts,
      reason: `exit code ${r.rc}, ${counts.failed} failed`,
      excerpt: r.output.split("\n").filter((l) => /^(not ok|#)/.test(l)),
      failures: failedChecks(r.output),
    };
  }
  if (counts.passed === 0) {
    return {
      outcome: "fail",
      counts,
      reason: "the scenario reported no passing check",
      excerpt: [],
    };
  }
  return { outcome: "pass", counts, excerpt: [] };
}
