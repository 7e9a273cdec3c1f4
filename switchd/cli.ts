/**
 * Command line of SWITCHD: argument parsing and what each command does.
 *
 * Kept apart from main.ts so that tests can run every command with fake
 * output streams and a fake data plane, without spawning a process.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type Dataplane,
  DataplaneError,
  openDataplane,
} from "../ffi/library.ts";
import { formatVersionReport } from "./version.ts";

/** Name the CLI calls itself in messages. */
export const PROGRAM = "xeth-switchd";

/** Mux device SWITCHD attaches to unless told otherwise. */
export const DEFAULT_MUX = "xeth-mux";

/** Text printed by --help. */
export const HELP: string = `Usage: ${PROGRAM} [options]

Runs the SWITCHD daemon of xeth-switchd. The daemon is not implemented yet:
for now ${PROGRAM} loads the data plane library, reports its version and
exits.

Options:
  --mux NAME      xeth mux device to attach to (default: ${DEFAULT_MUX})
  -V, --version   print the versions of SWITCHD and the data plane, then exit
  -h, --help      print this help, then exit

Environment:
  XETH_DATAPLANE_LIB  path of libxeth_dataplane.so, instead of searching for it

Exit status: 0 on success, 1 on a runtime failure, 2 on a usage error.`;

const USAGE =
  `usage: ${PROGRAM} [--mux NAME] [-V|--version] [-h|--help]; see --help`;

/** Exit status of a usage error, the convention of getopt-style tools. */
export const EXIT_USAGE = 2;

/** What the command line asks for. */
export interface CliOptions {
  readonly command: "run" | "version" | "help";
  readonly mux: string;
}

/** A command line that cannot be acted on; the message says why. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parses the arguments after the program name. */
export function parseCli(args: readonly string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        mux: { type: "string", default: DEFAULT_MUX },
        version: { type: "boolean", short: "V", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    // parseArgs reports every bad command line as a TypeError with an
    // ERR_PARSE_ARGS_* code; anything else is a bug and keeps its stack.
    if (e instanceof TypeError && parseArgsCode(e)) {
      throw new UsageError(e.message);
    }
    throw e;
  }
  const problem = ifnameProblem(values.mux);
  if (problem !== undefined) {
    throw new UsageError(
      `invalid --mux ${JSON.stringify(values.mux)}: ${problem}`,
    );
  }
  const command = values.help ? "help" : values.version ? "version" : "run";
  return { command, mux: values.mux };
}

function parseArgsCode(e: TypeError): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_");
}

/**
 * Says why the kernel would refuse `name` as an interface name (the rules of
 * Linux's dev_valid_name), or returns undefined if it would accept it.
 * Checking here turns a typo into a usage error instead of a failure to
 * find the mux later.
 */
export function ifnameProblem(name: string): string | undefined {
  const bytes = new TextEncoder().encode(name).length;
  if (bytes === 0) return "empty";
  if (bytes > 15) return `${bytes} bytes long, the kernel allows 15`;
  if (name === "." || name === "..") return "not a name";
  if (/[/:\s]/.test(name)) return "contains '/', ':' or white space";
  return undefined;
}

/** The outside world of {@link runCli}, replaceable in tests. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  openDataplane(): Dataplane;
}

/** Runs the command line `args`; returns the process exit status. */
export function runCli(args: readonly string[], io: CliIo): number {
  let opts: CliOptions;
  try {
    opts = parseCli(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`${PROGRAM}: ${e.message}`);
    io.stderr(USAGE);
    return EXIT_USAGE;
  }
  if (opts.command === "help") {
    io.stdout(HELP);
    return 0;
  }

  let report: string;
  try {
    report = dataplaneReport(io.openDataplane());
  } catch (e) {
    const message = startupFailure(e);
    // Still answer --version with what is known without the library.
    if (opts.command === "version") io.stdout(formatVersionReport());
    io.stderr(`${PROGRAM}: ${message}`);
    return 1;
  }
  io.stdout(report);
  if (opts.command === "run") {
    io.stderr(
      `${PROGRAM}: the daemon is not implemented yet; not attaching to ${opts.mux}`,
    );
  }
  return 0;
}

function dataplaneReport(dp: Dataplane): string {
  try {
    return formatVersionReport({
      version: dp.version(),
      abiVersion: dp.abiVersion(),
      path: dp.path,
    });
  } finally {
    dp.close();
  }
}

// Failures an operator can fix become one message; anything else is a bug
// and is rethrown so that its stack trace is printed.
function startupFailure(e: unknown): string {
  if (e instanceof DataplaneError) return e.message;
  if (e instanceof Deno.errors.NotCapable) {
    return `${e.message}\n${PROGRAM} needs --allow-ffi --allow-env --allow-read, as \`deno task switchd\` gives it`;
  }
  throw e;
}

/** The real process: console output and the real library search. */
export function processIo(): CliIo {
  return {
    stdout: (line) => console.log(line),
    stderr: (line) => console.error(line),
    openDataplane: () => openDataplane(),
  };
}
