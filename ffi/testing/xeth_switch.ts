/**
 * Test helper: `xeth-switch` (the crate's binary, built beside the
 * library by \`./run build\`) on a loopback port, its log kept.
 *
 * @module
 */

import { waitFor } from "./wait.ts";

/** A running xeth-switch. */
export interface XethSwitch {
  /** where it listens, HOST:PORT */
  addr: string;
  child: Deno.ChildProcess;
  /** its stderr so far */
  log(): string;
  /** SIGTERM, and waits for it */
  stop(): Promise<void>;
}

/**
 * Starts xeth-switch with the uplink `uplink` on 127.0.0.1:`port` (0: a
 * free one); resolves once it listens.
 */
export async function xethSwitch(
  uplink: string,
  port = 0,
): Promise<XethSwitch> {
  const bin = new URL(
    "../../dataplane/target/release/xeth-switch",
    import.meta.url,
  ).pathname;
  const child = new Deno.Command(bin, {
    args: ["--uplink", uplink, "--listen", `127.0.0.1:${port}`],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const drained = (async () => {
    for await (const t of child.stderr.pipeThrough(new TextDecoderStream())) {
      text += t;
    }
  })();
  // a bound for a busy machine, not a measurement
  await waitFor(
    "xeth-switch listens",
    () => /listening on \S+/.test(text),
    60_000,
  );
  return {
    addr: text.match(/listening on (\S+)/)![1],
    child,
    log: () => text,
    stop: async () => {
      try {
        child.kill("SIGTERM");
      } catch {
        // gone already
      }
      await child.status;
      await drained;
    },
  };
}
