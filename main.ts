/**
 * SWITCHD, the xeth-switchd daemon: entry point of `deno task switchd`.
 *
 * Only wiring lives here; what the command line does is in switchd/cli.ts,
 * where tests can reach it.
 *
 * @module
 */

import { processIo, runCli } from "./switchd/cli.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, processIo()));
}
