/**
 * The names of what failed in a step's output, for the closing lines of
 * `deno task test`: a CI log is often read from its end, and a step's
 * own report of its failures sits far above it.
 */

/** At most this many lines per step, so the close stays short. */
export const MAX_FAILURE_LINES = 12;

/**
 * deno test: each entry of its FAILURES list ("name => file:line", or
 * "file (uncaught error)"), with the first "error:" line its ERRORS entry
 * gives.
 */
export function denoTestFailures(out: string): string[] {
  const lines = out.split("\n");
  const errorOf = new Map<string, string>();
  const errorsAt = lines.indexOf(" ERRORS ");
  const failuresAt = lines.indexOf(" FAILURES ");
  if (errorsAt >= 0) {
    let entry: string | undefined;
    for (
      const l of lines.slice(
        errorsAt + 1,
        failuresAt < 0 ? undefined : failuresAt,
      )
    ) {
      if (/ => |\(uncaught error\)$/.test(l)) entry = l;
      else if (entry && l.startsWith("error: ") && !errorOf.has(entry)) {
        errorOf.set(entry, l);
      }
    }
  }
  if (failuresAt < 0) return [];
  const names: string[] = [];
  for (const l of lines.slice(failuresAt + 1)) {
    if (/^(FAILED|ok) \| /.test(l)) break;
    if (l.trim()) names.push(l);
  }
  return names.map((n) => errorOf.has(n) ? `${n}: ${errorOf.get(n)}` : n);
}

/** cargo test: "test path::name ... FAILED". */
export function cargoTestFailures(out: string): string[] {
  return out.split("\n").filter((l) => /^test \S+ \.\.\. FAILED$/.test(l));
}

/** Steps that print one "FAIL ..." line per failed part (the VM rig). */
export function failLines(out: string): string[] {
  return out.split("\n").filter((l) => /^(FAIL|not ok) /.test(l));
}

/** checkpatch --terse: "file:line: ERROR|WARNING|CHECK: ..."; under
 * --strict every one of them fails the step. */
export function checkpatchFindings(out: string): string[] {
  return out.split("\n").filter((l) => /: (ERROR|WARNING|CHECK):/.test(l));
}

/** The first MAX_FAILURE_LINES, and how many more there were. */
export function capped(lines: string[]): string[] {
  if (lines.length <= MAX_FAILURE_LINES) return lines;
  return [
    ...lines.slice(0, MAX_FAILURE_LINES),
    `(${lines.length - MAX_FAILURE_LINES} more in the step's log)`,
  ];
}
