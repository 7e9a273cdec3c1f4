/**
 * The processor time a command and all its descendants used: bash's
 * `times` after the command reports what every waited-for descendant
 * used (QEMU's guests, compilers, deno test's workers), which the wall
 * clock of a step cannot tell on a shared two-core machine.
 */
import { readOptional } from "./read_optional.ts";

/** `cmd` run by bash, which writes `times` to `file` once it is done. */
export function withCpuTime(cmd: readonly string[], file: string): string[] {
  return [
    "bash",
    "-c",
    // `times` must run in this shell, not in a subshell: a fork starts
    // with its children's times at zero.
    'f=$1; shift; "$@"; rc=$?; times >"$f"; exit "$rc"',
    "bash",
    file,
    ...cmd,
  ];
}

/** Seconds of user plus system time of the children, from `times`. */
export function childSeconds(times: string): number | undefined {
  const m = times.trim().split("\n")[1]?.match(
    /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/,
  );
  if (!m) return undefined;
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 +
    Number(m[4]);
}

/** The seconds withCpuTime's wrapper wrote, or undefined if it did not. */
export async function readCpuSeconds(
  file: string,
): Promise<number | undefined> {
  const times = await readOptional(file);
  return times === undefined ? undefined : childSeconds(times);
}
