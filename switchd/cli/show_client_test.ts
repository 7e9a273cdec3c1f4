// `show` against a real control socket served by control.ts: a table, JSON
// with --json, and the advice when no daemon answers.

import { deepEqual, equal, match } from "node:assert/strict";
import { serveControl } from "../control.ts";
import { parseCli } from "./args.ts";
import type { CliIo } from "./io.ts";
import { show } from "./show_client.ts";

function io(out: string[], err: string[]): CliIo {
  return {
    stdout: (l) => out.push(l),
    stderr: (l) => err.push(l),
    openDataplane: () => {
      throw new Error("show does not open the library");
    },
    stopSignal: () => AbortSignal.abort(),
  };
}

Deno.test("show: the daemon's answer as a table, or as JSON", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/c.sock`;
  const stop = new AbortController();
  const asked: string[] = [];
  const served = serveControl(path, (req) => {
    asked.push(req.show);
    return [{ xid: 7, name: "xeth7" }, { xid: 8, name: "xeth8" }];
  }, stop.signal);
  try {
    const out: string[] = [], err: string[] = [];
    // until the listener answers
    for (let i = 0; i < 200; i++) {
      out.length = err.length = 0;
      const code = await show(
        parseCli(["show", "links", "--control", path]),
        io(out, err),
      );
      if (code === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    deepEqual(err, []);
    deepEqual(out, ["xid  name\n7    xeth7\n8    xeth8"]);
    out.length = 0;
    equal(
      await show(
        parseCli(["show", "links", "--json", "--control", path]),
        io(out, err),
      ),
      0,
    );
    deepEqual(JSON.parse(out.join("\n")), [
      { xid: 7, name: "xeth7" },
      { xid: 8, name: "xeth8" },
    ]);
    equal(asked.at(-1), "links");
  } finally {
    stop.abort();
    await served;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("show: no daemon is exit 1 and says what to check", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out: string[] = [], err: string[] = [];
    const opts = parseCli(["show", "--control", `${dir}/none.sock`]);
    equal(await show(opts, io(out, err)), 1);
    deepEqual(out, []);
    match(err.join("\n"), /^xeth-switchd: no xeth-switchd answers on .*none/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
