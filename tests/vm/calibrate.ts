/**
 * How slow this machine is right now, as a factor of the machine the
 * rig's timeouts were set on. The rig runs guests on every core, so what
 * counts is the speed of all cores at once: one worker per job spins a
 * fixed loop, and the slowest of them is compared with the reference.
 * A busy machine (another QEMU, a CPU hog) or a slower one gives a factor
 * above 1; a faster one gives 1, never less: bounds only grow.
 */

/**
 * Milliseconds of CPU one worker needs for SPIN_ROUNDS rounds on the
 * reference machine (this project's 2-core machines, 2026-12-03: 283-300
 * ms of CPU time each with two workers, measured with process.cpuUsage,
 * which contention does not inflate). On an idle reference machine the
 * wall time equals it, and the factor is 1.
 */
export const REFERENCE_MS = 300;
export const SPIN_ROUNDS = 150_000_000;

/** The factor for a measured time: at least 1, rounded to 0.1. */
export function scaleOf(
  measuredMs: number,
  referenceMs = REFERENCE_MS,
): number {
  if (!(measuredMs > 0) || !(referenceMs > 0)) return 1;
  return Math.max(1, Math.round((measuredMs / referenceMs) * 10) / 10);
}

/** Milliseconds the slowest of `workers` parallel spinning workers took. */
export async function measureMs(
  workers: number,
  rounds = SPIN_ROUNDS,
): Promise<number> {
  const url = new URL("./calibrate_worker.ts", import.meta.url).href;
  const runs = Array.from(
    { length: Math.max(1, workers) },
    () =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(url, { type: "module" });
        w.onmessage = (e: MessageEvent<number>) => {
          w.terminate();
          resolve(e.data);
        };
        w.onerror = (e) => {
          w.terminate();
          reject(new Error(`calibration worker: ${e.message}`));
        };
        w.postMessage(rounds);
      }),
  );
  return Math.max(...await Promise.all(runs));
}

/**
 * The factor for one more guest while the others run: one worker, a third
 * of the rounds. The rig's own guests on the other cores do not count;
 * anything else that takes a core does.
 */
export async function quickScale(): Promise<number> {
  const forced = Deno.env.get("XETH_TIME_SCALE");
  if (forced !== undefined) return Number(forced);
  const ms = await measureMs(1, SPIN_ROUNDS / 3);
  return scaleOf(ms, REFERENCE_MS / 3);
}

/**
 * The machine's factor now: XETH_TIME_SCALE when set (a number >= 1),
 * otherwise measured with one worker per job.
 */
export async function timeScale(
  jobs: number,
): Promise<{ scale: number; ms?: number }> {
  const forced = Deno.env.get("XETH_TIME_SCALE");
  if (forced !== undefined) {
    const f = Number(forced);
    if (!(f >= 1)) {
      throw new Error(`XETH_TIME_SCALE="${forced}": a number of at least 1`);
    }
    return { scale: f };
  }
  const ms = await measureMs(jobs);
  return { scale: scaleOf(ms), ms };
}
