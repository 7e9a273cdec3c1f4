/**
 * `xeth-switchd show`: asks the running daemon over its control socket and
 * prints the answer as a table or, with --json, as JSON.
 *
 * @module
 */

import { queryControl } from "../control.ts";
import { formatView } from "../show.ts";
import { type CliOptions, PROGRAM } from "./args.ts";
import { type CliIo, startupFailure } from "./io.ts";

/** Runs `show`; resolves to the exit status. */
export async function show(opts: CliOptions, io: CliIo): Promise<number> {
  let result: unknown;
  try {
    result = await queryControl(opts.control, { show: opts.what });
  } catch (e) {
    const message = e instanceof Deno.errors.NotCapable
      ? startupFailure(e)
      : e instanceof Error
      ? e.message
      : String(e);
    io.stderr(`${PROGRAM}: ${message}`);
    return 1;
  }
  io.stdout(opts.json ? JSON.stringify(result, null, 2) : formatView(result));
  return 0;
}
