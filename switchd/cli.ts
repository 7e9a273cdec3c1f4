/**
 * Command line of SWITCHD: what each command does, from the parsed
 * options (cli/args.ts) to the daemon (cli/daemon.ts) or the `show`
 * client (cli/show_client.ts).
 *
 * Kept apart from main.ts so that tests can run every command with fake
 * output streams, without spawning a process.
 *
 * @module
 */

import type { Dataplane } from "../ffi/library.ts";
import {
  type CliOptions,
  EXIT_USAGE,
  HELP,
  parseCli,
  PROGRAM,
  USAGE,
  UsageError,
} from "./cli/args.ts";
import { runDaemon } from "./cli/daemon.ts";
import { type CliIo, processIo, startupFailure } from "./cli/io.ts";
import { show } from "./cli/show_client.ts";
import { formatVersionReport } from "./version.ts";

export type { CliIo };
export { processIo };

/** Runs the command line `args`; resolves to the process exit status. */
export async function runCli(
  args: readonly string[],
  io: CliIo,
): Promise<number> {
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
  if (opts.command === "show") return await show(opts, io);

  let dp: Dataplane;
  try {
    dp = io.openDataplane();
  } catch (e) {
    const message = startupFailure(e);
    // Still answer --version with what is known without the library.
    if (opts.command === "version") io.stdout(formatVersionReport());
    io.stderr(`${PROGRAM}: ${message}`);
    return 1;
  }
  if (opts.command === "version") {
    io.stdout(dataplaneReport(dp));
    return 0;
  }
  try {
    return await runDaemon(opts, dp, io);
  } finally {
    dp.close();
  }
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
