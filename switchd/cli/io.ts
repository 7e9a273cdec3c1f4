/**
 * The outside world of the command line (output, the library, signals),
 * replaceable in tests, and how a failure at start-up is told.
 *
 * @module
 */

import {
  type Dataplane,
  DataplaneError,
  openDataplane,
} from "../../ffi/library.ts";
import { PROGRAM } from "./args.ts";

/** The outside world of the command line, replaceable in tests. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  openDataplane(): Dataplane;
  /** Aborts when the daemon should stop (SIGINT/SIGTERM). */
  stopSignal(): AbortSignal;
  /** Log lines of the daemon; stderr when absent. */
  log?: (line: string) => void;
}

/**
 * The message of a failure an operator can fix (no library, a missing
 * permission); anything else is a bug and is rethrown, so that its stack
 * trace is printed.
 */
export function startupFailure(e: unknown): string {
  if (e instanceof DataplaneError) return e.message;
  if (e instanceof Deno.errors.NotCapable) {
    return `${e.message}\n${PROGRAM} needs --allow-ffi --allow-env --allow-read --allow-write --allow-net (unix sockets need it), as \`deno task switchd\` gives it`;
  }
  throw e;
}

/** The real process: console output and the real library search. */
export function processIo(): CliIo {
  return {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    openDataplane: () => openDataplane(),
    stopSignal: () => {
      const c = new AbortController();
      for (const sig of ["SIGINT", "SIGTERM"] as const) {
        Deno.addSignalListener(sig, () => c.abort());
      }
      return c.signal;
    },
  };
}
