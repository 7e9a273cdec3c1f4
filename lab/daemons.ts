/**
 * The lab's daemons (SWITCHD, FRR): started in a namespace, detached from
 * the lab's own process, known afterwards by their pid files alone, so
 * that a later `lab down` (another process) stops them.
 *
 * @module
 */

/**
 * Starts ARGV in NS in a session of its own, its output in BASE.log and
 * its pid in BASE.pid (written by the shell that becomes it, so the pid is
 * the daemon's own).
 */
export async function daemon(ns: string, argv: string[], base: string) {
  const child = new Deno.Command("ip", {
    args: [
      "netns",
      "exec",
      ns,
      "setsid",
      "sh",
      "-c",
      'echo $$ >"$0.pid"; exec "$@" >>"$0.log" 2>&1',
      base,
      ...argv,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  // the pid file is there once the shell ran; the daemon may still start
  for (let i = 0; i < 200; i++) {
    try {
      if ((await Deno.readTextFile(`${base}.pid`)).trim()) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number((await Deno.readTextFile(file)).trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

/** TERM, then KILL after `seconds`; true when there was one to stop. */
export async function stop(pidFile: string, seconds: number): Promise<boolean> {
  const pid = await readPid(pidFile);
  if (pid === undefined || !alive(pid)) return false;
  Deno.kill(pid, "SIGTERM");
  const until = performance.now() + seconds * 1000;
  while (alive(pid) && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (alive(pid)) Deno.kill(pid, "SIGKILL");
  return true;
}
